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
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = ["attribute_leakage"]


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
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score

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
    pred = np.argmax(proba, axis=1)

    k = labels.size
    majority = int(np.argmax(np.bincount(ytr, minlength=k)))
    base = float(np.mean(yte == majority))
    if k == 2:
        auc = float(roc_auc_score(yte, proba[:, 1])) if np.unique(yte).size == 2 else np.nan
    else:
        aucs = [
            roc_auc_score(yte == c, proba[:, c])
            for c in range(k)
            if 0 < np.count_nonzero(yte == c) < yte.size
        ]
        auc = float(np.mean(aucs)) if aucs else np.nan
    acc = float(accuracy_score(yte, pred))
    return {
        "accuracy": acc,
        "balanced_accuracy": float(balanced_accuracy_score(yte, pred)),
        "baseline_accuracy": base,
        "accuracy_se": float(np.sqrt(base * (1.0 - base) / yte.size)),
        "advantage": acc - base,
        "auc": auc,
        "n_test": float(yte.size),
        "n_groups": float(k),
    }
