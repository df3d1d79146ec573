"""Deterministic stratified train/test split."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fairldp.rng import make_rng

__all__ = ["stratified_split"]


def stratified_split(
    strata: pd.DataFrame | NDArray[np.generic],
    test_size: float,
    seed: int,
    *keys: str,
) -> NDArray[np.bool_]:
    """Boolean mask of test rows: in every stratum, ``floor(test_size * n_s + 1/2)`` rows at
    random (a stratum of one or two rows gets no test row at ``test_size = 0.2``).

    Each row gets a uniform key from the stream ``(seed, "split", *keys)``; within each stratum
    the rows with the smallest keys go to the test split. Vectorized (one sort), and a row's
    assignment depends only on the seed, the keys and the data.
    """
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size!r}")
    if isinstance(strata, pd.DataFrame):
        codes = strata.apply(lambda c: pd.factorize(c, sort=True)[0]).to_numpy()
        stratum = np.unique(codes, axis=0, return_inverse=True)[1].ravel()
    else:
        stratum = np.unique(np.asarray(strata), return_inverse=True)[1].ravel()
    n = stratum.size
    if n == 0:
        raise ValueError("cannot split an empty table")
    u = make_rng(seed, "split", *keys).random(n)
    order = np.lexsort((u, stratum))  # by stratum, then by key
    sizes = np.bincount(stratum)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - np.repeat(starts, sizes)
    n_test = np.floor(test_size * sizes + 0.5).astype(np.int64)
    return rank < n_test[stratum]
