"""LSAC National Longitudinal Bar Passage Study (Wightman, 1998), download only.

The file is the ``bar_pass_prediction.csv`` extract distributed with TensorFlow's fairness
tutorials and used by Arcolezi et al. (2023). Preprocessing as there: the columns race1,
fam_inc, gender, fulltime, lsat, ugpa and the target pass_bar; rows with a missing value in
one of them are dropped (their number is logged). Sensitive attributes: race1 (protected;
asian, black, hisp, other, white), gender and fam_inc (family income quintile 1-5). Features:
fulltime (1 = full time, 2 = part time), lsat and ugpa. Target: pass_bar (1 = passed).

The publisher gives no checksum: the digest is pinned on first download
(:data:`fairldp.datasets.download.LOCK_FILE`). The ``ID`` column is a row number of the
extract, not a personal identifier; it is not read.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd

from fairldp.datasets.raw import DataFormatError
from fairldp.datasets.registry import Attribute, DatasetSpec, RawFile, register
from fairldp.datasets.tabular import read_csv_columns, to_int_codes

__all__ = ["LSAC"]

log = logging.getLogger("fairldp")

COLUMNS = ["race1", "fam_inc", "gender", "fulltime", "lsat", "ugpa", "pass_bar"]


def parse_lsac(files: Mapping[str, bytes], spec: DatasetSpec) -> pd.DataFrame:
    """Read the used columns, drop incomplete rows, type the codes."""
    name = spec.raw_files[0].name
    df = read_csv_columns(files[name], name, COLUMNS)
    complete = df.notna().all(axis=1)
    if not complete.any():
        raise DataFormatError(f"{name}: every row has a missing value in {COLUMNS}")
    if (~complete).any():
        log.info("lsac: dropped %d of %d rows with missing values", (~complete).sum(), len(df))
    df = to_int_codes(
        df[complete].reset_index(drop=True), name, ["fam_inc", "fulltime", "pass_bar"]
    )
    if not set(df["pass_bar"].unique()) <= {0, 1}:
        raise DataFormatError(f"{name}: pass_bar must be 0 or 1")
    for col in ("lsat", "ugpa"):
        num = pd.to_numeric(df[col], errors="coerce")
        if num.isna().any():
            raise DataFormatError(f"{name}: {col} has values that are not numbers")
        df[col] = num.astype("float64")
    df["pass_bar"] = df["pass_bar"].astype("int8")
    return df


LSAC = register(
    DatasetSpec(
        name="lsac",
        title="LSAC bar passage (Wightman, 1998)",
        raw_files=(
            RawFile(
                "bar_pass_prediction.csv",
                "https://storage.googleapis.com/lawschool_dataset/bar_pass_prediction.csv",
                None,  # no published checksum: pinned on first download
            ),
        ),
        licence="LSAC research data; see the source for terms of use",
        citation="Wightman, L. F. (1998). LSAC National Longitudinal Bar Passage Study. Law "
        "School Admission Council.",
        parser=parse_lsac,
        target="pass_bar",
        positive_label="1",
        protected="race1",
        reference="white",
        sensitive=(
            Attribute("race1", ("asian", "black", "hisp", "other", "white")),
            Attribute("gender", ("female", "male")),
            Attribute("fam_inc", (1, 2, 3, 4, 5)),
        ),
        categorical=(Attribute("fulltime", (1, 2)),),
        numeric=("lsat", "ugpa"),
        preprocessing=__doc__ or "",
    )
)
