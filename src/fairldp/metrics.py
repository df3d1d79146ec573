"""Utility and group-fairness metrics, computed on the TRUE protected attribute.

Fairness metrics use fairlearn (Weerts et al., JMLR 2023) and its names; for more than two
groups a difference is the largest gap between any two groups (fairlearn's ``between_groups``).

========================================  ===================================================
metric                                    definition
========================================  ===================================================
demographic_parity_difference             max_a P(Yhat=1 | A=a) - min_a P(Yhat=1 | A=a)
                                          (statistical parity difference, absolute)
demographic_parity_ratio                  min_a P(Yhat=1 | A=a) / max_a P(Yhat=1 | A=a)
                                          (disparate impact ratio)
equal_opportunity_difference              gap in true-positive rate
equalized_odds_difference                 max(gap in TPR, gap in FPR)
predictive_equality_difference            gap in false-positive rate
accuracy_difference                       gap in accuracy (overall accuracy equality)
========================================  ===================================================
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, roc_auc_score

__all__ = [
    "FAIRNESS_METRICS",
    "UTILITY_METRICS",
    "fairness_metrics",
    "utility_metrics",
]

UTILITY_METRICS = ("accuracy", "balanced_accuracy", "f1", "roc_auc")
FAIRNESS_METRICS = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equal_opportunity_difference",
    "equalized_odds_difference",
    "predictive_equality_difference",
    "accuracy_difference",
)


def utility_metrics(y_true: ArrayLike, y_pred: ArrayLike, y_score: ArrayLike) -> dict[str, float]:
    """Accuracy, balanced accuracy, F1 of the positive class, and ROC AUC from scores."""
    y_true = np.asarray(y_true)
    auc = roc_auc_score(y_true, y_score) if np.unique(y_true).size == 2 else float("nan")
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "f1": float(f1_score(y_true, y_pred, zero_division=0.0)),
        "roc_auc": float(auc),
    }


def fairness_table(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    sensitive: ArrayLike,
    by: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Group-fairness metrics for every combination of the control columns ``by``.

    One fairlearn ``MetricFrame`` of the per-group selection rate, TPR, FPR and accuracy, with
    ``by`` as its control features, gives all six metrics for all combinations at once (the
    numbers of fairlearn's ``demographic_parity_difference`` etc., at a fraction of the cost of
    one call per metric and combination). A rate that is undefined for some group (no
    positives, or no negatives, in it) makes the metrics that use it NaN rather than a silently
    wrong number. Returns one row per combination (index: the ``by`` columns).
    """
    from fairlearn.metrics import (
        MetricFrame,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    sensitive = np.asarray(sensitive)
    if by is None:
        by = pd.DataFrame({"_all": np.zeros(y_true.size, dtype=np.int8)})
    # one control column of combination codes: MetricFrame would otherwise evaluate the whole
    # Cartesian product of the control columns' levels, most of which do not occur
    combos = pd.MultiIndex.from_frame(by.reset_index(drop=True))
    codes, uniques = combos.factorize(sort=True)
    control = pd.Series(codes, name="_combo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mf = MetricFrame(
            metrics={
                "sel": selection_rate,
                "tpr": true_positive_rate,
                "fpr": false_positive_rate,
                "acc": accuracy_score,
            },
            y_true=y_true,
            y_pred=y_pred,
            sensitive_features=sensitive,
            control_features=control,
        )
        diff = mf.difference(method="between_groups")
        ratio = mf.ratio(method="between_groups")
    # rates undefined for some group: every group of a combination needs positives and negatives
    counts = pd.DataFrame({"c": codes, "g": sensitive, "pos": y_true == 1, "neg": y_true == 0})
    per_group = counts.groupby(["c", "g"], observed=True)[["pos", "neg"]].sum() > 0
    defined = per_group.groupby(level="c").all().reindex(diff.index, fill_value=False)
    tpr = diff["tpr"].where(defined["pos"])
    fpr = diff["fpr"].where(defined["neg"])
    out = pd.DataFrame(
        {
            "demographic_parity_difference": diff["sel"],
            "demographic_parity_ratio": ratio["sel"],
            "equal_opportunity_difference": tpr,
            "equalized_odds_difference": np.fmax(tpr, fpr).where(tpr.notna() & fpr.notna()),
            "predictive_equality_difference": fpr,
            "accuracy_difference": diff["acc"],
        }
    )
    out.index = uniques[out.index.to_numpy()].set_names(list(by.columns))
    return out.astype("float64")


def fairness_metrics(
    y_true: ArrayLike, y_pred: ArrayLike, sensitive: ArrayLike
) -> dict[str, float]:
    """Group-fairness metrics of predictions ``y_pred`` with respect to ``sensitive``
    (see :func:`fairness_table`)."""
    row = fairness_table(y_true, y_pred, sensitive).iloc[0]
    return {k: float(v) for k, v in row.items()}
