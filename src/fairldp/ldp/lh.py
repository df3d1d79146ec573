"""Local hashing: BLH and OLH (Wang et al., USENIX Security 2017; Bassily & Smith, 2015).

Each user draws a hash function ``H(x) = ((a x + b) mod P) mod g`` from a universal family
(``P = 2^31 - 1`` prime, ``a`` uniform in ``[1, P)``, ``b`` uniform in ``[0, P)``, from the
generator), hashes the value into ``[g]`` and reports ``(H, y)`` with ``y`` the output of GRR
over ``[g]``: ``p = e^eps / (e^eps + g - 1)``, ``q = 1 / (e^eps + g - 1)``. For a fixed hash the
report probabilities are p or q, so it is eps-LDP. The support of a report is
``{v : H(v) = y}``:

- ``p* = p``;
- ``q* = c p + (1 - c) q`` with ``c = P(H(u) = H(v))`` for ``u != v``. ``(a u + b, a v + b) mod P``
  is uniform over pairs of distinct residues, so ``c`` is computed exactly from the residue-class
  sizes (it is ``1/g`` up to ``O(g / P)``, giving the textbook ``q* = 1/g``).

BLH uses ``g = 2``; OLH uses ``g = round(e^eps) + 1``, capped at ``P`` (reached only for
``eps > ln P ~ 21.5``, where the hash is then injective on the domain).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from fairldp.ldp.base import PureProtocol
from fairldp.ldp.reports import HashReports
from fairldp.ldp.validation import check_codes

__all__ = ["BLH", "OLH", "PRIME", "LocalHashing", "collision_probability"]

PRIME = 2**31 - 1


def collision_probability(g: int, prime: int = PRIME) -> float:
    """``P((a u + b mod P) mod g == (a v + b mod P) mod g)`` for fixed ``u != v``.

    The pair of residues is uniform over the ``P (P - 1)`` ordered distinct pairs; with
    ``P = m g + r`` there are ``r`` classes of size ``m + 1`` and ``g - r`` of size ``m``.
    """
    m, r = divmod(prime, g)
    same = r * (m + 1) * m + (g - r) * m * (m - 1)
    return same / (prime * (prime - 1))


class LocalHashing(PureProtocol):
    """Local hashing into ``g`` buckets followed by GRR over ``[g]``."""

    name = "lh"

    def __init__(self, epsilon: float, k: int, g: int) -> None:
        super().__init__(epsilon, k)
        if self.k >= PRIME:
            raise ValueError(f"k (domain size) must be an integer in [2, {PRIME}), got {k!r}")
        if not 2 <= g <= PRIME:
            raise ValueError(f"g (hash range) must be an integer in [2, {PRIME}], got {g!r}")
        self.g = int(g)
        a = math.exp(-self.epsilon)
        den = 1.0 + (self.g - 1) * a
        self.p, self.q = 1.0 / den, a / den
        #: probability of reporting another bucket, ``(g-1) q``, computed without ``1 - p``
        self.flip = (self.g - 1) * a / den
        self.collision = collision_probability(self.g)
        self.p_star = self.p
        self.q_star = self.collision * self.p + (1.0 - self.collision) * self.q
        self.pq_gap = (1.0 - self.collision) * (-math.expm1(-self.epsilon) / den)
        self.one_minus_p = self.flip
        self.ibu_in, self.ibu_out = self.p, self.q
        self.log_ratio = self.epsilon  # p / q = e^eps

    def __repr__(self) -> str:
        return f"{type(self).__name__}(epsilon={self.epsilon!r}, k={self.k})"

    @property
    def params(self) -> dict[str, Any]:
        return {**super().params, "g": self.g, "p": self.p, "q": self.q}

    def perturb(self, x: ArrayLike, rng: np.random.Generator) -> HashReports:
        """Per user: draw ``(a, b)``, hash the value, then GRR over ``[g]`` (lie iff
        ``u < (g-1) q``, the other bucket picked by ``u / ((g-1) q)``)."""
        codes = check_codes(x, self.k).astype(np.uint64)
        n = codes.size
        a = rng.integers(1, PRIME, size=n, dtype=np.uint64)
        b = rng.integers(0, PRIME, size=n, dtype=np.uint64)
        h = a * codes
        h += b
        h %= np.uint64(PRIME)
        h %= np.uint64(self.g)
        h = h.astype(np.int64)
        u = rng.random(n)
        lie = u < self.flip
        u *= (self.g - 1) / self.flip if self.flip > 0 else 0.0
        np.minimum(u, self.g - 2, out=u)
        r = u.astype(np.int64)
        r += r >= h
        return HashReports(a, b, np.where(lie, r, h), self.g, PRIME, self.k)

    def report_nbytes(self, n: int) -> int:
        """Per user the hash seed ``(a, b)`` and the report ``y``: 24 bytes."""
        return 24 * n


class BLH(LocalHashing):
    """Binary local hashing: ``g = 2``."""

    name = "blh"

    def __init__(self, epsilon: float, k: int) -> None:
        super().__init__(epsilon, k, 2)


class OLH(LocalHashing):
    """Optimized local hashing: ``g = round(e^eps) + 1`` (capped at ``P``), which minimizes
    ``Var = 4 e^eps / (n (e^eps - 1)^2)`` at ``f = 0`` (Wang et al., 2017)."""

    name = "olh"

    def __init__(self, epsilon: float, k: int) -> None:
        eps = float(epsilon) if isinstance(epsilon, int | float) else epsilon
        if isinstance(eps, float) and math.isfinite(eps) and 0 < eps < math.log(PRIME):
            g = min(PRIME, math.floor(math.exp(eps) + 0.5) + 1)
        else:
            g = PRIME  # invalid eps is rejected by the base constructor
        super().__init__(epsilon, k, g)
