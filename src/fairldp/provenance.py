"""Provenance of a run: package versions, git commit, platform and the resolved config."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["PACKAGES", "git_state", "package_versions", "provenance", "write_provenance"]

PACKAGES = (
    "fairldp",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "scikit-learn",
    "lightgbm",
    "fairlearn",
    "POT",
    "folktables",
    "matplotlib",
    "snakemake",
)


def package_versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for p in packages:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def git_state(repo: str | Path) -> dict[str, Any]:
    """Commit of ``repo`` and whether its tracked files have uncommitted changes."""

    def run(*args: str) -> str | None:
        try:
            res = subprocess.run(
                ["git", "-C", str(repo), *args],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return res.stdout.strip()

    commit = run("rev-parse", "HEAD")
    status = run("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def provenance(config: dict[str, Any], repo: str | Path) -> dict[str, Any]:
    """Everything needed to tell which code and settings produced a study's results."""
    return {
        "git": git_state(repo),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "config": json.loads(json.dumps(config, default=str)),
    }


def write_provenance(record: dict[str, object], out_json: str | Path, out_html: str | Path) -> None:
    """Write the provenance record as JSON and as an HTML page for the report."""
    import html

    from fairldp.io import atomic_write_text

    text = json.dumps(record, indent=2, sort_keys=True, default=str)
    atomic_write_text(text + "\n", out_json)
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Provenance</title></head>"
        f"<body><h1>Provenance of this run</h1><pre>{html.escape(text)}</pre></body></html>\n"
    )
    atomic_write_text(page, out_html)
