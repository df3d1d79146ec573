"""Representations: how a (privatized) table becomes model features.

:class:`IdentityRepresentation` is the identity map up to encoding: categorical columns,
sensitive ones included, become one-hot indicators over their declared domain (for GRR reports
this is the indicator-vector encoding of Arcolezi et al. 2023), numeric columns pass through.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["IdentityRepresentation"]


class IdentityRepresentation:
    """One-hot encoding of categorical columns over their categorical dtype; numeric as is.

    Parameters
    ----------
    categorical : sequence of str
        Columns with a pandas categorical dtype; their categories fix the one-hot columns, so
        every split gets the same columns whatever values it holds.
    numeric : sequence of str
        Columns passed through as float.
    """

    def __init__(self, categorical: Sequence[str] = (), numeric: Sequence[str] = ()) -> None:
        self.categorical = categorical
        self.numeric = numeric

    # scikit-learn's estimator protocol, without importing scikit-learn (a pipeline job that
    # only encodes would otherwise pay its import time): usable in Pipeline, clone, GridSearch.
    def get_params(self, deep: bool = True) -> dict[str, object]:
        return {"categorical": self.categorical, "numeric": self.numeric}

    def set_params(self, **params: object) -> IdentityRepresentation:
        for k, v in params.items():
            if k not in ("categorical", "numeric"):
                raise ValueError(f"invalid parameter {k!r} for IdentityRepresentation")
            setattr(self, k, v)
        return self

    def fit_transform(self, X: pd.DataFrame, y: object = None) -> pd.DataFrame:
        return self.fit(X, y).transform(X)

    def fit(self, X: pd.DataFrame, y: object = None) -> IdentityRepresentation:
        cats = {}
        for c in self.categorical:
            if not isinstance(X[c].dtype, pd.CategoricalDtype):
                raise TypeError(f"column {c!r} must have a categorical dtype, got {X[c].dtype}")
            cats[c] = list(X[c].cat.categories)
        self.categories_ = cats
        self.feature_names_out_ = np.array(
            [f"{c}={v}" for c in self.categorical for v in cats[c]] + list(self.numeric),
            dtype=object,
        )
        return self

    def get_feature_names_out(self, input_features: object = None) -> NDArray[np.object_]:
        return self.feature_names_out_

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Features as a frame: uint8 indicators, then float64 numeric columns."""
        blocks: dict[str, NDArray[np.generic]] = {}
        for c in self.categorical:
            if list(X[c].cat.categories) != self.categories_[c]:
                raise ValueError(f"column {c!r} has categories that differ from those fitted")
            codes = X[c].cat.codes.to_numpy()
            if (codes < 0).any():
                raise ValueError(f"column {c!r} has missing values")
            onehot = np.zeros((codes.size, len(self.categories_[c])), dtype=np.uint8)
            onehot[np.arange(codes.size), codes] = 1
            for j, v in enumerate(self.categories_[c]):
                blocks[f"{c}={v}"] = onehot[:, j]
        for c in self.numeric:
            blocks[c] = X[c].to_numpy(dtype=np.float64)
        return pd.DataFrame(blocks, index=X.index)
