"""Times the peer libraries; runs INSIDE benchmarks/.venv-peers (started by bench_ldp.py).

Reads one JSON task list on stdin: ``{"x": path to .npy codes, "tasks": [{"lib", "protocol",
"k", "eps", "m"}]}`` and prints one JSON line per task with the wall time (seconds) of the
peer's per-user client calls on the first ``m`` codes and of its aggregation/estimation.
The peers' own global NumPy RNG is seeded for repeatability.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def mfl(protocol: str, k: int, eps: float):
    from multi_freq_ldpy.pure_frequency_oracles import ADP, GRR, HE, LH, SS, UE

    table = {
        "grr": (lambda v: GRR.GRR_Client(v, k, eps), lambda r: GRR.GRR_Aggregator_MI(r, k, eps)),
        "sue": (
            lambda v: UE.UE_Client(v, k, eps, False),
            lambda r: UE.UE_Aggregator_MI(r, eps, False),
        ),
        "oue": (
            lambda v: UE.UE_Client(v, k, eps, True),
            lambda r: UE.UE_Aggregator_MI(r, eps, True),
        ),
        "blh": (
            lambda v: LH.LH_Client(v, k, eps, False),
            lambda r: LH.LH_Aggregator_MI(r, k, eps, False),
        ),
        "olh": (
            lambda v: LH.LH_Client(v, k, eps, True),
            lambda r: LH.LH_Aggregator_MI(r, k, eps, True),
        ),
        "ss": (lambda v: SS.SS_Client(v, k, eps), lambda r: SS.SS_Aggregator_MI(r, k, eps)),
        "the": (
            lambda v: HE.HE_Client(v, k, eps),
            lambda r: HE.HE_Aggregator_MI(r, k, eps, True),
        ),
        "she": (
            lambda v: HE.HE_Client(v, k, eps),
            lambda r: HE.HE_Aggregator_MI(r, k, eps, False),
        ),
        "adp": (lambda v: ADP.ADP_Client(v, k, eps), lambda r: ADP.ADP_Aggregator_MI(r, k, eps)),
    }
    return table.get(protocol)


def pure(protocol: str, k: int, eps: float):
    import pure_ldp.frequency_oracles as F

    pairs = {
        "grr": (F.DEClient(eps, k), F.DEServer(eps, k)),
        "sue": (F.UEClient(eps, k, use_oue=False), F.UEServer(eps, k, use_oue=False)),
        "oue": (F.UEClient(eps, k, use_oue=True), F.UEServer(eps, k, use_oue=True)),
        "blh": (F.LHClient(eps, k, g=2), F.LHServer(eps, k, g=2)),
        "olh": (F.LHClient(eps, k, use_olh=True), F.LHServer(eps, k, use_olh=True)),
        "she": (F.HEClient(eps, k), F.HEServer(eps, k)),
        "the": (F.HEClient(eps, k), F.HEServer(eps, k, use_the=True)),
    }
    if protocol not in pairs:
        return None
    client, server = pairs[protocol]

    def aggregate(reports):
        for r in reports:
            server.aggregate(r)
        return [server.estimate(v + 1, suppress_warnings=True) for v in range(k)]

    return (lambda v: client.privatise(v + 1)), aggregate  # pure-ldp items are 1-based


def main() -> None:
    spec = json.load(sys.stdin)
    x = np.load(spec["x"])
    for t in spec["tasks"]:
        np.random.seed(0)  # noqa: NPY002 (the peers draw from NumPy's global RNG)
        fns = (mfl if t["lib"] == "multi-freq-ldpy" else pure)(t["protocol"], t["k"], t["eps"])
        out = {**t, "perturb": None, "estimate": None}
        if fns is not None:
            client, agg = fns
            xs = [int(v) for v in x[: t["m"]] % t["k"]]
            agg([client(v) for v in xs[:2]])  # warm-up (numba JIT, imports): not timed
            fns = (mfl if t["lib"] == "multi-freq-ldpy" else pure)(t["protocol"], t["k"], t["eps"])
            client, agg = fns  # fresh server state
            t0 = time.perf_counter()
            reports = [client(v) for v in xs]
            t1 = time.perf_counter()
            agg(reports)
            t2 = time.perf_counter()
            out.update(perturb=t1 - t0, estimate=t2 - t1)
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
