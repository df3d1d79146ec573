"""Subset selection (Wang et al., 2016, "Mutual information optimally local private discrete
distribution estimation"; Ye & Barg, IEEE Trans. IT 2018).

The user reports a subset ``S`` of ``[k]`` of size ``omega = max(1, round(k / (e^eps + 1)))``:
with probability ``p* = omega e^eps / (omega e^eps + k - omega)`` it contains the true value
plus ``omega - 1`` other values chosen uniformly, otherwise ``omega`` values chosen uniformly
among the ``k - 1`` others. Every subset containing ``v`` has probability
``e^eps / (C(k-1, omega-1) e^eps + C(k-1, omega))`` given ``X = v``, every other subset
``1 / (...)``: the ratio is exactly ``e^eps``. For ``u != v``,

``q* = P(v in S | X = u)
= omega ((omega - 1) e^eps + k - omega) / ((k - 1)(omega e^eps + k - omega))``

and the unbiased estimator and variance are those of a pure protocol with ``p*``, ``q*``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from fairldp.ldp.base import PureProtocol
from fairldp.ldp.reports import BitReports, chunk_rows
from fairldp.ldp.validation import check_codes

__all__ = ["SS"]

#: scratch memory per block of users in :meth:`SS.perturb` (about the L2 cache), and the
#: smallest block (fewer Python-level steps for large ``omega``)
_SCRATCH_BYTES = 1 << 21
_MIN_ROWS = 1024


class SS(PureProtocol):
    """Subset selection with subset size ``omega = max(1, round(k / (e^eps + 1)))``."""

    name = "ss"

    def __init__(self, epsilon: float, k: int) -> None:
        super().__init__(epsilon, k)
        a = math.exp(-self.epsilon)
        k_ = self.k
        # k / (e^eps + 1) = k a / (1 + a); round half up
        self.omega = max(1, math.floor(k_ * a / (1.0 + a) + 0.5))
        w = self.omega
        den = w + (k_ - w) * a  # (omega e^eps + k - omega) e^-eps
        self.p_star = w / den
        self.q_star = w * ((w - 1) + (k_ - w) * a) / ((k_ - 1) * den)
        self.pq_gap = w * (k_ - w) * (-math.expm1(-self.epsilon)) / ((k_ - 1) * den)
        #: probability that the true value is left out, ``1 - p*``, without cancellation
        self.exclude = (k_ - w) * a / den
        self.one_minus_p = self.exclude
        # P(S | v in S) : P(S | v not in S) = e^eps : 1
        self.ibu_in, self.ibu_out = 1.0, a
        self.log_ratio = self.epsilon

    @property
    def params(self) -> dict[str, Any]:
        return {**super().params, "omega": self.omega}

    def perturb(self, x: ArrayLike, rng: np.random.Generator) -> BitReports:
        """Subsets as bit-packed indicator rows.

        Per user ``omega + 1`` uniforms, drawn row by row (so the reports do not depend on the
        block size): ``u_0 >= 1 - p*`` decides whether the true value is included, and
        ``u_1, ..., u_omega`` drive Floyd's sampler of a uniform random subset of the ``k - 1``
        other values: step ``i`` (``j = k - 1 - omega + i``) picks ``t = floor(u_{i+1} (j + 1))``
        in ``[0, j]``, or ``j`` if ``t`` is taken already. Users who include the true value
        skip step 0, so they get ``omega - 1`` other values, the others ``omega``. Others are
        indexed ``0..k-2`` and mapped to values by ``t -> t + (t >= x)``. Floyd's sampler gives
        every subset of the right size the same probability (up to the 2^-53 grid of ``u``, as
        with the random keys that it replaces), so the report distribution is unchanged; the
        reports drawn from a given seed differ from the earlier key-sorting sampler.
        """
        codes = check_codes(x, self.k)
        n, k, w = codes.size, self.k, self.omega
        j0 = k - 1 - w
        # rows per block: the protocol's cap, and about _SCRATCH_BYTES of scratch per block
        # (the uniforms, the dense bits and a few per-user temporaries), >= _MIN_ROWS
        row_bytes = 8 * (w + 1) + k + 48
        step = min(
            chunk_rows(n, k + 1, self.chunk_elements),
            max(_MIN_ROWS, chunk_rows(n, row_bytes, _SCRATCH_BYTES)),
        )
        packed = np.empty(-(-n * k // 8), dtype=np.uint8)
        u_buf = np.empty(step * (w + 1))
        bits_buf = np.empty(step * k, dtype=bool)
        base_all = np.arange(0, step * k, k)  # flat index of each row's first bit
        f_buf = np.empty(step)
        t_buf = np.empty(step, dtype=np.intp)
        g_buf = np.empty(step, dtype=bool)
        for s in range(0, n, step):
            m = min(step, n - s)
            c = codes[s : s + m]
            u = u_buf[: m * (w + 1)].reshape(m, w + 1)
            rng.random(out=u)
            base = base_all[:m]
            bits = bits_buf[: m * k]
            bits.fill(False)
            f, t, g = f_buf[:m], t_buf[:m], g_buf[:m]
            for i in range(w):
                j = j0 + i
                # t = floor(u (j + 1)) in [0, j]: u <= 1 - 2^-53 rounds u (j + 1) below j + 1
                np.multiply(u[:, i + 1], j + 1, out=f)
                t[...] = f
                np.greater_equal(t, c, out=g)  # others -> values: skip the true value
                np.add(t, g, out=t)
                np.add(t, base, out=t)
                if i == 0:
                    # included users take their own value here instead (it is never drawn)
                    pick = np.where(u[:, 0] >= self.exclude, base + c, t)
                else:
                    # Floyd: if t is taken, take j (never taken before step i)
                    fallback = base + j
                    np.less_equal(c, j, out=g)
                    np.add(fallback, g, out=fallback)
                    pick = np.where(bits[t], fallback, t)
                bits[pick] = True
            b0 = s * k // 8  # s is a multiple of 8: blocks start on a byte
            packed[b0 : b0 + -(-m * k // 8)] = np.packbits(bits)
        return BitReports(packed, n, k)

    def report_nbytes(self, n: int) -> int:
        """``ceil(n k / 8)`` bytes of packed subset indicators."""
        return -(-n * self.k // 8)
