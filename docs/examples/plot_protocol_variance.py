"""
Choosing a frequency oracle by its variance
===========================================

For every "pure" LDP protocol the unbiased frequency estimate has the exact variance
``q*(1-q*) / (n (p*-q*)^2) + f (1-p*-q*) / (n (p*-q*))`` (Wang, Blocki, Li & Jha, USENIX
Security 2017), which :func:`fairldp.theory.frequency_variance` evaluates per protocol. This
example draws it against ``epsilon`` for three domain sizes ``k``, checks it against the
spread of estimates from privatized synthetic data, and prints which protocol wins where.
"""

# %%
# Closed-form variances
# ---------------------
# ``frequency_variance(protocol, epsilon, k, f, n)`` returns one value per budget. With
# ``n = 1`` it is ``n * Var``, which does not depend on the number of users; as ``Var`` is
# linear in ``f``, its value at ``f = 1/k`` is the mean variance over the ``k`` values of any
# distribution.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fairldp.ldp import get_protocol
from fairldp.rng import make_rng
from fairldp.theory import frequency_variance

PROTOCOLS = ["grr", "sue", "oue", "blh", "olh", "ss"]
KS = [2, 16, 128]
eps_grid = np.geomspace(0.25, 8, 40)
closed = {
    (name, k): frequency_variance(name, eps_grid, k, f=1 / k, n=1) for name in PROTOCOLS for k in KS
}

# %%
# Empirical variance from privatized data
# ---------------------------------------
# For ``k = 16`` we privatize the same column of ``n = 2000`` users 150 times with GRR, OUE
# and OLH, estimate the frequencies each time (``perturb`` then ``estimate``) and compare
# the spread of the estimates with the protocol's exact ``variance(f, n)``, averaged over
# the ``k`` values.
k_emp, n, reps = 16, 2000, 150
weights = 1.0 / np.arange(1, k_emp + 1)  # a Zipf-like distribution of the values
counts = np.floor(weights / weights.sum() * n).astype(int)
counts[0] += n - counts.sum()
x = np.repeat(np.arange(k_emp), counts)
f_true = counts / n

rows = []
for name in ["grr", "oue", "olh"]:
    for eps in [0.5, 1.0, 2.0, 4.0]:
        proto = get_protocol(name, eps, k_emp)
        rng = make_rng(0, "example", "variance", name, eps)
        est = np.stack([proto.estimate(proto.perturb(x, rng)) for _ in range(reps)])
        rows.append({
            "protocol": name,
            "epsilon": eps,
            "closed_form": proto.variance(f_true, n).mean(),
            "empirical": est.var(axis=0, ddof=1).mean(),
        })
emp = pd.DataFrame(rows)
emp["ratio"] = emp["empirical"] / emp["closed_form"]
print(f"mean variance of the {k_emp} frequency estimates, n = {n} users, {reps} releases")
print(emp.to_string(index=False, float_format="{:.3g}".format))

# %%
# The figure
# ----------
# Lines are the closed forms of ``n * Var`` at ``f = 1/k`` (log scales); the markers on the
# ``k = 16`` panel are ``n`` times the empirical mean variances above.
fig, axes = plt.subplots(1, len(KS), figsize=(12, 3.8), sharey=True)
colors = dict(zip(PROTOCOLS, plt.cm.tab10.colors, strict=False))
markers = {"grr": "o", "oue": "s", "olh": "^"}
for ax, k in zip(axes, KS, strict=True):
    for name in PROTOCOLS:
        ax.loglog(eps_grid, closed[name, k], color=colors[name], label=name.upper())
    if k == k_emp:
        for name, part in emp.groupby("protocol"):
            ax.loglog(part["epsilon"], n * part["empirical"], markers[name], color=colors[name],
                      mfc="none", ms=7, label=f"{name.upper()}, empirical")
    ax.set_title(f"k = {k}")
    ax.set_xticks([0.25, 0.5, 1, 2, 4, 8], labels=["0.25", "0.5", "1", "2", "4", "8"])
    ax.minorticks_off()
    ax.set_xlabel("epsilon")
axes[0].set_ylabel("n x mean variance of the estimates")
axes[0].legend(fontsize=8)
handles, labels = axes[1].get_legend_handles_labels()
axes[1].legend(handles[len(PROTOCOLS):], labels[len(PROTOCOLS):], fontsize=8, loc="lower left")
fig.tight_layout()
plt.show()

# %%
# Which protocol to choose
# ------------------------
# The protocol with the smallest variance for each ``(k, epsilon)``, and the better of GRR
# and OUE next to Wang et al.'s rule "GRR iff ``k < 3 e^epsilon + 2``" (the rule of the
# ``adp`` protocol). Subset selection (SS), which reports a subset of about
# ``k / (e^epsilon + 1)`` values, is the best of the six in most settings (it is GRR when the
# subset has one value).
choice = []
for k in KS:
    for eps in [0.5, 1.0, 2.0, 4.0, 8.0]:
        var = {name: frequency_variance(name, eps, k, f=1 / k, n=1)[0] for name in PROTOCOLS}
        best = min(var, key=var.get)
        choice.append({
            "k": k,
            "epsilon": eps,
            "best": best,
            "n_var_best": var[best],
            "grr_vs_oue": "grr" if var["grr"] <= var["oue"] else "oue",
            "rule": "grr" if k < 3 * np.exp(eps) + 2 else "oue",
        })
print(pd.DataFrame(choice).to_string(index=False, float_format="{:.3g}".format))
