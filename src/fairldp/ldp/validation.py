"""Argument checks shared by every protocol: one ValueError naming the argument and the range."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["check_codes", "check_domain_size", "check_epsilon"]


def check_epsilon(epsilon: float, name: str = "epsilon") -> float:
    """Return ``epsilon`` as a float, or raise if it is not a finite number > 0."""
    if isinstance(epsilon, bool):
        raise ValueError(f"{name} must be a finite number > 0, got {epsilon!r}")
    try:
        eps = float(epsilon)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number > 0, got {epsilon!r}") from None
    if not math.isfinite(eps) or eps <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {epsilon!r}")
    return eps


def check_domain_size(k: int, name: str = "k") -> int:
    """Return ``k`` as an int, or raise if it is not an integer >= 2."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 2:
        raise ValueError(f"{name} (domain size) must be an integer >= 2, got {k!r}")
    return int(k)


def check_codes(x: ArrayLike, k: int, name: str = "x") -> NDArray[np.int64]:
    """Return ``x`` as a 1-D int64 array of codes in ``[0, k)``, or raise naming the problem."""
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of integer codes, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: at least one value is needed")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.floor(arr)):
            raise ValueError(
                f"{name} must hold integer codes in [0, {k}); found non-integer values"
            )
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iub":
        raise ValueError(f"{name} must hold integer codes in [0, {k}); got dtype {arr.dtype}")
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= k:
        bad = lo if lo < 0 else hi
        raise ValueError(f"{name} must hold codes in [0, {k}); found {bad}")
    return arr.astype(np.int64, copy=False)
