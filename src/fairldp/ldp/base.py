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

Every ``perturb`` returns a :class:`~fairldp.ldp.reports.Reports` (``len``, ``k``, ``rows``,
``iter_rows``, ``column_sums``), so aggregation, encoding and decoding are generic;
``as_reports`` also turns a plain array (GRR codes, SHE vectors) into one, validated.

"Pure" protocols (Wang et al., USENIX Security 2017) have a support set per report such that
``P(v in S | X = v) = p*`` and ``P(v in S | X = u != v) = q*``; the unbiased estimator is
``(C_v / n - q*) / (p* - q*)`` with variance
``q*(1-q*) / (n (p*-q*)^2) + f (1 - p* - q*) / (n (p*-q*))``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.estimators import check_method, ibu, project_simplex
from fairldp.ldp.reports import DEFAULT_CHUNK_ELEMENTS, BitReports, Reports
from fairldp.ldp.validation import check_codes, check_domain_size, check_epsilon, check_n_users

__all__ = ["DEFAULT_CHUNK_ELEMENTS", "FrequencyProtocol", "PureProtocol", "true_counts"]

#: smallest positive likelihood ratio kept in IBU likelihoods (``e^-eps`` would underflow
#: to 0 for eps > 745 and could leave a report with likelihood 0 under every value)
_MIN_LIKELIHOOD = 1e-300


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
    def perturb(self, x: ArrayLike, rng: np.random.Generator) -> Reports:
        """Privatize a whole column of codes in ``[0, k)`` with the given generator."""

    @abstractmethod
    def report_nbytes(self, n: int) -> int:
        """Bytes that :meth:`perturb` allocates for the reports of ``n`` users."""

    # ----- server side -----------------------------------------------------------------
    def as_reports(self, reports: Any) -> Reports:
        """``reports`` as this protocol's :class:`~fairldp.ldp.reports.Reports` (plain arrays
        are validated and wrapped by the protocols that produce arrays: GRR, SHE)."""
        if not isinstance(reports, Reports):
            raise ValueError(
                f"reports of {self.name} must be the output of its perturb(), got "
                f"{type(reports).__name__}"
            )
        if reports.k != self.k:
            raise ValueError(f"reports are over a domain of size {reports.k}, not k = {self.k}")
        return reports

    def n_reports(self, reports: Any) -> int:
        """Number of users in ``reports``."""
        return len(self.as_reports(reports))

    @abstractmethod
    def support(self, reports: Any) -> NDArray[np.float64]:
        """Aggregate per value (support counts, or column sums for SHE), shape ``(k,)``."""

    @abstractmethod
    def sample_support(self, counts: ArrayLike, rng: np.random.Generator) -> NDArray[np.float64]:
        """Draw :meth:`support` directly from its distribution given true counts ``n_v``."""

    @abstractmethod
    def unbiased(self, support: ArrayLike, n: int) -> NDArray[np.float64]:
        """Unbiased frequency estimate from the aggregate of ``n >= 1`` users (no clipping)."""

    @abstractmethod
    def variance(self, f: ArrayLike, n: int) -> NDArray[np.float64]:
        """Exact variance of the unbiased estimate of a value with true frequency ``f`` among
        ``n >= 1`` users (``n`` is validated: a ValueError names what was found)."""

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
    def encode_rows(self, reports: Any, start: int, stop: int) -> NDArray[Any]:
        """Encoding of reports ``start:stop``, shape ``(rows, k)``: ``reports.rows``."""
        return self.as_reports(reports).rows(start, stop)

    def encode(self, reports: Any) -> NDArray[Any]:
        """Model features of each report, shape ``(n, k)``: the indicator vector of the values
        the report supports (uint8), or the noisy real vector for SHE."""
        return self.encode_rows(reports, 0, self.n_reports(reports))

    def pack(self, reports: Any) -> BitReports:
        """Bit-packed :meth:`encode` (``ceil(n k / 8)`` bytes), built block by block."""
        rep = self.as_reports(reports)
        if isinstance(rep, BitReports):
            return rep
        if not rep.indicator:
            raise ValueError(f"{self.name} reports are real-valued and cannot be bit-packed")
        blocks = [
            np.packbits(rows.astype(bool).ravel()) for _, rows in rep.iter_rows(self.chunk_elements)
        ]
        return BitReports.from_blocks(blocks, len(rep), self.k)

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
    #: ``p_star - q_star`` and ``1 - p_star``, computed without cancellation by each protocol
    #: (from ``e^-eps``, never as differences of numbers close to one).
    pq_gap: float
    one_minus_p: float
    #: relative likelihood ``P(report | v)`` when ``v`` is in / not in the report's support,
    #: and ``log(ibu_in / ibu_out)`` computed in log space (finite even where ``ibu_out``
    #: underflows to 0).
    ibu_in: float
    ibu_out: float
    log_ratio: float

    @property
    def params(self) -> dict[str, Any]:
        return {**super().params, "p_star": self.p_star, "q_star": self.q_star}

    def unbiased(self, support: ArrayLike, n: int) -> NDArray[np.float64]:
        """``(C_v / n - q*) / (p* - q*)``."""
        n = check_n_users(n)
        return (np.asarray(support, dtype=float) / n - self.q_star) / self.pq_gap

    def variance(self, f: ArrayLike, n: int) -> NDArray[np.float64]:
        """``q*(1-q*) / (n (p*-q*)^2) + f (1 - p* - q*) / (n (p*-q*))`` (Wang et al., 2017).

        Exact for a fixed population with ``n f`` holders of the value: the support count is
        a sum of ``n f`` Bernoulli(p*) and ``n (1 - f)`` Bernoulli(q*) independent indicators,
        so the variance is evaluated in the equivalent form
        ``(f p* (1-p*) + (1-f) q* (1-q*)) / (n (p*-q*)^2)``: a sum of non-negative terms for
        ``f`` in ``[0, 1]`` (the form above cancels to ``O(e^-eps)`` at ``f = 1``), with each
        protocol's cancellation-free :attr:`one_minus_p`, each term scaled by ``1 / d`` twice
        so that no intermediate under- or overflows.
        """
        n = check_n_users(n)
        f = np.asarray(f, dtype=float)
        p, q, d = self.p_star, self.q_star, self.pq_gap
        return (f * ((p / d) * (self.one_minus_p / d)) + (1 - f) * ((q / d) * ((1 - q) / d))) / n

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
        return self.as_reports(reports).column_sums(self.chunk_elements).astype(float)

    def ibu_likelihood(self, reports: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Distinct support indicators ``E`` with counts; ``L = 1`` in the support and
        ``ibu_out / ibu_in = e^-log_ratio`` (floored at 1e-300) out of it; a report with an
        empty support is equally likely under every value (``L = 1``)."""
        packed = self.pack(reports)
        uniq, cnt = np.unique(
            np.packbits(packed.unpack().astype(bool), axis=1), axis=0, return_counts=True
        )
        e = np.unpackbits(uniq, axis=1, count=packed.k).astype(bool)
        out = max(math.exp(-self.log_ratio), _MIN_LIKELIHOOD)
        lik = np.where(e | ~e.any(axis=1, keepdims=True), 1.0, out)
        return lik, cnt.astype(float)
