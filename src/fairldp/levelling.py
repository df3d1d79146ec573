"""Levelling-down audit: does a fair learner reach its fairness by making some group worse?

Enforcing parity can equalize groups by lowering the better-off group's rates rather than
raising the worse-off one's ("levelling down": Mittelstadt, Wachter & Russell, "The unfairness
of fair machine learning: levelling down and strict egalitarianism by default", 2023; Zhang et
al., CHIL 2022, in medical imaging). In medicine a lower sensitivity is a missed diagnosis, so
the audit compares every learner, group by group, with an unconstrained ``reference`` learner
of the same cell (dataset, privatizer, epsilon, budget split, representation, amount):

    delta[g, r] = r_g(learner) - r_g(reference)        per seed (paired), then
    mean and SE = sd / sqrt(n) over the seeds,

for the per-group rates ``r`` of the ``group_rates`` audit (:func:`fairldp.metrics.group_table`)
on the TRUE groups and the clean labels. A group is made *worse* when its rate moved the bad
way by more than ``z`` standard errors (``better * mean + z * se < 0``, ``better`` = +1 for
rates where larger is better, -1 for error rates). The learner *levels down* in a cell when
some group is made worse on some rate; *strictly* when every group is made worse on it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["BETTER", "CELL", "RATES", "levelling_down"]

#: the rates audited by default
RATES = ("sensitivity", "specificity", "positive_predictive_value", "negative_predictive_value")
#: +1 where a larger rate is better for the group, -1 where a smaller one is
BETTER = {
    "sensitivity": 1, "specificity": 1, "positive_predictive_value": 1,
    "negative_predictive_value": 1, "group_accuracy": 1, "selection_rate": 1,
    "false_negative_rate": -1, "false_positive_rate": -1, "expected_calibration_error": -1,
}  # fmt: skip
#: the columns that identify the cell a learner and its reference are compared in
CELL = ["dataset", "attribute", "bias_rate", "privatizer", "protocol", "budget_split",
        "epsilon", "representation", "kind", "amount"]  # fmt: skip
#: the columns of the audit table
COLUMNS = [*CELL, "learner", "reference", "group", "metric", "value", "reference_value",
           "change", "se", "n_seeds", "worse", "levelled_down", "strictly"]  # fmt: skip


def levelling_down(
    metrics: pd.DataFrame,
    reference: str,
    rates: Sequence[str] = RATES,
    z: float = 2.0,
    reference_representation: str | None = None,
) -> pd.DataFrame:
    """The audit table (:data:`COLUMNS`) of every learner of ``metrics`` (the tidy metrics
    table, with ``group_rates`` rows) against the ``reference`` learner: per cell, learner,
    group and rate, the mean rate of both (``value``, ``reference_value``), the paired
    ``change`` and its ``se`` over ``n_seeds`` seeds, ``worse`` (the group made worse),
    ``levelled_down`` (some group of the cell and learner made worse on the rate) and
    ``strictly`` (every group).

    ``reference_representation``: the reference is the ``reference`` learner on that
    representation (e.g. ``identity``), and every other row of the cell -- other
    representations and their amounts too -- is compared with it (a fair representation
    audited against the unconstrained model on the released features)."""
    unknown = [r for r in rates if r not in BETTER]
    if unknown:
        raise ValueError(f"no direction known for {unknown}; audited rates: {list(BETTER)}")
    rows = metrics[(metrics["audit"] == "group_rates") & metrics["metric"].isin(list(rates))]
    if rows.empty:
        raise ValueError("no per-group rates: add the audit 'group_rates' to the study")
    learners = set(rows["learner"].dropna())
    if reference not in learners:
        raise ValueError(f"the reference learner {reference!r} has no per-group rates; "
                         f"learners with some: {sorted(learners)}")  # fmt: skip
    is_ref = rows["learner"].eq(reference).to_numpy(bool, copy=True)
    cell = CELL
    if reference_representation is not None:
        is_ref = is_ref & rows["representation"].eq(reference_representation).to_numpy(bool)
        if not is_ref.any():
            raise ValueError(f"the reference learner {reference!r} has no per-group rates on "
                             f"representation {reference_representation!r}")  # fmt: skip
        cell = [c for c in CELL if c not in ("representation", "kind", "amount")]
    keys = [*cell, "group", "metric", "seed"]
    if "bias_rate" not in rows.columns:  # a table of a study without label bias, before 0.x
        rows = rows.assign(bias_rate=np.nan)
    # NaN stands for "not applicable" in these columns: a sentinel, so that it matches itself
    rows = rows.assign(amount=rows["amount"].fillna(-1.0), bias_rate=rows["bias_rate"].fillna(-1.0))
    ref = rows[is_ref][[*keys, "value"]]
    ref = ref.rename(columns={"value": "reference_value"})
    pairs = rows[~is_ref].merge(ref, on=keys, how="inner")
    pairs["change"] = pairs["value"] - pairs["reference_value"]
    g = pairs.groupby([*CELL, "learner", "group", "metric"], dropna=False, observed=True)
    out = g.agg(value=("value", "mean"), reference_value=("reference_value", "mean"),
                change=("change", "mean"), sd=("change", "std"),
                n_seeds=("change", "count")).reset_index()  # fmt: skip
    out["se"] = (out["sd"] / np.sqrt(out["n_seeds"])).fillna(0.0)
    better = out["metric"].map(BETTER).to_numpy(float)
    out["worse"] = (better * out["change"] + z * out["se"] < 0).to_numpy()
    by = [*CELL, "learner", "metric"]
    grouped = out.groupby(by, dropna=False, observed=True)["worse"]
    out["levelled_down"] = grouped.transform("any").astype(bool)
    out["strictly"] = grouped.transform("all").astype(bool)
    out["reference"] = reference
    out["amount"] = out["amount"].replace(-1.0, np.nan)
    out["bias_rate"] = out["bias_rate"].replace(-1.0, np.nan)
    return out[COLUMNS].reset_index(drop=True)
