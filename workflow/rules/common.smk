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
from fairldp.datasets import get_dataset, registered
from fairldp.datasets import acs
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


# ACS tasks read the PUMS files of the configured survey year, horizon and states.
acs.configure(**config.get("acs", {}))
CODE = package_hash()
R = config["results"].rstrip("/")
RAW_DIR = str(Path(workflow.basedir) / "data" / "raw")
DOWNLOADS = "data/downloads"
LOCK = "data/checksums.lock"
REGISTRY = registered()
ALL_RAW = {r.name: r for spec in REGISTRY.values() for r in (*spec.raw_files, *spec.sources)}
DOWNLOADED = sorted(name for name, r in ALL_RAW.items() if r.derived_from is None)
DERIVED = sorted(name for name, r in ALL_RAW.items() if r.derived_from is not None)
# datasets whose table depends on study settings (synthetic draws, ACS survey): prepared per
# study, under the results folder; the others once, under data/prepared/
STUDY_PREPARED = sorted(n for n, s in REGISTRY.items() if s.generator is not None or n in acs.TASKS)
SHARED_PREPARED = sorted(set(REGISTRY) - set(STUDY_PREPARED))
ENV = "../envs/fairldp.yaml"
GRID = study_grid(config)
CELL = "{dataset}/{protocol}/eps{eps}"


wildcard_constraints:
    dataset="|".join(sorted(REGISTRY)),
    protocol="|".join(["none", *PROTOCOLS]),
    eps=r"inf|\d+(\.\d+)?",
    file="|".join(re.escape(f) for f in DOWNLOADED),
    derived="|".join(re.escape(f) for f in DERIVED),
    method="quantile|ot",  # fairldp.repair.stages.REPAIR_METHODS (importing it loads sklearn)
    groups="true|naive|deconvolution|posterior",


def seeds():
    return [int(s) for s in config["seeds"]]


def raw_files(wildcards):
    """The vendored copy of each raw file of the dataset, else its download (or derivation);
    none for a synthetic dataset."""
    spec = get_dataset(wildcards.dataset)
    return [
        os.path.join(RAW_DIR, r.vendored)
        if r.vendored and os.path.exists(os.path.join(RAW_DIR, r.vendored))
        else f"{DOWNLOADS}/{r.name}"
        for r in spec.raw_files
    ]


def prepared(wildcards):
    ds = wildcards.dataset
    return f"{R}/prepared/{ds}.parquet" if ds in STUDY_PREPARED else f"data/prepared/{ds}.parquet"


def acs_settings():
    return dict(config.get("acs") or {})


def derivation_source(wildcards):
    return f"{DOWNLOADS}/{ALL_RAW[wildcards.derived].derived_from}"


def generator_params(wildcards):
    """``n``, ``seed`` and the generator's parameters of a synthetic dataset (config key
    ``synthetic``); empty for the others."""
    if get_dataset(wildcards.dataset).generator is None:
        return {}
    return dict((config.get("synthetic") or {}).get(wildcards.dataset) or {})


def label_bias_settings():
    """The label-bias setting of the study, or None (config key ``label_bias``)."""
    settings = dict(config.get("label_bias") or {})
    if settings.get("kind", "none") == "none":
        return None
    return settings


def _check_label_bias():
    settings = label_bias_settings()
    if settings is None:
        return
    for ds in config["datasets"]:
        spec = get_dataset(ds)
        attribute = settings.get("attribute") or spec.protected
        if attribute not in spec.sensitive_names:
            raise WorkflowError(
                f"Invalid configuration: label_bias.attribute {attribute!r} is not a sensitive "
                f"attribute of {ds} ({spec.sensitive_names})"
            )
        domain = spec.attribute(attribute).domain
        if settings["group"] not in domain:
            raise WorkflowError(
                f"Invalid configuration: label_bias.group {settings['group']!r} is not in the "
                f"domain of {ds}.{attribute}: {list(domain)}"
            )




def _check_fair():
    fair = config.get("fair") or {}
    for ds in fair.get("datasets", []):
        if ds not in config["datasets"]:
            raise WorkflowError(
                f"Invalid configuration: fair.datasets has {ds!r}, which is not among the "
                f"study's datasets {config['datasets']}"
            )
        if not get_dataset(ds).feature_names:
            raise WorkflowError(
                f"Invalid configuration: fair.datasets has {ds!r}, which has no non-sensitive "
                "feature to learn from"
            )
        attribute = fair.get("attribute") or get_dataset(ds).protected
        if attribute not in get_dataset(ds).sensitive_names:
            raise WorkflowError(
                f"Invalid configuration: fair.attribute {attribute!r} is not a sensitive "
                f"attribute of {ds} ({get_dataset(ds).sensitive_names})"
            )
    unknown = sorted(set(fair.get("params") or {}) - set(fair_settings()["methods"]))
    if unknown:
        raise WorkflowError(
            f"Invalid configuration: fair.params has {unknown}, which are not among fair.methods"
        )




def _check_repair():
    repair = config.get("repair") or {}
    for ds in repair.get("datasets", []):
        if ds not in config["datasets"]:
            raise WorkflowError(
                f"Invalid configuration: repair.datasets has {ds!r}, which is not among the "
                f"study's datasets {config['datasets']}"
            )
        if not get_dataset(ds).numeric:
            raise WorkflowError(
                f"Invalid configuration: repair.datasets has {ds!r}, which has no numeric "
                "feature to repair"
            )
        attribute = (config.get("fair") or {}).get("attribute") or get_dataset(ds).protected
        if attribute not in get_dataset(ds).sensitive_names:
            raise WorkflowError(
                f"Invalid configuration: fair.attribute {attribute!r} (the attribute the repair "
                f"study privatizes) is not a sensitive attribute of {ds}"
            )
    unknown = sorted(set(repair.get("seeds", [])) - set(seeds()))
    if unknown:
        raise WorkflowError(
            f"Invalid configuration: repair.seeds {unknown} are not among the study's seeds"
        )
    if "epsilon" in repair and repair["epsilon"] not in config["epsilons"]:
        raise WorkflowError(
            f"Invalid configuration: repair.epsilon {repair['epsilon']} is not among the "
            f"study's epsilons {config['epsilons']}"
        )




def train_split(wildcards):
    """The training rows the study learns from: label-biased if the study says so."""
    if label_bias_settings() is None:
        return f"{R}/splits/{wildcards.dataset}/train.parquet"
    return f"{R}/splits/{wildcards.dataset}/train_biased.parquet"


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


def fair_settings():
    """The fair-learning study (config key ``fair``) with its defaults; datasets empty if off."""
    settings = {
        "datasets": [],
        "attribute": None,
        "methods": ["plain", "threshold_eo", "corrected_postproc_eo"],
        "model": "logistic_regression",
        "params": {},
    }
    settings.update(config.get("fair") or {})
    return settings


def fair_paths(stage):
    return [
        f"{R}/{stage}/{cell.path}.parquet"
        for cell in GRID
        if cell.dataset in fair_settings()["datasets"]
    ]


def repair_settings():
    """The repair study (config key ``repair``) with its defaults; datasets empty if off."""
    settings = {
        "datasets": [],
        "methods": ["quantile"],
        "groups": ["naive", "deconvolution"],
        "amounts": [0.0, 0.25, 0.5, 0.75, 1.0],
        "seeds": seeds(),
        "epsilon": float(config["epsilons"][0]),
        "model": "logistic_regression",
    }
    settings.update(config.get("repair") or {})
    return settings


def repair_paths(stage):
    """One file per (cell, method, groups); the non-private cell only with the true groups."""
    s = repair_settings()
    out = []
    for cell in GRID:
        if cell.dataset not in s["datasets"]:
            continue
        groups = ["true"] if cell.protocol == "none" else s["groups"]
        out += [f"{R}/{stage}/{cell.path}/{m}-{g}.parquet" for m in s["methods"] for g in groups]
    return out


def all_outputs():
    out = [f"{R}/metrics.parquet", f"{R}/provenance.json", f"{R}/provenance.html"]
    for ds in config["datasets"]:
        out += figure_paths(ds, "png") + figure_paths(ds, "pdf")
    for ds in fair_settings()["datasets"]:
        out += [f"{R}/figures/{ds}/fair_methods.png", f"{R}/figures/{ds}/fair_methods.pdf"]
    for ds in repair_settings()["datasets"]:
        out += [f"{R}/figures/{ds}/repair.png", f"{R}/figures/{ds}/repair.pdf"]
    return out


# configuration checks that need the registry and the functions above (before any job runs)
_check_label_bias()
_check_fair()
_check_repair()
