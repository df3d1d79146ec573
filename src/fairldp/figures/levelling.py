"""The levelling-down audit as a figure: each group's change in each rate against the
unconstrained reference learner (:func:`fairldp.levelling.levelling_down`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from fairldp.figures import FIGURE_KINDS, FigureKind, label

__all__ = ["Levelling"]

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: the x axis: epsilon (non-private at the right, "∞") or the label-bias rate of a sweep
X_CHOICES = ("epsilon", "bias_rate")
WORSE = {"color": "tab:red", "marker": "x", "s": 70, "zorder": 4, "linewidths": 2}


@FIGURE_KINDS.register("levelling")
@dataclass(frozen=True)
class Levelling(FigureKind):
    """Panels of rate (rows, ``y``) x learner (columns: every learner but ``reference``); in
    each, one line per true group of the change of its rate from the reference learner's in
    the same cell and seed, against ``x``: epsilon (the non-private cell at the right, "∞")
    or ``bias_rate`` (the label-bias rate of a sweep; the other of the two fixed by ``where``), with
    ``z`` standard errors as bars; a red cross marks a group made worse (the change the bad
    way beyond ``z`` SE: levelling down). Rows of one privatizer, budget split,
    representation and amount per file (``where`` selects them)."""

    kind: ClassVar[str] = "levelling"
    reference: str = ""
    y: tuple[str, ...] = ("sensitivity", "specificity", "positive_predictive_value")
    z: float = 2.0
    x: str = "epsilon"

    def __post_init__(self) -> None:
        super().__post_init__()
        from fairldp.levelling import BETTER

        if self.x not in X_CHOICES:
            raise ValueError(f"x must be one of {list(X_CHOICES)}, got {self.x!r}")
        if not self.reference:
            raise ValueError("reference: the unconstrained learner to compare with is missing")
        bad = [m for m in self.y if m not in BETTER]
        if bad:
            raise ValueError(f"y: {bad} are not audited per-group rates; those are "
                             f"{list(BETTER)}")  # fmt: skip

    def describe(self) -> str:
        return (f"Levelling-down audit: each group's change in {', '.join(map(label, self.y))} "
                f"from the learner {self.reference!r} (same data, privatizer, budget and "
                f"seed; mean over seeds ± {self.z:g} SE). A red cross marks a group made "
                "worse, on the true group attribute and the clean labels.")

    def numbers(self, data: pd.DataFrame) -> pd.DataFrame:
        from fairldp.levelling import levelling_down

        return levelling_down(data, self.reference, self.y, self.z)

    def figure(self, data: pd.DataFrame, context: Mapping[str, Any]) -> Any:
        import matplotlib.pyplot as plt

        t = self.numbers(data)
        learners = list(dict.fromkeys(t["learner"]))
        order = (context.get("orders") or {}).get("learner")
        if order:
            learners = sorted(learners, key=lambda n: order.index(n) if n in order else 99)
        other = "bias_rate" if self.x == "epsilon" else "epsilon"
        if t[other].nunique(dropna=False) > 1:
            raise ValueError(f"figure {context.get('figure')!r}: {label(other)} takes the values "
                             f"{sorted(t[other].unique())}; select one (where: {{{other}: ...}}) "
                             f"or draw against it (x: {other})")  # fmt: skip
        eps = sorted(t[self.x].unique(), key=lambda e: (math.isinf(e), e))
        xpos = {e: i for i, e in enumerate(eps)}
        groups = sorted(t["group"].unique())
        nrow, ncol = len(self.y), max(len(learners), 1)
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol + 0.6, 2.4 * nrow + 0.6),
                                 squeeze=False, sharex=True, sharey="row")  # fmt: skip
        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for i, metric in enumerate(self.y):
            for j, learner in enumerate(learners):
                ax = axes[i, j]
                ax.axhline(0.0, color="0.45", lw=1.6, alpha=0.5, zorder=0.5)
                sub = t[(t["metric"] == metric) & (t["learner"] == learner)]
                for k, g in enumerate(groups):
                    row = sub[sub["group"] == g].sort_values(self.x)
                    if row.empty:
                        continue
                    offset = (k - (len(groups) - 1) / 2) * 0.08
                    x = row[self.x].map(xpos).to_numpy(float) + offset
                    ax.errorbar(x, row["change"], yerr=self.z * row["se"], capsize=2.5,
                                marker=MARKERS[k % len(MARKERS)], ms=4.5, lw=1.2,
                                color=colours[k % len(colours)],
                                label=label("group", g) if (i, j) == (0, 0) else None)  # fmt: skip
                    worse = row["worse"].to_numpy(bool)
                    if worse.any():
                        ax.scatter(x[worse], row["change"].to_numpy()[worse], **WORSE,
                                   label=None)  # fmt: skip
                if i == 0:
                    ax.set_title(label("learner", learner), fontsize=10)
                if j == 0:
                    ax.set_ylabel(f"Δ {label('metric', metric)}", fontsize=9)
                ax.set_xticks(range(len(eps)))
                ax.set_xlim(-0.5, len(eps) - 0.5)
                ax.set_xticklabels(["∞" if math.isinf(e) else f"{e:g}" for e in eps],
                                   fontsize=8)  # fmt: skip
                if i == nrow - 1:
                    ax.set_xlabel("ε" if self.x == "epsilon" else label(self.x))
        handles, labels = axes[0, 0].get_legend_handles_labels()
        handles.append(plt.Line2D([], [], ls="", **{k: v for k, v in WORSE.items()
                                                    if k in ("color", "marker")}))  # fmt: skip
        labels.append(f"made worse (> {self.z:g} SE)")
        title = self.title.format(**context) if self.title else (
            f"{label('dataset', context.get('dataset', ''))} · levelling-down audit against "
            f"{label('learner', self.reference)}")  # fmt: skip
        fig.tight_layout()
        # above the panels' titles (saved with a tight bounding box): the legend, then the title
        legend = fig.legend(handles, labels, loc="lower center", ncol=len(labels),
                            frameon=False, bbox_to_anchor=(0.5, 1.0),
                            title=label("attribute", context.get("attribute")))  # fmt: skip
        fig.canvas.draw()
        top = legend.get_window_extent().transformed(fig.transFigure.inverted()).y1
        fig.suptitle(title, y=top + 0.01, va="bottom")
        return fig

    def params(self) -> dict[str, Any]:
        out = super().params()
        out["y"] = list(self.y)
        return out
