"""ProPublica COMPAS two-year recidivism (Angwin et al., 2016), without direct identifiers.

The canonical ``compas-scores-two-years.csv`` holds names, dates of birth and case numbers.
fairldp vendors only a derived file (:func:`derive_compas`): ProPublica's filters (screening
within 30 days of the arrest, ``is_recid != -1``, no ordinary traffic offences
``c_charge_degree == 'O'``, a score text present; 6,172 rows) and the columns below; the
identifiers (id, name, first, last, dob, case numbers, all dates) are dropped, the jail dates
only survive as ``length_of_stay`` in days. The derivation is deterministic, so the canonical
file, once downloaded and checked, derives to the same bytes as the vendored copy (sha256 in
the registry; tested). Sensitive attributes: race (protected; African-American, Caucasian,
Hispanic, Other, with the 31 Asian and 11 Native American defendants in Other) and sex. Target:
``two_year_recid`` (1 = reoffended within two years). The COMPAS outputs (``decile_score``,
``score_text``) are kept in the derived file for audits but are not model features.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import pandas as pd

from fairldp.datasets.registry import Attribute, DatasetSpec, RawFile, register

__all__ = ["COMPAS", "SOURCE", "derive_compas"]

SOURCE = RawFile(
    "compas-scores-two-years.csv",
    "https://raw.githubusercontent.com/propublica/compas-analysis/master/compas-scores-two-years.csv",
    "c451db85908b2f7fef1d83203bedf6b71ecda0d5af468d82ae62178f91d0cc7d",
    None,  # never vendored: it holds direct identifiers
)

DERIVED_COLUMNS = [
    "sex", "race", "age", "age_cat", "juv_fel_count", "juv_misd_count", "juv_other_count",
    "priors_count", "c_charge_degree", "length_of_stay", "days_b_screening_arrest",
    "decile_score", "score_text", "is_recid", "two_year_recid",
]  # fmt: skip


def derive_compas(source: bytes) -> bytes:
    """The derived, identifier-free CSV (UTF-8, '\\n' line ends) from the canonical file."""
    from fairldp.datasets.raw import DataFormatError

    try:
        df = pd.read_csv(io.BytesIO(source), on_bad_lines="error")
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataFormatError(f"{SOURCE.name}: malformed rows ({exc})") from None
    needed = {"c_jail_in", "c_jail_out", *DERIVED_COLUMNS} - {"length_of_stay"}
    missing = sorted(needed - set(df.columns))
    if missing:
        raise DataFormatError(f"{SOURCE.name}: columns {missing} are missing")
    keep = (
        df["days_b_screening_arrest"].between(-30, 30)
        & (df["is_recid"] != -1)
        & (df["c_charge_degree"] != "O")
        & (df["score_text"] != "N/A")
        & df["score_text"].notna()
    )
    df = df[keep].copy()
    stay = pd.to_datetime(df["c_jail_out"]) - pd.to_datetime(df["c_jail_in"])
    df["length_of_stay"] = stay.dt.days.astype("Int64")
    df["days_b_screening_arrest"] = df["days_b_screening_arrest"].astype("int64")
    return df[DERIVED_COLUMNS].to_csv(index=False, lineterminator="\n").encode("utf-8")


def parse_compas(files: Mapping[str, bytes], spec: DatasetSpec) -> pd.DataFrame:
    """Read the derived file; rows with an unknown length of stay get 0 days (none in 2016)."""
    from fairldp.datasets.raw import DataFormatError

    name = spec.raw_files[0].name
    try:
        df = pd.read_csv(io.BytesIO(files[name]), on_bad_lines="error")
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataFormatError(f"{name}: malformed rows ({exc})") from None
    missing = sorted(set(DERIVED_COLUMNS) - set(df.columns))
    if missing:
        raise DataFormatError(f"{name}: columns {missing} are missing")
    if df.empty:
        raise DataFormatError(f"{name}: no data rows")
    if not set(df["two_year_recid"].unique()) <= {0, 1}:
        raise DataFormatError(f"{name}: two_year_recid must be 0 or 1")
    df["two_year_recid"] = df["two_year_recid"].astype("int8")
    # Asian (31 rows) and Native American (11 rows) join "Other": a test split holds one or two
    # of their positives, so per-group rates of six groups would measure noise
    df["race"] = df["race"].replace({"Asian": "Other", "Native American": "Other"})
    df["length_of_stay"] = df["length_of_stay"].fillna(0).astype("int64")
    return df


COMPAS = register(
    DatasetSpec(
        name="compas",
        title="ProPublica COMPAS two-year recidivism (derived, no identifiers)",
        raw_files=(
            RawFile(
                "compas-two-years-derived.csv",
                SOURCE.url + " (derived by fairldp.datasets.compas.derive_compas)",
                "50b7ef9520f269483bb3c10914bf0077cf4ee340aacdc1e288bb6b3f457d485a",
                "compas-two-years-derived.csv.gz",
                derived_from=SOURCE.name,
                derive=derive_compas,
            ),
        ),
        licence="ProPublica data, see https://github.com/propublica/compas-analysis",
        citation="Angwin, J., Larson, J., Mattu, S. & Kirchner, L. (2016). Machine Bias. "
        "ProPublica.",
        parser=parse_compas,
        target="two_year_recid",
        positive_label="1",
        protected="race",
        reference="Caucasian",
        sensitive=(
            Attribute("race", ("African-American", "Caucasian", "Hispanic", "Other")),
            Attribute("sex", ("Female", "Male")),
        ),
        categorical=(
            Attribute("age_cat", ("25 - 45", "Greater than 45", "Less than 25")),
            Attribute("c_charge_degree", ("F", "M")),
        ),
        numeric=(
            "age",
            "juv_fel_count",
            "juv_misd_count",
            "juv_other_count",
            "priors_count",
            "length_of_stay",
        ),
        preprocessing=__doc__ or "",
        sources=(SOURCE,),
    )
)
