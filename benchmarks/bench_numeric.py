"""Benchmark of the numeric LDP mechanisms' perturb against their RNG floor (not a timed test).

    python benchmarks/bench_numeric.py [--n 1e6] [--reps 3]

For n users (default 1e6) and eps in {0.5, 1, 4}, the CPU time (``time.process_time``, best
of ``--reps``) of ``perturb`` of each mechanism (Duchi, Piecewise, Hybrid) on one column of
values uniform in the declared range, against its RNG floor: the CPU time of drawing the
uniforms it consumes. Every mechanism draws exactly one uniform per user (PM and HM use the
inverse CDF of a single uniform), so the floor is ``rng.random(n)`` for all three; it is
measured alternately with each mechanism (the machine may be shared). Target: perturb within
3x of its floor. For reference, the ratio to ``rng.random((2, n))`` (the draws of a direct
PM: branch and position) is also given. Writes benchmarks/out/numeric.md and prints it.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fairldp.ldp.numeric import get_numeric_mechanism

HERE = Path(__file__).resolve().parent
MECHANISMS = ("duchi", "piecewise", "hybrid")
EPS = (0.5, 1.0, 4.0)
LOW, HIGH = 0.0, 100.0
TARGET = 3.0


def cpu(fn: Callable[[], object]) -> float:
    """CPU time of one call of ``fn``, in seconds."""
    t = time.process_time()
    fn()
    return time.process_time() - t


def best_alternating(fns: list[Callable[[], object]], reps: int) -> list[float]:
    """Best of ``reps`` CPU times of each of ``fns``, measured in turn (so that all see the
    same background load)."""
    best = [float("inf")] * len(fns)
    for _ in range(reps):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], cpu(fn))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=float, default=1e6, help="number of users (default 1e6)")
    ap.add_argument("--reps", type=int, default=3, help="timings per cell; the best is kept")
    args = ap.parse_args()
    n, reps = int(args.n), args.reps
    x = np.random.default_rng(0).uniform(LOW, HIGH, n)
    lines = [
        f"# Numeric LDP mechanisms: perturb vs RNG floor (n = {n:.0e}, CPU time, best of {reps})",
        "",
        f"- machine: {platform.machine()}, Python {platform.python_version()}, numpy "
        f"{np.__version__}; `time.process_time` (this process's CPU time)",
        "- floor: `rng.random(n)` (every mechanism draws exactly one uniform per user), "
        "timed alternately with each mechanism's perturb (best of each); for reference, the "
        "ratio to `rng.random((2, n))`, the draws of a direct PM (branch + position)",
        f"- values uniform in the declared range [{LOW:g}, {HIGH:g}] (no clipping); "
        f"target: perturb <= {TARGET:g}x its floor",
        "",
        "| mechanism | eps | perturb | RNG floor | ratio | vs `random((2, n))` | ns / user "
        "| within target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in MECHANISMS:
        for eps in EPS:
            m = get_numeric_mechanism(name, eps, LOW, HIGH)
            m.perturb(x[:1000], np.random.default_rng(1))  # warm-up
            tp, tf, tf2 = best_alternating(
                [
                    lambda m=m: m.perturb(x, np.random.default_rng(1)),
                    lambda: np.random.default_rng(1).random(n),
                    lambda: np.random.default_rng(1).random((2, n)),
                ],
                reps,
            )
            ratio = tp / tf
            lines.append(
                f"| {name} | {eps:g} | {tp * 1e3:.1f} ms | {tf * 1e3:.1f} ms | {ratio:.2f}x | "
                f"{tp / tf2:.2f}x | {tp / n * 1e9:.1f} | {'yes' if ratio <= TARGET else 'no'} |"
            )
    text = "\n".join(lines) + "\n"
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "numeric.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
