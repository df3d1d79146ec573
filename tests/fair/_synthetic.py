"""Data shared by the fair-method tests (imported by name: pytest puts this folder on the path)."""

from __future__ import annotations

import numpy as np


def synthetic(n: int, k: int, rng: np.random.Generator):
    """Groups with different base rates and different separability of ``y`` from ``x1``, so
    the unconstrained classifier has a large equalized-odds gap on ``A``."""
    pa = np.array([0.5, 0.3, 0.2])[:k]
    a = rng.choice(k, size=n, p=pa / pa.sum())
    y = (rng.random(n) < np.array([0.3, 0.6, 0.45])[a]).astype(int)
    x1 = (2 * y - 1) * np.array([2.5, 0.8, 1.5])[a] + rng.normal(size=n)
    x2 = a + rng.normal(size=n)
    return np.column_stack([x1, x2]), y, a
