"""Benchmark datasets: a registry of specs, checksum-verified raw files, parsers and splits."""

from fairldp.datasets.download import DownloadError, fetch
from fairldp.datasets.raw import (
    ChecksumError,
    DataFormatError,
    load,
    prepare,
    vendored_raw_dir,
)
from fairldp.datasets.registry import (
    REGISTRY,
    Attribute,
    DatasetSpec,
    RawFile,
    base_name,
    get_dataset,
    registered,
)
from fairldp.datasets.split import stratified_split

__all__ = [
    "REGISTRY",
    "Attribute",
    "ChecksumError",
    "DataFormatError",
    "DatasetSpec",
    "DownloadError",
    "RawFile",
    "base_name",
    "fetch",
    "get_dataset",
    "load",
    "prepare",
    "registered",
    "stratified_split",
    "vendored_raw_dir",
]
