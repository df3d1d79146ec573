"""The privacy boundary: training code refuses raw sensitive attributes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairldp import pipeline
from fairldp.datasets import get_dataset, prepare
from fairldp.io import write_parquet
from fairldp.privacy import PrivacyBoundaryError, privatize, require_privatized


@pytest.fixture(scope="module")
def german(raw_dir: Path) -> pd.DataFrame:
    return prepare(get_dataset("german"), raw_dir)


def test_privatize_replaces_every_sensitive_attribute_and_marks_it(german: pd.DataFrame) -> None:
    spec = get_dataset("german")
    priv = privatize(german, spec, "grr", 0.5, "uniform", seed=0)
    info = require_privatized(priv, spec.sensitive_names)
    assert info["protocol"] == "grr" and info["attributes"] == spec.sensitive_names
    assert sum(info["epsilons"].values()) == pytest.approx(0.5)
    for a in spec.sensitive_names:
        # GRR with k=2 and eps/3 keeps a value w.p. p = e^(1/6)/(e^(1/6)+1) ~ 0.54: many change
        assert (priv[a] != german[a]).mean() > 0.3
        assert list(priv[a].cat.categories) == list(german[a].cat.categories)
    for c in [*spec.feature_names, spec.target]:
        assert priv[c].equals(german[c])  # nothing else is touched
    assert german.attrs.get("fairldp", {}).get("privatized") is None  # input not modified


def test_raw_frame_is_refused(german: pd.DataFrame) -> None:
    with pytest.raises(PrivacyBoundaryError, match="not privatized"):
        require_privatized(german, get_dataset("german").sensitive_names)


def test_partially_privatized_frame_is_refused(german: pd.DataFrame) -> None:
    spec = get_dataset("german")
    priv = privatize(german, spec, "grr", 1.0, "uniform", seed=0, attributes=["sex"])
    with pytest.raises(PrivacyBoundaryError, match=r"\['age_group', 'foreign_worker'\]"):
        require_privatized(priv, spec.sensitive_names)


def test_non_private_baseline_is_marked_as_such(german: pd.DataFrame) -> None:
    spec = get_dataset("german")
    base = privatize(german, spec, "none", float("inf"), "none", seed=0)
    assert require_privatized(base, spec.sensitive_names)["protocol"] == "none"
    assert base["sex"].equals(german["sex"])


def test_represent_stage_refuses_raw_training_rows(tmp_path: Path, german: pd.DataFrame) -> None:
    # a train split straight from the split stage (raw values) must not reach the model
    raw_train = german.assign(seed=np.int32(0))
    write_parquet(raw_train, tmp_path / "train.parquet", meta={"dataset": "german"})
    with pytest.raises(PrivacyBoundaryError):
        pipeline.represent(
            "german",
            tmp_path / "train.parquet",
            tmp_path / "train.parquet",
            tmp_path / "rep.parquet",
        )
    assert not (tmp_path / "rep.parquet").exists()


def test_train_stage_refuses_a_table_without_privatization_record(tmp_path: Path) -> None:
    df = pd.DataFrame({"seed": [0], "row_id": [0], "part": ["train"], "y": [1], "x": [0.0]})
    write_parquet(df, tmp_path / "rep.parquet", meta={"features": ["x"]})
    with pytest.raises(PrivacyBoundaryError):
        pipeline.train(
            "german",
            tmp_path / "rep.parquet",
            tmp_path / "pred.parquet",
            models=["logistic_regression"],
            seeds=[0],
        )


def test_streams_are_shared_across_budget_splits(german: pd.DataFrame) -> None:
    # streams are keyed by (seed, dataset, protocol, total eps, attribute), not by the split:
    # when all domains have the same size (German: k = 2, 2, 2) both splits give the same
    # budgets and hence identical reports (common random numbers across splits)
    spec = get_dataset("german")
    uni = privatize(german, spec, "grr", 3.0, "uniform", seed=4)
    kb = privatize(german, spec, "grr", 3.0, "k_based", seed=4)
    other_seed = privatize(german, spec, "grr", 3.0, "uniform", seed=5)
    for a in spec.sensitive_names:
        assert uni[a].equals(kb[a])
    assert not uni["sex"].equals(other_seed["sex"])
