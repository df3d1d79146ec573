"""Random streams depend only on (seed, keys)."""

from __future__ import annotations

import numpy as np
import pytest

from fairldp.rng import derive_int_seed, key_digest, make_rng


def test_streams_are_reproducible_and_distinct() -> None:
    a = make_rng(0, "perturb", "adult", "grr", 1.0, "sex").random(5)
    assert np.array_equal(a, make_rng(0, "perturb", "adult", "grr", 1, "sex").random(5))
    assert not np.array_equal(a, make_rng(0, "perturb", "adult", "grr", 1.0, "race").random(5))
    assert not np.array_equal(a, make_rng(1, "perturb", "adult", "grr", 1.0, "sex").random(5))


def test_key_digest_is_stable_across_runs() -> None:
    # pinned values: changing the digest or the stream construction would silently change
    # every published number, so it must show up as a failing test
    assert key_digest("adult") == 1037053079
    assert derive_int_seed(3, "model") == 445470941
    assert make_rng(0, "split", "german").random(2).tolist() == [
        0.4679605356733251,
        0.7434601644618821,
    ]
    assert key_digest(1) == key_digest(1.0)
    assert key_digest(0.5) != key_digest("0.5")
    assert derive_int_seed(3, "model") == derive_int_seed(3, "model") < 2**31


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_bad_seed(seed: object) -> None:
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        make_rng(seed)  # type: ignore[arg-type]
