"""
Plugging a new fair method into the registry
============================================

Every name of a study file is an entry of a :class:`fairldp.registry.Registry`. This example
registers a small fair method in :data:`fairldp.fair.METHODS` (one score threshold per
decoded group, so that every group gets the same positive rate), uses it by name beside the
built-in methods on the vendored Adult data with sex released by GRR, and shows that a study
naming it loads with :func:`fairldp.config.load_study` and is planned by
:class:`fairldp.plan.Plan` (nothing is run).
"""

# %%
# The method
# ----------
# A fair method subclasses :class:`fairldp.fair.methods.FairMethod` (scikit-learn estimator,
# ``fit(X, y, *, sensitive_features=z)``) and implements its two hooks, ``_fit(X, y, z)`` and
# ``_proba1(X, z)``; constructor arguments after the first three are the parameters a study
# may set. ``replace=True`` lets the example run twice in one session.

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import yaml
from threadpoolctl import threadpool_limits

from fairldp.config import ConfigError, load_study
from fairldp.datasets import get_dataset, load, stratified_split
from fairldp.fair import METHODS, NoiseModel
from fairldp.fair.methods import FairMethod, base_estimator, make_method
from fairldp.ldp import get_protocol
from fairldp.metrics import fairness_table
from fairldp.plan import Plan
from fairldp.representations import Layout, encode
from fairldp.rng import make_rng


@METHODS.register("group_quantile", replace=True, needs_noise_model=False, uses_groups=True)
class GroupQuantile(FairMethod):
    """The base model's score thresholded, per decoded group, at the quantile that gives the
    group the positive rate ``rate`` (default: the training base rate)."""

    def __init__(self, noise_model=None, base_model="logistic_regression", random_state=None,
                 rate=None):
        super().__init__(noise_model, base_model, random_state)
        self.rate = rate

    def _fit(self, X, y, z):
        self.model_ = base_estimator(self.base_model, self.random_state).fit(X, y)
        score = self.model_.predict_proba(X)[:, 1]
        rate = float(np.mean(y)) if self.rate is None else float(self.rate)
        self.thresholds_ = np.array([np.quantile(score[z == g], 1 - rate) if np.any(z == g)
                                     else 0.5 for g in range(self.k_)])

    def _proba1(self, X, z):
        return (self.model_.predict_proba(X)[:, 1] > self.thresholds_[z]).astype(float)


print("registered:", "group_quantile" in METHODS, METHODS.meta("group_quantile"))

# %%
# Used like the built-in methods
# ------------------------------
# A random tenth of Adult, sex released by GRR at ``epsilon = 2``; every method is built by
# name with ``make_method`` and scored on the TRUE sex of the test rows, over 5 seeds.
spec = get_dataset("adult")
df = load(spec.name)
df = df.iloc[make_rng(0, "example", "plugin", "rows").permutation(len(df))[:4500]]
layout = Layout(categorical=tuple(c.name for c in spec.categorical), numeric=spec.numeric,
                reports={}, group=None)
X = encode(df, layout).to_numpy(np.float64)
y = df[spec.target].to_numpy(np.int64)
a = df[spec.protected].cat.codes.to_numpy()
grr = get_protocol("grr", 2.0, 2)
noise = NoiseModel(grr)
methods = ["plain", "group_quantile", "threshold_dp", "corrected_threshold_dp"]
preds = []
with threadpool_limits(limits=1):  # one BLAS thread, as the pipeline's jobs
    for seed in range(5):
        test = stratified_split(df[[spec.target, spec.protected]], 0.3, seed, "adult")
        rng = make_rng(seed, "example", "plugin")
        z = noise.decode(grr.perturb(a, rng), rng=rng)
        for method in methods:
            est = make_method(method, noise, "logistic_regression", random_state=seed)
            est.fit(X[~test], y[~test], sensitive_features=z[~test])
            pred = est.predict(X[test], sensitive_features=z[test])
            preds.append(pd.DataFrame({"method": method, "seed": seed, "y": y[test],
                                       "a": a[test], "z": z[test], "pred": pred}))
preds = pd.concat(preds, ignore_index=True)
# one pass per group column: the metric for every (method, seed) of the control columns
dp, by = "demographic_parity_difference", preds[["method", "seed"]]
per_seed = pd.DataFrame({
    "accuracy": (preds["y"] == preds["pred"]).groupby([preds["method"], preds["seed"]]).mean(),
    "dp_true": fairness_table(preds["y"], preds["pred"], preds["a"], by=by, metrics=(dp,))[dp],
    "dp_decoded": fairness_table(preds["y"], preds["pred"], preds["z"], by=by, metrics=(dp,))[dp],
})
results = per_seed.groupby("method")
summary = results.mean().join(results.sem().add_suffix("_se")).loc[methods]
print(summary.round(3).to_string())

# %%
# A study file that names it
# --------------------------
# The study is given as YAML text (a file would do the same). In a pipeline run the module
# that registers the method is listed under ``plugins:`` so that every job imports it; here
# it is registered in this session already.
study_text = """
study: plugin_example
results: results/plugin_example
datasets: [adult]
seeds: [0, 1, 2]
epsilons: [1, 4]
privatizers:
  grr_group: {protocol: grr, attributes: group, test: privatized}
learners:
  lr: {method: plain}
  quantile: {method: group_quantile, params: {rate: 0.3}}
  corrected: {method: corrected_threshold_dp}
audits: [utility, fairness_true]
"""
study = load_study(yaml.safe_load(study_text))
plan = Plan(study)
jobs = pd.DataFrame([
    {"dataset": cell.dataset, "privatizer": cell.privatizer, "epsilon": cell.eps,
     "representation": rep, "learner": learner, "block": block, "seeds": seeds}
    for (cell, rep, learner, block), seeds in plan.learn().items()
])
print(f"{len(plan.privatize())} release jobs, {len(jobs)} learn jobs; those of the plug-in:")
print(jobs[jobs["learner"] == "quantile"].to_string(index=False))
print("its parameters in the plan:", plan.learner_params("quantile"))

# %%
# Names are checked before any job runs: a misspelt method is refused with the closest
# registered name.
try:
    load_study(yaml.safe_load(study_text.replace("group_quantile", "group_quantil")))
except ConfigError as err:
    print("ConfigError:", str(err)[:110], "...")

# %%
# The figure
# ----------
# The plug-in and the naive thresholds equalize the decoded groups, not the true ones; the
# noise-corrected method of the package reduces the gap on the true sex.
fig, ax = plt.subplots(figsize=(6.5, 3.4))
x = np.arange(len(summary))
ax.bar(x - 0.2, summary["dp_true"], 0.4, yerr=summary["dp_true_se"], capsize=3,
       label="on the true sex")
ax.bar(x + 0.2, summary["dp_decoded"], 0.4, yerr=summary["dp_decoded_se"], capsize=3,
       label="on the decoded report")
ax.set_xticks(x, summary.index, rotation=10)
ax.set_ylabel("demographic parity difference")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
