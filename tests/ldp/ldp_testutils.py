"""Shared helpers for the LDP tests (imported by name: tests/ has no __init__)."""

from __future__ import annotations

import numpy as np

from fairldp.ldp import PROTOCOLS

#: the protocols of the generic tests: fair_rr's channel is an optimum for a public prior and its
#: variance needs the whole distribution, so tests/ldp/test_fairaware.py tests it on its own
ALL = sorted(p for p in PROTOCOLS if p != "fair_rr")
EPS_GRID = (0.01, 0.5, 1.0, 4.0, 30.0, 50.0)


def column(f: np.ndarray, n: int) -> np.ndarray:
    """A fixed-composition column: exactly round(n f_v) users hold value v (shuffled)."""
    counts = np.floor(np.asarray(f) * n).astype(int)
    counts[0] += n - counts.sum()
    x = np.repeat(np.arange(len(f)), counts)
    return np.random.default_rng(12345).permutation(x)
