"""The identity representation: fixed one-hot columns from the declared domains."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairldp.represent import IdentityRepresentation


def test_one_hot_over_declared_categories_even_if_unseen() -> None:
    dtype = pd.CategoricalDtype(["a", "b", "c"])
    train = pd.DataFrame({"s": pd.Categorical(["a", "b", "a"], dtype=dtype), "x": [1.0, 2.0, 3.0]})
    test = pd.DataFrame({"s": pd.Categorical(["c"], dtype=dtype), "x": [4.0]})
    rep = IdentityRepresentation(categorical=["s"], numeric=["x"]).fit(train)
    assert list(rep.get_feature_names_out()) == ["s=a", "s=b", "s=c", "x"]
    assert rep.transform(train).to_numpy().tolist() == [[1, 0, 0, 1], [0, 1, 0, 2], [1, 0, 0, 3]]
    assert rep.transform(test).to_numpy().tolist() == [[0, 0, 1, 4]]
    assert rep.transform(train)["s=a"].dtype == np.uint8


def test_requires_categorical_dtype() -> None:
    with pytest.raises(TypeError, match="categorical dtype"):
        IdentityRepresentation(categorical=["s"]).fit(pd.DataFrame({"s": ["a"]}))


def test_works_inside_a_scikit_learn_pipeline() -> None:
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    dtype = pd.CategoricalDtype(["a", "b"])
    X = pd.DataFrame({"s": pd.Categorical(["a", "b"] * 20, dtype=dtype), "x": np.arange(40.0)})
    y = np.arange(40) % 2
    pipe = make_pipeline(
        IdentityRepresentation(categorical=["s"], numeric=["x"]), LogisticRegression()
    )
    assert clone(pipe).fit(X, y).score(X, y) == 1.0  # y is s=b exactly
