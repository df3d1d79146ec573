"""Represent: fit a representation on the released training rows; transform train and test.

``represented/{dataset}/{privatizer}/eps{eps}/{representation}/{block}.parquet`` (fitted
kinds only; stateless ones are applied where they are read, :func:`iter_features`):
``budget_split``, ``seed`` (int32), ``amount`` (float64; NaN for kinds without amounts; 1 for
the full repair of an interpolating kind, metadata ``interpolated``: the amounts the reader
computes as ``(1 - lambda) x + lambda T(x)``), then the features the representation changed
(float32 unless the kind keeps the released dtypes;
one-hot blocks stored as codes, see :mod:`fairldp.io`); per (budget split, seed) and amount,
the training rows then the test rows, in the order of the release. The rows' keys (``part``,
``row_id``, ``y``, ``z``) and the features equal to the release's own in every row (metadata
``from_release``) are not repeated: :func:`iter_features` takes them from the release and
checks the row counts. Metadata: the release's (``ledger``, ``group``, ...),
``representation`` (the resolved parameters), ``features`` (all, in order), ``numeric`` (the
features that are numeric: the leakage audit's second view).

Reads only released tables: :func:`fairldp.privacy.require_released` refuses anything else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from fairldp.datasets import get_dataset
from fairldp.datasets.raw import check_categories
from fairldp.io import check_made_for, read_parquet, write_parquet
from fairldp.privacy import (
    group_noise_model,
    identity_noise_model,
    require_declared,
    require_no_raw_sensitive,
    require_released,
    row_digest,
)
from fairldp.representations import REPRESENTATIONS, Groups, Layout, Representation
from fairldp.rng import derive_int_seed
from fairldp.runlog import log, timed

__all__ = ["Block", "build_representation", "iter_features", "load_release", "represent"]

def build_representation(params: Mapping[str, Any]) -> Representation:
    """The representation of resolved ``params`` (``kind`` and the kind's parameters)."""
    params = dict(params)
    cls = REPRESENTATIONS.get(params.pop("kind"))
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})


def load_release(
    path: str, dataset: str, expect: Mapping[str, Any] | None = None, *, public: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A released table (privatize stage) joined to its ``public`` rows (publish stage), with
    its categorical features restored, and its metadata: per budget split, ``budget_split``,
    the public columns (``part``, ``seed``, ``row_id``, ``y``, the non-sensitive features),
    the reports and ``z``. Refuses a table that is not a release (privacy boundary), that was
    made for other keys than ``dataset`` and ``expect`` (privatizer, epsilon, seeds), or that
    was drawn for other rows than the public ones (row count and digest of their keys)."""
    spec = get_dataset(dataset)
    table = read_parquet(path)
    meta = table.attrs["fairldp"]
    require_released(table, spec.sensitive_names, source=str(path))
    check_made_for(path, meta, dataset=dataset, **(expect or {}))
    rows = read_parquet(public)
    require_no_raw_sensitive(rows, spec.sensitive_names, source=str(public))
    check_made_for(public, rows.attrs["fairldp"], dataset=dataset, seeds=meta["seeds"])
    seed, part = rows["seed"].to_numpy(), rows["part"].to_numpy()
    order = [np.flatnonzero((seed == s) & (part == p)) for s in meta["seeds"]
             for p in ("train", "test")]  # fmt: skip
    rows = rows.iloc[np.concatenate(order)].reset_index(drop=True)
    pinned = meta.get("public") or {}
    if pinned.get("rows") != len(rows) or pinned.get("digest") != row_digest(rows):
        raise ValueError(f"{path} was released for other rows than those of {public} (seeds "
                         f"{meta['seeds']}): rebuild the release")  # fmt: skip
    n_splits, rest = divmod(len(table), len(rows)) if len(rows) else (0, len(table))
    starts = np.arange(n_splits) * len(rows)
    split_of = table["budget_split"].to_numpy()
    if rest or (split_of[starts] != split_of[starts + len(rows) - 1]).any():
        raise ValueError(f"{path}: {len(table)} released rows are not whole budget splits of "
                         f"the {len(rows)} public rows of {public}")  # fmt: skip
    own = table.drop(columns=["budget_split"]).reset_index(drop=True)
    # whole-record releases stand in for the public columns they privatized: those are
    # dropped here, before anything downstream can read them
    replaced = _replaced(meta, spec, str(path))
    rows = rows.drop(columns=[c for c in rows.columns if c in replaced])
    joined = pd.concat([table[["budget_split"]].reset_index(drop=True),
                        pd.concat([rows] * n_splits, ignore_index=True), own],
                       axis=1)  # fmt: skip
    joined.attrs["fairldp"] = meta
    joined = check_categories(joined, spec, source=str(public),
                              only=[a for a in spec.categorical if a.name not in replaced])
    return joined, meta


def _replaced(meta: Mapping[str, Any], spec: Any, source: str) -> set[str]:
    """The public columns a release stands in for (the same in every budget split), after
    :func:`fairldp.privacy.require_declared` checked that every feature is privatized or
    declared public."""
    out: set[str] | None = None
    for ledger in meta["ledger"].values():
        require_declared(ledger, spec, source)
        cols = set(ledger.get("replaces", ()))
        if out is not None and cols != out:
            raise ValueError(f"{source}: budget splits privatize different columns")
        out = cols
    return out or set()


def layout_of(dataset: str, meta: Mapping[str, Any], budget_split: str, has_z: bool) -> Layout:
    spec = get_dataset(dataset)
    replaced = set(meta["ledger"][budget_split].get("replaces", ()))
    return Layout(
        categorical=tuple(a.name for a in spec.categorical if a.name not in replaced),
        numeric=tuple(spec.numeric),
        reports={a: tuple(c) for a, c in meta["ledger"][budget_split]["reports"].items()},
        group=meta.get("group") if has_z else None,
    )


def _groups(part: Mapping[str, pd.DataFrame], meta: Mapping[str, Any], budget_split: str,
            cache: dict[str, Any]) -> Groups | None:  # fmt: skip
    """The decoded group of the rows and its channel (None if the group was not released)."""
    ledger = meta["ledger"][budget_split]
    if "z" not in part["train"].columns or not ledger.get("group"):
        return None
    if budget_split not in cache:
        cache[budget_split] = group_noise_model(ledger)
    k = len(ledger["group"]["domain"])
    return Groups(part["train"]["z"].to_numpy(np.int64), part["test"]["z"].to_numpy(np.int64),
                  k, cache[budget_split])  # fmt: skip


@dataclass
class Block:
    """The features of one (budget split, seed, amount) for a learner or an audit."""

    budget_split: str
    seed: int
    amount: float | None
    train: pd.DataFrame
    test: pd.DataFrame
    y_train: np.ndarray
    train_ids: np.ndarray
    test_ids: np.ndarray
    groups: Groups | None
    group_reports: list[str]
    numeric: list[str]
    #: the label of the test rows as released (the public one, or the privatized one of a
    #: whole record with ``test: privatized``): the membership audit's non-members
    y_test: np.ndarray | None = None

    def noise_model(self) -> Any:
        """The group's channel for corrected methods (identity without privatization)."""
        if self.groups is None:
            raise ValueError("the group attribute was not released: no noise model")
        return self.groups.noise or identity_noise_model(self.groups.k)


def _parts(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The training and test rows, without the table's metadata: pandas deep-copies
    ``attrs`` into every column it hands out, which made reading the features of a block
    cost more than fitting a model on them (the metadata travels as ``meta``)."""
    out = {}
    for p in ("train", "test"):
        part = rows[rows["part"] == p].reset_index(drop=True)
        part.attrs = {}
        out[p] = part
    return out


def _blocks(
    table: pd.DataFrame,
    meta: Mapping[str, Any],
    dataset: str,
    seeds: list[int],
    by_amount: bool = False,
) -> Iterator[tuple[tuple[Any, ...], dict[str, pd.DataFrame], Layout, Groups | None]]:
    """The rows of each (budget split, seed[, amount]) of ``seeds``: the key, the training and
    test rows, the layout of the columns and the decoded group with its channel."""
    cache: dict[str, Any] = {}  # one noise model per budget split
    keys = ["budget_split", "seed", *(["amount"] if by_amount else [])]
    for key, rows in table.groupby(keys, sort=True, dropna=False):
        if int(key[1]) not in seeds:
            continue
        part = _parts(rows)
        layout = layout_of(dataset, meta, key[0], "z" in rows.columns)
        yield key, part, layout, _groups(part, meta, key[0], cache)


def represent(
    dataset: str,
    release: str,
    out: str,
    representation: Mapping[str, Any],
    seeds: list[int],
    privatizer: str | None = None,
    eps: str | None = None,
    *,
    public: str,
) -> None:
    """Fit ``representation`` on the training rows of every (budget split, seed) of the block
    (the release joined to its ``public`` rows)
    (random state ``derive_int_seed(seed, "represent", dataset, kind)``); write the features
    of the training and test rows, for every repair amount."""
    with timed("represent"):
        rep = build_representation(representation)
        fit = replace(rep, amounts=(1.0,)) if rep.interpolates else rep  # T(x) once
        expect = {"privatizer": privatizer, "epsilon": eps, "seeds": list(seeds)}
        table, meta = load_release(release, dataset, expect, public=public)
        frames, features, numeric = [], None, None
        unchanged: set[str] | None = None  # features equal to the release's own, everywhere
        for (_, seed), part, layout, groups in _blocks(table, meta, dataset, seeds):
            rs = derive_int_seed(int(seed), "represent", dataset, rep.kind)
            plain = _released_features(part, layout, groups)
            for fitted in fit.fit_transform(part["train"], part["test"], layout, groups,
                                            part["train"]["y"].to_numpy(), rs):  # fmt: skip
                for name, x in (("train", fitted.train), ("test", fitted.test)):
                    head = pd.DataFrame({"budget_split": part[name]["budget_split"].to_numpy(),
                                         "seed": part[name]["seed"].to_numpy(np.int32),
                                         "amount": np.nan if fitted.amount is None
                                         else fitted.amount})  # fmt: skip
                    frames.append(pd.concat([head, x.reset_index(drop=True)], axis=1))
                    same = {c for c in x.columns if c in plain[name].columns and np.array_equal(
                        x[c].to_numpy(np.float64), plain[name][c].to_numpy(np.float64))}
                    unchanged = same if unchanged is None else unchanged & same
                features = list(fitted.train.columns)
                numeric = [c for c in layout.numeric if c in features]
        if not frames:
            raise ValueError(f"{release}: no rows for seeds {seeds}")
        from_release = [c for c in features or [] if c in (unchanged or set())]
        out_meta = {**meta, "representation": dict(representation), "features": features,
                    "numeric": numeric, "seeds": list(seeds), "from_release": from_release,
                    "interpolated": list(rep.amounts) if rep.interpolates else None}  # fmt: skip
        table = pd.concat(frames, ignore_index=True).drop(columns=from_release)
        # float32 features: 7 significant digits (a raw value at amount 0 is rounded to them)
        floats = [c for c in features or [] if c in table and table[c].dtype == np.float64]
        table[floats] = table[floats].astype(np.float32)
        write_parquet(table, out, meta=out_meta)
        log.info("represented %s with %s: %d features", dataset, rep.kind, len(features or []))


def _released_features(
    part: Mapping[str, pd.DataFrame], layout: Layout, groups: Groups | None
) -> dict[str, pd.DataFrame]:
    """The features of the release itself (the stateless identity representation)."""
    (fitted,) = build_representation({"kind": "identity"}).fit_transform(
        part["train"], part["test"], layout, groups, part["train"]["y"].to_numpy(), 0)
    return {"train": fitted.train.reset_index(drop=True),
            "test": fitted.test.reset_index(drop=True)}  # fmt: skip


def iter_features(
    path: str,
    dataset: str,
    representation: Mapping[str, Any],
    seeds: list[int],
    expect: Mapping[str, Any] | None = None,
    release: str | None = None,
    *,
    public: str,
) -> Iterator[Block]:
    """The feature blocks of a represented artifact, or of a release under a stateless
    representation (computed here), for the given seeds; ``expect``: the keys (privatizer,
    epsilon) the artifact must have been made for; ``release``: the release a represented
    artifact was fitted on (its rows and the features it did not change); ``public``: the
    public rows the release is joined to (:func:`load_release`)."""
    rep = build_representation(representation)
    expect = {**(expect or {}), "seeds": list(seeds)}
    if rep.stateless:
        table, meta = load_release(path, dataset, expect, public=public)
    else:
        table = read_parquet(path)
        meta = table.attrs["fairldp"]
        require_released(table, get_dataset(dataset).sensitive_names, source=str(path))
        check_made_for(path, meta, dataset=dataset, **expect)
        if meta.get("representation") != dict(representation):
            raise ValueError(f"{path} holds representation {meta.get('representation')}, not "
                             f"{dict(representation)}")  # fmt: skip
    if rep.stateless:
        for (budget_split, seed), part, layout, groups in _blocks(table, meta, dataset, seeds):
            (fitted,) = rep.fit_transform(part["train"], part["test"], layout, groups,
                                          part["train"]["y"].to_numpy(), 0)  # fmt: skip
            yield _block(budget_split, int(seed), None, fitted.train, fitted.test, part, layout,
                         groups, list(layout.numeric))  # fmt: skip
        return
    if release is None:
        raise ValueError(f"{path} holds the features its representation changed; the rows and "
                         "the other features are its release's: pass release=")  # fmt: skip
    rel, rel_meta = load_release(release, dataset, expect, public=public)
    stored = {(b, int(sd)): rows for (b, sd), rows in
              table.groupby(["budget_split", "seed"], sort=True) if int(sd) in seeds}  # fmt: skip
    found = set()
    features, kept = meta["features"], meta["from_release"]
    for (budget_split, seed), part, layout, groups in _blocks(rel, rel_meta, dataset, seeds):
        seed = int(seed)
        base = _released_features(part, layout, groups)
        rows = stored.get((budget_split, seed))
        if rows is None:
            raise ValueError(f"{path} has no rows for {budget_split}, seed {seed} of its release "
                             f"{release}: not made from this release")  # fmt: skip
        found.add((budget_split, seed))
        n_train, n_test = len(part["train"]), len(part["test"])
        for amount, x in _amounts(rows, meta.get("interpolated"), base):
            x = x.drop(columns=["budget_split", "seed", "amount"]).reset_index(drop=True)
            if len(x) != n_train + n_test:
                raise ValueError(f"{path} holds {len(x)} rows for {budget_split}, seed {seed}, "
                                 f"amount {amount}; its release {release} has {n_train} + "
                                 f"{n_test}: not made from this release")  # fmt: skip
            train = pd.concat([x.iloc[:n_train].reset_index(drop=True), base["train"][kept]],
                              axis=1)[features]  # fmt: skip
            test = pd.concat([x.iloc[n_train:].reset_index(drop=True), base["test"][kept]],
                             axis=1)[features]  # fmt: skip
            yield _block(budget_split, seed, None if pd.isna(amount) else float(amount), train,
                         test, part, layout, groups, list(meta["numeric"]))  # fmt: skip
    if set(stored) - found:
        extra = sorted(set(stored) - found)[0]
        raise ValueError(f"{path} holds rows for {extra[0]}, seed {extra[1]} that its release "
                         f"{release} lacks: not made from this release")  # fmt: skip


def _amounts(
    rows: pd.DataFrame, interpolated: list[float] | None, base: Mapping[str, pd.DataFrame]
) -> Iterator[tuple[Any, pd.DataFrame]]:
    """The stored rows of one (budget split, seed) per amount; for an interpolating kind
    (stored: the full repair ``T(x)`` at amount 1), ``(1 - lambda) x + lambda T(x)`` for
    every amount ``lambda`` of ``interpolated``, ``x`` the released features."""
    if interpolated is None:
        yield from rows.groupby("amount", sort=True, dropna=False)
        return
    x = pd.concat([base["train"], base["test"]], ignore_index=True)
    full = rows.reset_index(drop=True)
    changed = [c for c in full.columns if c not in ("budget_split", "seed", "amount")]
    if len(full) != len(x):  # the caller's row check names the files
        yield 1.0, full
        return
    for lam in sorted(interpolated):
        out = full.copy()
        out["amount"] = lam
        for c in changed:
            out[c] = (1.0 - lam) * x[c].to_numpy(np.float64) + lam * full[c].to_numpy(np.float64)
        yield lam, out


def _block(budget_split: str, seed: int, amount: float | None, train: pd.DataFrame,
           test: pd.DataFrame, part: Mapping[str, pd.DataFrame], layout: Layout,
           groups: Groups | None, numeric: list[str]) -> Block:  # fmt: skip
    group_reports = list(layout.reports.get(layout.group, ())) if layout.group else []
    return Block(budget_split, seed, amount, train, test, part["train"]["y"].to_numpy(),
                 part["train"]["row_id"].to_numpy(np.int32),
                 part["test"]["row_id"].to_numpy(np.int32), groups,
                 [c for c in group_reports if c in train.columns], numeric,
                 part["test"]["y"].to_numpy())  # fmt: skip
