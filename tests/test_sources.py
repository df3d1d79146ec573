"""The download-only loaders (LSAC, Diabetes 130-US, folktables ACS) on fixtures in the raw
format of each source (tests/fixtures/raw, written by tests/fixtures/make_fixtures.py), and
their errors on bad input."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from fairldp.datasets import DataFormatError, get_dataset, prepare
from fairldp.datasets.acs import acs_spec
from fairldp.datasets.download import pin_sha256
from fairldp.datasets.raw import ChecksumError, sha256_bytes
from fairldp.datasets.registry import DatasetSpec
from fairldp.stages.data import load_prepared, write_prepared

FIXTURES = Path(__file__).parent / "fixtures" / "raw"


def _zip(member: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        # a fixed timestamp: the same member gives the same archive bytes (and sha256)
        zf.writestr(zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def _install(spec: DatasetSpec, contents: list[bytes], tmp: Path) -> tuple[Path, Path]:
    """Place ``contents`` as the downloaded raw files of ``spec`` and pin their digests."""
    download, lock = tmp / "downloads", tmp / "checksums.lock"
    download.mkdir(parents=True, exist_ok=True)
    for raw, data in zip(spec.raw_files, contents, strict=True):
        (download / raw.name).write_bytes(data)
        pin_sha256(lock, raw, sha256_bytes(data))
    return download, lock


def _prepare(spec: DatasetSpec, contents: list[bytes], tmp: Path) -> pd.DataFrame:
    download, lock = _install(spec, contents, tmp)
    return prepare(spec, tmp / "vendored", download, lock)


def _typed_as_declared(df: pd.DataFrame, spec: DatasetSpec) -> None:
    for attr in (*spec.sensitive, *spec.categorical):
        assert isinstance(df[attr.name].dtype, pd.CategoricalDtype), attr.name
        assert list(df[attr.name].cat.categories) == list(attr.domain), attr.name
        assert not df[attr.name].isna().any(), attr.name
    for col in spec.numeric:
        assert pd.api.types.is_numeric_dtype(df[col]), col
    assert set(df[spec.target].unique()) <= {0, 1}


# LSAC ---------------------------------------------------------------------------------------


def test_lsac_fixture(tmp_path: Path) -> None:
    spec = get_dataset("lsac")
    raw = (FIXTURES / "bar_pass_prediction.csv").read_bytes()
    df = _prepare(spec, [raw], tmp_path)
    src = pd.read_csv(io.BytesIO(raw))
    complete = src[["race1", "fam_inc", "gender", "fulltime", "lsat", "ugpa", "pass_bar"]].notna()
    assert len(df) == complete.all(axis=1).sum() == len(src) - 3
    _typed_as_declared(df, spec)
    assert "ID" not in df.columns and "tier" not in df.columns
    kept = src[complete.all(axis=1)].reset_index(drop=True)
    assert (df["lsat"] == kept["lsat"]).all()
    assert (df["pass_bar"] == kept["pass_bar"]).all()
    assert (df["race1"].astype(str) == kept["race1"]).all()


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda s: s.replace("race1", "race_1"), r"columns \['race1'\] are missing"),
        (lambda s: s.replace(",white,", ",martian,", 1), "martian"),
        (lambda s: s.replace(",female,", ",female,,", 1), "malformed rows"),
        (lambda s: s.split("\n")[0] + "\n", "no data rows"),
        (lambda s: "", "empty"),
        (lambda s: s.replace(",1.0,2.0\n", ",yes,2.0\n", 1), "pass_bar"),
    ],
    ids=["renamed-column", "unknown-category", "malformed-row", "no-rows", "empty", "bad-target"],
)
def test_lsac_bad_input(tmp_path: Path, edit: Callable[[str], str], problem: str) -> None:
    raw = edit((FIXTURES / "bar_pass_prediction.csv").read_text()).encode()
    with pytest.raises(DataFormatError, match=problem) as info:
        _prepare(get_dataset("lsac"), [raw], tmp_path)
    assert "bar_pass_prediction.csv" in str(info.value) or "lsac" in str(info.value)


def test_lsac_changed_file_fails_checksum(tmp_path: Path) -> None:
    spec = get_dataset("lsac")
    raw = (FIXTURES / "bar_pass_prediction.csv").read_bytes()
    download, lock = _install(spec, [raw], tmp_path)
    (download / spec.raw_files[0].name).write_bytes(raw + b"1,2,3\n")
    with pytest.raises(ChecksumError, match=r"bar_pass_prediction\.csv"):
        prepare(spec, tmp_path / "vendored", download, lock)


# Diabetes 130-US hospitals --------------------------------------------------------------------


def _diabetes_zip(text: str | None = None) -> bytes:
    csv = (FIXTURES / "diabetic_data.csv").read_text() if text is None else text
    return _zip("diabetes+130-us+hospitals+for+years+1999-2008/diabetic_data.csv", csv.encode())


def test_diabetes_fixture(tmp_path: Path) -> None:
    spec = get_dataset("diabetes")
    df = _prepare(spec, [_diabetes_zip()], tmp_path)
    src = pd.read_csv(FIXTURES / "diabetic_data.csv", keep_default_na=False)
    src = src[src["gender"] != "Unknown/Invalid"].reset_index(drop=True)
    assert len(df) == len(src)
    _typed_as_declared(df, spec)
    assert not {"encounter_id", "patient_nbr"} & set(df.columns)  # identifiers never read
    assert (df["race"].astype(str) == src["race"].replace("?", "Unknown")).all()
    assert (df["readmit_30_days"] == (src["readmitted"] == "<30")).all()
    older = src["age"].isin(["[60-70)", "[70-80)", "[80-90)", "[90-100)"])
    assert ((df["age"] == "Over 60 years") == older).all()


def test_diabetes_missing_test_result_is_none(tmp_path: Path) -> None:
    text = (FIXTURES / "diabetic_data.csv").read_text()
    lines = text.split("\n")
    lines[1] = lines[1].replace(",>200,", ",,", 1)  # newer UCI release: blank, not 'None'
    df = _prepare(get_dataset("diabetes"), [_diabetes_zip("\n".join(lines))], tmp_path)
    assert df["max_glu_serum"].iloc[0] == "None"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"not a zip", "not a valid zip"),
        (_zip("other.csv", b"a,b\n1,2\n"), "diabetic_data.csv"),
        (_diabetes_zip("race,gender\nCaucasian,Male\n"), "are missing"),
        (_diabetes_zip((FIXTURES / "diabetic_data.csv").read_text().replace("[70-80)", "[70-85)")), "age bands"),
        (_diabetes_zip((FIXTURES / "diabetic_data.csv").read_text().replace(",<30", ",<31", 1)), "readmitted"),
    ],
    ids=["not-zip", "no-member", "missing-columns", "unknown-age", "unknown-target"],
)  # fmt: skip
def test_diabetes_bad_input(tmp_path: Path, data: bytes, problem: str) -> None:
    with pytest.raises(DataFormatError, match=problem) as info:
        _prepare(get_dataset("diabetes"), [data], tmp_path)
    assert "diabetes_130_us_hospitals.zip" in str(info.value) or "diabetes" in str(info.value)


# ACS (folktables) -----------------------------------------------------------------------------


@pytest.mark.parametrize("task", ["acs_income", "acs_employment", "acs_public_coverage"])
def test_acs_fixture_matches_folktables(tmp_path: Path, task: str) -> None:
    import folktables

    spec = acs_spec(task, 2018, "1-Year", ("CA",))
    csv = (FIXTURES / "psam_p06.csv").read_bytes()
    df = _prepare(spec, [_zip("psam_p06.csv", csv)], tmp_path)
    _typed_as_declared(df, spec)
    problem = getattr(folktables, {"acs_income": "ACSIncome", "acs_employment": "ACSEmployment",
                                   "acs_public_coverage": "ACSPublicCoverage"}[task])  # fmt: skip
    features, label, _ = problem.df_to_pandas(pd.read_csv(io.BytesIO(csv)))
    assert len(df) == len(features) > 0
    for col in spec.numeric:
        assert (df[col].to_numpy() == features[col].to_numpy()).all(), col
    assert (df["SEX"].cat.codes.to_numpy() + 1 == features["SEX"].to_numpy()).all()
    assert (df[spec.target].to_numpy() == label.iloc[:, 0].to_numpy()).all()


def test_acs_several_states_and_metadata(tmp_path: Path) -> None:
    spec = acs_spec("acs_income", 2018, "1-Year", ("CA", "NY"))
    csv = (FIXTURES / "psam_p06.csv").read_bytes()
    assert [r.name for r in spec.raw_files] == [
        "acs_2018_1-Year_csv_pca.zip", "acs_2018_1-Year_csv_pny.zip"
    ]  # fmt: skip
    assert spec.raw_files[1].url.endswith("/pums/2018/1-Year/csv_pny.zip")
    download, lock = _install(spec, [_zip("psam_p06.csv", csv)] * 2, tmp_path)
    out = tmp_path / "acs_income.parquet"
    df = write_prepared(spec, tmp_path / "vendored", out, download, lock)
    one = _prepare(acs_spec("acs_income"), [_zip("psam_p06.csv", csv)], tmp_path / "one")
    assert len(df) == 2 * len(one)
    meta = load_prepared(out, spec).attrs["fairldp"]
    assert [s["sha256"] for s in meta["sources"]] == [sha256_bytes(_zip("psam_p06.csv", csv))] * 2


def test_acs_bad_settings_and_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="state codes"):
        acs_spec("acs_income", states=("XX",))
    with pytest.raises(ValueError, match="2014 or later"):
        acs_spec("acs_income", year=2010)
    with pytest.raises(KeyError, match="unknown ACS task"):
        acs_spec("acs_wealth")
    text = (FIXTURES / "psam_p06.csv").read_text().replace("RAC1P", "RACE")
    with pytest.raises(DataFormatError, match=r"RAC1P"):
        _prepare(acs_spec("acs_income"), [_zip("psam_p06.csv", text.encode())], tmp_path)


def test_prepare_stage_applies_the_study_acs_settings(tmp_path: Path) -> None:
    """Every Snakemake job is a new process: the survey settings travel as a parameter."""
    from fairldp.stages.data import prepare

    spec = acs_spec("acs_employment", 2019, "1-Year", ("NY",))
    download, lock = _install(spec, [_zip("psam_p36.csv", (FIXTURES / "psam_p06.csv").read_bytes())],
                              tmp_path)  # fmt: skip
    out = tmp_path / "acs.parquet"
    acs = {"year": 2019, "horizon": "1-Year", "states": ["NY"]}
    prepare("acs_employment", str(out), raw_dir=str(tmp_path / "v"), download_dir=str(download),
            lock=str(lock), acs=acs)
    sources = load_prepared(out, spec).attrs["fairldp"]["sources"]
    assert [s["file"] for s in sources] == ["acs_2019_1-Year_csv_pny.zip"]
    with pytest.raises(FileNotFoundError, match=r"csv_pca\.zip"):  # the default survey: CA 2018
        prepare("acs_employment", str(tmp_path / "x.parquet"), raw_dir=str(tmp_path / "v"),
                download_dir=str(download), lock=str(lock))
