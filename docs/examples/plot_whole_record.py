"""
Whole-record LDP and its budget ledger
======================================

:func:`fairldp.ldp.privatize_record` releases a whole record (sensitive attributes, features
and label, each with its own mechanism) under one budget, split ``uniform``, ``k_based``,
``weighted`` or by ``sampling`` ``m`` of the ``d`` columns per user (Wang et al., ICDE 2019),
and records the spending in a ledger. This example releases seven columns of the vendored
Adult data under each split, prints the ledgers as one table and compares the server's
estimation errors.
"""

# %%
# The record
# ----------
# Columns are declared with :class:`fairldp.ldp.ColumnSpec`; categorical values are codes
# ``0..k-1``. ``weight`` is read by the ``weighted`` split only (sex counts three times).

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fairldp.datasets import get_dataset, load
from fairldp.ldp import RECORD_SPLITS, ColumnSpec, privatize_record

spec = get_dataset("adult")
df = load(spec.name)
columns = [
    ColumnSpec("sex", "categorical", "grr", k=2, weight=3.0),
    ColumnSpec("race", "categorical", "grr", k=5),
    ColumnSpec("age", "categorical", "adp", k=74),
    ColumnSpec("education", "categorical", "adp", k=16),
    ColumnSpec("occupation", "categorical", "adp", k=14),
    ColumnSpec("hours_per_week", "numeric", "hybrid", low=1, high=99),
    ColumnSpec("income", "label", "rr", k=2),
]
values = {c.name: (df[c.name].cat.codes.to_numpy() if c.kind == "categorical"
                   else df[c.name].to_numpy()) for c in columns}
print(f"{len(df)} users, {len(columns)} columns; budget splits: {RECORD_SPLITS}")

# %%
# One release per budget split, and the ledgers
# ---------------------------------------------
# ``ledger()`` says, per column, which mechanism released it (``adp`` resolved to its
# choice) and with which budget; under ``sampling`` a user reports each column with
# probability ``m / d``.
eps = 5.0
records = {split: privatize_record(values, columns, eps, split, seed=0, dataset="adult")
           for split in RECORD_SPLITS}
ledger = pd.DataFrame([
    {"split": split, "column": name, **entry}
    for split, rec in records.items()
    for name, entry in rec.ledger()["columns"].items()
])
ledger["report_probability"] = ledger["split"].map(
    {s: r.report_probability for s, r in records.items()})
ledger["k"] = ledger["k"].astype("Int64")
print(ledger.drop(columns="range").to_string(index=False, float_format="{:.3f}".format))

# %%
# What the server can estimate
# ----------------------------
# From each release: the frequencies of every categorical column (unbiased estimates,
# ``parts[name].estimate()``; L1 error against the true distribution) and the mean weekly
# hours (``estimate_mean`` of the numeric mechanism). Sampling spends more budget on fewer
# reports, which pays when ``d`` is large. The label is left out: under ``sampling`` the
# users who did not draw it get a uniform class, so its plain frequency estimate is biased.
errors = []
for split, rec in records.items():
    for c in columns:
        part = rec.parts[c.name]
        if c.kind == "categorical":
            truth = np.bincount(values[c.name], minlength=c.k) / len(df)
            err = np.abs(part.estimate() - truth).sum()
        elif c.kind == "numeric":
            err = abs(part.mechanism.estimate_mean(part.reports) - values[c.name].mean()) / 98
        else:
            continue
        errors.append({"split": split, "column": c.name, "error": err})
errors = pd.DataFrame(errors).pivot(index="column", columns="split", values="error")
print("L1 error of the frequencies (hours: |mean error| / range)")
print(errors[list(RECORD_SPLITS)].round(4).to_string())

# %%
# The figure
# ----------
# Left: the budget a user spends on each column in expectation, ``epsilon`` of the ledger
# times the report probability (under ``sampling`` a user spends ``eps / m`` on each of the
# ``m`` columns drawn); every bar adds up to the total. Right: the estimation errors above.
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
ledger["expected_spend"] = ledger["epsilon"] * ledger["report_probability"]
table = ledger.pivot(index="split", columns="column", values="expected_spend")
table = table.loc[list(RECORD_SPLITS)]
left = np.zeros(len(table))
for name in [c.name for c in columns]:
    axes[0].barh(table.index, table[name], left=left, label=name)
    left += table[name].to_numpy()
axes[0].axvline(eps, color="black", ls="--", lw=1)
axes[0].set_xlabel(f"expected epsilon spent per column (total {eps:g})")
axes[0].set_xlim(0, 1.45 * eps)
axes[0].legend(fontsize=7, loc="center right")
errors[list(RECORD_SPLITS)].plot.bar(ax=axes[1], logy=True, rot=30)
axes[1].set_ylabel("estimation error")
axes[1].legend(fontsize=8)
fig.tight_layout()
plt.show()
