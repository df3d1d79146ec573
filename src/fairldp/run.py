"""Run a study end to end: ``python -m fairldp.run [--configfile STUDY] [--cores N]``.

What ``make reproduce`` runs. In order:

1. the study file is checked by :func:`fairldp.config.load_study` before Snakemake loads it
   (Snakemake evaluates YTE templates as it loads a config file), so a bad study stops with
   one sentence and no job runs;
2. a stale Snakemake lock left by a hard kill is removed when no Snakemake works in the
   same folder (on Linux; elsewhere, when none runs on the machine);
3. Snakemake runs the study with ``--rerun-incomplete`` (outputs of interrupted jobs are
   redone; artifacts of an earlier complete run that were deleted are named as targets, so
   that they and what depends on them are rebuilt); its full output goes to
   ``{results}/logs/snakemake/{time}.log`` and the terminal gets one line per finished stage
   family (jobs done / jobs planned, elapsed time), a progress line at most every
   ``--heartbeat`` seconds while a family runs, and, on failure, the failed rule, its log
   file and the last lines of that log;
4. the HTML report is built (``{results}/report.html``);
5. a closing message gives the paths of the report, the metrics table, the figures and the
   provenance, and the size of ``{results}``.

Extra arguments after ``--`` go to Snakemake unchanged (e.g. ``-- --forcerun collect``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

__all__ = ["Progress", "main", "results_size"]

#: what each rule family does, for the progress lines
FAMILIES = {
    "download": "download raw data",
    "derive": "derive raw data",
    "prepare": "prepare datasets",
    "split": "train/test splits",
    "publish": "public rows",
    "privatize": "LDP privatization",
    "represent": "fit representations",
    "learn": "train learners",
    "evaluate": "prediction audits",
    "leakage": "leakage audits",
    "membership": "membership audits",
    "collect": "metrics table",
    "summary": "summary table",
    "provenance": "provenance",
    "figure": "figures",
    "reproduction": "reproduction table",
}

_STATS = re.compile(r"^(\S+)\s+(\d+)$")
_FINISHED = re.compile(r"^Finished jobid: \d+ \(Rule: (\S+)\)")
_STARTED = re.compile(r"^(?:local)?rule (\S+):$")
_STEPS = re.compile(r"^(\d+) of (\d+) steps")
_ERROR = re.compile(r"^Error in rule (\S+):")
_LOG = re.compile(r"^\s+log: (.+?)(?: \(check log file\(s\) for error details\))?$")


def family(rule: str) -> str:
    """The stage family of a rule (``figure_fairness`` -> ``figure``)."""
    return "figure" if rule.startswith("figure_") else rule


def _seconds(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else f"{int(s // 60)} min {int(s % 60):02d} s"


@dataclass
class Progress:
    """Reads Snakemake's output line by line and says what a person needs: one line per
    finished stage family, a heartbeat while long families run, and the failures."""

    out: TextIO = sys.stdout
    heartbeat: float = 60.0
    clock: object = time.monotonic
    planned: dict[str, int] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)
    failed: list[tuple[str, str | None]] = field(default_factory=list)
    steps: tuple[int, int] = (0, 0)
    nothing_to_do: bool = False
    _in_stats: bool = False
    _error_rule: str | None = None
    _t0: float = 0.0
    _last_say: float = 0.0

    def __post_init__(self) -> None:
        self._t0 = self._last_say = self.clock()  # type: ignore[operator]

    def _now(self) -> float:
        return self.clock() - self._t0  # type: ignore[operator]

    def say(self, text: str) -> None:
        self._last_say = self.clock()  # type: ignore[operator]
        print(f"[{_seconds(self._now()):>10}] {text}", file=self.out, flush=True)

    def feed(self, line: str) -> None:
        """Take one line of Snakemake's output."""
        line = line.rstrip("\n")
        if line.startswith("Job stats:"):
            self._in_stats, self.planned = True, {}
            return
        if self._in_stats:
            m = _STATS.match(line.strip())
            if m and m.group(1) not in ("job", "total"):
                fam = family(m.group(1))
                self.planned[fam] = self.planned.get(fam, 0) + int(m.group(2))
            elif line.strip().startswith("total"):
                self._in_stats = False
                jobs = sum(n for f, n in self.planned.items() if f != "all")
                fams = [f"{FAMILIES.get(f, f)} {n}" for f, n in self.planned.items() if f != "all"]
                self.say(f"{jobs} jobs to run: " + ", ".join(fams))
            return
        if "Nothing to be done" in line:
            self.nothing_to_do = True
            self.say("every output is up to date: nothing to run")
            return
        if m := _STARTED.match(line):
            self.started.setdefault(family(m.group(1)), self._now())
            return
        if m := _FINISHED.match(line):
            fam = family(m.group(1))
            self.done[fam] = self.done.get(fam, 0) + 1
            if fam != "all" and self.done[fam] == self.planned.get(fam, -1):
                took = self._now() - self.started.get(fam, 0.0)
                self.say(f"{FAMILIES.get(fam, fam):<20} {self.done[fam]:>4}/"
                         f"{self.planned[fam]:<4} jobs done in {_seconds(took)}")  # fmt: skip
            return
        if m := _STEPS.match(line):
            self.steps = (int(m.group(1)), int(m.group(2)))
            if self.clock() - self._last_say >= self.heartbeat:  # type: ignore[operator]
                running = [f"{FAMILIES.get(f, f)} {self.done.get(f, 0)}/{n}"
                           for f, n in self.planned.items()
                           if f in self.started and self.done.get(f, 0) < n
                           and f != "all"]  # fmt: skip
                extra = self.planned.get("all", 0)  # the target rule is no job of the study
                self.say(f"{self.steps[0]} of {self.steps[1] - extra} jobs done"
                         + (f" (running: {', '.join(running)})" if running else ""))  # fmt: skip
            return
        if m := _ERROR.match(line):
            self._error_rule = m.group(1)
            self.failed.append((m.group(1), None))
            return
        if self._error_rule is not None and (m := _LOG.match(line)):
            self.failed[-1] = (self._error_rule, m.group(1).strip())
            self._error_rule = None


def results_size(path: str | Path) -> int:
    """Bytes of the files under ``path``."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def _snakemake_running(directory: str | Path = ".") -> bool:
    """Whether a Snakemake process works in ``directory`` (Linux: its working folder, from
    /proc); elsewhere, whether any Snakemake process runs on this machine (``pgrep``)."""
    here = Path(directory).resolve()
    proc = Path("/proc")
    if (proc / "self" / "cwd").exists():
        for pid in proc.iterdir():
            if not pid.name.isdigit() or pid.name == str(os.getpid()):
                continue
            try:
                argv = (pid / "cmdline").read_bytes().split(b"\0")
            except OSError:  # ended meanwhile
                continue
            if not (any(a.endswith(b"snakemake") for a in argv[:3]) and
                    argv[0].rsplit(b"/", 1)[-1].startswith((b"python", b"snakemake"))):
                continue
            try:
                if (pid / "cwd").resolve(strict=True) == here:
                    return True
            except PermissionError:  # another user's Snakemake: cannot tell where; assume here
                return True
            except OSError:  # ended meanwhile
                continue
        return False
    if shutil.which("pgrep") is None:
        return True  # cannot tell: never remove a lock that may be live
    found = subprocess.run(["pgrep", "-f", r"[p]ython[0-9.]* (-m )?[^ ]*snakemake"],
                           capture_output=True, check=False)  # fmt: skip
    return found.returncode == 0


def _stream(cmd: Sequence[str], log: TextIO, progress: Progress | None) -> int:
    """Run ``cmd``, copying its output to ``log`` and feeding it to ``progress``."""
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          bufsize=1) as proc:  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if progress is not None:
                progress.feed(line)
        return proc.wait()


def _tail(path: str, n: int = 15) -> Iterable[str]:
    try:
        return Path(path).read_text(errors="replace").splitlines()[-n:]
    except OSError:
        return []


def main(argv: Sequence[str] | None = None) -> int:
    """Run a study (see the module docstring); returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[: argv.index("--")]
    parser = argparse.ArgumentParser(prog="python -m fairldp.run",
                                     description=(__doc__ or "").split("\n")[0])  # fmt: skip
    parser.add_argument("--configfile", default="config/studies/default.yaml")
    parser.add_argument("--cores", default="2")
    parser.add_argument("--heartbeat", type=float, default=60.0,
                        help="seconds between progress lines while a stage family runs")
    parser.add_argument("--no-report", action="store_true", help="skip report.html")
    parser.add_argument("--snakefile", default="Snakefile", help="default: ./Snakefile")
    parser.add_argument("--directory", default=".",
                        help="working folder: results are written under it (default: .)")
    args = parser.parse_args(argv)

    from fairldp.config import ConfigError, load_study

    if not Path(args.configfile).is_file():
        print(f"fairldp: no study file {args.configfile} (the studies of this checkout are in "
              "config/studies/)", file=sys.stderr)  # fmt: skip
        return 2
    try:
        study = load_study(args.configfile, workdir=args.directory,
                           project=Path(args.snakefile).resolve().parent)
    except (ConfigError, OSError, ValueError) as err:
        print(f"fairldp: {err}", file=sys.stderr)
        return 2
    results = Path(args.directory) / study.results
    logdir = results / "logs" / "snakemake"
    logdir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    log_path = logdir / f"{stamp}.log"
    # Snakemake rebuilds a deleted intermediate only if a consumer is out of date: name the
    # missing artifacts of an earlier run as targets, so that they and their consumers rerun
    from fairldp.verify import expected_artifacts

    targets = []
    if (results / "metrics.parquet").exists():
        targets = [str(Path(study.results) / rel) for rel, _ in expected_artifacts(study)
                   if not (results / rel).exists()]  # fmt: skip
    program = [sys.executable, "-m", "snakemake"]
    snakemake = [*program, "--snakefile", args.snakefile,
                 "--directory", args.directory, "--configfile", args.configfile]  # fmt: skip
    progress = Progress(heartbeat=args.heartbeat)
    progress.say(f"study {study.study!r} ({args.configfile}) on {args.cores} cores; "
                 f"full Snakemake log: {log_path}")  # fmt: skip
    if targets:
        progress.say(f"{len(targets)} artifacts of an earlier run are missing (e.g. "
                     f"{targets[0]}): rebuilding them and what depends on them")  # fmt: skip
    with open(log_path, "w") as log:
        if not _snakemake_running(args.directory):
            subprocess.run([*snakemake, "--unlock", "--cores", "1"], stdout=log,
                           stderr=subprocess.STDOUT, check=False)  # fmt: skip
        # targets before every option: --configfile, --forcerun, ... take several values
        options = snakemake[len(program):]
        code = _stream([*program, *(["all", *targets] if targets else []), *options, "--cores",
                        str(args.cores), "--rerun-incomplete", *extra], log, progress)  # fmt: skip
        if code != 0:
            for rule, rule_log in progress.failed:
                where = f"; its log: {rule_log}" if rule_log else ""
                progress.say(f"FAILED: rule {rule}{where}")
                for tail in _tail(rule_log) if rule_log else []:
                    print(f"    {tail}", file=sys.stderr)
            if not progress.failed:  # Snakemake stopped before any job (or between jobs)
                log.flush()
                for tail in _tail(str(log_path)):
                    print(f"    {tail}", file=sys.stderr)
            progress.say(f"stopped (exit {code}); the full Snakemake log: {log_path}; run the "
                         "same command again to resume")  # fmt: skip
            return code
        report = results / "report.html"
        if not args.no_report:
            rc = _stream([*snakemake, "--cores", "1", "--report", str(report)], log, None)
            if rc != 0:
                progress.say(f"report failed (exit {rc}); see {log_path}")
                return rc
    size = results_size(results)
    figures = sorted((results / "figures").glob("*/*.png"))
    progress.say("done.")
    lines = [
        f"  report      {report}" if not args.no_report else None,
        f"  metrics     {results / 'metrics.parquet'}",
        f"  figures     {results / 'figures'}/ ({len(figures)} PNG, each with a PDF and the "
        "CSV of its numbers)",
        f"  provenance  {results / 'provenance.json'}",
        f"  log         {log_path}",
        f"  results take {size / 1e6:.1f} MB on disk ({results}/)",
    ]
    print("\n".join(x for x in lines if x), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
