"""Attribute leakage: how well the TRUE sensitive attribute can be recovered from a representation.

Evaluation-side only: this reads the true attribute ``A`` (never available to a private
pipeline) to audit a representation ``R``. An attacker classifier is trained on
``(R_train, a_train)`` and scored on ``(R_test, a_test)``; a representation that hides ``A``
leaves the attacker at the majority-class baseline (accuracy) and at 0.5 (AUC, balanced
accuracy ``1/k``).

Attackers: ``"logistic"`` (standardized features, multinomial L2 logistic regression; detects
linear leakage, the target of correlation removal) and ``"hgb"`` (scikit-learn's
HistGradientBoostingClassifier with early stopping on a 10% validation split whatever ``n``,
so that on a representation independent of ``A`` it stops near the constant majority rule
instead of overfitting noise to below-baseline accuracy; non-linear leakage). AUC is
``roc_auc_score`` of the positive-class score for 2 groups and, for ``k > 2``, the macro
average of the one-vs-rest AUCs over the groups with both classes in the test split.

:func:`cross_fitted_leakage` is the audit of a representation whose map was fitted on other
rows: the attacker is fitted on ``n_splits - 1`` folds of held-out rows and scored on the
remaining fold, for every fold (Chernozhukov et al. 2018's cross-fitting), so every row is
scored by an attacker that never saw it and all rows went through the same, out-of-sample map.
An attacker trained on the map's own (in-sample) rows learns the in-sample artefacts of the
map (a repair that makes the training groups exactly equal in distribution) and can score
BELOW 0.5 on held-out rows; cross-fitted, 0.5 means no leakage.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = ["attribute_leakage", "cross_fitted_leakage"]


def _check(R: ArrayLike, a: ArrayLike, name: str) -> tuple[NDArray[np.float64], NDArray[Any]]:
    try:
        Ra = np.asarray(R, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"R_{name} must be numeric: {e}") from e
    if Ra.ndim == 1:
        Ra = Ra[:, None]
    if Ra.ndim != 2 or Ra.shape[0] == 0 or Ra.shape[1] == 0:
        raise ValueError(f"R_{name} must be a non-empty 2-D array, got shape {Ra.shape}")
    if not np.all(np.isfinite(Ra)):
        raise ValueError(f"R_{name} contains NaN or infinite values")
    aa = np.asarray(a)
    if aa.ndim != 1 or aa.shape[0] != Ra.shape[0]:
        raise ValueError(
            f"a_{name} must be 1-D with {Ra.shape[0]} entries (rows of R_{name}), got {aa.shape}"
        )
    if aa.dtype.kind == "f" and not np.all(np.isfinite(aa)):
        raise ValueError(f"a_{name} contains NaN or infinite values")
    if aa.dtype == object and bool(pd.isna(aa).any()):
        raise ValueError(f"a_{name} contains missing values")
    return Ra, aa


def attribute_leakage(
    R_train: ArrayLike,
    a_train: ArrayLike,
    R_test: ArrayLike,
    a_test: ArrayLike,
    random_state: int | None = 0,
    model: Literal["logistic", "hgb"] = "logistic",
) -> dict[str, float]:
    """Train an attacker for the true attribute on ``R_train``; score it on ``R_test``.

    Returns ``accuracy``, ``balanced_accuracy``, ``baseline_accuracy`` (share of the training
    majority group in the test split), ``accuracy_se`` (binomial SE at the baseline,
    ``sqrt(b (1 - b) / n_test)``: the scale of chance deviations), ``auc``, ``advantage``
    (``accuracy - baseline_accuracy``), ``n_test`` and ``n_groups``.
    """
    Rtr, atr = _check(R_train, a_train, "train")
    Rte, ate = _check(R_test, a_test, "test")
    if Rtr.shape[1] != Rte.shape[1]:
        raise ValueError(f"R_train has {Rtr.shape[1]} columns but R_test has {Rte.shape[1]}")
    labels, ytr = np.unique(atr, return_inverse=True)
    if labels.size < 2:
        raise ValueError("a_train must contain at least 2 distinct groups")
    lookup = {v: i for i, v in enumerate(labels.tolist())}
    try:
        yte = np.fromiter((lookup[v] for v in ate.tolist()), dtype=np.int64, count=ate.size)
    except KeyError as e:
        raise ValueError(f"a_test holds group {e.args[0]!r} not seen in a_train") from e

    if model == "logistic":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        clf: Any = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    elif model == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        clf = HistGradientBoostingClassifier(early_stopping=True, random_state=random_state)
    else:
        raise ValueError(f"model must be 'logistic' or 'hgb', got {model!r}")
    clf.fit(Rtr, ytr)
    proba = clf.predict_proba(Rte)
    majority = int(np.argmax(np.bincount(ytr, minlength=labels.size)))
    return _attack_summary(yte, proba, float(np.mean(yte == majority)))


def _attack_summary(y: NDArray[np.int64], proba: NDArray[np.float64], base: float
                    ) -> dict[str, float]:  # fmt: skip
    """The attacker's metrics from its scores ``proba`` (n, k) of the true groups ``y``
    (codes), with ``base`` the accuracy of the majority rule (see :func:`attribute_leakage`)."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score

    k = proba.shape[1]
    pred = np.argmax(proba, axis=1)
    if k == 2:
        auc = float(roc_auc_score(y, proba[:, 1])) if np.unique(y).size == 2 else np.nan
    else:
        aucs = [roc_auc_score(y == c, proba[:, c]) for c in range(k)
                if 0 < np.count_nonzero(y == c) < y.size]  # fmt: skip
        auc = float(np.mean(aucs)) if aucs else np.nan
    acc = float(accuracy_score(y, pred))
    return {
        "accuracy": acc,
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
        "baseline_accuracy": base,
        "accuracy_se": float(np.sqrt(base * (1.0 - base) / y.size)),
        "advantage": acc - base,
        "auc": auc,
        "n_test": float(y.size),
        "n_groups": float(k),
    }


def _attacker(model: str, random_state: int | None) -> Any:
    if model == "logistic":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    if model == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(early_stopping=True, random_state=random_state)
    raise ValueError(f"model must be 'logistic' or 'hgb', got {model!r}")


def cross_fitted_leakage(
    R: ArrayLike,
    a: ArrayLike,
    n_splits: int = 5,
    random_state: int | None = 0,
    model: Literal["logistic", "hgb"] = "logistic",
) -> dict[str, float]:
    """Attacker for the true attribute ``a`` from ``R``, cross-fitted over ``n_splits``
    stratified folds of these rows: every row is scored by an attacker fitted on the other
    folds; the metrics are computed on the pooled out-of-fold scores.

    ``R`` must come from a map fitted on OTHER rows (e.g. the test rows of a representation
    fitted on the training rows). Returns the keys of :func:`attribute_leakage`, with
    ``baseline_accuracy`` the share of the majority group and ``n_test`` the number of rows.
    """
    from sklearn.model_selection import StratifiedKFold

    Ra, aa = _check(R, a, "test")
    labels, y = np.unique(aa, return_inverse=True)
    if labels.size < 2:
        raise ValueError("a must contain at least 2 distinct groups")
    counts = np.bincount(y, minlength=labels.size)
    if not isinstance(n_splits, int | np.integer) or n_splits < 2:
        raise ValueError(f"n_splits must be an integer >= 2, got {n_splits!r}")
    # a group with fewer rows than folds is missing from some folds (scikit-learn warns); the
    # attacker of such a fold gives it probability 0: the same folds for every table
    folds = int(n_splits)
    k = labels.size
    proba = np.zeros((y.size, k))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        splits = list(cv.split(Ra, y))
    if any(np.unique(y[fit]).size < 2 for fit, _ in splits):
        raise ValueError(f"{y.size} rows cannot be cross-fitted over {folds} folds: a training "
                         "fold would hold one group only")  # fmt: skip
    for fit, score in splits:
        clf = _attacker(model, random_state)
        clf.fit(Ra[fit], y[fit])
        p = clf.predict_proba(Ra[score])
        proba[np.ix_(score, np.asarray(clf.classes_))] = p
    return _attack_summary(y, proba, float(counts.max() / y.size))
