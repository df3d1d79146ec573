"""Theory versus simulation: the closed form of :func:`fairldp.theory.bayes_under_rr` over the
simulated metrics of a study on a discrete joint table (``synthetic_joint``).

The closed form is the Bayes (population, infinite-sample) classifier learnt on training rows
whose protected attribute ``A`` went through randomized response (GRR) with budget ``eps``,
applied to clean test rows (Makhlouf, Stefanović, Arcolezi & Palamidessi 2024,
arXiv:2405.14725). Its predictions change only at the thresholds ``eps*``, so each metric is a
step function of ``eps``; :func:`closed_form` gives the metrics of :data:`THEORY_METRICS` with
the definitions of :mod:`fairldp.metrics` (unsigned differences ``max - min`` over groups, their
``_signed`` variants against the reference group, ratios ``min / max``), so that the curve and
the simulated values compare like with like.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from fairldp.figures import FIGURE_KINDS, FigureKind, label, summarize

__all__ = ["THEORY_METRICS", "Theory", "closed_form", "joint_table", "thresholds"]

#: the metrics with a closed form here (their ``_signed`` variants too, where registered)
THEORY_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equal_opportunity_difference",
    "equalized_odds_difference",
    "false_positive_rate_difference",
    "accuracy_score_difference",
    "demographic_parity_difference_signed",
    "equal_opportunity_difference_signed",
    "equalized_odds_difference_signed",
    "false_positive_rate_difference_signed",
    "accuracy_score_difference_signed",
)
#: the datasets whose draws follow a joint table given by the study (``synthetic.<name>.table``)
JOINT_DATASETS = ("synthetic_joint", "synthetic_joint3")
#: axes that must have one value among the private rows of a file (the closed form is one
#: setting: GRR on the protected attribute, one representation)
SINGLE_AXES = ("dataset", "attribute", "privatizer", "protocol", "budget_split",
               "representation", "kind", "amount")  # fmt: skip
#: protocols the closed form describes (``none``: the non-private reference, epsilon infinite)
PROTOCOLS = ("grr", "none")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
REFERENCE = {"color": "0.45", "lw": 2.4, "alpha": 0.4, "zorder": 0.5}  # the fair value
THRESHOLD = {"color": "tab:red", "lw": 1.0, "ls": (0, (2, 2)), "zorder": 1}
CURVE = {"color": "black", "lw": 1.6, "zorder": 2.5}
BASELINE_SEPARATOR = {"color": "0.75", "lw": 0.8, "zorder": 0}
#: the range of the values of each kind of metric (y ranges never extend beyond it)
BOUNDS = {"utility": (0.0, 1.0), "fairness": (0.0, 1.0), "signed": (-1.0, 1.0)}
#: factor between the largest budget and the position of the tick ``∞``
INF_FACTOR = 2.2


def joint_table(rows: Sequence[Sequence[float]] | None = None) -> pd.DataFrame:
    """The tidy joint P(A, X, Y) (columns ``A, X, Y, p``; binary A and Y, X in {0, 1, ..}) of
    rows ``[a, x, y, p]`` as a study's ``synthetic.synthetic_joint[3].table`` gives them
    (default, ``None``: the Makhlouf et al. 2024 running example, the dataset's default)."""
    from fairldp.datasets.synthetic import as_joint_table, makhlouf_2024_example

    if rows is None:
        return makhlouf_2024_example()
    rows = [list(r) for r in rows]
    for i, r in enumerate(rows):
        if len(r) != 4:
            raise ValueError(f"table[{i}]: a row is [a, x, y, p], got {r}")
        if r[0] not in (0, 1) or r[2] not in (0, 1) or not (float(r[1]).is_integer()
                                                            and r[1] >= 0):  # fmt: skip
            raise ValueError(f"table[{i}]: a and y must be 0 or 1 and x a whole number >= 0, "
                             f"got {r[:3]}")  # fmt: skip
    df = pd.DataFrame(rows, columns=["A", "X", "Y", "p"]).astype({"A": int, "X": int, "Y": int})
    return as_joint_table(df)


def _same_joint(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two tidy tables give the same distribution (cells of probability 0 ignored)."""
    key = ["A", "X", "Y"]

    def norm(t: pd.DataFrame) -> pd.Series:
        s = t.groupby(key)["p"].sum()
        return s[s > 0].sort_index()

    x, y = norm(a), norm(b)
    return bool(x.index.equals(y.index) and np.allclose(x.to_numpy(), y.to_numpy(), atol=1e-12))


def thresholds(table: pd.DataFrame) -> pd.DataFrame:
    """The budgets ``eps*`` at which a prediction for a test person changes (cells of test
    weight ``P(A=z, X=x) > 0``; :func:`fairldp.theory.rr_thresholds`), sorted."""
    from fairldp.theory import rr_thresholds

    th = rr_thresholds(table)
    return th[th["weight"] > 0].reset_index(drop=True)


def _gap(r: np.ndarray) -> np.ndarray:
    """``max - min`` over groups (last axis), NaN if any group's rate is NaN."""
    return r.max(axis=-1) - r.min(axis=-1)


def _signed_gap(r: np.ndarray, ref: int) -> np.ndarray:
    """``r_b - r_ref`` for the group ``b`` farthest from the reference (the negative gap on a
    tie of magnitudes), NaN if any rate is NaN: :mod:`fairldp.metrics`' ``_signed``."""
    delta = r - r[..., ref : ref + 1]
    mag = np.abs(delta).max(axis=-1, keepdims=True)
    pick = np.where(np.abs(delta) == mag, delta, np.inf).min(axis=-1)
    return np.where(np.isnan(r).any(axis=-1), np.nan, pick)


def closed_form(
    table: pd.DataFrame,
    metrics: Sequence[str],
    epsilon: Sequence[float] | np.ndarray,
    reference: Hashable | None = None,
) -> dict[str, np.ndarray]:
    """Metric name -> its value at each budget of ``epsilon`` for the Bayes classifier learnt on
    GRR-privatized ``A`` (:func:`fairldp.theory.bayes_under_rr`), measured on clean test rows
    with the definitions of :mod:`fairldp.metrics`; ``reference``: the reference (privileged)
    group of the ``_signed`` variants. A rate undefined for some group makes a difference NaN,
    a ratio whose largest selection rate is 0 is NaN, as in :mod:`fairldp.metrics`."""
    from fairldp.metrics import METRICS
    from fairldp.theory import bayes_under_rr

    r = bayes_under_rr(table, np.asarray(epsilon, dtype=float))
    groups = list(r.groups)
    p_ay = table.groupby(["A", "Y"])["p"].sum()
    pos = np.array([p_ay.get((g, 1), 0.0) for g in groups])  # P(A=a, Y=1)
    neg = np.array([p_ay.get((g, 0), 0.0) for g in groups])
    with np.errstate(invalid="ignore", divide="ignore"):
        tp = np.where(pos > 0, r.tpr * pos, 0.0)  # P(h=1, Y=1, A=a)
        fp = np.where(neg > 0, r.fpr * neg, 0.0)
        acc_a = (tp + neg - fp) / (pos + neg)  # per-group accuracy
        rates = {"sel": r.selection_rate, "tpr": r.tpr, "fpr": r.fpr, "acc": acc_a}
        tpr_all = tp.sum(axis=1) / pos.sum() if pos.sum() > 0 else np.full(len(r.epsilon), np.nan)
        tnr_all = ((neg - fp).sum(axis=1) / neg.sum() if neg.sum() > 0
                   else np.full(len(r.epsilon), np.nan))  # fmt: skip
        sel_max = r.selection_rate.max(axis=1)
        ratio = np.where(sel_max > 0, r.selection_rate.min(axis=1) / np.where(
            sel_max > 0, sel_max, 1.0), np.nan)  # fmt: skip
    base = {
        "demographic_parity_difference": "sel",
        "equal_opportunity_difference": "tpr",
        "false_positive_rate_difference": "fpr",
        "accuracy_score_difference": "acc",
    }
    out: dict[str, np.ndarray] = {}
    for name in metrics:
        m = METRICS.resolve(name)
        if m == "accuracy":
            out[name] = r.accuracy
        elif m == "balanced_accuracy":
            out[name] = (tpr_all + tnr_all) / 2
        elif m == "demographic_parity_ratio":
            out[name] = np.where(np.isnan(r.selection_rate).any(axis=1), np.nan, ratio)
        elif m in base:
            out[name] = _gap(rates[base[m]])
        elif m == "equalized_odds_difference":
            out[name] = np.fmax(_gap(r.tpr), _gap(r.fpr))
            out[name][np.isnan(_gap(r.tpr)) | np.isnan(_gap(r.fpr))] = np.nan
        elif m.endswith("_signed") and m in THEORY_METRICS:
            if reference is None or reference not in groups:
                raise ValueError(f"{m}: the signed differences need the reference group, a value "
                                 f"of A in {groups}; got {reference!r}")  # fmt: skip
            ref = groups.index(reference)
            stem = m.removesuffix("_signed")
            if stem == "equalized_odds_difference":
                t, f = _signed_gap(r.tpr, ref), _signed_gap(r.fpr, ref)
                out[name] = np.where(np.abs(t) >= np.abs(f), t, f)
                out[name][np.isnan(t) | np.isnan(f)] = np.nan
            else:
                out[name] = _signed_gap(rates[base[stem]], ref)
        else:
            raise ValueError(f"no closed form for metric {name!r}; one of {list(THEORY_METRICS)}")
    return out


@FIGURE_KINDS.register("theory")
@dataclass(frozen=True)
class Theory(FigureKind):
    """Per metric of ``y`` (one panel each, stacked), against epsilon (log scale): the
    simulated mean over seeds and its 95% Student-t interval, one colour and marker per learner
    (offset slightly along x), and the closed-form curve of the Bayes classifier under GRR on
    ``A`` (:func:`fairldp.theory.bayes_under_rr`, black, on a fine grid of budgets that
    includes every threshold, so its jumps are vertical), with a vertical dashed line at each
    threshold ``eps*`` where a test person's prediction changes. Non-private rows (epsilon
    infinite) sit at the tick ``∞`` (hollow markers; the closed form's limit as a black bar).
    Every panel has the metric's fair value as a grey line.

    The joint table is the spec's ``table`` (rows ``[a, x, y, p]``, as the study's
    ``synthetic.synthetic_joint.table``); without it the study's own table if the figure stage
    passes it (``context["synthetic"]``), else the dataset's default (the Makhlouf et al. 2024
    running example). A spec ``table`` that differs from the study's is an error. The closed
    form describes GRR on ``A`` of the training rows with clean test rows and the Bayes
    classifier on the cells of ``(x, z)`` (the model ``cell_bayes`` estimates it; LightGBM on
    the one-hot features approximates it): rows of another protocol, or several privatizers or
    representations in one file, are refused (select with ``where`` or ``files``).

    Unsigned differences (the metrics table's default) are compared with the absolute closed
    form; the simulated mean of an unsigned difference is the mean of ``|estimate|``, above
    ``|truth|`` by about ``0.8 sd`` when the truth is 0. ``_signed`` variants use the dataset's
    reference group.

    Parameters: ``y`` (metrics of :data:`THEORY_METRICS`), ``table``, ``points`` (budgets of the
    fine grid), plus those of :class:`~fairldp.figures.FigureKind`.
    """

    kind: ClassVar[str] = "theory"
    y: tuple[str, ...] = ("demographic_parity_difference", "equal_opportunity_difference",
                          "accuracy")  # fmt: skip
    table: tuple[tuple[float, ...], ...] | None = None
    points: int = 400

    def __post_init__(self) -> None:
        super().__post_init__()
        from fairldp.metrics import METRICS

        if not self.y:
            raise ValueError("y is empty: name at least one metric")
        resolved = []
        for m in self.y:
            if m not in METRICS:
                from fairldp.registry import closest

                raise ValueError(f"y: unknown metric {m!r}{closest(m, METRICS.names())}")
            name = METRICS.resolve(m)
            if name not in THEORY_METRICS:
                raise ValueError(f"y: no closed form for {m!r}; one of {list(THEORY_METRICS)}")
            resolved.append(name)
        object.__setattr__(self, "y", tuple(resolved))
        if self.table is not None:
            rows = tuple(tuple(float(v) for v in r) for r in self.table)
            joint_table(rows)  # validates
            object.__setattr__(self, "table", rows)
        if isinstance(self.points, bool) or not isinstance(self.points, int) or self.points < 10:
            raise ValueError(f"points must be an integer >= 10, got {self.points!r}")

    def params(self) -> dict[str, Any]:
        out = super().params()
        if self.table is not None:
            out["table"] = [list(r) for r in self.table]
        return out

    def describe(self) -> str:
        metrics = ", ".join(label("metric", m) for m in self.y)
        return (
            f"{metrics} against {label('epsilon')}: simulation against theory. Markers with "
            "capped error bars: the mean over seeds and its 95% Student-t interval, one colour "
            "and marker per learner (offset slightly along the x axis). Black line: the closed "
            "form of the Bayes classifier learnt on training rows whose protected attribute went "
            "through randomized response, applied to clean test rows (Makhlouf, Stefanović, "
            "Arcolezi & Palamidessi 2024); red dashed lines: the budgets ε* at which its "
            "prediction for some test person changes. At ∞: the non-private reference (hollow "
            "markers) and the closed form's limit (black bar). Grey line: the fair value. A "
            "simulated unsigned difference averages |estimate|, so it sits slightly above a "
            "closed form of 0; near ε* the classifier learnt from a finite sample falls on "
            "either side, so the mean lies between the two levels. A synthetic data set is "
            "drawn once (the study's synthetic seed) and the seeds vary the split, the noise "
            "and the model, so the intervals are conditional on that draw: the simulated levels "
            "and jump may sit off the closed form by the sampling error of the drawn table "
            "(about 1/√n in a rate; in ε* = ln(-D_1/D_0), about √(1/n_1 + 1/n_0) with n_a the "
            "counts that set it)."
        )

    # ----- data ------------------------------------------------------------------------------

    def joint(self, context: Mapping[str, Any]) -> pd.DataFrame:
        """The joint table of the file: the spec's, the study's (``context["synthetic"]``), or
        the dataset's default; a spec table that differs from the study's is an error."""
        dataset = context.get("dataset")
        study_rows = None
        synthetic = context.get("synthetic") or {}
        if dataset in synthetic:
            study_rows = (synthetic[dataset] or {}).get("table")
        if self.table is None and dataset is not None and dataset not in JOINT_DATASETS:
            raise ValueError(f"figure {context.get('figure')!r}: the closed form needs the joint "
                             f"table of {dataset!r}; give it as the spec's table: "
                             "[[a, x, y, p], ...]")  # fmt: skip
        if self.table is not None:
            mine = joint_table(self.table)
            if study_rows is not None and not _same_joint(mine, joint_table(study_rows)):
                raise ValueError(f"figure {context.get('figure')!r}: its table differs from the "
                                 f"study's synthetic.{dataset}.table; drop it (the study's is "
                                 "used) or make them equal")  # fmt: skip
            return mine
        return joint_table(study_rows)

    def _rows(self, data: pd.DataFrame, context: Mapping[str, Any]) -> pd.DataFrame:
        df = data[data["metric"].isin(list(self.y))]
        if "audit" not in self.where:
            df = df[df["audit"] != "fairness_privatized"]
        if df.empty:
            where = {k: v for k, v in context.items() if k != "orders"}
            raise ValueError(f"figure {context.get('figure')!r}: no rows of {list(self.y)} for "
                             f"{where}")  # fmt: skip
        protocols = set(df["protocol"].dropna().unique()) - set(PROTOCOLS)
        if protocols:
            raise ValueError(f"figure {context.get('figure')!r}: the closed form describes GRR, "
                             f"and the rows hold protocol(s) {sorted(protocols)}; select rows "
                             "with where: {protocol: [grr, none]}")  # fmt: skip
        private = df[np.isfinite(df["epsilon"].to_numpy(np.float64))]
        for axis in SINGLE_AXES:
            if axis in private and private[axis].nunique(dropna=False) > 1:
                values = sorted(map(str, private[axis].unique()))
                raise ValueError(f"figure {context.get('figure')!r}: {axis} takes several values "
                                 f"{values}; draw one per file (files: [..., {axis}]) or select "
                                 "one with where")  # fmt: skip
        return df

    # ----- drawing -----------------------------------------------------------------------------

    def figure(self, data: pd.DataFrame, context: Mapping[str, Any]) -> Any:
        """The matplotlib figure of the selected rows (``draw`` writes it to files)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import seaborn as sns
        from matplotlib.lines import Line2D

        from fairldp.figures.lines import undefined_reason
        from fairldp.metrics import METRICS

        df = self._rows(data, context)
        table = self.joint(context)
        dataset = context.get("dataset") or (df["dataset"].iloc[0] if len(df) else None)
        reference = None
        if any(m.endswith("_signed") for m in self.y) and dataset is not None:
            from fairldp.datasets import get_dataset

            reference = _coerce(get_dataset(str(dataset)).reference, table["A"])
        inf_rows = np.isinf(df["epsilon"].to_numpy(np.float64))
        private, base = df[~inf_rows], df[inf_rows]
        xs = np.sort(private["epsilon"].unique()) if not private.empty else np.array([1.0])
        lo, hi = float(xs.min()), float(xs.max())
        left, right = lo / 1.35, hi * 1.35
        inf_at = hi * INF_FACTOR * 1.35 if not base.empty else None

        th = thresholds(table)
        stars = np.unique(th["epsilon"].to_numpy(np.float64))
        separator = math.sqrt(right * inf_at) if inf_at is not None else None
        grid = np.geomspace(left, separator or right, self.points)
        inside = stars[(stars > left) & (stars < right)]
        grid = np.unique(np.concatenate([grid, inside, np.nextafter(inside, np.inf)]))
        curves = closed_form(table, self.y, grid, reference)
        at_inf = closed_form(table, self.y, [np.inf], reference)

        order = list((context.get("orders") or {}).get("learner", ()))
        seen = list(dict.fromkeys(df["learner"].dropna().tolist()))
        groups = _identical_learners(df, [v for v in order if v in seen]
                                     + [v for v in seen if v not in order])  # fmt: skip
        learners = [g[0] for g in groups]
        palette = dict(zip(learners, sns.color_palette("colorblind", len(learners)),
                           strict=True))  # fmt: skip
        markers = {h: MARKERS[i % len(MARKERS)] for i, h in enumerate(learners)}
        names = {g[0]: " = ".join(_learner_label(h) for h in g)
                 + (" (simulation, identical)" if len(g) > 1 else " (simulation)")
                 for g in groups}  # fmt: skip

        width = 7.2
        fig, axes = plt.subplots(len(self.y), 1, figsize=(width, 2.1 * len(self.y) + 1.6),
                                 sharex=True, squeeze=False, layout="constrained")  # fmt: skip
        step = float(np.diff(np.log(xs)).min()) if len(xs) > 1 else math.log(2)
        for i, metric in enumerate(self.y):
            ax = axes[i, 0]
            sub, bsub = private[private["metric"] == metric], base[base["metric"] == metric]
            values: list[float] = []
            fv = METRICS.get(metric).fair_value
            if fv is not None:
                ax.axhline(float(fv), gid="fair_value", **REFERENCE)
                values.append(float(fv))
            for s in inside:
                ax.axvline(s, gid="threshold", **THRESHOLD)
                if i == 0:
                    ax.text(s, 1.01, f"ε* = {s:.3g}", transform=ax.get_xaxis_transform(),
                            ha="center", va="bottom", fontsize=7.5, color=THRESHOLD["color"],
                            gid="threshold_label")  # fmt: skip
            curve = curves[metric]
            ax.plot(grid, curve, gid="theory", **CURVE)
            values += curve[np.isfinite(curve)].tolist()
            if separator is not None and inf_at is not None:
                ax.axvline(separator, **BASELINE_SEPARATOR)
                v = float(at_inf[metric][0])
                if math.isfinite(v):
                    ax.plot([inf_at / 1.12, inf_at * 1.12], [v, v], gid="theory_inf", **CURVE)
                    values.append(v)
            for n, h in enumerate(learners):
                off = (n - (len(learners) - 1) / 2) * min(0.12, 0.3 / max(len(learners) - 1, 1))
                shift = math.exp(off * min(step, math.log(2)))
                pts = summarize(sub[sub["learner"] == h], ["epsilon"])
                pts = pts[pts["mean"].notna()]
                if not pts.empty:
                    ax.errorbar(pts["epsilon"] * shift, pts["mean"],
                                yerr=[pts["mean"] - pts["lo"], pts["hi"] - pts["mean"]],
                                color=palette[h], marker=markers[h], ls="none", ms=4.5,
                                capsize=2.5, elinewidth=0.9, capthick=0.9, zorder=3,
                                gid=f"simulation:{h}")  # fmt: skip
                    values += pts["lo"].tolist() + pts["hi"].tolist()
                bh = bsub[bsub["learner"] == h]
                bpts = summarize(bh, ["epsilon"]) if not bh.empty else None
                if inf_at is not None and bpts is not None and bpts["mean"].notna().any():
                    b = bpts[bpts["mean"].notna()].iloc[0]
                    ax.errorbar([inf_at * shift], [b["mean"]],
                                yerr=[[b["mean"] - b["lo"]], [b["hi"] - b["mean"]]],
                                color=palette[h], marker=markers[h], mfc="white", ls="none",
                                ms=4.5, capsize=2.5, elinewidth=0.9, zorder=3,
                                gid=f"baseline:{h}")  # fmt: skip
                    values += [float(b["lo"]), float(b["hi"])]
            if sub["value"].isna().all() and bsub["value"].isna().all():
                ax.text(0.5, 0.5, undefined_reason(metric), transform=ax.transAxes, ha="center",
                        va="center", fontsize=8.5, color="0.25", gid="undefined",
                        bbox={"boxstyle": "round", "fc": "0.96", "ec": "0.8"})  # fmt: skip
            # a few-seed interval may reach beyond what the metric can take: clip the range
            bottom, top = BOUNDS.get(METRICS.get(metric).kind, (-math.inf, math.inf))
            finite = [min(max(v, bottom), top) for v in values if math.isfinite(v)]
            if finite:
                a, b = min(finite), max(finite)
                pad = max(0.06 * (b - a), 0.02)
                ax.set_ylim(a - pad, b + pad)
            ax.set_ylabel(label("metric", metric), fontsize=9)
            ax.grid(alpha=0.3)
        ax = axes[-1, 0]
        ax.set_xscale("log")
        ticks = _nice_ticks(left, right)
        texts = [f"{t:g}" for t in ticks]
        if inf_at is not None:
            ticks.append(inf_at)
            texts.append("∞")
        ax.set_xticks(ticks, texts, fontsize=8)
        ax.minorticks_off()
        ax.set_xlim(left, inf_at * 1.35 if inf_at is not None else right)
        xlabel = label("epsilon") + ("; ∞: non-private" if inf_at is not None else "")
        ax.set_xlabel(xlabel)

        handles = [Line2D([], [], color=palette[h], marker=markers[h], ls="none", ms=5,
                          label=names[h]) for h in learners]  # fmt: skip
        handles.append(Line2D([], [], label="closed form (Bayes classifier under GRR)", **{
            k: v for k, v in CURVE.items() if k != "zorder"}))  # fmt: skip
        if len(stars):
            text = ", ".join(f"{s:.4g}" for s in stars)
            style = {k: v for k, v in THRESHOLD.items() if k != "zorder"}
            handles.append(Line2D([], [], label=f"ε* = {text}", **style))
        if not base.empty:
            handles.append(Line2D([], [], color="black", marker="o", mfc="white", ls="none",
                                  ms=5, label=label("epsilon", math.inf)))  # fmt: skip
        if any(METRICS.get(m).fair_value is not None for m in self.y):
            style = {k: v for k, v in REFERENCE.items() if k != "zorder"}
            handles.append(Line2D([], [], label="fair value", **style))
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 3),
                   frameon=False, fontsize=8)  # fmt: skip
        fig.suptitle(self._title(df, table, context), fontsize=9.5)
        return fig

    def _title(self, df: pd.DataFrame, table: pd.DataFrame, context: Mapping[str, Any]) -> str:
        import textwrap

        if self.title:
            first = self.title.format(**context)
        else:
            dataset = context.get("dataset") or ", ".join(map(str, df["dataset"].unique()))
            first = f"{label('dataset', dataset)}: simulation vs closed form"
        seeds = df["seed"].nunique()
        first += f" (mean and 95% CI over {seeds} seed{'s' if seeds != 1 else ''})"
        cells = ", ".join(f"({int(r.A)},{int(r.X)},{int(r.Y)}): {r.p:.4g}"
                          for r in table.itertuples() if r.p > 0)  # fmt: skip
        attribute = context.get("attribute") or ", ".join(
            sorted(map(str, df["attribute"].dropna().unique())))  # fmt: skip
        second = (f"GRR on {attribute} of the training rows, clean test rows; fairness on the "
                  f"true {attribute}")  # fmt: skip
        third = f"P(A, X, Y) = {{{cells}}}"
        return "\n".join(textwrap.fill(t, 95) for t in (first, second, third))


def _identical_learners(df: pd.DataFrame, learners: Sequence[str]) -> list[list[str]]:
    """The learners grouped by identical rows (the same metric, budget and seed values to
    1e-12, NaN equal to NaN), in the order of ``learners``."""
    keys = ["metric", "epsilon", "seed"]
    values = {}
    for h in learners:
        part = df[df["learner"] == h].sort_values(keys, kind="stable")
        values[h] = (part[keys].astype(str).to_numpy(), part["value"].to_numpy(np.float64))
    groups: list[list[str]] = []
    for h in learners:
        k, v = values[h]
        for g in groups:
            k0, v0 = values[g[0]]
            if (k.shape == k0.shape and (k == k0).all()
                    and np.allclose(v, v0, rtol=0, atol=1e-12, equal_nan=True)):  # fmt: skip
                g.append(h)
                break
        else:
            groups.append([h])
    return groups


def _learner_label(name: str) -> str:
    """A learner's label; a learner named after a registered model takes the model's label."""
    from fairldp.models import MODELS

    return label("model", name) if name in MODELS else label("learner", name)


def _coerce(reference: Any, values: pd.Series) -> Any:
    """The reference group as a value of ``values`` (a registry may give it as a string)."""
    if reference is None:
        return None
    for v in pd.unique(values):
        if str(v) == str(reference):
            return v
    return reference


def _nice_ticks(left: float, right: float) -> list[float]:
    """Ticks 1, 2, 5 x 10^k inside ``[left, right]``."""
    out = []
    for k in range(math.floor(math.log10(left)) - 1, math.ceil(math.log10(right)) + 1):
        for m in (1, 2, 5):
            t = m * 10.0**k
            if left <= t <= right:
                out.append(float(f"{t:.6g}"))
    return out
