"""Report stages: the figures of a study (from its figure specs), its summary (what was run, the
headline numbers, the tidy table to download), its provenance, and its reproduction of a paper
(:mod:`fairldp.reproduce`: ``reproduction/{paper}.md`` and ``.csv``, and the page ``doc``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from fairldp.io import read_parquet
from fairldp.runlog import log, timed

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "HEADLINE_COLUMNS",
    "figure_family",
    "figures",
    "headline_table",
    "provenance",
    "reference_epsilon",
    "reproduction",
    "study_overview",
    "summary",
]


def figures(
    metrics: str,
    figure: str,
    spec: Mapping[str, Any],
    files: Sequence[Mapping[str, Any]],
    runs: Sequence[Mapping[str, Sequence[Any]]],
    context: Mapping[str, Any],
    caption: str = "",
) -> None:
    """Draw every file of figure ``figure`` (``spec``: its kind and parameters); each item of
    ``files`` holds the file's axis ``values`` (e.g. ``{"dataset": "adult"}``) and its
    ``paths``. ``runs``: the axes of the runs it draws; ``context``: study-wide facts for
    titles (``study``) and ``orders`` (axis -> values in the study's order); ``caption``: the
    report's caption, also written into the files' metadata."""
    from fairldp.figures import FIGURE_KINDS

    with timed("figures"):
        params = dict(spec)
        cls = FIGURE_KINDS.get(params.pop("kind"))
        kind = cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})
        df = read_parquet(metrics)
        for f in files:
            values = dict(f["values"])
            data = kind.select(df, values, runs)
            attributes = sorted(data["attribute"].dropna().unique())
            ctx = {**context, **values, "figure": figure, "attribute": ", ".join(attributes),
                   "caption": caption}  # fmt: skip
            kind.draw(data, f["paths"], ctx)
            log.info("figure %s %s: %d rows", figure, values, len(data))


def reproduction(
    metrics: str,
    published: str,
    table: str,
    page: str,
    spec: Mapping[str, Any],
    title: str,
    doc: str | None = None,
) -> None:
    """The study's metrics beside the paper's published numbers (:func:`fairldp.reproduce.
    compare`): the comparison as CSV (``table``) and Markdown (``page``, copied to ``doc``)."""
    from fairldp.io import atomic_write_bytes
    from fairldp.reproduce import compare, markdown, read_published

    with timed("reproduction"):
        df = read_parquet(metrics)
        pub = read_published(published, spec["paper"])
        out = compare(df, pub, spec)
        atomic_write_bytes(out.to_csv(index=False).encode(), table)
        text = markdown(out, {**spec, "published": published}, title).encode()
        for path in (page, *([doc] if doc else [])):
            atomic_write_bytes(text, path)
        log.info("reproduction of %s: %d of %d published numbers within 2 SE", spec["paper"],
                 int(out["within"].sum()), len(out))  # fmt: skip


def provenance(
    record: Mapping[str, Any], json: str, html: str, prepared: Sequence[str] = ()
) -> None:
    """Write the provenance record (versions, commit, platform, study) as JSON and HTML, with
    the proxies of each ``prepared`` dataset (features that reveal a sensitive attribute and
    are released unperturbed: :func:`fairldp.privacy.proxy_report`, found at prepare)."""
    from fairldp.io import read_metadata
    from fairldp.provenance import write_provenance

    with timed("provenance"):
        proxies = {}
        for path in [prepared] if isinstance(prepared, str) else prepared:
            meta = read_metadata(path)
            proxies[meta.get("dataset", str(path))] = meta.get("proxies", [])
        write_provenance({**record, "proxies": proxies}, json, html)


# ----- summary: what was run, the headline numbers, the tidy table ----------------------------

#: the utility metric of the headline table (the fairness metric: the study's figures' first)
HEADLINE_UTILITY = "accuracy"
#: the columns of the headline table (summary/headline.csv), one row per mean
HEADLINE_COLUMNS = [
    "run", "dataset", "attribute", "bias_rate", "privatizer", "protocol", "budget_split",
    "representation", "amount", "learner", "epsilon", "audit", "metric", "mean", "ci_low",
    "ci_high", "n_seeds",
]  # fmt: skip
_SHORT_X = {"epsilon": "ε", "amount": "amount λ"}


def _label(axis: str, value: Any = None) -> str:
    """The project's human label (:func:`fairldp.labels.label`)."""
    try:
        from fairldp.labels import label
    except ImportError:  # pragma: no cover - older checkouts
        from fairldp.figures import label
    return label(axis, value)


def reference_epsilon(epsilons: Sequence[float]) -> float:
    """The budget of the headline table: ε = 1 if the study runs it, else the median budget
    (the lower of the two middle ones for an even number)."""
    values = sorted(float(e) for e in epsilons if math.isfinite(float(e)))
    if not values:
        return math.inf
    return 1.0 if 1.0 in values else values[(len(values) - 1) // 2]


def figure_family(name: str, figure: Any) -> str:
    """The report's name of a figure family: the spec's ``title``, else its name and its x axis
    in words ("Fairness vs ε", ``repair_amount`` with x ``amount``: "Repair vs amount λ")."""
    title = getattr(figure, "title", None)
    if title:
        return str(title)
    x = getattr(figure, "x", None)
    words = [w for w in name.split("_") if w and w != x]
    text = " ".join(words) or name
    text = text[:1].upper() + text[1:]
    return f"{text} vs {_SHORT_X.get(x, _label(str(x)))}" if x else text


def study_overview(study: Any, categories: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What a study (:class:`fairldp.config.Study`) runs, as plain values: the summary stage's
    parameter (its runs and their axes, the privatizers, representations and learners they
    use, the figures with their report category)."""
    used = {p for r in study.runs for p in r.privatizers}
    privatizers = {}
    for name in ["none", *study.privatizers]:
        if name not in used:
            continue
        p = study.privatizer(name)
        privatizers[name] = {"protocol": p.protocol, "budget_splits": list(p.budget_splits),
                             "attributes": p.attributes if isinstance(p.attributes, str)
                             else list(p.attributes), "test": p.test,
                             "private": bool(p.private)}  # fmt: skip
    return {
        "study": study.study,
        "datasets": {d: study.group(d) for d in study.datasets},
        "seeds": list(study.seeds),
        "epsilons": [float(e) for e in study.epsilons],
        "reference_epsilon": reference_epsilon(study.epsilons),
        "test_size": study.test_size,
        "label_bias": study.label_bias.params() if study.label_bias else None,
        "runs": [{"name": r.name, "datasets": list(r.datasets),
                  "privatizers": list(r.privatizers), "epsilons": [float(e) for e in r.epsilons],
                  "representations": list(r.representations), "learners": list(r.learners),
                  "seeds": list(r.seeds), "audits": list(r.audits)}
                 for r in study.runs],
        "privatizers": privatizers,
        "representations": {n: {"kind": v.kind, **v.representation.params()}
                            for n, v in study.representations.items()},
        "learners": {n: lr.params_dict() for n, lr in study.learners.items()},
        "figures": [{"name": n, "category": (categories or {}).get(n, n),
                     "y": list(getattr(f.figure, "y", ()) or ()),
                     "runs": list(getattr(f.figure, "runs", ()) or ())}
                    for n, f in study.figures.items()],
    }  # fmt: skip


def headline_metrics(overview: Mapping[str, Any]) -> list[str]:
    """Accuracy and the first fairness metric the study's figures draw (demographic parity
    difference if none draws one)."""
    from fairldp.metrics import METRICS

    for fig in overview.get("figures", ()):
        for name in fig.get("y", ()):
            if name in METRICS and METRICS.get(name).kind == "fairness":
                return [HEADLINE_UTILITY, METRICS.get(name).name]
    return [HEADLINE_UTILITY, "demographic_parity_difference"]


def headline_table(df: pd.DataFrame, overview: Mapping[str, Any],
                   orders: Mapping[str, Sequence[Any]] | None = None) -> pd.DataFrame:  # fmt: skip
    """The headline numbers (:data:`HEADLINE_COLUMNS`): for each run and dataset, every
    privatizer of the run (non-private ones at ε = ∞, private ones at the run's reference
    budget, :func:`reference_epsilon`), representation (repair amounts: the smallest and the
    largest), learner: the mean over seeds and its 95% Student-t interval of accuracy (utility
    audit) and of the headline fairness metric on the TRUE attribute (``fairness_true``)."""
    import pandas as pd

    from fairldp.figures import summarize

    utility, fairness = headline_metrics(overview)
    want = (df["audit"].eq("utility") & df["metric"].eq(utility)) | (
        df["audit"].eq("fairness_true") & df["metric"].eq(fairness))
    df = df[want]
    parts = []
    for run in overview["runs"]:
        ref = reference_epsilon(run["epsilons"])
        sel = df[df["dataset"].isin(run["datasets"]) & df["privatizer"].isin(run["privatizers"])
                 & df["representation"].isin(run["representations"])
                 & df["learner"].isin(run["learners"]) & df["seed"].isin(run["seeds"])
                 & (df["epsilon"].eq(ref) | np.isinf(df["epsilon"]))]  # fmt: skip
        amounts = sel.groupby("representation", observed=True)["amount"].agg(["min", "max"])
        lo = sel["representation"].map(amounts["min"]).astype("float64")
        hi = sel["representation"].map(amounts["max"]).astype("float64")
        sel = sel[sel["amount"].isna() | sel["amount"].eq(lo) | sel["amount"].eq(hi)]
        if sel.empty:
            continue
        if "bias_rate" not in sel.columns:  # a table of before the label-bias sweep
            sel = sel.assign(bias_rate=np.nan)
        by = ["dataset", "attribute", "bias_rate", "privatizer", "protocol", "budget_split",
              "representation", "amount", "learner", "epsilon", "audit", "metric"]  # fmt: skip
        numeric = ("amount", "epsilon", "bias_rate")
        out = summarize(sel.astype({c: "object" for c in by if c not in numeric}), by)
        parts.append(out.assign(run=run["name"]))
    if not parts:
        return pd.DataFrame(columns=HEADLINE_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out = out.rename(columns={"lo": "ci_low", "hi": "ci_high", "n": "n_seeds"})
    orders = {**(orders or {}), "run": [r["name"] for r in overview["runs"]]}
    return _ordered(out[HEADLINE_COLUMNS], orders, [utility, fairness])


def _ordered(table: pd.DataFrame, orders: Mapping[str, Sequence[Any]],
             metrics: Sequence[str]) -> pd.DataFrame:  # fmt: skip
    """Rows in the study's order of each axis: by run, dataset, non-private rows first, then
    privatizer, budget split, representation, amount, learner, metric."""
    keys = [table["run"].map({v: i for i, v in enumerate(orders.get("run", ()))}).fillna(0),
            table["dataset"].map({v: i for i, v in enumerate(orders.get("dataset", ()))})
            .fillna(len(orders.get("dataset", ()))),
            np.isfinite(table["epsilon"].astype("float64"))]  # fmt: skip
    for axis in ("privatizer", "budget_split", "representation", "learner"):
        rank = {v: i for i, v in enumerate(orders.get(axis, ()))}
        keys.append(table[axis].map(lambda v, r=rank: r.get(v, len(r))))
    keys.append(table["amount"].fillna(-1.0))
    keys.append(table["bias_rate"].fillna(-1.0))
    keys.append(table["metric"].map({m: i for i, m in enumerate(metrics)}))
    order = np.lexsort([np.asarray(k, dtype="float64") for k in reversed(keys)])
    return table.iloc[order].reset_index(drop=True)


# ----- summary: HTML ---------------------------------------------------------------------------


def _esc(value: Any) -> str:
    import html

    return html.escape(str(value))


def _seeds_text(seeds: Sequence[int]) -> str:
    """``[0, 1, 2, 5]`` -> "4 (0–2, 5)"."""
    s = sorted(set(int(x) for x in seeds))
    spans: list[str] = []
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[j] + 1:
            j += 1
        spans.append(str(s[i]) if i == j else f"{s[i]}–{s[j]}")
        i = j + 1
    return f"{len(s)} ({', '.join(spans)})"


def _eps_text(epsilons: Sequence[float]) -> str:
    return ", ".join(f"{e:g}" for e in epsilons)


def _privatizer_cell(name: str, split: str, spec: Mapping[str, Any]) -> str:
    text = _label("privatizer", name)
    if spec.get("private") and len(spec.get("budget_splits", ())) > 1:
        text += f" · {_label('budget_split', split)}"
    return text


def _privatizer_text(name: str, spec: Mapping[str, Any]) -> str:
    attrs = spec["attributes"]
    what = {"all": "every sensitive attribute", "group": "the group attribute"}.get(
        attrs, ", ".join(attrs) if isinstance(attrs, list) else str(attrs))
    if not spec["private"]:
        return f"{what} in the clear (non-private reference, ε = ∞)"
    text = f"{_label('protocol', spec['protocol'])} on {what} of the training rows"
    if len(spec["budget_splits"]) > 1 or spec["budget_splits"] != ["uniform"]:
        text += "; budget split: " + " or ".join(_label("budget_split", b)
                                                 for b in spec["budget_splits"])  # fmt: skip
    return text + ("; test rows released too" if spec["test"] == "privatized"
                   else "; test rows clean")  # fmt: skip


def _representation_text(spec: Mapping[str, Any]) -> str:
    params = {k: v for k, v in spec.items() if k != "kind" and v not in (None, False, [], {})}
    text = _label("kind", spec["kind"])
    if spec["kind"] == "identity" and not params:
        return "the released table as is"
    if "amounts" in params:
        params["amounts"] = ", ".join(f"{a:g}" for a in params["amounts"])
    if params:
        text += " (" + "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in params.items()) + ")"
    return text


def _learner_text(spec: Mapping[str, Any]) -> str:
    model = _label("model", spec["model"])
    params = ", ".join(f"{k}={v}" for k, v in dict(spec.get("params") or {}).items())
    text = (f"{model}, no fair method" if spec["method"] == "none"
            else f"fair method {_label('method', spec['method'])} on {model}")  # fmt: skip
    return f"{text} ({params})" if params else text


def _names(axis: str, names: Sequence[str]) -> str:
    return ", ".join(f"<span title='{_esc(n)}'>{_esc(_label(axis, n))}</span>" for n in names)


def overview_html(overview: Mapping[str, Any], counts: Mapping[str, int]) -> str:
    """The "what was run" section: totals, the runs with the values of their axes, the
    privatizers, representations and learners they use."""
    runs = overview["runs"]
    datasets = overview["datasets"]
    seeds = sorted({s for r in runs for s in r["seeds"]})
    on = "; ".join(f"{_esc(_label('dataset', d))}: <b>{_esc(a)}</b>" for d, a in datasets.items())
    facts = [
        f"<b>{len(runs)}</b> run{'s' * (len(runs) != 1)}",
        f"<b>{len(datasets)}</b> dataset{'s' * (len(datasets) != 1)}",
        f"<b>{_esc(_seeds_text(seeds))}</b> seeds (train/test splits, test share "
        f"{overview.get('test_size', 0.2):g})",
        f"budgets ε ∈ {{{_esc(_eps_text(overview['epsilons']))}}}",
        f"<b>{counts.get('models', 0):,}</b> trained and evaluated models",
        f"<b>{counts.get('rows', 0):,}</b> rows in the metrics table",
    ]
    out = ["<h2 id='what-was-run'>What was run</h2>",
           f"<p>{' · '.join(facts)}.</p>",
           f"<p>Fairness is audited on the <b>true</b> sensitive attribute of the test rows "
           f"(whatever the models saw): {on}.</p>"]  # fmt: skip
    if overview.get("label_bias"):
        lb = overview["label_bias"]
        out.append(f"<p>Training labels biased: {_esc(lb.get('kind'))}, rate "
                   f"{_esc(lb.get('rate'))} (test labels clean).</p>")  # fmt: skip
    head = ("<tr><th>run</th><th>datasets</th><th>privatizers</th><th>ε</th>"
            "<th>representations</th><th>learners</th><th>audits</th><th>seeds</th></tr>")
    rows = []
    for r in runs:
        privs = [p for p in r["privatizers"]]
        rows.append(
            f"<tr><th scope='row'><code>{_esc(r['name'])}</code></th>"
            f"<td>{_names('dataset', r['datasets'])}</td>"
            f"<td>{_names('privatizer', privs)}</td>"
            f"<td class='num'>{_esc(_eps_text(r['epsilons']))}</td>"
            f"<td>{_names('representation', r['representations'])}</td>"
            f"<td>{_names('learner', r['learners'])}</td>"
            f"<td>{_names('audit', r['audits'])}</td>"
            f"<td class='num'>{_esc(_seeds_text(r['seeds']))}</td></tr>")
    out.append(f"<table class='runs'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>")
    return "\n".join(out)


def definitions_html(overview: Mapping[str, Any]) -> str:
    """The privatizers, representations and learners the runs use, each with its study name
    and what it is."""
    runs = overview["runs"]
    used_reps = list(dict.fromkeys(v for r in runs for v in r["representations"]))
    used_learners = list(dict.fromkeys(n for r in runs for n in r["learners"]))
    items = [("privatizer", overview["privatizers"], _privatizer_text),
             ("representation", {n: overview["representations"][n] for n in used_reps},
              lambda n, s: _representation_text(s)),
             ("learner", {n: overview["learners"][n] for n in used_learners},
              lambda n, s: _learner_text(s))]  # fmt: skip
    rows = []
    for axis, specs, text in items:
        rows.append(f"<tr class='group'><th colspan='3'>{_esc(_label(axis))}s</th></tr>")
        rows += [f"<tr><td>{_esc(_label(axis, n))}</td><td><code>{_esc(n)}</code></td>"
                 f"<td>{_esc(text(n, s))}</td></tr>" for n, s in specs.items()]  # fmt: skip
    return ("<h2 id='definitions'>Definitions</h2><p>The variants the runs use: label in this "
            "report, name in the study file, what it is.</p><table class='definitions'>"
            "<thead><tr><th>label</th><th>study name</th><th>definition</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")  # fmt: skip


def _metric_head(metric: str) -> str:
    from fairldp.metrics import METRICS

    m = METRICS.get(metric)
    if m.kind == "fairness":
        hint = f"fair: {m.fair_value:g}" if m.fair_value is not None else ""
    else:
        hint = "higher is better"
    return f"{_esc(m.label)}<br><span class='note'>{_esc(hint)}</span>"


def _mean_cell(row: Any) -> str:
    if row is None or not np.isfinite(row["mean"]):
        return "<td class='num note'>n/a</td>"
    half = (row["ci_high"] - row["ci_low"]) / 2
    ci = f" ± {half:.3f}" if row["n_seeds"] > 1 else ""
    title = f"95% CI [{row['ci_low']:.4f}, {row['ci_high']:.4f}], {int(row['n_seeds'])} seeds"
    return f"<td class='num' title='{_esc(title)}'>{row['mean']:.3f}{_esc(ci)}</td>"


def headline_html(table: pd.DataFrame, overview: Mapping[str, Any]) -> str:
    """The headline section: one table per run, grouped by dataset, a row per privatizer
    (budget split), representation (repair amount) and learner."""
    import pandas as pd

    metrics = headline_metrics(overview)
    utility, fairness = metrics
    ref = overview["reference_epsilon"]
    why = "the study runs ε = 1" if ref == 1.0 else "the median budget of the study (no ε = 1)"
    out = [
        "<h2 id='headline'>Headline results</h2>",
        f"<p>Mean over seeds ± half-width of the 95% Student-t confidence interval of "
        f"<b>{_esc(_label('metric', utility))}</b> and of "
        f"<b>{_esc(_label('metric', fairness))}</b> (the first fairness metric of the study's "
        f"figures), measured on the test rows with the <b>true</b> sensitive attribute. Private "
        f"rows at the reference budget <b>{_esc(_label('epsilon', ref))}</b> ({why}), "
        f"non-private ones at ε = ∞. Hover a number for its interval and seed count.</p>",
    ]
    if table.empty:
        return "\n".join([*out, "<p class='note'>No rows: the study has no utility or "
                                "fairness_true audit.</p>"])  # fmt: skip
    privatizers = overview["privatizers"]
    for run in overview["runs"]:
        t = table[table["run"] == run["name"]]
        if t.empty:
            continue
        run_ref = reference_epsilon(run["epsilons"])
        # a column per axis with several values in the run; a single value goes to the heading
        fixed = []
        cols = ["privatizer"]
        for axis in ("bias_rate", "representation", "amount", "learner"):
            values = t[axis].dropna().unique()
            if len(values) > 1:
                cols.append(axis)
            elif len(values) == 1:
                fixed.append(f"{_label(axis)}: {_label(axis, values[0])}")
        cols.append("ε")
        note = "" if run_ref == ref else f"; this run's reference: {_label('epsilon', run_ref)}"
        fixed_text = f" <span class='note'>({_esc('; '.join(fixed) + note)})</span>" if (
            fixed or note) else ""
        out.append(f"<h3>Run <code>{_esc(run['name'])}</code>{fixed_text}</h3>")
        head = "".join(f"<th>{_esc(_label(c) if c != 'ε' else 'ε')}</th>" for c in cols)
        head += "".join(f"<th>{_metric_head(m)}</th>" for m in metrics)
        body = []
        keys = ["dataset", "bias_rate", "privatizer", "budget_split", "representation", "amount",
                "learner", "epsilon"]  # fmt: skip
        for dataset, dt in t.groupby("dataset", sort=False):
            attribute = ", ".join(sorted(dt["attribute"].astype(str).unique()))
            body.append(f"<tr class='group'><th colspan='{len(cols) + len(metrics)}'>"
                        f"{_esc(_label('dataset', dataset))} <span class='note'>(fairness on "
                        f"the true attribute <b>{_esc(attribute)}</b>)</span></th></tr>")
            seen: dict[tuple[Any, ...], dict[str, Any]] = {}
            for _, row in dt.iterrows():
                key = tuple("nan" if isinstance(row[k], float) and np.isnan(row[k]) else row[k]
                            for k in keys)  # fmt: skip
                seen.setdefault(key, {"row": row})[row["metric"]] = row
            for cells in seen.values():
                row = cells["row"]
                spec = privatizers.get(row["privatizer"], {})
                values = {
                    "privatizer": _privatizer_cell(row["privatizer"], row["budget_split"], spec),
                    "representation": _label("representation", row["representation"]),
                    "amount": "" if pd.isna(row["amount"]) else _label("amount", row["amount"]),
                    "bias_rate": "" if pd.isna(row["bias_rate"]) else f"{row['bias_rate']:g}",
                    "learner": _label("learner", row["learner"]),
                    "ε": "∞" if np.isinf(row["epsilon"]) else f"{row['epsilon']:g}",
                }
                tds = "".join(f"<td>{_esc(values[c])}</td>" for c in cols)
                tds += "".join(_mean_cell(cells.get(m)) for m in metrics)
                body.append(f"<tr>{tds}</tr>")
        out.append(f"<table class='headline'><thead><tr>{head}</tr></thead>"
                   f"<tbody>{''.join(body)}</tbody></table>")  # fmt: skip
    amounts = table["amount"].dropna()
    if not amounts.empty:
        out.append("<p class='note'>Repair amounts: the smallest and the largest of each "
                   "representation (λ = 0: no repair; λ = 1: full repair).</p>")
    return "\n".join(out)


def figures_html(overview: Mapping[str, Any]) -> str:
    """The figure families of the report (category, figure, runs it draws)."""
    rows = "".join(
        f"<tr><th scope='row'>{_esc(f['category'])}</th><td><code>{_esc(f['name'])}</code></td>"
        f"<td>{_names('metric', f['y'])}</td>"
        f"<td>{', '.join(f'<code>{_esc(r)}</code>' for r in f['runs']) or 'all'}</td></tr>"
        for f in overview.get("figures", ()))  # fmt: skip
    return ("<h2 id='figures'>Figures</h2><p>Each family is a category of the report's "
            "sidebar, one file per dataset (and learner); captions under each figure.</p>"
            "<table><thead><tr><th>report category</th><th>figure</th><th>metrics</th>"
            f"<th>runs</th></tr></thead><tbody>{rows}</tbody></table>")  # fmt: skip


def _counts(df: pd.DataFrame) -> dict[str, int]:
    """Rows of the metrics table and trained models (distinct evaluated prediction sets)."""
    models = df[df["audit"].eq("utility") & df["metric"].eq(HEADLINE_UTILITY)]
    keys = ["dataset", "privatizer", "budget_split", "epsilon", "representation", "amount",
            "learner", "seed", *(["bias_rate"] if "bias_rate" in df.columns else [])]
    return {"rows": len(df), "models": len(models.drop_duplicates(keys))}


def summary(
    metrics: str,
    html: str,
    home: str,
    table: str,
    data: str,
    overview: Mapping[str, Any],
    orders: Mapping[str, Sequence[Any]],
) -> None:
    """The study's summary for the report: ``html`` (a page: what was run, the headline
    numbers, the figure families), ``home`` (the same sections as a fragment for the report's
    home page), ``table`` (the headline numbers as CSV, :data:`HEADLINE_COLUMNS`) and ``data``
    (the whole metrics table as gzipped CSV, to download from the report)."""
    import gzip

    from fairldp.io import atomic_write_bytes, atomic_write_text
    from fairldp.provenance import PAGE_CSS, html_page

    with timed("summary"):
        df = read_parquet(metrics)
        heads = headline_table(df, overview, orders)
        atomic_write_text(heads.to_csv(index=False), table)
        csv = df.to_csv(index=False).encode()
        atomic_write_bytes(gzip.compress(csv, compresslevel=9, mtime=0), data)
        sections = [overview_html(overview, _counts(df)), headline_html(heads, overview),
                    definitions_html(overview)]
        # in Snakemake's report: a wider text column, scrolled from its top (the home page
        # centres its content vertically, which would cut off the top of a long page)
        wide = (".prose:has(.fairldp) { max-width: 58rem; } "
                ".items-center:has(.fairldp) { align-items: flex-start; }")
        atomic_write_text(f"<style>{PAGE_CSS}{wide}</style>\n<div class='fairldp'>\n"
                          + "\n".join(sections) + "\n</div>\n", home)  # fmt: skip
        title = f"Study {overview['study']}: summary"
        page = [f"<h1>{_esc(title)}</h1>", *sections, figures_html(overview),
                "<h2>Tables</h2><p>The headline numbers are in <code>headline.csv</code> (one "
                "row per mean: run, axes, metric, mean, ci_low, ci_high, n_seeds) and the whole "
                "tidy metrics table in <code>metrics.csv.gz</code>, both in this category.</p>"]
        atomic_write_text(html_page(title, "\n".join(page)), html)
        log.info("summary: %d headline rows from %d metric rows", len(heads), len(df))
