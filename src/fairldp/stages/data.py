"""Data stages: raw files -> typed table -> train/test splits -> (label bias).

Schemas (Parquet, written atomically, fairldp metadata in the schema):

- ``data/prepared/{dataset}.parquet`` (or ``{results}/prepared/`` for tables drawn or
  downloaded per study: synthetic and ACS): ``row_id`` (int32), the sensitive attributes and
  categorical features (categorical over their declared domains), numeric features, the target
  (int8, 1 = positive label); metadata: sources, sha256, registry version, generator
  parameters;
- ``splits/{dataset}/{block}.parquet``: ``part`` ('train'/'test'), ``seed`` (int32), then the
  prepared columns; the rows of each seed's train and test split (stratified on target x
  protected attribute);
- ``biased/{dataset}/{block}.parquet``: the same, the labels of the training rows biased and
  the clean ones kept in ``{target}_clean``; test rows unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from fairldp.datasets import DatasetSpec, get_dataset, stratified_split
from fairldp.datasets.raw import DataFormatError, check_categories, prepared_metadata
from fairldp.io import atomic_write_bytes, read_parquet, write_parquet
from fairldp.rng import derive_int_seed
from fairldp.runlog import log, timed

__all__ = [
    "check_split_groups",
    "derive",
    "download",
    "label_bias",
    "load_prepared",
    "load_rows",
    "prepare",
    "split",
    "write_prepared",
]


def _configure_acs(acs: Mapping[str, object] | None) -> None:
    """Register the ACS tasks for the study's survey (every job is a new process)."""
    from fairldp.datasets import acs as acs_module

    acs_module.configure(**dict(acs or {}))  # type: ignore[arg-type]


def download(
    file: str,
    out: str,
    timeout: float = 60.0,
    retries: int = 3,
    mirror: str | None = None,
    lock: str | None = None,
    acs: Mapping[str, object] | None = None,
) -> None:
    """Fetch a registered raw file to ``out`` (verified before it appears there).

    ``mirror``: a base URL to fetch ``{mirror}/{file}`` from instead of the canonical address;
    the sha256 of the registry is checked all the same. ``lock``: the lock file of pinned
    digests, for files without a published checksum. ``acs``: the study's ACS survey settings.
    """
    from fairldp.datasets import fetch
    from fairldp.datasets.registry import find_raw_file

    with timed("download"):
        _configure_acs(acs)
        spec, raw = find_raw_file(file)
        if raw.derived_from is not None:
            raise ValueError(f"{file} is derived from {raw.derived_from}, not downloaded")
        if mirror:
            raw = replace(raw, url=f"{mirror.rstrip('/')}/{raw.name}")
        fetch(replace(raw, vendored=None), Path(out).parent, dataset=spec.name,
              timeout=timeout, retries=retries, lock=lock)  # fmt: skip


def derive(file: str, source: str, out: str) -> None:
    """Compute a derived raw file (e.g. identifier-free COMPAS) from its verified upstream file;
    the upstream and the derived bytes are both checked against the registry's sha256."""
    from fairldp.datasets.raw import ChecksumError, sha256_bytes
    from fairldp.datasets.registry import find_raw_file

    with timed("derive"):
        spec, raw = find_raw_file(file)
        if raw.derive is None or raw.derived_from is None:
            raise ValueError(f"{file} is not a derived file")
        _, upstream = find_raw_file(raw.derived_from)
        data = Path(source).read_bytes()
        if upstream.sha256 is not None and sha256_bytes(data) != upstream.sha256:
            raise ChecksumError(f"{spec.name}: {source} has sha256 {sha256_bytes(data)}, "
                                f"expected {upstream.sha256} ({upstream.url})")  # fmt: skip
        derived = raw.derive(data)
        if raw.sha256 is not None and sha256_bytes(derived) != raw.sha256:
            raise ChecksumError(f"{spec.name}: deriving {file} from {source} gave sha256 "
                                f"{sha256_bytes(derived)}, expected {raw.sha256}")  # fmt: skip
        atomic_write_bytes(derived, out)
        log.info("derived %s (%d bytes) from %s", file, len(derived), source)


def _spec(dataset: str | DatasetSpec) -> DatasetSpec:
    return dataset if isinstance(dataset, DatasetSpec) else get_dataset(dataset)


def write_prepared(
    dataset: str | DatasetSpec,
    raw_dir: str | Path,
    out: str | Path,
    download_dir: str | Path | None = None,
    lock: str | Path | None = None,
    params: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """Prepare ``dataset`` (:func:`fairldp.datasets.prepare`) and write it atomically with its
    provenance (sources and their sha256, registry version, generator parameters)."""
    from fairldp.datasets import prepare as prepare_table
    from fairldp.privacy import proxy_report

    spec = _spec(dataset)
    df = prepare_table(spec, raw_dir, download_dir, lock, params)
    proxies = proxy_report(df, spec)
    for p in proxies:  # unperturbed features that reveal a sensitive attribute
        log.warning("proxy: %s determines %s in %.0f%% of rows (normalized MI %.2f); LDP on %s "
                    "does not hide it", p["feature"], p["attribute"],
                    100 * p["determined_share"], p["normalized_mi"], p["attribute"])  # fmt: skip
    write_parquet(df, out, meta={**prepared_metadata(spec, lock, params), "proxies": proxies})
    return df


def load_prepared(path: str | Path, dataset: str | DatasetSpec) -> pd.DataFrame:
    """Read a prepared table and restore the declared categorical domains."""
    spec = _spec(dataset)
    df = read_parquet(path)
    meta = df.attrs.get("fairldp", {})
    if meta.get("dataset") not in (None, spec.name):
        raise DataFormatError(f"{path}: holds dataset {meta.get('dataset')!r}, not {spec.name!r}")
    out = check_categories(df, spec, source=str(path))
    out.attrs["fairldp"] = meta
    return out


def prepare(
    dataset: str,
    out: str,
    raw: Sequence[str] = (),
    raw_dir: str = "data/raw",
    download_dir: str = "data/downloads",
    lock: str | None = None,
    generator: Mapping[str, object] | None = None,
    acs: Mapping[str, object] | None = None,
) -> None:
    """Parse the raw files of ``dataset`` (vendored in ``raw_dir``, else downloaded) into its
    typed table; synthetic datasets are drawn with ``generator`` (``n``, ``seed`` and the
    generator's own parameters); ACS tasks read the PUMS files of the ``acs`` survey."""
    with timed("prepare"):
        _configure_acs(acs)
        df = write_prepared(dataset, raw_dir, out, download_dir, lock, generator)
        log.info("prepared %s: %d rows x %d columns", dataset, *df.shape)


def load_rows(path: str | Path, dataset: str) -> pd.DataFrame:
    """A split (or biased split) table with its categorical domains restored."""
    df = read_parquet(path)
    meta = df.attrs.get("fairldp", {})
    out = check_categories(df, get_dataset(dataset), source=str(path))
    out.attrs["fairldp"] = meta
    return out


def check_split_groups(
    df: pd.DataFrame, dataset: str, attribute: str, test_size: float, seeds: Sequence[int]
) -> None:
    """Refuse a ``test_size`` whose split (:func:`split`, for every seed) leaves a group of
    ``attribute`` without a training or a test row: ``ValueError`` naming ``test_size``, the
    group, the seed and the group's size."""
    spec = get_dataset(dataset)
    groups = df[attribute].astype(str).to_numpy()
    names, inverse = np.unique(groups, return_inverse=True)
    sizes = np.bincount(inverse, minlength=names.size)
    for seed in seeds:
        is_test = stratified_split(df[[spec.target, spec.protected]], test_size, seed, dataset)
        n_test = np.bincount(inverse[is_test], minlength=names.size)
        for part, n in (("test", n_test), ("training", sizes - n_test)):
            if (n == 0).any():
                g = int(np.argmin(n))
                raise ValueError(
                    f"test_size: {test_size} leaves group {names[g]!r} of {attribute} on "
                    f"{dataset} ({sizes[g]} rows) without a {part} row (seed {seed}); choose a "
                    "test_size that puts every group in both parts"
                )


def split(
    dataset: str,
    prepared: str,
    out: str,
    seeds: Sequence[int],
    test_size: float,
    attribute: str | None = None,
) -> None:
    """Stratified (target x protected attribute) train/test split for every seed of the block
    (:func:`fairldp.datasets.stratified_split`, stream ``(seed, "split", dataset)``); refused
    when a group of ``attribute`` (the study's audited attribute) misses a part
    (:func:`check_split_groups`)."""
    with timed("split"):
        spec = get_dataset(dataset)
        df = load_prepared(prepared, dataset)
        if attribute is not None:
            check_split_groups(df, dataset, attribute, test_size, seeds)
        frames = []
        for seed in seeds:
            is_test = stratified_split(df[[spec.target, spec.protected]], test_size, seed, dataset)
            for part, mask in (("train", ~is_test), ("test", is_test)):
                frames.append(df[mask].assign(part=part, seed=np.int32(seed)))
        table = pd.concat(frames, ignore_index=True)
        table = table[["part", "seed", *[c for c in table.columns if c not in ("part", "seed")]]]
        meta = {"dataset": dataset, "seeds": [int(s) for s in seeds], "test_size": test_size}
        write_parquet(table, out, meta=meta)
        log.info("split %s: seeds %s, test_size=%s", dataset, list(seeds), test_size)


def label_bias(
    dataset: str,
    split: str,
    out: str,
    kind: str,
    rate: float,
    group: str | int,
    attribute: str | None = None,
    positives_only: bool = True,
) -> None:
    """Bias the labels of the training rows of every seed (Blum & Stangl, FORC 2020).

    ``kind``: ``underdiagnosis`` (positives of ``group`` flipped to negative with probability
    ``rate`` = nu) or ``underrepresentation`` (eligible rows of ``group`` kept with probability
    ``rate`` = beta); stream ``derive_int_seed(seed, "label_bias", dataset)``. ``attribute``:
    the sensitive attribute defining the group (default: the protected one). Test rows are
    never biased, so evaluation measures how the bias propagates into models.
    """
    from fairldp.labelbias import CLEAN_SUFFIX, underdiagnosis, underrepresentation

    with timed("label_bias"):
        spec = get_dataset(dataset)
        attribute = attribute or spec.protected
        domain = spec.attribute(attribute).domain
        if group not in domain:
            raise ValueError(f"label_bias group {group!r} is not in {attribute} domain {domain}")
        rows = load_rows(split, dataset)
        parts, realised = [], {}
        for seed, train in rows[rows["part"] == "train"].groupby("seed", sort=True):
            seed_ = derive_int_seed(int(seed), "label_bias", dataset)
            if kind == "underdiagnosis":
                res = underdiagnosis(train, spec.target, attribute, group, rate, seed_)
            elif kind == "underrepresentation":
                res = underrepresentation(train, spec.target, attribute, group, rate, seed_,
                                          positives_only)  # fmt: skip
            else:
                raise ValueError(f"label_bias kind must be 'underdiagnosis' or "
                                 f"'underrepresentation', got {kind!r}")  # fmt: skip
            parts.append(res.frame)
            realised[str(seed)] = res.n_changed / max(int(res.eligible.sum()), 1)
        test = rows[rows["part"] == "test"]
        if spec.target + CLEAN_SUFFIX not in test.columns:  # a registry carries its true label
            test = test.assign(**{spec.target + CLEAN_SUFFIX: test[spec.target]})
        table = pd.concat([*parts, test], ignore_index=True)
        meta = {**rows.attrs.get("fairldp", {}), "label_bias": {
            "kind": kind, "rate": rate, "attribute": attribute, "group": group,
            "positives_only": positives_only, "realised_rate": realised}}  # fmt: skip
        write_parquet(table, out, meta=meta)
        log.info("label bias %s on %s=%s with rate %s: realised %s of eligible rows changed",
                 kind, attribute, group, rate, {s: round(r, 4) for s, r in realised.items()})
