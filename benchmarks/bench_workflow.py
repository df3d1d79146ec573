"""Benchmark of the Snakemake workflow: wall time and Snakemake's own overhead.

Runs, each in a fresh temporary working directory:

1. the default study (``config/studies/default.yaml``) with ``--cores 2``;
2. the same study again: a run with nothing to do;
3. a dry run of the paper-scale grid (``config/studies/paper.yaml``).

Overhead is everything that is not a stage's own computation (DAG build, job scheduling,
process start-up, imports): ``1 - sum(compute) / (wall x cores)``, where ``compute`` is the time
each stage logs as ``compute_seconds=`` around its package call, without the time of the
library imports made inside it (logged apart as ``import_seconds=``). Idle cores (a DAG with fewer
ready jobs than cores) count as overhead too, so this is an upper bound. CPU seconds of the
whole run (Snakemake and every job) are measured too (``getrusage`` of the children), which a
shared machine disturbs less than the wall time. With ``--serial`` the study also runs with
``--cores 1``, where the bound is exact.

Usage: ``python benchmarks/bench_workflow.py [--serial] [--config FILE] [--keep DIR]``.
Writes ``benchmarks/out/workflow.md``.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
COMPUTE = re.compile(r"stage=(\w+) compute_seconds=([0-9.]+)(?: import_seconds=([0-9.]+))?")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def snakemake(workdir: Path, config: Path, *args: str) -> tuple[float, float]:
    """Wall and CPU seconds of one Snakemake run (CPU: Snakemake and all its jobs)."""
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(config), "--quiet", "all", *args]  # fmt: skip
    t0, c0 = time.perf_counter(), _cpu()
    res = subprocess.run(cmd, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    if res.returncode != 0:
        sys.exit(f"snakemake failed:\n{res.stdout[-3000:]}{res.stderr[-3000:]}")
    return wall, cpu


def compute_seconds(workdir: Path) -> tuple[float, float, dict[str, float], int]:
    """Stage compute seconds (without imports), import seconds inside stages, per stage."""
    per_stage: dict[str, float] = {}
    imports = 0.0
    jobs = 0
    for log in workdir.rglob("*.log"):
        if ".snakemake" in log.parts:
            continue
        for stage, secs, imp in COMPUTE.findall(log.read_text()):
            per_stage[stage] = per_stage.get(stage, 0.0) + float(secs)
            imports += float(imp or 0.0)
            jobs += 1
    return sum(per_stage.values()), imports, per_stage, jobs


def study(config: Path, cores: int, keep: Path | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="fairldp-bench-") as tmp:
        work = keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        wall, cpu = snakemake(work, config, "--cores", str(cores))
        total, imports, per_stage, jobs = compute_seconds(work)
        noop, _ = snakemake(work, config, "--cores", str(cores))
    return {"cores": cores, "wall": wall, "cpu": cpu, "compute": total, "imports": imports,
            "per_stage": per_stage, "jobs": jobs, "overhead": 1 - total / (wall * cores),
            "cpu_overhead": (cpu - total) / max(jobs, 1), "noop": noop}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=str(REPO / "config" / "studies" / "default.yaml"))
    ap.add_argument("--serial", action="store_true", help="also run with --cores 1")
    ap.add_argument("--keep", type=Path, help="run the study in this (new) folder and keep it")
    args = ap.parse_args()
    config = Path(args.config).resolve()
    cfg = yaml.safe_load(config.read_text())

    runs = [study(config, 2, args.keep)] + ([study(config, 1)] if args.serial else [])
    with tempfile.TemporaryDirectory(prefix="fairldp-bench-") as tmp:
        dry, _ = snakemake(Path(tmp), REPO / "config" / "studies" / "paper.yaml", "--cores", "2",
                           "--dry-run")  # fmt: skip

    lines = [
        f"# Workflow benchmark ({config.name}: {len(cfg['datasets'])} datasets, "
        f"{len(cfg['epsilons'])} epsilons, {len(cfg['seeds'])} seeds)",
        "",
        "| cores | jobs | wall (s) | CPU (s) | stage compute (s) | imports in stages (s) | "
        "overhead | CPU-s per job outside compute | no-op rerun (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(f"| {r['cores']} | {r['jobs']} | {r['wall']:.1f} | {r['cpu']:.1f} | "
                     f"{r['compute']:.1f} | {r['imports']:.1f} | {r['overhead']:.0%} | "
                     f"{r['cpu_overhead']:.2f} | {r['noop']:.1f} |")  # fmt: skip
    lines += ["", f"Dry run of config/studies/paper.yaml: {dry:.1f} s", "",
              "Compute per stage (s), "
              f"--cores {runs[0]['cores']}: " + ", ".join(
                  f"{k} {v:.1f}" for k, v in sorted(runs[0]["per_stage"].items()))]  # fmt: skip
    text = "\n".join(lines) + "\n"
    out = REPO / "benchmarks" / "out" / "workflow.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
