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

from fairldp.ldp.base import FrequencyProtocol, _check_counts
from fairldp.ldp.reports import BitReports, chunk_rows
from fairldp.ldp.ue import UnaryEncoding
from fairldp.ldp.validation import check_codes

__all__ = ["SHE", "THE", "the_probabilities"]

#: entries per block in :meth:`SHE.perturb` (512 KiB of float64: stays in the L2 cache)
_BLOCK_ELEMENTS = 1 << 16
_ONE_MINUS_ULP = 1.0 - 2.0**-53
_SIGN = np.uint64(1 << 63)
_MAGNITUDE = np.uint64((1 << 63) - 1)


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


class THE(UnaryEncoding):
    """Thresholded histogram encoding: bits ``1[e_x + Laplace(2/eps) > theta]``, with the
    variance-optimal threshold ``theta`` in (1/2, 1) (Wang et al., USENIX Security 2017).

    The thresholded bits are a unary encoding with ``p* = P(1 + L > theta)`` and
    ``q* = P(L > theta)`` (:func:`the_probabilities`), so perturbation, estimation and the
    encoding for learning are those of :class:`~fairldp.ldp.ue.UnaryEncoding`.
    """

    name = "the"

    def __init__(self, epsilon: float, k: int) -> None:
        super().__init__(epsilon, k)
        self.scale = 2.0 / self.epsilon
        self.theta = _optimal_theta(self.epsilon)
        self._set(*the_probabilities(self.epsilon, self.theta))

    @property
    def params(self) -> dict[str, Any]:
        return {**super().params, "theta": self.theta, "scale": self.scale}


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
        """Noisy one-hot vectors, shape ``(n, k)``: one uniform per entry, drawn row by row
        (so the result does not depend on the block size) straight into the output.

        Inverse CDF: ``v = 2u - (1 - 2^-53)`` is exact and takes the values
        ``(2j + 1 - 2^53) 2^-53``, ``j = 0..2^53 - 1``, each with probability 2^-53: symmetric
        about 0, never 0 or +-1. So ``sign(v)`` is a fair sign independent of ``|v|``, and
        ``|v|``, uniform on the odd multiples of 2^-53 in (0, 1), has the same distribution as
        ``1 - |v|``; the noise ``-b sign(v) ln|v|`` is therefore distributed as the inverse CDF
        ``-b sign(v) ln(1 - |v|)``: ``Laplace(b)`` up to the 2^-53 grid of ``u``. Like any
        floating-point Laplace sampler its support is bounded (``|noise| <= 53 b ln 2``).
        """
        codes = check_codes(x, self.k)
        n, k = codes.size, self.k
        out = np.empty((n, k))
        flat = out.reshape(-1)
        step = min(chunk_rows(n, k, self.chunk_elements), chunk_rows(n, k, _BLOCK_ELEMENTS))
        mag_buf = np.empty(step * k)
        own_buf = np.empty(step, dtype=np.intp)
        base_all = np.arange(0, step * k, k)  # flat index of each row's first entry
        for s in range(0, n, step):
            m = min(step, n - s)
            y = flat[s * k : (s + m) * k]  # rows s : s + m of the output
            rng.random(out=y)
            np.multiply(y, 2.0, out=y)
            np.subtract(y, _ONE_MINUS_ULP, out=y)  # v, exact
            mag = mag_buf[: m * k]
            ybits, mbits = y.view(np.uint64), mag.view(np.uint64)
            np.bitwise_and(ybits, _MAGNITUDE, out=mbits)  # |v|
            np.log(mag, out=mag)  # ln|v| < 0
            np.bitwise_and(ybits, _SIGN, out=ybits)  # sign(v) as +-0.0
            np.bitwise_xor(ybits, mbits, out=ybits)  # -sign(v) |ln|v||
            np.multiply(y, self.scale, out=y)
            own = own_buf[:m]
            np.add(base_all[:m], codes[s : s + m], out=own)
            y[own] += 1.0
        return out

    def n_reports(self, reports: ArrayLike) -> int:
        return int(np.asarray(reports).shape[0])

    def _check(self, reports: ArrayLike) -> NDArray[np.float64]:
        y = np.asarray(reports, dtype=float)
        if y.ndim != 2 or y.shape[1] != self.k or y.shape[0] == 0:
            raise ValueError(f"reports must be a non-empty (n, {self.k}) array, got {y.shape}")
        return y

    def support(self, reports: ArrayLike) -> NDArray[np.float64]:
        """Column sums of the noisy vectors (row by row, like ``sum(axis=0)``, but without
        its per-row loop overhead for small ``k``)."""
        return np.einsum("ij->j", self._check(reports))

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
