"""Provenance of a run: package versions, git commit, platform and the resolved config."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "PACKAGES",
    "PAGE_CSS",
    "git_state",
    "html_page",
    "package_versions",
    "provenance",
    "provenance_html",
    "write_provenance",
]

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
    """Write the provenance record as JSON and as a readable HTML page for the report."""
    from fairldp.io import atomic_write_text

    text = json.dumps(record, indent=2, sort_keys=True, default=str)
    atomic_write_text(text + "\n", out_json)
    atomic_write_text(provenance_html(record, text), out_html)


# ----- HTML: one look for the report's pages ------------------------------------------------------

#: the style of the report's HTML pages (provenance, summary); scoped to ``.fairldp``
PAGE_CSS = """
.fairldp { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px;
  line-height: 1.45; color: #1f2933; }
.fairldp h1 { font-size: 1.5em; margin: 0.2em 0 0.5em; }
.fairldp h2 { font-size: 1.2em; margin: 1.4em 0 0.4em; border-bottom: 1px solid #d9e2ec;
  padding-bottom: 0.15em; }
.fairldp h3 { font-size: 1.05em; margin: 1.1em 0 0.3em; }
.fairldp p { margin: 0.4em 0; }
.fairldp table { border-collapse: collapse; margin: 0.4em 0 0.8em; font-size: 13px;
  width: auto; }
.fairldp th, .fairldp td { border: 1px solid #d9e2ec; padding: 3px 8px; text-align: left;
  vertical-align: top; }
.fairldp thead th { background: #f0f4f8; }
.fairldp th[scope=row] { background: #f8fafc; font-weight: 600; white-space: nowrap; }
.fairldp table.headline td { white-space: nowrap; }
.fairldp td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.fairldp tr.group th { background: #e6eef6; text-align: left; }
.fairldp code { font-size: 0.92em; background: #f0f4f8; padding: 0 3px; border-radius: 3px; }
.fairldp code::before, .fairldp code::after { content: none; }
.fairldp .note { color: #52606d; font-size: 0.92em; }
.fairldp dl { margin: 0.3em 0; }
.fairldp dt { font-weight: 600; }
.fairldp dd { margin: 0 0 0.3em 1.5em; }
.fairldp table table { margin: 0; }
"""


def html_page(title: str, body: str) -> str:
    """A standalone HTML page (UTF-8, the report's style) around ``body``."""
    import html

    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{PAGE_CSS}</style></head>\n"
            f"<body class='fairldp'>\n{body}\n</body></html>\n")  # fmt: skip


def _value_html(value: Any) -> str:
    """A configuration value as HTML: a mapping as a nested key/value table, a list of scalars
    joined by commas, a list of mappings as one nested table each."""
    import html

    if isinstance(value, dict):
        if not value:
            return "<span class='note'>(empty)</span>"
        rows = "".join(f"<tr><th scope='row'>{html.escape(str(k))}</th>"
                       f"<td>{_value_html(v)}</td></tr>" for k, v in value.items())  # fmt: skip
        return f"<table>{rows}</table>"
    if isinstance(value, list):
        if not value:
            return "<span class='note'>(none)</span>"
        if all(not isinstance(v, dict | list) for v in value):
            return html.escape(", ".join(_scalar(v) for v in value))
        return "".join(_value_html(v) for v in value)
    return html.escape(_scalar(value))


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rows(items: dict[str, Any]) -> str:
    import html

    return "".join(f"<tr><th scope='row'>{html.escape(str(k))}</th><td>{v}</td></tr>"
                   for k, v in items.items())  # fmt: skip


def provenance_html(record: dict[str, Any], text: str | None = None) -> str:
    """The provenance record as a readable HTML page: the code (commit, uncommitted changes),
    the environment (Python, platform, package versions), the stages' code digests and the
    resolved study configuration as nested tables; the JSON record attached for download."""
    import base64
    import html

    text = text if text is not None else json.dumps(record, indent=2, sort_keys=True, default=str)
    git = record.get("git") or {}
    config = record.get("config") or {}
    commit = git.get("commit")
    dirty = git.get("dirty")
    state = {True: "yes: the results may not match the commit",
             False: "no", None: "unknown (not a git checkout)"}[dirty]  # fmt: skip
    run = {
        "Study": html.escape(str(config.get("study", "?"))),
        "Git commit": f"<code>{html.escape(commit)}</code>" if commit else "unknown",
        "Uncommitted changes": html.escape(state),
        "Python": html.escape(str(record.get("python", "?"))),
        "Platform": html.escape(str(record.get("platform", "?"))),
    }
    packages = {html.escape(k): html.escape(v) if v else "<span class='note'>not installed</span>"
                for k, v in dict(record.get("packages") or {}).items()}  # fmt: skip
    code = {html.escape(k): f"<code>{html.escape(str(v))}</code>"
            for k, v in dict(record.get("code") or {}).items()}  # fmt: skip
    data = base64.b64encode((text + "\n").encode()).decode()
    body = [
        "<h1>Provenance of this run</h1>",
        "<p>Which code, environment and settings produced these results. The same record is "
        "in <code>provenance.json</code> next to <code>metrics.parquet</code> "
        f"(<a download='provenance.json' href='data:application/json;base64,{data}'>download "
        "it</a>).</p>",
        f"<h2>Code and platform</h2><table>{_rows(run)}</table>",
        "<h2>Package versions</h2><table><thead><tr><th>package</th><th>version</th></tr>"
        f"</thead><tbody>{_rows(packages)}</tbody></table>",
    ]
    if code:
        body.append("<h2>Code digests of the stages</h2><p class='note'>A digest of the source "
                    "of each stage and of every fairldp module it imports: a stage reruns when "
                    "its digest changes.</p><table><thead><tr><th>stage</th><th>digest</th>"
                    f"</tr></thead><tbody>{_rows(code)}</tbody></table>")  # fmt: skip
    proxies = dict(record.get("proxies") or {})
    if proxies:
        rows = "".join(
            f"<tr><td>{html.escape(str(ds))}</td><td>{html.escape(str(p.get('feature')))}</td>"
            f"<td>{html.escape(str(p.get('attribute')))}</td>"
            f"<td>{100 * float(p.get('determined_share', 0)):.0f}%</td>"
            f"<td>{float(p.get('normalized_mi', 0)):.2f}</td></tr>"
            for ds, found in proxies.items() for p in found)  # fmt: skip
        none = [html.escape(str(ds)) for ds, found in proxies.items() if not found]
        body.append("<h2>Proxies of the sensitive attributes</h2><p class='note'>Features "
                    "released unperturbed whose values determine a sensitive attribute for "
                    "some rows (local privacy on the attribute does not hide it there), found "
                    "when the dataset was prepared.</p>"
                    + (f"<table><thead><tr><th>dataset</th><th>feature</th><th>attribute</th>"
                       "<th>rows determined</th><th>normalized MI</th></tr></thead><tbody>"
                       f"{rows}</tbody></table>" if rows else "")
                    + (f"<p>No proxy found in: {', '.join(none)}.</p>" if none else ""))
    body.append("<h2>Study configuration</h2><p class='note'>The study file as Snakemake "
                "resolved it (defaults of the schema included).</p>"
                f"<div class='config'>{_value_html(config)}</div>")  # fmt: skip
    return html_page("Provenance", "\n".join(body))
