"""Line figures: metrics against epsilon (or the repair amount), mean and 95% band over seeds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from fairldp.figures import AXES, FIGURE_KINDS, FigureKind, _match, label, save, summarize

__all__ = ["Lines"]

#: the axes along which a non-private reference is repeated in every panel
PRIVACY_AXES = ("protocol", "budget_split", "privatizer", "epsilon")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")


def _t_interval(values: pd.Series) -> tuple[float, float]:
    """The 95% Student-t interval of the mean of ``values`` (seaborn ``errorbar``)."""
    s = summarize(pd.DataFrame({"k": 0, "value": values}), ["k"])
    return float(s["lo"].iloc[0]), float(s["hi"].iloc[0])


def _ordered(values: pd.Series, first: Sequence[Any] = ()) -> list[Any]:
    """Unique values in table order, ``first`` (those present) leading."""
    seen = list(dict.fromkeys(values.dropna().tolist()))
    return [v for v in first if v in seen] + [v for v in seen if v not in first]


@FIGURE_KINDS.register("lines")
@dataclass(frozen=True)
class Lines(FigureKind):
    """Panels of ``metric`` (rows, by default) x ``col``; in each, one line per ``hue`` value
    (and ``style`` value: marker) against ``x``, the mean over seeds with its 95% Student-t
    band. Non-private references (privatizers with protocol ``none``, epsilon infinite) are
    dashed horizontal lines with their band when ``x`` is epsilon, dashed lines otherwise.

    Parameters: ``x`` (``epsilon`` or ``amount``), ``y`` (metrics), ``row``, ``col``, ``hue``,
    ``style`` (axes of the metrics table, or None), ``dotted`` (values of the style axis drawn
    dotted, e.g. ``[fairness_privatized]``), ``sharey`` (``row``, ``all`` or ``none``), plus
    those of :class:`~fairldp.figures.FigureKind`. Without an ``audit`` in
    ``where`` or among the facets, fairness is the one measured on the true attribute.
    """

    kind: ClassVar[str] = "lines"
    x: str = "epsilon"
    y: tuple[str, ...] = ("accuracy", "equalized_odds_difference")
    row: str | None = "metric"
    col: str | None = None
    hue: str = "learner"
    style: str | None = None
    dotted: tuple[str, ...] = ()
    sharey: str = "row"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.x not in ("epsilon", "amount"):
            raise ValueError(f"x must be 'epsilon' or 'amount', got {self.x!r}")
        if not self.y:
            raise ValueError("y is empty: name at least one metric")
        from fairldp.metrics import METRICS

        for m in self.y:
            if m not in METRICS:
                from fairldp.registry import closest

                raise ValueError(f"y: unknown metric {m!r}{closest(m, METRICS.names())}; "
                                 f"registered: {METRICS.names()}")  # fmt: skip
        # an alias (a former name) stands for the registered metric the table holds
        object.__setattr__(self, "y", tuple(METRICS.resolve(m) for m in self.y))
        for name in ("row", "col", "hue", "style"):
            axis = getattr(self, name)
            if axis is not None and (axis not in AXES or axis in ("value", "seed", self.x)):
                raise ValueError(f"{name}: {axis!r} is not an axis to facet or colour by; one "
                                 f"of {[a for a in AXES if a not in ('seed', self.x)]}")
        if self.sharey not in ("row", "all", "none"):
            raise ValueError(f"sharey must be 'row', 'all' or 'none', got {self.sharey!r}")

    def describe(self) -> str:
        metrics = ", ".join(label("metric", m) for m in self.y)
        facets = [f"{label(a)}" for a in (self.row, self.col) if a and a != "metric"]
        return (
            f"{metrics} against {label(self.x)}; one line per {label(self.hue)}"
            + (f" (markers: {label(self.style)})" if self.style else "")
            + (f", panels by {' and '.join(facets)}" if facets else "")
            + ". Mean over seeds with a 95% Student-t band; fairness measured on the TRUE group "
            "attribute of the test rows (a difference is 0 and a ratio 1 for a fair model); "
            + ("dashed: the non-private baseline." if self.x == "epsilon" else
               "dashed: without privatization (true groups).")
        )

    def _facets(self) -> list[str]:
        return [a for a in (self.row, self.col, self.hue, self.style) if a is not None]

    def draw(self, data: pd.DataFrame, paths: Sequence[str | Path], context: Mapping[str, Any]
             ) -> None:  # fmt: skip
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import seaborn as sns
        from matplotlib.lines import Line2D

        df = data[data["metric"].isin(list(self.y))]
        if "audit" not in self.where and "audit" not in self._facets():
            df = df[df["audit"] != "fairness_privatized"]
        if self.x == "amount":
            df = df[df["amount"].notna()]
        if df.empty:
            raise ValueError(f"figure {context.get('figure')!r}: no rows of {list(self.y)} for "
                             f"{dict(context)}")  # fmt: skip
        style = self.style or self.hue
        base_mask = np.isinf(df["epsilon"].to_numpy(np.float64))  # non-private references
        private, base = df[~base_mask], df[base_mask]

        order = dict(context.get("orders") or {})
        order["metric"] = list(self.y)
        rows = _ordered(df[self.row], order.get(self.row, ())) if self.row else [None]
        cols = _ordered(private[self.col] if not private.empty else df[self.col],
                        order.get(self.col, ())) if self.col else [None]  # fmt: skip
        # hue values of the baseline only (e.g. protocol 'none') are drawn black, dashed
        hues = _ordered(private[self.hue] if not private.empty else df[self.hue],
                        order.get(self.hue, ()))  # fmt: skip
        styles = _ordered(private[style] if not private.empty else df[style],
                          order.get(style, ()))  # fmt: skip
        palette = dict(zip(hues, sns.color_palette("colorblind", len(hues)), strict=True))
        markers = {v: MARKERS[i % len(MARKERS)] for i, v in enumerate(styles)}
        dashes = {v: (1, 1.5) if v in self.dotted else (1, 0) for v in styles}

        sharey = {"row": "row", "all": True, "none": False}[self.sharey]
        fig, axes = plt.subplots(len(rows), len(cols), figsize=(3.3 * len(cols) + 1.4,
                                 2.3 * len(rows) + 1.0), sharex=True, sharey=sharey,
                                 squeeze=False, layout="constrained")  # fmt: skip
        xs = np.sort(private[self.x].dropna().unique()) if not private.empty else np.array([])
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                ax = axes[i, j]
                sub = self._panel(private, r, c)
                if not sub.empty:
                    sns.lineplot(data=sub, x=self.x, y="value", hue=self.hue, style=style,
                                 palette=palette, markers=markers, dashes=dashes,
                                 markersize=5,
                                 errorbar=_t_interval, err_kws={"alpha": 0.15, "lw": 0},
                                 estimator="mean", legend=False, ax=ax, sort=True)  # fmt: skip
                self._baseline(ax, self._panel(base, r, c, broadcast=True), palette, markers,
                               style)  # fmt: skip
                if self.x == "epsilon":
                    ax.set_xscale("log")
                    if xs.size:
                        ax.set_xticks(xs, [f"{e:g}" for e in xs])
                    ax.minorticks_off()
                ax.grid(alpha=0.3)
                ax.set_xlabel(label(self.x) if i == len(rows) - 1 else "")
                ax.set_ylabel(self._row_label(r) if j == 0 else "")
                if i == 0 and c is not None:
                    ax.set_title(f"{label(self.col)}: {label(self.col, c)}", fontsize=9)
        handles = [Line2D([], [], color=palette[h], marker=markers[h] if style == self.hue
                          else None, label=label(self.hue, h)) for h in hues]  # fmt: skip
        if style != self.hue:
            handles += [Line2D([], [], color="grey", marker=markers[v], dashes=dashes[v],
                               label=f"{label(style)}: {label(style, v)}") for v in styles]
        elif self.dotted:
            handles += [Line2D([], [], color="grey", dashes=dashes[v], label=label(style, v))
                        for v in styles if v in self.dotted]  # fmt: skip
        if not base.empty:
            handles.append(Line2D([], [], color="black", ls="--", label="non-private"))
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 4),
                   frameon=False, fontsize=8)  # fmt: skip
        fig.suptitle(self._title(context), fontsize=10)
        save(fig, paths, context.get("caption", ""))
        plt.close(fig)

    def _panel(self, df: pd.DataFrame, r: Any, c: Any, broadcast: bool = False) -> pd.DataFrame:
        """Rows of one panel; with ``broadcast``, the non-private rows, whose privacy axes
        (protocol, budget split) are ``none``, go to every panel of those axes."""
        keep = np.ones(len(df), dtype=bool)
        for axis, value in ((self.row, r), (self.col, c)):
            if axis is None or (broadcast and axis in PRIVACY_AXES):
                continue  # a non-private reference applies to every privacy setting
            keep &= _match(df[axis], [value])
        return df[keep]

    def _baseline(self, ax: Any, base: pd.DataFrame, palette: dict[Any, Any],
                  markers: dict[Any, str], style: str) -> None:  # fmt: skip
        """The non-private rows: against epsilon a horizontal dashed line and band per hue
        (it has no epsilon of its own), against another x a dashed line."""
        if base.empty:
            return
        if self.x == "epsilon":
            for h, g in base.groupby(self.hue, sort=False):
                s = summarize(g, [self.hue])
                colour = palette.get(h, "black")
                ax.axhline(s["mean"].iloc[0], color=colour, ls="--", lw=1)
                ax.axhspan(s["lo"].iloc[0], s["hi"].iloc[0], color=colour, alpha=0.08, lw=0)
            return
        for (h, st), g in base.groupby([self.hue, style], sort=False):
            s = summarize(g, [self.x])
            colour = palette.get(h, "black")
            ax.plot(s[self.x], s["mean"], color=colour, ls="--", lw=1, marker=markers.get(st),
                    ms=4, mfc="none")  # fmt: skip
            ax.fill_between(s[self.x], s["lo"], s["hi"], color=colour, alpha=0.08, lw=0)

    def _row_label(self, r: Any) -> str:
        if self.row is None:
            return label("metric", self.y[0]) if len(self.y) == 1 else "value"
        return label(self.row, r) if self.row == "metric" else f"{label(self.row)}: {r}"

    def _title(self, context: Mapping[str, Any]) -> str:
        if self.title:
            return self.title.format(**context)
        where = ", ".join(f"{k} {context[k]}" for k in ("dataset", "privatizer",
                          "representation", "learner") if k in context)  # fmt: skip
        attribute = context.get("attribute")
        on = f"; fairness on the true {attribute}" if attribute else ""
        return f"{where}{on}: mean and 95% CI over seeds"
