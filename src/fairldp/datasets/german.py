"""Statlog German credit (Hofmann, 1994), the 20-attribute symbolic file ``german.data``.

Sensitive attributes: sex, derived from attribute 9 "personal status and sex" (A92 and A95 are
female, A91, A93 and A94 male); age group (age > 25, the usual threshold of Kamiran & Calders
2009); foreign worker. The protected attribute is sex. ``personal_status`` itself and the raw
age are not used as features, since they would reveal the sensitive attributes exactly.
Target: credit risk, positive label "good" (code 1).
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
import pandas as pd

from fairldp.datasets.registry import Attribute, DatasetSpec, RawFile, register

__all__ = ["GERMAN"]

COLUMNS = [
    "checking_status",
    "duration",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings",
    "employment_since",
    "installment_rate",
    "personal_status",
    "other_debtors",
    "residence_since",
    "property",
    "age",
    "other_installment_plans",
    "housing",
    "existing_credits",
    "job",
    "people_liable",
    "telephone",
    "foreign_worker",
    "credit",
]

NUMERIC = (
    "duration",
    "credit_amount",
    "installment_rate",
    "residence_since",
    "existing_credits",
    "people_liable",
)

CATEGORICAL = {
    "checking_status": ("A11", "A12", "A13", "A14"),
    "credit_history": ("A30", "A31", "A32", "A33", "A34"),
    "purpose": ("A40", "A41", "A410", "A42", "A43", "A44", "A45", "A46", "A48", "A49"),
    "savings": ("A61", "A62", "A63", "A64", "A65"),
    "employment_since": ("A71", "A72", "A73", "A74", "A75"),
    "other_debtors": ("A101", "A102", "A103"),
    "property": ("A121", "A122", "A123", "A124"),
    "other_installment_plans": ("A141", "A142", "A143"),
    "housing": ("A151", "A152", "A153"),
    "job": ("A171", "A172", "A173", "A174"),
    "telephone": ("A191", "A192"),
}

SEX = {"A91": "male", "A92": "female", "A93": "male", "A94": "male", "A95": "female"}
FOREIGN = {"A201": "yes", "A202": "no"}


def parse_german(files: Mapping[str, bytes], spec: DatasetSpec) -> pd.DataFrame:
    """Parse the space-separated symbolic file and derive the sensitive attributes."""
    from fairldp.datasets.raw import DataFormatError

    name = "german.data"
    try:
        df = pd.read_csv(
            io.BytesIO(files[name]),
            sep=" ",
            header=None,
            names=COLUMNS,
            dtype=str,
            on_bad_lines="error",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataFormatError(f"{name}: malformed rows ({exc})") from None
    if df.empty:
        raise DataFormatError(f"{name}: no data rows")
    if df["credit"].isna().any():
        bad = int(df["credit"].isna().idxmax()) + 1
        raise DataFormatError(f"{name}: row {bad} has too few fields ({len(COLUMNS)} expected)")
    for col in (*NUMERIC, "age"):
        num = pd.to_numeric(df[col], errors="coerce")
        if num.isna().any():
            bad = int(num.isna().idxmax()) + 1
            raise DataFormatError(
                f"{name}: row {bad}: {col} is not a number ({df[col][bad - 1]!r})"
            )
        df[col] = num.astype("int64")
    unknown = set(df["personal_status"]) - set(SEX)
    if unknown:
        raise DataFormatError(f"{name}: unknown personal_status codes {sorted(unknown)}")
    unknown = set(df["foreign_worker"]) - set(FOREIGN)
    if unknown:
        raise DataFormatError(f"{name}: unknown foreign_worker codes {sorted(unknown)}")
    if not set(df["credit"]) <= {"1", "2"}:
        raise DataFormatError(f"{name}: credit must be 1 (good) or 2 (bad)")
    df["sex"] = df["personal_status"].map(SEX)
    df["age_group"] = np.where(df["age"] > 25, "over_25", "25_or_under")
    df["foreign_worker"] = df["foreign_worker"].map(FOREIGN)
    df["credit"] = (df["credit"] == "1").astype("int8")
    return df


GERMAN = register(
    DatasetSpec(
        name="german",
        title="Statlog German credit",
        raw_files=(
            RawFile(
                "german.data",
                "https://archive.ics.uci.edu/ml/machine-learning-databases/statlog/german/german.data",
                "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871",
                "german.data.gz",
            ),
        ),
        licence="CC BY 4.0",
        citation="Hofmann, H. (1994). Statlog (German Credit Data). UCI Machine Learning "
        "Repository. https://doi.org/10.24432/C5NC77",
        parser=parse_german,
        target="credit",
        positive_label="good",
        protected="sex",
        reference="male",
        sensitive=(
            Attribute("sex", ("female", "male")),
            Attribute("age_group", ("25_or_under", "over_25")),
            Attribute("foreign_worker", ("no", "yes")),
        ),
        categorical=tuple(Attribute(k, v) for k, v in CATEGORICAL.items()),
        numeric=NUMERIC,
        preprocessing=__doc__ or "",
    )
)
