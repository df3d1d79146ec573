"""American Community Survey prediction tasks of folktables (Ding et al., NeurIPS 2021).

ACSIncome, ACSEmployment and ACSPublicCoverage, from the Census Bureau's PUMS person files
(one zip per state, year and horizon), download only. The task definitions (features, target,
filters) are folktables' own (``folktables.ACSIncome`` etc.); fairldp only fetches the files
itself, so that they are verified and cached like every other raw file (the Census Bureau
publishes no checksum: digests are pinned on first download).

Survey year, horizon and states are study settings (config key ``acs``; default 2018,
1-Year, CA), applied with :func:`configure`. Sensitive attributes: SEX (protected; 1 = Male,
2 = Female) and RAC1P (the nine race codes of the PUMS). The other features are folktables'
integer codes (a missing answer is -1, as folktables fills it), kept as numbers: they are
ordinal (AGEP, SCHL, WKHP) or high-cardinality codes (OCCP, POBP) best left to trees.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import pandas as pd

from fairldp.datasets.raw import DataFormatError
from fairldp.datasets.registry import Attribute, DatasetSpec, RawFile, register
from fairldp.datasets.tabular import member_of_zip, read_csv_columns

__all__ = ["STATE_CODES", "TASKS", "configure"]

#: dataset name -> (folktables problem name, target column of the prepared table)
TASKS = {
    "acs_income": ("ACSIncome", "income_over_50k"),
    "acs_employment": ("ACSEmployment", "employed"),
    "acs_public_coverage": ("ACSPublicCoverage", "public_coverage"),
}
FILTER_COLUMNS = ("AGEP", "PINCP", "WKHP", "PWGTP")  # read by folktables' task filters
SENSITIVE = ("SEX", "RAC1P")
STATE_CODES = {
    "AL": "01", "AK": "02", "AZ": "04", "AR": "05", "CA": "06", "CO": "08", "CT": "09",
    "DE": "10", "FL": "12", "GA": "13", "HI": "15", "ID": "16", "IL": "17", "IN": "18",
    "IA": "19", "KS": "20", "KY": "21", "LA": "22", "ME": "23", "MD": "24", "MA": "25",
    "MI": "26", "MN": "27", "MS": "28", "MO": "29", "MT": "30", "NE": "31", "NV": "32",
    "NH": "33", "NJ": "34", "NM": "35", "NY": "36", "NC": "37", "ND": "38", "OH": "39",
    "OK": "40", "OR": "41", "PA": "42", "RI": "44", "SC": "45", "SD": "46", "TN": "47",
    "TX": "48", "UT": "49", "VT": "50", "VA": "51", "WA": "53", "WV": "54", "WI": "55",
    "WY": "56", "PR": "72",
}  # fmt: skip


def _problem(task: str):
    import folktables

    return getattr(folktables, TASKS[task][0])


def raw_file(state: str, year: int, horizon: str) -> RawFile:
    """The PUMS person file of one state."""
    st = state.lower()
    return RawFile(
        f"acs_{year}_{horizon}_csv_p{st}.zip",
        f"https://www2.census.gov/programs-surveys/acs/data/pums/{year}/{horizon}/csv_p{st}.zip",
        None,  # no published checksum: pinned on first download
    )


def _parser(task: str):
    def parse(files: Mapping[str, bytes], spec: DatasetSpec) -> pd.DataFrame:
        problem = _problem(task)
        target_name = TASKS[task][1]
        frames = []
        for name, data in files.items():
            csv = member_of_zip(data, name, ".csv")
            header = pd.read_csv(io.BytesIO(csv), nrows=0).columns
            need = {*problem.features, problem.target, *FILTER_COLUMNS} & set(header)
            missing = sorted({*problem.features, problem.target} - need)
            if missing:
                raise DataFormatError(f"{name}: columns {missing} are missing")
            frames.append(read_csv_columns(csv, name, sorted(need)))
        raw = pd.concat(frames, ignore_index=True)
        try:
            features, label, _ = problem.df_to_pandas(raw)
        except (KeyError, ValueError, TypeError) as exc:
            raise DataFormatError(
                f"{spec.name}: folktables could not read the file ({exc})"
            ) from None
        out = features.astype("float64")
        for col, attr in zip(SENSITIVE, spec.sensitive, strict=True):
            codes = out.pop(col)
            bad = ~codes.isin(range(1, attr.k + 1))
            if bad.any():
                raise DataFormatError(
                    f"{spec.name}: {col} has codes {sorted(codes[bad].unique())[:5]}"
                )
            out[col] = pd.Categorical.from_codes(codes.astype(int) - 1, list(attr.domain))
        out[target_name] = label.iloc[:, 0].astype("int8").to_numpy()
        return out.reset_index(drop=True)

    return parse


def acs_spec(
    task: str, year: int = 2018, horizon: str = "1-Year", states: Sequence[str] = ("CA",)
) -> DatasetSpec:
    """The spec of an ACS task for the given survey year, horizon and states."""
    if task not in TASKS:
        raise KeyError(f"unknown ACS task {task!r}; known: {sorted(TASKS)}")
    unknown = [s for s in states if s not in STATE_CODES]
    if unknown or not states:
        raise ValueError(f"unknown state codes {unknown}; use two-letter codes like 'CA'")
    if horizon not in ("1-Year", "5-Year"):
        raise ValueError(f"horizon must be '1-Year' or '5-Year', got {horizon!r}")
    if int(year) < 2014:
        raise ValueError(f"folktables reads ACS PUMS files of 2014 or later, got {year}")
    problem = _problem(task)
    numeric = tuple(f for f in problem.features if f not in SENSITIVE)
    return DatasetSpec(
        name=task,
        title=f"folktables {TASKS[task][0]} ({year} {horizon}, {', '.join(states)})",
        raw_files=tuple(raw_file(s, int(year), horizon) for s in states),
        licence="US Census Bureau public data (ACS PUMS); folktables MIT",
        citation="Ding, F., Hardt, M., Miller, J. & Schmidt, L. (2021). Retiring Adult: New "
        "Datasets for Fair Machine Learning. NeurIPS.",
        parser=_parser(task),
        target=TASKS[task][1],
        positive_label="1",
        protected="SEX",
        reference="Male",
        sensitive=(
            Attribute("SEX", ("Male", "Female")),
            Attribute("RAC1P", tuple(range(1, 10))),
        ),
        categorical=(),
        numeric=numeric,
        preprocessing=__doc__ or "",
    )


def configure(year: int = 2018, horizon: str = "1-Year", states: Sequence[str] = ("CA",)) -> None:
    """(Re-)register the ACS tasks for the given survey year, horizon and states."""
    for task in TASKS:
        register(acs_spec(task, year, horizon, tuple(states)), replace=True)


configure()
