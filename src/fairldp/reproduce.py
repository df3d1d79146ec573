"""A study's numbers beside a paper's published ones, with the difference in standard errors.

The published numbers are a tidy table (``docs/reproductions/published.csv``): ``paper``,
``source`` (where the number was read), ``dataset``, ``method``, ``epsilon``, ``metric``,
``value``, ``se`` (empty when the paper gives none), ``exact`` ('yes': read from a table, a
text or the authors' result files; 'no': read off a plot) and ``note``.

A study's ``reproduction`` key says how its rows meet the paper's (:func:`compare`):
``paper`` (its key in the table), ``datasets`` (ours -> theirs), ``metrics`` (ours -> theirs;
``"|SPD|"`` compares with the absolute value of theirs: our differences are unsigned;
``"1-error"`` with its complement),
``method`` (their method key formed from our axes, e.g. ``"{protocol};split={budget_split}"``)
with ``values`` (per axis, our value -> the word the paper uses), ``baseline`` (their key of
our non-private rows, epsilon infinite), ``where`` (our rows to compare: axis -> values) and
``notes`` (per dataset, or ``all``: why the numbers differ, found rather than guessed).

Per compared cell: our mean over seeds and its standard error ``sd / sqrt(n)``, the published
value and its standard error, the difference and ``z = (ours - theirs) / sqrt(se_ours^2 +
se_theirs^2)``; a published number without a standard error is compared with ours alone.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PUBLISHED_COLUMNS", "compare", "markdown", "read_published"]

PUBLISHED_COLUMNS = ("paper", "source", "dataset", "method", "epsilon", "metric", "value", "se",
                     "exact", "note")  # fmt: skip
#: a paper's number and ours agree when they are at most this many standard errors apart
WITHIN = 2.0


def read_published(path: str, paper: str | None = None) -> pd.DataFrame:
    """The published numbers (of ``paper``), ``epsilon`` as float (``inf``: non-private)."""
    df = pd.read_csv(path, dtype={"epsilon": str, "se": str}, keep_default_na=False)
    missing = [c for c in PUBLISHED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: no column {missing[0]!r} (expected {list(PUBLISHED_COLUMNS)})")
    if paper is not None:
        papers = sorted(set(df["paper"]))
        if paper not in papers:
            from fairldp.registry import closest

            raise ValueError(f"{path} has no paper {paper!r}{closest(paper, papers)}; it has "
                             f"{papers}")  # fmt: skip
        df = df[df["paper"] == paper]
    df = df[df["epsilon"] != ""].copy()  # closed forms and notes without a budget
    df["epsilon"] = df["epsilon"].astype(float)
    df["se"] = pd.to_numeric(df["se"].replace("", np.nan))
    df["value"] = pd.to_numeric(df["value"])
    return df.reset_index(drop=True)


def _method_keys(rows: pd.DataFrame, spec: Mapping[str, Any]) -> pd.Series:
    """Their method key of each of our rows (``baseline`` for the non-private ones)."""
    template = spec["method"]
    values = spec.get("values") or {}
    axes = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    unknown = [a for a in axes if a not in rows.columns]
    if unknown:
        raise ValueError(f"reproduction.method names {unknown[0]!r}, not an axis of the metrics "
                         f"table ({list(rows.columns)})")  # fmt: skip
    combos = rows[axes].drop_duplicates()
    keys = {tuple(c): template.format(**{a: values.get(a, {}).get(v, v) for a, v in
                                         zip(axes, c, strict=True)})
            for c in combos.itertuples(index=False)}  # fmt: skip
    out = pd.Series([keys[tuple(r)] for r in rows[axes].itertuples(index=False)],
                    index=rows.index, dtype=object)  # fmt: skip
    base = np.isinf(rows["epsilon"].to_numpy(np.float64))
    if spec.get("baseline"):
        out[base] = spec["baseline"]
    return out


def compare(metrics: pd.DataFrame, published: pd.DataFrame,
            spec: Mapping[str, Any]) -> pd.DataFrame:  # fmt: skip
    """One row per published number of ``spec["paper"]`` that the study has a cell for:
    ``quantity`` ('level': the number itself; 'change': its change from the non-private
    number of the same dataset and metric, ours paired by seed), ``dataset`` (ours),
    ``method`` (theirs), ``epsilon``, ``metric`` (ours), ``published``, ``published_se``,
    ``exact``, ``source``, ``ours`` (mean over seeds), ``ours_se``, ``n`` (seeds),
    ``difference`` (ours - published), ``z`` and ``within`` (``|z| <= 2``). Changes are
    compared when ``spec["baseline"]`` names the paper's non-private method."""
    rows = metrics
    for axis, allowed in (spec.get("where") or {}).items():
        rows = rows[rows[axis].isin(list(allowed))]
    datasets = dict(spec.get("datasets") or {})
    rows = rows[rows["dataset"].isin(list(datasets))] if datasets else rows
    metric_map = {ours: _their_name(theirs) for ours, theirs in spec["metrics"].items()}
    absolute = {ours for ours, theirs in spec["metrics"].items() if theirs.startswith("|")}
    complement = {ours for ours, theirs in spec["metrics"].items() if theirs.startswith("1-")}
    rows = rows[rows["metric"].isin(list(metric_map))]
    if rows.empty:
        raise ValueError("the reproduction selects no row of the metrics table (check its "
                         "where, datasets and metrics)")  # fmt: skip
    rows = rows.assign(method=_method_keys(rows, spec))
    theirs = published.assign(
        dataset=published["dataset"].map({t: o for o, t in datasets.items()}) if datasets
        else published["dataset"],
        metric=published["metric"].map({t: o for o, t in metric_map.items()}),
    ).dropna(subset=["dataset", "metric"])  # fmt: skip
    theirs = theirs.rename(columns={"value": "published", "se": "published_se"})
    flip = theirs["metric"].isin(list(absolute))
    theirs.loc[flip, "published"] = theirs.loc[flip, "published"].abs()
    flip = theirs["metric"].isin(list(complement))
    theirs.loc[flip, "published"] = 1.0 - theirs.loc[flip, "published"]
    parts = [_against(_ours(rows), theirs, "level")]
    if spec.get("baseline"):
        for q in ("change", "relative"):
            parts.append(_against(_ours(_changes(rows, q)),
                                  _their_changes(theirs, spec["baseline"], q), q))  # fmt: skip
    out = pd.concat(parts, ignore_index=True)
    out["difference"] = out["ours"] - out["published"]
    se = np.sqrt(out["ours_se"].fillna(0) ** 2 + out["published_se"].fillna(0) ** 2)
    # no spread on either side (a deterministic number, e.g. a rate that is exactly 0): equal
    # up to the published rounding (6 decimals) counts as within, with z = 0; else undefined
    equal = (se == 0) & (out["difference"].abs() <= 1e-6)
    out["z"] = np.where(se > 0, out["difference"] / se.where(se > 0, 1.0),
                        np.where(equal, 0.0, np.nan))  # fmt: skip
    out["within"] = out["z"].abs() <= WITHIN
    return out.sort_values(["quantity", *_KEYS], kind="stable").reset_index(drop=True)


_KEYS = ["dataset", "method", "epsilon", "metric"]


def _their_name(text: str) -> str:
    """The paper's metric name in a ``metrics`` value: ``|SPD|`` -> ``SPD`` (compared with its
    absolute value), ``1-error`` -> ``error`` (compared with its complement)."""
    return text[2:] if text.startswith("1-") else text.strip("|")


def _ours(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard error ``sd / sqrt(n)`` and ``n`` over seeds per cell."""
    ours = rows.groupby(_KEYS, dropna=False)["value"].agg(["mean", "std", "count"]).reset_index()
    ours["ours_se"] = ours["std"] / np.sqrt(ours["count"])
    return ours.rename(columns={"mean": "ours", "count": "n"}).drop(columns="std")


def _changes(rows: pd.DataFrame, quantity: str) -> pd.DataFrame:
    """Each private row's value minus (``change``) or relative to (``relative``: ``v / b - 1``)
    the non-private value ``b`` of the same seed (and dataset, learner, representation,
    amount, audit, metric)."""
    keys = [c for c in ("dataset", "learner", "representation", "amount", "audit", "group",
                        "metric", "seed") if c in rows.columns]  # fmt: skip
    base = np.isinf(rows["epsilon"].to_numpy(np.float64))
    ref = rows[base][[*keys, "value"]].rename(columns={"value": "_base"})
    out = rows[~base].merge(ref, on=keys, how="inner")
    value = (out["value"] - out["_base"] if quantity == "change"
             else out["value"] / out["_base"].where(out["_base"] != 0) - 1.0)  # fmt: skip
    return out.assign(value=value).drop(columns="_base")


def _their_changes(theirs: pd.DataFrame, baseline: str, quantity: str) -> pd.DataFrame:
    """The paper's numbers minus (``change``) or relative to (``relative``) its non-private
    number of the same dataset and metric; standard errors combined as if independent (their
    seeds are paired: conservative), by the delta method for ratios."""
    base = theirs[theirs["method"] == baseline][["dataset", "metric", "published",
                                                 "published_se"]]  # fmt: skip
    base = base.rename(columns={"published": "_b", "published_se": "_bse"})
    out = theirs[theirs["method"] != baseline].merge(base, on=["dataset", "metric"])
    v, b, sv, sb = out["published"], out["_b"], out["published_se"], out["_bse"]
    if quantity == "change":
        value, se = v - b, np.sqrt(sv**2 + sb**2)
    else:
        ratio = v / b.where(b != 0)
        value, se = ratio - 1.0, ratio.abs() * np.sqrt((sv / v) ** 2 + (sb / b) ** 2)
    return out.assign(published=value, published_se=se).drop(columns=["_b", "_bse"])


def _against(ours: pd.DataFrame, theirs: pd.DataFrame, quantity: str) -> pd.DataFrame:
    out = theirs[[*_KEYS, "published", "published_se", "exact", "source"]].merge(
        ours, on=_KEYS, how="inner")
    return out.assign(quantity=quantity)


def _fmt(x: float, se: float | None = None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    text = f"{x:.3f}"
    return text if se is None or math.isnan(se) else f"{text} ± {se:.3f}"


def markdown(table: pd.DataFrame, spec: Mapping[str, Any], title: str | None = None) -> str:
    """The comparison as a Markdown page: what was compared, how many published numbers are
    within 2 SE (per quantity and dataset), the reasons of the differences (``notes``), then
    one table per quantity and dataset."""
    from fairldp.labels import label

    paper = spec["paper"]
    words = {"level": "the numbers", "change": "their change from the non-private number",
             "relative": "their relative change from the non-private number"}
    lines = [f"# {title or paper}: published numbers beside fairldp's", ""]
    lines += [f"Generated by the study's `reproduction` rule from `{spec.get('published')}` "
              f"(paper key `{paper}`) and the study's metrics: our mean ± SE over seeds, "
              f"theirs ± their SE where given; z = difference / combined SE; a number is "
              f"*within* when |z| <= {WITHIN:g} (✗ otherwise). ≈: read off a plot. "
              "*Change*: the number at a budget minus the non-private one (ours paired by "
              "seed), which is what a claim about the effect of privacy is about; *relative "
              "change*: the number divided by the non-private one, minus 1.", ""]  # fmt: skip
    lines += ["| compared | dataset | numbers | within 2 SE |", "|---|---|---|---|"]
    for (q, ds), g in table.groupby(["quantity", "dataset"], sort=False):
        lines.append(f"| {words[q]} | {label('dataset', ds)} | {len(g)} | "
                     f"{int(g['within'].sum())} |")  # fmt: skip
    lines.append("")
    notes = dict(spec.get("notes") or {})
    if notes:
        lines += ["## Why the numbers differ", ""]
        lines += [f"- **{'all datasets' if k == 'all' else label('dataset', k)}**: {v}"
                  for k, v in notes.items()]  # fmt: skip
        lines.append("")
    for (q, ds), g in table.groupby(["quantity", "dataset"], sort=False):
        lines += [f"## {label('dataset', ds)}: {words[q]}", "",
                  "| method | ε | metric | published | ours (n) | difference | z |",
                  "|---|---|---|---|---|---|---|"]  # fmt: skip
        for r in g.itertuples(index=False):
            pub = _fmt(r.published, r.published_se)
            pub = pub if r.exact == "yes" else f"≈ {pub}"
            z = "–" if math.isnan(r.z) else f"{r.z:+.1f}" + ("" if r.within else " ✗")
            lines.append(f"| {r.method} | {label('epsilon', r.epsilon)} | "
                         f"{label('metric', r.metric)} | {pub} | {_fmt(r.ours, r.ours_se)} "
                         f"({r.n}) | {r.difference:+.3f} | {z} |")  # fmt: skip
        lines.append("")
    return "\n".join(lines)
