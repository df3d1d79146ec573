"""Shared fixtures: repository paths, and one run of the test study shared by the end-to-end
tests (tests/test_workflow.py, tests/test_report_browser.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    return REPO / "data" / "raw"


@pytest.fixture(scope="session")
def test_study_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(working folder, study file) of one uninterrupted run of config/studies/test.yaml (the
    file as is: the figures' order) on 2 cores, once per session. Read it, never change it: a
    test that runs more in it works on a copy (``shutil.copytree(..., symlinks=True)``; a
    copied folder reruns nothing)."""
    work = tmp_path_factory.mktemp("test_study") / "work"
    work.mkdir()
    cfg = work / "study.yaml"
    shutil.copy(REPO / "config" / "studies" / "test.yaml", cfg)
    cmd = [str(Path(sys.executable).parent / "snakemake"), "-s", str(REPO / "Snakefile"),
           "--directory", str(work), "--configfile", str(cfg), "--cores", "2"]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    return work, cfg


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``-n 2 --dist loadgroup``, the README's test command), every test that
    reads the shared run of the test study goes to one worker, so that the study runs once;
    the other tests are spread over the workers."""
    for item in items:
        if "test_study_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("test_study_run"))
