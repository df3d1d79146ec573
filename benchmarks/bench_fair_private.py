"""Paired comparison of EO post-processing with a privatized group on Adult (issue 16).

    python benchmarks/bench_fair_private.py [--seeds 20] [--epsilons 0.01,0.1,0.5,1,2,4,10,100,inf]
        [--methods threshold_eo,corrected_postproc_eo,corrected_threshold_eo[:n_bins=100/...]]
        [--model logistic_regression] [--jobs 2] [--out results.csv]

Full grid (20 seeds x 9 epsilons x 3 methods): about 4 minutes with 2 jobs on 2 cores;
``--seeds 5`` for a quick look.

The setting of the study's ``fair_learning`` run (``config/studies/default.yaml``): Adult,
group attribute ``sex``; privatizer ``grr_group`` (GRR with the whole budget on ``sex``, for
the training AND the test rows, :func:`fairldp.privacy.release` with the pipeline's random
streams); ``eps = inf`` is the ``group_clear`` privatizer (the true group, identity channel).
Per seed: the 80/20 split of the pipeline (:func:`fairldp.datasets.stratified_split`, strata
target x sex), the identity encoding of the released table without the group's report block
(one-hot categorical features + numeric; the other sensitive attributes are not released),
the logistic-regression base model (``--model``), each method built as
:func:`fairldp.stages.learn.fit_predict` builds it
(``random_state = derive_int_seed(seed, "model", "adult", model, method)``) and its
randomized ``predict`` scored against the TRUE group of the test rows: fairlearn's
``equalized_odds_difference`` and the accuracy.

Printed per epsilon: mean +- SE over seeds of EO and accuracy per method, and the paired
differences of every other method against the first one (``threshold_eo``, naive) with their
SE (``<= 0`` or within 2 SE: "not worse"). ``--out``: one row per (seed, epsilon, method).

Speed: the base model does not depend on the group, so a fit on the same rows is the same
for every epsilon; :class:`MemoModel` memoizes the base-model fits of a seed on a digest of
``(X, y, random_state)`` (the study's models are deterministic: logistic regression with
lbfgs, LightGBM with ``deterministic=True`` and one thread; the results are those of
refitting, the times are not fit times). Seeds run in ``--jobs`` processes with one BLAS
thread each.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATASET, GROUP, MODEL = "adult", "sex", "logistic_regression"
EPSILONS = "0.01,0.1,0.5,1,2,4,10,100,inf"
METHODS = "threshold_eo,corrected_postproc_eo,corrected_threshold_eo"
TEST_SIZE = 0.2


class MemoModel(ClassifierMixin, BaseEstimator):
    """A :data:`fairldp.models.MODELS` model whose fits are memoized per process on a digest
    of ``(X, y, random_state)``: methods refit the same base model on the same rows at every
    epsilon (the base model never sees the group)."""

    _cache: dict[str, Any] = {}  # noqa: RUF012 - process-wide on purpose

    def __init__(self, name: str = MODEL, random_state: int = 0) -> None:
        self.name = name
        self.random_state = random_state

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MemoModel:
        from fairldp.models import make_model

        if sample_weight is not None:
            raise TypeError("MemoModel does not take sample weights")
        x, yy = np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(y)
        h = hashlib.blake2b(digest_size=16)
        for part in (x.tobytes(), np.asarray(x.shape).tobytes(), yy.tobytes(),
                     str((self.name, self.random_state)).encode()):  # fmt: skip
            h.update(part)
        key = h.hexdigest()
        if key not in self._cache:
            self._cache[key] = make_model(self.name, self.random_state).fit(x, yy)
        self.model_ = self._cache[key]
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X: Any) -> Any:
        return self.model_.predict(X)

    def predict_proba(self, X: Any) -> Any:
        return self.model_.predict_proba(X)

    @classmethod
    def clear(cls) -> None:
        cls._cache.clear()


def load_adult() -> pd.DataFrame:
    """The prepared Adult table: ``data/prepared/adult.parquet`` if the pipeline made it, else
    parsed from the vendored raw files (``data/raw``) as the ``prepare`` stage does."""
    from fairldp.datasets import get_dataset, prepare
    from fairldp.stages.data import load_prepared

    prepared = REPO / "data" / "prepared" / f"{DATASET}.parquet"
    if prepared.exists():
        return load_prepared(prepared, DATASET)
    return prepare(get_dataset(DATASET), REPO / "data" / "raw")


def features(rows: pd.DataFrame) -> np.ndarray:
    """The identity encoding of the released table without the group's report block (what a
    fair method of the ``fair_learning`` run is fitted on)."""
    from fairldp.datasets import get_dataset
    from fairldp.representations import Layout, encode

    spec = get_dataset(DATASET)
    layout = Layout(categorical=tuple(a.name for a in spec.categorical),
                    numeric=tuple(spec.numeric), reports={GROUP: ()}, group=GROUP)  # fmt: skip
    return encode(rows, layout, drop_group=True).to_numpy(np.float64)


_DATA: dict[str, Any] = {}


def _init_worker() -> None:
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    _DATA["df"] = load_adult()


def run_seed(
    seed: int, epsilons: list[float], methods: list[str], model: str = MODEL
) -> list[dict[str, Any]]:
    """Every (epsilon, method) of one seed, with base model ``model``."""
    from fairlearn.metrics import equalized_odds_difference

    from fairldp.datasets import get_dataset, stratified_split
    from fairldp.fair.methods import make_method
    from fairldp.privacy import group_noise_model, identity_noise_model, release
    from fairldp.rng import derive_int_seed

    if "df" not in _DATA:
        _init_worker()
    df, spec = _DATA["df"], get_dataset(DATASET)
    MemoModel.clear()
    is_test = stratified_split(df[[spec.target, spec.protected]], TEST_SIZE, seed, DATASET)
    train, test = df[~is_test], df[is_test]
    x_tr, x_te = features(train), features(test)
    y_tr = train[spec.target].to_numpy().astype(np.int64)
    y_te = test[spec.target].to_numpy().astype(np.int64)
    a_te = test[GROUP].cat.codes.to_numpy()
    out = []
    for eps in epsilons:
        protocol = "grr" if math.isfinite(eps) else "none"
        rel_tr, ledger = release(train, spec, protocol, eps, "uniform", seed, [GROUP], GROUP)
        rel_te, _ = release(test, spec, protocol, eps, "uniform", seed, [GROUP], GROUP,
                            part="test")  # fmt: skip
        z_tr = rel_tr["z"].to_numpy().astype(np.int64)
        z_te = rel_te["z"].to_numpy().astype(np.int64)
        noise = group_noise_model(ledger) or identity_noise_model(spec.attribute(GROUP).k)
        for method in methods:
            name, params = parse_method(method)
            rs = derive_int_seed(seed, "model", DATASET, model, name)
            est = make_method(name, noise, MemoModel(model, rs), rs, **params)
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                est.fit(x_tr, y_tr, sensitive_features=z_tr)
            pred = est.predict(x_te, sensitive_features=z_te)
            out.append({
                "seed": seed, "epsilon": eps, "method": method,
                "eo": float(equalized_odds_difference(y_te, pred, sensitive_features=a_te)),
                "accuracy": float(np.mean(pred == y_te)),
                "seconds": time.perf_counter() - t0,
            })  # fmt: skip
    return out


def parse_method(spec: str) -> tuple[str, dict[str, Any]]:
    """``name`` or ``name:key=value/key=value`` (values parsed as YAML scalars), e.g.
    ``corrected_threshold_eo:n_bins=100/cv=null`` for an ablation."""
    import yaml

    name, _, rest = spec.partition(":")
    params = {}
    for item in filter(None, rest.split("/")):
        key, _, value = item.partition("=")
        params[key] = yaml.safe_load(value)
    return name, params


def _mean_se(v: pd.Series) -> tuple[float, float]:
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else math.nan


def summarize(rows: pd.DataFrame, methods: list[str]) -> str:
    """The per-epsilon table (markdown)."""
    ref = methods[0]
    lines = [
        f"| eps | method | EO (true group) | accuracy | d EO vs {ref} | d acc vs {ref} | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for eps, block in rows.groupby("epsilon", sort=True):
        base = block[block.method == ref].set_index("seed")
        for method in methods:
            mine = block[block.method == method].set_index("seed")
            eo, eo_se = _mean_se(mine.eo)
            acc, acc_se = _mean_se(mine.accuracy)
            cells = [f"{eps:g}", method, f"{eo:.4f} +- {eo_se:.4f}", f"{acc:.4f} +- {acc_se:.4f}"]
            if method == ref:
                cells += ["", "", ""]
            else:
                seeds = mine.index.intersection(base.index)
                d, d_se = _mean_se(mine.eo[seeds] - base.eo[seeds])
                da, da_se = _mean_se(mine.accuracy[seeds] - base.accuracy[seeds])
                verdict = "better" if d + 2 * d_se < 0 else (
                    "not worse" if d <= 2 * d_se else "WORSE")  # fmt: skip
                cells += [f"{d:+.4f} +- {d_se:.4f}", f"{da:+.4f} +- {da_se:.4f}", verdict]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _seeds(text: str) -> list[int]:
    if "," in text:
        return [int(s) for s in text.split(",") if s]
    if "-" in text:
        lo, hi = (int(s) for s in text.split("-"))
        return list(range(lo, hi + 1))
    return list(range(int(text)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seeds", default="20", help="N (seeds 0..N-1), a range A-B or a list a,b,c (default 20)"
    )
    parser.add_argument(
        "--epsilons",
        default=EPSILONS,
        help=f"comma-separated; 'inf' = true group (default {EPSILONS})",
    )
    parser.add_argument(
        "--methods",
        default=METHODS,
        help="comma-separated, the first is the reference; name:key=value/... "
        f"sets parameters (default {METHODS})",
    )
    parser.add_argument(
        "--model", default=MODEL, help=f"base model of fairldp.models.MODELS (default {MODEL})"
    )
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--out", type=Path, help="CSV of every (seed, epsilon, method)")
    args = parser.parse_args(argv)
    seeds = _seeds(args.seeds)
    epsilons = [float(e) for e in args.epsilons.split(",") if e]
    methods = [m for m in args.methods.split(",") if m]
    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    if args.jobs > 1 and len(seeds) > 1:
        with ProcessPoolExecutor(args.jobs, initializer=_init_worker) as pool:
            n = len(seeds)
            for part in pool.map(run_seed, seeds, [epsilons] * n, [methods] * n,
                                 [args.model] * n):  # fmt: skip
                rows += part
    else:
        for seed in seeds:
            rows += run_seed(seed, epsilons, methods, args.model)
    table = pd.DataFrame(rows)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out, index=False)
    print(f"Adult, group {GROUP}, GRR on the training and test rows (eps=inf: true group); "
          f"base model {args.model}; {len(seeds)} seeds; EO = equalized_odds_difference on "
          f"the TRUE group; paired differences vs {methods[0]}; "
          f"{time.perf_counter() - t0:.0f} s with {args.jobs} job(s)\n")  # fmt: skip
    print(summarize(table, methods))
    return 0


if __name__ == "__main__":
    sys.exit(main())
