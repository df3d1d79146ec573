"""The stages of a study, one function each; the Snakemake scripts only call these.

Table schemas (all Parquet, written atomically, fairldp metadata in the schema):

- ``data/prepared/{dataset}.parquet``: ``row_id`` (int32), the sensitive attributes and
  categorical features (categorical over their declared domains), numeric features, the target
  (int8, 1 = positive label).
- ``splits/{dataset}/{train,test}.parquet``: ``seed`` (int32) then the prepared columns; the
  rows of each seed's train (test) split.
- ``perturbed/{cell}.parquet``: ``budget_split`` then the train rows of every seed, with each
  sensitive attribute replaced by the encoding of its LDP report in columns
  ``attribute=value`` (uint8 indicators; float32 for SHE); metadata ``privatized`` = per budget
  split, the protocol, total epsilon, per-attribute epsilons and the feature columns.
- ``represented/{cell}.parquet``: ``budget_split``, ``seed``, ``row_id``, ``part``
  ('train'/'test'), ``y`` (int8), then the model features (uint8 indicators ``column=value``,
  float64 numeric columns); the test rows of a seed are repeated for every budget split, since
  a fitted representation may depend on it.
- ``predictions/{cell}.parquet``: ``budget_split``, ``seed``, ``model``, ``row_id``,
  ``y_score`` (float64, P(Y=1)), ``y_pred`` (int8, score >= 0.5).
- ``metrics.parquet``: one row per (study, dataset, protocol, budget_split, epsilon, seed,
  model, metric) with its ``value`` (float64); the non-private baseline has protocol and
  budget_split ``none`` and epsilon ``inf``.

Here ``{cell}`` is ``{dataset}/{protocol}/eps{epsilon}``; budget splits and seeds loop inside.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fairldp.datasets import get_dataset, stratified_split
from fairldp.datasets.raw import check_categories, load_prepared, write_prepared
from fairldp.io import atomic_write_bytes, read_parquet, write_parquet
from fairldp.rng import derive_int_seed
from fairldp.runlog import log, timed

# Heavy libraries (scikit-learn, LightGBM, fairlearn, matplotlib) are imported inside the stages
# that use them: every Snakemake job is a new process, and its start-up counts as overhead.

__all__ = [
    "METRICS_COLUMNS",
    "derive",
    "download",
    "evaluate",
    "figures",
    "label_bias",
    "perturb",
    "prepare",
    "represent",
    "split",
    "train",
]


METRICS_COLUMNS = [
    "study",
    "dataset",
    "protocol",
    "budget_split",
    "epsilon",
    "seed",
    "model",
    "metric",
    "value",
]


def _load(path: str | Path, dataset: str) -> pd.DataFrame:
    df = read_parquet(path)
    meta = df.attrs.get("fairldp", {})
    out = check_categories(df, get_dataset(dataset), source=str(path))
    out.attrs["fairldp"] = meta
    return out


def download(
    file: str,
    out_dir: str | Path,
    timeout: float = 60.0,
    retries: int = 3,
    mirror: str | None = None,
    lock: str | Path | None = None,
    acs: dict[str, object] | None = None,
) -> None:
    """Fetch a registered raw file into ``out_dir`` (verified before it appears there).

    ``mirror``: a base URL to fetch ``{mirror}/{file}`` from instead of the canonical address
    (an institutional mirror); the sha256 of the registry is checked all the same. ``lock``:
    the lock file of pinned digests, for files without a published checksum. ``acs``: the
    study's ACS survey settings (year, horizon, states), which name the PUMS files.
    """
    from dataclasses import replace

    from fairldp.datasets import fetch
    from fairldp.datasets.registry import find_raw_file

    with timed("download"):
        _configure_acs(acs)
        spec, raw = find_raw_file(file)
        if raw.derived_from is not None:
            raise ValueError(f"{file} is derived from {raw.derived_from}, not downloaded")
        if mirror:
            raw = replace(raw, url=f"{mirror.rstrip('/')}/{raw.name}")
        fetch(
            replace(raw, vendored=None),
            out_dir,
            dataset=spec.name,
            timeout=timeout,
            retries=retries,
            lock=lock,
        )


def _configure_acs(acs: dict[str, object] | None) -> None:
    """Register the ACS tasks for the study's survey (every job is a new process)."""
    from fairldp.datasets import acs as acs_module

    acs_module.configure(**(acs or {}))  # type: ignore[arg-type]


def derive(file: str, source: str | Path, out: str | Path) -> None:
    """Compute a derived raw file (e.g. identifier-free COMPAS) from its verified upstream file.

    The upstream file's sha256 is checked against the registry, and so is the derived output
    before it is renamed into place: the derivation is deterministic, so a download gives the
    same bytes as the vendored copy.
    """
    from fairldp.datasets.raw import ChecksumError, sha256_bytes
    from fairldp.datasets.registry import find_raw_file

    with timed("derive"):
        spec, raw = find_raw_file(file)
        if raw.derive is None or raw.derived_from is None:
            raise ValueError(f"{file} is not a derived file")
        _, upstream = find_raw_file(raw.derived_from)
        data = Path(source).read_bytes()
        if upstream.sha256 is not None and sha256_bytes(data) != upstream.sha256:
            raise ChecksumError(
                f"{spec.name}: {source} has sha256 {sha256_bytes(data)}, expected "
                f"{upstream.sha256} ({upstream.url})"
            )
        derived = raw.derive(data)
        if raw.sha256 is not None and sha256_bytes(derived) != raw.sha256:
            raise ChecksumError(
                f"{spec.name}: deriving {file} from {source} gave sha256 {sha256_bytes(derived)}, "
                f"expected {raw.sha256}"
            )
        atomic_write_bytes(derived, out)
        log.info("derived %s (%d bytes) from %s", file, len(derived), source)


def prepare(
    dataset: str,
    raw_dir: str | Path,
    out: str | Path,
    download_dir: str | Path | None = None,
    lock: str | Path | None = None,
    params: dict[str, object] | None = None,
    acs: dict[str, object] | None = None,
) -> None:
    """Parse the raw files of ``dataset`` (vendored, else downloaded) into its typed table;
    synthetic datasets are drawn with ``params`` (``n``, ``seed`` and the generator's own), ACS
    tasks read the PUMS files of the ``acs`` survey settings."""
    with timed("prepare"):
        _configure_acs(acs)
        spec = get_dataset(dataset)
        df = write_prepared(spec, raw_dir, out, download_dir, lock, params)
        log.info("prepared %s: %d rows x %d columns", dataset, *df.shape)


def label_bias(
    dataset: str,
    train_split: str | Path,
    out: str | Path,
    kind: str,
    rate: float,
    group: str | int,
    attribute: str | None = None,
    positives_only: bool = True,
) -> None:
    """Bias the labels of the training rows of every seed (Blum & Stangl, FORC 2020).

    ``kind``: ``underdiagnosis`` (positives of ``group`` flipped to negative with probability
    ``rate`` = nu) or ``underrepresentation`` (eligible rows of ``group`` kept with probability
    ``rate`` = beta). ``attribute``: the sensitive attribute defining the group (default: the
    protected one). The clean labels stay in ``{target}_clean``; test splits are never biased,
    so evaluation measures how the bias propagates into models.
    """
    from fairldp.labelbias import underdiagnosis, underrepresentation

    with timed("label_bias"):
        spec = get_dataset(dataset)
        attribute = attribute or spec.protected
        domain = spec.attribute(attribute).domain
        if group not in domain:
            raise ValueError(f"label_bias group {group!r} is not in {attribute} domain {domain}")
        train = _load(train_split, dataset)
        parts, realised = [], {}
        for seed, rows in train.groupby("seed", sort=True):
            seed_ = derive_int_seed(int(seed), "label_bias", dataset)
            if kind == "underdiagnosis":
                res = underdiagnosis(rows, spec.target, attribute, group, rate, seed_)
            elif kind == "underrepresentation":
                res = underrepresentation(
                    rows, spec.target, attribute, group, rate, seed_, positives_only
                )
            else:
                raise ValueError(
                    f"label_bias kind must be 'underdiagnosis' or 'underrepresentation', "
                    f"got {kind!r}"
                )
            parts.append(res.frame)
            realised[str(seed)] = res.n_changed / max(int(res.eligible.sum()), 1)
        table = pd.concat(parts, ignore_index=True)
        meta = {
            **train.attrs.get("fairldp", {}),
            "label_bias": {
                "kind": kind,
                "rate": rate,
                "attribute": attribute,
                "group": group,
                "positives_only": positives_only,
                "realised_rate": realised,
            },
        }
        write_parquet(table, out, meta=meta)
        log.info(
            "label bias %s on %s=%s with rate %s: realised %s of eligible rows changed",
            kind, attribute, group, rate,
            {s: round(r, 4) for s, r in realised.items()},
        )  # fmt: skip


def split(
    dataset: str,
    prepared: str | Path,
    seeds: Sequence[int],
    test_size: float,
    out_train: str | Path,
    out_test: str | Path,
) -> None:
    """Stratified (target x protected attribute) train/test split for every seed."""
    with timed("split"):
        spec = get_dataset(dataset)
        df = load_prepared(prepared, spec)
        trains, tests = [], []
        for seed in seeds:
            is_test = stratified_split(df[[spec.target, spec.protected]], test_size, seed, dataset)
            for part, mask in ((trains, ~is_test), (tests, is_test)):
                part.append(df[mask].assign(seed=np.int32(seed)))
        meta = {"dataset": dataset, "seeds": list(seeds), "test_size": test_size}
        for frames, out in ((trains, out_train), (tests, out_test)):
            table = pd.concat(frames, ignore_index=True)
            table = table[["seed", *[c for c in table.columns if c != "seed"]]]
            write_parquet(table, out, meta=meta)
        log.info("split %s: %d seeds, test_size=%s", dataset, len(seeds), test_size)


def perturb(
    dataset: str,
    train_split: str | Path,
    out: str | Path,
    protocol: str,
    epsilon: float,
    budget_splits: Sequence[str],
    seeds: Sequence[int],
) -> None:
    """Privatize the sensitive attributes of the training rows, per budget split and seed.

    This is the privacy boundary: the output holds LDP reports in place of the raw values, in
    one block of rows per (budget_split, seed). The baseline (protocol ``none``) has the single
    budget split ``none``.
    """
    from fairldp.privacy import NON_PRIVATE, PROTOCOL_NAMES, privatize

    with timed("perturb"):
        spec = get_dataset(dataset)
        train = _load(train_split, dataset)
        if protocol not in PROTOCOL_NAMES:
            raise ValueError(f"protocol must be one of {list(PROTOCOL_NAMES)}, got {protocol!r}")
        splits = [NON_PRIVATE] if protocol == NON_PRIVATE else list(budget_splits)
        parts, infos = [], {}
        for budget in splits:
            for seed in seeds:
                rows = train[train["seed"] == seed]
                if rows.empty:
                    raise ValueError(f"{train_split}: no training rows for seed {seed}")
                priv = privatize(rows, spec, protocol, epsilon, budget, int(seed))
                infos[budget] = priv.attrs["fairldp"]["privatized"]
                parts.append(priv.assign(budget_split=budget))
        table = pd.concat(parts, ignore_index=True)
        table = table[["budget_split", *[c for c in table.columns if c != "budget_split"]]]
        meta = {"dataset": dataset, "seeds": list(seeds), "privatized": infos}
        write_parquet(table, out, meta=meta)
        for budget, info in infos.items():
            log.info(
                "perturbed %s with %s, split %s: per-attribute epsilons %s",
                dataset,
                protocol,
                budget,
                info["epsilons"],
            )


def represent(
    dataset: str,
    perturbed: str | Path,
    test_split: str | Path,
    out: str | Path,
    method: str = "identity",
) -> None:
    """Fit the representation on the privatized training rows of each (budget split, seed);
    transform those rows and the seed's test rows.

    Training rows carry their encoded LDP reports as the sensitive features; test rows, which
    are never perturbed, carry the one-hot encoding of their true values in the same columns.
    """
    from fairldp.privacy import PrivacyBoundaryError, one_hot, require_privatized
    from fairldp.represent import IdentityRepresentation

    if method != "identity":
        raise ValueError(f"representation must be 'identity', got {method!r}")
    with timed("represent"):
        spec = get_dataset(dataset)
        train = read_parquet(perturbed)
        infos = train.attrs["fairldp"].get("privatized")
        require_privatized(train, spec.sensitive_names)  # raw training rows are refused here
        if not infos or "budget_split" not in train.columns:
            raise PrivacyBoundaryError(f"{perturbed} does not come from the perturb stage")
        train = check_categories(train, spec, source=str(perturbed), only=spec.categorical)
        test = _load(test_split, dataset)
        other = [a.name for a in spec.categorical]
        frames, features = [], None
        for (budget, seed), rows in train.groupby(["budget_split", "seed"], sort=True):
            sensitive = infos[budget]["features"]
            rep = IdentityRepresentation(categorical=other, numeric=list(spec.numeric)).fit(rows)
            test_rows = test[test["seed"] == seed]
            blocks = {
                "train": (rows, rows[sensitive]),
                "test": (test_rows, one_hot(test_rows, spec, spec.sensitive_names)),
            }
            for part, (df, sens) in blocks.items():
                if list(sens.columns) != sensitive:
                    raise ValueError(f"{part} sensitive features differ from the training ones")
                head = pd.DataFrame(
                    {
                        "budget_split": budget,
                        "seed": df["seed"].to_numpy(np.int32),
                        "row_id": df["row_id"].to_numpy(np.int32),
                        "part": part,
                        "y": df[spec.target].to_numpy(np.int8),
                    }
                )
                x = pd.concat([sens, rep.transform(df)], axis=1).reset_index(drop=True)
                frames.append(pd.concat([head, x], axis=1))
                features = list(x.columns)
        if not frames:
            raise ValueError(f"{perturbed}: no training rows")
        table = pd.concat(frames, ignore_index=True)
        meta = {"dataset": dataset, "method": method, "privatized": infos, "features": features}
        write_parquet(table, out, meta=meta)
        log.info("represented %s: %d features", dataset, len(features or []))


def train(
    dataset: str,
    represented: str | Path,
    out: str | Path,
    models: Sequence[str],
    seeds: Sequence[int],
) -> None:
    """Fit each model on the privatized training rows of each (budget split, seed); score the
    seed's test rows. Reads nothing but the representation."""
    from fairldp.models import make_model
    from fairldp.privacy import PrivacyBoundaryError

    with timed("train"):
        table = read_parquet(represented)
        meta = table.attrs["fairldp"]
        if not meta.get("privatized"):
            raise PrivacyBoundaryError(f"{represented} does not come from the perturb stage")
        features = meta["features"]
        preds = []
        for budget in sorted(table["budget_split"].unique()):
            for seed in seeds:
                rows = table[(table["budget_split"] == budget) & (table["seed"] == seed)]
                tr, te = rows[rows["part"] == "train"], rows[rows["part"] == "test"]
                if tr.empty or te.empty:
                    raise ValueError(
                        f"{represented}: no train or test rows for {budget}, seed {seed}"
                    )
                x_tr = tr[features].to_numpy(np.float64)
                x_te = te[features].to_numpy(np.float64)
                for name in models:
                    model = make_model(name, derive_int_seed(int(seed), "model", dataset, name))
                    model.fit(x_tr, tr["y"].to_numpy())
                    score = model.predict_proba(x_te)[:, 1]
                    preds.append(
                        pd.DataFrame(
                            {
                                "budget_split": budget,
                                "seed": np.int32(seed),
                                "model": name,
                                "row_id": te["row_id"].to_numpy(np.int32),
                                "y_score": score,
                                "y_pred": (score >= 0.5).astype(np.int8),
                            }
                        )
                    )
        info = next(iter(meta["privatized"].values()))
        write_parquet(
            pd.concat(preds, ignore_index=True),
            out,
            meta={
                "dataset": dataset,
                "protocol": info["protocol"],
                "epsilon": info["epsilon"],
                "privatized": meta["privatized"],
            },
        )
        log.info("trained %s on %s: seeds %s", list(models), dataset, list(seeds))


def evaluate(
    predictions: Sequence[str | Path],
    test_splits: Sequence[str | Path],
    out: str | Path,
    study: str,
) -> None:
    """Utility and fairness of every prediction set on the TRUE protected attribute of the test
    rows (the only stage that reads it), written as one tidy table.

    Each predictions file names its dataset, protocol and epsilon in its metadata; the metrics
    of all (protocol, epsilon, budget split, seed, model) combinations of a dataset are computed
    in one vectorized pass (:func:`fairldp.metrics.utility_table`, :func:`fairness_table`).
    """
    from fairldp.metrics import fairness_table, utility_table

    with timed("evaluate"):
        truths = {}
        for path in test_splits:
            ds = read_parquet(path, columns=["row_id"]).attrs["fairldp"]["dataset"]
            spec = get_dataset(ds)
            truths[ds] = read_parquet(path, columns=["seed", "row_id", spec.target, spec.protected])
        frames = []
        for path in predictions:
            df = read_parquet(path)
            meta = df.attrs["fairldp"]
            frames.append(
                df.assign(
                    dataset=meta["dataset"],
                    protocol=meta["protocol"],
                    epsilon=float(meta["epsilon"]),
                )
            )
        keys = ["protocol", "epsilon", "budget_split", "seed", "model"]
        rows = []
        for ds, preds in pd.concat(frames, ignore_index=True).groupby("dataset", sort=True):
            if ds not in truths:
                raise ValueError(f"no test split given for dataset {ds!r}")
            spec = get_dataset(ds)
            df = preds.merge(truths[ds], on=["seed", "row_id"], how="left", validate="many_to_one")
            if df[spec.target].isna().any():
                raise ValueError(f"{ds}: predictions for rows that are not test rows")
            n_test = truths[ds].groupby("seed").size()
            sizes = df.groupby(keys, sort=False).size()
            expected = n_test.reindex(sizes.index.get_level_values("seed")).to_numpy()
            if (sizes.to_numpy() != expected).any():
                bad = dict(zip(keys, sizes.index[sizes.to_numpy() != expected][0], strict=True))
                raise ValueError(f"{ds}: predictions {bad} do not cover all test rows")
            y, yhat = df[spec.target].to_numpy(), df["y_pred"].to_numpy()
            fair = fairness_table(y, yhat, df[spec.protected].astype(str).to_numpy(), df[keys])
            util = utility_table(y, yhat, df["y_score"].to_numpy(), df[keys])
            table = util.join(fair, how="left").reset_index()  # only combinations that exist
            long = table.melt(id_vars=keys, var_name="metric", value_name="value")
            rows.append(long.assign(study=study, dataset=ds))
        write_parquet(
            _metrics_frame(pd.concat(rows, ignore_index=True)),
            out,
            meta={"study": study, "inputs": len(predictions)},
        )


def _metrics_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The tidy metrics table: fixed columns, dtypes and row order."""
    strings = ["study", "dataset", "protocol", "budget_split", "model", "metric"]
    df = df[METRICS_COLUMNS].astype(
        {
            "epsilon": "float64",
            "seed": "int32",
            "value": "float64",
            **dict.fromkeys(strings, "string"),
        }
    )
    keys = METRICS_COLUMNS[:-1]
    df = df.sort_values(keys, kind="stable").reset_index(drop=True)
    dup = df.duplicated(keys)
    if dup.any():
        raise ValueError(f"duplicate metric rows, e.g. {df[dup].iloc[0].to_dict()}")
    return df


def epsilon_value(text: str) -> float:
    """Inverse of :func:`fairldp.config.format_epsilon`."""
    return math.inf if text == "inf" else float(text)


def figures(
    metrics: str | Path,
    dataset: str,
    models: Sequence[str],
    groups: dict[str, Sequence[str]],
    outputs: dict[str, str],
) -> None:
    """One figure per (metric group, model): ``outputs`` maps ``{group}_{model}_{ext}`` to paths."""
    from fairldp.plotting import plot_metric_grid

    with timed("figures"):
        df = read_parquet(metrics)
        for group, names in groups.items():
            for model in models:
                paths = [outputs[f"{group}_{model}_{ext}"] for ext in ("png", "pdf")]
                title = f"{dataset}, {model}: {group} vs ε (mean and 95% CI over seeds)"
                plot_metric_grid(df, dataset, model, names, paths, title=title)
