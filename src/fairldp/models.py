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

from fairldp.registry import Registry

__all__ = ["MODELS", "make_model"]

#: model name -> factory ``(random_state, **params) -> classifier``
MODELS: Registry[Callable[..., Any]] = Registry("model")


@MODELS.register("lightgbm")
def lightgbm(random_state: int, **params: Any) -> Any:
    """LightGBM gradient boosting (Ke et al., NeurIPS 2017) with its default hyper-parameters
    (overridden by ``params``), one thread and ``deterministic=True`` so that results do not
    depend on the machine's core count."""
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


def make_model(name: str, random_state: int, **params: Any) -> Any:
    """A fresh classifier ``name`` (registered in :data:`MODELS`) seeded with ``random_state``."""
    return MODELS.get(name)(random_state, **params)
