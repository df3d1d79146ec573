"""The privacy boundary: what a release holds, its channel, and the stage that writes it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairldp.datasets import get_dataset, prepare
from fairldp.io import read_parquet, write_parquet
from fairldp.ldp import PROTOCOLS
from fairldp.privacy import (
    PrivacyBoundaryError,
    group_noise_model,
    release,
    require_released,
)
from fairldp.stages import data
from fairldp.stages.privatize import privatize, publish
from fairldp.stages.represent import load_release

SPEC = get_dataset("german")


@pytest.fixture(scope="module")
def german(raw_dir: Path) -> pd.DataFrame:
    return prepare(SPEC, raw_dir)


def test_release_replaces_every_sensitive_attribute(german: pd.DataFrame) -> None:
    out, ledger = release(german, SPEC, "grr", 0.5, "uniform", 0, SPEC.sensitive_names)
    assert not set(SPEC.sensitive_names) & set(out.columns)  # raw columns are gone
    assert ledger["protocol"] == "grr" and ledger["attributes"] == SPEC.sensitive_names
    assert sum(ledger["epsilons"].values()) == pytest.approx(0.5)
    cols = [c for a in SPEC.sensitive_names for c in ledger["reports"][a]]
    assert cols == [f"{a.name}={v}" for a in SPEC.sensitive for v in a.domain]
    for a in SPEC.sensitive_names:
        # GRR with k=2 and eps/3: P(keep) = e^(1/6)/(e^(1/6)+1) = 0.542; 1000 rows: 4 SE = 0.063
        kept = (out[f"{a}={german[a].cat.categories[0]}"] == (german[a].cat.codes == 0)).mean()
        p = np.exp(1 / 6) / (np.exp(1 / 6) + 1)
        assert abs(kept - p) < 4 * np.sqrt(p * (1 - p) / len(german))
        assert (out[list(ledger["reports"][a])].sum(axis=1) == 1).all()
    for c in [*SPEC.feature_names, SPEC.target]:
        assert out[c].equals(german[c])  # nothing else is touched
    assert "z" not in out.columns and ledger["group"] is None


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_every_protocol_releases_report_features_and_a_decoded_group(
    german: pd.DataFrame, protocol: str
) -> None:
    out, ledger = release(german, SPEC, protocol, 2.0, "k_based", 1, SPEC.sensitive_names, "sex")
    x = out[[c for cols in ledger["reports"].values() for c in cols]].to_numpy()
    assert x.shape == (len(german), sum(a.k for a in SPEC.sensitive)) and np.isfinite(x).all()
    assert set(np.unique(out["z"])) <= {0, 1} and ledger["group"]["decoded"]
    assert group_noise_model(ledger).T.shape == (2, 2)


def test_decoded_group_follows_the_recorded_channel(german: pd.DataFrame) -> None:
    """P(z = a | A = a) is the diagonal of the channel's exact T, also under ``sampling``."""
    big = pd.concat([german] * 20, ignore_index=True)  # 20,000 users
    a = big["sex"].cat.codes.to_numpy()
    for split in ("uniform", "sampling"):
        out, ledger = release(big, SPEC, "oue", 1.5, split, 3, SPEC.sensitive_names, "sex")
        T = group_noise_model(ledger).T
        if split == "sampling":  # reported with probability 1/3, else uniform: T shrinks
            assert ledger["group"]["channel"]["report_probability"] == pytest.approx(1 / 3)
        for g in (0, 1):
            hit = (out["z"].to_numpy()[a == g] == g).mean()
            n = int((a == g).sum())
            assert abs(hit - T[g, g]) < 4 * np.sqrt(T[g, g] * (1 - T[g, g]) / n), (split, g)


def test_combined_release_of_several_attributes_has_no_decoded_group(german: pd.DataFrame) -> None:
    out, ledger = release(german, SPEC, "grr", 2.0, "combined", 0, SPEC.sensitive_names, "sex")
    assert "z" not in out.columns and not ledger["group"]["decoded"]
    with pytest.raises(ValueError, match="no decoded group"):
        group_noise_model(ledger)


def test_non_private_release_is_the_raw_one_hot(german: pd.DataFrame) -> None:
    out, ledger = release(german, SPEC, "none", np.inf, "none", 0, ["sex"], "sex")
    assert ledger["protocol"] == "none" and ledger["epsilons"] == {"sex": np.inf}
    assert (out["sex=female"] == (german["sex"] == "female")).all()
    assert (out["z"] == german["sex"].cat.codes).all() and group_noise_model(ledger) is None
    assert not {"age_group", "foreign_worker"} & set(out.columns)  # not released: dropped


def test_clear_attributes_are_released_as_they_are_and_unprotected(german: pd.DataFrame) -> None:
    # Makhlouf et al. (DMKD 2024) "sLDP": the group privatized, the other attributes kept
    out, ledger = release(german, SPEC, "grr", 1.0, "uniform", 0, ["sex"], "sex",
                          clear=["age_group"])  # fmt: skip
    alone, _ = release(german, SPEC, "grr", 1.0, "uniform", 0, ["sex"], "sex")
    pd.testing.assert_frame_equal(out[alone.columns], alone)  # the same noise on sex
    for j, v in enumerate(SPEC.attribute("age_group").domain):
        assert (out[f"age_group={v}"] == (german["age_group"].cat.codes == j)).all()
    assert ledger["epsilons"] == {"sex": 1.0, "age_group": np.inf}
    assert ledger["clear"] == ["age_group"] and ledger["attributes"] == ["sex"]
    assert "foreign_worker=yes" not in out.columns and "age_group" not in out.columns
    with pytest.raises(ValueError, match="both privatized and released in the clear"):
        release(german, SPEC, "grr", 1.0, "uniform", 0, ["sex"], clear=["sex"])


def test_streams_are_shared_across_budget_splits(german: pd.DataFrame) -> None:
    # streams are keyed by (seed, dataset, protocol, total eps, attribute), not by the split:
    # German's domains all have k = 2, so both splits give the same budgets and reports
    # (common random numbers); the test rows ("part") draw their own noise
    uni, led = release(german, SPEC, "grr", 3.0, "uniform", 4, SPEC.sensitive_names)
    kb, _ = release(german, SPEC, "grr", 3.0, "k_based", 4, SPEC.sensitive_names)
    other, _ = release(german, SPEC, "grr", 3.0, "uniform", 5, SPEC.sensitive_names)
    test, _ = release(german, SPEC, "grr", 3.0, "uniform", 4, SPEC.sensitive_names, part="test")
    cols = [c for v in led["reports"].values() for c in v]
    assert uni[cols].equals(kb[cols]) and not uni[cols].equals(other[cols])
    assert not uni[cols].equals(test[cols])


def test_boundary_refuses_raw_or_unmarked_tables(german: pd.DataFrame) -> None:
    with pytest.raises(PrivacyBoundaryError, match="not privatized"):
        require_released(german, SPEC.sensitive_names)
    partial, ledger = release(german, SPEC, "grr", 1.0, "uniform", 0, ["sex"])
    partial = partial.assign(age_group=german["age_group"])
    partial.attrs["fairldp"] = {"ledger": {"uniform": ledger}}
    with pytest.raises(PrivacyBoundaryError, match=r"\['age_group'\]"):
        require_released(partial, SPEC.sensitive_names)
    with pytest.raises(PrivacyBoundaryError, match="no release ledger"):
        require_released(german.drop(columns=SPEC.sensitive_names), SPEC.sensitive_names)


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Path:
    d = tmp_path_factory.mktemp("privatize")
    data.prepare("german", str(d / "german.parquet"), raw_dir=str(raw_dir))
    data.split("german", str(d / "german.parquet"), str(d / "split.parquet"), [0, 1], 0.3)
    return d / "split.parquet"


def _settings(test: str, attributes: list[str] | None = None) -> dict:
    return {"protocol": "grr", "budget_splits": ["uniform"], "test": test, "group": "sex",
            "attributes": attributes or ["sex"]}  # fmt: skip


def test_privatize_stage_test_rows(split: Path, tmp_path: Path) -> None:
    truth = read_parquet(split)
    tables = {}
    public = tmp_path / "public.parquet"
    publish("german", str(split), str(public), [0, 1])
    rows = read_parquet(public)
    assert list(rows.columns[:4]) == ["part", "seed", "row_id", "y"]
    assert not set(SPEC.sensitive_names) & set(rows.columns) and "credit" not in rows.columns
    for test in ("clean", "privatized"):
        out = tmp_path / f"{test}.parquet"
        privatize("german", str(split), str(out), "g", "1", _settings(test), [0, 1])
        # the release holds its reports alone, one row per public row; the join restores them
        assert list(read_parquet(out).columns) == ["budget_split", "sex=female", "sex=male", "z"]
        assert len(read_parquet(out)) == len(rows)
        tables[test] = t = load_release(str(out), "german", public=str(public))[0]
        assert list(t.columns[:5]) == ["budget_split", "part", "seed", "row_id", "y"]
        assert not set(SPEC.sensitive_names) & set(t.columns)
        assert t.attrs["fairldp"]["ledger"]["uniform"]["epsilons"] == {"sex": 1.0}
    merged = {k: t.merge(truth[["seed", "row_id", "sex"]], on=["seed", "row_id"])
              for k, t in tables.items()}  # fmt: skip
    clean, priv = merged["clean"], merged["privatized"]
    test_clean = clean[clean["part"] == "test"]
    assert (test_clean["z"] == test_clean["sex"].cat.codes).all()  # true values, as deployed
    assert (test_clean["sex=female"] == (test_clean["sex"] == "female")).all()
    # GRR at eps=1, k=2 keeps the value with probability e/(e+1) = 0.731; 600 test rows of
    # two seeds: within 4 SE
    test_priv = priv[priv["part"] == "test"]
    agree = (test_priv["z"] == test_priv["sex"].cat.codes).mean()
    p = np.e / (np.e + 1)
    assert abs(agree - p) < 4 * np.sqrt(p * (1 - p) / len(test_priv))
    train = [m[m["part"] == "train"].reset_index(drop=True) for m in (clean, priv)]
    pd.testing.assert_frame_equal(*train)  # training rows: the same release either way


def test_privatize_stage_refuses_missing_seeds(split: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no rows for seeds \[5\]"):
        privatize("german", str(split), str(tmp_path / "x.parquet"), "g", "1",
                  _settings("clean"), [0, 5])  # fmt: skip
    assert not (tmp_path / "x.parquet").exists()


def test_label_biased_rows_release_the_biased_label(split: Path, tmp_path: Path) -> None:
    biased = tmp_path / "biased.parquet"
    data.label_bias("german", str(split), str(biased), "underdiagnosis", 0.5, "female")
    out = tmp_path / "p.parquet"
    privatize("german", str(biased), str(out), "g", "1", _settings("clean"), [0, 1])
    publish("german", str(biased), str(tmp_path / "public.parquet"), [0, 1])
    t = load_release(str(out), "german", public=str(tmp_path / "public.parquet"))[0]
    assert "credit_clean" not in t.columns  # clean labels stay on the evaluation side
    b = read_parquet(biased)
    m = t.merge(b[["part", "seed", "row_id", "credit"]], on=["part", "seed", "row_id"])
    assert (m["y"] == m["credit"]).all()
    write_parquet(t, tmp_path / "copy.parquet", meta={})  # a copy without its ledger
    with pytest.raises(PrivacyBoundaryError, match="no release ledger"):
        require_released(read_parquet(tmp_path / "copy.parquet"), SPEC.sensitive_names)


def test_a_release_joins_only_the_public_rows_it_was_drawn_for(
    split: Path, tmp_path: Path, raw_dir: Path
) -> None:
    out, public = tmp_path / "r.parquet", tmp_path / "public.parquet"
    privatize("german", str(split), str(out), "g", "1", _settings("clean"), [0, 1])
    publish("german", str(split), str(public), [0, 1])
    joined, _ = load_release(str(out), "german", public=str(public))
    truth = read_parquet(split)
    pd.testing.assert_frame_equal(  # the join restores each row's keys, label and features
        joined[["part", "seed", "row_id", "y", "duration"]],
        truth[["part", "seed", "row_id", "credit", "duration"]].rename(columns={"credit": "y"})
        .astype({"y": np.int8}), check_dtype=False)  # fmt: skip
    other = tmp_path / "other_split.parquet"  # the rows of another test_size
    data.split("german", str(split.parent / "german.parquet"), str(other), [0, 1], 0.4)
    publish("german", str(other), str(tmp_path / "other.parquet"), [0, 1])
    with pytest.raises(ValueError, match="released for other rows"):
        load_release(str(out), "german", public=str(tmp_path / "other.parquet"))
    with pytest.raises(PrivacyBoundaryError, match="raw sensitive columns"):
        load_release(str(out), "german", public=str(split))  # never the raw rows
