"""Histogram encoding: SHE and THE (Wang et al., USENIX Security 2017).

The user one-hot encodes the value and adds independent ``Laplace(2 / eps)`` noise to each of
the ``k`` entries (the L1 sensitivity of the one-hot vector is 2, so this is eps-LDP).

- SHE (summation): the server sums the noisy vectors; ``f_v = sum_i y_iv / n`` is unbiased with
  ``Var = 2 (2/eps)^2 / n = 8 / (n eps^2)``.
- THE (thresholding): the server (or user) keeps the bits ``1[y_iv > theta]``, a pure protocol
  with ``p* = 1 - e^{-(1-theta) eps/2} / 2`` and ``q* = e^{-theta eps/2} / 2``; ``theta`` in
  ``(1/2, 1)`` minimizes ``q*(1-q*) / (p*-q*)^2`` (Wang et al., 2017, Sec. 4.3).

THE bits are drawn directly as independent ``Bernoulli(p*)`` / ``Bernoulli(q*)`` bits, which
is distributionally identical to thresholding the Laplace-noised vector (the noise entries are
independent). THE is eps-LDP by post-processing, but its worst-case ratio
``ln(p*(1-q*) / ((1-p*) q*))`` is strictly below eps: thresholding loses privacy loss.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.base import FrequencyProtocol, PureProtocol, _check_counts
from fairldp.ldp.reports import BitReports, chunk_rows
from fairldp.ldp.ue import perturb_bits
from fairldp.ldp.validation import check_codes

__all__ = ["SHE", "THE", "the_probabilities"]


def the_probabilities(epsilon: float, theta: float) -> tuple[float, float, float]:
    """``(p*, q*, p* - q*)`` of THE with threshold ``theta`` in ``(0.5, 1)``."""
    one_minus_p = 0.5 * math.exp(-(1.0 - theta) * epsilon / 2)
    q = 0.5 * math.exp(-theta * epsilon / 2)
    return 1.0 - one_minus_p, q, (1.0 - one_minus_p) - q


def _optimal_theta(epsilon: float) -> float:
    def log_var(theta: float) -> float:
        _, q, gap = the_probabilities(epsilon, theta)
        return math.log(q) + math.log1p(-q) - 2 * math.log(gap)

    from scipy.optimize import minimize_scalar  # lazy: scipy.optimize costs 0.3 s at import

    res = minimize_scalar(log_var, bounds=(0.5, 1.0), method="bounded", options={"xatol": 1e-10})
    return float(res.x)


class THE(PureProtocol):
    """Thresholded histogram encoding with the variance-optimal threshold ``theta``."""

    name = "the"

    def __init__(self, epsilon: float, k: int) -> None:
        super().__init__(epsilon, k)
        self.scale = 2.0 / self.epsilon
        self.theta = _optimal_theta(self.epsilon)
        self.p, self.q, self.pq_gap = the_probabilities(self.epsilon, self.theta)
        self.p_star, self.q_star = self.p, self.q
        self.ibu_in, self.ibu_out = self.p * (1 - self.q), self.q * (1 - self.p)

    @property
    def params(self) -> dict[str, Any]:
        return {**super().params, "theta": self.theta, "scale": self.scale}

    def perturb(self, x: ArrayLike, rng: np.random.Generator) -> BitReports:
        """Thresholded bits ``1[e_x + Laplace(2/eps) > theta]``, bit-packed."""
        codes = check_codes(x, self.k)
        return perturb_bits(codes, self.k, self.p, self.q, rng, self.chunk_elements)

    def n_reports(self, reports: BitReports) -> int:
        return reports.n

    def encode_rows(self, reports: BitReports, start: int, stop: int) -> NDArray[np.uint8]:
        """The thresholded bits."""
        return reports.unpack(start, stop)


class SHE(FrequencyProtocol):
    """Summation histogram encoding: ``y = e_x + Laplace(2/eps)^k``, ``f = mean(y)``."""

    name = "she"

    def __init__(self, epsilon: float, k: int) -> None:
        super().__init__(epsilon, k)
        self.scale = 2.0 / self.epsilon

    @property
    def params(self) -> dict[str, Any]:
        return {**super().params, "scale": self.scale}

    def perturb(self, x: ArrayLike, rng: np.random.Generator) -> NDArray[np.float64]:
        """Noisy one-hot vectors, shape ``(n, k)``; ``2 k`` standard exponentials per user,
        drawn sequentially in row blocks, so the result does not depend on the block size."""
        codes = check_codes(x, self.k)
        n = codes.size
        out = np.empty((n, self.k))
        step = chunk_rows(n, 2 * self.k, self.chunk_elements)
        for s in range(0, n, step):
            c = codes[s : s + step]
            # Laplace(b) = b (E1 - E2) with E1, E2 ~ Exp(1) independent (ziggurat: faster)
            e = rng.standard_exponential((c.size, 2 * self.k))
            block = e[:, : self.k]
            block -= e[:, self.k :]
            block *= self.scale
            block[np.arange(c.size), c] += 1.0
            out[s : s + c.size] = block
        return out

    def n_reports(self, reports: ArrayLike) -> int:
        return int(np.asarray(reports).shape[0])

    def _check(self, reports: ArrayLike) -> NDArray[np.float64]:
        y = np.asarray(reports, dtype=float)
        if y.ndim != 2 or y.shape[1] != self.k or y.shape[0] == 0:
            raise ValueError(f"reports must be a non-empty (n, {self.k}) array, got {y.shape}")
        return y

    def support(self, reports: ArrayLike) -> NDArray[np.float64]:
        """Column sums of the noisy vectors."""
        return self._check(reports).sum(axis=0)

    def sample_support(self, counts: ArrayLike, rng: np.random.Generator) -> NDArray[np.float64]:
        """``n_v + b (G - G')`` with ``G, G' ~ Gamma(n, 1)``: a sum of ``n`` Laplace(b) is
        ``b`` times a difference of two Gamma(n) variables, so this is exact (also jointly)."""
        c = _check_counts(counts, self.k)
        n = float(c.sum())
        g = rng.standard_gamma(n, size=(2, self.k))
        return c + self.scale * (g[0] - g[1])

    def unbiased(self, support: ArrayLike, n: int) -> NDArray[np.float64]:
        """``sum_i y_iv / n``."""
        return np.asarray(support, dtype=float) / n

    def variance(self, f: ArrayLike, n: int) -> NDArray[np.float64]:
        """``2 (2/eps)^2 / n = 8 / (n eps^2)``, the same for every ``f``."""
        f = np.asarray(f, dtype=float)
        return np.full(f.shape, 2.0 * self.scale**2 / n)

    def ibu_likelihood(self, reports: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``L[i, v] = exp(-(eps/2) (|y_iv - 1| - |y_iv|))``: the Laplace density ratio."""
        y = self._check(reports)
        lik = np.exp(-(np.abs(y - 1.0) - np.abs(y)) / self.scale)
        return lik, np.ones(y.shape[0])

    def encode_rows(self, reports: ArrayLike, start: int, stop: int) -> NDArray[np.float64]:
        """The noisy real vectors themselves."""
        return np.asarray(reports, dtype=float)[start:stop]

    def pack(self, reports: Any) -> BitReports:
        raise ValueError("SHE reports are real-valued and cannot be bit-packed; use encode()")
