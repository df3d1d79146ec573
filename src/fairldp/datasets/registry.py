"""The dataset registry: one :class:`DatasetSpec` per benchmark table.

A spec declares where the raw files come from (canonical URL, sha256, vendored copy), the
licence and citation, the parser, the target and its positive label, the protected attribute
on which fairness is measured, the sensitive attributes that users perturb under LDP (with
their public domains, which fix the LDP domain size k), and the feature columns.

Domains are declared here rather than read off the data: the LDP domain must be public, and
the one-hot columns of every split must be the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from fairldp.registry import Registry

__all__ = [
    "REGISTRY",
    "REGISTRY_VERSION",
    "VARIANT_SEP",
    "Attribute",
    "DatasetSpec",
    "RawFile",
    "base_name",
    "find_raw_file",
    "get_dataset",
]

REGISTRY_VERSION = "1"


@dataclass(frozen=True)
class RawFile:
    """One raw file: canonical address, sha256 of its bytes, optional vendored gzip copy.

    ``sha256=None`` marks an upstream file whose publisher gives no checksum and that was never
    available to us offline (LSAC, Diabetes 130-US, ACS PUMS): its digest is pinned on first
    download in a lock file (:data:`fairldp.datasets.download.LOCK_FILE`) and verified on every
    later use (trust on first use; commit the lock file to fix the bytes of a study).
    ``derived_from``/``derive``: the raw file is computed by ``derive(bytes of upstream)`` from
    that upstream file (one of the spec's ``sources``; COMPAS), not downloaded.
    """

    name: str
    url: str
    sha256: str | None
    vendored: str | None = None  # file name under data/raw/ (gzip-compressed copy)
    derived_from: str | None = None
    derive: Callable[[bytes], bytes] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Attribute:
    """A categorical column and its public domain (ordered)."""

    name: str
    domain: tuple[str | int, ...]

    @property
    def k(self) -> int:
        """Domain size."""
        return len(self.domain)


@dataclass(frozen=True)
class DatasetSpec:
    """Everything a study needs to know about one dataset."""

    name: str
    title: str
    raw_files: tuple[RawFile, ...]
    licence: str
    citation: str
    parser: Callable[[Mapping[str, bytes], DatasetSpec], pd.DataFrame] = field(repr=False)
    target: str
    positive_label: str
    protected: str
    sensitive: tuple[Attribute, ...]
    categorical: tuple[Attribute, ...]
    numeric: tuple[str, ...]
    preprocessing: str = ""
    sources: tuple[RawFile, ...] = ()  # upstream files a raw file is derived from (COMPAS)
    #: synthetic datasets: ``generator(n, seed, **params)`` draws the table (no raw files)
    generator: Callable[..., pd.DataFrame] | None = field(default=None, repr=False)
    #: the reference (privileged) group of ``protected``, against which the signed fairness
    #: differences are taken (None: no signed differences)
    reference: str | int | None = None

    def __post_init__(self) -> None:
        names = [a.name for a in self.sensitive]
        if self.protected not in names:
            raise ValueError(f"{self.name}: protected attribute {self.protected!r} not in {names}")
        domain = self.attribute(self.protected).domain
        if self.reference is not None and self.reference not in domain:
            raise ValueError(
                f"{self.name}: reference group {self.reference!r} not in the domain {domain}"
            )

    @property
    def sensitive_names(self) -> list[str]:
        return [a.name for a in self.sensitive]

    @property
    def feature_names(self) -> list[str]:
        """Non-sensitive features, in table order."""
        return [a.name for a in self.categorical] + list(self.numeric)

    def attribute(self, name: str) -> Attribute:
        for a in (*self.sensitive, *self.categorical):
            if a.name == name:
                return a
        raise KeyError(f"{self.name} has no categorical attribute {name!r}")


def _load_builtin() -> None:
    from fairldp.datasets import (  # noqa: F401
        acs,
        adult,
        clinical,
        compas,
        diabetes,
        diagnosis,
        german,
        lsac,
        synthetic,
    )


#: dataset name -> :class:`DatasetSpec`; a new dataset is one module calling :func:`register`
REGISTRY: Registry[DatasetSpec] = Registry("dataset", _load_builtin)


def register(spec: DatasetSpec, replace: bool = False) -> DatasetSpec:
    """Add ``spec`` to :data:`REGISTRY` under its name (``replace``: a new version of it)."""
    return REGISTRY.register(spec.name, spec, replace=replace)


def find_raw_file(name: str) -> tuple[DatasetSpec, RawFile]:
    """The dataset and registry entry of a raw (or upstream source) file, by file name."""
    for spec in REGISTRY.values():
        for raw in (*spec.raw_files, *spec.sources):
            if raw.name == name:
                return spec, raw
    known = sorted(r.name for s in REGISTRY.values() for r in (*s.raw_files, *s.sources))
    raise KeyError(f"no registered raw file {name!r}; known: {known}")


def registered() -> dict[str, DatasetSpec]:
    """Every registered dataset, by name."""
    return dict(REGISTRY.items())


#: separates a dataset's name from its label-bias level in the chain's keys, ``support2@0.3``
VARIANT_SEP = "@"


def base_name(name: str) -> str:
    """The registered dataset of a chain key: ``support2@0.3`` -> ``support2`` (a label-bias
    level of a sweep, :meth:`fairldp.config.LabelBias.key`); a plain name is its own base."""
    return name.partition(VARIANT_SEP)[0]


def get_dataset(name: str) -> DatasetSpec:
    """The spec of a registered dataset (or of the base of a label-bias level,
    :func:`base_name`); an unknown name raises :class:`~fairldp.registry.UnknownNameError` (a
    KeyError) naming the closest ones."""
    return REGISTRY.get(base_name(name))
