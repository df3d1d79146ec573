"""Privatize: the privacy boundary of the chain (:mod:`fairldp.privacy`).

``privatized/{dataset}/{privatizer}/eps{eps}/{block}.parquet``: one block of rows per
(``budget_split``, ``seed``, ``part``): ``budget_split`` (string; ``none`` for the non-private
privatizer), ``part`` ('train'/'test'), ``seed`` (int32), ``row_id`` (int32), ``y`` (int8, the
label the learner sees: biased if the study biases labels), the non-sensitive features as
prepared, the report encodings ``attribute=value`` of the released sensitive attributes
(uint8; float32 for SHE) and ``z`` (int16), the decoded group, if the group attribute is
released and decodable. No raw sensitive column. Metadata: ``dataset``, ``privatizer``,
``epsilon``, ``seeds``, ``test`` ('clean'/'privatized'), ``group`` and ``ledger`` (per budget
split, :func:`fairldp.privacy.release`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fairldp.config import parse_epsilon
from fairldp.datasets import get_dataset
from fairldp.io import write_parquet
from fairldp.labelbias import CLEAN_SUFFIX
from fairldp.privacy import NON_PRIVATE, one_hot, release
from fairldp.runlog import log, timed
from fairldp.stages.data import load_rows

__all__ = ["privatize"]


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
    ``budget_splits``, ``attributes`` (released), ``test`` and ``group`` (the group attribute,
    decoded to ``z`` if released). Random streams: :func:`fairldp.privacy.release`.
    """
    protocol, budget_splits = settings["protocol"], settings["budget_splits"]
    attributes, test, group = settings["attributes"], settings["test"], settings["group"]
    with timed("privatize"):
        spec = get_dataset(dataset)
        epsilon = parse_epsilon(eps)
        table = load_rows(rows, dataset)
        missing = sorted(set(seeds) - set(table["seed"].unique()))
        if missing:
            raise ValueError(f"{rows}: no rows for seeds {missing}")
        group = group if group in attributes else None
        splits = [NON_PRIVATE] if protocol == NON_PRIVATE else list(budget_splits)
        frames, ledgers = [], {}
        for budget_split in splits:
            for seed in seeds:
                seed_rows = table[table["seed"] == seed]
                for part in ("train", "test"):
                    part_rows = seed_rows[seed_rows["part"] == part]
                    if part == "test" and test == "clean":
                        released = _clean(part_rows, spec, attributes, group, train=frames[-1])
                    else:
                        released, ledger = release(
                            part_rows, spec, protocol, epsilon, budget_split, int(seed),
                            attributes, group, part=None if part == "train" else part,
                        )  # fmt: skip
                        ledgers[budget_split] = ledger
                    frames.append(_finish(released, spec, budget_split))
        out_table = pd.concat(frames, ignore_index=True)
        meta = {"dataset": dataset, "privatizer": privatizer, "epsilon": eps,
                "seeds": [int(s) for s in seeds], "test": test, "group": group,
                "ledger": ledgers}  # fmt: skip
        write_parquet(out_table, out, meta=meta)
        for budget_split, ledger in ledgers.items():
            log.info("privatized %s with %s (%s) at eps=%s: per-attribute epsilons %s",
                     dataset, protocol, budget_split, eps, ledger["epsilons"])  # fmt: skip


def _clean(rows: pd.DataFrame, spec, attributes: Sequence[str], group: str | None,
           train: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    """Test rows as they are (``test: clean``): the true values one-hot, in the training rows'
    report columns and dtypes, and ``z`` the true group."""
    features = one_hot(rows, spec, attributes)
    reports = [c for c in train.columns if c in features.columns]
    features = features[reports].astype(train[reports].dtypes.to_dict())
    out = pd.concat([rows.drop(columns=spec.sensitive_names), features], axis=1)
    if group is not None and "z" in train.columns:
        out["z"] = rows[group].cat.codes.to_numpy().astype(np.int16)
    return out


def _finish(released: pd.DataFrame, spec, budget_split: str) -> pd.DataFrame:
    """Fixed leading columns: budget_split, part, seed, row_id, y; then the rest."""
    lead = pd.DataFrame({
        "budget_split": budget_split,
        "part": released["part"].to_numpy(),
        "seed": released["seed"].to_numpy(np.int32),
        "row_id": released["row_id"].to_numpy(np.int32),
        "y": released[spec.target].to_numpy(np.int8),
    })  # fmt: skip
    drop = [c for c in ("part", "seed", "row_id", spec.target, spec.target + CLEAN_SUFFIX)
            if c in released.columns]  # fmt: skip
    return pd.concat([lead, released.drop(columns=drop).reset_index(drop=True)], axis=1)
