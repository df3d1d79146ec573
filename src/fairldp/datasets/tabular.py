"""Small helpers shared by the CSV parsers of the download-only datasets."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

import pandas as pd

from fairldp.datasets.raw import DataFormatError

__all__ = ["member_of_zip", "read_csv_columns", "to_int_codes"]


def member_of_zip(data: bytes, source: str, member_suffix: str) -> bytes:
    """The bytes of the single member of a zip archive whose name ends with ``member_suffix``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise DataFormatError(f"{source}: not a valid zip archive ({exc})") from None
    names = [n for n in archive.namelist() if n.endswith(member_suffix)]
    if len(names) != 1:
        raise DataFormatError(
            f"{source}: expected one member ending in {member_suffix!r}, found {names or 'none'}"
        )
    return archive.read(names[0])


def read_csv_columns(
    data: bytes, source: str, columns: Sequence[str], **kwargs: object
) -> pd.DataFrame:
    """Read only ``columns`` of a CSV; a malformed row, a missing column or an empty file is a
    :class:`DataFormatError` naming ``source``."""
    if not data.strip():
        raise DataFormatError(f"{source}: the file is empty")
    try:
        header = pd.read_csv(io.BytesIO(data), nrows=0, **kwargs).columns  # type: ignore[arg-type]
        missing = [c for c in columns if c not in header]
        if missing:
            raise DataFormatError(f"{source}: columns {missing} are missing")
        df = pd.read_csv(io.BytesIO(data), usecols=list(columns), on_bad_lines="error", **kwargs)  # type: ignore[arg-type]
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, DataFormatError):
            raise
        raise DataFormatError(f"{source}: malformed rows ({exc})") from None
    if df.empty:
        raise DataFormatError(f"{source}: no data rows")
    return df


def to_int_codes(df: pd.DataFrame, source: str, columns: Sequence[str]) -> pd.DataFrame:
    """Cast columns holding whole numbers written as ``5`` or ``5.0`` to int64; anything else
    (text, fractions) is a :class:`DataFormatError` naming the first bad row."""
    out = df.copy()
    for col in columns:
        num = pd.to_numeric(out[col], errors="coerce")
        bad = num.isna() | (num % 1 != 0)
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise DataFormatError(f"{source}: row {i + 1}: {col} = {df[col].iloc[i]!r} is not "
                                  "a whole number")  # fmt: skip
        out[col] = num.astype("int64")
    return out
