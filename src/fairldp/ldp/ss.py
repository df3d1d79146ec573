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
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.base import PureProtocol
from fairldp.ldp.reports import BitReports, chunk_rows
from fairldp.ldp.validation import check_codes

__all__ = ["SS"]


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
        # P(S | v in S) : P(S | v not in S) = e^eps : 1
        self.ibu_in, self.ibu_out = 1.0, a

    @property
    def params(self) -> dict[str, Any]:
        return {**super().params, "omega": self.omega}

    def perturb(self, x: ArrayLike, rng: np.random.Generator) -> BitReports:
        """Subsets as bit-packed indicator rows.

        Per user ``k + 1`` uniforms: the first decides whether the true value is included
        (``u_0 >= 1 - p*``), the other ``k`` are random keys; the true value's key is forced
        to -1 (included) or 2 (excluded) and the ``omega`` smallest keys form the subset, so the
        other members are a uniform random subset of the right size.
        """
        codes = check_codes(x, self.k)
        n, k, w = codes.size, self.k, self.omega
        step = chunk_rows(n, k + 1, self.chunk_elements)
        blocks = []
        for s in range(0, n, step):
            c = codes[s : s + step]
            m = c.size
            u = rng.random((m, k + 1))
            include = u[:, 0] >= self.exclude
            keys = u[:, 1:]
            rows = np.arange(m)
            keys[rows, c] = np.where(include, -1.0, 2.0)
            idx = np.argpartition(keys, w - 1, axis=1)[:, :w]  # omega < k always
            bits = np.zeros((m, k), dtype=bool)
            np.put_along_axis(bits, idx, True, axis=1)
            blocks.append(np.packbits(bits.ravel()))
        return BitReports.from_blocks(blocks, n, k)

    def n_reports(self, reports: BitReports) -> int:
        return reports.n

    def encode_rows(self, reports: BitReports, start: int, stop: int) -> NDArray[np.uint8]:
        """Indicator of the reported subset."""
        return reports.unpack(start, stop)
