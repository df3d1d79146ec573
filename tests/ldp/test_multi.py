"""Several sensitive attributes: budget splits, combined domain, sampling, streams, features."""

from __future__ import annotations

import numpy as np
import pytest

from fairldp.ldp import combine_codes, privatize, privatize_column, split_codes
from fairldp.rng import make_rng

N = 3000
KS = {"sex": 2, "race": 5, "age": 3}


def columns(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {a: rng.integers(0, k, N) for a, k in KS.items()}


def test_combine_split_roundtrip() -> None:
    cols = columns()
    codes = combine_codes(list(cols.values()), list(KS.values()))
    assert codes.max() < 2 * 5 * 3
    for a, b in zip(split_codes(codes, list(KS.values())), cols.values(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert codes[0] == (cols["sex"][0] * 5 + cols["race"][0]) * 3 + cols["age"][0]


@pytest.mark.parametrize("budget_split", ["uniform", "k_based"])
def test_split_budgets_and_streams(budget_split: str) -> None:
    cols = columns()
    res = privatize(cols, KS, "grr", 2.0, budget_split, seed=1, dataset="toy")
    eps = res.epsilons
    assert np.isclose(sum(eps.values()), 2.0)
    if budget_split == "k_based":
        assert np.isclose(eps["race"], 2.0 * 5 / 10)
    else:
        assert np.allclose(list(eps.values()), 2.0 / 3)
    # each attribute uses its own named stream: same reports as perturbing it alone
    part = res.parts[1]
    rng = make_rng(1, "perturb", "toy", "grr", 2.0, "race")
    np.testing.assert_array_equal(part.reports, part.protocol.perturb(cols["race"], rng))
    # ... so the attribute order does not matter
    rev = privatize(
        dict(reversed(cols.items())), KS, "grr", 2.0, budget_split, seed=1, dataset="toy"
    )
    np.testing.assert_array_equal(rev.parts[1].reports, part.reports)
    x, names = res.features()
    assert x.shape == (N, 10) and names[:3] == ["sex=0", "sex=1", "race=0"]
    assert np.all(x.sum(axis=1) == 3)  # one-hot per attribute
    est = res.estimates("simplex")
    assert set(est) == set(KS) and all(np.isclose(v.sum(), 1) for v in est.values())


def test_combined_domain() -> None:
    cols = columns()
    res = privatize(cols, KS, "oue", 4.0, "combined", seed=1, dataset="toy")
    (part,) = res.parts
    assert part.protocol.k == 30 and part.protocol.epsilon == 4.0
    assert part.attribute == "sex+race+age"
    x, names = res.features({"sex": ["F", "M"]})
    assert (
        x.shape == (N, 30)
        and names[0] == "sex=F|race=0|age=0"
        and names[-1] == "sex=M|race=4|age=2"
    )
    est = res.estimates()
    truth = np.bincount(cols["race"], minlength=5) / N
    sd = np.sqrt(6 * part.protocol.variance(0.2, N))  # marginal: sum of 6 joint cells (bound)
    assert np.all(np.abs(est["race"] - truth) < 4 * sd)


def test_sampling() -> None:
    cols = columns()
    res = privatize(cols, KS, "sue", 1.0, "sampling", seed=1, dataset="toy")
    users = [p.users for p in res.parts]
    assert sum(u.size for u in users) == N  # every user reports exactly one attribute
    assert np.unique(np.concatenate(users)).size == N
    assert all(p.protocol.epsilon == 1.0 for p in res.parts)
    x, names = res.features()
    assert x.shape == (N, 10) and len(names) == 10
    # each row has exactly its sampled attribute's block observed, the others missing (NaN)
    starts = np.cumsum([0, *KS.values()])
    for j, u in enumerate(users):
        block = x[:, starts[j] : starts[j + 1]]
        assert not np.isnan(block[u]).any()
        assert np.isnan(np.delete(block, u, axis=0)).all()
    again = privatize(cols, KS, "sue", 1.0, "sampling", seed=1, dataset="toy")
    np.testing.assert_array_equal(again.features()[0], x)


def test_privatize_rejects_bad_input() -> None:
    cols = columns()
    with pytest.raises(ValueError, match="budget_split must be one of"):
        privatize(cols, KS, "grr", 1.0, "split", seed=0, dataset="t")
    with pytest.raises(ValueError, match="domain_sizes has no entry"):
        privatize(cols, {"sex": 2}, "grr", 1.0, "uniform", seed=0, dataset="t")
    with pytest.raises(ValueError, match=r"columns\['race'\] must hold codes in \[0, 4\)"):
        privatize(cols, {**KS, "race": 4}, "grr", 1.0, "uniform", seed=0, dataset="t")
    with pytest.raises(ValueError, match="same length"):
        privatize(
            {"a": [0, 1], "b": [0]}, {"a": 2, "b": 2}, "grr", 1.0, "uniform", seed=0, dataset="t"
        )
    with pytest.raises(ValueError, match="epsilon must be"):
        privatize(cols, KS, "grr", 0.0, "uniform", seed=0, dataset="t")


def test_privatize_column_stream_key() -> None:
    x = np.arange(100) % 4
    a = privatize_column(x, "olh", 0.5, 4, seed=9, dataset="d", attribute="z", stream_epsilon=2.0)
    rng = make_rng(9, "perturb", "d", "olh", 2.0, "z")
    b = a.protocol.perturb(x, rng)
    np.testing.assert_array_equal(a.reports.y, b.y)


def test_report_memory_is_checked_before_allocating() -> None:
    # combined over a 10^9-value product domain: OUE would need n k / 8 = 12.5 GB of packed
    # bits for 100 users; the error names the domain, the estimate and the limit
    n = 100
    cols = {a: np.zeros(n, dtype=int) for a in "abc"}
    ks = dict.fromkeys("abc", 1000)
    with pytest.raises(
        ValueError,
        match=r"product domain of size 1000000000 \(= 1000 x 1000 x 1000\) for n = 100 users "
        r"would allocate about 11.6 GiB \(12500000000 bytes\).*max_report_bytes = 4294967296",
    ):
        privatize(cols, ks, "oue", 1.0, "combined", seed=0, dataset="t")
    # the limit is a keyword argument (None: no check); it covers every budget split
    with pytest.raises(ValueError, match=r"would allocate .*\(240000 bytes\).*= 1000 "):
        privatize(columns(), KS, "she", 1.0, "uniform", seed=0, dataset="t", max_report_bytes=1000)
    res = privatize(
        columns(), KS, "oue", 1.0, "combined", seed=0, dataset="t", max_report_bytes=None
    )
    assert res.parts[0].reports.nbytes == -(-N * 30 // 8)
    # codes of a product domain beyond int64 would wrap around: refused
    with pytest.raises(ValueError, match="too large for int64 codes"):
        privatize(cols, dict.fromkeys("abc", 2**22), "grr", 1.0, "combined", seed=0, dataset="t")


def test_combined_grr_features_are_the_decoded_tuple() -> None:
    # a GRR report over the product domain is a tuple: one indicator block per attribute
    cols = columns()
    res = privatize(cols, KS, "grr", 2.0, "combined", seed=3, dataset="toy")
    x, names = res.features({"sex": ["F", "M"]})
    assert x.shape == (N, sum(KS.values()))
    assert names[:2] == ["sex=F", "sex=M"] and names[-1] == "age=2"
    digits = split_codes(np.asarray(res.parts[0].reports), tuple(KS.values()))
    start = 0
    for d, k in zip(digits, KS.values(), strict=True):
        assert (x[:, start:start + k].argmax(axis=1) == d).all()
        assert (x[:, start:start + k].sum(axis=1) == 1).all()
        start += k
