"""Whole-record local privacy: every released column of a user under one budget and one ledger.

A user releases ``d`` columns: categorical ones (sensitive attributes and features, each
through a frequency oracle of :data:`~fairldp.ldp.PROTOCOLS`; ``adp`` picks GRR or OUE by
variance per column, Wang et al. USENIX Security 2017), bounded numeric ones (through a
mechanism of :data:`~fairldp.ldp.NUMERIC_MECHANISMS` over a declared range ``[low, high]``)
and possibly the label (randomized response, :class:`~fairldp.ldp.LabelRR`). The total budget
``eps`` is spent as :data:`RECORD_SPLITS` say:

- ``uniform``: ``eps_j = eps / d`` (sequential composition: the record is ``eps``-LDP);
- ``k_based``: ``eps_j = eps w_j / sum(w)`` with ``w_j = k_j`` for a categorical column and
  :data:`NUMERIC_WEIGHT` (2, the two outputs of Duchi's mechanism) for a numeric one;
- ``weighted``: ``eps_j = eps w_j / sum(w)`` for weights the study declares;
- ``sampling``: each user draws ``m`` of the ``d`` columns uniformly without replacement and
  reports each with ``eps / m``; the other columns are missing for that user (Wang et al.,
  ICDE 2019, Sec. IV, who take ``m = max(1, min(d, floor(eps / 2.5)))``: ``m = "auto"``). Which
  columns a user reports does not depend on the data, so the record is ``eps``-LDP by
  composition over the ``m`` reported columns; no amplification by sampling is claimed (the
  server sees which columns were sampled). Each column is reported with probability
  ``m / d``, which the ledger records.

Random streams: column ``c`` with ``make_rng(seed, "perturb", dataset, mechanism, eps, c[,
part])`` (``eps`` the total budget, as :func:`fairldp.ldp.privatize`), the sampled columns
with ``make_rng(seed, "perturb", dataset, "record", eps, "__sampled_columns__"[, part])``, and
the label of a user who did not sample it (a uniform class: the label column of a sampling
release always has a value) with ``make_rng(seed, "perturb", dataset, "record", eps,
"__unsampled_label__"[, part])``.

Features for learning (:meth:`PrivatizedRecord.features`), per column, ``encoding``:

- ``reports``: categorical columns as the oracle's encoding (GRR one-hot, OUE bits), numeric
  columns as the report in original units; a missing column (sampling) is 0 (indicators) or
  the middle of the range (numeric);
- ``unbiased``: per-user unbiased moments: ``(b - q*) / (p* - q*)`` for the support
  indicators ``b`` of a pure oracle, whose expectation is the one-hot of the true value, and
  the numeric report; under sampling both are divided by ``m / d`` and a missing column is 0
  (in normalised units for numeric columns: the middle of the range), so that every moment
  stays unbiased.

References: T. Wang, J. Blocki, N. Li, S. Jha, "Locally differentially private protocols for
frequency estimation", USENIX Security 2017. N. Wang et al., "Collecting and analyzing
multidimensional data with local differential privacy", ICDE 2019. H. H. Arcolezi et al., "On
the impact of multi-dimensional local differential privacy on fairness", DMKD 2024.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.base import FrequencyProtocol, PureProtocol
from fairldp.ldp.label import LabelRR
from fairldp.ldp.multi import PrivatizedColumn
from fairldp.ldp.numeric import NumericMechanism, get_numeric_mechanism
from fairldp.ldp.registry import get_protocol
from fairldp.ldp.validation import check_codes, check_epsilon
from fairldp.rng import make_rng

__all__ = [
    "ENCODINGS",
    "NUMERIC_WEIGHT",
    "RECORD_SPLITS",
    "ColumnSpec",
    "PrivatizedRecord",
    "auto_sampled",
    "privatize_record",
    "record_budgets",
]

RECORD_SPLITS = ("uniform", "k_based", "weighted", "sampling")
ENCODINGS = ("reports", "unbiased")
KINDS = ("categorical", "numeric", "label")
#: weight of a numeric column in the ``k_based`` split
NUMERIC_WEIGHT = 2.0
SAMPLING_KEY = "__sampled_columns__"
LABEL_KEY = "__unsampled_label__"


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a record: ``kind`` (categorical, numeric or label), its ``mechanism`` (a
    frequency oracle, ``adp`` included, for categorical columns; a numeric mechanism; ``rr``
    for the label), ``k`` (categorical and label) or ``low``/``high`` (numeric, the declared
    clipping range) and ``weight`` (the ``weighted`` split)."""

    name: str
    kind: str
    mechanism: str
    k: int = 0
    low: float = math.nan
    high: float = math.nan
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: kind must be one of {KINDS}, got "
                             f"{self.kind!r}")  # fmt: skip
        if self.kind == "numeric":
            if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
                raise ValueError(f"numeric column {self.name!r} needs a finite range low < high, "
                                 f"got [{self.low}, {self.high}]")  # fmt: skip
        elif self.k < 2:
            raise ValueError(f"column {self.name!r} needs a domain size k >= 2, got {self.k}")
        if self.kind == "label" and self.mechanism != "rr":
            raise ValueError(f"the label is privatized with 'rr', got {self.mechanism!r}")
        if not (self.weight > 0 and math.isfinite(self.weight)):
            raise ValueError(f"column {self.name!r}: weight must be positive, got {self.weight}")

    @property
    def split_weight(self) -> float:
        """Weight in the ``k_based`` split: ``k``, or :data:`NUMERIC_WEIGHT` if numeric."""
        return NUMERIC_WEIGHT if self.kind == "numeric" else float(self.k)


def auto_sampled(epsilon: float, d: int) -> int:
    """``m = max(1, min(d, floor(eps / 2.5)))`` (Wang et al., ICDE 2019, Sec. IV)."""
    if math.isinf(epsilon):
        return d
    return max(1, min(d, math.floor(epsilon / 2.5)))


def record_budgets(
    columns: Sequence[ColumnSpec], epsilon: float, budget_split: str, sampled: int | str = "auto"
) -> tuple[list[float], int]:
    """Per-column budgets and the number ``m`` of columns each user reports (``d`` except for
    ``sampling``); the budgets of the columns a user reports sum to ``epsilon``."""
    eps = check_epsilon(epsilon)
    d = len(columns)
    if d == 0:
        raise ValueError("a record needs at least one column to privatize")
    if budget_split == "sampling":
        m = auto_sampled(eps, d) if sampled == "auto" else int(sampled)
        if not 1 <= m <= d:
            raise ValueError(f"sampled must be 'auto' or an integer in [1, {d}], got {sampled!r}")
        return [eps / m] * d, m
    if budget_split == "uniform":
        w = np.ones(d)
    elif budget_split == "k_based":
        w = np.array([c.split_weight for c in columns])
    elif budget_split == "weighted":
        w = np.array([c.weight for c in columns])
    else:
        raise ValueError(f"budget_split must be one of {list(RECORD_SPLITS)}, got "
                         f"{budget_split!r}")  # fmt: skip
    return [float(eps * x) for x in w / w.sum()], d


@dataclass(frozen=True)
class NumericColumn:
    """Reports of one numeric column (original units), for the ``users`` who reported it
    (``None``: all rows, in order)."""

    attribute: str
    mechanism: NumericMechanism
    reports: NDArray[np.float64]
    users: NDArray[np.int64] | None = None


@dataclass(frozen=True, eq=False)
class PrivatizedRecord:
    """Result of :func:`privatize_record`: the reports of every column, and its ledger."""

    n: int
    epsilon: float
    budget_split: str
    sampled: int
    columns: tuple[ColumnSpec, ...]
    epsilons: dict[str, float]
    parts: dict[str, PrivatizedColumn | NumericColumn] = field(repr=False)
    #: the released label of every user; under ``sampling`` the users who did not sample the
    #: label get a uniform class here, while ``parts[label]`` holds only the reports of those
    #: who did (so that its frequency estimate is unbiased)
    released_label: NDArray[np.int64] | None = field(default=None, repr=False)

    @property
    def report_probability(self) -> float:
        """Probability that a user reports a given column: ``m / d``."""
        return self.sampled / len(self.columns)

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)

    def mechanism_name(self, name: str) -> str:
        """The mechanism that released column ``name`` (``adp`` resolved to its choice)."""
        part = self.parts[name]
        if isinstance(part, NumericColumn):
            return part.mechanism.name
        return LabelRR.name if self.column(name).kind == "label" else part.protocol.name

    def ledger(self) -> dict[str, Any]:
        """JSON-serialisable: per column its kind, mechanism (``adp`` resolved to the oracle it
        chose), budget, and domain size or range."""
        cols = {}
        for c in self.columns:
            entry: dict[str, Any] = {"kind": c.kind, "mechanism": self.mechanism_name(c.name),
                                     "epsilon": float(self.epsilons[c.name])}  # fmt: skip
            if c.kind == "numeric":
                entry["range"] = [float(c.low), float(c.high)]
            else:
                entry["k"] = int(c.k)
            cols[c.name] = entry
        return {"epsilon": float(self.epsilon), "budget_split": self.budget_split,
                "sampled": int(self.sampled), "report_probability": self.report_probability,
                "columns": cols}  # fmt: skip

    def label(self) -> NDArray[np.int64]:
        """The released label of every user (a uniform class for users who did not sample
        it: drawn in :func:`privatize_record`)."""
        if self.released_label is None:
            raise ValueError("this record has no privatized label")
        return np.asarray(self.released_label, dtype=np.int64)

    def features(
        self, name: str, encoding: str = "reports", dtype: Any = np.float32
    ) -> NDArray[Any]:
        """Learning features of one column, ``(n, k)`` for a categorical column (the oracle's
        encoding) and ``(n,)`` for a numeric one; see the module docstring for ``encoding``."""
        if encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")
        c, part = self.column(name), self.parts[name]
        r = self.report_probability
        if isinstance(part, NumericColumn):
            mech = part.mechanism
            t = np.zeros(self.n)  # normalised units; 0 is the middle of the range
            users = slice(None) if part.users is None else part.users
            t[users] = (part.reports - mech.mid) / mech.scale
            if encoding == "unbiased" and part.users is not None:
                t /= r
            return mech.denormalize(t).astype(dtype)
        if c.kind == "label":
            raise ValueError("the label is not a feature: use label()")
        proto = part.protocol
        enc = np.asarray(proto.encode(part.reports), dtype=np.float64)
        if encoding == "unbiased":
            if not isinstance(proto, PureProtocol):
                raise ValueError(f"the unbiased encoding needs a pure protocol, not {proto.name}")
            enc = (enc - proto.q_star) / (proto.p_star - proto.q_star)
            if part.users is not None:
                enc /= r
        out = np.zeros((self.n, enc.shape[1]), dtype=dtype)
        out[slice(None) if part.users is None else part.users] = enc
        return out


def privatize_record(
    values: Mapping[str, ArrayLike],
    columns: Sequence[ColumnSpec],
    epsilon: float,
    budget_split: str = "uniform",
    *,
    seed: int,
    dataset: str,
    sampled: int | str = "auto",
    part: str | None = None,
) -> PrivatizedRecord:
    """Privatize every column of ``columns`` (``values[name]``: integer codes in ``[0, k)``
    for categorical and label columns, reals for numeric ones, one per user) with the total
    budget ``epsilon`` spent as ``budget_split`` says (:data:`RECORD_SPLITS`; ``sampled``:
    the number of columns a user reports under ``sampling``). Vectorized per column."""
    eps = check_epsilon(epsilon)
    columns = tuple(columns)
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ValueError(f"column names must be unique, got {names}")
    missing = [c for c in names if c not in values]
    if missing:
        raise ValueError(f"values has no column {missing}")
    if sum(c.kind == "label" for c in columns) > 1:
        raise ValueError("a record has at most one label column")
    n = len(np.asarray(values[names[0]]))
    budgets, m = record_budgets(columns, eps, budget_split, sampled)
    keys = () if part is None else (part,)
    mask = None
    if budget_split == "sampling":
        rng = make_rng(seed, "perturb", dataset, "record", eps, SAMPLING_KEY, *keys)
        ranks = np.argsort(np.argsort(rng.random((n, len(columns))), axis=1), axis=1)
        mask = ranks < m
    parts: dict[str, PrivatizedColumn | NumericColumn] = {}
    released_label: NDArray[np.int64] | None = None
    epsilons = {}
    for j, (c, e) in enumerate(zip(columns, budgets, strict=True)):
        x = np.asarray(values[c.name])
        if x.shape != (n,):
            raise ValueError(f"column {c.name!r} has shape {x.shape}, expected ({n},)")
        users = None if mask is None else np.flatnonzero(mask[:, j])
        sel = x if users is None else x[users]
        if c.kind == "numeric":
            mech = get_numeric_mechanism(c.mechanism, e, c.low, c.high)
            rng = make_rng(seed, "perturb", dataset, mech.name, eps, c.name, *keys)
            parts[c.name] = NumericColumn(c.name, mech, mech.perturb(sel, rng), users)
            epsilons[c.name] = mech.epsilon
        elif c.kind == "label":
            rr = LabelRR(e, c.k)
            rng = make_rng(seed, "perturb", dataset, rr.name, eps, c.name, *keys)
            reported = rr.perturb(check_codes(sel, c.k, name=c.name), rng)
            released_label = reported
            if users is not None:  # users who did not sample the label: a uniform class
                released_label = make_rng(seed, "perturb", dataset, "record", eps, LABEL_KEY,
                                          *keys).integers(0, c.k, size=n)  # fmt: skip
                released_label[users] = reported
            parts[c.name] = PrivatizedColumn(c.name, rr.grr, reported, users)
            epsilons[c.name] = rr.epsilon
        else:
            proto: FrequencyProtocol = get_protocol(c.mechanism, e, c.k)
            rng = make_rng(seed, "perturb", dataset, proto.name, eps, c.name, *keys)
            reports = proto.perturb(check_codes(sel, c.k, name=c.name), rng)
            inner = getattr(proto, "inner", proto)  # adp: the oracle it chose
            parts[c.name] = PrivatizedColumn(c.name, inner, reports, users)
            epsilons[c.name] = proto.epsilon
    return PrivatizedRecord(n, eps, budget_split, m, columns, epsilons, parts, released_label)


def with_weights(columns: Sequence[ColumnSpec], weights: Mapping[str, float]) -> list[ColumnSpec]:
    """``columns`` with the declared ``weights`` (others keep 1); unknown names are errors."""
    unknown = sorted(set(weights) - {c.name for c in columns})
    if unknown:
        raise ValueError(f"weights for columns {unknown} that the record does not release")
    return [replace(c, weight=float(weights.get(c.name, 1.0))) for c in columns]
