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
    data: bytes, source: str, columns: Sequence[str], *, as_text: bool = False
) -> pd.DataFrame:
    """Read only ``columns`` of a CSV with a header line.

    Parsed by pyarrow, which (unlike pandas with ``usecols``) checks that every row has as
    many fields as the header. A row with too many or too few fields, a missing column or an
    empty file is a :class:`DataFormatError` naming ``source``. With ``as_text`` every column
    is read as text and an empty field stays ``""``; otherwise types are inferred and an empty
    field is missing (NaN).
    """
    import pyarrow as pa
    import pyarrow.csv as pv

    if not data.strip():
        raise DataFormatError(f"{source}: the file is empty")
    header = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip().split(",")
    header = [h.strip('"') for h in header]
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataFormatError(f"{source}: columns {missing} are missing")
    convert = pv.ConvertOptions(
        include_columns=list(columns),
        column_types=dict.fromkeys(columns, pa.string()) if as_text else None,
        strings_can_be_null=not as_text,
        null_values=[] if as_text else None,
    )
    try:
        table = pv.read_csv(io.BytesIO(data), convert_options=convert)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise DataFormatError(f"{source}: malformed rows ({exc})") from None
    if table.num_rows == 0:
        raise DataFormatError(f"{source}: no data rows")
    return table.to_pandas()


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
