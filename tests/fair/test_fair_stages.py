"""The fair-learning stages on German credit: privacy boundary, determinism, two audits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fairldp import pipeline
from fairldp.fair.stages import evaluate_methods, perturb_attribute, train_methods
from fairldp.io import read_parquet, write_parquet
from fairldp.privacy import PrivacyBoundaryError

METHODS = ["plain", "threshold_eo", "corrected_postproc_eo"]


@pytest.fixture(scope="module")
def cells(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("fair_stages")
    pipeline.prepare("german", raw_dir, d / "german.parquet")
    pipeline.split("german", d / "german.parquet", [0, 1], 0.3, d / "train.parquet",
                   d / "test.parquet")  # fmt: skip
    out = {"train": d / "train.parquet", "test": d / "test.parquet"}
    for protocol, eps in (("grr", 1.0), ("none", float("inf"))):
        pert, pred = d / f"pert_{protocol}.parquet", d / f"pred_{protocol}.parquet"
        perturb_attribute("german", out["train"], out["test"], pert, protocol, eps, [0, 1])
        train_methods("german", pert, pred, METHODS)
        out[f"pert_{protocol}"], out[f"pred_{protocol}"] = pert, pred
    evaluate_methods([out["pred_grr"], out["pred_none"]], [out["test"]], d / "m.parquet", "t")
    out["metrics"] = d / "m.parquet"
    return out


def test_perturbed_table_holds_no_raw_sensitive_attribute(cells: dict[str, Path]) -> None:
    pert = read_parquet(cells["pert_grr"])
    assert not {"sex", "age", "foreign_worker"} & set(pert.columns)
    assert set(pert["part"]) == {"train", "test"}
    test = read_parquet(cells["test"])
    # GRR at eps=1, k=2 keeps the true value with probability e/(e+1) = 0.731; over the
    # 600 test rows of both seeds the agreement is within 4 SE (4 * 0.018) of it
    merged = pert[pert["part"] == "test"].merge(test, on=["seed", "row_id"])
    agree = (merged["z"] == merged["sex"].cat.codes).mean()
    p = np.e / (np.e + 1)
    assert abs(agree - p) < 4 * np.sqrt(p * (1 - p) / len(merged))
    none = read_parquet(cells["pert_none"]).merge(test, on=["seed", "row_id"])
    assert (none["z"] == none["sex"].cat.codes).all()  # the non-private reference: Z = A


def test_training_refuses_raw_sensitive_columns(cells: dict[str, Path], tmp_path: Path) -> None:
    pert = read_parquet(cells["pert_grr"])
    test = read_parquet(cells["test"])
    leaked = pert.merge(test[["seed", "row_id", "sex"]], on=["seed", "row_id"], how="left")
    write_parquet(leaked, tmp_path / "leaked.parquet", meta=pert.attrs["fairldp"])
    with pytest.raises(PrivacyBoundaryError, match="sex"):
        train_methods("german", tmp_path / "leaked.parquet", tmp_path / "p.parquet", METHODS)
    assert not (tmp_path / "p.parquet").exists()


def test_predictions_are_deterministic(cells: dict[str, Path], tmp_path: Path) -> None:
    again = tmp_path / "pred.parquet"
    train_methods("german", cells["pert_grr"], again, METHODS)
    assert read_parquet(again).equals(read_parquet(cells["pred_grr"]))


def test_metrics_audit_true_and_privatized(cells: dict[str, Path]) -> None:
    m = read_parquet(cells["metrics"])
    assert set(m["audit"]) == {"none", "true", "privatized"}
    assert set(m["method"]) == set(METHODS)
    eo = m[m["metric"] == "equalized_odds_difference"].pivot_table(
        index=["protocol", "seed", "method"], columns="audit", values="value"
    )
    # without noise the two audits coincide; with GRR noise they differ
    assert np.allclose(eo.loc["none", "true"], eo.loc["none", "privatized"])
    assert not np.allclose(eo.loc["grr", "true"], eo.loc["grr", "privatized"])
    assert m["value"].notna().all()
