"""The privacy boundary: training code refuses raw sensitive attributes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairldp import pipeline
from fairldp.datasets import get_dataset, prepare
from fairldp.io import write_parquet
from fairldp.ldp import PROTOCOLS
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
    assert not set(spec.sensitive_names) & set(priv.columns)  # raw columns are gone
    assert info["features"] == [f"{a.name}={v}" for a in spec.sensitive for v in a.domain]
    for a in spec.sensitive_names:
        # GRR with k=2 and eps/3: P(keep) = e^(1/6)/(e^(1/6)+1) ~ 0.54, so many reports differ
        kept = priv[f"{a}={german[a].cat.categories[0]}"] == (german[a].cat.codes == 0)
        assert 0.45 < kept.mean() < 0.65  # 1000 rows: sd 0.016
        assert (priv[[c for c in info["features"] if c.startswith(f"{a}=")]].sum(axis=1) == 1).all()
    for c in [*spec.feature_names, spec.target]:
        assert priv[c].equals(german[c])  # nothing else is touched
    assert german.attrs.get("fairldp", {}).get("privatized") is None  # input not modified


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_every_protocol_gives_report_features_over_the_domain(
    german: pd.DataFrame, protocol: str
) -> None:
    spec = get_dataset("german")
    priv = privatize(german, spec, protocol, 2.0, "k_based", seed=1)
    cols = require_privatized(priv, spec.sensitive_names)["features"]
    x = priv[cols].to_numpy()
    assert x.shape == (len(german), sum(a.k for a in spec.sensitive))
    assert np.isfinite(x).all()


def test_raw_frame_is_refused(german: pd.DataFrame) -> None:
    with pytest.raises(PrivacyBoundaryError, match="not privatized"):
        require_privatized(german, get_dataset("german").sensitive_names)


def test_partially_privatized_frame_is_refused(german: pd.DataFrame) -> None:
    spec = get_dataset("german")
    priv = privatize(german, spec, "grr", 1.0, "uniform", seed=0, attributes=["sex"])
    with pytest.raises(PrivacyBoundaryError, match=r"\['age_group', 'foreign_worker'\]"):
        require_privatized(priv, spec.sensitive_names)


def test_frame_without_marker_is_refused(german: pd.DataFrame) -> None:
    spec = get_dataset("german")
    features = german.drop(columns=spec.sensitive_names)
    with pytest.raises(PrivacyBoundaryError, match="no privatization record"):
        require_privatized(features, spec.sensitive_names)


def test_non_private_baseline_is_marked_as_such(german: pd.DataFrame) -> None:
    spec = get_dataset("german")
    base = privatize(german, spec, "none", float("inf"), "none", seed=0)
    assert require_privatized(base, spec.sensitive_names)["protocol"] == "none"
    assert (base["sex=female"] == (german["sex"] == "female")).all()


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
    cols = uni.attrs["fairldp"]["privatized"]["features"]
    assert uni[cols].equals(kb[cols])
    assert not uni[cols].equals(other_seed[cols])
