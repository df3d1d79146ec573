"""Job logs: a stage's compute time is logged apart from the time its imports take."""

from __future__ import annotations

import builtins
import logging
import re
import sys
from pathlib import Path

import pytest

from fairldp.runlog import timed


def test_imports_inside_a_stage_are_timed_apart(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    (tmp_path / "slow_module_for_runlog.py").write_text("import time\ntime.sleep(0.2)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    original = builtins.__import__
    with caplog.at_level(logging.INFO, logger="fairldp"), timed("demo"):
        import slow_module_for_runlog  # noqa: F401
    assert builtins.__import__ is original  # restored
    sys.modules.pop("slow_module_for_runlog", None)
    m = re.search(r"stage=demo compute_seconds=([0-9.]+) import_seconds=([0-9.]+)", caplog.text)
    assert m, caplog.text
    compute, imports = map(float, m.groups())
    assert imports >= 0.19  # the module sleeps 0.2 s at import (clock resolution: 10 ms)
    assert compute < imports  # nothing else happened in the block
