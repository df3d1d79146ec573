# Validation of the study, constants, wildcard constraints, input functions and targets.
# Every job of the study and its parameters come from fairldp.plan.Plan; this file only maps
# wildcards to them.
import os
import re
import sys
from pathlib import Path
from types import SimpleNamespace

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# The installed fairldp package, or the one of this checkout (src/) if it is not installed; the
# script does the same (workflow/scripts/_src.py).
try:
    import fairldp
except ImportError:
    sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from fairldp.config import SCHEMA_PATH, ConfigError, load_study, read_study_file
from fairldp.plan import PATHS, Cell, Plan, file_key
from fairldp.provenance import provenance as provenance_record
from fairldp.stages import code_digest

try:
    # duplicated keys, which Snakemake's YAML reader silently keeps (the last one), and YTE
    # templates, which Snakemake has already run and removed from `config` by now: no job runs
    for _path in filter(os.path.isfile, workflow.configfiles):
        load_study(read_study_file(_path), project=workflow.basedir)
    # one sentence naming the key for the first problem; results bounded by the working
    # directory and this checkout
    STUDY = load_study(config, project=workflow.basedir)
except ConfigError as exc:
    raise WorkflowError(f"Invalid configuration: {exc}") from None
if STUDY.absolute_results:
    print(
        f"fairldp: results go to {os.path.abspath(STUDY.results)} (absolute_results: true)",
        file=sys.stderr,
    )
validate(config, schema=str(SCHEMA_PATH))  # Snakemake's own check of the same schema

PLAN = Plan(STUDY)
R = STUDY.results
PLUGINS = list(STUDY.plugins)
# paths into the checkout, relative to the working directory: a moved folder reruns nothing
REPO = os.path.relpath(workflow.basedir)
RAW_DIR = os.path.normpath(os.path.join(REPO, "data", "raw"))
DOWNLOADS = "data/downloads"
LOCK = "data/checksums.lock"
ENV = "../envs/fairldp.yaml"

from fairldp.datasets import REGISTRY, acs, base_name

ALL_RAW = {
    r.name: r for spec in REGISTRY.values() for r in (*spec.raw_files, *spec.sources)
}
DOWNLOADED = sorted(name for name, r in ALL_RAW.items() if r.derived_from is None)
DERIVED = sorted(name for name, r in ALL_RAW.items() if r.derived_from is not None)
# tables that depend on study settings (synthetic draws, ACS survey) are prepared per study,
# under the results folder; the others once, under data/prepared/
STUDY_PREPARED = sorted(
    n for n, s in REGISTRY.items() if s.generator is not None or n in acs.TASKS
)
SHARED_PREPARED = sorted(set(REGISTRY) - set(STUDY_PREPARED))


def path(kind, **keys):
    """The path of an artifact of the study (fairldp.plan.PATHS), wildcards left as is."""
    return f"{R}/{PATHS[kind].format(**{**WILDCARDS, **keys})}"


WILDCARDS = {
    k: f"{{{k}}}"
    for k in (
        "dataset",
        "privatizer",
        "eps",
        "representation",
        "learner",
        "block",
        "figure",
        "file",
        "ext",
    )
}


# a dataset, or one label-bias level of it in a sweep (support2@0.3)
BASE_DATASET = "|".join(map(re.escape, REGISTRY))


wildcard_constraints:
    dataset=f"(?:{BASE_DATASET})(?:@[0-9][0-9.e+-]*)?",
    privatizer=r"[A-Za-z][A-Za-z0-9_]*",
    representation=r"[a-z][a-z0-9_]*-[0-9a-f]{8}",
    learner=r"[A-Za-z][A-Za-z0-9_]*",
    figure=r"[A-Za-z][A-Za-z0-9_]*",
    file=r"[A-Za-z0-9_-]+",
    eps=r"inf|\d+(\.\d+)?",
    block=r"seeds\d+-\d+",
    raw="|".join(re.escape(f) for f in DOWNLOADED),
    derived="|".join(re.escape(f) for f in DERIVED) or "(?!)",


# ----- lookups: wildcards -> the plan's jobs -------------------------------------------------------

SPLITS = {(ds, b): s for (ds, b), s in PLAN.splits().items()}
PRIVATIZE = {
    (c.dataset, c.privatizer, c.eps, b): s for (c, b), s in PLAN.privatize().items()
}
REPRESENT = {
    (c.dataset, c.privatizer, c.eps, a, b): s
    for (c, a, b), s in PLAN.represent().items()
}
LEARN = {
    (c.dataset, c.privatizer, c.eps, a, n, b): s
    for (c, a, n, b), s in PLAN.learn().items()
}
LEAKAGE = {
    (c.dataset, c.privatizer, c.eps, b): arts for (c, b), arts in PLAN.leakage().items()
}
MEMBERSHIP = {
    (c.dataset, c.privatizer, c.eps, a, n, b): s
    for (c, a, n, b), s in PLAN.membership().items()
}
EVALUATE = PLAN.evaluate()


def check_splits():
    """Every group of the audited attribute in both parts of every split, for the datasets
    already prepared (the split stage checks the others before it writes)."""
    from fairldp.io import read_parquet
    from fairldp.stages.data import check_split_groups

    for ds in STUDY.datasets:
        table = prepared(SimpleNamespace(dataset=ds))
        if not os.path.isfile(table):
            continue
        spec = REGISTRY[ds]
        cols = list(dict.fromkeys([spec.target, spec.protected, STUDY.group(ds)]))
        seeds = sorted({s for (d, _), ss in SPLITS.items() if d == ds for s in ss})
        try:
            check_split_groups(
                read_parquet(table, columns=cols),
                ds,
                STUDY.group(ds),
                STUDY.test_size,
                seeds,
            )
        except ValueError as exc:
            raise WorkflowError(f"Invalid configuration: {exc}") from None


FIGURE_FILES = {
    name: {file_key(v): v for v in PLAN.figure_files(name)} for name in STUDY.figures
}
CODE = {
    stage: code_digest(stage, PLUGINS)
    for stage in (
        "prepare",
        "split",
        "label_bias",
        "publish",
        "privatize",
        "represent",
        "learn",
        "leakage",
        "membership",
        "evaluate",
        "collect",
        "figures",
        "summary",
        "provenance",
        "reproduction",
    )
}


def cell(w):
    return Cell(w.dataset, w.privatizer, w.eps)


def seeds_of(table, *keys):
    try:
        return list(table[keys])
    except KeyError:
        raise WorkflowError(f"no job of the study has the keys {keys}") from None


def raw_files(wildcards):
    """The vendored copy of each raw file of the dataset, else its download (or derivation);
    none for a synthetic dataset."""
    spec = REGISTRY[wildcards.dataset]
    return [
        (
            os.path.join(RAW_DIR, r.vendored)
            if r.vendored and os.path.exists(os.path.join(RAW_DIR, r.vendored))
            else f"{DOWNLOADS}/{r.name}"
        )
        for r in spec.raw_files
    ]


def prepared(wildcards):
    ds = wildcards.dataset
    return (
        f"{R}/prepared/{ds}.parquet"
        if ds in STUDY_PREPARED
        else f"data/prepared/{ds}.parquet"
    )


def generator_params(wildcards):
    """``n``, ``seed`` and the generator's parameters of a synthetic dataset; empty otherwise."""
    if REGISTRY[wildcards.dataset].generator is None:
        return {}
    return dict(STUDY.synthetic.get(wildcards.dataset) or {})


def acs_settings(name):
    return dict(STUDY.acs) if name.startswith("acs_") else {}


def derivation_source(wildcards):
    return f"{DOWNLOADS}/{ALL_RAW[wildcards.derived].derived_from}"


def released_rows(wildcards):
    """The rows a privatizer releases: the split, or its label-biased version."""
    if STUDY.label_bias is None:
        return split_of(wildcards)
    return path("biased", dataset=wildcards.dataset, block=wildcards.block)


def split_of(wildcards):
    """The split of a dataset key (every label-bias level of a sweep shares its dataset's)."""
    return path("split", dataset=base_name(wildcards.dataset), block=wildcards.block)


def artifact(dataset, privatizer, eps, representation, block):
    """What a learner or audit reads: the fitted representation, or the release itself for a
    stateless representation (applied in the job)."""
    rep = PLAN.representation(Cell(dataset, privatizer, eps), representation)
    keys = {"dataset": dataset, "privatizer": privatizer, "eps": eps, "block": block}
    if rep.stateless:
        return path("privatized", **keys)
    return path("represented", representation=representation, **keys)


def learn_input(w):
    return artifact(w.dataset, w.privatizer, w.eps, w.representation, w.block)


def leakage_jobs(w):
    return LEAKAGE[(w.dataset, w.privatizer, w.eps, w.block)]


def leakage_inputs(w):
    return [
        artifact(w.dataset, w.privatizer, w.eps, a, w.block) for a in leakage_jobs(w)
    ]


def leakage_artifacts(w):
    return [
        {
            "name": a,
            "seeds": list(s),
            "representation": PLAN.representation_params(cell(w), a),
            "audits": PLAN.leakage_audits(cell(w), a),
        }
        for a, s in leakage_jobs(w).items()
    ]


def evaluated_predictions(wildcards):
    jobs = EVALUATE[(wildcards.dataset, wildcards.learner, wildcards.block)]
    return [
        path(
            "predictions",
            **c.keys(),
            representation=a,
            learner=wildcards.learner,
            block=wildcards.block,
        )
        for c, a in jobs
    ]


def figure_spec(name):
    fig = STUDY.figures[name]
    return {"kind": fig.kind, **fig.figure.params()}


def figure_caption(name):
    """What the figure shows, the attribute fairness is measured on and the fixed choices of
    its runs (fairldp.figures.study_caption)."""
    from fairldp.figures import study_caption

    # a params string is expanded like a wildcard pattern: braces stay literal
    return study_caption(STUDY, name).replace("{", "{{").replace("}", "}}")


def figure_ledgers(name):
    """The budget ledgers of the study's whole-record privatizers, for a figure of kind
    budget (fairldp.plan.Plan.budget_ledgers); nothing for other kinds."""
    if STUDY.figures[name].figure.kind != "budget":
        return {}
    return {"ledgers": PLAN.budget_ledgers()}


def figure_path(name, key, ext):
    return f"{R}/figures/{name}/{key}.{ext}"


def report_categories():
    """The report's categories, numbered in reading order: the summary, one per figure family
    (its human name, e.g. "2. Fairness vs ε"), the provenance."""
    from fairldp.stages.report import figure_family

    names = [
        ("summary", "Summary"),
        *((n, figure_family(n, f.figure)) for n, f in STUDY.figures.items()),
        ("provenance", "Provenance"),
    ]
    width = len(str(len(names))) if len(names) > 9 else 1
    return {key: f"{i:0{width}d}. {text}" for i, (key, text) in enumerate(names, 1)}


CATEGORY = report_categories()


def figure_outputs(name):
    """Named outputs of a figure's rule: every file, PNG (in the report: the figure family's
    category, a subcategory per file in words, "German credit · LightGBM"), PDF and the CSV
    of the numbers it draws."""
    try:
        from fairldp.labels import label
    except ImportError:
        from fairldp.figures import label
    out = {}
    for i, (key, values) in enumerate(FIGURE_FILES[name].items()):
        words = {label(axis): label(axis, v) for axis, v in values.items()}
        out[f"png{i}"] = report(
            figure_path(name, key, "png"),
            caption="../report/figure.rst",
            category=CATEGORY[name],
            subcategory=" · ".join(words.values()) or None,
            labels={"figure": name, **words} if words else {"figure": name},
        )
        out[f"pdf{i}"] = figure_path(name, key, "pdf")
        out[f"csv{i}"] = figure_path(name, key, "csv")  # the numbers behind it
    return out


def figure_files_of(name):
    """The axis values and output paths of each file of a figure."""
    return [
        {
            "values": values,
            "paths": [
                figure_path(name, key, "png"),
                figure_path(name, key, "pdf"),
                figure_path(name, key, "csv"),
            ],
        }
        for key, values in FIGURE_FILES[name].items()
    ]


# ----- targets --------------------------------------------------------------------------------------


def evaluated_files():
    return [path("evaluated", dataset=ds, learner=n, block=b) for ds, n, b in EVALUATE]


def leakage_files():
    return [
        path("leakage", dataset=ds, privatizer=p, eps=e, block=b)
        for ds, p, e, b in LEAKAGE
    ]


def membership_files():
    return [
        path(
            "membership",
            dataset=ds,
            privatizer=p,
            eps=e,
            representation=a,
            learner=n,
            block=b,
        )
        for ds, p, e, a, n, b in MEMBERSHIP
    ]


def figure_files():
    return [
        figure_path(name, key, ext)
        for name, files in FIGURE_FILES.items()
        for key in files
        for ext in ("png", "pdf")
    ]


def summary_files():
    return [
        f"{R}/summary/{f}"
        for f in ("summary.html", "home.html", "headline.csv", "metrics.csv.gz")
    ]


def all_outputs():
    return [
        f"{R}/metrics.parquet",
        f"{R}/provenance.json",
        f"{R}/provenance.html",
        *summary_files(),
        *figure_files(),
        *reproduction_files(),
    ]


def published_table():
    """The reproduction's published numbers (in the working directory, else the checkout)."""
    from fairldp.config import published_path

    return os.path.relpath(published_path(STUDY.reproduction["published"], ".", REPO))


def reproduction_files():
    """The study's reproduction table and page (if it names a paper)."""
    if not STUDY.reproduction:
        return []
    paper = STUDY.reproduction["paper"]
    doc = STUDY.reproduction["doc"]
    return [
        f"{R}/reproduction/{paper}.csv",
        f"{R}/reproduction/{paper}.md",
        *([doc] if doc else []),
    ]


# after the input functions it uses (prepared)
check_splits()
