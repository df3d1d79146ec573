"""Line figures: metrics against epsilon (or the repair amount), mean and 95% CI over seeds."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from fairldp.figures import AXES, FIGURE_KINDS, FigureKind, _match, label, summarize

__all__ = ["Lines", "scale", "undefined_reason"]

#: the axes along which a non-private reference is repeated in every panel
PRIVACY_AXES = ("protocol", "budget_split", "privatizer", "epsilon")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
#: panel rows beyond which a grid of at most two columns wraps into blocks side by side
MAX_ROWS = 3
#: line styles of the ``style`` axis; dashed is kept for the non-private baseline
LINESTYLES: tuple[Any, ...] = ("-", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1.3)))
DOTTED = (0, (1, 1.3))
BASELINE = (0, (4, 2))
#: the fair-value reference line (behind the data)
REFERENCE = {"color": "0.45", "lw": 2.4, "alpha": 0.4, "zorder": 0.5}
#: axes that may vary inside a panel without being faceted: each such axis splits the lines
LINE_AXES = ("dataset", "attribute", "bias_rate", "privatizer", "protocol", "budget_split",
             "epsilon", "representation", "kind", "amount", "learner", "model", "method",
             "audit", "group")  # fmt: skip
#: the numeric axes a figure may put on x
X_AXES = ("epsilon", "amount", "bias_rate")
#: axes named in the title when the figure has one value of them
TITLE_AXES = ("dataset", "learner", "privatizer", "protocol", "budget_split", "representation",
              "epsilon", "amount", "bias_rate")  # fmt: skip
#: single values not worth a title (the study's defaults; the caption lists every choice)
TITLE_DEFAULTS = {"budget_split": "uniform", "representation": "identity"}
#: why a metric is NaN for every seed (the rate it needs is undefined for some group)
UNDEFINED = {
    "equal_opportunity_difference": "a group has no positive labels",
    "equalized_odds_difference": "a group has no positive (or no negative) labels",
    "false_positive_rate_difference": "a group has no negative labels",
    "demographic_parity_ratio": "no group receives a positive prediction",
    "roc_auc": "the test labels have one class",
    "balanced_accuracy": "the test labels have one class",
}
_REFERENCE_TEXT = {0.0: "0 = no difference between groups", 1.0: "1 = equal ratio",
                   0.5: "AUC 0.5 = no leakage"}  # fmt: skip


def undefined_reason(metric: str) -> str:
    """The note of a panel whose metric is NaN for every seed."""
    reason = UNDEFINED.get(metric.removesuffix("_signed"))
    return f"undefined: {reason}" if reason else "undefined for every seed"


def scale(metric: str) -> Any:
    """The y-scale family of a metric: its fair value (0 for differences, 1 for ratios, 0.5
    for an attacker's AUC), else its kind (``utility``, ``leakage``). Metrics of different
    families never share a y axis."""
    from fairldp.metrics import METRICS

    m = METRICS.get(metric)
    return m.kind if m.fair_value is None else float(m.fair_value)


#: the range of the values of each kind of metric (y ranges never extend beyond it)
BOUNDS = {"utility": (0.0, 1.0), "fairness": (0.0, 1.0), "leakage": (0.0, 1.0),
          "signed": (-1.0, 1.0), "membership": (-1.0, 1.0)}  # fmt: skip


def _bounds(metrics: Sequence[str]) -> tuple[float, float]:
    from fairldp.metrics import METRICS

    ends = [BOUNDS.get(METRICS.get(m).kind, (-math.inf, math.inf)) for m in metrics]
    return (min(e[0] for e in ends), max(e[1] for e in ends)) if ends else (-math.inf, math.inf)


def _fair_value(metric: str) -> float | None:
    from fairldp.metrics import METRICS

    fv = METRICS.get(metric).fair_value
    return None if fv is None else float(fv)


def _ordered(values: pd.Series, first: Sequence[Any] = ()) -> list[Any]:
    """Unique values in table order, ``first`` (those present) leading."""
    seen = list(dict.fromkeys(values.dropna().tolist()))
    return [v for v in first if v in seen] + [v for v in seen if v not in first]


def _identical(df: pd.DataFrame, axis: str, values: Sequence[Any]) -> list[list[Any]]:
    """``values`` of ``axis`` grouped by identical rows: the same values of every other axis
    and metric values equal to 1e-12 (NaN equal to NaN). Groups keep the order of
    ``values``."""
    others = [a for a in AXES if a in df.columns and a != axis]
    parts = []
    for v in values:
        part = df[_match(df[axis], [v])]
        key = pd.util.hash_pandas_object(part[others].astype(str), index=False).to_numpy()
        parts.append(pd.Series(part["value"].to_numpy(np.float64), index=key).sort_index())
    groups: list[list[int]] = []
    for i, s in enumerate(parts):
        for g in groups:
            t = parts[g[0]]
            if (len(s) and len(s) == len(t) and np.array_equal(s.index, t.index)
                    and np.allclose(s.to_numpy(), t.to_numpy(), rtol=0, atol=1e-12,
                                    equal_nan=True)):  # fmt: skip
                g.append(i)
                break
        else:
            groups.append([i])
    return [[values[i] for i in g] for g in groups]


def _wrap(text: str, width: int) -> str:
    """``text`` in lines of at most ``width`` characters, broken at " · " first."""
    out: list[str] = []
    for part in text.split(" · "):
        if out and len(out[-1]) + 3 + len(part) <= width:
            out[-1] += " · " + part
        else:
            out.append(part)
    return "\n".join(textwrap.fill(t, width, break_on_hyphens=False) for t in out)


def _group_label(axis: str, group: Sequence[Any]) -> str:
    """The label of a facet value, or of merged identical values with the note."""
    if len(group) == 1:
        return label(axis, group[0])
    return " = ".join(label(axis, v) for v in group) + ": identical"


@FIGURE_KINDS.register("lines")
@dataclass(frozen=True)
class Lines(FigureKind):
    """Panels of ``metric`` (rows, by default) x ``col``; in each, one line per ``hue`` value
    (colour and marker) and ``style`` value (line style) against ``x``: the mean over seeds
    with its 95% Student-t interval as capped error bars, offset a little along x so that
    overlapping intervals stay readable (translucent bands blend into each other). Non-private
    references (epsilon infinite) are dashed: against epsilon a horizontal line with its
    interval at the tick ``∞``, against the repair amount a line.

    Every panel has a reference line at the metric's fair value (0 for a difference, 1 for a
    ratio, 0.5 for an attacker's AUC) and its y axis includes it. Ratio and difference
    metrics never share a y axis: with ``row: metric`` each metric has its own row and y
    range, and the rows are grouped by kind (differences, then ratios, ...) in the order of
    ``y``; a panel grid would otherwise put a ratio near 1 and a gap near 0 on one scale,
    which hides both. A metric may be ``hue`` or ``style`` only if ``y`` are of one kind.

    Facet values whose rows are identical (to 1e-12; e.g. the uniform and k-based budget
    splits when every released attribute has the same domain size, as on German credit) are
    merged into one panel titled "A = B: identical";
    identical ``hue`` values into one line. Rows or columns without rows are dropped; a panel
    whose metric is undefined (NaN) for every seed says so and why. An axis that varies
    inside a panel without being a facet (e.g. two privatizers in one file) splits the lines
    (line style) rather than being averaged over.

    Parameters: ``x`` (``epsilon`` or ``amount``), ``y`` (metrics), ``row``, ``col``, ``hue``,
    ``style`` (axes of the metrics table, or None), ``dotted`` (values of the style axis drawn
    dotted, e.g. ``[fairness_privatized]``), ``sharey`` (``row``: the panels of a row share a
    y range unless the metric changes along the row; ``all``: every panel of one kind of
    metric; ``none``), plus those of :class:`~fairldp.figures.FigureKind`. Without an
    ``audit`` in ``where`` or among the facets, fairness is the one measured on the true
    attribute.
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
        if self.x not in X_AXES:
            raise ValueError(f"x must be one of {list(X_AXES)}, got {self.x!r}")
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
        if len(self.y) > 1 and "metric" not in (self.row, self.col, self.hue, self.style):
            raise ValueError("y names several metrics: facet them (row: metric or col: metric) "
                             "or draw one line each (hue: metric)")
        if ("metric" in (self.hue, self.style) and len({scale(m) for m in self.y}) > 1):
            raise ValueError("y mixes kinds of metric (differences, ratios, utility, ...) in "
                             "one panel, on one y axis; facet them: row: metric or col: metric")

    def describe(self) -> str:
        metrics = ", ".join(label("metric", m) for m in self.y)
        facets = [f"{label(a)}" for a in (self.row, self.col) if a and a != "metric"]
        scales = {_fair_value(m) for m in self.y} - {None}
        refs = [_REFERENCE_TEXT.get(v, f"{v:g}") for v in sorted(scales)]  # type: ignore[arg-type]
        text = (
            f"{metrics} against {label(self.x)}; one line per {label(self.hue)} (colour and "
            "marker)" + (f", line style by {label(self.style)}" if self.style else "")
            + (f", panels by {' and '.join(facets)}" if facets else "")
            + ". Mean over seeds and its 95% Student-t confidence interval (capped error bars, "
            "offset slightly along the x axis so that they do not overlap). "
            + (f"Grey line: the fair value ({'; '.join(refs)}), which every y axis includes. "
               if refs else "")
            + ("Dashed, at ε = ∞: the non-private baseline. " if self.x == "epsilon" else
               "Dashed: without privatization (true groups). ")
            + "Identical panels or lines are merged and say so; a panel whose metric is "
            "undefined for every seed says why."
        )
        leak = {"leakage_auc_numeric": "the repaired numeric features",
                "leakage_auc": "the representation's features"}  # fmt: skip
        for m, source in leak.items():
            if m in self.y:
                text += (f" {label('metric', m)}: held-out AUC of an attacker predicting the "
                         f"true attribute from {source}, cross-fitted: the repair maps fitted "
                         "on the training rows, the attacker fitted on four folds of the test "
                         "rows and measured on the fifth (pooled over the five folds); 0.5 = "
                         "no leakage.")  # fmt: skip
        return text

    def _facets(self) -> list[str]:
        return [a for a in (self.row, self.col, self.hue, self.style) if a is not None]

    def _rows(self, data: pd.DataFrame, context: Mapping[str, Any]) -> pd.DataFrame:
        df = data[data["metric"].isin(list(self.y))]
        if "audit" not in self.where and "audit" not in self._facets():
            df = df[df["audit"] != "fairness_privatized"]
        if self.x != "epsilon":
            df = df[df[self.x].notna()]
        if df.empty:
            raise ValueError(f"figure {context.get('figure')!r}: no rows of {list(self.y)} for "
                             f"{dict(context)}")  # fmt: skip
        return df

    def _extras(self, df: pd.DataFrame) -> list[str]:
        """Axes that vary inside a panel, line or point without being a facet."""
        fixed = [a for a in (self.row, self.col, self.hue, self.style, self.x, "metric") if a]
        fixed = list(dict.fromkeys(fixed))
        extras: list[str] = []
        for a in LINE_AXES:
            if a in fixed:
                continue
            n = df.groupby(fixed + extras, dropna=False, observed=True)[a].nunique(dropna=False)
            if len(n) and int(n.max()) > 1:
                extras.append(a)
        return extras

    def _facet_groups(self, axis: str | None, main: pd.DataFrame, df: pd.DataFrame,
                      order: Mapping[str, Sequence[Any]]) -> list[list[Any]]:  # fmt: skip
        """The values of a facet axis, identical ones merged into one group."""
        if axis is None:
            return [[None]]
        if axis == "metric":
            present = _ordered(df["metric"], self.y)
            kinds = list(dict.fromkeys(scale(m) for m in present))
            return [[m] for k in kinds for m in present if scale(m) == k]
        values = _ordered(main[axis] if not main.empty else df[axis], order.get(axis, ()))
        if len(values) < 2 or main.empty:
            return [[v] for v in values]
        return _identical(main, axis, values)

    def _panel(self, df: pd.DataFrame, r: Any, c: Any, broadcast: bool = False) -> pd.DataFrame:
        """Rows of one panel; with ``broadcast``, the non-private rows, whose privacy axes
        (protocol, budget split) are ``none``, go to every panel of those axes."""
        keep = np.ones(len(df), dtype=bool)
        for axis, value in ((self.row, r), (self.col, c)):
            if axis is None or (broadcast and axis in PRIVACY_AXES):
                continue  # a non-private reference applies to every privacy setting
            keep &= _match(df[axis], [value])
        return df[keep]

    def figure(self, data: pd.DataFrame, context: Mapping[str, Any]) -> Any:
        """The matplotlib figure of the selected rows (``draw`` writes it to files)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import seaborn as sns
        from matplotlib.lines import Line2D

        df = self._rows(data, context)
        base_mask = np.isinf(df["epsilon"].to_numpy(np.float64))  # non-private references
        main = df[~base_mask] if (~base_mask).any() else df
        order: dict[str, Any] = dict(context.get("orders") or {})
        order["metric"] = list(self.y)
        style_axes = [a for a in (self.style,) if a and a != self.hue] + self._extras(main)

        # one line per hue value; identical hue values merged (their rows drawn once)
        hue_values = _ordered(main[self.hue], order.get(self.hue, ()))
        hue_groups = _identical(df, self.hue, hue_values) if len(hue_values) > 1 else [
            [h] for h in hue_values]  # fmt: skip
        dropped = [v for g in hue_groups for v in g[1:]]
        df = df[~_match(df[self.hue], dropped)]
        hues = [g[0] for g in hue_groups]
        hue_text = {g[0]: (label(self.hue, g[0]) if len(g) == 1 else " = ".join(
            label(self.hue, v) for v in g) + " (identical)") for g in hue_groups}  # fmt: skip
        df = df.assign(_combo=self._combos(df, style_axes))
        base_mask = np.isinf(df["epsilon"].to_numpy(np.float64))
        private, base = df[~base_mask], df[base_mask]
        main = private if not private.empty else df

        rows = self._facet_groups(self.row, main, df, order)
        cols = self._facet_groups(self.col, main, df, order)
        count = np.array([[len(self._panel(private, r[0], c[0]))
                           + len(self._panel(base, r[0], c[0], broadcast=True)) for c in cols]
                          for r in rows])  # fmt: skip
        rows = [r for i, r in enumerate(rows) if count[i].any()] or rows[:1]
        cols = [c for j, c in enumerate(cols) if count[:, j].any()] or cols[:1]

        combos = self._combo_order(main, style_axes, order)
        palette = dict(zip(hues, sns.color_palette("colorblind", len(hues)), strict=True))
        markers = {h: MARKERS[i % len(MARKERS)] for i, h in enumerate(hues)}
        patterns = self._patterns(main, style_axes, combos)

        xs = np.sort(private[self.x].dropna().unique()) if not private.empty else np.array([])
        # more than MAX_ROWS rows of at most two columns: the rows wrap into blocks side by
        # side (panel (i, j) at grid row i % per, column (i // per) * len(cols) + j)
        blocks = math.ceil(len(rows) / MAX_ROWS) if len(cols) <= 2 else 1
        per = math.ceil(len(rows) / blocks)
        width = 3.1 * len(cols) * blocks + 1.4
        fig, grid = plt.subplots(per, len(cols) * blocks, figsize=(width, 1.9 * per + 1.7),
                                 sharex=True, squeeze=False, layout="constrained")  # fmt: skip
        axes = {(i, j): grid[i % per, (i // per) * len(cols) + j]
                for i in range(len(rows)) for j in range(len(cols))}  # fmt: skip
        for k in range(len(rows), per * blocks):  # empty cells of the last block
            for j in range(len(cols)):
                grid[k % per, (k // per) * len(cols) + j].set_visible(False)
                if k % per:  # the panel above it carries the x axis
                    grid[k % per - 1, (k // per) * len(cols) + j].tick_params(labelbottom=True)
        extents: dict[Any, list[float]] = {}
        keys: dict[tuple[int, int], Any] = {}
        fair_values: set[float] = set()
        for i, rg in enumerate(rows):
            for j, cg in enumerate(cols):
                ax = axes[i, j]
                r, c = rg[0], cg[0]
                sub = self._panel(private, r, c)
                bsub = self._panel(base, r, c, broadcast=True)
                metrics = _ordered(pd.concat([sub["metric"], bsub["metric"]]), self.y)
                lows, highs = self._lines(ax, sub, bsub, xs, hues, combos, palette, markers,
                                          patterns)  # fmt: skip
                for fv in {_fair_value(m) for m in metrics} - {None}:
                    assert fv is not None
                    ax.axhline(fv, gid="fair_value", label="fair value", **REFERENCE)
                    lows.append(fv)
                    highs.append(fv)
                    fair_values.add(fv)
                self._note(ax, sub, bsub, metrics)
                key = self._share_key(i, j, metrics)
                keys[i, j] = key
                # a 2-seed interval may reach beyond what the metric can take: clip the range
                bottom, top = _bounds(metrics)
                ext = extents.setdefault(key, [math.inf, -math.inf])
                ext[0] = min([ext[0], *(max(v, bottom) for v in lows)])
                ext[1] = max([ext[1], *(min(v, top) for v in highs)])
                self._axis(ax, xs, not base.empty)
                ax.grid(alpha=0.3)
                last = i == len(rows) - 1 or i % per == per - 1
                ax.set_xlabel(self._xlabel(not base.empty) if last else "")
                if j == 0:
                    ax.set_ylabel(self._row_label(rg, metrics), fontsize=9)
                if self.col == "metric" or (i % per == 0 and self.col is not None):
                    ax.set_title(_group_label(self.col, cg) if self.col != "metric"
                                 else label("metric", c), fontsize=9)  # fmt: skip
        for (i, j), key in keys.items():
            lo, hi = extents[key]
            if not math.isfinite(lo):
                continue
            pad = max(0.06 * (hi - lo), 0.01) if hi > lo else 0.05
            axes[i, j].set_ylim(lo - pad, hi + pad)
            if j > 0 and keys.get((i, j - 1)) == key:
                axes[i, j].tick_params(labelleft=False)

        handles = [Line2D([], [], color=palette[h], marker=markers[h], ls="-", ms=5,
                          label=hue_text[h]) for h in hues]  # fmt: skip
        if style_axes and len(combos) > 1:
            same: dict[str, list[str]] = {}  # line style -> its combinations
            for k in combos:
                same.setdefault(repr(patterns[k]), []).append(k)
            handles += [Line2D([], [], color="0.3", ls=patterns[ks[0]], label=" / ".join(ks))
                        for ks in same.values()]  # fmt: skip
        if not base.empty:
            handles.append(Line2D([], [], color="black", ls=BASELINE, marker="o", mfc="white",
                                  ms=5, label=label("epsilon", math.inf)))  # fmt: skip
        if fair_values:
            text = ", ".join(_REFERENCE_TEXT.get(v, f"{v:g}") for v in sorted(fair_values))
            handles.append(Line2D([], [], label=f"fair value: {text}",
                                  **{k: v for k, v in REFERENCE.items() if k != "zorder"}))
        ncol = max(1, min(len(handles), int(width // 2.4)))
        fig.legend(handles=handles, loc="outside lower center", ncol=ncol, frameon=False,
                   fontsize=8)  # fmt: skip
        wrap = max(40, int(width * 15))
        lines = self._title(df, context)
        if len(lines[1]) > wrap:  # one line per part of the second line
            lines = [lines[0], *lines[1].split("; ")]
        title = "\n".join(_wrap(t, wrap) for t in lines)
        fig.suptitle(title, fontsize=9.5)
        return fig

    def _combos(self, df: pd.DataFrame, style_axes: Sequence[str]) -> pd.Series:
        """The label of each row's combination of the style axes ("" without any)."""
        if not style_axes:
            return pd.Series("", index=df.index)
        parts = []
        for a in style_axes:  # one label per distinct value, not per row
            codes, uniques = pd.factorize(df[a], use_na_sentinel=False)
            bare = a in ("audit", "epsilon", "amount", "bias_rate")  # labels that say what they are
            texts = [label(a, u) if bare else f"{label(a)}: {label(a, u)}" for u in uniques]
            parts.append(np.array(texts, dtype=object)[codes])
        out = parts[0]
        for p in parts[1:]:
            out = out + ", " + p
        return pd.Series(out, index=df.index, dtype=object)

    def _combo_order(self, main: pd.DataFrame, style_axes: Sequence[str],
                     order: Mapping[str, Sequence[Any]]) -> list[str]:  # fmt: skip
        """The style combinations in the study's order of their axes' values."""
        if not style_axes:
            return [""]
        first = main.drop_duplicates("_combo") if "_combo" in main else main

        def rank(row: pd.Series) -> tuple[Any, ...]:
            out = []
            for a in style_axes:
                values = list(order.get(a, ()))
                out.append(values.index(row[a]) if row[a] in values else len(values))
            return tuple(out)

        ranked = sorted(((rank(r), i, r["_combo"]) for i, (_, r) in enumerate(first.iterrows())))
        return [k for _, _, k in ranked]

    def _patterns(self, main: pd.DataFrame, style_axes: Sequence[str], combos: Sequence[str]
                  ) -> dict[str, Any]:  # fmt: skip
        """Line style of each style combination: ``dotted`` values dotted, the rest cycling
        through solid, dash-dot, ... (dashed is the baseline's)."""
        if not style_axes:
            return {"": "-"}
        first = main.drop_duplicates("_combo").set_index("_combo")
        cycle = [s for s in LINESTYLES if not (self.dotted and s == DOTTED)]
        out: dict[str, Any] = {}
        seen: list[Any] = []
        for k in combos:
            if self.style in style_axes and first.loc[k, self.style] in self.dotted:
                out[k] = DOTTED
                continue
            # with dotted values, the style axis is dotted or solid: cycle over the others
            rest = tuple(first.loc[k, a] for a in style_axes
                         if not (self.dotted and a == self.style))  # fmt: skip
            if rest not in seen:
                seen.append(rest)
            out[k] = cycle[seen.index(rest) % len(cycle)]
        return out

    def _dodged(self, x: np.ndarray, slot: int, slots: int, step: float) -> np.ndarray:
        """``x`` offset for line ``slot`` of ``slots`` (in log space against epsilon)."""
        if slots <= 1:
            return x
        off = (slot - (slots - 1) / 2) * min(0.12, 0.3 / (slots - 1)) * step
        return x * math.exp(off) if self.x == "epsilon" else x + off

    def _step(self, xs: np.ndarray) -> float:
        """The smallest spacing of the x values (log spacing against epsilon)."""
        t = np.log(xs) if self.x == "epsilon" and xs.size else xs
        d = np.diff(np.sort(t)) if t.size > 1 else np.array([])
        d = d[d > 0]
        return float(d.min()) if d.size else (math.log(2) if self.x == "epsilon" else 0.25)

    def _inf_position(self, xs: np.ndarray) -> float:
        """Where the non-private baseline (epsilon infinite) sits on the epsilon axis."""
        if not xs.size:
            return 1.0
        return float(xs.max()) * math.exp(max(self._step(xs), math.log(2)))

    def _lines(self, ax: Any, sub: pd.DataFrame, bsub: pd.DataFrame, xs: np.ndarray,
               hues: Sequence[Any], combos: Sequence[str], palette: Mapping[Any, Any],
               markers: Mapping[Any, str], patterns: Mapping[str, Any]
               ) -> tuple[list[float], list[float]]:  # fmt: skip
        """Draw one panel's lines and baselines; the low and high ends drawn."""
        step = self._step(xs)
        lows: list[float] = []
        highs: list[float] = []
        by = [self.hue, "_combo"]
        s = summarize(sub, [*by, self.x]) if not sub.empty else None
        keys = [(h, k) for h in hues for k in combos]
        if s is not None:
            present = set(zip(s[self.hue], s["_combo"], strict=True))
            keys = [key for key in keys if key in present]
        else:
            keys = []
        bs = summarize(bsub, by + ([self.x] if self.x != "epsilon" else [])) if not (
            bsub.empty) else None  # fmt: skip
        bkeys: list[tuple[Any, str]] = []
        one = False
        if bs is not None:
            bs = bs[bs["mean"].notna()]
            bkeys = list(dict.fromkeys(zip(bs[self.hue], bs["_combo"], strict=True)))
            bkeys, one = self._distinct_baselines(bs, bkeys)
        slots = len(keys) + (len(bkeys) if self.x != "epsilon" else 0)
        err = {"capsize": 2.5, "elinewidth": 0.9, "capthick": 0.9, "ms": 4.5}
        for n, (h, k) in enumerate(keys):
            assert s is not None
            pts = s[(s[self.hue] == h) & (s["_combo"] == k)].sort_values(self.x)
            pts = pts[pts["mean"].notna()]
            x = self._dodged(pts[self.x].to_numpy(np.float64), n, slots, step)
            ax.errorbar(x, pts["mean"], yerr=[pts["mean"] - pts["lo"], pts["hi"] - pts["mean"]],
                        color=palette.get(h, "black"), marker=markers.get(h, "o"),
                        ls=patterns.get(k, "-"), lw=1.4, zorder=3, **err)  # fmt: skip
            lows += pts["lo"].tolist()
            highs += pts["hi"].tolist()
        for n, (h, k) in enumerate(bkeys):
            assert bs is not None
            pts = bs[(bs[self.hue] == h) & (bs["_combo"] == k)]
            colour = "black" if one else palette.get(h, "black")
            marker = "o" if one else markers.get(h, "o")
            if self.x == "epsilon":
                for _, p in pts.iterrows():
                    ax.axhline(p["mean"], color=colour, ls=BASELINE, lw=0.9, zorder=2)
                    x = self._dodged(np.array([self._inf_position(xs)]), n, len(bkeys), step)
                    ax.errorbar(x, [p["mean"]], yerr=[[p["mean"] - p["lo"]], [p["hi"] - p["mean"]]],
                                color=colour, marker=marker, mfc="white", ls="none",
                                zorder=3, **err)  # fmt: skip
            else:
                pts = pts.sort_values(self.x)
                x = self._dodged(pts[self.x].to_numpy(np.float64), len(keys) + n, slots, step)
                ax.errorbar(x, pts["mean"], yerr=[pts["mean"] - pts["lo"], pts["hi"] - pts["mean"]],
                            color=colour, marker=marker, mfc="white", ls=BASELINE, lw=1.1,
                            zorder=2, **err)  # fmt: skip
            lows += pts["lo"].tolist()
            highs += pts["hi"].tolist()
        return [v for v in lows if math.isfinite(v)], [v for v in highs if math.isfinite(v)]

    def _distinct_baselines(self, bs: pd.DataFrame, bkeys: Sequence[tuple[Any, str]]
                            ) -> tuple[list[tuple[Any, str]], bool]:  # fmt: skip
        """The baselines to draw: one per distinct line of a hue value (e.g. fairness on the
        true and on the decoded group coincide without privatization); ``True`` if every hue
        value has the same baseline (drawn once, in black)."""
        cols = [c for c in (self.x, "mean", "lo", "hi") if c in bs and c != "epsilon"]

        def line(key: tuple[Any, str]) -> np.ndarray:
            pts = bs[(bs[self.hue] == key[0]) & (bs["_combo"] == key[1])]
            return pts.sort_values(cols[0])[cols].to_numpy(np.float64)

        def same(a: np.ndarray, b: np.ndarray) -> bool:
            return a.shape == b.shape and np.allclose(a, b, rtol=0, atol=1e-12, equal_nan=True)

        lines = {k: line(k) for k in bkeys}
        keep: list[tuple[Any, str]] = []
        for k in bkeys:
            if lines[k].size and not any(u[0] == k[0] and same(lines[u], lines[k]) for u in keep):
                keep.append(k)
        one = len(keep) > 1 and all(same(lines[k], lines[keep[0]]) for k in keep)
        return (keep[:1] if one else keep), one

    def _note(self, ax: Any, sub: pd.DataFrame, bsub: pd.DataFrame, metrics: Sequence[str]
              ) -> None:  # fmt: skip
        """Say in the panel when its metric is undefined (NaN) for every seed, or for some."""
        values = pd.concat([sub["value"], bsub["value"]])
        if values.empty:
            text = "no rows for this panel"
        elif values.isna().all():
            text = undefined_reason(metrics[0]) if len(metrics) == 1 else (
                "undefined for every seed")  # fmt: skip
        else:
            k = int(values.isna().sum())
            if k:
                ax.text(0.01, 0.02, f"{k} of {len(values)} values undefined (left out)",
                        transform=ax.transAxes, fontsize=6.5, color="0.35", gid="undefined")
            return
        ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", wrap=True,
                fontsize=8.5, color="0.25", gid="undefined",
                bbox={"boxstyle": "round", "fc": "0.96", "ec": "0.8"})  # fmt: skip

    def _share_key(self, i: int, j: int, metrics: Sequence[str]) -> Any:
        """Panels with one key share their y range (never across kinds of metric)."""
        kinds = tuple(sorted({str(scale(m)) for m in metrics}))
        if self.sharey == "none":
            return (i, j)
        if self.sharey == "all":
            return kinds
        return (i, kinds) if self.col != "metric" else (i, j)

    def _axis(self, ax: Any, xs: np.ndarray, baseline: bool) -> None:
        if self.x != "epsilon":
            return
        ax.set_xscale("log")
        ticks, text = list(xs), [f"{e:g}" for e in xs]
        step = self._step(xs)
        right = float(xs.max()) if xs.size else 1.0
        if baseline:
            inf = self._inf_position(xs)
            ticks.append(inf)
            text.append("∞")
            ax.axvline(math.sqrt(right * inf), color="0.75", lw=0.8, zorder=0)
            right = inf
        left = float(xs.min()) if xs.size else right
        ax.set_xlim(left * math.exp(-0.4 * step), right * math.exp(0.4 * step))
        ax.set_xticks(ticks, text)
        ax.minorticks_off()

    def _xlabel(self, baseline: bool) -> str:
        if self.x == "epsilon" and baseline:
            return f"{label(self.x)}; ∞: non-private"
        return label(self.x)

    def _row_label(self, group: Sequence[Any], metrics: Sequence[str]) -> str:
        if self.row == "metric":
            return label("metric", group[0])
        what = label("metric", metrics[0]) if len(metrics) == 1 and self.col != "metric" else ""
        if self.row is None:
            return what or ("value" if self.col != "metric" else "")
        return _group_label(self.row, group) + (f"\n{what}" if what else "")

    def _title(self, df: pd.DataFrame, context: Mapping[str, Any]) -> list[str]:
        """Two lines: the figure's fixed choices (dataset, learner, ...) and what is measured
        on which attribute."""
        from fairldp.metrics import METRICS

        private = df[~np.isinf(df["epsilon"].to_numpy(np.float64))]
        main = private if not private.empty else df
        varying = set(self._facets()) | {self.x} | set(self._extras(main))
        fixed = []
        for a in TITLE_AXES:
            if a in varying or (a == "protocol" and "privatizer" in {f[0] for f in fixed}):
                continue
            values = main[a].dropna().unique() if a in main else []
            if len(values) != 1 or TITLE_DEFAULTS.get(a) == values[0]:
                continue
            text = label(a, values[0])
            fixed.append((a, text if a in ("dataset", "epsilon", "amount", "bias_rate")
                          else f"{label(a)}: {text}"))  # fmt: skip
        first = (self.title.format(**context) if self.title
                 else " · ".join(t for _, t in fixed) or str(context.get("study", "")))  # fmt: skip
        attribute = context.get("attribute") or ", ".join(
            sorted(map(str, df["attribute"].dropna().unique())))  # fmt: skip
        kinds = {METRICS.get(m).kind for m in df["metric"].unique()}
        what = []
        if kinds & {"fairness", "signed"}:
            measured = f"fairness measured on the true attribute {attribute}"
            if "fairness_privatized" in set(df["audit"].dropna()):
                measured += " (and on its privatized, decoded value: see the line styles)"
            what.append(measured)
        if "leakage" in kinds:
            what.append(f"leakage: an attacker predicting the true attribute {attribute}")
        if kinds <= {"utility"}:
            what.append(f"utility on the clean test labels (group attribute {attribute})")
        seeds = df["seed"].nunique()
        what.append(f"mean and 95% CI over {seeds} seed{'s' if seeds != 1 else ''}")
        return [first, "; ".join(what)]
