"""
A levelling-down audit of fair learners on a biased registry
============================================================

A fair learner can reach parity by making the better-off group worse ("levelling down",
Mittelstadt, Wachter & Russell 2023); in medicine a lower sensitivity is a missed diagnosis.
:func:`fairldp.levelling.levelling_down` compares each learner with an unconstrained one,
group by group and seed by seed, and flags a group made worse by more than two standard
errors. This example audits equalized-odds thresholds and a recall floor on the registry
simulator of :mod:`fairldp.datasets.diagnosis`, with the group in the clear or released by GRR.
"""

# %%
# The registry, the learners and the two settings
# -----------------------------------------------
# In the simulated registry half of the true cases of group 1 go unrecorded (the table shows
# the exact per-group truths). Every learner is a fair method of
# :data:`fairldp.fair.METHODS` on a logistic regression: ``lr`` (``plain``) is unconstrained
# and uses the group as a feature, ``parity`` is equalized-odds thresholds (Hardt et al.
# 2016) and ``floor`` a recall floor of 0.8 for every group. With the group released by GRR
# at ``epsilon = 1`` the fair methods are the noise-corrected ones.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from fairldp.datasets.diagnosis import RegistrySim
from fairldp.fair import NoiseModel
from fairldp.fair.methods import make_method
from fairldp.ldp import get_protocol
from fairldp.levelling import levelling_down
from fairldp.metrics import group_table
from fairldp.rng import make_rng

sim = RegistrySim(underdiagnosis=0.5, group=1)
grr = get_protocol("grr", 1.0, 2)
settings = {
    "none": (None, {"lr": ("plain", {}), "parity": ("threshold_eo", {}),
                    "floor": ("floor_recall", {"floor": 0.8})}),
    "grr": (NoiseModel(grr), {"lr": ("plain", {}), "parity": ("corrected_threshold_eo", {}),
                              "floor": ("corrected_floor_recall", {"floor": 0.8})}),
}
print(sim.groups().round(3).to_string())

# %%
# Per-group rates over five seeds
# -------------------------------
# Models learn the recorded diagnosis ``Y``; :func:`fairldp.metrics.group_table` measures
# them on the clean condition ``Y_clean`` and the TRUE group of fresh test rows. The rows
# are collected in the tidy format of the pipeline's metrics table.
rates = ("sensitivity", "specificity")
frames = []
with threadpool_limits(limits=1):  # one BLAS thread, as the pipeline's jobs
    for seed in range(5):
        train, test = sim.sample(3000, seed=2 * seed), sim.sample(3000, seed=2 * seed + 1)
        X_tr, X_te = train[["X1", "X2", "X3"]].to_numpy(), test[["X1", "X2", "X3"]].to_numpy()
        a_tr, a_te = train["A"].to_numpy(int), test["A"].to_numpy(int)
        for privatizer, (noise, learners) in settings.items():
            z_tr, z_te = a_tr, a_te
            if noise is not None:
                rng = make_rng(seed, "example", "levelling", privatizer)
                z_tr = noise.decode(grr.perturb(a_tr, rng), rng=rng)
                z_te = noise.decode(grr.perturb(a_te, rng), rng=rng)
            for learner, (method, params) in learners.items():
                est = make_method(method, noise, "logistic_regression", seed, **params)
                est.fit(X_tr, train["Y"].to_numpy(int), sensitive_features=z_tr)
                pred = est.predict(X_te, sensitive_features=z_te)
                score = est.predict_proba(X_te, sensitive_features=z_te)[:, 1]
                table = group_table(test["Y_clean"].to_numpy(int), pred, score, a_te, metrics=rates)
                long = table.reset_index().melt(id_vars="group", var_name="metric")
                frames.append(long.assign(learner=learner, seed=seed, privatizer=privatizer,
                                          protocol=privatizer,
                                          epsilon=np.inf if noise is None else grr.epsilon))
metrics = pd.concat(frames, ignore_index=True).assign(
    dataset="registry_sim", attribute="A", bias_rate=0.5, budget_split="none",
    representation="identity", kind="identity", amount=np.nan, audit="group_rates")

# %%
# The audit
# ---------
# One row per setting, learner, group and rate: the mean rate, the reference's, the paired
# change and its standard error over the seeds, and the flags.
audit = levelling_down(metrics, reference="lr", rates=rates)
columns = ["privatizer", "learner", "group", "metric", "value", "reference_value", "change",
           "se", "worse", "levelled_down", "strictly"]
print(audit[columns].to_string(index=False, float_format="{:.3f}".format))
worse = audit[audit["worse"]]
print("groups made worse:")
for row in worse.itertuples():
    print(f"  {row.privatizer:>4} {row.learner:>6}: group {row.group} {row.metric} "
          f"{row.change:+.3f} +- {row.se:.3f}")

# %%
# Sensitivity per group
# ---------------------
# Bars: mean sensitivity on the true groups (error bars: SE of the paired change); a red
# edge marks a group the audit flags as made worse. Parity lowers group 0's sensitivity to
# meet group 1's in the clear; the floor raises both, paid in specificity (flagged too).
# Released by GRR, the group is blurred, the unconstrained model's gap is smaller and the
# corrected parity hardly moves either group.
sens = audit[audit["metric"] == "sensitivity"]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
for ax, privatizer in zip(axes, ("none", "grr"), strict=True):
    part = sens[sens["privatizer"] == privatizer]
    ref = part.drop_duplicates("group").set_index("group")["reference_value"]
    x = np.arange(len(ref))
    ax.bar(x - 0.27, ref.to_numpy(), 0.27, color="0.6", label="lr (reference)")
    for i, (learner, rows) in enumerate(part.groupby("learner")):
        ax.bar(x + 0.27 * i, rows["value"], 0.27, yerr=rows["se"], capsize=3, label=learner)
        bad = rows["worse"].to_numpy()
        if bad.any():
            ax.bar(x[bad] + 0.27 * i, rows["value"].to_numpy()[bad], 0.27, fill=False,
                   edgecolor="red", linewidth=2, label="made worse")
    ax.set_xticks(x, [f"group {g}" for g in ref.index])
    ax.set_title("group in the clear" if privatizer == "none" else "group released by GRR, eps=1")
axes[0].set_ylabel("sensitivity (clean labels)")
axes[0].legend(fontsize=8, loc="upper left", bbox_to_anchor=(0.3, 1.0))
fig.tight_layout()
plt.show()
