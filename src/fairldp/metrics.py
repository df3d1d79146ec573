"""Utility and group-fairness metrics, vectorized over every combination of control columns.

Every metric is an entry of :data:`METRICS` (:class:`Metric`: name, kind, label, the value a
perfectly fair model reaches, and the formula on counts). Fairness metrics use fairlearn's
definitions and names (Weerts et al., JMLR 2023); for more than two groups a difference is the
largest gap between any two groups (fairlearn's ``method="between_groups"``).

========================================  ===================================================
metric                                    definition
========================================  ===================================================
accuracy                                  (TP + TN) / n
balanced_accuracy                         (TPR + TNR) / 2
f1                                        2 TP / (2 TP + FP + FN) (0 if undefined)
roc_auc                                   Mann-Whitney statistic of the scores
demographic_parity_difference             max_a P(Yhat=1 | A=a) - min_a P(Yhat=1 | A=a)
                                          (statistical parity difference, absolute)
demographic_parity_ratio                  min_a P(Yhat=1 | A=a) / max_a P(Yhat=1 | A=a)
                                          (disparate impact ratio)
equal_opportunity_difference              gap in true-positive rate
equalized_odds_difference                 max(gap in TPR, gap in FPR)
predictive_equality_difference            gap in false-positive rate
accuracy_difference                       gap in accuracy (overall accuracy equality)
========================================  ===================================================

A rate that is undefined for some group (no positives, or no negatives, in it) makes the
metrics that use it NaN rather than a silently wrong number. A new metric is one registered
:class:`Metric` whose ``formula`` maps the counts table to one value per combination.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from fairldp.registry import Registry

__all__ = [
    "FAIRNESS_METRICS",
    "METRICS",
    "UTILITY_METRICS",
    "Metric",
    "fairness_metrics",
    "fairness_table",
    "utility_metrics",
    "utility_table",
]


@dataclass(frozen=True)
class Metric:
    """One metric of the metrics table.

    ``kind``: ``utility`` (``formula`` maps per-combination counts ``n, pos, neg, tp, tn, fp,
    fn, rpos`` to a Series), ``fairness`` (``formula`` maps the per-(combination, group) rates
    ``sel, tpr, fpr, acc`` to a Series) or ``leakage`` (computed by the leakage audit).
    ``fair_value``: the value of a perfectly fair model (0 for differences, 1 for ratios),
    None for utility.
    """

    name: str
    kind: str
    label: str
    formula: Callable[[pd.DataFrame], pd.Series] | None = None
    fair_value: float | None = None


#: metric name -> :class:`Metric`
METRICS: Registry[Metric] = Registry("metric")


def metric(name: str, kind: str, label: str, fair_value: float | None = None) -> Callable:
    """Decorator registering ``formula`` as the :class:`Metric` ``name``."""

    def add(formula: Callable[[pd.DataFrame], pd.Series]) -> Callable[[pd.DataFrame], pd.Series]:
        METRICS.register(name, Metric(name, kind, label, formula, fair_value))
        return formula

    return add


def _div(num: pd.Series, den: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den.where(den > 0)


# ----- utility: from per-combination counts ---------------------------------------------------


@metric("accuracy", "utility", "Accuracy")
def _accuracy(c: pd.DataFrame) -> pd.Series:
    return (c["tp"] + c["tn"]) / c["n"]


@metric("balanced_accuracy", "utility", "Balanced accuracy")
def _balanced_accuracy(c: pd.DataFrame) -> pd.Series:
    return (_div(c["tp"], c["pos"]) + _div(c["tn"], c["neg"])) / 2


@metric("f1", "utility", "F1")
def _f1(c: pd.DataFrame) -> pd.Series:
    return _div(2 * c["tp"], 2 * c["tp"] + c["fp"] + c["fn"]).fillna(0.0)


@metric("roc_auc", "utility", "ROC AUC")
def _roc_auc(c: pd.DataFrame) -> pd.Series:
    """``(R+ - n+(n+ + 1)/2) / (n+ n-)``, ``R+`` the positives' mid-rank sum (scikit-learn's
    ``roc_auc_score``); NaN with one class only."""
    return _div(c["rpos"] - c["pos"] * (c["pos"] + 1) / 2, c["pos"] * c["neg"])


# ----- fairness: from per-(combination, group) rates ------------------------------------------


def _gap(rates: pd.DataFrame, rate: str) -> pd.Series:
    """max - min over groups of ``rate`` per combination; NaN if any group's rate is."""
    g = rates[rate].groupby(level="c", sort=True)
    return (g.max() - g.min()).mask(rates[rate].isna().groupby(level="c", sort=True).any())


@metric("demographic_parity_difference", "fairness", "Statistical parity diff.", 0.0)
def _dp_difference(r: pd.DataFrame) -> pd.Series:
    return _gap(r, "sel")


@metric("demographic_parity_ratio", "fairness", "Disparate impact ratio", 1.0)
def _dp_ratio(r: pd.DataFrame) -> pd.Series:
    g = r["sel"].groupby(level="c", sort=True)
    return _div(g.min(), g.max())


@metric("equal_opportunity_difference", "fairness", "Equal opportunity diff.", 0.0)
def _eop_difference(r: pd.DataFrame) -> pd.Series:
    return _gap(r, "tpr")


@metric("equalized_odds_difference", "fairness", "Equalized odds diff.", 0.0)
def _eo_difference(r: pd.DataFrame) -> pd.Series:
    tpr, fpr = _gap(r, "tpr"), _gap(r, "fpr")
    return np.fmax(tpr, fpr).where(tpr.notna() & fpr.notna())


@metric("predictive_equality_difference", "fairness", "Predictive equality diff.", 0.0)
def _pe_difference(r: pd.DataFrame) -> pd.Series:
    return _gap(r, "fpr")


@metric("accuracy_difference", "fairness", "Accuracy diff.", 0.0)
def _accuracy_difference(r: pd.DataFrame) -> pd.Series:
    return _gap(r, "acc")


# ----- leakage: computed by fairldp.audits (attacker models), registered for labels -----------

for _name, _label in (
    ("leakage_auc", "Leakage AUC of A (representation)"),
    ("leakage_accuracy", "Leakage accuracy of A (representation)"),
    ("leakage_baseline_accuracy", "Majority-class accuracy of A"),
    ("leakage_auc_numeric", "Leakage AUC of A (numeric features)"),
    ("leakage_accuracy_numeric", "Leakage accuracy of A (numeric features)"),
):
    METRICS.register(_name, Metric(_name, "leakage", _label))


def _names(kind: str) -> tuple[str, ...]:
    return tuple(n for n in METRICS.names() if METRICS.get(n).kind == kind)


#: the built-in metrics of each kind, in table order
UTILITY_METRICS = _names("utility")
FAIRNESS_METRICS = _names("fairness")


def _combinations(by: pd.DataFrame | None, n: int) -> tuple[np.ndarray, pd.MultiIndex]:
    """Code of each row's combination of the control columns (in sorted order of the
    combinations), and the combinations (named). One groupby: a MultiIndex of millions of rows
    would be materialised as tuples."""
    if by is None:
        by = pd.DataFrame({"_all": np.zeros(n, dtype=np.int8)})
    by = by.reset_index(drop=True)
    codes = by.groupby(list(by.columns), sort=True, dropna=False, observed=True).ngroup()
    codes = codes.to_numpy(np.int64)
    first = np.full(int(codes.max()) + 1 if codes.size else 0, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)  # first row of each combination
    return codes, pd.MultiIndex.from_frame(by.iloc[first])


def _table(values: dict[str, pd.Series], uniques: pd.MultiIndex) -> pd.DataFrame:
    """One row per combination present (index: the control columns)."""
    out = pd.DataFrame(values)
    out.index = uniques[out.index.to_numpy()]
    return out.astype("float64")


def utility_table(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    y_score: ArrayLike,
    by: pd.DataFrame | None = None,
    metrics: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Utility metrics (default: every registered one) for every combination of the control
    columns ``by``, from per-combination confusion counts and score ranks in one pass."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    combo, uniques = _combinations(by, y_true.size)
    pos, hat = y_true == 1, y_pred == 1
    rank = pd.Series(np.asarray(y_score, dtype=float)).groupby(combo).rank(method="average")
    per_row = pd.DataFrame({"c": combo, "n": 1, "pos": pos, "tp": pos & hat, "tn": ~pos & ~hat,
                            "fp": ~pos & hat, "rpos": rank.to_numpy() * pos})  # fmt: skip
    c = per_row.groupby("c", sort=True).sum()
    c["neg"] = c["n"] - c["pos"]
    c["fn"] = c["pos"] - c["tp"]
    names = metrics or UTILITY_METRICS
    return _table({m: METRICS.get(m).formula(c) for m in names}, uniques)


def fairness_table(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    sensitive: ArrayLike,
    by: pd.DataFrame | None = None,
    metrics: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Group-fairness metrics (default: every registered one) for every combination of the
    control columns ``by``, from per-(combination, group) confusion counts in one vectorized
    pass (fairlearn's ``MetricFrame`` calls each metric once per group and combination: 44 s
    for one dataset of the default study, against milliseconds here; the tests check the
    numbers against fairlearn's own functions). One row per combination."""
    y_true, y_pred, sensitive = np.asarray(y_true), np.asarray(y_pred), np.asarray(sensitive)
    if not (y_true.shape == y_pred.shape == sensitive.shape) or y_true.ndim != 1:
        raise ValueError("y_true, y_pred and sensitive must be 1-D arrays of the same length")
    combo, uniques = _combinations(by, y_true.size)
    group = pd.factorize(sensitive, sort=True)[0]
    pos, hat = y_true == 1, y_pred == 1
    per_row = pd.DataFrame({"c": combo, "g": group, "n": 1, "pos": pos, "neg": ~pos, "sel": hat,
                            "tp": pos & hat, "fp": ~pos & hat, "ok": y_true == y_pred})  # fmt: skip
    counts = per_row.groupby(["c", "g"], sort=True).sum()
    rates = pd.DataFrame({
        "sel": counts["sel"] / counts["n"],
        "tpr": _div(counts["tp"], counts["pos"]),
        "fpr": _div(counts["fp"], counts["neg"]),
        "acc": counts["ok"] / counts["n"],
    })  # fmt: skip
    names = metrics or FAIRNESS_METRICS
    return _table({m: METRICS.get(m).formula(rates) for m in names}, uniques)


def utility_metrics(y_true: ArrayLike, y_pred: ArrayLike, y_score: ArrayLike) -> dict[str, float]:
    """The utility metrics of one set of predictions (see :func:`utility_table`)."""
    row = utility_table(y_true, y_pred, y_score).iloc[0]
    return {k: float(v) for k, v in row.items()}


def fairness_metrics(
    y_true: ArrayLike, y_pred: ArrayLike, sensitive: ArrayLike
) -> dict[str, float]:
    """Group-fairness metrics of predictions ``y_pred`` with respect to ``sensitive``
    (see :func:`fairness_table`)."""
    row = fairness_table(y_true, y_pred, sensitive).iloc[0]
    return {k: float(v) for k, v in row.items()}
