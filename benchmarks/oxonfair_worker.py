"""Runs OxonFair; runs INSIDE benchmarks/.venv-oxonfair (started by bench_oxonfair.py).

Reads one JSON task list on stdin: ``[{"npz": input path, "out": output path, "seed": int,
"floor": float, "val_fraction": float, "reps": int}]``. Each input .npz holds ``X_train,
y_train, a_train, X_test, a_test`` (standardized features, labels in {0, 1}, group codes). It
writes an .npz with the test (and training-row, ``*_train_pred``) predictions and the fit CPU
times (fastest of ``reps`` fits, ``time.process_time``, one BLAS/OpenMP thread) of:

- ``lr``: ``LogisticRegression(max_iter=1000)`` on all training rows (its positive-class
  probability ``lr_proba`` lets the caller check that both sides fit the same base model);
- ``ox_train``: that model post-processed by ``FairPredictor`` on the training rows
  (``fit(gm.accuracy, gm.recall.min, floor)``: maximize accuracy subject to every group's
  recall >= floor; the README's "minimum recall" levelling-up constraint, fast pathway);
- ``ox_val``: the base model fitted on ``1 - val_fraction`` of the training rows and
  ``FairPredictor`` on the held-out rest (OxonFair's recommended practice), stratified by
  ``(y, a)``.

The CPU time of an OxonFair variant includes its base-model fit, as fairldp's ``fit`` does.
Prints one JSON line per task (the CPU times and the version numbers).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

import numpy as np

# imported before threadpool_limits(1) is entered in main(): a BLAS library loaded inside the
# block (scipy's OpenBLAS, through sklearn) would escape the limit and spin a second thread
from oxonfair import FairPredictor
from oxonfair import group_metrics as gm
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits


def fit_lr(X: np.ndarray, y: np.ndarray, seed: int) -> Any:
    """The shared base model."""
    return LogisticRegression(max_iter=1000, random_state=seed).fit(X, y)


def oxonfair_fit(
    X: np.ndarray, y: np.ndarray, a: np.ndarray, seed: int, floor: float, val_fraction: float
) -> tuple[Any, float, float]:
    """Base model plus FairPredictor; returns it, the total and the post-processing CPU s."""
    t0 = time.process_time()
    if val_fraction > 0:
        idx_fit, idx_val = train_test_split(
            np.arange(y.size), test_size=val_fraction, random_state=seed, stratify=2 * a + y
        )
    else:
        idx_fit = idx_val = np.arange(y.size)
    lr = fit_lr(X[idx_fit], y[idx_fit], seed)
    t1 = time.process_time()
    # groups inside the dict (not the ``groups=`` argument): an array passed as ``groups=`` is
    # stored and reused by predict_proba for ANY data, so test rows would get training groups
    fp = FairPredictor(lr, {"data": X[idx_val], "target": y[idx_val], "groups": a[idx_val]})
    fp.fit(gm.accuracy, gm.recall.min, floor)
    t2 = time.process_time()
    return fp, t2 - t0, t2 - t1


def run(task: dict[str, Any]) -> dict[str, Any]:
    """One task: fit the three models, write the output .npz, return the CPU times."""
    d = np.load(task["npz"])
    X, y, a = d["X_train"], d["y_train"].astype(np.int64), d["a_train"].astype(np.int64)
    Xt, at = d["X_test"], d["a_test"].astype(np.int64)
    seed, floor = int(task["seed"]), float(task["floor"])
    out: dict[str, Any] = {}
    cpu: dict[str, float] = {}
    reps = int(task.get("reps", 1))
    times = []
    for _ in range(reps):
        t = time.process_time()
        lr = fit_lr(X, y, seed)
        times.append(time.process_time() - t)
    cpu["lr"] = float(np.min(times))
    out["lr_pred"] = lr.predict(Xt)
    out["lr_proba"] = lr.predict_proba(Xt)[:, 1]
    out["lr_train_pred"] = lr.predict(X)
    for name, frac in (("ox_train", 0.0), ("ox_val", float(task["val_fraction"]))):
        fits = [oxonfair_fit(X, y, a, seed, floor, frac) for _ in range(reps)]
        fp = fits[-1][0]
        cpu[name] = float(np.min([f[1] for f in fits]))
        cpu[name + "_post"] = float(np.min([f[2] for f in fits]))
        for part, (data, groups) in (("", (Xt, at)), ("_train", (X, a))):
            rows = {"data": data, "target": np.zeros(groups.size, np.int64), "groups": groups}
            out[name + part + "_pred"] = np.asarray(fp.predict(rows)).astype(np.int64)
    np.savez(task["out"], **out)
    return {"npz": task["npz"], "cpu": cpu}


def main() -> None:
    """Run the tasks read on stdin; one JSON line per task, then the versions."""
    from importlib.metadata import version

    logging.getLogger("oxonfair").setLevel(logging.ERROR)
    tasks = json.load(sys.stdin)
    with threadpool_limits(1):
        if tasks:  # warm-up (lazy imports, first-call caches), not timed
            d = np.load(tasks[0]["npz"])
            y = d["y_train"].astype(np.int64)
            oxonfair_fit(d["X_train"], y, d["a_train"].astype(np.int64), 0, 0.8, 0.0)
        for task in tasks:
            print(json.dumps(run(task)), flush=True)
    names = ("oxonfair", "scikit-learn", "numpy", "pandas")
    print(json.dumps({"versions": {n: version(n) for n in names}}), flush=True)


if __name__ == "__main__":
    main()
