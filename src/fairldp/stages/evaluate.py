"""Evaluation side: audits on the TRUE group attribute and the clean labels, and the metrics table.

The only stages that read the true sensitive attribute after privatization (see
:mod:`fairldp.privacy`): :func:`evaluate` and :func:`leakage`, both of the test rows only (the
leakage attacker is cross-fitted on them).

- ``evaluated/{dataset}/{learner}/{block}.parquet``: ``privatizer``, ``epsilon`` (string, as in
  the paths), ``artifact`` (the representation's artifact), ``budget_split``, ``seed``,
  ``amount``, ``audit``, ``group`` (the true group of a per-group rate, else empty),
  ``metric``, ``value``: the prediction audits
  (:data:`fairldp.audits.AUDITS`) of every prediction set of one learner, in one vectorized
  pass per audit;
- ``audits/leakage/{dataset}/{privatizer}/eps{eps}/{block}.parquet``: the same columns for the
  leakage audit of every representation of the cell (identical feature matrices, e.g. repair
  amount 0 of every group estimate, are audited once);
- ``metrics.parquet`` (:data:`METRICS_COLUMNS`): one row per (study, dataset, attribute,
  bias_rate, privatizer, protocol, budget_split, epsilon, representation, kind, amount,
  learner, model, method, seed, audit, group, metric) with its ``value`` (``bias_rate``: the
  label-bias rate of the training labels, NaN without label bias; ``group``: empty but for
  the per-group rates of the ``group_rates`` audit); the non-private baseline has privatizer,
  protocol and budget_split ``none`` and epsilon ``inf``; ``amount`` is NaN for representations
  without amounts, ``learner``/``model``/``method`` are empty for the leakage audit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fairldp.audits import AUDITS
from fairldp.config import parse_epsilon
from fairldp.datasets import get_dataset
from fairldp.io import read_parquet, write_parquet
from fairldp.rng import derive_int_seed
from fairldp.runlog import log, timed
from fairldp.stages.represent import iter_features

__all__ = ["METRICS_COLUMNS", "collect", "evaluate", "leakage", "membership"]

#: the columns of metrics.parquet, in order
METRICS_COLUMNS = [
    "study", "dataset", "attribute", "bias_rate", "privatizer", "protocol", "budget_split",
    "epsilon", "representation", "kind", "amount", "learner", "model", "method", "seed",
    "audit", "group", "metric", "value",
]  # fmt: skip
#: the columns that identify an evaluated prediction set
KEYS = ["privatizer", "epsilon", "artifact", "budget_split", "seed", "amount"]
_NO_AMOUNT = -1.0  # stands for NaN while grouping


def _truth(split: str, dataset: str, attribute: str, part: str | None = "test",
           joint: bool = False) -> pd.DataFrame:  # fmt: skip
    """``seed``, ``row_id``, ``y`` (the clean label: ``{target}_clean`` where the data carry
    one, as a registry's recorded diagnosis does, else the target) and ``a`` (the true group,
    as text) of the rows of a split; with ``joint``, ``a_joint``: the true intersection of
    every sensitive attribute (:func:`joint_groups`)."""
    from fairldp.labelbias import CLEAN_SUFFIX

    spec = get_dataset(dataset)  # a label-bias level's split is its dataset's
    clean = spec.target + CLEAN_SUFFIX
    label = clean if clean in _columns(split) else spec.target
    names = spec.sensitive_names if joint else []
    df = read_parquet(split, columns=list(dict.fromkeys(
        ["part", "seed", "row_id", label, attribute, *names])))  # fmt: skip
    if df.attrs["fairldp"].get("dataset") != spec.name:
        raise ValueError(f"{split} holds dataset {df.attrs['fairldp'].get('dataset')!r}")
    if part is not None:
        df = df[df["part"] == part]
    out = pd.DataFrame({"part": df["part"].to_numpy(), "seed": df["seed"].to_numpy(np.int32),
                        "row_id": df["row_id"].to_numpy(np.int32),
                        "y": df[label].to_numpy(np.int8),
                        "a": df[attribute].astype(str).to_numpy()})  # fmt: skip
    if joint:
        out["a_joint"] = joint_groups(df[names])
    return out


def joint_groups(df: pd.DataFrame) -> np.ndarray:
    """The intersection of the columns' values per row, as text: ``"sex=female, race=black"``
    (columns in order; one pass per column, not per row)."""
    out = None
    for name in df.columns:
        codes, uniques = pd.factorize(df[name], use_na_sentinel=False)
        text = np.array([f"{name}={v}" for v in uniques.astype(str)], dtype=object)[codes]
        out = text if out is None else out + ", " + text
    return np.asarray(out if out is not None else np.full(len(df), ""), dtype=object)


def _columns(path: str) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def _with_truth(preds: pd.DataFrame, truth: pd.DataFrame, meta: dict[str, Any],
                path: str) -> pd.DataFrame:  # fmt: skip
    """Predictions with the label ``y`` and true group ``a`` of their test rows: each
    (budget split, seed, amount) holds one row per test row of its seed, in the split's order
    (checked: the file's ``test_rows`` digest, and every group's size)."""
    from fairldp.stages.learn import test_rows_digest

    seeds = [int(s) for s in meta["seeds"]]
    by_seed = {s: np.flatnonzero(truth["seed"].to_numpy() == s) for s in seeds}
    if test_rows_digest(seeds, {s: truth["row_id"].to_numpy()[i] for s, i in by_seed.items()}
                        ) != meta.get("test_rows"):  # fmt: skip
        raise ValueError(f"{path} holds predictions for other test rows than those of the "
                         f"split (seeds {seeds}): rebuild it")  # fmt: skip
    keys = ["budget_split", "seed", "amount"]
    group = preds.groupby(keys, sort=False, dropna=False)
    position = group.cumcount().to_numpy()
    sizes = group["seed"].transform("size").to_numpy()
    seed = preds["seed"].to_numpy()
    n_test = np.zeros(seed.size, np.int64)
    start = np.zeros(seed.size, np.int64)
    for s, i in by_seed.items():
        if i.size and i[-1] - i[0] + 1 != i.size:
            raise ValueError(f"the test rows of seed {s} are not contiguous in the split")
        mask = seed == s
        n_test[mask], start[mask] = i.size, (i[0] if i.size else 0)
    if not set(np.unique(seed)) <= set(seeds) or (sizes != n_test).any():
        raise ValueError(f"{path}: predictions do not cover all test rows of their seeds")
    rows = start + position  # the seed's test rows are contiguous in the split, in order
    extra = {"a_joint": truth["a_joint"].to_numpy()[rows]} if "a_joint" in truth else {}
    return preds.assign(row_id=truth["row_id"].to_numpy()[rows], y=truth["y"].to_numpy()[rows],
                        a=truth["a"].to_numpy()[rows], **extra)  # fmt: skip


def _long(table: pd.DataFrame, audit: str) -> pd.DataFrame:
    ids = [*KEYS, *(["group"] if "group" in table.index.names else [])]
    long = table.reset_index().melt(id_vars=ids, var_name="metric", value_name="value")
    if "group" not in long.columns:
        long["group"] = ""
    return long.assign(audit=audit)[[*KEYS, "audit", "group", "metric", "value"]]


def evaluate(
    dataset: str,
    predictions: Sequence[str],
    split: str,
    out: str,
    learner: str,
    attribute: str,
    audits: Sequence[str],
) -> None:
    """The prediction audits of every prediction set of ``learner`` on ``dataset`` in the
    block, on the TRUE ``attribute`` and the clean labels of the test rows."""
    with timed("evaluate"):
        joint = any(getattr(AUDITS.get(n), "intersectional", False) for n in audits)
        truth = _truth(split, dataset, attribute, joint=joint)
        frames = []
        for path in predictions:
            df = read_parquet(path)
            meta = df.attrs["fairldp"]
            if meta.get("dataset") != dataset or meta.get("learner") != learner:
                raise ValueError(f"{path} holds predictions of {meta.get('learner')!r} on "
                                 f"{meta.get('dataset')!r}, not {learner!r} on {dataset!r}")
            frames.append(_with_truth(df, truth, meta, path).assign(
                privatizer=meta["privatizer"], epsilon=meta["epsilon"],
                artifact=meta["representation"]))  # fmt: skip
        df = pd.concat(frames, ignore_index=True)
        df["amount"] = df["amount"].fillna(_NO_AMOUNT)
        if "z" not in df.columns:
            df["z"] = -1
        df["z"] = df["z"].fillna(-1).astype(np.int16)
        spec = get_dataset(dataset)
        domain = [str(v) for v in spec.attribute(attribute).domain]
        df["a_code"] = pd.Categorical(df["a"].astype(str), categories=domain).codes
        reference = spec.reference if attribute == spec.protected else None
        rows = []
        for name in audits:
            audit = AUDITS.get(name)
            sub = df[df["z"] >= 0] if audit.needs_groups else df
            if not sub.empty:
                rows.append(_long(audit.table(sub, KEYS, reference=reference), name))
        table = pd.concat(rows, ignore_index=True)
        table["amount"] = table["amount"].replace(_NO_AMOUNT, np.nan)
        write_parquet(table, out, meta={"dataset": dataset, "learner": learner,
                                        "attribute": attribute, "inputs": len(predictions)})
        log.info("evaluated %d prediction files of %s on %s: %d metric rows",
                 len(predictions), learner, dataset, len(table))  # fmt: skip


def leakage(
    dataset: str,
    features: Sequence[str],
    split: str,
    out: str,
    privatizer: str,
    eps: str,
    attribute: str,
    artifacts: Sequence[Mapping[str, Any]],
    release: str | None = None,
    *,
    public: str,
) -> None:
    """The leakage audits of every representation of a cell: attackers for the TRUE
    ``attribute`` cross-fitted on the test rows (random state
    ``derive_int_seed(seed, "leakage")``). ``artifacts``: per representation, its ``name``,
    ``representation`` (resolved parameters), ``seeds`` and ``audits`` (of
    :data:`~fairldp.plan.LEAKAGE_AUDITS`; default ``leakage``), in the order of ``features``;
    ``release``: the cell's release (the features the representations kept); ``public``: its
    public rows."""
    from fairldp.plan import LEAKAGE_AUDITS

    with timed("leakage"):
        asked = {a for art in artifacts for a in art.get("audits", ["leakage"])}
        unknown = sorted(asked - set(LEAKAGE_AUDITS))
        if unknown:
            raise ValueError(f"{unknown} are not leakage audits; those are {list(LEAKAGE_AUDITS)}")
        parts = ["train", "test"] if any(AUDITS.get(a).uses_training_groups for a in asked) \
            else ["test"]  # fmt: skip
        truth = _truth(split, dataset, attribute, part=None)
        truth = truth[truth["part"].isin(parts)].set_index(["part", "seed", "row_id"])
        done: dict[tuple[str, str], dict[str, float]] = {}
        rows = []
        for path, art in zip(features, artifacts, strict=True):
            made_for = {"privatizer": privatizer, "epsilon": eps}
            for block in iter_features(path, dataset, art["representation"], art["seeds"],
                                       made_for, release, public=public):  # fmt: skip
                digest = _digest(block)
                a = None
                key = {"privatizer": privatizer, "epsilon": eps, "artifact": art["name"],
                       "budget_split": block.budget_split, "seed": block.seed,
                       "amount": np.nan if block.amount is None else block.amount}
                for name in art.get("audits", ["leakage"]):
                    audit = AUDITS.get(name)
                    if (digest, name) not in done:
                        if a is None:
                            a = {p: _true_groups(truth, p, block.seed, ids) if p in parts
                                 else None for p, ids in (("train", block.train_ids),
                                                          ("test", block.test_ids))}  # fmt: skip
                        done[digest, name] = audit.values(
                            block.train, block.test, a["train"], a["test"], block.numeric,
                            derive_int_seed(block.seed, "leakage"))  # fmt: skip
                    rows += [{**key, "audit": name, "metric": m, "value": float(v)}
                             for m, v in done[digest, name].items()]  # fmt: skip
        write_parquet(pd.DataFrame(rows), out, meta={"dataset": dataset, "privatizer": privatizer,
                                                     "epsilon": eps})  # fmt: skip
        log.info("leakage of %d representations of %s/%s/eps%s: %d metric rows (%d distinct "
                 "audits)", len(artifacts), dataset, privatizer, eps, len(rows), len(done))


#: the membership stage's design: bootstrap replicates of each interval (95%, percentile), and
#: shadow models of the shadow attack
MEMBERSHIP_BOOT = 200
MEMBERSHIP_SHADOWS = 4


def membership(
    dataset: str,
    features: str,
    predictions: str,
    split: str,
    out: str,
    privatizer: str,
    eps: str,
    representation_name: str,
    representation: Mapping[str, Any],
    learner_name: str,
    learner: Mapping[str, Any],
    attribute: str,
    seeds: list[int],
    release: str | None = None,
    audits: Sequence[str] = ("membership",),
    *,
    public: str,
) -> None:
    """The membership-inference audits of one learner on one cell (:mod:`fairldp.membership`):
    members are the training rows, non-members held-out test rows released the same way (the
    study checks ``test: privatized`` or no privatization), each with the label as released;
    results overall and per TRUE group, each with its percentile bootstrap interval over
    :data:`MEMBERSHIP_BOOT` replicates (``{metric}_ci_low``, ``{metric}_ci_high``).

    - ``membership``: the loss-threshold attack (Yeom et al. 2018), held-out advantage, on
      every test row.
    - ``membership_shadow``: the shadow-model attack (Shokri et al. 2017). A label-stratified
      random half of the test rows is the attacker's shadow set (stream ``(seed,
      "membership", "shadow_set")``); :data:`MEMBERSHIP_SHADOWS` shadow models are fitted
      exactly like the target (same learner, features, groups and seed) on halves of it; the
      other half of the test rows are the audited non-members. The attack's own decision
      ``P(member) >= 1/2`` gives the advantage.

    The model is refitted exactly as the learn stage fitted it and its test scores are checked
    equal to ``predictions``: the audited model is the evaluated one. Writes the evaluated
    columns (``KEYS``, ``audit``, ``group``, ``metric``, ``value``) with ``dataset`` and
    ``learner`` in the metadata. Random streams: ``(seed, "membership", ...)``."""
    from fairldp.plan import MEMBERSHIP_AUDITS
    from fairldp.stages.learn import fit_predict

    if not audits or any(a not in MEMBERSHIP_AUDITS for a in audits):
        raise ValueError(f"membership stage: audits must be among {list(MEMBERSHIP_AUDITS)}, "
                         f"got {list(audits)}")  # fmt: skip
    with timed("membership"):
        truth = _truth(split, dataset, attribute, part=None)
        truth = truth.set_index(["part", "seed", "row_id"])
        preds = read_parquet(predictions)
        if preds.attrs["fairldp"].get("learner") != learner_name:
            raise ValueError(f"{predictions} holds predictions of another learner")
        amount = preds["amount"].fillna(_NO_AMOUNT).to_numpy()
        made_for = {"privatizer": privatizer, "epsilon": eps}
        rows = []
        for block in iter_features(features, dataset, representation, seeds, made_for,
                                   release, public=public):  # fmt: skip
            score, _, train_score = fit_predict(block, dataset, learner, train_scores=True)
            am = _NO_AMOUNT if block.amount is None else block.amount
            sel = ((preds["budget_split"].to_numpy() == block.budget_split)
                   & (preds["seed"].to_numpy() == block.seed) & (amount == am))  # fmt: skip
            if not np.array_equal(preds["y_score"].to_numpy()[sel], score.astype(np.float32)):
                raise ValueError(f"{predictions}: the refitted model's test scores differ from "
                                 f"the learn stage's (seed {block.seed}, {block.budget_split}): "
                                 "the learner is not deterministic; rebuild the predictions")
            members = (block.y_train.astype(np.int64), train_score,
                       _true_groups(truth, "train", block.seed, block.train_ids))  # fmt: skip
            held_out = (block.y_test.astype(np.int64), score,
                        _true_groups(truth, "test", block.seed, block.test_ids))  # fmt: skip
            key = {"privatizer": privatizer, "epsilon": eps, "artifact": representation_name,
                   "budget_split": block.budget_split, "seed": block.seed,
                   "amount": np.nan if block.amount is None else block.amount}
            for audit in audits:
                attack = _loss_threshold if audit == "membership" else _shadow
                table = attack(block, dataset, learner, members, held_out)
                for r in table.itertuples():
                    rows += [{**key, "audit": audit, "group": str(r.group), "metric": m,
                              "value": float(v)} for m, v in
                             ((r.metric, r.value), (f"{r.metric}_ci_low", r.ci_low),
                              (f"{r.metric}_ci_high", r.ci_high))]  # fmt: skip
        write_parquet(pd.DataFrame(rows), out, meta={"dataset": dataset, "learner": learner_name,
                                                     "privatizer": privatizer, "epsilon": eps})
        log.info("membership audits (%s) of %s on %s/%s/eps%s: %d rows", ", ".join(audits),
                 learner_name, dataset, privatizer, eps, len(rows))  # fmt: skip


_Outputs = tuple[np.ndarray, np.ndarray, np.ndarray]  # labels, scores, TRUE groups


def _loss_threshold(block: Any, dataset: str, learner: Mapping[str, Any], members: _Outputs,
                    held_out: _Outputs) -> pd.DataFrame:  # fmt: skip
    """The loss-threshold attack on the members and every held-out row."""
    from fairldp.membership import membership_audit

    (ym, pm, gm), (y0, p0, g0) = members, held_out
    return membership_audit(ym, pm, y0, p0, gm, g0, seed=derive_int_seed(block.seed,
                            "membership"), n_boot=MEMBERSHIP_BOOT)  # fmt: skip


def _shadow(block: Any, dataset: str, learner: Mapping[str, Any], members: _Outputs,
            held_out: _Outputs) -> pd.DataFrame:  # fmt: skip
    """The shadow-model attack: half of the held-out rows train the attacker, the other half
    are the audited non-members (see :func:`membership`)."""
    from dataclasses import replace

    from fairldp.membership import fit_shadow_attack_with, random_halves
    from fairldp.rng import make_rng
    from fairldp.stages.learn import fit_predict

    (ym, pm, gm), (y0, p0, g0) = members, held_out
    seed = derive_int_seed(block.seed, "membership")
    half = random_halves(y0, make_rng(block.seed, "membership", "shadow_set"))
    shadow, audited = np.flatnonzero(half == 0), np.flatnonzero(half == 1)

    def fit_scores(inside: np.ndarray, i: int) -> np.ndarray:
        fit, rows = shadow[inside], shadow
        groups = block.groups
        if groups is not None:
            groups = replace(groups, train=groups.test[fit], test=groups.test[rows])
        sub = replace(block, train=block.test.iloc[fit].reset_index(drop=True),
                      test=block.test.iloc[rows].reset_index(drop=True), y_train=y0[fit],
                      y_test=y0[rows], train_ids=block.test_ids[fit],
                      test_ids=block.test_ids[rows], groups=groups)  # fmt: skip
        return fit_predict(sub, dataset, learner)[0]

    attack = fit_shadow_attack_with(fit_scores, y0[shadow], n_shadow=MEMBERSHIP_SHADOWS,
                                    seed=seed)  # fmt: skip
    return attack.audit(ym, pm, y0[audited], p0[audited], gm, g0[audited],
                        n_boot=MEMBERSHIP_BOOT, seed=seed)  # fmt: skip


def _true_groups(truth: pd.DataFrame, part: str, seed: int, ids: np.ndarray) -> np.ndarray:
    """The true group of rows ``ids`` of one part and seed (in that order)."""
    index = pd.MultiIndex.from_arrays([np.full(ids.size, part), np.full(ids.size, seed,
                                       dtype=np.int32), ids.astype(np.int32)])  # fmt: skip
    a = truth["a"].reindex(index)
    if a.isna().any():
        raise ValueError(f"rows of seed {seed} ({part}) are missing from the split")
    return a.to_numpy()


def _digest(block: Any) -> str:
    """Content digest of a block's features (and seed): equal blocks are audited once."""
    h = hashlib.sha256(str(block.seed).encode())
    for frame in (block.train, block.test):
        h.update(",".join(map(str, frame.columns)).encode())
        h.update(np.ascontiguousarray(frame.to_numpy(np.float64)).tobytes())
    return h.hexdigest()


def collect(
    evaluated: Sequence[str],
    leakage: Sequence[str],
    out: str,
    study: str,
    attributes: Mapping[str, str],
    aliases: Sequence[Mapping[str, str]],
    learners: Mapping[str, Mapping[str, Any]],
    protocols: Mapping[str, str],
    bias_rates: Mapping[str, float] | None = None,
    membership: Sequence[str] = (),
) -> None:
    """The tidy metrics table of the study: every evaluated and leakage file, each artifact's
    rows listed under every representation name that reads it (``membership``: the membership
    audit files, read like the evaluated ones). ``bias_rates``: the label-bias
    rate of each dataset key (a sweep's ``{dataset}@{rate}`` is listed as ``dataset`` with
    its ``bias_rate``); NaN for keys it does not name."""
    from fairldp.datasets import base_name

    with timed("collect"):
        parts = []
        for path in [*evaluated, *membership]:
            df = read_parquet(path)
            meta = df.attrs["fairldp"]
            parts.append(df.assign(dataset=meta["dataset"], learner=meta["learner"]))
        for path in leakage:
            df = read_parquet(path)
            parts.append(df.assign(dataset=df.attrs["fairldp"]["dataset"], learner=pd.NA))
        df = pd.concat(parts, ignore_index=True)
        alias = pd.DataFrame(list(aliases)).rename(columns={"eps": "epsilon"})
        df = df.merge(alias, on=["dataset", "privatizer", "epsilon", "artifact"], how="inner")
        df["epsilon"] = df["epsilon"].map(parse_epsilon)
        df["bias_rate"] = df["dataset"].map(dict(bias_rates or {})).astype("float64")
        df["dataset"] = df["dataset"].map(base_name)
        df["study"] = study
        df["attribute"] = df["dataset"].map(dict(attributes))
        df["protocol"] = df["privatizer"].map(dict(protocols))
        df["model"] = df["learner"].map({k: v["model"] for k, v in learners.items()})
        df["method"] = df["learner"].map({k: v["method"] for k, v in learners.items()})
        write_parquet(metrics_frame(df), out, meta={"study": study})
        log.info("collected %d metric rows from %d files", len(df), len(evaluated) + len(leakage))


def metrics_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The tidy metrics table: fixed columns, dtypes and row order; duplicate keys refused."""
    strings = ["study", "dataset", "attribute", "privatizer", "protocol", "budget_split",
               "representation", "kind", "learner", "model", "method", "audit", "group",
               "metric"]  # fmt: skip
    df = df.assign(group=df["group"].fillna("") if "group" in df.columns else "")
    if "bias_rate" not in df.columns:
        df = df.assign(bias_rate=np.nan)
    df = df[METRICS_COLUMNS].astype({"epsilon": "float64", "amount": "float64", "seed": "int32",
                                     "bias_rate": "float64", "value": "float64",
                                     **dict.fromkeys(strings, "string")})  # fmt: skip
    keys = METRICS_COLUMNS[:-1]
    df = df.sort_values(keys, kind="stable").reset_index(drop=True)
    dup = df.duplicated(keys)
    if dup.any():
        raise ValueError(f"duplicate metric rows, e.g. {df[dup].iloc[0].to_dict()}")
    return df
