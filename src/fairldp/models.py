"""The classifiers trained by studies, built with reproducible seeds."""

from __future__ import annotations

from sklearn.base import ClassifierMixin

__all__ = ["MODELS", "make_model"]

MODELS = ("lightgbm", "logistic_regression")


def make_model(name: str, random_state: int) -> ClassifierMixin:
    """A fresh classifier.

    - ``lightgbm``: LightGBM gradient boosting (Ke et al., NeurIPS 2017) with its default
      hyper-parameters, one thread and ``deterministic=True`` so that results do not depend on
      the machine's core count;
    - ``logistic_regression``: standardization then L2-regularized logistic regression (lbfgs).
    """
    if name == "lightgbm":
        from lightgbm import LGBMClassifier

        return LGBMClassifier(
            random_state=random_state,
            n_jobs=1,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        )
    if name == "logistic_regression":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=2000, random_state=random_state)
        )
    raise ValueError(f"model must be one of {list(MODELS)}, got {name!r}")
