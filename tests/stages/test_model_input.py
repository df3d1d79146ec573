"""The learn stage's model input (fairldp.stages.learn.model_input): a sparse float32 matrix for
LightGBM holds the same numbers as the dense float64 array, and gives the same model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairldp.models import make_model
from fairldp.stages.learn import model_input


def _frame(n: int = 3_000) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    bits = (rng.random((n, 6)) < [0.1, 0.3, 0.5, 0.02, 0.7, 0.9]).astype(np.uint8)
    df = pd.DataFrame(bits, columns=[f"a={j}" for j in range(6)])
    df["hours"] = rng.integers(1, 99, n).astype(np.int64)
    y = ((bits[:, 0] + bits[:, 2] + df["hours"].to_numpy() / 40 + rng.normal(0, 1, n)) > 1.5)
    return df, y.astype(np.int8)


def test_values_are_the_same_numbers() -> None:
    df, _ = _frame()
    dense = model_input(df)
    sparse = model_input(df, sparse=True)
    test = model_input(df, sparse=True, test=True)
    assert dense.dtype == np.float64 and sparse.dtype == np.float32 and test.dtype == np.float32
    assert np.array_equal(sparse.toarray().astype(np.float64), dense)
    assert np.array_equal(test.astype(np.float64), dense)
    inexact = df.assign(hours=df["hours"] + 0.1)  # 0.1 steps are not exact in float32
    assert model_input(inexact, sparse=True).dtype == np.float64


@pytest.mark.parametrize("with_nan", [False, True])
def test_lightgbm_gives_the_same_scores_from_sparse_input(with_nan: bool) -> None:
    """Bit-identical scores at this size (below LightGBM's 200,000-row bin sample), with and
    without missing values (a float column with NaN stays float64 and its NaN explicit)."""
    pytest.importorskip("lightgbm")
    df, y = _frame()
    if with_nan:
        x = np.random.default_rng(5).normal(size=len(df))
        x[::7] = np.nan
        df = df.assign(score=x)
    a = make_model("lightgbm", 3).fit(model_input(df), y).predict_proba(model_input(df))
    b = make_model("lightgbm", 3).fit(model_input(df, sparse=True), y).predict_proba(
        model_input(df, sparse=True, test=True))  # fmt: skip
    assert np.array_equal(a, b)
