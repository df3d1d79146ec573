"""Adaptive protocol (ADP): GRR or OUE, whichever has the smaller variance.

At ``f = 0`` GRR's variance is ``(e^eps + k - 2) / (n (e^eps - 1)^2)`` and OUE's is
``4 e^eps / (n (e^eps - 1)^2)``, so GRR is chosen iff ``k < 3 e^eps + 2`` (Wang et al., USENIX
Security 2017; Arcolezi et al., 2021). The test is done as ``ln((k - 2) / 3) < eps``, which
cannot overflow.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.base import FrequencyProtocol
from fairldp.ldp.grr import GRR
from fairldp.ldp.reports import Reports
from fairldp.ldp.ue import OUE

__all__ = ["ADP", "adp_uses_grr"]


def adp_uses_grr(epsilon: float, k: int) -> bool:
    """``k < 3 e^eps + 2``."""
    return k <= 2 or math.log((k - 2) / 3.0) < epsilon


class ADP(FrequencyProtocol):
    """Adaptive GRR/OUE; every method delegates to the chosen protocol :attr:`inner`."""

    name = "adp"

    def __init__(self, epsilon: float, k: int) -> None:
        super().__init__(epsilon, k)
        self.inner: GRR | OUE = (
            GRR(self.epsilon, self.k)
            if adp_uses_grr(self.epsilon, self.k)
            else OUE(self.epsilon, self.k)
        )
        self.p, self.q = self.inner.p, self.inner.q
        self.p_star, self.q_star = self.inner.p_star, self.inner.q_star

    @property
    def params(self) -> dict[str, Any]:
        return {**self.inner.params, "protocol": self.name, "chosen": self.inner.name}

    def perturb(self, x: ArrayLike, rng: np.random.Generator) -> Reports:
        self.inner.chunk_elements = self.chunk_elements
        return self.inner.perturb(x, rng)

    def report_nbytes(self, n: int) -> int:
        return self.inner.report_nbytes(n)

    def as_reports(self, reports: Any) -> Reports:
        return self.inner.as_reports(reports)

    def n_reports(self, reports: Any) -> int:
        return self.inner.n_reports(reports)

    def support(self, reports: Any) -> NDArray[np.float64]:
        return self.inner.support(reports)

    def sample_support(self, counts: ArrayLike, rng: np.random.Generator) -> NDArray[np.float64]:
        return self.inner.sample_support(counts, rng)

    def unbiased(self, support: ArrayLike, n: int) -> NDArray[np.float64]:
        return self.inner.unbiased(support, n)

    def variance(self, f: ArrayLike, n: int) -> NDArray[np.float64]:
        return self.inner.variance(f, n)

    def ibu_likelihood(self, reports: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return self.inner.ibu_likelihood(reports)

    def estimate(
        self, reports: Any, method: str = "unbiased", **ibu_kwargs: Any
    ) -> NDArray[np.float64]:
        return self.inner.estimate(reports, method, **ibu_kwargs)

    def estimate_from_support(
        self, support: ArrayLike, n: int, method: str = "unbiased", **ibu_kwargs: Any
    ) -> NDArray[np.float64]:
        return self.inner.estimate_from_support(support, n, method, **ibu_kwargs)

    def encode_rows(self, reports: Any, start: int, stop: int) -> NDArray[Any]:
        return self.inner.encode_rows(reports, start, stop)

    def pack(self, reports: Any) -> Any:
        return self.inner.pack(reports)
