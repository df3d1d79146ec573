"""Learn: fit a learner on the released (represented) training rows; score the test rows.

``predictions/{dataset}/{privatizer}/eps{eps}/{representation}/{learner}/{block}.parquet``:
``budget_split``, ``seed`` (int32), ``amount`` (float64, NaN for representations without
amounts), ``z`` (int16, the decoded group of the test row, if released), ``y_score`` (float32,
P(Y=1)), ``y_pred`` (int8: the learner's prediction); per (budget split, seed, amount), one
row per test row of the seed, in the order of the split (no row ids: the evaluation takes them
from the split, and checks them against ``test_rows``). Metadata: ``dataset``, ``privatizer``,
``epsilon``, ``representation`` (the artifact), ``learner`` and ``learner_params``, ``seeds``,
``test_rows`` (:func:`test_rows_digest` of the seeds' test rows, in order).

A learner with ``method: none`` fits its model on every feature of the representation; a fair
method gets the decoded group ``z`` separately (never its report block as a feature) and, if it
corrects for the noise, the exact channel of the release. Reads only the release or the
representation (:func:`fairldp.stages.represent.iter_features` checks the boundary).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from fairldp.io import write_parquet
from fairldp.rng import derive_int_seed
from fairldp.runlog import log, timed
from fairldp.stages.represent import Block, iter_features

__all__ = ["fit_predict", "learn", "model_input", "test_rows_digest"]


def model_input(frame: pd.DataFrame, sparse: bool = False, test: bool = False) -> Any:
    """The features of ``frame`` as a model reads them: a dense float64 array; for a model
    registered with ``sparse_input`` (:data:`fairldp.models.MODELS`), float32 when float32
    holds every value exactly (one-hot and report indicators, integer features: else float64),
    as a sparse column (CSC) matrix of the nonzero entries for the training rows (LightGBM
    builds its dataset column by column: ~40% cheaper than from a dense array) and a dense
    array for the test rows. The values are the same numbers in every case, so a
    model sees the same data (LightGBM: the same bins, trees and scores, bit for bit)."""
    if not sparse:
        return frame.to_numpy(np.float64)
    cols = [frame[c].to_numpy() for c in frame.columns]
    exact = all(a.dtype == np.float32 or (a.dtype.kind in "biu" and a.dtype.itemsize <= 2)
                or np.array_equal(a.astype(np.float32).astype(a.dtype), a,
                                  equal_nan=a.dtype.kind == "f")
                for a in cols)  # fmt: skip
    dtype = np.float32 if exact else np.float64
    if test:
        return frame.to_numpy(dtype)
    from scipy import sparse as sp

    rows = [np.flatnonzero(a) for a in cols]  # NaN is nonzero: kept, as in a dense array
    ptr = np.zeros(len(cols) + 1, np.int64)
    np.cumsum([len(r) for r in rows], out=ptr[1:])
    data = np.concatenate([a[r] for a, r in zip(cols, rows, strict=True)] or [[]]).astype(dtype)
    index = np.concatenate(rows or [[]]).astype(np.int32)
    return sp.csc_matrix((data, index, ptr), shape=frame.shape)


def test_rows_digest(seeds: list[int], ids: dict[int, np.ndarray]) -> str:
    """:func:`fairldp.privacy.row_digest` of the test rows ``ids[seed]`` of ``seeds``, in
    order: what a prediction file is pinned to."""
    from fairldp.privacy import row_digest

    seeds = [int(s) for s in seeds]
    return row_digest(pd.DataFrame({
        "seed": np.repeat(np.asarray(seeds, np.int32), [len(ids[s]) for s in seeds]),
        "part": "test",
        "row_id": np.concatenate([ids[s] for s in seeds]).astype(np.int32),
    }))  # fmt: skip


def fit_predict(
    block: Block, dataset: str, learner: Mapping[str, Any], *, train_scores: bool = False
) -> tuple[np.ndarray, ...]:
    """Scores P(Y=1) and predictions of the block's test rows from ``learner`` (``model``,
    ``method``, ``params``) fitted on its training rows. A plain model predicts ``score >=
    0.5``; a fair method predicts with its own ``predict`` (post-processing methods randomize
    between thresholds: their prediction is not the thresholded score). Random state:
    ``derive_int_seed(seed, "model", dataset, model)`` for a plain model (the stream of earlier
    versions), with the method's name appended for a fair method. ``train_scores``: also
    return the scores of the training rows (the membership audit's members), third."""
    from fairldp.models import MODELS, make_model

    model, method, params = learner["model"], learner["method"], dict(learner["params"])
    if method == "none":
        sparse = bool(MODELS.meta(model).get("sparse_input"))
        x_tr = model_input(block.train, sparse)
        x_te = model_input(block.test, sparse, test=True)
        est = make_model(model, derive_int_seed(block.seed, "model", dataset, model), **params)
        est.fit(x_tr, block.y_train)
        score = est.predict_proba(x_te)[:, 1]
        out = (score, (score >= 0.5).astype(np.int8))
        if not train_scores:
            return out
        return (*out, est.predict_proba(model_input(block.train, sparse, test=True))[:, 1])
    from fairldp.fair import METHODS
    from fairldp.fair.methods import make_method

    if not METHODS.meta(method).get("uses_groups", True):
        z_tr = np.zeros(len(block.train), np.int64)
        z_te = np.zeros(len(block.test), np.int64)
        noise = None
    else:
        if block.groups is None:
            raise ValueError(f"method {method!r} needs the decoded group, not released here")
        z_tr, z_te = block.groups.train, block.groups.test
        noise = block.noise_model() if METHODS.meta(method).get("needs_noise_model") else None
    keep = [c for c in block.train.columns if c not in block.group_reports]
    x_tr = block.train[keep].to_numpy(np.float64)
    x_te = block.test[keep].to_numpy(np.float64)
    est = make_method(method, noise, model, derive_int_seed(block.seed, "model", dataset, model,
                                                           method), **params)  # fmt: skip
    est.fit(x_tr, block.y_train.astype(np.int64), sensitive_features=z_tr)
    score = np.asarray(est.predict_proba(x_te, sensitive_features=z_te)[:, 1], dtype=np.float64)
    out = (score, np.asarray(est.predict(x_te, sensitive_features=z_te), dtype=np.int8))
    if not train_scores:
        return out
    return (*out, np.asarray(est.predict_proba(x_tr, sensitive_features=z_tr)[:, 1],
                             dtype=np.float64))  # fmt: skip


def learn(
    dataset: str,
    features: str,
    out: str,
    privatizer: str,
    eps: str,
    representation_name: str,
    representation: Mapping[str, Any],
    learner_name: str,
    learner: Mapping[str, Any],
    seeds: list[int],
    release: str | None = None,
    *,
    public: str,
) -> None:
    """Fit ``learner`` on every (budget split, seed, amount) of the block (``release``: the
    release the representation was fitted on, for the features it kept; ``public``: its
    public rows)."""
    with timed("learn"):
        frames, ids = [], {}
        made_for = {"privatizer": privatizer, "epsilon": eps}
        for block in iter_features(features, dataset, representation, seeds, made_for,
                                   release, public=public):  # fmt: skip
            score, pred = fit_predict(block, dataset, learner)
            ids.setdefault(block.seed, block.test_ids)
            frames.append(pd.DataFrame({
                "budget_split": block.budget_split,
                "seed": np.int32(block.seed),
                "amount": np.nan if block.amount is None else block.amount,
                **({"z": block.groups.test.astype(np.int16)} if block.groups else {}),
                "y_score": score.astype(np.float32),
                "y_pred": pred,
            }))  # fmt: skip
        if not frames:
            raise ValueError(f"{features}: no rows for seeds {seeds}")
        meta = {"dataset": dataset, "privatizer": privatizer, "epsilon": eps,
                "representation": representation_name, "learner": learner_name,
                "learner_params": dict(learner), "seeds": list(seeds),
                "test_rows": test_rows_digest(list(seeds), ids)}  # fmt: skip
        write_parquet(pd.concat(frames, ignore_index=True), out, meta=meta)
        log.info("learned %s (%s) on %s/%s/eps%s/%s: seeds %s", learner_name,
                 learner["method"], dataset, privatizer, eps, representation_name, list(seeds))
