"""Whole-record releases through the privacy boundary: features and label privatized under one
ledger, no column in the clear unless declared public, the public columns they stand in for
never reaching training code."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairldp.datasets import get_dataset, prepare
from fairldp.io import read_parquet, write_parquet
from fairldp.privacy import (
    PrivacyBoundaryError,
    numeric_bounds,
    release_record,
    require_declared,
)
from fairldp.stages import data
from fairldp.stages.privatize import privatize, publish
from fairldp.stages.represent import layout_of, load_release

SPEC = get_dataset("german")
CATS = [a.name for a in SPEC.categorical]


@pytest.fixture(scope="module")
def german(raw_dir: Path) -> pd.DataFrame:
    return prepare(SPEC, raw_dir)


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Path:
    d = tmp_path_factory.mktemp("record")
    data.prepare("german", str(d / "german.parquet"), raw_dir=str(raw_dir))
    data.split("german", str(d / "german.parquet"), str(d / "split.parquet"), [0, 1], 0.3)
    publish("german", str(d / "split.parquet"), str(d / "public.parquet"), [0, 1])
    return d / "split.parquet"


def _record(features, label=True, test="clean", splits=("uniform",), **kw) -> dict:
    rec = {"features": list(features), "label": label, "categorical": "adp",
           "numeric": "hybrid", "bounds": {}, "weights": {}, "sampled": "auto",
           "encoding": "reports", **kw}  # fmt: skip
    return {"protocol": "grr", "budget_splits": list(splits), "test": test, "group": "sex",
            "attributes": list(SPEC.sensitive_names), "record": rec}  # fmt: skip


def test_release_record_privatizes_every_column_under_one_budget(german: pd.DataFrame) -> None:
    bounds = numeric_bounds(german, SPEC)
    out, ledger = release_record(german, SPEC, "grr", 2.0, "uniform", 0, SPEC.sensitive_names,
                                 SPEC.feature_names, True, bounds, "sex")  # fmt: skip
    # one ledger: every column's budget, summing to the total (sequential composition)
    cols = ledger["record"]["columns"]
    assert set(cols) == {*SPEC.sensitive_names, *SPEC.feature_names, "y"}
    assert sum(c["epsilon"] for c in cols.values()) == pytest.approx(2.0)
    assert ledger["public"] == [] and set(ledger["replaces"]) == {*SPEC.feature_names, "y"}
    # no raw column of the record is in the release: reports only
    assert not {*SPEC.sensitive_names, *CATS} & set(out.columns)
    assert set(SPEC.numeric) <= set(out.columns) and "y" in out.columns
    for f in SPEC.numeric:  # the numeric reports are not the values (Hybrid at eps 2/21: 3 sensitive, 17 features, label)
        assert not np.allclose(out[f].to_numpy(), german[f].to_numpy())
        lo, hi = bounds[f]
        assert cols[f]["range"] == [lo, hi]
    # the label: randomized response at eps 2/21, P(keep) = e^e / (e^e + 1); 1000 rows, 4 SE
    e = 2.0 / len(cols)
    p = np.exp(e) / (np.exp(e) + 1)
    kept = (out["y"].to_numpy() == german[SPEC.target].to_numpy()).mean()
    assert abs(kept - p) < 4 * np.sqrt(p * (1 - p) / len(german))
    json.dumps(ledger)  # the ledger is stored in the artifact's metadata


def test_undeclared_columns_are_refused(german: pd.DataFrame) -> None:
    _, ledger = release_record(german, SPEC, "grr", 1.0, "uniform", 0, ["sex"], ["duration"],
                               False, numeric_bounds(german, SPEC))  # fmt: skip
    assert ledger["features"] == ["duration"]
    assert set(ledger["public"]) == set(SPEC.feature_names) - {"duration"}
    require_declared(ledger, SPEC, "r")  # every feature privatized or declared public
    bad = {**ledger, "public": ledger["public"][1:]}  # one feature neither
    with pytest.raises(PrivacyBoundaryError, match="neither privatized nor declared public"):
        require_declared(bad, SPEC, "r")
    with pytest.raises(ValueError, match="not non-sensitive features"):
        release_record(german, SPEC, "grr", 1.0, "uniform", 0, ["sex"], ["sex"], False, {})


@pytest.mark.parametrize("test", ["clean", "privatized"])
def test_stage_releases_the_record_and_the_join_hides_the_public_columns(
    split: Path, tmp_path: Path, test: str
) -> None:
    public = split.parent / "public.parquet"
    out = tmp_path / "r.parquet"
    privatize("german", str(split), str(out), "rec", "4", _record(SPEC.feature_names,
              test=test, splits=("uniform", "sampling")), [0, 1])  # fmt: skip
    released = read_parquet(out)
    assert not {*SPEC.sensitive_names, *CATS} & set(released.columns)
    joined, meta = load_release(str(out), "german", public=str(public))
    # the public categorical columns are gone; numeric columns and y are the release's
    assert not set(CATS) & set(joined.columns)
    assert list(joined.columns).count("y") == 1 and list(joined.columns).count("duration") == 1
    truth = read_parquet(split)
    m = joined.merge(truth[["part", "seed", "row_id", "duration", "credit"]],
                     on=["part", "seed", "row_id"], suffixes=("", "_true"))  # fmt: skip
    train, tst = m[m["part"] == "train"], m[m["part"] == "test"]
    assert not np.allclose(train["duration"], train["duration_true"])
    assert (train["y"] != train["credit"]).any()
    if test == "clean":  # the person's own data at deployment
        assert np.allclose(tst["duration"], tst["duration_true"])
        assert (tst["y"] == tst["credit"]).all()
        assert (tst["job=" + str(SPEC.attribute("job").domain[0])]
                == (read_parquet(split).set_index(["part", "seed", "row_id"]).loc[
                    list(zip(tst["part"], tst["seed"], tst["row_id"], strict=True)), "job"]
                    == SPEC.attribute("job").domain[0]).to_numpy()).all()  # fmt: skip
    else:
        assert not np.allclose(tst["duration"], tst["duration_true"])
    layout = layout_of("german", meta, "uniform", True)
    assert layout.categorical == ()  # every categorical feature is a report block now
    assert set(CATS) <= set(layout.reports) and layout.numeric == tuple(SPEC.numeric)
    # sampling: each user reports m = floor(4 / 2.5) = 1 of the 21 columns (3 sensitive,
    # 17 features, the label), with eps 4
    led = meta["ledger"]["sampling"]["record"]
    assert led["sampled"] == 1 and led["report_probability"] == pytest.approx(1 / 21)


def test_a_release_without_its_declaration_is_refused(split: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    privatize("german", str(split), str(out), "rec", "1", _record(["duration"], label=False),
              [0, 1])  # fmt: skip
    t = read_parquet(out)
    meta = t.attrs["fairldp"]
    meta["ledger"]["uniform"]["public"] = []  # a feature left in the clear, undeclared
    write_parquet(t, tmp_path / "tampered.parquet", meta=meta)
    with pytest.raises(PrivacyBoundaryError, match="neither privatized nor declared public"):
        load_release(str(tmp_path / "tampered.parquet"), "german",
                     public=str(split.parent / "public.parquet"))  # fmt: skip
