# Configuration checks, constants and input functions shared by every rule.
import hashlib
import os
import re
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# The installed fairldp package, or the one of this checkout (src/) if it is not installed; the
# scripts do the same (workflow/scripts/_src.py).
try:
    import fairldp
except ImportError:
    sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from fairldp.config import (
    ConfigError,
    format_epsilon,
    load_schema,
    study_grid,
    validate_config,
)
from fairldp.datasets import REGISTRY, get_dataset
from fairldp.ldp import PROTOCOLS
from fairldp.metrics import FAIRNESS_METRICS, UTILITY_METRICS

SCHEMA = str(Path(workflow.basedir) / "config" / "schema" / "config.schema.yaml")
try:
    validate_config(config, load_schema(SCHEMA))  # one clear sentence for the first problem
except ConfigError as exc:
    raise WorkflowError(f"Invalid configuration: {exc}") from None
validate(config, schema=SCHEMA)  # snakemake's own validation; also fills in defaults

def package_hash():
    """Digest of the package source: a param of every stage, so that editing fairldp reruns
    the stages (Snakemake's own code trigger only sees the thin scripts)."""
    h = hashlib.sha256()
    src = Path(workflow.basedir) / "src" / "fairldp"
    for f in sorted(src.rglob("*.py")):
        h.update(f.relative_to(src).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


CODE = package_hash()
R = config["results"].rstrip("/")
RAW_DIR = str(Path(workflow.basedir) / "data" / "raw")
DOWNLOADS = "data/downloads"
RAW_FILE_NAMES = sorted(
    r.name for spec in REGISTRY.values() for r in (*spec.raw_files, *spec.sources)
)
ENV = "../envs/fairldp.yaml"
GRID = study_grid(config)
CELL = "{dataset}/{protocol}/eps{eps}"


wildcard_constraints:
    dataset="|".join(sorted(REGISTRY)),
    protocol="|".join(["none", *PROTOCOLS]),
    eps=r"inf|\d+(\.\d+)?",
    file="|".join(re.escape(f) for f in RAW_FILE_NAMES),


def seeds():
    return [int(s) for s in config["seeds"]]


def raw_files(wildcards):
    """The vendored copy of each raw file of the dataset, else its download."""
    spec = get_dataset(wildcards.dataset)
    return [
        os.path.join(RAW_DIR, r.vendored)
        if r.vendored and os.path.exists(os.path.join(RAW_DIR, r.vendored))
        else f"{DOWNLOADS}/{r.name}"
        for r in spec.raw_files
    ]


def download_settings():
    settings = {"timeout": 60.0, "retries": 3, "mirror": None}
    settings.update(config.get("download") or {})
    return settings


def epsilon_of(wildcards):
    return float("inf") if wildcards.eps == "inf" else float(wildcards.eps)


def cell_paths(stage, dataset=None):
    return [
        f"{R}/{stage}/{cell.path}.parquet"
        for cell in GRID
        if dataset is None or cell.dataset == dataset
    ]


def figure_paths(dataset, ext):
    return [
        f"{R}/figures/{dataset}/{kind}_{model}.{ext}"
        for kind in ("fairness", "utility")
        for model in config["models"]
    ]


def figure_outputs(ext):
    """Named figure outputs, one file per (figure kind, model); PNGs go to the report."""

    def output(kind, model):
        path = f"{R}/figures/{{dataset}}/{kind}_{model}.{ext}"
        if ext != "png":
            return path
        labels = {"dataset": "{dataset}", "figure": kind, "model": model}
        return report(path, caption=f"../report/{kind}.rst", category="Figures",
                      subcategory="{dataset}", labels=labels)

    return {
        f"{kind}_{m}_{ext}": output(kind, m)
        for kind in ("fairness", "utility")
        for m in config["models"]
    }


def all_outputs():
    out = [f"{R}/metrics.parquet", f"{R}/provenance.json", f"{R}/provenance.html"]
    for ds in config["datasets"]:
        out += figure_paths(ds, "png") + figure_paths(ds, "pdf")
    return out
