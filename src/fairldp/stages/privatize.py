"""Privatize: the privacy boundary of the chain (:mod:`fairldp.privacy`).

``public/{dataset}/{block}.parquet`` (:func:`publish`): what is public about the rows of a
split block, once for every release drawn from it (:func:`fairldp.privacy.public_rows`):
``part`` ('train'/'test'), ``seed`` (int32), ``row_id`` (int32), ``y`` (int8, the label the
learner sees: biased if the study biases labels) and the non-sensitive features as prepared;
per seed, the training rows then the test rows. No sensitive column. Metadata: ``dataset``,
``seeds``.

``privatized/{dataset}/{privatizer}/eps{eps}/{block}.parquet`` (:func:`privatize`): per
budget split, one row per public row of the release's seeds, in their order:
``budget_split`` (string; ``none`` for the non-private privatizer), the report encodings
``attribute=value`` of the released sensitive attributes (uint8, stored as codes; float32 for
SHE) and ``z`` (int16), the decoded group, if the group attribute is released and decodable.
Whole-record privatizers (``settings["record"]``, :func:`fairldp.privacy.release_record`) add
the reports of the privatized features (``feature=value``, uint8 or float32 for the unbiased
encoding; numeric features float32 under their own name, original units) and ``y`` (int8, the
released label), which stand in for the public columns of those names (ledger ``replaces``).
No raw sensitive column, and nothing public repeated: the reader joins the public rows
(:func:`fairldp.stages.represent.load_release`), whose row keys the release pins by their
digest. Metadata: ``dataset``, ``privatizer``, ``epsilon``, ``seeds``, ``test``
('clean'/'privatized'), ``group``, ``ledger`` (per budget split,
:func:`fairldp.privacy.release`) and ``public`` (``rows`` and ``digest``,
:func:`fairldp.privacy.row_digest`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fairldp.config import parse_epsilon
from fairldp.datasets import get_dataset
from fairldp.io import write_parquet
from fairldp.privacy import (
    LABEL_COLUMN,
    NON_PRIVATE,
    numeric_bounds,
    one_hot,
    public_rows,
    release,
    release_record,
    row_digest,
)
from fairldp.runlog import log, timed
from fairldp.stages.data import load_rows

__all__ = ["privatize", "publish"]


def publish(dataset: str, rows: str, out: str, seeds: Sequence[int]) -> None:
    """Write the public rows of the block's ``seeds`` (:func:`fairldp.privacy.public_rows`)."""
    with timed("publish"):
        table = load_rows(rows, dataset)
        _require_seeds(table, seeds, rows)
        public = public_rows(table, get_dataset(dataset), seeds)
        write_parquet(public, out, meta={"dataset": dataset, "seeds": [int(s) for s in seeds]})
        log.info("published %s: %d rows x %d columns, seeds %s", dataset, *public.shape,
                 list(seeds))  # fmt: skip


def _require_seeds(table: pd.DataFrame, seeds: Sequence[int], source: str) -> None:
    missing = sorted(set(int(s) for s in seeds) - set(table["seed"].unique()))
    if missing:
        raise ValueError(f"{source}: no rows for seeds {missing}")


def privatize(
    dataset: str,
    rows: str,
    out: str,
    privatizer: str,
    eps: str,
    settings: Mapping[str, Any],
    seeds: Sequence[int],
) -> None:
    """Release the sensitive attributes of the training rows (and of the test rows if the
    privatizer says ``test: privatized``) of every seed and budget split of the block.

    ``settings`` (:meth:`fairldp.plan.Plan.privatizer_params`): ``protocol``,
    ``budget_splits``, ``attributes`` (released), ``test``, ``group`` (the group attribute,
    decoded to ``z`` if released) and optionally ``clear`` (sensitive attributes released
    as they are: :func:`fairldp.privacy.release`) and ``record`` (whole-record LDP: the
    privatized ``features``, ``label``, ``categorical``, ``numeric``, ``bounds`` (declared
    ranges; others from the seed's rows, :func:`fairldp.privacy.numeric_bounds`),
    ``weights``, ``sampled``, ``encoding``). Random streams: :func:`fairldp.privacy.release`
    and :func:`fairldp.ldp.record.privatize_record`.
    """
    protocol, budget_splits = settings["protocol"], settings["budget_splits"]
    attributes, test, group = settings["attributes"], settings["test"], settings["group"]
    clear = list(settings.get("clear", ()))
    record = settings.get("record")
    with timed("privatize"):
        spec = get_dataset(dataset)
        epsilon = parse_epsilon(eps)
        table = load_rows(rows, dataset)
        _require_seeds(table, seeds, rows)
        public = public_rows(table, spec, seeds)
        group = group if group in attributes else None
        splits = [NON_PRIVATE] if protocol == NON_PRIVATE else list(budget_splits)
        frames, ledgers = [], {}
        for budget_split in splits:
            for seed in seeds:
                seed_rows = table[table["seed"] == seed]
                bounds = None if record is None else numeric_bounds(
                    seed_rows, spec, record["bounds"])  # fmt: skip
                for part in ("train", "test"):
                    part_rows = seed_rows[seed_rows["part"] == part]
                    if part == "test" and test == "clean":
                        released = _clean(part_rows, spec, [*attributes, *clear], group,
                                          train=frames[-1])
                    elif record is not None:
                        released, ledger = release_record(
                            part_rows, spec, protocol, epsilon, budget_split, int(seed),
                            attributes, record["features"], record["label"], bounds, group,
                            part=None if part == "train" else part, clear=clear,
                            categorical=record["categorical"], numeric=record["numeric"],
                            weights=record["weights"], sampled=record["sampled"],
                            encoding=record["encoding"],
                        )  # fmt: skip
                        ledgers[budget_split] = ledger
                    else:
                        released, ledger = release(
                            part_rows, spec, protocol, epsilon, budget_split, int(seed),
                            attributes, group, part=None if part == "train" else part,
                            clear=clear,
                        )  # fmt: skip
                        ledgers[budget_split] = ledger
                    replaced = set(ledgers[budget_split].get("replaces", ()))
                    frames.append(_finish(released, budget_split,
                                          [c for c in part_rows.columns if c not in replaced]))
        out_table = pd.concat(frames, ignore_index=True)
        if len(out_table) != len(splits) * len(public):  # the order is public_rows'
            raise AssertionError(f"{len(out_table)} released rows for {len(public)} public rows")
        meta = {"dataset": dataset, "privatizer": privatizer, "epsilon": eps,
                "seeds": [int(s) for s in seeds], "test": test, "group": group,
                "ledger": ledgers,
                "public": {"rows": len(public), "digest": row_digest(public)}}  # fmt: skip
        write_parquet(out_table, out, meta=meta)
        for budget_split, ledger in ledgers.items():
            log.info("privatized %s with %s (%s) at eps=%s: per-attribute epsilons %s",
                     dataset, protocol, budget_split, eps, ledger["epsilons"])  # fmt: skip


def _clean(rows: pd.DataFrame, spec, attributes: Sequence[str], group: str | None,
           train: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    """Test rows as they are (``test: clean``): the true values one-hot, in the training rows'
    report columns and dtypes, and ``z`` the true group. Whole-record releases: the true
    values of the privatized features too (one-hot, numeric as they are) and the label."""
    cats = {a.name for a in spec.categorical}
    names = [*attributes, *(c.split("=", 1)[0] for c in train.columns
                            if "=" in c and c.split("=", 1)[0] in cats)]  # fmt: skip
    features = one_hot(rows, spec, list(dict.fromkeys(names)))
    reports = [c for c in train.columns if c in features.columns]
    out = {c: features[c].to_numpy().astype(train[c].dtype, copy=False) for c in reports}
    for c in train.columns:
        if c in spec.numeric:
            out[c] = rows[c].to_numpy().astype(train[c].dtype)
        elif c == LABEL_COLUMN:
            out[c] = rows[spec.target].to_numpy(np.int8)
    if group is not None and "z" in train.columns:
        out["z"] = rows[group].cat.codes.to_numpy().astype(np.int16)
    return pd.DataFrame(out, index=features.index)


def _finish(released: pd.DataFrame, budget_split: str, given: Sequence[str]) -> pd.DataFrame:
    """``budget_split``, then the columns the release added to the ``given`` ones (the
    reports and ``z``), in the order of the rows (that of their public rows)."""
    keep = [c for c in released.columns if c not in set(given)]
    lead = pd.DataFrame({"budget_split": np.repeat(budget_split, len(released))})
    return pd.concat([lead, released[keep].reset_index(drop=True)], axis=1)
