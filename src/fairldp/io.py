"""Parquet artifacts: atomic writes and fairldp metadata in the Parquet schema.

Every stage writes its table to a temporary file in the destination folder and renames it
into place (``os.replace`` is atomic on POSIX), so a job killed mid-write never leaves a
truncated file under the final name; the next write of the same file removes the temporary
files a killed attempt left behind. Provenance of a table (dataset, protocol, epsilon, which
columns are privatized, ...) travels in the schema metadata under the key ``fairldp``.

Storage: a block of one-hot columns ``{name}={value}`` (0/1 integers or booleans, exactly one 1
per row, e.g. the one-hot features of a representation or GRR's reports) is stored as ONE
integer column of codes ``{name}=#`` (:data:`PACKED_KEY` in the schema metadata records the
block's columns and dtype and the table's column order), and :func:`read_parquet` restores
the columns exactly: same names, order, dtypes and values (column names containing ``=#`` are
reserved; as before, the index is not stored). A block of 0/1 columns that is not one-hot
(the bit vectors of unary-encoding, local-hashing and subset reports) is stored as its bits
packed eight to a byte, ``{name}=#0``, ``{name}=#1``, ... (uint8; ``numpy.packbits``): eight
times fewer columns to write and read. Read artifacts through
:func:`read_parquet`; ``pandas.read_parquet`` shows the stored form.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from glob import escape as glob_escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# pandas and pyarrow are imported where they are used, so that a job that writes only text
# (provenance) does not pay for them.

__all__ = [
    "META_KEY",
    "PACKED_KEY",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_made_for",
    "read_metadata",
    "read_parquet",
    "write_parquet",
]

META_KEY = b"fairldp"
#: schema metadata key of the blocks stored as codes or bits (see the module docstring)
PACKED_KEY = b"fairldp.packed"


def _tmp_path(path: Path) -> Path:
    """A new temporary file beside ``path``. Temporary files of earlier writes of the same
    ``path`` are removed first: one job at a time writes an output (Snakemake's invariant), so
    they are left by a killed attempt (a hard kill cannot run the ``finally`` below)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp's names: ".{name}." + 8 random characters + ".tmp" (not those of "{name}.gz")
    for stale in path.parent.glob(f".{glob_escape(path.name)}.????????.tmp"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # mkstemp creates the file 0600; give the artifact the permissions of a normal new file
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return Path(tmp)


def _pack_onehot(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """``df`` with each one-hot block ``{name}={value}`` replaced by its codes ``{name}=#``,
    and the description that :func:`_unpack_onehot` needs (None if nothing was packed)."""
    import numpy as np
    import pandas as pd

    if df.columns.duplicated().any():
        raise ValueError(f"duplicate column names: {list(df.columns[df.columns.duplicated()])}")
    taken = [c for c in df.columns if isinstance(c, str) and "=#" in c]
    if taken:
        raise ValueError(f"column names with '=#' are reserved for packed blocks: "
                         f"{taken}")  # fmt: skip
    blocks: dict[str, list[str]] = {}
    for col in df.columns:
        if isinstance(col, str) and "=" in col and not col.endswith("=#"):
            blocks.setdefault(col.split("=", 1)[0], []).append(col)
    packed: dict[str, Any] = {}
    stored: dict[str, Any] = {}
    for name, cols in blocks.items():
        dtypes = {str(df[c].dtype) for c in cols}
        if len(cols) < 2 or len(dtypes) != 1 or (dtype := dtypes.pop()) not in (
                "uint8", "int8", "bool"):  # fmt: skip
            continue
        # one row per column (pandas keeps a block's columns contiguous): row-wise passes
        x = np.ascontiguousarray(df[cols].to_numpy().T).view(np.uint8)  # int8 -1 -> 255
        if x.size and x.max() > 1:
            continue
        count = np.add.reduce(x, axis=0, dtype=np.uint16)
        if not x.size or bool((count == 1).all()):
            codes = x.argmax(axis=0)
            stored[f"{name}=#"] = codes.astype(np.int8 if len(cols) < 128 else np.int16)
            packed[name] = {"columns": cols, "dtype": dtype}
        else:  # 0/1 indicators that are not one-hot (UE, LH, SS reports): their bits
            bits = np.zeros(((len(cols) + 7) // 8, x.shape[1]), dtype=np.uint8)
            for i in range(len(cols)):  # numpy.packbits' order: the first column is bit 7
                bits[i // 8] |= x[i] << np.uint8(7 - i % 8)
            stored.update({f"{name}=#{j}": bits[j] for j in range(bits.shape[0])})
            packed[name] = {"columns": cols, "dtype": dtype, "bytes": int(bits.shape[0])}
    if not packed:
        return df, None
    inside = {c for p in packed.values() for c in p["columns"]}
    out = {c: df[c] for c in df.columns if c not in inside}
    out.update(stored)
    return pd.DataFrame(out), {"blocks": packed, "order": [str(c) for c in df.columns]}


def _unpack_onehot(df: pd.DataFrame, packed: dict[str, Any]) -> pd.DataFrame:
    """The table that :func:`_pack_onehot` packed (only the columns ``df`` holds)."""
    import numpy as np
    import pandas as pd

    cols: dict[str, Any] = {c: df[c] for c in df.columns if "=#" not in str(c)}
    for name, p in packed["blocks"].items():
        if "bytes" in p:
            parts = [f"{name}=#{j}" for j in range(p["bytes"])]
            if not all(c in df.columns for c in parts):
                continue
            data = [df[c].to_numpy(np.uint8) for c in parts]
            for i, c in enumerate(p["columns"]):
                cols[c] = ((data[i // 8] >> np.uint8(7 - i % 8)) & np.uint8(1)).view(p["dtype"])
            continue
        if f"{name}=#" not in df.columns:
            continue
        codes = df[f"{name}=#"].to_numpy().astype(np.intp)
        rows = np.zeros((len(p["columns"]), codes.size), dtype=np.uint8)
        rows[codes, np.arange(codes.size)] = 1  # one pass, one row per column
        rows = rows.view(p["dtype"])
        for j, c in enumerate(p["columns"]):
            cols[c] = rows[j]
    order = [c for c in packed["order"] if c in cols]
    return pd.DataFrame({c: cols[c] for c in order}, index=df.index)


def write_parquet(
    df: pd.DataFrame, path: str | os.PathLike[str], meta: dict[str, Any] | None = None
) -> None:
    """Write ``df`` to ``path`` atomically, with ``meta`` (JSON-serialisable) in the schema;
    one-hot blocks stored as codes (module docstring)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    df, packed = _pack_onehot(df)
    table = pa.Table.from_pandas(df, preserve_index=False)
    extra: dict[bytes, bytes] = {}
    if meta is not None:
        extra[META_KEY] = json.dumps(meta, sort_keys=True).encode("utf-8")
    if packed is not None:
        extra[PACKED_KEY] = json.dumps(packed).encode("utf-8")
    if extra:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    tmp = _tmp_path(path)
    try:
        # row ids: delta-encoded (a sorted block of ids costs a few bits per row)
        ids = [c for c in ("row_id",) if c in table.column_names
               and str(table.schema.field(c).type) in ("int32", "int64")]  # fmt: skip
        pq.write_table(table, tmp, compression="zstd",
                       use_dictionary=[c for c in table.column_names if c not in ids],
                       column_encoding=dict.fromkeys(ids, "DELTA_BINARY_PACKED"))  # fmt: skip
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The fairldp metadata of a Parquet file ({} if it has none)."""
    import pyarrow.parquet as pq

    raw = (pq.read_schema(path).metadata or {}).get(META_KEY)
    return json.loads(raw) if raw else {}


def check_made_for(path: str | os.PathLike[str], meta: dict[str, Any], **expected: Any) -> None:
    """Refuse an artifact whose metadata says it was made for other keys than the reader's
    (its wildcards): ``ValueError`` naming the file, the key and the two values. ``seeds``:
    the reader's seeds must be among the artifact's."""
    for key, want in expected.items():
        if want is None:
            continue
        got = meta.get(key)
        ok = set(want) <= set(got or ()) if key == "seeds" else got == want
        if not ok:
            raise ValueError(
                f"{path} was made for {key}={got!r}, not {want!r} as its path says: a copied or "
                "mislabelled artifact; delete it to have it rebuilt"
            )


def read_parquet(path: str | os.PathLike[str], columns: list[str] | None = None) -> pd.DataFrame:
    """Read a table (one-hot blocks restored); its fairldp metadata is in
    ``df.attrs["fairldp"]``."""
    import pandas as pd
    import pyarrow.parquet as pq

    raw = (pq.read_schema(path).metadata or {}).get(PACKED_KEY)
    packed = json.loads(raw) if raw else None
    stored = columns
    if packed is not None and columns is not None:
        where = {c: ([f"{n}=#{j}" for j in range(p["bytes"])] if "bytes" in p else [f"{n}=#"])
                 for n, p in packed["blocks"].items() for c in p["columns"]}  # fmt: skip
        stored = list(dict.fromkeys(s for c in columns for s in where.get(c, [c])))
    df = pd.read_parquet(path, columns=stored)
    if packed is not None:
        df = _unpack_onehot(df, packed)
        if columns is not None:
            df = df[list(columns)]
    df.attrs["fairldp"] = read_metadata(path)
    return df


def atomic_write_text(text: str, path: str | os.PathLike[str]) -> None:
    """Write a text file atomically (same temporary-file-and-rename scheme)."""
    atomic_write_bytes(text.encode("utf-8"), path)


def atomic_write_bytes(data: bytes, path: str | os.PathLike[str]) -> None:
    """Write a file atomically (same temporary-file-and-rename scheme); creates its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
