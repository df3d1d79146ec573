"""Utility-unfairness fronts of methods and their hypervolume, with seed-bootstrap intervals.

A *method* (e.g. a representation with its repair amounts, or a fair learner with its
tolerances) gives several trade-off points; each point is the mean over seeds of a utility
``u`` (to maximize, e.g. ROC AUC) and an unfairness ``f`` (to minimize, e.g. the equalized-odds
difference on the true group). The method's front is its non-dominated points; its
*hypervolume* (Zitzler & Thiele, 1998) is the area of the region they dominate inside the
reference box ``u >= u_ref``, ``f <= f_ref``:

    ``HV = area( union_i [u_ref, u_i] x [f_i, f_ref] )``   (points outside the box add nothing).

A larger hypervolume is a better front. Its uncertainty comes from the seeds: a bootstrap
replicate resamples the seeds with replacement (the same resample for every method of a panel,
so that differences are paired), recomputes every point's mean and the hypervolume; the
interval is the percentile interval of the replicates (Efron & Tibshirani 1993, ch. 13).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from fairldp.rng import make_rng

__all__ = ["hypervolume", "hypervolume_table", "pareto_front", "select_metrics"]


def pareto_front(x: ArrayLike, y: ArrayLike) -> NDArray[np.int64]:
    """Indices of the points not dominated when both coordinates are to be maximized (no
    other point at least as large on both and larger on one), by increasing ``x``."""
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    order = np.lexsort((-ya, -xa))  # by x descending, ties by y descending
    front, best = [], -np.inf
    for i in order:
        if ya[i] > best:
            front.append(i)
            best = ya[i]
    return np.array(front[::-1], dtype=np.int64)


def hypervolume(u: ArrayLike, f: ArrayLike, ref: tuple[float, float]) -> NDArray[np.float64]:
    """Hypervolume of the points ``(u, f)`` (utility maximized, unfairness minimized) in the box
    ``u >= ref[0]``, ``f <= ref[1]``. ``u`` and ``f`` are (P,) or (B, P) (a batch of point sets,
    e.g. bootstrap replicates); NaN points are left out. Returns a scalar array or (B,).

    With the points sorted by decreasing ``u`` and ``g = ref[1] - f`` (the fairness margin), the
    dominated region is a staircase: ``HV = sum_j (u_(j) - u_(j+1)) max_{i <= j} g_(i)``, with
    ``u_(P+1) = ref[0]`` and both clipped to the box."""
    ua, fa = np.atleast_2d(np.asarray(u, dtype=float)), np.atleast_2d(np.asarray(f, dtype=float))
    if ua.shape != fa.shape:
        raise ValueError(f"u and f must have the same shape, got {ua.shape} and {fa.shape}")
    gain = np.clip(ref[1] - fa, 0.0, None)
    width = np.clip(ua - ref[0], 0.0, None)
    bad = np.isnan(width) | np.isnan(gain)
    width, gain = np.where(bad, 0.0, width), np.where(bad, 0.0, gain)
    order = np.argsort(-width, axis=1, kind="stable")
    w = np.take_along_axis(width, order, axis=1)
    g = np.maximum.accumulate(np.take_along_axis(gain, order, axis=1), axis=1)
    steps = w - np.concatenate([w[:, 1:], np.zeros((w.shape[0], 1))], axis=1)
    out = (steps * g).sum(axis=1)
    return out[0] if np.ndim(u) == 1 else out


def select_metrics(data: pd.DataFrame, utility: str, unfairness: str,
                   audits: tuple[str, str] = ("utility", "fairness_true")) -> pd.DataFrame:
    """The overall rows (``group`` empty) of ``utility`` from ``audits[0]`` and of
    ``unfairness`` from ``audits[1]``."""
    keep = data["metric"].eq(utility) | data["metric"].eq(unfairness)
    if "audit" in data:
        keep &= ((data["metric"].eq(utility) & data["audit"].eq(audits[0]))
                 | (data["metric"].eq(unfairness) & data["audit"].eq(audits[1])))  # fmt: skip
    if "group" in data:
        keep &= data["group"].fillna("").eq("")
    return data[keep]


def hypervolume_table(
    data: pd.DataFrame,
    *,
    utility: str,
    unfairness: str,
    methods: Mapping[str, Mapping[str, Sequence[Any]]],
    by: Sequence[str] = ("dataset", "epsilon"),
    points: Sequence[str] = ("privatizer", "representation", "amount", "learner"),
    ref: tuple[float, float] = (0.5, 0.5),
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    audits: tuple[str, str] = ("utility", "fairness_true"),
) -> pd.DataFrame:
    """Per panel (``by``) and method: the hypervolume of the method's points with its seed-
    bootstrap ``level`` interval, the number of points, of front points and of seeds.

    ``data``: tidy metrics rows (``metric``, ``value``, ``seed``, the axes; overall rows only,
    ``group`` empty). A method is a selection ``{axis: [values]}`` of rows; its points are the
    distinct values of ``points`` among them, each the mean over the seeds of the panel
    (a seed missing for a point is left out of that point's mean). Bootstrap: the same seed
    resample for every method of a panel (stream ``(seed, "hypervolume", panel)``). ``audits``:
    the audits the two metrics are read from (unfairness on the TRUE group by default, never
    the same metric of ``fairness_privatized``); a point with two rows for a seed (an axis not
    in ``by`` or ``points`` that varies) is refused rather than averaged."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    rows = select_metrics(data, utility, unfairness, audits)
    out = []
    for key, panel in rows.groupby(list(by), observed=True, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        seeds = np.sort(panel["seed"].unique())
        rng = make_rng(seed, "hypervolume", *map(str, key))
        draws = rng.integers(0, seeds.size, size=(n_boot, seeds.size))
        counts = np.zeros((n_boot, seeds.size))
        np.add.at(counts, (np.arange(n_boot)[:, None], draws), 1.0)
        for name, sel in methods.items():
            keep = np.ones(len(panel), dtype=bool)
            for axis, values in sel.items():
                vals = list(values) if isinstance(values, list | tuple) else [values]
                keep &= panel[axis].isin(vals).to_numpy()
            part = panel[keep]
            axes = [a for a in points if a in part.columns]
            if part.empty:
                continue
            many = part.groupby([*axes, "seed", "metric"], dropna=False, observed=True).size()
            if (many > 1).any():
                raise ValueError(f"method {name!r}: several rows per point and seed at {key} "
                                 f"(e.g. {many[many > 1].index[0]}); select one value of the "
                                 "other axes (a figure's where)")  # fmt: skip
            wide = part.pivot_table(index=[*axes, "seed"], columns="metric", values="value",
                                    aggfunc="first", dropna=False)  # fmt: skip
            mats = []
            for metric in (utility, unfairness):
                m = (wide[metric].unstack("seed").reindex(columns=seeds) if metric in wide
                     else pd.DataFrame(np.nan, index=wide.index.droplevel("seed").unique(),
                                       columns=seeds))  # fmt: skip
                mats.append(m.to_numpy(np.float64))  # (P, S)
            u_mat, f_mat = mats
            point = [np.nanmean(m, axis=1) for m in (u_mat, f_mat)]
            hv = float(hypervolume(point[0], point[1], ref))
            boot = []
            for m in (u_mat, f_mat):
                ok = ~np.isnan(m)
                num = counts @ np.where(ok, m, 0.0).T  # (B, P)
                den = counts @ ok.T.astype(float)
                boot.append(np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan))
            reps = hypervolume(boot[0], boot[1], ref)
            alpha = (1.0 - level) / 2
            front = pareto_front(point[0], -point[1])
            out.append({**dict(zip(by, key, strict=True)), "method": name,
                        "hypervolume": hv, "ci_low": float(np.quantile(reps, alpha)),
                        "ci_high": float(np.quantile(reps, 1 - alpha)),
                        "points": int(u_mat.shape[0]), "front_points": int(front.size),
                        "seeds": int(seeds.size)})  # fmt: skip
    return pd.DataFrame(out)
