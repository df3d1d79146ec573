"""Pipeline stages of the repair study: optimal-transport repair from a privatized attribute.

The study reuses the privatized attribute of the fair-learning study
(:func:`fairldp.fair.stages.perturb_attribute`: ``Z`` decoded for train and test rows, no raw
sensitive column). Three stages, one function each:

1. :func:`repair_cell`: per seed, fit a repair of the numeric features on the training rows
   with the groups estimated from ``Z`` (``naive``: Z taken as A; ``deconvolution`` or
   ``posterior``: through the protocol's exact transition matrix; the non-private cell uses the
   true groups), then transform both splits; partial repairs are the geometric interpolations
   ``(1 - lambda) x + lambda T(x)`` for every configured amount lambda;
2. :func:`train_cell`: a classifier on each repaired representation (categorical features
   one-hot, repaired numeric features; the attribute itself is not a feature);
3. :func:`evaluate_cell` (evaluation side, reads the TRUE attribute): utility, fairness on the
   true attribute, and attribute-inference leakage (:func:`fairldp.repair.attribute_leakage`)
   of the repaired numeric block and of the whole representation.

Tables: ``repair/represented/{cell}/{method}-{groups}.parquet`` (``part``, ``seed``,
``amount``, ``row_id``, ``y``, then the features), ``repair/predictions/...`` (``seed``,
``amount``, ``row_id``, ``y_score``, ``y_pred``) and ``repair/metrics/...`` (one row per seed,
amount and metric).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fairldp.datasets import get_dataset
from fairldp.datasets.raw import check_categories
from fairldp.io import read_parquet, write_parquet
from fairldp.rng import derive_int_seed
from fairldp.runlog import log, timed

__all__ = [
    "REPAIR_METHODS",
    "REPAIR_METRICS_COLUMNS",
    "evaluate_cell",
    "plot_repair",
    "repair_cell",
    "train_cell",
]

REPAIR_METHODS = ("quantile", "ot")
REPAIR_METRICS_COLUMNS = [
    "study", "dataset", "attribute", "protocol", "epsilon", "method", "groups", "seed",
    "amount", "metric", "value",
]  # fmt: skip


def _repairer(method: str, groups: str, transition: np.ndarray | None, seed: int):
    from fairldp.repair import OTRepair, QuantileRepair

    if method == "quantile":
        return QuantileRepair(amount=1.0, groups=groups, transition=transition)
    if method == "ot":
        return OTRepair(amount=1.0, groups=groups, transition=transition,
                        random_state=derive_int_seed(seed, "repair", method, groups))  # fmt: skip
    raise ValueError(f"repair method must be one of {list(REPAIR_METHODS)}, got {method!r}")


def repair_cell(
    dataset: str,
    perturbed: str | Path,
    out: str | Path,
    method: str,
    groups: str,
    amounts: Sequence[float],
    seeds: Sequence[int],
) -> None:
    """Repair the numeric features of every seed's rows toward the group barycenter."""
    from fairldp.fair.stages import noise_model_of
    from fairldp.privacy import require_no_raw_sensitive

    with timed("repair"):
        spec = get_dataset(dataset)
        table = read_parquet(perturbed)
        meta = table.attrs["fairldp"]
        require_no_raw_sensitive(table, spec.sensitive_names, str(perturbed))
        table = check_categories(table, spec, source=str(perturbed), only=spec.categorical)
        if not all(0.0 <= a <= 1.0 for a in amounts):
            raise ValueError(f"repair amounts must lie in [0, 1], got {list(amounts)}")
        numeric = list(spec.numeric)
        if not numeric:
            raise ValueError(f"{dataset} has no numeric feature to repair")
        private = meta["protocol"] != "none"
        how = groups if private else "true"  # without noise every method is the true repair
        transition = None
        if private and how != "naive":
            transition = noise_model_of(meta["protocol"], float(meta["epsilon"]),
                                        len(meta["domain"])).T  # fmt: skip
        frames = []
        for seed in seeds:
            rows = table[table["seed"] == seed]
            if rows.empty:
                raise ValueError(f"{perturbed}: no rows for seed {seed}")
            tr, te = rows[rows["part"] == "train"], rows[rows["part"] == "test"]
            rep = _repairer(method, how, transition, int(seed))
            rep.fit(tr[numeric].to_numpy(float), tr["z"].to_numpy(np.int64))
            for part in (tr, te):
                x = part[numeric].to_numpy(float)
                full = np.asarray(rep.transform(x, part["z"].to_numpy(np.int64)))
                for lam in amounts:
                    df = part[["part", "seed", "row_id", "y", *[a.name for a in spec.categorical]]]
                    df = df.assign(amount=float(lam)).reset_index(drop=True)
                    repaired = pd.DataFrame((1.0 - lam) * x + lam * full, columns=numeric)
                    frames.append(pd.concat([df, repaired], axis=1))
        out_meta = {**meta, "method": method, "groups": how, "amounts": [float(a) for a in amounts]}
        write_parquet(pd.concat(frames, ignore_index=True), out, meta=out_meta)
        log.info("repaired %s (%s, groups %s) for %d seeds", dataset, method, how, len(seeds))


def _features(spec, df: pd.DataFrame, fitted=None):
    from fairldp.represent import IdentityRepresentation

    rep = fitted or IdentityRepresentation(
        categorical=[a.name for a in spec.categorical], numeric=list(spec.numeric)
    ).fit(df)
    return rep, rep.transform(df).to_numpy(float)


def train_cell(
    dataset: str, represented: str | Path, out: str | Path, model: str = "logistic_regression"
) -> None:
    """A classifier per (seed, amount) on the repaired training rows; test rows scored."""
    from fairldp.models import make_model
    from fairldp.privacy import require_no_raw_sensitive

    with timed("train_repair"):
        spec = get_dataset(dataset)
        table = read_parquet(represented)
        require_no_raw_sensitive(table, spec.sensitive_names, str(represented))
        table = check_categories(table, spec, source=str(represented), only=spec.categorical)
        frames = []
        for (seed, lam), rows in table.groupby(["seed", "amount"], sort=True):
            tr, te = rows[rows["part"] == "train"], rows[rows["part"] == "test"]
            rep, x_tr = _features(spec, tr)
            _, x_te = _features(spec, te, rep)
            clf = make_model(model, derive_int_seed(int(seed), "train_repair", model))
            clf.fit(x_tr, tr["y"].to_numpy())
            score = clf.predict_proba(x_te)[:, 1]
            frames.append(pd.DataFrame({
                "seed": np.int32(seed), "amount": float(lam),
                "row_id": te["row_id"].to_numpy(np.int32), "y_score": score,
                "y_pred": (score >= 0.5).astype(np.int8),
            }))  # fmt: skip
        write_parquet(pd.concat(frames, ignore_index=True), out,
                      meta={**table.attrs["fairldp"], "model": model})  # fmt: skip


def evaluate_cell(
    dataset: str,
    represented: str | Path,
    predictions: str | Path,
    train_split: str | Path,
    test_split: str | Path,
    out: str | Path,
    study: str,
) -> None:
    """Utility, fairness on the TRUE attribute, and leakage of the TRUE attribute from the
    representation (attacker trained on the training rows, scored on the test rows)."""
    from fairldp.metrics import fairness_metrics, utility_metrics
    from fairldp.repair import attribute_leakage

    with timed("evaluate_repair"):
        spec = get_dataset(dataset)
        rep = read_parquet(represented)
        rep = check_categories(rep, spec, source=str(represented), only=spec.categorical)
        meta = rep.attrs["fairldp"]
        attribute = meta["attribute"]
        pred = read_parquet(predictions)
        truth = pd.concat([read_parquet(p)[["seed", "row_id", attribute]]
                           for p in (train_split, test_split)], ignore_index=True)  # fmt: skip
        truth[attribute] = truth[attribute].astype(str)
        key = {
            "study": study, "dataset": dataset, "attribute": attribute,
            "protocol": meta["protocol"],
            "epsilon": float(meta["epsilon"]) if meta["protocol"] != "none" else np.inf,
            "method": meta["method"], "groups": meta["groups"],
        }  # fmt: skip
        rep = rep.merge(truth, on=["seed", "row_id"], how="left", validate="many_to_one")
        if rep[attribute].isna().any():
            raise ValueError(f"{represented}: rows missing from the splits")
        rows = []
        for (seed, lam), r in rep.groupby(["seed", "amount"], sort=True):
            tr, te = r[r["part"] == "train"], r[r["part"] == "test"]
            p = pred[(pred["seed"] == seed) & (pred["amount"] == lam)]
            p = te[["row_id", "y", attribute]].merge(
                p, on="row_id", how="left", validate="one_to_one"
            )
            if p["y_pred"].isna().any():
                raise ValueError(f"{predictions}: no prediction for some test rows of seed {seed}")
            y, yhat = p["y"].to_numpy(), p["y_pred"].to_numpy()
            values = {
                **utility_metrics(y, yhat, p["y_score"].to_numpy()),
                **fairness_metrics(y, yhat, p[attribute].to_numpy()),
            }
            rs = derive_int_seed(int(seed), "leakage")
            num = list(spec.numeric)
            a_tr, a_te = tr[attribute].to_numpy(), te[attribute].to_numpy()
            x_tr, x_te = tr[num].to_numpy(float), te[num].to_numpy(float)
            leak = attribute_leakage(x_tr, a_tr, x_te, a_te, rs)
            values["leakage_auc_numeric"] = leak["auc"]
            values["leakage_accuracy_numeric"] = leak["accuracy"]
            fitted, x_tr = _features(spec, tr)
            _, x_te = _features(spec, te, fitted)
            leak = attribute_leakage(x_tr, a_tr, x_te, a_te, rs)
            values["leakage_auc"] = leak["auc"]
            values["leakage_accuracy"] = leak["accuracy"]
            values["leakage_baseline_accuracy"] = leak["baseline_accuracy"]
            rows += [{**key, "seed": int(seed), "amount": float(lam), "metric": m,
                      "value": float(v)} for m, v in values.items()]  # fmt: skip
        table = pd.DataFrame(rows, columns=REPAIR_METRICS_COLUMNS)
        write_parquet(table, out, meta={"study": study})
        log.info("evaluated repair %s: %d metric rows", represented, len(rows))


def plot_repair(
    metrics: pd.DataFrame,
    dataset: str,
    outputs: Sequence[str | Path],
    epsilon: float,
    fairness_metric: str = "demographic_parity_difference",
) -> None:
    """Top row: fairness on the true attribute, accuracy and leakage AUC (numeric block) versus
    the repair amount lambda at one epsilon; bottom row: the same versus epsilon for total
    repair (lambda = 1). One colour per way of estimating the groups; mean and 95% band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fairldp.plotting import METRIC_LABELS, summarize

    df = metrics[metrics["dataset"] == dataset].copy()
    if df.empty:
        raise ValueError(f"no repair metrics for dataset {dataset!r}")
    # one line per (method, groups, protocol): never pool the seeds of different protocols
    df["variant"] = (
        df["method"]
        + " / "
        + np.where(
            df["protocol"] == "none",
            "true groups",
            df["groups"] + " groups, " + df["protocol"].str.upper(),
        )
    )
    variants = sorted(df["variant"].unique())
    palette = plt.style.library["seaborn-v0_8-colorblind"]["axes.prop_cycle"].by_key()["color"]
    colors = {v: palette[i % len(palette)] for i, v in enumerate(variants)}
    panels = [(fairness_metric, METRIC_LABELS.get(fairness_metric, fairness_metric) + " (true A)"),
              ("accuracy", "Accuracy"),
              ("leakage_auc_numeric", "Leakage AUC of A (repaired features)")]  # fmt: skip
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5), layout="constrained")
    lam_max = df["amount"].max()
    for j, (metric, label) in enumerate(panels):
        m = df[df["metric"] == metric]
        by_lam = m[(m["epsilon"] == epsilon) | (m["protocol"] == "none")]
        s = summarize(by_lam, ["variant", "amount"])
        by_eps = summarize(m[(m["amount"] == lam_max) & (m["protocol"] != "none")],
                           ["variant", "epsilon"])  # fmt: skip
        for v in variants:
            a = s[s["variant"] == v]
            ls = "--" if v.endswith("true groups") else "-"
            axes[0, j].plot(a["amount"], a["mean"], marker="o", ms=3, ls=ls, color=colors[v],
                            label=v)  # fmt: skip
            axes[0, j].fill_between(a["amount"], a["lo"], a["hi"], color=colors[v], alpha=0.2, lw=0)
            b = by_eps[by_eps["variant"] == v]
            if not b.empty:
                axes[1, j].plot(b["epsilon"], b["mean"], marker="o", ms=3, color=colors[v], label=v)
                axes[1, j].fill_between(b["epsilon"], b["lo"], b["hi"], color=colors[v],
                                        alpha=0.2, lw=0)  # fmt: skip
            true = s[(s["variant"] == v) & (s["amount"] == lam_max)]
            if v.endswith("true groups") and not true.empty:
                axes[1, j].axhline(true["mean"].iloc[0], color=colors[v], ls="--", lw=1, label=v)
        axes[0, j].set_xlabel("repair amount lambda" + f" (eps = {epsilon:g})")
        axes[1, j].set_xlabel(f"epsilon (total repair, lambda = {lam_max:g})")
        axes[1, j].set_xscale("log")
        eps = np.sort(m.loc[m["protocol"] != "none", "epsilon"].unique())
        if eps.size:
            axes[1, j].set_xticks(eps, [f"{e:g}" for e in eps])
            axes[1, j].minorticks_off()
        for i in (0, 1):
            axes[i, j].set_ylabel(label)
            axes[i, j].grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7)
    attribute = df["attribute"].iloc[0]
    fig.suptitle(f"{dataset}: optimal-transport repair of the numeric features from a "
                 f"privatized {attribute}; mean and 95% band over seeds", fontsize=10)  # fmt: skip
    for path in outputs:
        fig.savefig(path, dpi=150)
    plt.close(fig)
