"""Unary encoding: SUE (basic one-time RAPPOR) and OUE.

The user one-hot encodes the value into ``k`` bits and reports each bit independently: a 1 stays
1 with probability ``p``, a 0 becomes 1 with probability ``q`` (Wang et al., USENIX Security
2017). It is eps-LDP with ``eps = ln(p (1-q) / ((1-p) q))``.

- SUE (symmetric UE = basic RAPPOR, Erlingsson et al., CCS 2014):
  ``p = e^{eps/2} / (e^{eps/2} + 1)``, ``q = 1 - p``.
- OUE (optimized UE, Wang et al., 2017): ``p = 1/2``, ``q = 1 / (e^eps + 1)``.

Reports are stored bit-packed (:class:`~fairldp.ldp.reports.BitReports`, ``ceil(n k / 8)``
bytes) and drawn in row blocks, so memory stays bounded for large ``n k``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.base import PureProtocol
from fairldp.ldp.reports import BitReports, chunk_rows
from fairldp.ldp.validation import check_codes

__all__ = ["OUE", "SUE", "UnaryEncoding", "perturb_bits"]

#: bits drawn per block in :func:`perturb_bits`: 512 KiB of uniforms, kept in the L2 cache
_BLOCK_ELEMENTS = 1 << 16


def perturb_bits(
    codes: NDArray[np.int64],
    k: int,
    p: float,
    q: float,
    rng: np.random.Generator,
    chunk_elements: int,
) -> BitReports:
    """Bits ``B[i, v] ~ Bernoulli(p if v == codes[i] else q)``, independent, bit-packed.

    One uniform per bit, ``u[i, v] < p or q``, drawn row block by row block into one reused,
    cache-sized buffer (blocks of at most ``chunk_elements`` and about ``_BLOCK_ELEMENTS``
    bits, a multiple of 8 rows) and packed straight into the output. Uniform doubles are drawn
    sequentially from the generator, so the result is identical for any block size.
    """
    n = codes.size
    step = min(chunk_rows(n, k, chunk_elements), chunk_rows(n, k, _BLOCK_ELEMENTS))
    packed = np.empty(-(-n * k // 8), dtype=np.uint8)
    u_buf = np.empty(step * k)
    bits_buf = np.empty(step * k, dtype=bool)
    own_buf = np.empty(step, dtype=np.intp)
    base_all = np.arange(0, step * k, k)  # flat index of each row's first bit
    for s in range(0, n, step):
        m = min(step, n - s)
        u = u_buf[: m * k]
        rng.random(out=u)
        bits = bits_buf[: m * k]
        np.less(u, q, out=bits)
        own = own_buf[:m]
        np.add(base_all[:m], codes[s : s + m], out=own)
        bits[own] = u[own] < p
        b0 = s * k // 8  # s is a multiple of 8: blocks start on a byte
        packed[b0 : b0 + -(-m * k // 8)] = np.packbits(bits)
    return BitReports(packed, n, k)


class UnaryEncoding(PureProtocol):
    """Unary encoding with bit probabilities ``p`` (the user's value) and ``q`` (the others)."""

    p: float
    q: float

    def _set(self, p: float, q: float, gap: float, one_minus_p: float, log_ratio: float) -> None:
        """Bit probabilities ``p``, ``q`` with ``p - q``, ``1 - p`` and
        ``log(p (1-q) / (q (1-p)))`` computed by the caller without cancellation."""
        self.p, self.q = p, q
        self.p_star, self.q_star, self.pq_gap, self.one_minus_p = p, q, gap, one_minus_p
        # P(bits | v) / prod_u P(bit_u | 0) is p/q if bit_v = 1 else (1-p)/(1-q); scaled by q(1-q)
        self.ibu_in, self.ibu_out = p * (1 - q), q * (1 - p)
        self.log_ratio = log_ratio

    @property
    def params(self) -> dict[str, Any]:
        return {**super().params, "p": self.p, "q": self.q}

    def perturb(self, x: ArrayLike, rng: np.random.Generator) -> BitReports:
        """Bit-packed reports of a whole column: ``n * k`` uniforms, one per bit."""
        codes = check_codes(x, self.k)
        return perturb_bits(codes, self.k, self.p, self.q, rng, self.chunk_elements)

    def report_nbytes(self, n: int) -> int:
        """``ceil(n k / 8)`` bytes of packed bits."""
        return -(-n * self.k // 8)


class SUE(UnaryEncoding):
    """Symmetric unary encoding (basic RAPPOR): ``p = e^{eps/2} / (e^{eps/2} + 1)``, ``q = 1 - p``.

    ``Var = e^{eps/2} / (n (e^{eps/2} - 1)^2)`` at ``f = 0`` (Wang et al., 2017).
    """

    name = "sue"

    def __init__(self, epsilon: float, k: int) -> None:
        super().__init__(epsilon, k)
        h = math.exp(-self.epsilon / 2)
        gap = -math.expm1(-self.epsilon / 2) / (1.0 + h)
        self._set(1.0 / (1.0 + h), h / (1.0 + h), gap, h / (1.0 + h), self.epsilon)  # 1-p = q


class OUE(UnaryEncoding):
    """Optimized unary encoding: ``p = 1/2``, ``q = 1 / (e^eps + 1)``.

    ``Var = 4 e^eps / (n (e^eps - 1)^2)`` at ``f = 0`` (Wang et al., 2017).
    """

    name = "oue"

    def __init__(self, epsilon: float, k: int) -> None:
        super().__init__(epsilon, k)
        a = math.exp(-self.epsilon)
        gap = -math.expm1(-self.epsilon) / (2.0 * (1.0 + a))
        # p (1-q) / (q (1-p)) = (1-q) / q = e^eps
        self._set(0.5, a / (1.0 + a), gap, 0.5, self.epsilon)
