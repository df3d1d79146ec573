"""Histogram encoding: SHE and THE (Wang et al., USENIX Security 2017).

The user one-hot encodes the value and adds independent ``Laplace(2 / eps)`` noise to each of
the ``k`` entries (the L1 sensitivity of the one-hot vector is 2, so this is eps-LDP).

- SHE (summation): the server sums the noisy vectors; ``f_v = sum_i y_iv / n`` is unbiased with
  ``Var = 2 (2/eps)^2 / n = 8 / (n eps^2)``. Reports are float64 by default; ``perturb(...,
  dtype=np.float32)`` gives float32 reports from the same float64 uniforms (half the memory,
  ~15-20% less perturbation time; see :meth:`SHE.perturb`).
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
from numpy.typing import ArrayLike, DTypeLike, NDArray

from fairldp.ldp.base import FrequencyProtocol, _check_counts
from fairldp.ldp.reports import VectorReports, chunk_rows
from fairldp.ldp.ue import UnaryEncoding
from fairldp.ldp.validation import check_codes, check_n_users

__all__ = ["SHE", "SHE_DTYPES", "THE", "the_probabilities"]

#: types of SHE reports (``SHE.perturb(..., dtype=)``)
SHE_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))

#: entries per block in :meth:`SHE.perturb` (512 KiB of float64: stays in the L2 cache)
_BLOCK_ELEMENTS = 1 << 16
_ONE_MINUS_ULP = 1.0 - 2.0**-53
_SIGN = np.uint64(1 << 63)
_MAGNITUDE = np.uint64((1 << 63) - 1)
_SIGN32 = np.uint32(1 << 31)
_MAGNITUDE32 = np.uint32((1 << 31) - 1)


def the_probabilities(epsilon: float, theta: float) -> tuple[float, float, float]:
    """``(p*, q*, p* - q*)`` of THE with threshold ``theta`` in ``(0.5, 1)``.

    ``1 - p* = e^{-A} / 2`` and ``q* = e^{-B} / 2`` with ``A = (1 - theta) eps / 2`` and
    ``B = theta eps / 2``; ``p* - q* = -(expm1(-A) + expm1(-B)) / 2``, a sum of two
    positive terms (no cancellation at small eps).
    """
    a, b = (1.0 - theta) * epsilon / 2, theta * epsilon / 2
    one_minus_p = 0.5 * math.exp(-a)
    return 1.0 - one_minus_p, 0.5 * math.exp(-b), -0.5 * (math.expm1(-a) + math.expm1(-b))


def _optimal_theta(epsilon: float) -> float:
    def log_var(theta: float) -> float:
        # log(q* (1 - q*) / (p* - q*)^2), all in log space: q* may underflow at large eps
        a, b = (1.0 - theta) * epsilon / 2, theta * epsilon / 2
        log_q = math.log(0.5) - b
        log_gap = math.log(-0.5 * (math.expm1(-a) + math.expm1(-b)))
        return log_q + math.log1p(-0.5 * math.exp(-b)) - 2 * log_gap

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
        eps, theta = self.epsilon, self.theta
        p, q, gap = the_probabilities(eps, theta)
        one_minus_p = 0.5 * math.exp(-(1.0 - theta) * eps / 2)
        # q* (1 - p*) = e^{-A-B} / 4 and A + B = eps / 2, so
        # log(p* (1 - q*) / (q* (1 - p*))) = log 4 + eps / 2 + log p* + log1p(-q*)
        log_ratio = math.log(4.0) + eps / 2 + math.log(p) + math.log1p(-q)
        self._set(p, q, gap, one_minus_p, log_ratio)

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

    def perturb(
        self, x: ArrayLike, rng: np.random.Generator, *, dtype: DTypeLike = np.float64
    ) -> VectorReports:
        """Noisy one-hot vectors, shape ``(n, k)``: one uniform per entry, drawn row by row
        (so the result does not depend on the block size) straight into the output (float64)
        or into a cache-sized float64 buffer (float32).

        Inverse CDF: ``v = 2u - (1 - 2^-53)`` is exact and takes the values
        ``(2j + 1 - 2^53) 2^-53``, ``j = 0..2^53 - 1``, each with probability 2^-53: symmetric
        about 0, never 0 or +-1. So ``sign(v)`` is a fair sign independent of ``|v|``, and
        ``|v|``, uniform on the odd multiples of 2^-53 in (0, 1), has the same distribution as
        ``1 - |v|``; the noise ``-b sign(v) ln|v|`` is therefore distributed as the inverse CDF
        ``-b sign(v) ln(1 - |v|)``: ``Laplace(b)`` up to the 2^-53 grid of ``u``. Like any
        floating-point Laplace sampler its support is bounded (``|noise| <= 53 b ln 2``).

        ``dtype`` (float64, default, or float32) is the type of the reports. float32 reports
        use the same float64 uniforms and exact ``v`` (same stream, same 2^-53 grid, same
        support bound), then ``v`` is rounded to float32 (never to 0: ``|v| >= 2^-53``) and the
        logarithm and the rest are computed in float32: each entry differs from the float64
        report's by at most ``2^-21 (|noise| + b + |y|)`` (a few float32 roundings), far below
        the noise itself.
        """
        dt = np.dtype(dtype)
        if dt not in SHE_DTYPES:
            raise ValueError(f"dtype must be float64 or float32, got {dt}")
        codes = check_codes(x, self.k)
        n, k = codes.size, self.k
        out = np.empty((n, k), dtype=dt)
        flat = out.reshape(-1)
        step = min(chunk_rows(n, k, self.chunk_elements), chunk_rows(n, k, _BLOCK_ELEMENTS))
        single = dt == np.float32
        u_buf = np.empty(step * k) if single else None
        # float64: |v| then ln|v|; float32: the sign bits of v
        aux_buf = np.empty(step * k, dtype=np.uint32 if single else np.float64)
        own_buf = np.empty(step, dtype=np.intp)
        base_all = np.arange(0, step * k, k)  # flat index of each row's first entry
        one, scale = dt.type(1.0), dt.type(self.scale)
        for s in range(0, n, step):
            m = min(step, n - s)
            y = flat[s * k : (s + m) * k]  # rows s : s + m of the output
            u = u_buf[: m * k] if single else y
            rng.random(out=u)
            np.multiply(u, 2.0, out=u)
            np.subtract(u, _ONE_MINUS_ULP, out=u)  # v, exact (float64)
            if single:
                np.copyto(y, u, casting="same_kind")  # v in float32
                ybits, sign = y.view(np.uint32), aux_buf[: m * k]
                np.bitwise_and(ybits, _SIGN32, out=sign)  # sign(v)
                np.bitwise_and(ybits, _MAGNITUDE32, out=ybits)  # |v|
                np.log(y, out=y)  # ln|v| < 0
                np.bitwise_xor(ybits, sign, out=ybits)  # -sign(v) |ln|v||
            else:
                mag = aux_buf[: m * k]
                ybits, mbits = y.view(np.uint64), mag.view(np.uint64)
                np.bitwise_and(ybits, _MAGNITUDE, out=mbits)  # |v|
                np.log(mag, out=mag)  # ln|v| < 0
                np.bitwise_and(ybits, _SIGN, out=ybits)  # sign(v) as +-0.0
                np.bitwise_xor(ybits, mbits, out=ybits)  # -sign(v) |ln|v||
            np.multiply(y, scale, out=y)
            own = own_buf[:m]
            np.add(base_all[:m], codes[s : s + m], out=own)
            y[own] += one
        return VectorReports(out)

    def report_nbytes(self, n: int, dtype: DTypeLike = np.float64) -> int:
        """``n k`` entries of ``dtype`` (8 bytes each for float64)."""
        return n * self.k * np.dtype(dtype).itemsize

    def as_reports(self, reports: ArrayLike) -> VectorReports:
        """The ``(n, k)`` noisy vectors (a plain float array is accepted; float32 and float64
        are kept as they are, other types are converted to float64)."""
        y = np.asarray(reports)
        if y.dtype not in SHE_DTYPES:
            y = y.astype(np.float64)
        if y.ndim != 2 or y.shape[1] != self.k or y.shape[0] == 0:
            raise ValueError(f"reports must be a non-empty (n, {self.k}) array, got {y.shape}")
        if isinstance(reports, VectorReports) and reports.dtype == y.dtype:
            return reports
        return VectorReports(y)

    def _check(self, reports: ArrayLike) -> NDArray[np.floating]:
        """The reports as a plain validated ``(n, k)`` float array."""
        return self.as_reports(reports).view(np.ndarray)

    def support(self, reports: ArrayLike) -> NDArray[np.float64]:
        """Column sums of the noisy vectors (accumulated in float64)."""
        return self.as_reports(reports).column_sums(self.chunk_elements)

    def sample_support(self, counts: ArrayLike, rng: np.random.Generator) -> NDArray[np.float64]:
        """``n_v + b (G - G')`` with ``G, G' ~ Gamma(n, 1)``: a sum of ``n`` Laplace(b) is
        ``b`` times a difference of two Gamma(n) variables, so this is exact (also jointly)."""
        c = _check_counts(counts, self.k)
        n = float(c.sum())
        g = rng.standard_gamma(n, size=(2, self.k))
        return c + self.scale * (g[0] - g[1])

    def unbiased(self, support: ArrayLike, n: int) -> NDArray[np.float64]:
        """``sum_i y_iv / n``."""
        return np.asarray(support, dtype=float) / check_n_users(n)

    def variance(self, f: ArrayLike, n: int) -> NDArray[np.float64]:
        """``2 (2/eps)^2 / n = 8 / (n eps^2)``, the same for every ``f``."""
        n = check_n_users(n)
        f = np.asarray(f, dtype=float)
        return np.full(f.shape, 2.0 * self.scale**2 / n)

    def ibu_likelihood(self, reports: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``L[i, v] = exp(-(eps/2) (|y_iv - 1| - |y_iv|))``: the Laplace density ratio, scaled
        per report so that its largest entry is 1 (no overflow at large eps)."""
        y = self._check(reports).astype(np.float64)
        s = (np.abs(y) - np.abs(y - 1.0)) / self.scale
        s -= s.max(axis=1, keepdims=True)
        return np.exp(s), np.ones(y.shape[0])

    def pack(self, reports: Any) -> Any:
        raise ValueError("SHE reports are real-valued and cannot be bit-packed; use encode()")
