"""Benchmark of fairldp.repair: time and peak memory of QuantileRepair and OTRepair.

    python benchmarks/bench_repair.py [--methods true,deconvolution,posterior] [--target 30]

Data: the numeric block of Adult (``data/prepared/adult.parquet``: age, hours_per_week;
45,222 rows; groups = sex, k = 2, and race, k = 5) if present, and a synthetic 45,000 x 6
block (``X | A=a ~ N(mu_a, I)``, k = 2) always. Privatized groups are GRR reports at eps = 1
with their transition matrix. Each configuration runs in a fresh subprocess (one core:
``OMP/OPENBLAS/MKL_NUM_THREADS=1``): first timed (``fit``, then ``transform`` of all rows), then
re-run under ``tracemalloc`` for the peak of Python/numpy allocations; ``maxrss`` is the
subprocess's peak resident set (includes the interpreter and imports, and the POT solver's
C++ memory that tracemalloc does not see). Exits 1 if some fit takes longer than ``--target``
seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from fairldp.rng import make_rng

REPO = Path(__file__).resolve().parents[1]
ADULT = REPO / "data" / "prepared" / "adult.parquet"
EPS = 1.0
SEED = 0  # streams via fairldp.rng.make_rng(SEED, keys): data and GRR noise independent


def load(data: str) -> tuple[np.ndarray, np.ndarray]:
    """``(X, a)``: numeric block and true group codes."""
    if data.startswith("adult"):
        import pandas as pd

        df = pd.read_parquet(ADULT)
        x = df[["age", "hours_per_week"]].to_numpy(dtype=float)
        attr = data.split("-")[1]
        a = df[attr].cat.codes.to_numpy().astype(np.int64)
        return x, a
    rng = make_rng(SEED, "bench_repair", "synthetic")
    n, d = 45_000, 6
    a = (rng.random(n) < 0.4).astype(np.int64)
    mu = np.linspace(0.5, 2.0, d)
    return rng.normal(size=(n, d)) + a[:, None] * mu, a


def run_one(cfg: dict) -> dict:
    """Fit + transform one configuration; returns timings and memory."""
    from fairldp.ldp import GRR
    from fairldp.repair import OTRepair, QuantileRepair

    data = cfg["data"]
    x, a = load(data)
    k = int(a.max()) + 1
    grr = GRR(EPS, k)
    t = grr.transition_matrix
    g = (
        a
        if cfg["groups"] == "true"
        else grr.perturb(a, make_rng(SEED, "bench_repair", "perturb", data))
    )

    def make():
        if cfg["model"] == "quantile":
            return QuantileRepair(groups=cfg["groups"], transition=t)
        return OTRepair(groups=cfg["groups"], transition=t, random_state=SEED)

    est = make()
    t0 = time.perf_counter()
    est.fit(x, sensitive_features=g)
    t1 = time.perf_counter()
    y = est.transform(x, sensitive_features=g)
    t2 = time.perf_counter()

    def gap(v: np.ndarray) -> float:
        # largest |E[v | A=a] - E[v]| over groups and columns (true groups)
        means = np.stack([v[a == c].mean(axis=0) for c in range(k)])
        return float(np.abs(means - v.mean(axis=0)).max())

    gap_before, gap_after = gap(x), gap(y)
    tracemalloc.start()
    make().fit(x, sensitive_features=g).transform(x, sensitive_features=g)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        **cfg,
        "n": x.shape[0],
        "d": x.shape[1],
        "k": k,
        "fit_s": t1 - t0,
        "transform_s": t2 - t1,
        "peak_mib": peak / 2**20,
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "gap_ratio": gap_after / gap_before,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--methods", default="true,deconvolution,posterior")
    ap.add_argument("--target", type=float, default=30.0, help="max seconds per fit")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(json.loads(args.one))))
        return 0
    datasets = (["adult-sex", "adult-race"] if ADULT.exists() else []) + ["synthetic"]
    if not ADULT.exists():
        print(f"{ADULT} missing: synthetic data only", file=sys.stderr)
    env = {
        **os.environ,
        **{v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
    }
    rows = []
    for data in datasets:
        for model in ("quantile", "ot"):
            for groups in args.methods.split(","):
                cfg = {"data": data, "model": model, "groups": groups}
                out = subprocess.run(
                    [sys.executable, __file__, "--one", json.dumps(cfg)],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=True,
                )
                rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
                r = rows[-1]
                print(f"  {data} {model} {groups}: fit {r['fit_s']:.2f}s", file=sys.stderr)
    head = (
        f"{'data':<11} {'model':<9} {'groups':<14} {'n':>6} {'d':>2} {'k':>2} {'fit s':>7} "
        f"{'trans s':>7} {'peak MiB':>8} {'maxrss MiB':>10} {'gap ratio':>9}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['data']:<11} {r['model']:<9} {r['groups']:<14} {r['n']:>6} {r['d']:>2} "
            f"{r['k']:>2} {r['fit_s']:>7.2f} {r['transform_s']:>7.2f} {r['peak_mib']:>8.1f} "
            f"{r['maxrss_mib']:>10.1f} {r['gap_ratio']:>9.3f}"
        )
    slow = [r for r in rows if r["fit_s"] > args.target]
    print(
        f"\ntarget: fit <= {args.target:.0f} s on one core; gap ratio = "
        "max_a,j |E[x_j | A=a] - E[x_j]| after / before (true groups)"
    )
    if slow:
        print(f"OVER TARGET: {len(slow)} configuration(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
