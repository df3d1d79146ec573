"""The study runner behind ``make reproduce`` (:mod:`fairldp.run`): progress lines from
Snakemake's output, failures named with their log, a bad study refused before Snakemake."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from fairldp.run import Progress, family, main, results_size

# the lines of a Snakemake 9 run that the progress reader uses, in the order it prints them
RUN = """\
Building DAG of jobs...
Job stats:
job                  count
-----------------  -------
prepare                  1
privatize                2
figure_fairness          1
figure_utility           1
all                      1
total                    6

[Mon Nov 30 00:01:06 2026]
localrule prepare:
    jobid: 3
Finished jobid: 3 (Rule: prepare)
1 of 6 steps (17%) done
rule privatize:
    jobid: 2
Finished jobid: 2 (Rule: privatize)
2 of 6 steps (33%) done
localrule privatize:
Finished jobid: 4 (Rule: privatize)
3 of 6 steps (50%) done
localrule figure_fairness:
Finished jobid: 5 (Rule: figure_fairness)
4 of 6 steps (67%) done
[Mon Nov 30 00:01:07 2026]
Error in rule figure_utility:
    message: None
    jobid: 1
    output: results/figures/utility/adult.png
    log: results/logs/figures/utility.log (check log file(s) for error details)
Shutting down, this might take some time.
"""


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 1.0  # every reading one second later
        return self.t


def _read(text: str, heartbeat: float = 1e9) -> tuple[Progress, str]:
    out = io.StringIO()
    progress = Progress(out=out, heartbeat=heartbeat, clock=Clock())
    for line in text.splitlines(keepends=True):
        progress.feed(line)
    return progress, out.getvalue()


def test_one_line_per_finished_family_with_counts() -> None:
    progress, out = _read(RUN)
    lines = out.splitlines()
    assert "5 jobs to run: prepare datasets 1, LDP privatization 2, figures 2" in lines[0]
    assert any("prepare datasets" in x and "1/1" in x for x in lines)
    assert any("LDP privatization" in x and "2/2" in x for x in lines)
    # one figure of two finished: the family is not done, so no line for it
    assert not any("figures" in x and "jobs done" in x for x in lines[1:])
    assert len(lines) == 3
    assert progress.planned == {"prepare": 1, "privatize": 2, "figure": 2, "all": 1}
    assert progress.steps == (4, 6)


def test_failure_named_with_its_log() -> None:
    progress, _ = _read(RUN)
    assert progress.failed == [("figure_utility", "results/logs/figures/utility.log")]


def test_heartbeat_counts_jobs_of_the_study_without_the_target_rule() -> None:
    _, out = _read(RUN, heartbeat=0.0)
    assert "4 of 5 jobs done" in out
    assert "running: figures 1/2" in out


def test_nothing_to_do() -> None:
    progress, out = _read("Building DAG of jobs...\nNothing to be done (all requested files "
                          "are present and up to date).\n")
    assert progress.nothing_to_do and "up to date" in out


def test_family() -> None:
    assert family("figure_repair_amount") == "figure"
    assert family("learn") == "learn"


def test_results_size(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.bin").write_bytes(b"0" * 1000)
    (tmp_path / "y.bin").write_bytes(b"0" * 24)
    assert results_size(tmp_path) == 1024


def test_bad_study_refused_before_snakemake(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = tmp_path / "bad.yaml"
    good = Path(__file__).parents[1] / "config" / "studies" / "test.yaml"
    study.write_text(good.read_text().replace("datasets: [german]", "datasets: [germann]"))
    assert main(["--configfile", str(study)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fairldp: ") and "'german'" in err
    assert not (tmp_path / "results").exists()


def test_a_snakemake_in_this_folder_is_seen_and_one_elsewhere_is_not(tmp_path: Path) -> None:
    """The stale-lock check looks for Snakemake processes working in the study's folder."""
    import subprocess
    import sys

    from fairldp.run import _snakemake_running

    if not Path("/proc/self/cwd").exists():
        pytest.skip("needs /proc (Linux)")
    here, other = tmp_path / "here", tmp_path / "other"
    here.mkdir()
    other.mkdir()
    fake = here / "snakemake"  # a process whose command line is "python .../snakemake"
    fake.write_text("import time\ntime.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, str(fake)], cwd=here)
    try:
        import time

        for _ in range(50):
            if _snakemake_running(here):
                break
            time.sleep(0.1)
        assert _snakemake_running(here)
        assert not _snakemake_running(other)
    finally:
        proc.kill()
        proc.wait()
    assert not _snakemake_running(here)


def test_missing_study_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--configfile", "no/such/study.yaml"]) == 2
    assert "no study file no/such/study.yaml" in capsys.readouterr().err
