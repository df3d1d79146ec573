"""Privatizing several sensitive attributes (Arcolezi et al., DBSec 2023; Wang et al., 2019).

Budget splits (:data:`~fairldp.ldp.budget.BUDGET_SPLITS`) for ``d`` attributes with domain sizes
``k_1, ..., k_d`` and total budget ``eps``:

- ``uniform``: each attribute with its own protocol and ``eps / d`` (sequential composition);
- ``k_based``: attribute ``j`` with ``eps k_j / sum(k)`` (:func:`~fairldp.ldp.split_budget`);
- ``combined``: one protocol over the Cartesian-product domain (size ``prod k_j``, mixed-radix
  codes, first attribute most significant) with the full ``eps``;
- ``sampling``: each user reports one uniformly chosen attribute with the full ``eps``; the
  other attributes are missing for that user.

Random streams: attribute ``a`` is perturbed with
``make_rng(seed, "perturb", dataset, protocol, eps, a)`` where ``eps`` is the *total* budget
(``a`` is ``"+".join(attributes)`` for ``combined``); the sampled attribute of each user comes
from ``make_rng(seed, "perturb", dataset, protocol, eps, "__sampled_attribute__")``. Results thus
depend only on these keys, never on the order attributes or jobs run in. The budget split is not
part of the key, so ``uniform`` and ``k_based`` runs use common random numbers. Another set of
rows of the same users (the test rows of a study) passes ``part`` (e.g. ``"test"``), which is
appended to every key, so that its noise is independent of the training rows'.

Memory: before perturbing anything, :func:`privatize` adds up the bytes that the reports will
take (``protocol.report_nbytes``: ``n k / 8`` for the bit-packed UE/THE/SS reports, ``8 n k``
for SHE, ``8 n`` for GRR, ``24 n`` for BLH/OLH) and raises a ValueError naming the domain
size and the estimate if they exceed ``max_report_bytes`` (default :data:`MAX_REPORT_BYTES`,
4 GiB; ``None`` disables the check). This matters for ``combined``, whose product domain grows
multiplicatively (e.g. OUE over a 10^7-value product domain with 2 * 10^5 users needs 233 GiB).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from fairldp.ldp.base import FrequencyProtocol
from fairldp.ldp.budget import BUDGET_SPLITS, split_budget
from fairldp.ldp.registry import get_protocol
from fairldp.ldp.validation import check_codes, check_domain_size, check_epsilon
from fairldp.rng import make_rng

__all__ = [
    "MAX_REPORT_BYTES",
    "PrivatizedAttributes",
    "PrivatizedColumn",
    "combine_codes",
    "privatize",
    "privatize_column",
    "split_codes",
]

SAMPLING_KEY = "__sampled_attribute__"

#: default cap on the memory of the reports allocated by one :func:`privatize` call (4 GiB)
MAX_REPORT_BYTES = 4 << 30
#: largest product domain whose mixed-radix codes fit in int64
_MAX_CODE = np.iinfo(np.int64).max


def combine_codes(columns: Sequence[ArrayLike], domain_sizes: Sequence[int]) -> NDArray[np.int64]:
    """Mixed-radix code of each row in the product domain: ``((c_1 k_2 + c_2) k_3 + c_3) ...``."""
    out: NDArray[np.int64] | None = None
    for j, (col, k) in enumerate(zip(columns, domain_sizes, strict=True)):
        c = check_codes(col, k, name=f"columns[{j}]")
        out = c.copy() if out is None else out * k + c
    if out is None:
        raise ValueError("columns is empty: at least one sensitive attribute is needed")
    return out


def split_codes(codes: ArrayLike, domain_sizes: Sequence[int]) -> list[NDArray[np.int64]]:
    """Inverse of :func:`combine_codes`."""
    c = check_codes(codes, math.prod(domain_sizes), name="codes")
    return [np.asarray(a, dtype=np.int64) for a in np.unravel_index(c, tuple(domain_sizes))]


@dataclass(frozen=True, eq=False)
class PrivatizedColumn:
    """Reports of one (possibly combined) attribute.

    ``users`` are the dataset rows that reported (``None``: all rows, in order).
    """

    attribute: str
    protocol: FrequencyProtocol
    reports: Any
    users: NDArray[np.int64] | None = None

    def estimate(self, method: str = "unbiased") -> NDArray[np.float64]:
        return self.protocol.estimate(self.reports, method)


def privatize_column(
    x: ArrayLike,
    protocol: str,
    epsilon: float,
    k: int,
    *,
    seed: int,
    dataset: str,
    attribute: str,
    stream_epsilon: float | None = None,
    part: str | None = None,
) -> PrivatizedColumn:
    """Perturb one column with ``get_protocol(protocol, epsilon, k)`` and the stream
    ``make_rng(seed, "perturb", dataset, protocol, stream_epsilon or epsilon, attribute)``
    (with ``part`` appended to the keys if given: e.g. ``"test"`` for the test rows)."""
    proto = get_protocol(protocol, epsilon, k)
    key_eps = proto.epsilon if stream_epsilon is None else check_epsilon(stream_epsilon)
    keys = (attribute,) if part is None else (attribute, part)
    rng = make_rng(seed, "perturb", dataset, proto.name, key_eps, *keys)
    return PrivatizedColumn(attribute, proto, proto.perturb(x, rng))


@dataclass(frozen=True, eq=False)
class PrivatizedAttributes:
    """Result of :func:`privatize`: one :class:`PrivatizedColumn` per part."""

    budget_split: str
    n: int
    attributes: tuple[str, ...]
    domain_sizes: tuple[int, ...]
    parts: tuple[PrivatizedColumn, ...]

    @property
    def epsilons(self) -> dict[str, float]:
        """Budget actually spent by each part."""
        return {p.attribute: p.protocol.epsilon for p in self.parts}

    def estimates(self, method: str = "unbiased") -> dict[str, NDArray[np.float64]]:
        """Estimated frequencies of each attribute (marginals of the joint for ``combined``)."""
        if self.budget_split == "combined":
            joint = self.parts[0].estimate(method).reshape(self.domain_sizes)
            d = len(self.attributes)
            return {
                a: joint.sum(axis=tuple(i for i in range(d) if i != j))
                for j, a in enumerate(self.attributes)
            }
        return {p.attribute: p.estimate(method) for p in self.parts}

    def _decoded_combined(self) -> bool:
        """A combined release whose reports are values of the product domain (GRR): its
        features are the reported tuple decoded to one indicator block per attribute."""
        if self.budget_split != "combined" or len(self.parts) != 1:
            return False
        from fairldp.ldp.reports import CodeReports

        p = self.parts[0]
        return isinstance(p.protocol.as_reports(p.reports), CodeReports)

    def feature_names(self, categories: Mapping[str, Sequence[Any]] | None = None) -> list[str]:
        """Column names of :meth:`features`: ``attr=category`` (``a=x|b=y`` for a combined
        release of indicator vectors over the product domain)."""
        cats = {
            a: list(categories[a]) if categories and a in categories else list(range(k))
            for a, k in zip(self.attributes, self.domain_sizes, strict=True)
        }
        if self._decoded_combined():
            return [f"{a}={c}" for a in self.attributes for c in cats[a]]
        if self.budget_split == "combined":
            return [
                "|".join(f"{a}={c}" for a, c in zip(self.attributes, combo, strict=True))
                for combo in itertools.product(*(cats[a] for a in self.attributes))
            ]
        return [
            n for p in self.parts for n in p.protocol.feature_names(p.attribute, cats[p.attribute])
        ]

    def features(
        self,
        categories: Mapping[str, Sequence[Any]] | None = None,
        *,
        missing: float = np.nan,
        dtype: DTypeLike = np.float32,
    ) -> tuple[NDArray[Any], list[str]]:
        """Model features ``(n, m)`` and their names: each part's :meth:`encode` side by side;
        rows of users who did not report an attribute (``sampling``) hold ``missing``. A
        combined GRR release (one reported tuple per user) is decoded to one indicator block
        per attribute, as Makhlouf et al. (DMKD 2024) feed it to the model: the same
        information as the product's indicators in ``sum k_j`` columns instead of
        ``prod k_j``."""
        names = self.feature_names(categories)
        out = np.empty((self.n, len(names)), dtype=dtype)
        if self._decoded_combined():
            col = 0
            for digits, k in zip(split_codes(np.asarray(self.parts[0].reports),
                                             self.domain_sizes), self.domain_sizes,
                                 strict=True):  # fmt: skip
                out[:, col : col + k] = 0
                out[np.arange(self.n), col + digits] = 1
                col += k
            return out, names
        col = 0
        for p in self.parts:
            enc = p.protocol.encode(p.reports)
            w = enc.shape[1]
            if p.users is None:
                out[:, col : col + w] = enc
            else:
                out[:, col : col + w] = missing
                out[p.users, col : col + w] = enc
            col += w
        return out, names


def privatize(
    columns: Mapping[str, ArrayLike],
    domain_sizes: Mapping[str, int],
    protocol: str,
    epsilon: float,
    budget_split: str,
    *,
    seed: int,
    dataset: str,
    part: str | None = None,
    max_report_bytes: int | None = MAX_REPORT_BYTES,
) -> PrivatizedAttributes:
    """Privatize the sensitive attributes ``columns`` (name -> integer codes in ``[0, k)``)
    with ``protocol`` and total budget ``epsilon`` spent as ``budget_split`` says (one of
    :data:`~fairldp.ldp.budget.BUDGET_SPLITS`).

    Raises a ValueError before allocating anything if the reports would take more than
    ``max_report_bytes`` bytes (``None``: no limit); see the module docstring.
    """
    if budget_split not in BUDGET_SPLITS:
        raise ValueError(f"budget_split must be one of {list(BUDGET_SPLITS)}, got {budget_split!r}")
    eps = check_epsilon(epsilon)
    attrs = tuple(columns)
    if not attrs:
        raise ValueError("columns is empty: at least one sensitive attribute is needed")
    missing = [a for a in attrs if a not in domain_sizes]
    if missing:
        raise ValueError(f"domain_sizes has no entry for attributes {missing}")
    ks = tuple(check_domain_size(domain_sizes[a], name=f"domain_sizes[{a!r}]") for a in attrs)
    cols = [
        check_codes(columns[a], k, name=f"columns[{a!r}]") for a, k in zip(attrs, ks, strict=True)
    ]
    n = cols[0].size
    if any(c.size != n for c in cols):
        raise ValueError(f"columns must all have the same length, got {[c.size for c in cols]}")
    kw: dict[str, Any] = {"seed": seed, "dataset": dataset, "stream_epsilon": eps, "part": part}

    def require_fits(plan: Sequence[tuple[FrequencyProtocol, int]], domain: str) -> None:
        need = sum(proto.report_nbytes(m) for proto, m in plan)
        if max_report_bytes is not None and need > max_report_bytes:
            raise ValueError(
                f"privatize(budget_split={budget_split!r}) with {plan[0][0].name} over {domain} "
                f"for n = {n} users would allocate about {need / 2**30:.3g} GiB ({need} bytes) "
                f"of reports, above max_report_bytes = {max_report_bytes} "
                f"({max_report_bytes / 2**30:.3g} GiB); use fewer or coarser attributes, "
                "another budget split, or pass a larger max_report_bytes (None: no limit)"
            )

    if budget_split in ("uniform", "k_based"):
        budgets = split_budget(eps, ks, budget_split)
        require_fits(
            [(get_protocol(protocol, e, k), n) for k, e in zip(ks, budgets, strict=True)],
            f"domains of sizes {list(ks)}",
        )
        parts = tuple(
            privatize_column(c, protocol, e, k, attribute=a, **kw)
            for a, c, k, e in zip(attrs, cols, ks, budgets, strict=True)
        )
    elif budget_split == "combined":
        size = math.prod(ks)
        domain = f"the product domain of size {size} (= {' x '.join(map(str, ks))})"
        if size > _MAX_CODE:
            raise ValueError(f"{domain} is too large for int64 codes (at most {_MAX_CODE})")
        require_fits([(get_protocol(protocol, eps, size), n)], domain)
        codes = combine_codes(cols, ks)
        parts = (privatize_column(codes, protocol, eps, size, attribute="+".join(attrs), **kw),)
    else:  # sampling
        proto_name = get_protocol(protocol, eps, 2).name
        keys = (SAMPLING_KEY,) if part is None else (SAMPLING_KEY, part)
        choice = make_rng(seed, "perturb", dataset, proto_name, eps, *keys).integers(
            0, len(attrs), size=n
        )
        sizes = np.bincount(choice, minlength=len(attrs))
        require_fits(
            [(get_protocol(protocol, eps, k), int(m)) for k, m in zip(ks, sizes, strict=True)],
            f"domains of sizes {list(ks)}",
        )
        plist = []
        for j, (a, c, k) in enumerate(zip(attrs, cols, ks, strict=True)):
            users = np.flatnonzero(choice == j)
            if users.size == 0:
                raise ValueError(f"no user sampled attribute {a!r}: n = {n} is too small")
            part = privatize_column(c[users], protocol, eps, k, attribute=a, **kw)
            plist.append(PrivatizedColumn(a, part.protocol, part.reports, users))
        parts = tuple(plist)
    return PrivatizedAttributes(budget_split, n, attrs, ks, parts)
