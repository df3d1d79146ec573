"""Methods' utility-unfairness fronts per privacy level, with their hypervolumes
(:mod:`fairldp.frontier`); the numbers beside the figure are the hypervolume table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from fairldp.figures import AXES, FIGURE_KINDS, FigureKind, label, summarize
from fairldp.frontier import hypervolume_table, pareto_front, select_metrics

__all__ = ["Frontier"]

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")


def _order(v: Any) -> tuple[float, str]:
    """Panels by value, numbers first (epsilon: the non-private cell, inf, last)."""
    return (float(v) if isinstance(v, int | float | np.floating) else math.inf, str(v))


def _point(r: Any) -> str:
    amount = "" if pd.isna(r.amount) else f"@{r.amount:g}"
    return f"{r.representation}{amount}/{r.learner}"


@FIGURE_KINDS.register("frontier")
@dataclass(frozen=True)
class Frontier(FigureKind):
    """One panel per value of ``col`` (default epsilon, the non-private cell last); in each,
    every method's points (mean over seeds of ``unfairness`` against ``utility``) and its
    front as a step line, the legend giving its hypervolume in the box ``utility >= ref[0]``,
    ``unfairness <= ref[1]`` with the 95% seed-bootstrap interval. ``methods``: name ->
    selection ``{axis: [values]}`` of the rows of the method (its points are the distinct
    privatizer, representation, amount and learner among them). The CSV beside it is the
    hypervolume table (:func:`fairldp.frontier.hypervolume_table`); with ``reference``
    (``{learner: ..., representation: ...}``, the unconstrained model) and the audit
    ``group_rates``, it also counts, per method and panel, the points at which some true
    group is made worse than under the reference on a rate of ``rates`` (the levelling-down
    audit, :func:`fairldp.levelling.levelling_down`, ``z = 2`` SE), the points at which EVERY
    group is made worse on one rate (strict levelling down), and names the groups made worse."""

    kind: ClassVar[str] = "frontier"
    methods: Mapping[str, Any] = None  # type: ignore[assignment]
    utility: str = "roc_auc"
    unfairness: str = "equalized_odds_difference"
    col: str = "epsilon"
    ref: tuple[float, float] = (0.5, 0.5)
    n_boot: int = 1000
    reference: Mapping[str, str] | None = None
    rates: tuple[str, ...] = ("sensitivity", "specificity")

    def __post_init__(self) -> None:
        super().__post_init__()
        from fairldp.metrics import METRICS

        if not self.methods:
            raise ValueError("methods: name each method with the rows it selects, e.g. "
                             "{ours: {representation: [fair_encoder]}}")  # fmt: skip
        for name, sel in self.methods.items():
            if not isinstance(sel, Mapping) or not sel:
                raise ValueError(f"methods: {name!r} must map axes to values, got {sel!r}")
            for a in sel:
                if a not in AXES:
                    raise ValueError(f"methods: {name!r} selects on {a!r}, not an axis of the "
                                     f"metrics table {list(AXES)}")  # fmt: skip
        for m in (self.utility, self.unfairness):
            if m not in METRICS:
                raise ValueError(f"unknown metric {m!r}")
        if self.col not in AXES or self.col in ("metric", "seed"):
            raise ValueError(f"col: {self.col!r} is not an axis to make panels by")
        if len(self.ref) != 2 or not all(math.isfinite(float(r)) for r in self.ref):
            raise ValueError(f"ref must be two finite numbers [utility, unfairness], got "
                             f"{list(self.ref)}")  # fmt: skip
        if int(self.n_boot) < 1:
            raise ValueError(f"n_boot must be >= 1, got {self.n_boot}")
        object.__setattr__(self, "ref", tuple(float(r) for r in self.ref))
        if self.reference is not None and set(self.reference) != {"learner", "representation"}:
            raise ValueError("reference must give the unconstrained model as {learner: ..., "
                             f"representation: ...}}, got {dict(self.reference)!r}")  # fmt: skip

    def describe(self) -> str:
        return (f"{label('metric', self.unfairness)} against {label('metric', self.utility)} "
                "of each method (mean over seeds), its front as a step line and, in the "
                f"legend, its hypervolume in the box {label('metric', self.utility)} ≥ "
                f"{self.ref[0]:g}, {label('metric', self.unfairness)} ≤ {self.ref[1]:g} with "
                "the 95% seed-bootstrap interval; fairness on the true group attribute.")

    def _by(self, data: pd.DataFrame) -> list[str]:
        return [a for a in ("dataset", self.col) if a in data.columns]

    def numbers(self, data: pd.DataFrame) -> pd.DataFrame:
        table = hypervolume_table(data, utility=self.utility, unfairness=self.unfairness,
                                  methods=self.methods, by=self._by(data), ref=self.ref,
                                  n_boot=int(self.n_boot))  # fmt: skip
        if self.reference is None or table.empty:
            return table
        return table.merge(self._levelling(data), on=[*self._by(data), "method"], how="left")

    def _levelling(self, data: pd.DataFrame) -> pd.DataFrame:
        """Per panel and method: points audited, points with some group made worse, and
        which (``group: rate at representation@amount/learner``)."""
        from fairldp.levelling import levelling_down

        by = self._by(data)
        assert self.reference is not None
        audit = levelling_down(data, self.reference["learner"], self.rates, z=2.0,
                               reference_representation=self.reference["representation"])
        point = ["privatizer", "representation", "amount", "learner"]
        out = []
        for name, sel in self.methods.items():
            part = audit
            for axis, values in sel.items():
                part = part[part[axis].isin(list(values) if isinstance(values, list | tuple)
                                            else [values])]  # fmt: skip
            for key, cell in part.groupby(by, dropna=False, observed=True):
                key = key if isinstance(key, tuple) else (key,)
                pts = cell.groupby(point, dropna=False, observed=True)["worse"].any()
                strict = cell.groupby(point, dropna=False, observed=True)["strictly"].any()
                worse = cell[cell["worse"]]
                which = sorted({f"{r.group}: {r.metric} at {_point(r)}"
                                for r in worse.itertuples()})  # fmt: skip
                out.append({**dict(zip(by, key, strict=True)), "method": name,
                            "audited_points": int(pts.size),
                            "levelled_down_points": int(pts.sum()),
                            "strictly_levelled_down_points": int(strict.sum()),
                            "made_worse": "; ".join(which)})  # fmt: skip
        cols = [*by, "method", "audited_points", "levelled_down_points",
                "strictly_levelled_down_points", "made_worse"]
        return pd.DataFrame(out, columns=cols)

    def _points(self, data: pd.DataFrame, sel: Mapping[str, Any]) -> pd.DataFrame:
        rows = select_metrics(data, self.utility, self.unfairness)
        for axis, values in sel.items():
            rows = rows[rows[axis].isin(list(values) if isinstance(values, list | tuple)
                                        else [values])]  # fmt: skip
        by = [a for a in (self.col, "privatizer", "representation", "amount", "learner",
                          "metric") if a in rows.columns]  # fmt: skip
        t = summarize(rows, by)
        wide = t.pivot_table(index=[a for a in by if a != "metric"], columns="metric",
                             values="mean", dropna=False).reset_index()  # fmt: skip
        return wide

    def figure(self, data: pd.DataFrame, context: Mapping[str, Any]) -> Any:
        import matplotlib.pyplot as plt

        hv = self.numbers(data)
        panels = sorted(data[self.col].dropna().unique(), key=_order)
        n = max(len(panels), 1)
        fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 4.4), sharey=True, squeeze=False)
        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        if len(self.methods) > len(colours):  # one colour per method
            colours = [plt.get_cmap("tab20")(i % 20) for i in range(len(self.methods))]
        for ax, value in zip(axes[0], panels, strict=False):
            sub = data[data[self.col] == value]
            for i, (name, sel) in enumerate(self.methods.items()):
                pts = self._points(sub, sel)
                if pts.empty or self.utility not in pts or self.unfairness not in pts:
                    continue
                u, f = pts[self.utility].to_numpy(), pts[self.unfairness].to_numpy()
                ok = ~(np.isnan(u) | np.isnan(f))
                u, f = u[ok], f[ok]
                if not u.size:
                    continue
                c = colours[i % len(colours)]
                row = hv[(hv["method"] == name) & (hv[self.col] == value)]
                text = name if row.empty else (f"{name}: {row['hypervolume'].iloc[0]:.3f} "
                                               f"[{row['ci_low'].iloc[0]:.3f}, "
                                               f"{row['ci_high'].iloc[0]:.3f}]")  # fmt: skip
                ax.scatter(u, f, color=c, marker=MARKERS[i % len(MARKERS)], s=22, label=text)
                front = pareto_front(u, -f)
                ax.step(u[front], f[front], where="pre", color=c, lw=1.2, alpha=0.8)
            ax.axvline(self.ref[0], color="0.7", lw=0.8, ls=":")
            ax.axhline(self.ref[1], color="0.7", lw=0.8, ls=":")
            ax.set_title(label(self.col, value))
            ax.set_xlabel(label("metric", self.utility))
            ax.legend(fontsize=6.5, frameon=False, loc="upper left")
        axes[0][0].set_ylabel(label("metric", self.unfairness))
        title = self.title.format(**context) if self.title else label(
            "dataset", context.get("dataset", ""))  # fmt: skip
        fig.suptitle(title)
        fig.tight_layout()
        return fig
