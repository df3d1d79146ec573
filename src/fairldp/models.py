"""The base classifiers of studies, built with reproducible seeds.

:data:`MODELS` maps a model name to a factory ``(random_state, **params) -> classifier``
(scikit-learn interface: ``fit``, ``predict_proba``). A study's learner names one
(``learners: {name: {model: lightgbm, params: {n_estimators: 200}}}``); a new model is one
registered factory::

    @MODELS.register("my_model")
    def my_model(random_state: int, **params): ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from fairldp.registry import Registry

__all__ = ["MODELS", "make_model"]  # and CellBayes, built on first access

#: model name -> factory ``(random_state, **params) -> classifier``
MODELS: Registry[Callable[..., Any]] = Registry("model")


@MODELS.register("lightgbm", sparse_input=True)
def lightgbm(random_state: int, **params: Any) -> Any:
    """LightGBM gradient boosting (Ke et al., NeurIPS 2017) with its default hyper-parameters
    (overridden by ``params``), one thread and ``deterministic=True`` so that results do not
    depend on the machine's core count. ``sparse_input``: the learn stage hands it the training
    features as a sparse column matrix, float32 when that holds every value exactly
    (:func:`fairldp.stages.learn.model_input`): the same numbers as a dense float64 array, for
    ~40% less of LightGBM's cost of building its dataset; the scores were identical bit for bit
    on 254 fits of the Arcolezi et al. grid (tests/stages/test_model_input.py checks it)."""
    from lightgbm import LGBMClassifier

    settings = {"n_jobs": 1, "deterministic": True, "force_row_wise": True, "verbose": -1}
    return LGBMClassifier(random_state=random_state, **{**settings, **params})


@MODELS.register("logistic_regression")
def logistic_regression(random_state: int, **params: Any) -> Any:
    """Standardization then L2-regularized logistic regression (lbfgs, ``max_iter=2000``;
    ``params`` go to :class:`~sklearn.linear_model.LogisticRegression`)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    settings = {"max_iter": 2000, **params}
    return make_pipeline(
        StandardScaler(), LogisticRegression(random_state=random_state, **settings)
    )


@MODELS.register("dpsgd")
def dpsgd(random_state: int, **params: Any) -> Any:
    """Logistic regression (or an MLP: ``hidden``) trained with DP-SGD at ``epsilon`` (central
    DP of the model; :class:`fairldp.dpsgd.DPSGDClassifier`, Opacus; the extra ``dpsgd``)."""
    from fairldp.dpsgd import DPSGDClassifier

    return DPSGDClassifier(random_state=random_state, **params)


def _cell_bayes_class() -> type:
    """Build :class:`CellBayes` (scikit-learn is imported on first use, not when the DAG build
    imports this module to check model names)."""
    from sklearn.base import BaseEstimator, ClassifierMixin

    class CellBayes(ClassifierMixin, BaseEstimator):
        """The empirical Bayes classifier on discrete cells: each distinct row of ``X`` (a
        cell of the one-hot features, e.g. a value of ``(x, z)``) predicts the majority label
        of its training rows.

        ``predict_proba`` is the cell's training frequency of each class (the plug-in
        posterior); ``predict`` its most frequent class, the smaller class on a tie. For a
        binary label that is ``1`` iff the frequency of ``Y = 1`` exceeds 1/2 strictly: the
        tie rule of :func:`fairldp.theory.bayes_under_rr`, the population Bayes classifier
        under randomized response that this learner estimates (its predictions converge to
        that classifier's in every cell whose posterior is not 1/2). The chain's plain
        learners predict ``score >= 0.5``, so there an exact tie of a cell's counts predicts
        1, a chance that vanishes with the cell's size. A cell unseen in training gets the
        training frequencies. Vectorized (:func:`numpy.unique` over the rows);
        ``random_state`` is accepted for the factory's signature and unused (the classifier
        is deterministic).
        """

        def __init__(self, random_state: int | None = None) -> None:
            self.random_state = random_state

        def fit(self, X: Any, y: Any) -> Any:
            from sklearn.utils.multiclass import check_classification_targets
            from sklearn.utils.validation import validate_data

            X, y = validate_data(self, X, y, dtype=np.float64)
            check_classification_targets(y)
            self.classes_, codes = np.unique(y, return_inverse=True)
            c = len(self.classes_)
            X = np.ascontiguousarray(X)
            cell = self._encode(X, fit=True)
            counts = np.bincount(cell * c + codes.reshape(-1), minlength=self.n_cells_ * c)
            counts = counts.reshape(self.n_cells_, c).astype(np.float64)
            self.cell_count_ = counts.sum(axis=1)
            self.cell_proba_ = counts / self.cell_count_[:, None]
            self.prior_ = counts.sum(axis=0) / counts.sum()
            return self

        def _encode(self, X: np.ndarray, fit: bool = False) -> np.ndarray:
            """The cell of each row, ``0 .. n_cells_ - 1`` (-1: a cell unseen in training).
            Each column is coded by its sorted training values; the codes are combined in
            mixed radix, re-coded by their sorted distinct training keys whenever the next
            column could overflow int64, and at the end: 1-D sorts only (a row-wise
            ``np.unique(axis=0)`` is ten times slower)."""
            n, d = X.shape
            if fit:
                self.values_ = [np.unique(X[:, j]) for j in range(d)]
                self.recode_ = {}
            key = np.zeros(n, dtype=np.int64)
            seen = np.ones(n, dtype=bool)
            for j in range(d):
                values = self.values_[j]
                code = np.minimum(np.searchsorted(values, X[:, j]), len(values) - 1)
                seen &= values[code] == X[:, j]
                key = key * len(values) + code
                last = j == d - 1
                if fit and (last or (int(key.max()) + 1) * len(self.values_[j + 1]) >= 2**62):
                    self.recode_[j], key = np.unique(key, return_inverse=True)
                    key = key.reshape(-1).astype(np.int64)
                elif j in self.recode_:
                    known = self.recode_[j]
                    pos = np.minimum(np.searchsorted(known, key), len(known) - 1)
                    seen &= known[pos] == key
                    key = pos.astype(np.int64)
            if fit:
                self.n_cells_ = len(self.recode_[d - 1])
            return np.where(seen, key, -1)

        def predict_proba(self, X: Any) -> np.ndarray:
            from sklearn.utils.validation import check_is_fitted, validate_data

            check_is_fitted(self)
            X = validate_data(self, X, dtype=np.float64, reset=False)
            idx = self._encode(X)
            return np.where((idx >= 0)[:, None], self.cell_proba_[np.maximum(idx, 0)],
                            self.prior_[None, :])  # fmt: skip

        def predict(self, X: Any) -> np.ndarray:
            proba = self.predict_proba(X)  # checks that the classifier is fitted
            return self.classes_[np.argmax(proba, axis=1)]

    CellBayes.__module__ = __name__
    CellBayes.__qualname__ = "CellBayes"
    return CellBayes


def __getattr__(name: str) -> Any:
    """``CellBayes``, built once on first access (so that it pickles by reference)."""
    if name == "CellBayes":
        cls = _cell_bayes_class()
        globals()["CellBayes"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@MODELS.register("cell_bayes", label="cell Bayes classifier")
def cell_bayes(random_state: int, **params: Any) -> Any:
    """:class:`CellBayes`: the majority label of each cell of the (one-hot, discrete)
    features; on a discrete table with the protected attribute released by randomized
    response it estimates the classifier of :func:`fairldp.theory.bayes_under_rr`. No
    parameters."""
    return __getattr__("CellBayes")(random_state=random_state, **params)


def make_model(name: str, random_state: int, **params: Any) -> Any:
    """A fresh classifier ``name`` (registered in :data:`MODELS`) seeded with ``random_state``."""
    return MODELS.get(name)(random_state, **params)
