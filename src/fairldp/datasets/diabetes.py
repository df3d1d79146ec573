"""Diabetes 130-US hospitals 1999-2008 (Strack et al., 2014), download only.

The medical benchmark of fairlearn's health-care material. Preprocessing as there: the
identifiers ``encounter_id`` and ``patient_nbr`` are never read; race ``?`` becomes
``Unknown``; the 3 encounters of gender ``Unknown/Invalid`` are dropped; the ten age bands are
grouped into ``30 years or younger``, ``30-60 years`` and ``Over 60 years``; the target is
readmission within 30 days (``readmitted == '<30'``). Sensitive attributes: race (protected),
gender and age group. Features: eight counts (time in hospital, lab procedures, procedures,
medications, outpatient, emergency and inpatient visits, diagnoses) and five categorical
columns (max_glu_serum, A1Cresult, insulin, change, diabetesMed; a missing test result is
``None``, as in the original file).

The UCI archive publishes no checksum: the digest is pinned on first download
(:data:`fairldp.datasets.download.LOCK_FILE`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd

from fairldp.datasets.raw import DataFormatError
from fairldp.datasets.registry import Attribute, DatasetSpec, RawFile, register
from fairldp.datasets.tabular import member_of_zip, read_csv_columns, to_int_codes

__all__ = ["DIABETES"]

log = logging.getLogger("fairldp")

NUMERIC = (
    "time_in_hospital",
    "num_lab_procedures",
    "num_procedures",
    "num_medications",
    "number_outpatient",
    "number_emergency",
    "number_inpatient",
    "number_diagnoses",
)
CATEGORICAL = {
    "max_glu_serum": ("None", "Norm", ">200", ">300"),
    "A1Cresult": ("None", "Norm", ">7", ">8"),
    "insulin": ("No", "Down", "Steady", "Up"),
    "change": ("No", "Ch"),
    "diabetesMed": ("No", "Yes"),
}
RACES = ("AfricanAmerican", "Asian", "Caucasian", "Hispanic", "Other", "Unknown")
AGE_GROUPS = ("30 years or younger", "30-60 years", "Over 60 years")
AGE_BANDS = {
    **dict.fromkeys(["[0-10)", "[10-20)", "[20-30)"], AGE_GROUPS[0]),
    **dict.fromkeys(["[30-40)", "[40-50)", "[50-60)"], AGE_GROUPS[1]),
    **dict.fromkeys(["[60-70)", "[70-80)", "[80-90)", "[90-100)"], AGE_GROUPS[2]),
}
COLUMNS = ["race", "gender", "age", *NUMERIC, *CATEGORICAL, "readmitted"]


def parse_diabetes(files: Mapping[str, bytes], spec: DatasetSpec) -> pd.DataFrame:
    """Read ``diabetic_data.csv`` from the UCI archive and apply fairlearn's preprocessing."""
    name = spec.raw_files[0].name
    source = f"{name}:diabetic_data.csv"
    csv = member_of_zip(files[name], name, "diabetic_data.csv")
    df = read_csv_columns(csv, source, COLUMNS, as_text=True)
    df["race"] = df["race"].replace({"?": "Unknown", "": "Unknown"})
    invalid = df["gender"] == "Unknown/Invalid"
    if invalid.any():
        log.info("diabetes: dropped %d rows of gender Unknown/Invalid", int(invalid.sum()))
        df = df[~invalid].reset_index(drop=True)
    unknown_age = sorted(set(df["age"]) - set(AGE_BANDS))
    if unknown_age:
        raise DataFormatError(f"{source}: unknown age bands {unknown_age[:5]}")
    df["age"] = df["age"].map(AGE_BANDS)
    for col in ("max_glu_serum", "A1Cresult"):
        df[col] = df[col].replace({"": "None"})
    readmitted = set(df["readmitted"])
    if not readmitted <= {"NO", ">30", "<30"}:
        raise DataFormatError(
            f"{source}: readmitted has values {sorted(readmitted - {'NO', '>30', '<30'})}"
        )
    df["readmit_30_days"] = (df["readmitted"] == "<30").astype("int8")
    return to_int_codes(df.drop(columns="readmitted"), source, NUMERIC)


DIABETES = register(
    DatasetSpec(
        name="diabetes",
        title="Diabetes 130-US hospitals 1999-2008",
        raw_files=(
            RawFile(
                "diabetes_130_us_hospitals.zip",
                "https://archive.ics.uci.edu/static/public/296/"
                "diabetes+130-us+hospitals+for+years+1999-2008.zip",
                None,  # no published checksum: pinned on first download
            ),
        ),
        licence="CC BY 4.0",
        citation="Strack, B. et al. (2014). Impact of HbA1c measurement on hospital "
        "readmission rates. BioMed Research International. https://doi.org/10.24432/C5230J",
        parser=parse_diabetes,
        target="readmit_30_days",
        positive_label="1",
        protected="race",
        reference="Caucasian",
        sensitive=(
            Attribute("race", RACES),
            Attribute("gender", ("Female", "Male")),
            Attribute("age", AGE_GROUPS),
        ),
        categorical=tuple(Attribute(k, v) for k, v in CATEGORICAL.items()),
        numeric=NUMERIC,
        preprocessing=__doc__ or "",
    )
)
