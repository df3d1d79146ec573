"""Common interface of the frequency-oracle protocols.

A protocol is built from ``(epsilon, k)`` and offers

- client side: ``perturb(x, rng)`` privatizes a whole column of codes in ``[0, k)`` at once;
- server side: ``support(reports)`` aggregates the reports into one statistic per value, and
  ``estimate(reports, method)`` turns it into frequencies: ``"unbiased"`` (inversion, never
  clipped), ``"simplex"`` (Euclidean projection of it onto the simplex) or ``"ibu"`` (EM);
- ``variance(f, n)``: exact variance of the unbiased estimator for ``n`` users of which a
  fraction ``f`` hold the value;
- an estimation-only path, ``sample_support(counts, rng)``, that draws the aggregate directly
  from its distribution given the true counts (never materializing the ``n x k`` reports);
- features for learning: ``encode(reports)`` gives the ``(n, k)`` indicator encoding of each
  report (Arcolezi et al., 2023), ``pack``/``unpack`` a bit-packed form of it.

"Pure" protocols (Wang et al., USENIX Security 2017) have a support set per report such that
``P(v in S | X = v) = p*`` and ``P(v in S | X = u != v) = q*``; the unbiased estimator is
``(C_v / n - q*) / (p* - q*)`` with variance
``q*(1-q*) / (n (p*-q*)^2) + f (1 - p* - q*) / (n (p*-q*))``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.estimators import check_method, ibu, project_simplex
from fairldp.ldp.reports import BitReports, chunk_rows
from fairldp.ldp.validation import check_codes, check_domain_size, check_epsilon

__all__ = ["FrequencyProtocol", "PureProtocol", "true_counts"]

#: Largest number of ``(user, value)`` entries materialized at once (32 MiB of float64).
DEFAULT_CHUNK_ELEMENTS = 1 << 22


def true_counts(x: ArrayLike, k: int, name: str = "x") -> NDArray[np.int64]:
    """Counts ``n_v`` of each code ``v`` in ``[0, k)`` (validated)."""
    return np.bincount(check_codes(x, k, name=name), minlength=k).astype(np.int64)


def _check_counts(counts: ArrayLike, k: int) -> NDArray[np.int64]:
    c = np.asarray(counts)
    if c.shape != (k,) or c.dtype.kind not in "iuf" or np.any(c < 0) or np.any(c != np.floor(c)):
        raise ValueError(f"counts must be {k} non-negative integer counts, got {c!r}")
    if c.sum() == 0:
        raise ValueError("counts is empty: at least one user is needed")
    return c.astype(np.int64)


class FrequencyProtocol(ABC):
    """Base class: an eps-LDP frequency oracle over the domain ``{0, ..., k-1}``."""

    name: ClassVar[str]
    #: cap on ``rows * k`` entries drawn or decoded at once; results do not depend on it.
    chunk_elements: int = DEFAULT_CHUNK_ELEMENTS

    def __init__(self, epsilon: float, k: int) -> None:
        self.epsilon = check_epsilon(epsilon)
        self.k = check_domain_size(k)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(epsilon={self.epsilon!r}, k={self.k})"

    @property
    def params(self) -> dict[str, Any]:
        """The protocol's parameters (for logs and result tables)."""
        return {"protocol": self.name, "epsilon": self.epsilon, "k": self.k}

    # ----- client side -----------------------------------------------------------------
    @abstractmethod
    def perturb(self, x: ArrayLike, rng: np.random.Generator) -> Any:
        """Privatize a whole column of codes in ``[0, k)`` with the given generator."""

    # ----- server side -----------------------------------------------------------------
    @abstractmethod
    def n_reports(self, reports: Any) -> int:
        """Number of users in ``reports``."""

    @abstractmethod
    def support(self, reports: Any) -> NDArray[np.float64]:
        """Aggregate per value (support counts, or column sums for SHE), shape ``(k,)``."""

    @abstractmethod
    def sample_support(self, counts: ArrayLike, rng: np.random.Generator) -> NDArray[np.float64]:
        """Draw :meth:`support` directly from its distribution given true counts ``n_v``."""

    @abstractmethod
    def unbiased(self, support: ArrayLike, n: int) -> NDArray[np.float64]:
        """Unbiased frequency estimate from the aggregate (no clipping)."""

    @abstractmethod
    def variance(self, f: ArrayLike, n: int) -> NDArray[np.float64]:
        """Exact variance of the unbiased estimate of a value with true frequency ``f``."""

    @abstractmethod
    def ibu_likelihood(self, reports: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(L, w)``: distinct reports' likelihood rows ``L[r, v] ~ P(r | v)`` and counts."""

    def estimate(
        self, reports: Any, method: str = "unbiased", **ibu_kwargs: Any
    ) -> NDArray[np.float64]:
        """Frequency estimate from the reports: ``"unbiased"``, ``"simplex"`` or ``"ibu"``."""
        if check_method(method) == "ibu":
            lik, w = self.ibu_likelihood(reports)
            return ibu(lik, w, **ibu_kwargs)
        return self.estimate_from_support(self.support(reports), self.n_reports(reports), method)

    def estimate_from_support(
        self, support: ArrayLike, n: int, method: str = "unbiased"
    ) -> NDArray[np.float64]:
        """Estimate from the aggregate alone: ``"unbiased"`` or ``"simplex"`` (IBU needs the
        reports, except for GRR where the counts are sufficient)."""
        if check_method(method) == "ibu":
            raise ValueError(
                f"method='ibu' needs the reports for {self.name}; from the aggregate alone use "
                "method in ['unbiased', 'simplex']"
            )
        f = self.unbiased(support, n)
        return project_simplex(f) if method == "simplex" else f

    def simulate(
        self, x: ArrayLike, rng: np.random.Generator, method: str = "unbiased"
    ) -> NDArray[np.float64]:
        """Estimation-only path: estimate from :meth:`sample_support` of the column ``x``."""
        counts = true_counts(x, self.k)
        return self.estimate_from_support(self.sample_support(counts, rng), counts.sum(), method)

    # ----- features for learning -----------------------------------------------------------
    @abstractmethod
    def encode_rows(self, reports: Any, start: int, stop: int) -> NDArray[Any]:
        """Encoding of reports ``start:stop``, shape ``(rows, k)``."""

    def encode(self, reports: Any) -> NDArray[Any]:
        """Model features of each report, shape ``(n, k)``: the indicator vector of the values
        the report supports (uint8), or the noisy real vector for SHE."""
        return self.encode_rows(reports, 0, self.n_reports(reports))

    def pack(self, reports: Any) -> BitReports:
        """Bit-packed :meth:`encode` (``ceil(n k / 8)`` bytes), built block by block."""
        if isinstance(reports, BitReports):
            return reports
        n = self.n_reports(reports)
        step = chunk_rows(n, self.k, self.chunk_elements)
        blocks = [
            np.packbits(self.encode_rows(reports, s, min(s + step, n)).astype(bool).ravel())
            for s in range(0, n, step)
        ]
        return BitReports.from_blocks(blocks, n, self.k)

    @staticmethod
    def unpack(packed: BitReports) -> NDArray[np.uint8]:
        """Dense ``(n, k)`` uint8 features from :meth:`pack`."""
        return packed.unpack()

    def feature_names(self, prefix: str, categories: Sequence[Any] | None = None) -> list[str]:
        """Column names of :meth:`encode`: ``f"{prefix}={category}"`` for each value."""
        cats = range(self.k) if categories is None else list(categories)
        if len(cats) != self.k:
            raise ValueError(f"categories must have k = {self.k} entries, got {len(cats)}")
        return [f"{prefix}={c}" for c in cats]


class PureProtocol(FrequencyProtocol):
    """A pure protocol: support probabilities ``p_star`` (own value) and ``q_star`` (others)."""

    p_star: float
    q_star: float
    #: ``p_star - q_star``, computed without cancellation by each protocol.
    pq_gap: float
    #: relative likelihood ``P(report | v)`` when ``v`` is in / not in the report's support.
    ibu_in: float
    ibu_out: float

    @property
    def params(self) -> dict[str, Any]:
        return {**super().params, "p_star": self.p_star, "q_star": self.q_star}

    def unbiased(self, support: ArrayLike, n: int) -> NDArray[np.float64]:
        """``(C_v / n - q*) / (p* - q*)``."""
        return (np.asarray(support, dtype=float) / n - self.q_star) / self.pq_gap

    def variance(self, f: ArrayLike, n: int) -> NDArray[np.float64]:
        """``q*(1-q*) / (n (p*-q*)^2) + f (1 - p* - q*) / (n (p*-q*))`` (Wang et al., 2017).

        Exact for a fixed population with ``n f`` holders of the value: the support count is
        a sum of independent Bernoulli(p*) and Bernoulli(q*) indicators.
        """
        f = np.asarray(f, dtype=float)
        p, q, d = self.p_star, self.q_star, self.pq_gap
        return q * (1 - q) / (n * d**2) + f * (1 - p - q) / (n * d)

    def sample_support(self, counts: ArrayLike, rng: np.random.Generator) -> NDArray[np.float64]:
        """``C_v ~ Bin(n_v, p*) + Bin(n - n_v, q*)``, independently per value.

        Each user's support indicator for ``v`` is an independent Bernoulli(p*) (holders of
        ``v``) or Bernoulli(q*) (the others), so each ``C_v`` has exactly this distribution,
        and the unbiased estimate drawn from it has exactly the distribution of the one
        computed from real reports. For UE and THE the bits are also independent across
        values, so the whole vector is exact; for LH and SS only the per-value marginals are
        (the cross-value covariance of real reports is not reproduced). GRR overrides this
        with the exact multinomial.
        """
        c = _check_counts(counts, self.k)
        n = int(c.sum())
        return (rng.binomial(c, self.p_star) + rng.binomial(n - c, self.q_star)).astype(float)

    def support(self, reports: Any) -> NDArray[np.float64]:
        """Support counts ``C_v``: number of reports whose support contains ``v``."""
        if isinstance(reports, BitReports):
            return reports.column_sums(self.chunk_elements).astype(float)
        n = self.n_reports(reports)
        step = chunk_rows(n, self.k, self.chunk_elements)
        out = np.zeros(self.k, dtype=np.int64)
        for s in range(0, n, step):
            out += self.encode_rows(reports, s, min(s + step, n)).sum(axis=0, dtype=np.int64)
        return out.astype(float)

    def ibu_likelihood(self, reports: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Distinct support indicators ``E`` with counts; ``L = out + (in - out) E``."""
        packed = self.pack(reports)
        rows = np.packbits(packed.unpack().astype(bool), axis=1)
        uniq, cnt = np.unique(rows, axis=0, return_counts=True)
        e = np.unpackbits(uniq, axis=1, count=packed.k).astype(float)
        return self.ibu_out + (self.ibu_in - self.ibu_out) * e, cnt.astype(float)
