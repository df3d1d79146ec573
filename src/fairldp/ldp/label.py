"""Label local differential privacy: randomized response on a class label, with or without a prior.

Each example's label ``y`` in ``{0, ..., k-1}`` (``k = 2`` for a binary target) is privatized on
its own, so the reported column is eps-LDP (and a model trained on it eps-label-DP). With
``a = e^-eps`` (computed this way, never as ``e^eps``, so nothing overflows up to eps = 1000):

- :class:`LabelRR`: randomized response (Warner, 1965; k-ary form as :class:`GRR`). The label is
  kept with probability ``p = e^eps / (e^eps + k - 1) = 1 / (1 + (k-1) a)`` and otherwise
  replaced by a uniformly drawn other class (each with ``q = a / (1 + (k-1) a)``). Server side:
  the transition matrix ``T[c, z] = P(Z = z | Y = c)``, the unbiased class-frequency estimate,
  the per-example corrected targets ``T^-1`` applied to the one-hot report,
  ``(1[z = c] - q) / (p - q)`` (unbiased for the one-hot true label: loss correction for
  noise-aware training), and the Bayes posterior ``P(Y = c | Z = z)`` under a class prior.
- :class:`RRWithPrior` (Ghazi et al., 2021, Algorithms 1-2): given a prior row ``p_i`` over the
  classes (public, e.g. from a model trained on an earlier stage), let ``Y_m`` be the ``m``
  classes of largest prior and ``w_m = e^eps / (e^eps + m - 1) * sum_{c in Y_m} p_ic``;
  ``m* = argmax_m w_m``; then RRTop-m*: a label in ``Y_m*`` is kept with probability
  ``e^eps / (e^eps + m* - 1)`` and otherwise replaced by a uniform other class of ``Y_m*``; a
  label outside ``Y_m*`` is replaced by a uniform class of ``Y_m*``. eps-LDP for every prior
  (``m*`` and ``Y_m*`` do not depend on the label); ``max_m w_m`` is the largest
  ``P(output = Y)`` for ``Y ~ p_i`` of any eps-LDP randomizer (their Theorem 3), and a uniform
  prior gives ``m* = k``, i.e. :class:`LabelRR`.

Ties in the prior are broken towards the smaller class index (a stable sort of each row), ties
in ``w_m`` towards the smaller ``m`` (the first maximum).

References: S. L. Warner, "Randomized response: a survey technique for eliminating evasive
answer bias", JASA 60(309), 1965, pp. 63-69. B. Ghazi, N. Golowich, R. Kumar, P. Manurangsi,
C. Zhang, "Deep learning with label differential privacy", NeurIPS 2021 (arXiv:2102.06062).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.grr import GRR
from fairldp.ldp.validation import check_codes, check_domain_size, check_epsilon

__all__ = ["LabelRR", "RRWithPrior", "check_prior"]

#: absolute tolerance on the sum of a prior row (float32 softmax outputs are accepted)
PRIOR_SUM_ATOL = 1e-6

_F = NDArray[np.float64]
_I = NDArray[np.int64]


def check_prior(prior: ArrayLike, k: int, n: int | None = None, name: str = "prior") -> _F:
    """``prior`` as a float64 array of shape ``(k,)`` or ``(n, k)`` whose rows are probability
    vectors (finite, ``>= 0``, summing to 1 within 1e-6), or raise naming the problem; with
    ``n`` given, a 2-D prior must have ``n`` rows."""
    arr = np.asarray(prior)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold real probabilities, got dtype {arr.dtype}")
    if arr.ndim not in (1, 2) or arr.shape[-1] != k or arr.size == 0:
        rows = "(k,) or (n, k)" if n is None else f"({k},) or ({n}, {k})"
        raise ValueError(f"{name} must have shape {rows} with k = {k}, got shape {arr.shape}")
    if n is not None and arr.ndim == 2 and arr.shape[0] != n:
        raise ValueError(f"{name} must have one row per label ({n}), got {arr.shape[0]} rows")
    p = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{name} must be finite; found {int(np.sum(~np.isfinite(p)))} NaN/inf")
    if np.any(p < 0):
        raise ValueError(f"{name} must be non-negative; found {float(p.min())!r}")
    dev = np.abs(p.sum(axis=-1) - 1.0)
    if np.any(dev > PRIOR_SUM_ATOL):
        bad = int(np.argmax(dev))
        raise ValueError(
            f"each row of {name} must sum to 1 (within {PRIOR_SUM_ATOL:g}); row {bad} sums to "
            f"{float(np.atleast_2d(p).sum(axis=-1)[bad])!r}"
        )
    return p


class LabelRR:
    """Randomized response on a label with ``k`` classes (Warner, 1965; Ghazi et al., 2021).

    ``P(Z = y | Y = y) = p = e^eps / (e^eps + k - 1)``, ``P(Z = z | Y = y) = q = p / e^eps`` for
    each ``z != y``: eps-LDP with ratio ``p / q = e^eps`` (tight). The sampler and the frequency
    estimate are those of :class:`~fairldp.ldp.grr.GRR` (same draws from the same generator).

    Parameters
    ----------
    epsilon : float
        Privacy budget, finite, in ``[1e-6, 1000]``.
    k : int
        Number of classes, >= 2.
    """

    name = "label_rr"

    def __init__(self, epsilon: float, k: int) -> None:
        self.grr = GRR(epsilon, k)
        self.epsilon, self.k = self.grr.epsilon, self.grr.k
        #: keep / each-other-class probabilities, ``(k-1) q`` and ``p - q`` without cancellation
        self.p, self.q = self.grr.p, self.grr.q
        self.flip, self.pq_gap = self.grr.flip, self.grr.pq_gap

    def __repr__(self) -> str:
        return f"{type(self).__name__}(epsilon={self.epsilon!r}, k={self.k})"

    @property
    def params(self) -> dict[str, Any]:
        """The mechanism's parameters (for logs and result tables)."""
        return {"mechanism": self.name, "epsilon": self.epsilon, "k": self.k, "p": self.p}

    # ----- client side -------------------------------------------------------------------
    def perturb(self, y: ArrayLike, rng: np.random.Generator) -> _I:
        """Reported labels (int64, shape ``(n,)``), one uniform per example (GRR's sampler)."""
        return self.grr.perturb(check_codes(y, self.k, name="y"), rng).view(np.ndarray)

    # ----- noise model -------------------------------------------------------------------
    @property
    def transition(self) -> _F:
        """``T[c, z] = P(Z = z | Y = c)``: ``p`` on the diagonal, ``q`` elsewhere."""
        return self.grr.transition_matrix

    @property
    def inverse_transition(self) -> _F:
        """``T^-1[z, c] = (1[z = c] - q) / (p - q)`` (``T = (p - q) I + q J`` and ``p + (k-1) q
        = 1``); row ``z`` is the corrected target of a report ``z``."""
        t = np.full((self.k, self.k), -self.q / self.pq_gap)
        np.fill_diagonal(t, (1.0 - self.q) / self.pq_gap)
        return t

    @property
    def accuracy(self) -> float:
        """``P(Z = Y) = p`` whatever the label distribution."""
        return self.p

    # ----- server side -------------------------------------------------------------------
    def estimate(self, y_reported: ArrayLike, method: str = "unbiased") -> _F:
        """Class frequencies: ``(c_z / n - q) / (p - q)`` (``"unbiased"``, may be < 0), its
        projection onto the simplex (``"simplex"``) or IBU (``"ibu"``), as for GRR."""
        return self.grr.estimate(check_codes(y_reported, self.k, name="y_reported"), method)

    def variance(self, f: ArrayLike, n: int) -> _F:
        """Variance of the unbiased estimate, ``q(1-q) / (n (p-q)^2) + f (1-p-q) / (n (p-q))``
        (Wang et al., USENIX Security 2017)."""
        return self.grr.variance(f, n)

    def unbiased_targets(self, y_reported: ArrayLike) -> _F:
        """Corrected soft targets, shape ``(n, k)``: row ``i`` is ``T^-1`` applied to the one-hot
        report, ``(1[z_i = c] - q) / (p - q)``, so ``E[row | Y = y] = e_y`` (entries may be
        negative; their mean over examples is :meth:`estimate`). For a loss linear in the
        target (e.g. cross-entropy) this gives an unbiased estimate of the clean loss."""
        z = check_codes(y_reported, self.k, name="y_reported")
        out = np.full((z.size, self.k), -self.q / self.pq_gap)
        out[np.arange(z.size), z] = (1.0 - self.q) / self.pq_gap
        return out

    def posterior(self, prior: ArrayLike) -> _F:
        """``P[z, c] = P(Y = c | Z = z) = pi_c T[c, z] / sum_c' pi_c' T[c', z]`` for a class
        prior ``pi`` of shape ``(k,)`` (Bayes); rows sum to 1."""
        pi = check_prior(prior, self.k)
        if pi.ndim != 1:
            raise ValueError(f"prior must have shape ({self.k},), got shape {pi.shape}")
        return self.clean_posterior(np.arange(self.k), pi)

    def clean_posterior(self, y_reported: ArrayLike, prior: ArrayLike) -> _F:
        """``P(Y_i = c | Z_i = z_i)``, shape ``(n, k)``, for a class prior of shape ``(k,)`` or a
        per-example prior ``(n, k)``: ``pi_c a^[c != z] / sum_c' pi_c' a^[c' != z]`` with
        ``a = q / p = e^-eps``; for noise-aware training. A report impossible under its prior
        (``a`` underflows to 0 at eps > ~745 and ``pi_z = 0``) gets the prior itself."""
        z = check_codes(y_reported, self.k, name="y_reported")
        pi = check_prior(prior, self.k, n=z.size)
        pi = np.broadcast_to(pi, (z.size, self.k))
        rows = np.arange(z.size)
        num = pi * math.exp(-self.epsilon)
        num[rows, z] = pi[rows, z]
        total = num.sum(axis=1)
        impossible = total == 0.0  # only if a underflows (eps > ~745) and pi_z = 0
        if np.any(impossible):
            num[impossible] = pi[impossible]
            total[impossible] = pi[impossible].sum(axis=1)
        num /= total[:, None]
        return num


class RRWithPrior:
    """Randomized response with prior (Ghazi et al., NeurIPS 2021, Algorithm 2 "RRWithPrior",
    with Algorithm 1 "RRTop-k"), vectorized over examples.

    For prior row ``p_i``: ``m*_i = argmax_m w_im``, ``w_im = e^eps / (e^eps + m - 1) S_im`` with
    ``S_im`` the sum of the ``m`` largest prior masses (each row sorted once). If ``y_i`` is among
    the top ``m*_i`` classes it is output with probability ``1 / (1 + (m*-1) a)`` and each other
    top class with ``a / (1 + (m*-1) a)`` (``a = e^-eps``); otherwise the output is uniform over
    the top ``m*_i`` classes. The prior is public: privacy holds for every prior, since the top
    set does not depend on the label (worst ratio ``e^eps``).

    Parameters
    ----------
    epsilon : float
        Privacy budget, finite, in ``[1e-6, 1000]``.
    k : int
        Number of classes, >= 2.
    """

    name = "rr_with_prior"

    def __init__(self, epsilon: float, k: int) -> None:
        self.epsilon = check_epsilon(epsilon)
        self.k = check_domain_size(k)
        #: ``a = e^-eps``: relative probability of a non-kept top class
        self.a = math.exp(-self.epsilon)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(epsilon={self.epsilon!r}, k={self.k})"

    @property
    def params(self) -> dict[str, Any]:
        """The mechanism's parameters (for logs and result tables)."""
        return {"mechanism": self.name, "epsilon": self.epsilon, "k": self.k}

    def _check(self, y: ArrayLike, prior: ArrayLike) -> tuple[_I, _F]:
        codes = check_codes(y, self.k, name="y")
        p = check_prior(prior, self.k, n=codes.size)
        return codes, np.broadcast_to(p, (codes.size, self.k))

    def _plan(self, p: _F) -> tuple[_I, _I, _I, _F]:
        """``(order, rank, m*, w*)`` for prior rows ``p`` (``(n, k)``): classes by decreasing
        prior (stable), each class's position in that order, ``m*`` and ``max_m w_m``."""
        order = np.argsort(-p, axis=1, kind="stable")
        mass = np.cumsum(np.take_along_axis(p, order, axis=1), axis=1)
        w = mass / (1.0 + np.arange(self.k) * self.a)  # S_m e^eps / (e^eps + m - 1)
        best = np.argmax(w, axis=1)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.broadcast_to(np.arange(self.k), order.shape), axis=1)
        rows = np.arange(p.shape[0])
        return order, rank, best + 1, w[rows, best]

    def k_star(self, prior: ArrayLike) -> _I:
        """``m*`` of each prior row (``(n,)``; one entry for a 1-D prior)."""
        p = np.atleast_2d(check_prior(prior, self.k))
        return self._plan(p)[2]

    def expected_accuracy(self, prior: ArrayLike) -> _F:
        """``max_m w_m = P(output = Y)`` for ``Y`` drawn from each prior row, the optimum over
        all eps-LDP label randomizers (Ghazi et al., Theorem 3); ``>= p`` of :class:`LabelRR`
        (``w_k``)."""
        p = np.atleast_2d(check_prior(prior, self.k))
        return self._plan(p)[3]

    def _keep(self, m: _I) -> tuple[_F, _F]:
        """``(1 / (1 + (m-1) a), (m-1) a / (1 + (m-1) a))``: keep and lie probabilities."""
        den = 1.0 + (m - 1) * self.a
        return 1.0 / den, (m - 1) * self.a / den

    def perturb(self, y: ArrayLike, prior: ArrayLike, rng: np.random.Generator) -> _I:
        """Reported labels (int64, ``(n,)``) for labels ``y`` and prior rows ``prior``
        (``(n, k)``, or ``(k,)`` shared by all), two uniforms per example.

        ``u < (m*-1) a / (1 + (m*-1) a)`` decides a lie for labels in the top set; ``v`` picks
        the position ``j = floor(v s)`` in the top set (``s = m* - 1`` for liars, skipping the
        label's own position, ``s = m*`` for labels outside it).
        """
        codes, p = self._check(y, prior)
        order, rank, m, _ = self._plan(p)
        n = codes.size
        rows = np.arange(n)
        u, v = rng.random(n), rng.random(n)
        ry = rank[rows, codes]
        in_top = ry < m
        lie = in_top & (u < self._keep(m)[1])
        size = np.where(in_top, m - 1, m)
        j = np.minimum(np.floor(v * size).astype(np.int64), size - 1)
        pos = np.where(lie, j + (j >= ry), np.where(in_top, ry, j))
        return order[rows, pos]

    def output_distribution(self, y: ArrayLike, prior: ArrayLike) -> _F:
        """Exact ``P(output = c | y_i, p_i)``, shape ``(n, k)``: ``1 / (1 + (m*-1) a)`` at ``y_i``
        and ``a / (1 + (m*-1) a)`` on the other top classes if ``y_i`` is in the top set, else
        ``1 / m*`` on the top set; 0 off it. With ``y = arange(k)`` and one prior row this is the
        transition matrix for that prior."""
        codes, p = self._check(y, prior)
        _, rank, m, _ = self._plan(p)
        rows = np.arange(codes.size)
        keep, _ = self._keep(m)
        in_top = rank[rows, codes] < m
        other = np.where(in_top, self.a * keep, 1.0 / m)
        out = np.where(rank < m[:, None], other[:, None], 0.0)
        out[rows[in_top], codes[in_top]] = keep[in_top]
        return out

    def prob_correct(self, y: ArrayLike, prior: ArrayLike) -> _F:
        """``P(output = y_i | y_i, p_i)``: ``1 / (1 + (m*-1) a)`` if ``y_i`` is in the top set
        (1 if ``m* = 1``), else 0."""
        codes, p = self._check(y, prior)
        _, rank, m, _ = self._plan(p)
        in_top = rank[np.arange(codes.size), codes] < m
        return np.where(in_top, self._keep(m)[0], 0.0)
