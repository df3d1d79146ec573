"""The split and evaluate stages on German credit, checked by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fairldp import pipeline
from fairldp.io import read_parquet, write_parquet
from fairldp.metrics import fairness_metrics, utility_metrics


@pytest.fixture(scope="module")
def splits(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("stages")
    pipeline.prepare("german", raw_dir, d / "german.parquet")
    pipeline.split(
        "german", d / "german.parquet", [0, 7], 0.2, d / "train.parquet", d / "test.parquet"
    )
    return d / "train.parquet", d / "test.parquet"


def test_train_and_test_are_disjoint_and_cover_every_row(splits: tuple[Path, Path]) -> None:
    train, test = read_parquet(splits[0]), read_parquet(splits[1])
    for seed in (0, 7):
        tr = set(train.loc[train["seed"] == seed, "row_id"])
        te = set(test.loc[test["seed"] == seed, "row_id"])
        assert not tr & te and tr | te == set(range(1000))
        assert (
            len(te) == 200
        )  # 20% of 1000, stratified by credit x sex (strata sizes end in 0 or 5)
    assert set(test.loc[test["seed"] == 0, "row_id"]) != set(test.loc[test["seed"] == 7, "row_id"])


def test_evaluate_joins_predictions_to_the_right_test_rows(
    splits: tuple[Path, Path], tmp_path: Path
) -> None:
    test = read_parquet(splits[1])
    rng = np.random.default_rng(0)
    preds = test[["seed", "row_id"]].copy()
    preds["y_score"] = rng.random(len(preds))
    preds["y_pred"] = (preds["y_score"] >= 0.5).astype(np.int8)
    preds = preds.assign(budget_split="uniform", model="lr").sample(frac=1.0, random_state=1)
    meta = {"dataset": "german", "protocol": "grr", "epsilon": 1.0}
    write_parquet(preds, tmp_path / "pred.parquet", meta=meta)
    pipeline.evaluate([tmp_path / "pred.parquet"], [splits[1]], tmp_path / "m.parquet", "t")
    metrics = read_parquet(tmp_path / "m.parquet")
    for seed in (0, 7):
        truth = test[test["seed"] == seed].merge(preds, on=["seed", "row_id"])
        y, yhat = truth["credit"].to_numpy(), truth["y_pred"].to_numpy()
        expected = {
            **utility_metrics(y, yhat, truth["y_score"].to_numpy()),
            **fairness_metrics(y, yhat, truth["sex"].astype(str).to_numpy()),
        }
        got = metrics[metrics["seed"] == seed].set_index("metric")["value"].to_dict()
        assert got == pytest.approx(expected)

    partial = preds.iloc[10:]  # some test rows have no prediction
    write_parquet(partial, tmp_path / "partial.parquet", meta=meta)
    with pytest.raises(ValueError, match="do not cover all test rows"):
        pipeline.evaluate([tmp_path / "partial.parquet"], [splits[1]], tmp_path / "m2.parquet", "t")
    assert not (tmp_path / "m2.parquet").exists()


def test_label_bias_stage_biases_train_only_and_keeps_clean_labels(
    splits: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "train_biased.parquet"
    pipeline.label_bias("german", splits[0], out, "underdiagnosis", rate=0.4, group="female")
    clean, biased = read_parquet(splits[0]), read_parquet(out)
    assert len(biased) == len(clean)
    assert (biased["credit_clean"].to_numpy() == clean["credit"].to_numpy()).all()
    eligible = (clean["sex"] == "female") & (clean["credit"] == 1)
    flipped = biased["credit"].to_numpy() != clean["credit"].to_numpy()
    assert not flipped[~eligible.to_numpy()].any()  # only positives of the group change
    # realised flip rate ~ Binomial(m, 0.4) / m; m ~ 2 x 170 eligible rows: 4 SE < 0.11
    m = int(eligible.sum())
    assert abs(flipped.sum() / m - 0.4) < 4 * np.sqrt(0.4 * 0.6 / m)
    meta = biased.attrs["fairldp"]["label_bias"]
    assert meta["kind"] == "underdiagnosis" and set(meta["realised_rate"]) == {"0", "7"}
    with pytest.raises(ValueError, match="not in sex domain"):
        pipeline.label_bias("german", splits[0], tmp_path / "x.parquet", "underdiagnosis", 0.4, "F")
    assert not (tmp_path / "x.parquet").exists()


def test_prepare_synthetic_records_its_parameters(tmp_path: Path, raw_dir: Path) -> None:
    params = {"n": 3000, "seed": 5, "p_group": 0.4, "base_rates": [0.2, 0.6]}
    pipeline.prepare("synthetic_scenario", raw_dir, tmp_path / "s.parquet", params=params)
    df = read_parquet(tmp_path / "s.parquet")
    assert len(df) == 3000
    assert df.attrs["fairldp"]["generator_params"] == params
    assert df.attrs["fairldp"]["sources"] == []
    again = tmp_path / "again.parquet"
    pipeline.prepare("synthetic_scenario", raw_dir, again, params=params)
    assert read_parquet(again).equals(df)  # the same parameters draw the same table
