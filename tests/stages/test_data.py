"""The data stages on German credit, checked by hand: split, label bias, prepare."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fairldp.io import read_parquet
from fairldp.stages import data


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Path:
    d = tmp_path_factory.mktemp("stages")
    data.prepare("german", str(d / "german.parquet"), raw_dir=str(raw_dir))
    data.split("german", str(d / "german.parquet"), str(d / "split.parquet"), [0, 7], 0.2)
    return d / "split.parquet"


def test_train_and_test_are_disjoint_and_cover_every_row(split: Path) -> None:
    rows = read_parquet(split)
    assert list(rows.columns[:3]) == ["part", "seed", "row_id"]
    assert rows.attrs["fairldp"] == {"dataset": "german", "seeds": [0, 7], "test_size": 0.2}
    tests = {}
    for seed in (0, 7):
        r = rows[rows["seed"] == seed]
        tr = set(r.loc[r["part"] == "train", "row_id"])
        te = set(r.loc[r["part"] == "test", "row_id"])
        assert not tr & te and tr | te == set(range(1000))
        assert len(te) == 200  # 20% of 1000, stratified by credit x sex (strata end in 0 or 5)
        tests[seed] = te
    assert tests[0] != tests[7]


def test_label_bias_biases_train_only_and_keeps_clean_labels(split: Path, tmp_path: Path) -> None:
    out = tmp_path / "biased.parquet"
    data.label_bias("german", str(split), str(out), "underdiagnosis", rate=0.4, group="female")
    clean, biased = read_parquet(split), read_parquet(out)
    key = ["part", "seed", "row_id"]
    biased = clean[key].merge(biased, on=key, how="left", validate="one_to_one")
    assert (biased["credit_clean"].to_numpy() == clean["credit"].to_numpy()).all()
    flipped = biased["credit"].to_numpy() != clean["credit"].to_numpy()
    eligible = ((clean["sex"] == "female") & (clean["credit"] == 1)
                & (clean["part"] == "train")).to_numpy()  # fmt: skip
    assert not flipped[~eligible].any()  # only training positives of the group change
    # realised flip rate ~ Binomial(m, 0.4) / m; m ~ 2 x 170 eligible rows: 4 SE < 0.11
    m = int(eligible.sum())
    assert abs(flipped.sum() / m - 0.4) < 4 * np.sqrt(0.4 * 0.6 / m)
    meta = read_parquet(out).attrs["fairldp"]["label_bias"]
    assert meta["kind"] == "underdiagnosis" and set(meta["realised_rate"]) == {"0", "7"}
    with pytest.raises(ValueError, match="not in sex domain"):
        data.label_bias("german", str(split), str(tmp_path / "x.parquet"), "underdiagnosis",
                        0.4, "F")  # fmt: skip
    assert not (tmp_path / "x.parquet").exists()


def test_prepare_synthetic_records_its_parameters(tmp_path: Path) -> None:
    params = {"n": 3000, "seed": 5, "p_group": 0.4, "base_rates": [0.2, 0.6]}
    data.prepare("synthetic_scenario", str(tmp_path / "s.parquet"), generator=params)
    df = read_parquet(tmp_path / "s.parquet")
    assert len(df) == 3000
    assert df.attrs["fairldp"]["generator_params"] == params
    assert df.attrs["fairldp"]["sources"] == []
    again = tmp_path / "again.parquet"
    data.prepare("synthetic_scenario", str(again), generator=params)
    assert read_parquet(again).equals(df)  # the same parameters draw the same table


def test_prepared_table_of_another_dataset_is_refused(split: Path) -> None:
    prepared = split.parent / "german.parquet"
    with pytest.raises(Exception, match="holds dataset 'german', not 'adult'"):
        data.load_prepared(prepared, "adult")


def test_label_bias_keeps_the_true_condition_a_registry_carries(tmp_path: Path) -> None:
    # a registry's recorded diagnosis is already biased: its test rows keep Y_clean (the true
    # condition) rather than a copy of the record
    params = {"n": 2000, "seed": 1, "underdiagnosis": 0.5, "access_effect": 0.0}
    data.prepare("registry_sim", str(tmp_path / "r.parquet"), generator=params)
    data.split("registry_sim", str(tmp_path / "r.parquet"), str(tmp_path / "s.parquet"), [0],
               0.3)  # fmt: skip
    data.label_bias("registry_sim", str(tmp_path / "s.parquet"), str(tmp_path / "b.parquet"),
                    "underdiagnosis", rate=0.2, group=1)  # fmt: skip
    split, biased = read_parquet(tmp_path / "s.parquet"), read_parquet(tmp_path / "b.parquet")
    test = biased[biased["part"] == "test"].merge(split, on=["part", "seed", "row_id"],
                                                  suffixes=("", "_split"))  # fmt: skip
    assert (test["Y_clean"] == test["Y_clean_split"]).all()
    assert (test["Y_clean"] != test["Y"]).any()  # the record differs from the truth
