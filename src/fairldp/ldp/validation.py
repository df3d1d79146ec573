"""Argument checks shared by every protocol: one ValueError naming the argument and the range.

Supported privacy budgets: ``epsilon`` in ``[EPSILON_MIN, EPSILON_MAX] = [1e-6, 1000]``. Inside
this range every protocol's parameters, estimates, variances and noise models are finite
(checked by the property tests in ``tests/ldp/test_properties.py``); below it the protocols
carry no usable signal (e.g. ``p* - q* ~ eps / k``), above it none perturbs anything
(``e^-eps < 1e-434`` underflows to 0), so both ends are rejected rather than extrapolated.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "EPSILON_MAX",
    "EPSILON_MIN",
    "check_codes",
    "check_domain_size",
    "check_epsilon",
    "check_n_users",
]

#: smallest and largest supported privacy budget (see the module docstring)
EPSILON_MIN = 1e-6
EPSILON_MAX = 1000.0


def check_epsilon(epsilon: float, name: str = "epsilon") -> float:
    """Return ``epsilon`` as a float, or raise if it is not a finite number in
    ``[EPSILON_MIN, EPSILON_MAX]``."""
    msg = (
        f"{name} must be a finite number > 0 in the supported range "
        f"[{EPSILON_MIN:g}, {EPSILON_MAX:g}], got {epsilon!r}"
    )
    if isinstance(epsilon, bool):
        raise ValueError(msg)
    try:
        eps = float(epsilon)
    except (TypeError, ValueError):
        raise ValueError(msg) from None
    if not math.isfinite(eps) or not EPSILON_MIN <= eps <= EPSILON_MAX:
        raise ValueError(msg)
    return eps


def check_n_users(n: int, name: str = "n") -> int:
    """Return ``n`` (a number of users) as an int, or raise if it is not an integer >= 1
    (integral floats such as ``1e6`` are accepted)."""
    if isinstance(n, bool):
        raise ValueError(f"{name} (number of users) must be an integer >= 1, got {n!r}")
    if isinstance(n, float | np.floating) and math.isfinite(n) and n == math.floor(n):
        n = int(n)
    if not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"{name} (number of users) must be an integer >= 1, got {n!r}")
    return int(n)


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
