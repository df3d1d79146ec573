"""Parsing of the vendored files, checksum verification and bad raw input."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from fairldp.datasets import ChecksumError, DataFormatError, get_dataset, prepare
from fairldp.stages.data import load_prepared, write_prepared


@pytest.fixture(scope="module")
def adult(raw_dir: Path) -> pd.DataFrame:
    return prepare(get_dataset("adult"), raw_dir)


@pytest.fixture(scope="module")
def german(raw_dir: Path) -> pd.DataFrame:
    return prepare(get_dataset("german"), raw_dir)


def test_adult_parsed_as_in_the_literature(adult: pd.DataFrame) -> None:
    # 48,842 rows in adult.data + adult.test; 45,222 without missing values.
    assert len(adult) == 45222
    assert adult["income"].dtype == "int8"
    assert adult["income"].sum() == 11208  # >50K rows (24.8%)
    assert adult["sex"].value_counts().to_dict() == {"Male": 30527, "Female": 14695}
    assert adult["row_id"].tolist() == list(range(len(adult)))
    spec = get_dataset("adult")
    for attr in (*spec.sensitive, *spec.categorical):
        assert isinstance(adult[attr.name].dtype, pd.CategoricalDtype)
        assert list(adult[attr.name].cat.categories) == list(attr.domain)
        assert not adult[attr.name].isna().any()
    assert [a.k for a in spec.sensitive] == [2, 5, 41, 74]


def test_german_derived_attributes(german: pd.DataFrame) -> None:
    assert len(german) == 1000
    assert german["credit"].sum() == 700  # 700 good, 300 bad
    assert german["sex"].value_counts().to_dict() == {"male": 690, "female": 310}
    assert german["foreign_worker"].value_counts().to_dict() == {"yes": 963, "no": 37}
    assert "personal_status" not in german.columns  # would reveal sex


def test_prepared_parquet_roundtrip_keeps_types_and_metadata(tmp_path: Path, raw_dir: Path) -> None:
    spec = get_dataset("german")
    out = tmp_path / "german.parquet"
    df = write_prepared(spec, raw_dir, out)
    back = load_prepared(out, spec)
    pd.testing.assert_frame_equal(df, back, check_like=False)
    meta = back.attrs["fairldp"]
    assert meta["sources"][0]["sha256"] == spec.raw_files[0].sha256
    assert meta["protected"] == "sex"
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


def _with_file(tmp_path: Path, raw_dir: Path, name: str, data: bytes) -> Path:
    d = tmp_path / "raw"
    shutil.copytree(raw_dir, d)
    (d / name).write_bytes(gzip.compress(data))
    return d


def test_checksum_mismatch_names_the_file(tmp_path: Path, raw_dir: Path) -> None:
    original = gzip.decompress((raw_dir / "german.data.gz").read_bytes())
    d = _with_file(tmp_path, raw_dir, "german.data.gz", original.replace(b"A11", b"A12", 1))
    with pytest.raises(ChecksumError, match=r"german\.data\.gz.*sha256"):
        prepare(get_dataset("german"), d)


def test_missing_vendored_file_says_where_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"archive\.ics\.uci\.edu"):
        prepare(get_dataset("german"), tmp_path)


def _spec_accepting(data: bytes, name: str = "german"):
    """The registry spec with the checksum of ``data``, to feed the parser a fixture."""
    spec = get_dataset(name)
    raw = replace(spec.raw_files[0], sha256=hashlib.sha256(data).hexdigest())
    return replace(spec, raw_files=(raw,))


def test_malformed_row_is_reported(tmp_path: Path, raw_dir: Path) -> None:
    data = gzip.decompress((raw_dir / "german.data.gz").read_bytes())
    lines = data.split(b"\n")
    lines[4] = b" ".join(lines[4].split(b" ")[:10])  # a truncated row
    bad = b"\n".join(lines)
    d = _with_file(tmp_path, raw_dir, "german.data.gz", bad)
    with pytest.raises(DataFormatError, match=r"german\.data: row 5 has too few fields"):
        prepare(_spec_accepting(bad), d)


def test_unexpected_category_is_reported(tmp_path: Path, raw_dir: Path) -> None:
    data = gzip.decompress((raw_dir / "german.data.gz").read_bytes())
    bad = data.replace(b"A43", b"A47", 1)  # not a purpose code of the documentation
    d = _with_file(tmp_path, raw_dir, "german.data.gz", bad)
    with pytest.raises(DataFormatError, match=r"'purpose'.*\['A47'\]"):
        prepare(_spec_accepting(bad), d)


def test_empty_file_is_reported(tmp_path: Path, raw_dir: Path) -> None:
    d = _with_file(tmp_path, raw_dir, "german.data.gz", b"")
    with pytest.raises(DataFormatError, match=r"german\.data"):
        prepare(_spec_accepting(b""), d)


def test_unknown_dataset_lists_registered() -> None:
    with pytest.raises(KeyError, match=r"did you mean 'adult'\?\); registered: \[") as err:
        get_dataset("adlut")
    for name in ("adult", "compas", "diabetes", "german", "lsac", "registry_sim", "support2"):
        assert f"'{name}'" in str(err.value)


SHARED_COMPAS = (
    Path(__file__).resolve().parents[2] / "shared" / "datasets" / "compas-scores-two-years.csv"
)


def test_compas_vendored_file_has_no_identifiers(raw_dir: Path) -> None:
    df = prepare(get_dataset("compas"), raw_dir)
    assert len(df) == 6172  # ProPublica's filtered two-year sample
    assert df["race"].value_counts()["African-American"] == 3175
    raw = gzip.decompress((raw_dir / "compas-two-years-derived.csv.gz").read_bytes())
    header = raw.split(b"\n", 1)[0].decode().split(",")
    for identifier in (
        "id",
        "name",
        "first",
        "last",
        "dob",
        "c_case_number",
        "r_case_number",
        "vr_case_number",
        "c_jail_in",
        "c_jail_out",
        "compas_screening_date",
    ):
        assert identifier not in header


@pytest.mark.skipif(not SHARED_COMPAS.exists(), reason="needs ../shared/datasets (present in CI)")
def test_compas_derivation_reproduces_the_vendored_file(raw_dir: Path) -> None:
    from fairldp.datasets.compas import SOURCE, derive_compas

    source = SHARED_COMPAS.read_bytes()
    assert hashlib.sha256(source).hexdigest() == SOURCE.sha256
    derived = derive_compas(source)
    assert derived == gzip.decompress((raw_dir / "compas-two-years-derived.csv.gz").read_bytes())
    assert hashlib.sha256(derived).hexdigest() == get_dataset("compas").raw_files[0].sha256


def test_load_reads_the_vendored_files(raw_dir, monkeypatch):
    """``load(name)`` is ``prepare`` of the registered spec on the checkout's data/raw, or on
    ``$FAIRLDP_RAW_DIR``; a missing folder is named with the way to set it."""
    from fairldp.datasets import get_dataset, load, prepare, vendored_raw_dir

    monkeypatch.delenv("FAIRLDP_RAW_DIR", raising=False)
    assert vendored_raw_dir() == raw_dir.resolve()
    pd.testing.assert_frame_equal(load("german"), prepare(get_dataset("german"), raw_dir))
    monkeypatch.setenv("FAIRLDP_RAW_DIR", str(raw_dir))
    assert len(load("german")) == 1000
    monkeypatch.setenv("FAIRLDP_RAW_DIR", "/nonexistent/raw")
    with pytest.raises(FileNotFoundError, match="set FAIRLDP_RAW_DIR"):
        load("german")
