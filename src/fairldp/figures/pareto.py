"""Trade-offs as points: one metric against another, with the Pareto front of the points."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from fairldp.figures import AXES, FIGURE_KINDS, FigureKind, label, summarize
from fairldp.frontier import pareto_front

__all__ = ["Pareto", "pareto_front"]

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")


@FIGURE_KINDS.register("pareto")
@dataclass(frozen=True)
class Pareto(FigureKind):
    """One point per combination of ``hue`` (colour) and ``style`` (marker) and of the other
    axes of the selected rows (e.g. epsilon): the mean over seeds of metric ``x`` against
    metric ``y`` with 95% intervals both ways, and the Pareto front (both maximized) as a
    grey step line. Typical use: worst-group sensitivity against accuracy per learner and
    privacy level (``where`` picks the epsilons)."""

    kind: ClassVar[str] = "pareto"
    x: str = "accuracy"
    y: str = "worst_group_sensitivity"
    hue: str = "learner"
    style: str | None = "privatizer"

    def __post_init__(self) -> None:
        super().__post_init__()
        from fairldp.metrics import METRICS

        for m in (self.x, self.y):
            if m not in METRICS:
                raise ValueError(f"unknown metric {m!r}")
        for a in (self.hue, self.style):
            if a is not None and (a not in AXES or a in ("metric", "seed")):
                raise ValueError(f"{a!r} is not an axis to colour or mark by")

    def describe(self) -> str:
        return (f"{label('metric', self.y)} against {label('metric', self.x)}: mean over seeds "
                "with 95% intervals; the grey line joins the points no other point beats on "
                "both (the Pareto front).")

    def numbers(self, data: pd.DataFrame) -> pd.DataFrame:
        rows = data[data["metric"].isin([self.x, self.y]) & data["group"].fillna("").eq("")]
        by = [a for a in AXES if a in rows.columns and a not in ("study", "seed", "audit")]
        return summarize(rows, by)

    def figure(self, data: pd.DataFrame, context: Mapping[str, Any]) -> Any:
        import matplotlib.pyplot as plt

        t = self.numbers(data)
        keys = [a for a in AXES if a in t.columns and a != "metric" and t[a].nunique() > 1]
        keys = keys or ["dataset"]
        xs, ys = (t[t["metric"] == m].drop(columns="metric") for m in (self.x, self.y))
        both = xs.merge(ys, on=keys, how="inner", suffixes=("_x", "_y"))
        fig, ax = plt.subplots(figsize=(8.4, 4.6))
        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        hues = list(dict.fromkeys(both[self.hue])) if self.hue in both else [None]
        styles = (list(dict.fromkeys(both[self.style]))
                  if self.style and self.style in both else [None])  # fmt: skip
        for i, h in enumerate(hues):
            for j, st in enumerate(styles):
                sel = both
                if h is not None:
                    sel = sel[sel[self.hue] == h]
                if st is not None:
                    sel = sel[sel[self.style] == st]
                if sel.empty:
                    continue
                ax.errorbar(sel["mean_x"], sel["mean_y"],
                            xerr=[sel["mean_x"] - sel["lo_x"], sel["hi_x"] - sel["mean_x"]],
                            yerr=[sel["mean_y"] - sel["lo_y"], sel["hi_y"] - sel["mean_y"]],
                            ls="", marker=MARKERS[j % len(MARKERS)], ms=6, capsize=2,
                            color=colours[i % len(colours)],
                            label=" · ".join(label(a, v) for a, v in ((self.hue, h),
                                             (self.style, st)) if v is not None))  # fmt: skip
        if len(both):
            front = pareto_front(both["mean_x"].to_numpy(), both["mean_y"].to_numpy())
            ax.step(both["mean_x"].to_numpy()[front], both["mean_y"].to_numpy()[front],
                    where="pre", color="0.6", lw=1.4, zorder=0.5, label="Pareto front")
        ax.set_xlabel(label("metric", self.x))
        ax.set_ylabel(label("metric", self.y))
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0))
        title = self.title.format(**context) if self.title else label(
            "dataset", context.get("dataset", ""))  # fmt: skip
        ax.set_title(title)
        fig.tight_layout()
        return fig
