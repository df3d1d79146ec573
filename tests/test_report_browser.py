"""The report a reviewer opens, in a real headless browser: Snakemake's report of the test study
(config/studies/test.yaml) rendered by the system's Chromium, its home page (study name, what
was run, headline table, categories), and the summary and provenance pages it embeds.

Skipped, with the reason, when no Chromium is installed (Debian: ``apt-get install chromium``;
CI installs it in ``.ci/run``)."""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

# on the worker that holds the shared run of the test study (tests/conftest.py)
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("test_study_run")]

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
#: Chromium-family browsers (``--dump-dom`` gives the DOM after scripts ran; Firefox has none)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    """The first Chromium-family browser on PATH (or ``$FAIRLDP_BROWSER``)."""
    wanted = os.environ.get("FAIRLDP_BROWSER")
    for name in ([wanted] if wanted else []) + list(BROWSERS):
        path = shutil.which(name)
        if path:
            return path
    return None


def browse(browser: str, page: Path, profile: Path, *extra: str) -> str:
    """Open ``page`` headless; the DOM after its scripts ran (``--dump-dom``) or, with
    ``--screenshot=...`` in ``extra``, the browser's output."""
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           f"--user-data-dir={profile}", "--virtual-time-budget=10000", *extra,
           *([] if any(a.startswith("--screenshot") for a in extra) else ["--dump-dom"]),
           page.resolve().as_uri()]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr[-3000:]
    return res.stdout


def visible(dom: str) -> str:
    """The DOM without scripts and styles (the report carries its data as JSON in scripts: a
    text found there was not necessarily rendered), tags removed, whitespace collapsed."""
    dom = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", dom)
    for entity, char in (("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&nbsp;", " "),
                         ("&quot;", '"'), ("&#39;", "'")):  # fmt: skip
        text = text.replace(entity, char)
    return re.sub(r"\s+", " ", text)


def embedded(report: Path) -> dict[str, dict[str, str]]:
    """The report's result items (``var results = {...}``): path -> name, data URI, ..."""
    text = report.read_text(encoding="utf-8")
    m = re.search(r'<script id="results">\s*var results = (\{.*?\});\s*</script>', text, re.S)
    assert m, "no results in the report"
    return json.loads(m.group(1))


def data_of(item: dict[str, str]) -> bytes:
    return base64.b64decode(item["data_uri"].split(";base64,", 1)[1])


@pytest.fixture(scope="module")
def built(repo: Path, request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:  # fmt: skip
    """(browser, working folder, report.html) of the test study: a copy of the session's run of
    config/studies/test.yaml as is (the figures' order; tests/conftest.py) and its report."""
    browser = find_browser()
    if browser is None:
        firefox = " (Firefox is installed but has no DOM dump)" if shutil.which("firefox") else ""
        pytest.skip(f"no Chromium-family browser found on PATH{firefox}: looked for "
                    f"{', '.join(BROWSERS)}; Debian: apt-get install chromium")  # fmt: skip
    run, _ = request.getfixturevalue("test_study_run")  # run only when a browser can show it
    work = tmp_path_factory.mktemp("report") / "work"
    shutil.copytree(run, work, symlinks=True)
    cfg = work / "study.yaml"
    report = work / "results" / "test" / "report.html"
    cmd = [SNAKEMAKE, "-s", str(repo / "Snakefile"), "--directory", str(work),
           "--configfile", str(cfg), "--cores", "2", "--report", str(report)]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    return browser, work, report


def headline_cells(table: pd.DataFrame) -> list[str]:
    """The texts the headline table shows for the means of ``headline.csv``."""
    half = (table["ci_high"] - table["ci_low"]) / 2
    return [f"{m:.3f} ± {h:.3f}" if n > 1 else f"{m:.3f}"
            for m, h, n in zip(table["mean"], half, table["n_seeds"], strict=True)]  # fmt: skip


def test_home_page_names_the_study_and_shows_the_headline(built: tuple[str, Path, Path],
                                                           tmp_path: Path) -> None:  # fmt: skip
    browser, work, report = built
    dom = browse(browser, report, tmp_path / "profile", "--window-size=1400,1000")
    text = visible(dom)
    assert "Study test" in text  # the study's name, from the study file
    # what was run: runs and the values of their axes, seeds, models
    for needle in ("What was run", "3 runs", "budget_splits", "fair_learning", "repair",
                   "German credit", "GRR", "OUE", "LightGBM", "quantile repair (naive groups)",
                   "fairness on the true attribute", "2 (0–1)", "trained and evaluated models"):
        assert needle in text, needle
    # the headline table: accuracy and the first fairness metric of the figures, on the
    # true attribute, at the reference budget, with the numbers of headline.csv
    for needle in ("Headline results", "Accuracy", "Statistical parity diff.",
                   "fairness on the true attribute sex", "reference budget ε = 1",
                   "non-private", "GRR · uniform split", "λ = 1"):
        assert needle in text, needle
    table = pd.read_csv(work / "results" / "test" / "summary" / "headline.csv")
    assert set(table["metric"]) == {"accuracy", "demographic_parity_difference"}
    assert set(table["epsilon"]) == {1.0, float("inf")}
    cells = headline_cells(table)
    missing = [c for c in cells if c not in text]
    assert not missing, missing[:5]
    # the categories, in reading order, in the sidebar and linked from the home page
    categories = ["1. Summary", "2. Fairness vs ε", "3. Utility vs ε", "4. Fair methods vs ε",
                  "5. Repair vs amount λ", "6. Repair vs ε", "7. Provenance"]  # fmt: skip
    positions = [text.find(c) for c in categories]
    assert all(p >= 0 for p in positions), dict(zip(categories, positions, strict=True))
    assert positions == sorted(positions)
    links = re.findall(r'<a [^>]*href="javascript:app\.showCategory\([^"]*"[^>]*>([^<]+)</a>', dom)
    assert set(categories) <= set(links), links
    shot = tmp_path / "home.png"
    browse(browser, report, tmp_path / "profile", "--window-size=1400,1000",
           f"--screenshot={shot}")  # fmt: skip
    assert shot.stat().st_size > 20_000


def test_summary_and_tables_are_in_the_report(built: tuple[str, Path, Path],
                                              tmp_path: Path) -> None:  # fmt: skip
    browser, work, report = built
    items = {Path(p).name: item for p, item in embedded(report).items()}
    page = tmp_path / "summary.html"
    page.write_bytes(data_of(items["summary.html"]))
    text = visible(browse(browser, page, tmp_path / "profile"))
    for needle in ("Study test: summary", "What was run", "Headline results", "Definitions",
                   "Figures", "2. Fairness vs ε", "metrics.csv.gz"):
        assert needle in text, needle
    table = pd.read_csv(io.BytesIO(data_of(items["headline.csv"])))
    assert not [c for c in headline_cells(table) if c not in text]
    # the tidy metrics table, downloadable from the report, is metrics.parquet
    metrics = pd.read_csv(io.BytesIO(gzip.decompress(data_of(items["metrics.csv.gz"]))))
    parquet = pd.read_parquet(work / "results" / "test" / "metrics.parquet")
    assert list(metrics.columns) == list(parquet.columns) and len(metrics) == len(parquet)
    assert metrics["value"].sum() == pytest.approx(parquet["value"].sum(), rel=1e-12)


def test_provenance_is_a_readable_table(built: tuple[str, Path, Path], repo: Path,
                                        tmp_path: Path) -> None:  # fmt: skip
    browser, work, report = built
    items = {Path(p).name: item for p, item in embedded(report).items()}
    page = tmp_path / "provenance.html"
    page.write_bytes(data_of(items["provenance.html"]))
    dom = browse(browser, page, tmp_path / "profile")
    text = visible(dom)
    for needle in ("Provenance of this run", "Code and platform", "Git commit", "Python",
                   "Package versions", "numpy", "snakemake", "Code digests of the stages",
                   "Study configuration", "epsilons", "budget_splits"):
        assert needle in text, needle
    record = json.loads((work / "results" / "test" / "provenance.json").read_text())
    assert record["packages"]["numpy"] in text
    if record["git"]["commit"]:
        assert record["git"]["commit"] in text
    assert "<pre" not in dom and '"packages": {' not in text  # not a JSON dump
    assert dom.count("<table") >= 4  # nested tables for the configuration
