"""Generalized (k-ary) randomized response.

GRR (Kairouz et al., 2016; "direct encoding" in Wang et al., USENIX Security 2017) reports the
true value with probability ``p = e^eps / (e^eps + k - 1)`` and each of the other ``k - 1``
values with probability ``q = 1 / (e^eps + k - 1)``; ``p / q = e^eps``, so it is eps-LDP.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.validation import check_codes, check_domain_size, check_epsilon

__all__ = ["GRR"]


class GRR:
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
        self.epsilon = check_epsilon(epsilon)
        self.k = check_domain_size(k)
        # p = 1 / (1 + (k-1) e^-eps) and q = e^-eps / (1 + (k-1) e^-eps): no overflow at eps=50+.
        a = math.exp(-self.epsilon)
        self.p = 1.0 / (1.0 + (self.k - 1) * a)
        self.q = a / (1.0 + (self.k - 1) * a)

    def __repr__(self) -> str:
        return f"GRR(epsilon={self.epsilon!r}, k={self.k})"

    @property
    def transition_matrix(self) -> NDArray[np.float64]:
        """``T[a, z] = P(report = z | value = a)``: p on the diagonal, q elsewhere."""
        t = np.full((self.k, self.k), self.q)
        np.fill_diagonal(t, self.p)
        return t

    def perturb(self, x: ArrayLike, rng: np.random.Generator) -> NDArray[np.int64]:
        """Perturb a whole column of codes at once, with one uniform draw per user.

        With ``u ~ U[0, 1)``: keep ``x`` if ``u < p``; otherwise ``(u - p) / (1 - p)`` is again
        uniform on ``[0, 1)`` and picks one of the ``k - 1`` other values uniformly.
        """
        codes = check_codes(x, self.k)
        u = rng.random(codes.size)
        keep = u < self.p
        # index among the k-1 other values; the min() guards against rounding to k-1
        r = np.minimum(((u - self.p) / (1.0 - self.p) * (self.k - 1)).astype(np.int64), self.k - 2)
        other = r + (r >= codes)
        return np.where(keep, codes, other)

    def estimate(self, reports: ArrayLike) -> NDArray[np.float64]:
        """Unbiased frequency estimate ``(c_v / n - q) / (p - q)`` (no clipping: may be < 0)."""
        z = check_codes(reports, self.k, name="reports")
        freq = np.bincount(z, minlength=self.k) / z.size
        return (freq - self.q) / (self.p - self.q)

    def variance(self, f: ArrayLike, n: int) -> NDArray[np.float64]:
        """Exact variance of :meth:`estimate` for true frequency ``f`` and ``n`` users.

        ``Var = q(1-q) / (n (p-q)^2) + f (1-p-q) / (n (p-q))`` (Wang et al., 2017, Eq. 2).
        """
        f = np.asarray(f, dtype=float)
        p, q = self.p, self.q
        return q * (1 - q) / (n * (p - q) ** 2) + f * (1 - p - q) / (n * (p - q))
