"""Benchmark of fairldp.ldp against multi-freq-ldpy and pure-ldp (not a timed test).

    bash benchmarks/setup_peers.sh          # once: peers in benchmarks/.venv-peers
    python benchmarks/bench_ldp.py [--quick] [--only N,K] [--noise-model]

All implementations get the same inputs (codes drawn once, eps = 1). fairldp times are the
median of repeated runs of perturb + estimate on all n users. The peers privatize one user per
Python call, so they are timed on the first m users (m = min(n, M)) and the time is
extrapolated linearly to n (both their client loop and their aggregation are linear in n);
this is stated in the output. Writes benchmarks/out/ldp.md and prints it (``--only N,K``:
re-measure one ``(n, k)`` cell and print it without writing the file or the memory table).

Also measured: SHE with float32 reports (``perturb(..., dtype=np.float32)``) against float64
and the peer (wall time, as the main table; target 30x faster than multi-freq-ldpy at n = 1e6,
k = 10), and the exact noise model (``NoiseModel``) of BLH/OLH at k = 74 (Adult's age
domain), eps in {0.5, 1, 2, 4, 8}, computed from cold caches, in CPU time
(``time.process_time``), target < 1 s (``--noise-model``: that table only).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fairldp.fair import noise
from fairldp.ldp import get_protocol
from fairldp.ldp.reports import chunk_rows

HERE = Path(__file__).resolve().parent
PEER_PY = HERE / ".venv-peers" / "bin" / "python"
PROTOCOLS = ("grr", "sue", "oue", "blh", "olh", "ss", "the", "she", "adp")
PEERS = ("multi-freq-ldpy", "pure-ldp")
EPS = 1.0


def median_time(
    fn: Callable[[], object], reps: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Median of ``reps`` timings of ``fn`` by ``clock`` (wall by default)."""
    ts = []
    for _ in range(reps):
        t = clock()
        fn()
        ts.append(clock() - t)
    return statistics.median(ts)


def median_cpu(fn: Callable[[], object], reps: int) -> float:
    """Median CPU time (``time.process_time``: all threads of this process) of ``fn``."""
    return median_time(fn, reps, time.process_time)


def noise_model_lines(reps: int) -> list[str]:
    """CPU time of the exact BLH/OLH noise model at k = 74 (Adult's age), from cold caches:
    ``tie_break="random"`` (the pipeline's decoding) at every eps; ``"smallest"`` (hash-pattern
    enumeration, work ~ g k^4) where g <= 8 only (eps = 4 takes seconds, eps = 8 is refused)."""
    k = 74
    lines = [
        "",
        f"## Exact noise model of local hashing at k = {k} (CPU time, cold caches, target < 1 s)",
        "",
        "| protocol | eps | g | tie_break | CPU | max row-sum error |",
        "|---|---|---|---|---|---|",
    ]
    cases = [("blh", 1.0), ("blh", 4.0), *(("olh", e) for e in (0.5, 1.0, 2.0, 4.0, 8.0))]
    for name, eps in cases:
        pr = get_protocol(name, eps, k)
        for tie_break in ("random", "smallest") if pr.g <= 8 else ("random",):

            def build(pr=pr, tie_break=tie_break) -> noise.NoiseModel:
                noise._lh_floor_patterns.cache_clear()
                noise._lh_intervals.cache_clear()
                noise._lh_random_b.cache_clear()
                return noise.NoiseModel(pr, tie_break=tie_break, max_condition=float("inf"))

            cpu = median_cpu(build, reps)
            err = float(abs(build().T.sum(axis=1) - 1).max())
            lines.append(f"| {name} | {eps} | {pr.g} | {tie_break} | {fmt_t(cpu)} | {err:.1e} |")
    return lines


def she_dtype_lines(x_all: np.ndarray, n: int, k: int, reps: int, peers: dict) -> list[str]:
    """SHE perturb + estimate with float64 and float32 reports, and against the peer."""
    x = x_all[:n] % k
    pr = get_protocol("she", EPS, k)
    lines = [
        "",
        f"## SHE reports: float64 vs float32 (n = {n:.0e}, k = {k}, wall time, median of {reps})",
        "",
        "| dtype | perturb | estimate | total | vs float64 | multi-freq-ldpy (extrap.) "
        "| x faster |",
        "|---|---|---|---|---|---|---|",
    ]
    r = peers.get(("multi-freq-ldpy", "she", k))
    peer = None
    if r is not None and r["perturb"] is not None:
        peer = (r["perturb"] + r["estimate"]) * n / r["m"]
    totals = {}
    for dt in (np.float64, np.float32):
        rep = pr.perturb(x, np.random.default_rng(1), dtype=dt)
        tp = median_time(lambda dt=dt: pr.perturb(x, np.random.default_rng(1), dtype=dt), reps)
        te = median_time(lambda rep=rep: pr.estimate(rep), reps)
        del rep
        totals[dt] = tp + te
        speed = totals[np.float64] / totals[dt]
        vs_peer = "n/a" if peer is None else f"{peer / totals[dt]:,.1f}x"
        lines.append(
            f"| {np.dtype(dt).name} | {fmt_t(tp)} | {fmt_t(te)} | {fmt_t(tp + te)} | "
            f"{speed:.2f}x | {fmt_t(peer)} | {vs_peer} |"
        )
    if peer is None:
        lines.append(
            "\nPeer not measured (benchmarks/.venv-peers missing): only the float32 / float64 "
            "speed ratio of fairldp itself is reported."
        )
    return lines


def run_peers(x: np.ndarray, tasks: list[dict]) -> dict[tuple, dict]:
    if not PEER_PY.exists():
        print(f"peers not installed ({PEER_PY}); run benchmarks/setup_peers.sh", file=sys.stderr)
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.npy"
        np.save(path, x)
        proc = subprocess.run(
            [str(PEER_PY), str(HERE / "peer_worker.py")],
            input=json.dumps({"x": str(path), "tasks": tasks}),
            capture_output=True,
            text=True,
            check=True,
        )
    out = {}
    for line in proc.stdout.splitlines():
        r = json.loads(line)
        out[(r["lib"], r["protocol"], r["k"])] = r
    return out


def fmt_t(s: float | None) -> str:
    if s is None:
        return "n/a"
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats, smaller peer subsample")
    ap.add_argument(
        "--only",
        metavar="N,K",
        help="only this n and k (e.g. 1e6,10); prints the table, does not write ldp.md",
    )
    ap.add_argument(
        "--noise-model",
        action="store_true",
        help="only the CPU time of the BLH/OLH noise model at k = 74 (prints it, writes nothing)",
    )
    args = ap.parse_args()
    if args.noise_model:
        print("\n".join(noise_model_lines(1 if args.quick else 3)))
        return
    ns: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    ks: tuple[int, ...] = (2, 10, 100)
    if args.only:
        n_only, k_only = (int(float(v)) for v in args.only.split(","))
        ns, ks = (n_only,), (k_only,)
    m_peer = 2_000 if args.quick else 10_000
    reps = dict.fromkeys(ns, 1) if args.quick else {n: 5 if n <= 100_000 else 3 for n in ns}
    # codes mod k per k; at least 1e6 of them for the baselines below
    x_all = np.random.default_rng(20240601).integers(0, 100, max(*ns, 1_000_000))

    lines = [
        "# fairldp.ldp benchmark",
        "",
        f"- machine: {platform.machine()}, {platform.python_version()}, numpy {np.__version__}, "
        f"{'--quick' if args.quick else 'full'} run{f', --only {args.only}' if args.only else ''}, "
        f"eps = {EPS}",
        f"- fairldp: median of {sorted(set(reps.values()))} runs of perturb + estimate "
        "(unbiased) on all n users.",
        f"- peers: one user per Python call; timed ONCE on the first m = min(n, {m_peer}) users "
        "of the same inputs (after a 2-user warm-up) and EXTRAPOLATED linearly to n "
        "(x n/m). `n/a`: the peer has no such protocol.",
        "",
    ]

    # ---- peers: one measurement per (lib, protocol, k) on m users ------------------------
    m = min(m_peer, max(ns))
    tasks = [
        {"lib": lib, "protocol": p, "k": k, "eps": EPS, "m": m}
        for lib in PEERS
        for k in ks
        for p in PROTOCOLS
    ]
    t0 = time.perf_counter()
    peers = run_peers(x_all, tasks)
    peer_wall = time.perf_counter() - t0

    # ---- fairldp -------------------------------------------------------------------------
    header = (
        "| n | k | protocol | perturb | estimate | total | multi-freq-ldpy (extrap.) | "
        "x faster | pure-ldp (extrap.) | x faster |"
    )
    lines += [header, "|" + "---|" * 10]
    base = {}
    for n in ns:
        for k in ks:
            x = x_all[:n] % k
            for p in PROTOCOLS:
                pr = get_protocol(p, EPS, k)
                rng = np.random.default_rng(1)
                rep = pr.perturb(x, rng)
                tp = median_time(
                    lambda pr=pr, x=x: pr.perturb(x, np.random.default_rng(1)), reps[n]
                )
                te = median_time(lambda pr=pr, rep=rep: pr.estimate(rep), reps[n])
                total = tp + te
                cells = []
                for lib in PEERS:
                    r = peers.get((lib, p, k))
                    if r is None or r["perturb"] is None:
                        cells += ["n/a", "n/a"]
                        continue
                    pt = (r["perturb"] + r["estimate"]) * n / r["m"]
                    cells += [fmt_t(pt), f"{pt / total:,.0f}x"]
                    base[(lib, n, k, p)] = pt / total
                lines.append(
                    f"| {n:.0e} | {k} | {p} | {fmt_t(tp)} | {fmt_t(te)} | {fmt_t(total)} | "
                    + " | ".join(cells)
                    + " |"
                )
                base[("t", n, k, p)] = (tp, te)
            print(f"done n={n} k={k}", file=sys.stderr)

    # ---- raw random-number baselines -----------------------------------------------------
    n = 1_000_000
    lines += ["", "## Against drawing the random numbers (n = 1e6)", ""]
    lines += [
        "| protocol | k | perturb | baseline | ratio | baseline drawn as |",
        "|---|---|---|---|---|---|",
    ]
    r3 = 7 if not args.quick else 3
    for k in ks:
        x = x_all[:n] % k
        g = get_protocol("grr", EPS, k)
        tg = median_time(lambda g=g, x=x: g.perturb(x, np.random.default_rng(1)), r3)
        td = median_time(lambda: np.random.default_rng(1).random(n), r3)
        lines.append(f"| grr | {k} | {fmt_t(tg)} | {fmt_t(td)} | {tg / td:.2f}x | n uniforms |")
    for k in ks:
        x = x_all[:n] % k
        u = get_protocol("oue", EPS, k)
        step = chunk_rows(n, k, u.chunk_elements)

        def draw_blocks(k: int = k, step: int = step) -> None:
            rng = np.random.default_rng(1)
            for s in range(0, n, step):
                rng.random((min(step, n - s), k))

        tu = median_time(lambda u=u, x=x: u.perturb(x, np.random.default_rng(1)), r3)
        tb = median_time(draw_blocks, r3)
        ta = median_time(lambda k=k: np.random.default_rng(1).random(n * k), 1 if k == 100 else r3)
        lines.append(
            f"| oue | {k} | {fmt_t(tu)} | {fmt_t(tb)} | {tu / tb:.2f}x | n*k uniforms, same "
            f"row blocks ({step} rows) |"
        )
        lines.append(
            f"| oue | {k} | {fmt_t(tu)} | {fmt_t(ta)} | {tu / ta:.2f}x | n*k uniforms at once |"
        )

    # ---- SHE float32 reports, and the LH noise model --------------------------------------
    k_she = 10 if 10 in ks else ks[0]
    lines += she_dtype_lines(x_all, max(ns), k_she, 5 if not args.quick else 2, peers)
    lines += noise_model_lines(3 if not args.quick else 1)

    if args.only:
        print("\n".join(lines))
        return

    # ---- memory: UE at n = 1e6, k = 100 ---------------------------------------------------
    k = 100
    x = x_all[:n] % k
    u = get_protocol("oue", EPS, k)
    tracemalloc.start()
    u.simulate(x, np.random.default_rng(0))
    _, peak_sim = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    rep = u.perturb(x, np.random.default_rng(0))
    _, peak_pert = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    u.estimate(rep)
    _, peak_est = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    lines += [
        "",
        "## Memory, OUE at n = 1e6, k = 100 (tracemalloc peak, includes the 8 MB input codes)",
        "",
        "| what | peak |",
        "|---|---|",
        f"| estimation-only path (`simulate`: Binomial counts) | {peak_sim / 1e6:.1f} MB |",
        f"| perturb (bit-packed reports) | {peak_pert / 1e6:.1f} MB |",
        f"| estimate from packed reports | {peak_est / 1e6:.1f} MB |",
        f"| stored reports (`BitReports.nbytes`) | {rep.nbytes / 1e6:.1f} MB "
        f"(n*k/8 = {n * k / 8e6:.1f} MB) |",
        "",
        f"Peer timing wall time: {peer_wall:.0f} s.",
    ]
    # ---- targets ------------------------------------------------------------------------
    worst = (
        min(
            (base[("multi-freq-ldpy", 1_000_000, 10, p)], p)
            for p in PROTOCOLS
            if ("multi-freq-ldpy", 1_000_000, 10, p) in base
        )
        if peers
        else None
    )
    if worst:
        lines.append(
            f"Slowest speed-up vs multi-freq-ldpy at n=1e6, k=10: {worst[0]:,.0f}x ({worst[1]})."
        )
    text = "\n".join(lines) + "\n"
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "ldp.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
