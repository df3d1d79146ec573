"""Parquet artifacts: atomic writes and fairldp metadata in the Parquet schema.

Every stage writes its table to a temporary file in the destination folder and renames it
into place (``os.replace`` is atomic on POSIX), so a job killed mid-write never leaves a
truncated file under the final name; the next write of the same file removes the temporary
files a killed attempt left behind. Provenance of a table (dataset, protocol, epsilon, which
columns are privatized, ...) travels in the schema metadata under the key ``fairldp``.
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
    "atomic_write_bytes",
    "atomic_write_text",
    "check_made_for",
    "read_metadata",
    "read_parquet",
    "write_parquet",
]

META_KEY = b"fairldp"


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


def write_parquet(
    df: pd.DataFrame, path: str | os.PathLike[str], meta: dict[str, Any] | None = None
) -> None:
    """Write ``df`` to ``path`` atomically, with ``meta`` (JSON-serialisable) in the schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    table = pa.Table.from_pandas(df, preserve_index=False)
    if meta is not None:
        existing = table.schema.metadata or {}
        table = table.replace_schema_metadata(
            {**existing, META_KEY: json.dumps(meta, sort_keys=True).encode("utf-8")}
        )
    tmp = _tmp_path(path)
    try:
        pq.write_table(table, tmp, compression="zstd")
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
    """Read a table; its fairldp metadata is in ``df.attrs["fairldp"]``."""
    import pandas as pd

    df = pd.read_parquet(path, columns=columns)
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
