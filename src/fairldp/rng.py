"""Reproducible random streams.

Every random quantity of a study is drawn from its own stream, derived from the user's seed
and a tuple of keys naming what the stream is for (e.g. ``("perturb", "adult", "grr", 1.0,
"sex")``). Streams are built with :class:`numpy.random.SeedSequence`, using the seed as
entropy and a stable 32-bit digest of each key as the spawn key, so a stream depends only on
(seed, keys): never on the order jobs run in, on chunking, or on the number of processes.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable

import numpy as np

__all__ = ["derive_int_seed", "key_digest", "make_rng", "seed_sequence"]


def _canonical(key: Hashable) -> str:
    """Text form of a key that is identical across platforms and runs."""
    if isinstance(key, bool):
        return f"b:{int(key)}"
    if isinstance(key, int | np.integer):
        return f"i:{int(key)}"
    if isinstance(key, float | np.floating):
        x = float(key)
        if math.isfinite(x) and x == int(x):
            return f"i:{int(x)}"  # 1.0 and 1 name the same epsilon
        return f"f:{x!r}"
    if isinstance(key, str):
        return f"s:{key}"
    raise TypeError(f"stream keys must be str, int, float or bool, got {type(key).__name__}")


def key_digest(key: Hashable) -> int:
    """Stable 32-bit digest of one key (BLAKE2b of its canonical text form)."""
    h = hashlib.blake2b(_canonical(key).encode("utf-8"), digest_size=4)
    return int.from_bytes(h.digest(), "little")


def seed_sequence(seed: int, *keys: Hashable) -> np.random.SeedSequence:
    """SeedSequence with entropy ``seed`` and spawn key ``digest(k) for k in keys``."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return np.random.SeedSequence(entropy=int(seed), spawn_key=tuple(key_digest(k) for k in keys))


def make_rng(seed: int, *keys: Hashable) -> np.random.Generator:
    """A PCG64 generator for the stream named by ``(seed, *keys)``."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, *keys)))


def derive_int_seed(seed: int, *keys: Hashable) -> int:
    """A 31-bit integer seed for libraries that take ``random_state: int`` (LightGBM, sklearn)."""
    return int(seed_sequence(seed, *keys).generate_state(1, dtype=np.uint32)[0] >> 1)
