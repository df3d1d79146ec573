"""Reading vendored raw files with checksum verification, and preparing typed tables."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from fairldp.datasets.registry import REGISTRY_VERSION, Attribute, DatasetSpec, RawFile

__all__ = [
    "ChecksumError",
    "DataFormatError",
    "check_categories",
    "prepare",
    "read_raw",
    "read_vendored",
]


class ChecksumError(ValueError):
    """A raw file's sha256 does not match the registry."""


class DataFormatError(ValueError):
    """A raw file does not have the expected format."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_vendored(raw: RawFile, raw_dir: str | Path) -> bytes:
    """The original bytes of a vendored (gzip) raw file, verified against the registry sha256."""
    if raw.vendored is None:
        raise FileNotFoundError(f"{raw.name} has no vendored copy; download it from {raw.url}")
    path = Path(raw_dir) / raw.vendored
    if not path.exists():
        raise FileNotFoundError(
            f"vendored file {path} is missing; restore it from git or download {raw.url} "
            f"and compress it with 'gzip -n -9' into {path}"
        )
    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as exc:
        raise ChecksumError(f"{path}: not a valid gzip file ({exc})") from None
    digest = sha256_bytes(data)
    if digest != raw.sha256:
        raise ChecksumError(
            f"{path}: sha256 of the decompressed file is {digest}, expected {raw.sha256} "
            f"(the canonical {raw.url}); the vendored copy is corrupt or was replaced"
        )
    return data


def check_categories(
    df: pd.DataFrame,
    spec: DatasetSpec,
    source: str,
    only: Sequence[Attribute] | None = None,
) -> pd.DataFrame:
    """Cast every declared categorical column (or those in ``only``) to its declared domain;
    unknown values are errors."""
    out = df.copy()
    for attr in (*spec.sensitive, *spec.categorical) if only is None else only:
        if attr.name not in out.columns:
            raise DataFormatError(f"{source}: column {attr.name!r} is missing")
        col = out[attr.name]
        known = pd.Index(attr.domain)
        values = col.dropna().unique()
        unknown = [v for v in values if v not in set(attr.domain)]
        if unknown:
            raise DataFormatError(
                f"{source}: column {attr.name!r} has values outside its declared domain: "
                f"{sorted(map(str, unknown))[:5]} (allowed: {list(attr.domain)[:10]}"
                f"{' ...' if attr.k > 10 else ''})"
            )
        out[attr.name] = pd.Categorical(col, categories=known)
    return out


def read_raw(
    raw: RawFile,
    raw_dir: str | Path,
    download_dir: str | Path | None = None,
    lock: str | Path | None = None,
) -> bytes:
    """The verified bytes of a raw file: its vendored copy in ``raw_dir`` if there is one,
    else the downloaded file ``download_dir/raw.name`` (see :func:`fairldp.datasets.fetch`),
    checked against the registry's sha256 or, for files without one, the digest pinned in
    ``lock``."""
    if raw.vendored is not None and (Path(raw_dir) / raw.vendored).exists():
        return read_vendored(raw, raw_dir)
    if download_dir is not None and (Path(download_dir) / raw.name).exists():
        from fairldp.datasets.download import expected_sha256

        path = Path(download_dir) / raw.name
        expected = expected_sha256(raw, lock)
        if expected is None:
            raise ChecksumError(
                f"{path}: no sha256 is published or pinned for it (lock file {lock}); "
                "fetch it with fairldp.datasets.fetch(..., lock=...) to pin its digest"
            )
        data = path.read_bytes()
        if sha256_bytes(data) != expected:
            raise ChecksumError(
                f"{path}: sha256 is {sha256_bytes(data)}, expected {expected} ({raw.url})"
            )
        return data
    where = Path(download_dir or raw_dir) / raw.name
    raise FileNotFoundError(
        f"{raw.name} is neither vendored nor downloaded: download {raw.url} (the workflow's "
        f"'download' rule does) or place it by hand at {where} (sha256 {raw.sha256})"
    )


def prepare(
    spec: DatasetSpec,
    raw_dir: str | Path,
    download_dir: str | Path | None = None,
    lock: str | Path | None = None,
    params: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """Parse the raw files of ``spec`` (vendored, else downloaded) into its typed table, with
    a ``row_id`` column. Synthetic datasets are drawn by ``spec.generator(**params)`` (``n``,
    ``seed`` and the generator's parameters)."""
    if spec.generator is not None:
        df = spec.generator(**dict(params or {}))
        files: Mapping[str, bytes] = {}
    else:
        files = {r.name: read_raw(r, raw_dir, download_dir, lock) for r in spec.raw_files}
        df = spec.parser(files, spec)
    if df.empty:
        raise DataFormatError(f"{spec.name}: parsing {list(files)} gave no rows")
    df = check_categories(df, spec, source=f"{spec.name} ({', '.join(files) or 'generated'})")
    for col in spec.numeric:
        if df[col].isna().any():
            raise DataFormatError(f"{spec.name}: numeric column {col!r} has missing values")
    from fairldp.labelbias import CLEAN_SUFFIX

    clean = [spec.target + CLEAN_SUFFIX] if spec.target + CLEAN_SUFFIX in df.columns else []
    cols = [*spec.sensitive_names, *spec.feature_names, spec.target, *clean]  # true label kept
    df = df[cols].reset_index(drop=True)
    df.insert(0, "row_id", pd.RangeIndex(len(df)).astype("int32"))
    return df


#: environment variable naming the folder of the raw files, for :func:`load`
RAW_DIR_ENV = "FAIRLDP_RAW_DIR"


def vendored_raw_dir() -> Path:
    """The folder of the vendored raw files: ``$FAIRLDP_RAW_DIR`` if set, else ``data/raw`` of
    the checkout the package is imported from (a source tree or an editable install)."""
    import os

    env = os.environ.get(RAW_DIR_ENV)
    path = Path(env) if env else Path(__file__).resolve().parents[3] / "data" / "raw"
    if not path.is_dir():
        raise FileNotFoundError(
            f"no raw data folder at {path}: set {RAW_DIR_ENV} to the folder of the raw files "
            "(data/raw of a fairldp checkout), or pass raw_dir"
        )
    return path


def load(name: str, raw_dir: str | Path | None = None, **params: object) -> pd.DataFrame:
    """The prepared table of the registered dataset ``name``: :func:`prepare` of
    :func:`~fairldp.datasets.get_dataset` on the vendored raw files (checksums verified;
    ``raw_dir`` default :func:`vendored_raw_dir`); ``params`` go to a synthetic generator."""
    from fairldp.datasets.registry import get_dataset

    spec = get_dataset(name)
    folder = Path(raw_dir) if raw_dir is not None else (
        None if spec.generator is not None else vendored_raw_dir())  # fmt: skip
    return prepare(spec, folder if folder is not None else ".", params=params or None)


def prepared_metadata(
    spec: DatasetSpec,
    lock: str | Path | None = None,
    params: Mapping[str, object] | None = None,
) -> dict[str, object]:
    from fairldp.datasets.download import expected_sha256

    return {
        "dataset": spec.name,
        "registry_version": REGISTRY_VERSION,
        "sources": [
            {
                "file": r.name,
                "url": r.url,
                "sha256": expected_sha256(r, lock),
                "pinned": r.sha256 is None,
            }
            for r in spec.raw_files
        ],
        "generator_params": dict(params or {}),
        "target": spec.target,
        "positive_label": spec.positive_label,
        "protected": spec.protected,
        "sensitive": spec.sensitive_names,
        "licence": spec.licence,
        "citation": spec.citation,
    }
