"""Pipeline stages of the fair-learning study: learn fair classifiers from a privatized attribute.

Three stages, one function each (the Snakemake scripts only call these):

1. :func:`perturb_attribute`, the privacy boundary of this study: one sensitive attribute ``A``
   of every row (training AND test rows: at prediction time users also release only their
   report) is privatized with the whole budget epsilon and decoded to a group label ``Z``
   (:func:`fairldp.fair.noise.decode`, uniform prior). The output holds ``Z``, the label and the
   non-sensitive features; no raw sensitive attribute.
2. :func:`train_methods`: every configured method of :data:`fairldp.fair.methods.METHODS`,
   trained on ``Z`` only, with the protocol's exact noise model for the corrected ones.
3. :func:`evaluate_methods` (evaluation side, reads the TRUE attribute of the test rows): each
   fairness metric on the true ``A`` (what matters) and on ``Z`` (what a naive auditor sees).

Table schemas (Parquet, written atomically):

- ``fair/perturbed/{cell}.parquet``: ``part`` ('train'/'test'), ``seed``, ``row_id``, ``y``
  (int8), ``z`` (int16, decoded group code), then the non-sensitive features as prepared;
- ``fair/predictions/{cell}.parquet``: ``seed``, ``method``, ``row_id``, ``z``, ``y_score``,
  ``y_pred``;
- ``fair/metrics.parquet``: ``study``, ``dataset``, ``attribute``, ``protocol``, ``epsilon``,
  ``seed``, ``method``, ``audit`` ('true' / 'privatized' for fairness metrics, 'none' for
  utility), ``metric``, ``value``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fairldp.datasets import get_dataset
from fairldp.datasets.raw import check_categories
from fairldp.io import read_parquet, write_parquet
from fairldp.rng import derive_int_seed, make_rng
from fairldp.runlog import log, timed

if TYPE_CHECKING:
    from fairldp.fair.noise import NoiseModel

__all__ = [
    "FAIR_METRICS_COLUMNS",
    "evaluate_methods",
    "noise_model_of",
    "perturb_attribute",
    "plot_methods",
    "train_methods",
]

FAIR_METRICS_COLUMNS = [
    "study",
    "dataset",
    "attribute",
    "protocol",
    "epsilon",
    "seed",
    "method",
    "audit",
    "metric",
    "value",
]
#: epsilon of the GRR channel standing for "no noise" (protocol 'none'): T = I to machine
#: precision (the off-diagonal e^-700 underflows), so every method runs unchanged.
_NO_NOISE_EPSILON = 700.0


#: ties between equally likely groups are broken uniformly at random: with the deterministic
#: smallest-index rule, subset selection cannot decode to some groups (T singular), and UE/LH
#: get a worse-conditioned T
TIE_BREAK = "random"


def noise_model_of(protocol: str, epsilon: float, k: int) -> NoiseModel:
    """The exact noise model of ``protocol`` at ``epsilon`` on ``k`` groups (uniform prior,
    random tie-breaking); for ``none`` the identity channel."""
    from fairldp.fair.noise import NoiseModel
    from fairldp.ldp import get_protocol

    if protocol == "none":
        return NoiseModel(get_protocol("grr", _NO_NOISE_EPSILON, k))
    return NoiseModel(get_protocol(protocol, epsilon, k), tie_break=TIE_BREAK)


def perturb_attribute(
    dataset: str,
    train_split: str | Path,
    test_split: str | Path,
    out: str | Path,
    protocol: str,
    epsilon: float,
    seeds: Sequence[int],
    attribute: str | None = None,
) -> None:
    """Privatize ``attribute`` (default: the protected one) of every row and decode it to ``Z``.

    Row i of part p and seed s draws its report from ``make_rng(s, "fair-perturb", dataset,
    protocol, epsilon, attribute, p)``; ``protocol='none'`` keeps ``Z = A`` (the non-private
    reference). The other sensitive attributes are dropped.
    """
    from fairldp.ldp import get_protocol

    with timed("perturb_attribute"):
        spec = get_dataset(dataset)
        attribute = attribute or spec.protected
        attr = spec.attribute(attribute)
        if attribute not in spec.sensitive_names:
            raise ValueError(f"{attribute!r} is not a sensitive attribute of {dataset}")
        features = spec.feature_names
        if protocol != "none":
            proto = get_protocol(protocol, epsilon, attr.k)
            noise = noise_model_of(protocol, epsilon, attr.k)
        frames = []
        for part, path in (("train", train_split), ("test", test_split)):
            df = check_categories(read_parquet(path), spec, source=str(path))
            for seed in seeds:
                rows = df[df["seed"] == seed]
                if rows.empty:
                    raise ValueError(f"{path}: no {part} rows for seed {seed}")
                if rows[attribute].isna().any():
                    raise ValueError(f"{path}: {attribute} has missing values (seed {seed})")
                codes = rows[attribute].cat.codes.to_numpy(np.int64)
                if protocol == "none":
                    z = codes
                else:
                    rng = make_rng(
                        int(seed), "fair-perturb", dataset, protocol, epsilon, attribute, part
                    )
                    reports = proto.perturb(codes, rng)
                    z = noise.decode(reports, rng=rng)
                head = pd.DataFrame(
                    {
                        "part": part,
                        "seed": np.int32(seed),
                        "row_id": rows["row_id"].to_numpy(np.int32),
                        "y": rows[spec.target].to_numpy(np.int8),
                        "z": z.astype(np.int16),
                    }
                )
                frames.append(pd.concat([head, rows[features].reset_index(drop=True)], axis=1))
        table = pd.concat(frames, ignore_index=True)
        meta = {
            "dataset": dataset,
            "attribute": attribute,
            "domain": [str(v) for v in attr.domain],
            "protocol": protocol,
            "epsilon": epsilon,
            "seeds": [int(s) for s in seeds],
            "decoding": f"posterior mode under the uniform prior, ties broken: {TIE_BREAK}",
        }
        write_parquet(table, out, meta=meta)
        log.info(
            "privatized %s.%s with %s at eps=%s for %d seeds (%d rows)",
            dataset, attribute, protocol, epsilon, len(seeds), len(table),
        )  # fmt: skip


def train_methods(
    dataset: str,
    perturbed: str | Path,
    out: str | Path,
    methods: Sequence[str],
    model: str = "logistic_regression",
    params: dict[str, dict[str, object]] | None = None,
) -> None:
    """Fit every method on the privatized training rows of each seed; score the test rows.

    Reads only the output of :func:`perturb_attribute` (no raw sensitive attribute: checked).
    ``params``: extra constructor arguments per method (e.g. ``tolerance``). Each (seed,
    method) gets ``random_state = derive_int_seed(seed, "fair-train", method)``.
    """
    from fairldp.fair.methods import make_method
    from fairldp.privacy import require_no_raw_sensitive
    from fairldp.represent import IdentityRepresentation

    with timed("train_methods"):
        spec = get_dataset(dataset)
        table = read_parquet(perturbed)
        meta = table.attrs["fairldp"]
        require_no_raw_sensitive(table, spec.sensitive_names, str(perturbed))
        table = check_categories(table, spec, source=str(perturbed), only=spec.categorical)
        k = len(meta["domain"])
        noise = noise_model_of(meta["protocol"], float(meta["epsilon"]), k)
        frames = []
        for seed, rows in table.groupby("seed", sort=True):
            tr, te = rows[rows["part"] == "train"], rows[rows["part"] == "test"]
            rep = IdentityRepresentation(
                categorical=[a.name for a in spec.categorical], numeric=list(spec.numeric)
            ).fit(tr)
            x_tr, x_te = rep.transform(tr).to_numpy(float), rep.transform(te).to_numpy(float)
            y_tr = tr["y"].to_numpy(np.int64)
            z_tr, z_te = tr["z"].to_numpy(np.int64), te["z"].to_numpy(np.int64)
            for name in methods:
                est = make_method(
                    name, noise, model, derive_int_seed(int(seed), "fair-train", name),
                    **(params or {}).get(name, {}),
                )  # fmt: skip
                est.fit(x_tr, y_tr, z_tr)
                frames.append(
                    pd.DataFrame(
                        {
                            "seed": np.int32(seed),
                            "method": name,
                            "row_id": te["row_id"].to_numpy(np.int32),
                            "z": z_te.astype(np.int16),
                            "y_score": est.predict_proba(x_te, z_te)[:, 1].astype(np.float64),
                            "y_pred": np.asarray(est.predict(x_te, z_te), dtype=np.int8),
                        }
                    )
                )
            log.info("seed %s: fitted %s", seed, list(methods))
        write_parquet(
            pd.concat(frames, ignore_index=True), out, meta={**meta, "methods": list(methods)}
        )


def evaluate_methods(
    predictions: Sequence[str | Path],
    test_splits: Sequence[str | Path],
    out: str | Path,
    study: str,
) -> None:
    """Utility, and fairness on the TRUE attribute and on the privatized ``Z``, per (cell,
    seed, method). Evaluation side: the only reader of the true attribute of test rows."""
    from fairldp.metrics import fairness_metrics, utility_metrics

    with timed("evaluate_methods"):
        tests: dict[str, pd.DataFrame] = {}
        for path in test_splits:
            df = read_parquet(path)
            tests[df.attrs["fairldp"]["dataset"]] = df
        rows = []
        for path in predictions:
            pred = read_parquet(path)
            meta = pred.attrs["fairldp"]
            dataset, attribute = meta["dataset"], meta["attribute"]
            if dataset not in tests:
                raise ValueError(f"{path}: no test split of {dataset} among the inputs")
            truth = tests[dataset][["seed", "row_id", attribute, get_dataset(dataset).target]]
            merged = pred.merge(truth, on=["seed", "row_id"], how="left", validate="many_to_one")
            if merged[attribute].isna().any():
                raise ValueError(f"{path}: predictions for rows missing from the test split")
            key = {
                "study": study,
                "dataset": dataset,
                "attribute": attribute,
                "protocol": meta["protocol"],
                "epsilon": float(meta["epsilon"]) if meta["protocol"] != "none" else np.inf,
            }
            for (seed, method), g in merged.groupby(["seed", "method"], sort=True):
                y = g[get_dataset(dataset).target].to_numpy()
                yhat, score = g["y_pred"].to_numpy(), g["y_score"].to_numpy()
                base = {**key, "seed": int(seed), "method": method}
                views = {
                    "none": utility_metrics(y, yhat, score),
                    "true": fairness_metrics(y, yhat, g[attribute].astype(str).to_numpy()),
                    "privatized": fairness_metrics(y, yhat, g["z"].to_numpy()),
                }
                for audit, values in views.items():
                    rows += [
                        {**base, "audit": audit, "metric": m, "value": float(v)}
                        for m, v in values.items()
                    ]
        table = pd.DataFrame(rows, columns=FAIR_METRICS_COLUMNS)
        write_parquet(table, out, meta={"study": study})
        log.info("evaluated %d prediction files: %d metric rows", len(predictions), len(table))


METHOD_LABELS = {
    "plain": "plain (Z as a feature)",
    "unaware": "unaware",
    "threshold_eo": "naive post-processing (Z as A)",
    "postproc_naive_eo": "naive two-step (Z as A)",
    "corrected_postproc_eo": "corrected two-step (Mozannar et al.)",
    "expgrad_eo": "naive exp. gradient (Z as A)",
    "corrected_expgrad_eo": "corrected exp. gradient (Lamy et al.)",
    "reweigh": "naive reweighing",
    "corrected_reweigh": "corrected reweighing",
}


def plot_methods(
    metrics: pd.DataFrame,
    dataset: str,
    outputs: Sequence[str | Path],
    fairness_metric: str = "equalized_odds_difference",
    utility_metric: str = "accuracy",
) -> None:
    """Fairness on the true attribute (solid) and as a naive auditor sees it on Z (dotted),
    and utility, versus epsilon: one colour per method, mean and 95% band over seeds; the
    non-private run of each method as a horizontal line at the right (x = inf)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fairldp.plotting import METRIC_LABELS, summarize

    df = metrics[metrics["dataset"] == dataset]
    if df.empty:
        raise ValueError(f"no fair-learning metrics for dataset {dataset!r}")
    methods = list(dict.fromkeys(df["method"]))
    palette = plt.style.library["seaborn-v0_8-colorblind"]["axes.prop_cycle"].by_key()["color"]
    colors = {m: palette[i % len(palette)] for i, m in enumerate(methods)}
    panels = [
        (fairness_metric, "true", f"{METRIC_LABELS.get(fairness_metric, fairness_metric)}"),
        (utility_metric, "none", METRIC_LABELS.get(utility_metric, utility_metric)),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    for ax, (metric, audit, label) in zip(axes, panels, strict=True):
        sel = df[df["metric"] == metric]
        audits = [audit, "privatized"] if audit == "true" else [audit]
        for view in audits:
            s = summarize(sel[sel["audit"] == view], ["method", "protocol", "epsilon"])
            for m in methods:
                private = s[(s["method"] == m) & (s["protocol"] != "none")]
                for _, p in private.groupby("protocol"):
                    ls = "-" if view != "privatized" else ":"
                    lab = METHOD_LABELS.get(m, m) if view != "privatized" else None
                    ax.plot(p["epsilon"], p["mean"], ls=ls, marker="o", ms=3, color=colors[m],
                            label=lab)  # fmt: skip
                    if view != "privatized":
                        ax.fill_between(p["epsilon"], p["lo"], p["hi"], color=colors[m],
                                        alpha=0.2, lw=0)  # fmt: skip
                base = s[(s["method"] == m) & (s["protocol"] == "none")]
                if not base.empty and view != "privatized":
                    ax.axhline(base["mean"].iloc[0], color=colors[m], ls="--", lw=0.8)
        ax.set_xscale("log")
        eps = np.sort(df.loc[df["protocol"] != "none", "epsilon"].unique())
        if eps.size:
            ax.set_xticks(eps, [f"{e:g}" for e in eps])
        ax.minorticks_off()
        ax.grid(alpha=0.3)
        ax.set_xlabel("epsilon (privacy budget of the attribute)")
        ax.set_ylabel(label + (" on the true A" if audit == "true" else ""))
    attribute = df["attribute"].iloc[0]
    protocols = ", ".join(sorted(p.upper() for p in df["protocol"].unique() if p != "none"))
    axes[0].plot([], [], ls=":", color="grey", label="as measured on Z (naive audit)")
    axes[0].plot([], [], ls="--", color="grey", label="non-private (Z = A)")
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle(f"{dataset}: fair learning from a privatized {attribute} ({protocols}); "
                 "mean and 95% band over seeds", fontsize=10)  # fmt: skip
    for path in outputs:
        fig.savefig(path, dpi=150)
    plt.close(fig)
