"""Representations: how released (privatized) rows become model features.

A representation kind is a frozen dataclass registered in :data:`REPRESENTATIONS`; its fields
are the parameters a study file may set (``representations: {name: {kind: ..., **fields}}``).
The represent stage fits it on the training rows of each (budget split, seed) and transforms
the training and test rows (:meth:`Representation.fit_transform`); kinds that fit nothing
(``stateless``, e.g. :class:`~fairldp.representations.identity.Identity`) are applied by the
stages that read them, without an artifact of their own.

What a representation sees (:class:`Layout`, :class:`Groups`): the non-sensitive categorical
and numeric features, the encoded LDP reports of each privatized sensitive attribute, and the
decoded group ``z`` of the study's group attribute with the exact noise model of its channel
(``None`` without privatization, when ``z`` is the true group). Never a raw sensitive value of
a training row: that is the privacy boundary (:mod:`fairldp.privacy`).

Built-in kinds: ``identity`` (the encoding of Arcolezi et al. 2023), ``quantile`` and ``ot``
(barycentric repair, Gordaliza et al. 2019), ``correlation_remover`` (fairlearn, optionally
corrected through ``T``), ``lfr`` (Zemel et al. 2013). A new kind is one module with a
registered subclass of :class:`Representation`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from fairldp.registry import Registry

if TYPE_CHECKING:
    from fairldp.fair.noise import NoiseModel

__all__ = [
    "GROUP_ESTIMATES",
    "REPRESENTATIONS",
    "Fitted",
    "GroupRepresentation",
    "Groups",
    "Layout",
    "Representation",
    "encode",
]


def _load_builtin() -> None:
    from fairldp.representations import encoder, identity, lfr, repair, xie  # noqa: F401


#: representation kind name -> class (a frozen dataclass; its fields are the parameters)
REPRESENTATIONS: Registry[type[Representation]] = Registry("representation kind", _load_builtin)

#: how a group-aware representation reads the privatized group (see fairldp.repair.groups)
GROUP_ESTIMATES = ("naive", "deconvolution", "posterior")


@dataclass(frozen=True)
class Layout:
    """Column names of a released table.

    ``categorical``: non-sensitive categorical features (pandas categorical dtype over their
    declared domains); ``numeric``: numeric features; ``reports``: per privatized sensitive
    attribute, its report-encoding columns (``attribute=value``); ``group``: the study's group
    attribute (its decoded codes are in column ``z``), or None if it was not released.
    """

    categorical: tuple[str, ...]
    numeric: tuple[str, ...]
    reports: dict[str, tuple[str, ...]]
    group: str | None

    def report_columns(self, drop_group: bool = False) -> list[str]:
        return [
            c for a, cols in self.reports.items() if not (drop_group and a == self.group)
            for c in cols
        ]  # fmt: skip


@dataclass(frozen=True)
class Groups:
    """The decoded group ``z`` of training and test rows and the channel it came through.

    ``noise``: the exact :class:`~fairldp.fair.noise.NoiseModel` of the privatized attribute,
    or None when ``z`` is the true group (privatizer ``none``).
    """

    train: np.ndarray
    test: np.ndarray
    k: int
    noise: NoiseModel | None

    @property
    def private(self) -> bool:
        return self.noise is not None


def encode(df: pd.DataFrame, layout: Layout, drop_group: bool = False) -> pd.DataFrame:
    """The identity encoding: report columns as released (uint8 indicators; float32 for SHE),
    then one-hot indicators (uint8) of the categorical features over their declared domains,
    then the numeric features (float64). ``drop_group`` leaves out the group's report block."""
    blocks: dict[str, np.ndarray] = {}
    for c in layout.report_columns(drop_group):
        blocks[c] = df[c].to_numpy()
    for c in layout.categorical:
        col = df[c]
        if not isinstance(col.dtype, pd.CategoricalDtype):
            raise TypeError(f"column {c!r} must have a categorical dtype, got {col.dtype}")
        codes = col.cat.codes.to_numpy()
        if (codes < 0).any():
            raise ValueError(f"column {c!r} has missing values")
        for j, v in enumerate(col.cat.categories):
            blocks[f"{c}={v}"] = (codes == j).astype(np.uint8)
    for c in layout.numeric:
        blocks[c] = df[c].to_numpy(dtype=np.float64)
    return pd.DataFrame(blocks, index=df.index)


@dataclass
class Fitted:
    """Output of a fit: the features of the training and test rows, per repair amount
    (``None`` for kinds without amounts)."""

    amount: float | None
    train: pd.DataFrame
    test: pd.DataFrame


@dataclass(frozen=True)
class Representation(ABC):
    """Base class of representation kinds (a frozen dataclass: its fields are parameters).

    Class attributes: ``kind`` (registry name); ``stateless`` (fits nothing: no artifact of its
    own, applied where it is read); ``uses_groups`` (needs the decoded group and its channel);
    ``needs_numeric`` (transforms the numeric features: the dataset must have some);
    ``interpolates`` (the features at amount ``lambda`` are ``(1 - lambda) x + lambda T(x)``
    of the features ``x`` without the group's report block and their full repair ``T(x)``:
    an artifact stores ``T(x)`` once, and the reader interpolates).
    """

    kind: ClassVar[str]
    stateless: ClassVar[bool] = False
    uses_groups: ClassVar[bool] = False
    needs_numeric: ClassVar[bool] = False
    interpolates: ClassVar[bool] = False

    @classmethod
    def parameters(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def params(self) -> dict[str, Any]:
        """The parameters as plain data (for cache keys, metadata and the metrics table)."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out

    def resolve(self, private: bool) -> Representation:
        """This representation as it runs on a cell: without privatization the groups are the
        true ones, so every group estimate is the same (``groups='true'``)."""
        return self

    @property
    def amounts(self) -> tuple[float, ...] | None:
        """Repair amounts swept inside one artifact, or None."""
        return None

    @property
    def drops_group_report(self) -> bool:
        """Whether the group attribute's report block is left out of the features."""
        return self.uses_groups

    @abstractmethod
    def fit_transform(
        self,
        train: pd.DataFrame,
        test: pd.DataFrame,
        layout: Layout,
        groups: Groups | None,
        y: np.ndarray,
        random_state: int,
    ) -> list[Fitted]:
        """Fit on the training rows (labels ``y``), transform training and test rows."""


def _check_choice(name: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        from fairldp.registry import closest

        raise ValueError(
            f"{name} must be one of {list(allowed)}, got {value!r}{closest(value, list(allowed))}"
        )


def _check_amounts(amounts: Sequence[float]) -> tuple[float, ...]:
    out = tuple(float(a) for a in amounts)
    if not out:
        raise ValueError("amounts is empty: give at least one repair amount in [0, 1]")
    if any(not 0.0 <= a <= 1.0 for a in out):
        raise ValueError(f"amounts must lie in [0, 1], got {list(out)}")
    if len(set(out)) != len(out):
        raise ValueError(f"amounts lists a value twice: {list(out)}")
    return out


@dataclass(frozen=True)
class GroupRepresentation(Representation):
    """A representation fitted with the (privatized) group: ``groups`` says how the group
    distributions are estimated from ``z`` (:data:`GROUP_ESTIMATES`; ``true`` only when
    there is no privatization, set by :meth:`resolve`)."""

    uses_groups: ClassVar[bool] = True
    groups: str = "naive"

    def __post_init__(self) -> None:
        _check_choice("groups", self.groups, (*GROUP_ESTIMATES, "true"))

    def resolve(self, private: bool) -> Representation:
        from dataclasses import replace

        return self if private else replace(self, groups="true")

    def transition(self, groups: Groups) -> np.ndarray | None:
        """``T`` for the estimators that need it (None for naive/true)."""
        if self.groups in ("naive", "true") or groups.noise is None:
            return None
        return groups.noise.T

    def released_features(
        self, train: pd.DataFrame, test: pd.DataFrame, layout: Layout, groups: Groups | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every feature but the group's report block (:func:`encode`), training and test rows
        as float64 arrays; refuses a release without the group (``groups`` None)."""
        if groups is None:
            raise ValueError(f"representation {self.kind!r} needs the group attribute released")
        return (encode(train, layout, drop_group=True).to_numpy(np.float64),
                encode(test, layout, drop_group=True).to_numpy(np.float64))  # fmt: skip

    def group_fit_args(self, groups: Groups, x_train: np.ndarray) -> dict[str, Any]:
        """The group arguments of an estimator's ``fit`` that takes ``sensitive_features=`` or
        ``group_weights=``: the codes ``z`` (naive, true), the unbiased signed weights
        ``T^-T e_z`` (deconvolution, :func:`~fairldp.repair.deconvolution_weights`) or the EM
        posteriors ``P(A | z, x)`` (posterior, :func:`~fairldp.repair.group_weights`)."""
        from fairldp.repair import deconvolution_weights, group_weights

        if self.groups in ("naive", "true"):
            return {"sensitive_features": groups.train}
        if self.groups == "deconvolution":
            return {"group_weights": deconvolution_weights(groups.train, groups.noise.T)}
        return {"group_weights": group_weights(groups.train, groups.noise.T, "posterior",
                                               x_train)}  # fmt: skip

