"""The stages of the chain: the one place where artifacts are read and written.

Each stage is a function whose keyword arguments are the named inputs, outputs and parameters
of its Snakemake rule (``workflow/scripts/stage.py`` calls :func:`run` with them); the library
subpackages (:mod:`fairldp.ldp`, :mod:`fairldp.fair`, :mod:`fairldp.repair`,
:mod:`fairldp.representations`) read and write no artifact. Artifact paths and keys are in
:mod:`fairldp.plan`, the Parquet schemas in each stage's docstring.

=============  ===========================================  =================================
rule           function                                     module
=============  ===========================================  =================================
download       :func:`~fairldp.stages.data.download`        :mod:`fairldp.stages.data`
derive         :func:`~fairldp.stages.data.derive`
prepare        :func:`~fairldp.stages.data.prepare`
split          :func:`~fairldp.stages.data.split`
label_bias     :func:`~fairldp.stages.data.label_bias`
publish        :func:`~fairldp.stages.privatize.publish`    :mod:`fairldp.stages.privatize`
privatize      :func:`~fairldp.stages.privatize.privatize`  :mod:`fairldp.stages.privatize`
represent      :func:`~fairldp.stages.represent.represent`  :mod:`fairldp.stages.represent`
learn          :func:`~fairldp.stages.learn.learn`          :mod:`fairldp.stages.learn`
leakage        :func:`~fairldp.stages.evaluate.leakage`     :mod:`fairldp.stages.evaluate`
membership     :func:`~fairldp.stages.evaluate.membership`
evaluate       :func:`~fairldp.stages.evaluate.evaluate`
collect        :func:`~fairldp.stages.evaluate.collect`
figures        :func:`~fairldp.stages.report.figures`       :mod:`fairldp.stages.report`
summary        :func:`~fairldp.stages.report.summary`
provenance     :func:`~fairldp.stages.report.provenance`
reproduction   :func:`~fairldp.stages.report.reproduction`
=============  ===========================================  =================================
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["STAGES", "code_digest", "run"]

#: rule name -> "module:function" of the stage
STAGES = {
    "download": "fairldp.stages.data:download",
    "derive": "fairldp.stages.data:derive",
    "prepare": "fairldp.stages.data:prepare",
    "prepare_study": "fairldp.stages.data:prepare",
    "split": "fairldp.stages.data:split",
    "label_bias": "fairldp.stages.data:label_bias",
    "publish": "fairldp.stages.privatize:publish",
    "privatize": "fairldp.stages.privatize:privatize",
    "represent": "fairldp.stages.represent:represent",
    "learn": "fairldp.stages.learn:learn",
    "leakage": "fairldp.stages.evaluate:leakage",
    "membership": "fairldp.stages.evaluate:membership",
    "evaluate": "fairldp.stages.evaluate:evaluate",
    "collect": "fairldp.stages.evaluate:collect",
    "figures": "fairldp.stages.report:figures",
    "summary": "fairldp.stages.report:summary",
    "provenance": "fairldp.stages.report:provenance",
    "reproduction": "fairldp.stages.report:reproduction",
}


def stage_function(rule: str) -> Callable[..., None]:
    module, _, name = STAGES[rule].partition(":")
    return getattr(importlib.import_module(module), name)


def run(rule: str, plugins: Iterable[str] = (), threads: int = 1, **kwargs: Any) -> None:
    """Run the stage of ``rule`` with its keyword arguments, after importing the study's
    ``plugins`` (they register their entries) and limiting BLAS/OpenMP threads to ``threads``
    (the CPUs the job declares)."""
    from threadpoolctl import threadpool_limits

    for module in plugins:
        importlib.import_module(module)
    with threadpool_limits(limits=max(int(threads), 1)):
        stage_function(rule)(**kwargs)


# ----- code digests: a stage reruns when code it imports changes ---------------------------------


_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # src/fairldp


@cache
def _module_file(name: str) -> Path | None:
    """Source file of a module, found without importing it (for fairldp's own modules: an
    import would load e.g. scikit-learn at every DAG build)."""
    parts = name.split(".")
    if parts[0] == "fairldp":
        base = _PACKAGE_DIR.joinpath(*parts[1:])
        for path in (base.with_suffix(".py"), base / "__init__.py"):
            if path.is_file():
                return path
        return None
    try:  # a plugin: it is imported by the study anyway
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


@cache
def _imports(path: Path, package: str) -> frozenset[str]:
    """Modules of ``package`` imported anywhere in a source file (lazy imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    current = _module_name(path)
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                parts = current.split(".")
                is_pkg = path.name == "__init__.py"
                base = ".".join(parts[: len(parts) - node.level + (1 if is_pkg else 0)]
                                + ([base] if base else []))  # fmt: skip
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return frozenset(m for m in out if m == package or m.startswith(package + "."))


@cache
def _module_name(path: Path) -> str:
    """Dotted name of a fairldp source file (relative imports are resolved against it)."""
    parts = list(path.with_suffix("").parts)
    if "fairldp" not in parts:
        return path.stem
    i = len(parts) - 1 - parts[::-1].index("fairldp")
    names = parts[i:]
    return ".".join(names[:-1] if names[-1] == "__init__" else names)


def _closure(modules: Iterable[str], package: str = "fairldp") -> list[Path]:
    """Source files of ``modules`` and of every module of ``package`` they import,
    transitively (a module's package ``__init__`` files count as imported)."""
    seen: dict[str, Path] = {}
    todo = list(modules)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(name)
        if path is None:
            continue
        seen[name] = path
        parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
        todo += parents + sorted(_imports(path, package))
    return sorted(set(seen.values()))


def code_digest(rule: str, plugins: Iterable[str] = ()) -> str:
    """Digest of the source of the stage of ``rule``, of every fairldp module it imports
    (transitively) and of the study's plugin modules: a parameter of the rule, so that editing
    a module reruns exactly the stages whose code imports it."""
    module = STAGES[rule].partition(":")[0]
    h = hashlib.sha256()
    for path in _closure([module, *plugins]):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
