"""Generalized (k-ary) randomized response.

GRR (Kairouz et al., 2016; "direct encoding" in Wang et al., USENIX Security 2017) reports the
true value with probability ``p = e^eps / (e^eps + k - 1)`` and each of the other ``k - 1``
values with probability ``q = 1 / (e^eps + k - 1)``; ``p / q = e^eps``, so it is eps-LDP.
The support of a report is the reported value itself, so ``p* = p`` and ``q* = q``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.base import PureProtocol, _check_counts
from fairldp.ldp.estimators import check_method, ibu, project_simplex
from fairldp.ldp.reports import CodeReports, CodeReportsMixin
from fairldp.ldp.validation import check_codes, check_n_users

__all__ = ["GRR"]


class GRR(CodeReportsMixin, PureProtocol):
    """k-ary randomized response over the domain ``{0, ..., k-1}``.

    Parameters
    ----------
    epsilon : float
        Privacy budget, finite and > 0.
    k : int
        Domain size, >= 2.
    """

    name = "grr"

    def __init__(self, epsilon: float, k: int) -> None:
        super().__init__(epsilon, k)
        # p = 1 / (1 + (k-1) e^-eps) and q = e^-eps / (1 + (k-1) e^-eps): no overflow at eps=50+.
        a = math.exp(-self.epsilon)
        den = 1.0 + (self.k - 1) * a
        self.p = 1.0 / den
        self.q = a / den
        #: probability of reporting some other value, ``(k-1) q``, without computing ``1 - p``
        self.flip = (self.k - 1) * a / den
        self.p_star, self.q_star = self.p, self.q
        self.pq_gap = -math.expm1(-self.epsilon) / den
        self.one_minus_p = self.flip
        self.ibu_in, self.ibu_out = self.p, self.q
        self.log_ratio = self.epsilon  # p / q = e^eps

    @property
    def params(self) -> dict[str, Any]:
        return {**super().params, "p": self.p, "q": self.q}

    @property
    def transition_matrix(self) -> NDArray[np.float64]:
        """``T[a, z] = P(report = z | value = a)``: p on the diagonal, q elsewhere."""
        t = np.full((self.k, self.k), self.q)
        np.fill_diagonal(t, self.p)
        return t

    def perturb(self, x: ArrayLike, rng: np.random.Generator) -> CodeReports:
        """Perturb a whole column of codes at once, with one uniform draw per user.

        With ``u ~ U[0, 1)``, ``t = u (k-1) / ((k-1) q)``: the user lies iff ``t < k - 1``,
        i.e. ``u < (k-1) q`` (the lie probability is computed directly as
        ``(k-1) e^-eps / (1 + (k-1) e^-eps)``, never as ``1 - p``, so neither branch is inverted
        or lost to cancellation at large ``eps``), and then ``r = floor(t)`` is uniform on
        ``{0, ..., k-2}``. The report is ``(x + 1 + r) mod k`` for liars (uniform over the
        other values) and ``x`` for the others (``r`` clamped to ``k - 1``).
        """
        codes = check_codes(x, self.k)
        if self.flip == 0.0:  # eps > ~745: e^-eps underflows, nobody lies
            return CodeReports(codes.copy(), self.k)
        k = self.k
        u = rng.random(codes.size)
        u *= (k - 1) / self.flip
        np.minimum(u, k - 1, out=u)
        s = u.view(np.int64)
        np.copyto(s, u, casting="unsafe")  # in-place truncation to r
        s += codes
        if k <= 1 << 16:  # (s + 1) mod k by table look-up: s < 2k - 1
            np.take(np.arange(1, 2 * k) % k, s, out=s, mode="clip")
        else:
            s += 1
            s -= k * (s >= k)
        return CodeReports(s, k)

    def estimate(
        self, reports: ArrayLike, method: str = "unbiased", **ibu_kwargs: Any
    ) -> NDArray[np.float64]:
        """Frequency estimate: unbiased ``(c_v / n - q) / (p - q)`` (no clipping: may be < 0),
        its projection onto the simplex, or IBU (the counts are sufficient for all three)."""
        z = self.as_reports(reports)
        return self.estimate_from_support(self.support(z), len(z), method, **ibu_kwargs)

    def estimate_from_support(
        self, support: ArrayLike, n: int, method: str = "unbiased", **ibu_kwargs: Any
    ) -> NDArray[np.float64]:
        """Estimate from the report counts; for GRR they are sufficient, IBU included."""
        check_n_users(n)
        if check_method(method) == "ibu":
            return ibu(self.transition_matrix.T, support, **ibu_kwargs)
        f = self.unbiased(support, n)
        return project_simplex(f) if method == "simplex" else f

    def sample_support(self, counts: ArrayLike, rng: np.random.Generator) -> NDArray[np.float64]:
        """Report counts ``sum_v Multinomial(n_v, T[v])``: exactly those of real reports."""
        c = _check_counts(counts, self.k)
        return rng.multinomial(c, self.transition_matrix).sum(axis=0).astype(float)

    def ibu_likelihood(self, reports: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return self.transition_matrix.T, self.support(reports)

    def variance(self, f: ArrayLike, n: int) -> NDArray[np.float64]:
        """Exact variance of :meth:`estimate` for true frequency ``f`` and ``n`` users.

        ``Var = q(1-q) / (n (p-q)^2) + f (1-p-q) / (n (p-q))`` (Wang et al., 2017, Eq. 2).
        """
        return super().variance(f, n)
