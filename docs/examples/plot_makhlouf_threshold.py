"""
The budget at which the Bayes classifier changes under randomized response
==========================================================================

Makhlouf, Stefanović, Arcolezi & Palamidessi (2024, arXiv:2405.14725) show that the Bayes
classifier learnt on data whose attribute ``A`` went through GRR changes its decision on a
cell ``(x, z)`` at most once, at ``eps* = ln(-sum_{a != z} D(a, x) / D(z, x))`` with
``D(a, x) = P(a, x, Y=1) - P(a, x, Y=0)``. This example draws the exact statistical-parity
difference on the TRUE ``A`` of :func:`fairldp.theory.bayes_under_rr` and the thresholds of
:func:`fairldp.theory.rr_thresholds` against ``epsilon``, beside a simulation.
"""

# %%
# Two joint distributions
# -----------------------
# The paper's running example (``P(A=0) = 0.3``, ``X`` uniform, ``Y = 1[A=1 and X=1]``) has
# one threshold, ``ln(7/3)``; a scenario with a base-rate gap and a proxy ``X`` of ``A`` has
# two.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fairldp.datasets.synthetic import discrete_joint, makhlouf_2024_example, scenario_distribution
from fairldp.ldp import get_protocol
from fairldp.metrics import fairness_metrics
from fairldp.models import make_model
from fairldp.rng import make_rng
from fairldp.theory import bayes_under_rr, rr_thresholds

tables = {
    "running example": makhlouf_2024_example(),
    "proxy scenario": scenario_distribution(
        p_group=0.3, base_rates=(0.2, 0.9), proxy_strength=0.85
    ).rename(columns={"Xp": "X"}),
}
for name, table in tables.items():
    print(f"{name}: thresholds eps* of the Bayes classifier")
    print(rr_thresholds(table).to_string(index=False, float_format="{:.4f}".format))
print(f"ln(7/3) = {np.log(7 / 3):.4f}")

# %%
# Closed form
# -----------
# ``bayes_under_rr`` is vectorized over budgets: its ``spd`` is
# ``P(h=1 | A=1) - P(h=1 | A=0)`` on clean rows, a step function of ``eps``.
eps_grid = np.linspace(0.02, 3.5, 400)
theory = {name: bayes_under_rr(table, eps_grid) for name, table in tables.items()}

# %%
# Simulation
# ----------
# For each budget: draw 20 000 training rows, privatize ``A`` with GRR, fit the cell-Bayes
# classifier (majority label of each ``(x, z)`` cell; the model ``cell_bayes``) and apply it
# to 20 000 clean test rows ``(x, a)``. ``fairness_metrics`` gives the unsigned difference
# (fairlearn's); here group ``A = 1`` is the favoured one, so it equals the signed closed form.
sim_eps = np.linspace(0.1, 3.5, 18)
simulated = {}
for name, table in tables.items():
    train = discrete_joint(table, 20_000, seed=0).astype(int)
    test = discrete_joint(table, 20_000, seed=1).astype(int)
    spd = []
    for eps in sim_eps:
        grr = get_protocol("grr", eps, 2)
        z = np.asarray(grr.perturb(train["A"].to_numpy(), make_rng(0, "example", name, eps)))
        model = make_model("cell_bayes", 0).fit(np.column_stack([train["X"], z]), train["Y"])
        pred = model.predict(test[["X", "A"]].to_numpy())
        spd.append(fairness_metrics(test["Y"], pred, test["A"])["demographic_parity_difference"])
    simulated[name] = np.array(spd)
comparison = pd.DataFrame({"epsilon": sim_eps})
for name, table in tables.items():
    comparison[f"{name}: closed form"] = bayes_under_rr(table, sim_eps).spd
    comparison[f"{name}: simulated"] = simulated[name]
print("SPD on the true A")
print(comparison.to_string(index=False, float_format="{:.3f}".format))

# %%
# Theory against simulation
# -------------------------
# Solid: the closed form; dots: the simulation; dashed: the thresholds ``eps*``. Near a
# threshold the cell's posterior is close to 1/2, so a finite sample can fall on either side.
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
for ax, name in zip(axes, tables, strict=True):
    ax.plot(eps_grid, theory[name].spd, color="black", label="closed form")
    ax.plot(sim_eps, simulated[name], "o", color="tab:blue", label="simulation (n = 20 000)")
    for t in theory[name].thresholds:
        ax.axvline(t, color="tab:red", ls="--", lw=1)
        ax.annotate(f"eps* = {t:.3f}", (t, 0.05), xytext=(4, 0), textcoords="offset points",
                    color="tab:red", fontsize=8)
    ax.set_title(name)
    ax.set_xlabel("epsilon (GRR on A, training rows only)")
axes[0].set_ylabel("SPD on the true A")
axes[0].set_ylim(-0.05, 1.05)
axes[0].legend(loc="lower right", fontsize=8)
fig.tight_layout()
plt.show()
