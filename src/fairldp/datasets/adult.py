"""UCI Adult (Becker & Kohavi, 1996), train and test files concatenated.

Preprocessing as in Arcolezi, Makhlouf & Palamidessi (DBSec 2023): rows with a missing value
('?') are dropped (45,222 rows remain); ``fnlwgt`` (a census sampling weight), the redundant
``education_num`` and the capital columns are not used; the sensitive attributes are sex,
race, native-country and age (age as a categorical over 17..90, k = 74). Target: income > 50K.

Note for studies of LDP on ``sex``: the unperturbed feature ``relationship`` is a near-exact
proxy for it in 46% of the rows (Husband: 18,665 men and 1 woman; Wife: 2,090 women and 1
man), as in the anchor study's preprocessing, which keeps it; drop it to study LDP without
this proxy.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import pandas as pd

from fairldp.datasets.registry import Attribute, DatasetSpec, RawFile, register

__all__ = ["ADULT"]

COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]

COUNTRIES = (
    "Cambodia",
    "Canada",
    "China",
    "Columbia",
    "Cuba",
    "Dominican-Republic",
    "Ecuador",
    "El-Salvador",
    "England",
    "France",
    "Germany",
    "Greece",
    "Guatemala",
    "Haiti",
    "Holand-Netherlands",
    "Honduras",
    "Hong",
    "Hungary",
    "India",
    "Iran",
    "Ireland",
    "Italy",
    "Jamaica",
    "Japan",
    "Laos",
    "Mexico",
    "Nicaragua",
    "Outlying-US(Guam-USVI-etc)",
    "Peru",
    "Philippines",
    "Poland",
    "Portugal",
    "Puerto-Rico",
    "Scotland",
    "South",
    "Taiwan",
    "Thailand",
    "Trinadad&Tobago",
    "United-States",
    "Vietnam",
    "Yugoslavia",
)


def _read(data: bytes, name: str, skiprows: int) -> pd.DataFrame:
    from fairldp.datasets.raw import DataFormatError

    try:
        df = pd.read_csv(
            io.BytesIO(data),
            header=None,
            names=COLUMNS,
            skipinitialspace=True,
            na_values="?",
            skiprows=skiprows,
            on_bad_lines="error",
            dtype={"income": str},
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataFormatError(f"{name}: malformed rows ({exc})") from None
    if df.empty:
        raise DataFormatError(f"{name}: no data rows")
    if df["income"].isna().any():
        bad = int(df["income"].isna().idxmax()) + 1 + skiprows
        raise DataFormatError(f"{name}: row {bad} has too few fields ({len(COLUMNS)} expected)")
    return df


def parse_adult(files: Mapping[str, bytes], spec: DatasetSpec) -> pd.DataFrame:
    """Concatenate adult.data and adult.test (header line skipped, trailing '.' removed)."""
    from fairldp.datasets.raw import DataFormatError

    df = pd.concat(
        [_read(files["adult.data"], "adult.data", 0), _read(files["adult.test"], "adult.test", 1)],
        ignore_index=True,
    )
    df = df.dropna().reset_index(drop=True)
    income = df["income"].str.rstrip(".")
    labels = set(income.unique())
    if not labels <= {"<=50K", ">50K"}:
        raise DataFormatError(
            f"adult: unexpected income labels {sorted(labels - {'<=50K', '>50K'})}"
        )
    df["income"] = (income == spec.positive_label).astype("int8")
    for col in ("age", "hours_per_week"):
        df[col] = df[col].astype("int64")
    return df


ADULT = register(
    DatasetSpec(
        name="adult",
        title="UCI Adult (census income)",
        raw_files=(
            RawFile(
                "adult.data",
                "https://archive.ics.uci.edu/ml/machine-learning-databases/adult/adult.data",
                "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
                "adult.data.gz",
            ),
            RawFile(
                "adult.test",
                "https://archive.ics.uci.edu/ml/machine-learning-databases/adult/adult.test",
                "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
                "adult.test.gz",
            ),
        ),
        licence="CC BY 4.0",
        citation="Becker, B. & Kohavi, R. (1996). Adult. UCI Machine Learning Repository. "
        "https://doi.org/10.24432/C5XW20",
        parser=parse_adult,
        target="income",
        positive_label=">50K",
        protected="sex",
        reference="Male",
        sensitive=(
            Attribute("sex", ("Female", "Male")),
            Attribute(
                "race",
                ("Amer-Indian-Eskimo", "Asian-Pac-Islander", "Black", "Other", "White"),
            ),
            Attribute("native_country", COUNTRIES),
            Attribute("age", tuple(range(17, 91))),
        ),
        categorical=(
            Attribute(
                "workclass",
                (
                    "Federal-gov",
                    "Local-gov",
                    "Private",
                    "Self-emp-inc",
                    "Self-emp-not-inc",
                    "State-gov",
                    "Without-pay",
                ),
            ),
            Attribute(
                "education",
                (
                    "10th",
                    "11th",
                    "12th",
                    "1st-4th",
                    "5th-6th",
                    "7th-8th",
                    "9th",
                    "Assoc-acdm",
                    "Assoc-voc",
                    "Bachelors",
                    "Doctorate",
                    "HS-grad",
                    "Masters",
                    "Preschool",
                    "Prof-school",
                    "Some-college",
                ),
            ),
            Attribute(
                "marital_status",
                (
                    "Divorced",
                    "Married-AF-spouse",
                    "Married-civ-spouse",
                    "Married-spouse-absent",
                    "Never-married",
                    "Separated",
                    "Widowed",
                ),
            ),
            Attribute(
                "occupation",
                (
                    "Adm-clerical",
                    "Armed-Forces",
                    "Craft-repair",
                    "Exec-managerial",
                    "Farming-fishing",
                    "Handlers-cleaners",
                    "Machine-op-inspct",
                    "Other-service",
                    "Priv-house-serv",
                    "Prof-specialty",
                    "Protective-serv",
                    "Sales",
                    "Tech-support",
                    "Transport-moving",
                ),
            ),
            Attribute(
                "relationship",
                ("Husband", "Not-in-family", "Other-relative", "Own-child", "Unmarried", "Wife"),
            ),
        ),
        numeric=("hours_per_week",),
        preprocessing=__doc__ or "",
    )
)
