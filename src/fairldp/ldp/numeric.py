"""Numeric LDP mechanisms: one bounded real value per user (Duchi, Piecewise, Hybrid).

Each mechanism is built as ``cls(epsilon, low, high)`` (or ``get_numeric_mechanism(name,
epsilon, low, high)``) with ``epsilon`` in ``[EPSILON_MIN, EPSILON_MAX] = [1e-6, 1000]`` and a
declared input range ``low < high``. A value ``x`` is clipped to ``[low, high]`` and normalised
to ``t = (x - mid) / scale`` in ``[-1, 1]`` (``mid = (low + high) / 2``, ``scale =
(high - low) / 2``); the mechanism draws a report ``Y`` in ``[-C, C]`` with ``E[Y | t] = t``,
returned de-normalised as ``mid + scale Y`` (original units). So

- client side: ``perturb(values, rng)`` privatizes a whole column at once, one uniform per
  user, in cache-sized blocks (the result does not depend on the block size);
  ``n_clipped`` is the number of values the last call clipped (``count_clipped(values)``
  counts without perturbing);
- server side: ``estimate_mean(reports)`` is the plain mean of the reports, unbiased for the
  mean of the clipped values; ``mean_variance(values)`` is its exact variance;
- closed forms, in normalised units: ``variance(t)`` of one report, ``density(t, y)`` and
  ``probability(t, a, b)`` of the output distribution (for exact eps-LDP checks), ``atoms``
  and ``bound`` (``C``); ``output_bounds`` is ``[mid - scale C, mid + scale C]``.

Mechanisms (Wang et al., 2019, Sec. III; ``z = e^{eps/2}``):

- :class:`Duchi` (Duchi, Jordan & Wainwright, 2013/2018; 1-D form as in Wang et al.):
  ``Y = +-C`` with ``C = (e^eps + 1) / (e^eps - 1)`` and
  ``P(Y = C | t) = 1/2 + t (e^eps - 1) / (2 (e^eps + 1))``; ``Var = C^2 - t^2``.
- :class:`Piecewise` (PM): ``C = (z + 1) / (z - 1)``, ``l(t) = (C + 1) t / 2 - (C - 1) / 2``,
  ``r(t) = l(t) + C - 1``; density ``p = (e^eps - z) / (2z + 2)`` on ``[l, r]`` and ``p / e^eps``
  on the rest of ``[-C, C]``; ``Var = t^2 / (z - 1) + (z + 3) / (3 (z - 1)^2)``.
- :class:`Hybrid` (HM): PM with probability ``alpha = 1 - e^{-eps/2}`` if ``eps > eps*``
  (:data:`EPS_STAR` ~ 0.6094) else 0, Duchi otherwise. With this ``alpha`` the variance is the
  same for every ``t``: ``(z + 3) / (3 z (z - 1)) + (e^eps + 1)^2 / (z (e^eps - 1)^2)``, the
  paper's worst case, at most the worst case of both Duchi and PM.

References: J. C. Duchi, M. I. Jordan, M. J. Wainwright, "Local privacy and statistical
minimax rates", FOCS 2013, and "Minimax optimal procedures for locally private estimation",
JASA 113(521), 2018. N. Wang, X. Xiao, Y. Yang, J. Zhao, S. C. Hui, H. Shin, J. Shin, G. Yu,
"Collecting and analyzing multidimensional data with local differential privacy", ICDE 2019,
pp. 638-649 (arXiv:1907.00782).

Like every floating-point sampler (e.g. SHE's Laplace noise), the samplers realise the
probabilities up to the 2^-53 resolution of the uniforms: events of probability below ~1e-16
per user (PM's outer pieces at ``eps > 73``, HM's Duchi branch at ``eps > 75``) occur with
probability 0 or 2^-53 instead.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.validation import check_epsilon
from fairldp.registry import Registry

__all__ = [
    "EPS_STAR",
    "NUMERIC_MECHANISMS",
    "Duchi",
    "Hybrid",
    "NumericMechanism",
    "Piecewise",
    "get_numeric_mechanism",
]

#: ``eps*`` of Wang et al. (2019), Sec. III-C: HM uses PM (with probability
#: ``1 - e^{-eps/2}``) iff ``eps > eps*``. Their closed form; equivalently ``2 ln z`` with
#: ``z`` the real root of ``3 z^3 - z^2 + z - 7 = 0``, the budget at which PM's variance at
#: ``t = 0`` equals Duchi's (checked in tests/ldp/test_numeric.py). ~ 0.609352.
EPS_STAR: float = math.log(
    (-5 + 2 * np.cbrt(6353 - 405 * math.sqrt(241)) + 2 * np.cbrt(6353 + 405 * math.sqrt(241))) / 27
)

_F = NDArray[np.float64]

#: users per block in :meth:`NumericMechanism.perturb`: the block's uniforms, scratch and
#: output (~40 bytes per user) stay in the L2 cache; results do not depend on it.
_BLOCK_ELEMENTS = 1 << 15
#: PM's sampler takes its short form up to this eps (see ``_PiecewiseKernel``)
_SHORT_PM_EPS = 10.0


def _check_bound(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return v


def _check_range(low: float, high: float) -> tuple[float, float]:
    """``(low, high)`` as floats, or raise if they are not finite with ``low < high``."""
    lo, hi = _check_bound(low, "low"), _check_bound(high, "high")
    if not lo < hi or not math.isfinite(hi - lo):
        raise ValueError(
            f"the input range must have low < high (and a finite width), got low={low!r}, "
            f"high={high!r}"
        )
    return lo, hi


def _check_array(values: ArrayLike, name: str) -> tuple[NDArray[np.float64], float, float]:
    """``(x, min, max)``: ``values`` as a non-empty 1-D float64 array without NaN."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array (one value per user), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: at least one value is needed")
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    x = arr.astype(np.float64, copy=False)
    lo, hi = float(x.min()), float(x.max())  # NaN propagates through min
    if math.isnan(lo):
        raise ValueError(f"{name} must not contain NaN; found {int(np.isnan(x).sum())} NaN values")
    return x, lo, hi


def _overlap(a: NDArray[np.float64], b: NDArray[np.float64], c: Any, d: Any) -> NDArray[Any]:
    """Length of ``[a, b] ∩ [c, d]`` (0 if empty), elementwise."""
    return np.maximum(np.minimum(b, d) - np.maximum(a, c), 0.0)


class NumericMechanism(ABC):
    """Base class: an eps-LDP mechanism for one value per user in ``[low, high]``.

    Parameters
    ----------
    epsilon : float
        Privacy budget, finite, in ``[1e-6, 1000]``.
    low, high : float
        Declared input range (finite, ``low < high``); values outside are clipped to it.
    """

    name: ClassVar[str]
    #: ``C``: reports lie in ``[-C, C]`` (normalised units)
    bound: float

    def __init__(self, epsilon: float, low: float = -1.0, high: float = 1.0) -> None:
        self.epsilon = check_epsilon(epsilon)
        self.low, self.high = _check_range(low, high)
        self.mid = self.low / 2 + self.high / 2  # never overflows
        self.scale = self.high / 2 - self.low / 2
        #: number of input values clipped to ``[low, high]`` by the last :meth:`perturb`
        self.n_clipped = 0

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(epsilon={self.epsilon!r}, low={self.low!r}, high={self.high!r})"
        )

    @property
    def params(self) -> dict[str, Any]:
        """The mechanism's parameters (for logs and result tables)."""
        return {
            "mechanism": self.name,
            "epsilon": self.epsilon,
            "low": self.low,
            "high": self.high,
            "bound": self.bound,
        }

    @property
    def output_bounds(self) -> tuple[float, float]:
        """``(lo, lo + 2w)`` with ``w = scale C`` and ``lo = mid - w``: every report lies in
        this interval (original units; Duchi's two reports are exactly its ends)."""
        w = self.scale * self.bound
        lo = self.mid - w
        return lo, lo + 2 * w

    def _check_domain(self) -> None:
        """Raise if the output domain, with a margin for the samplers' intermediate values
        (below ``1e4 scale C``), is not representable (only for ranges wider than ~1e300)."""
        if not math.isfinite(1e4 * self.scale * self.bound + abs(self.mid)):
            raise ValueError(
                f"the input range [{self.low!r}, {self.high!r}] is too wide for epsilon="
                f"{self.epsilon!r}: the output domain overflows float64"
            )

    @property
    def atoms(self) -> tuple[float, ...]:
        """Output values of positive probability (normalised units); none for PM."""
        return ()

    # ----- units ------------------------------------------------------------------------
    def count_clipped(self, values: ArrayLike) -> int:
        """Number of ``values`` outside ``[low, high]`` (validated as in :meth:`perturb`)."""
        x, lo, hi = _check_array(values, "values")
        if lo >= self.low and hi <= self.high:
            return 0
        return int(np.count_nonzero(x < self.low) + np.count_nonzero(x > self.high))

    def normalize(self, values: ArrayLike) -> NDArray[np.float64]:
        """``t = (clip(x, low, high) - mid) / scale`` in ``[-1, 1]`` (validated)."""
        x, _, _ = _check_array(values, "values")
        t = (np.clip(x, self.low, self.high) - self.mid) / self.scale
        return np.clip(t, -1.0, 1.0, out=t)

    def denormalize(self, y: ArrayLike) -> NDArray[np.float64]:
        """``mid + scale y``: normalised reports (or means) in original units."""
        return self.mid + self.scale * np.asarray(y, dtype=float)

    # ----- client side --------------------------------------------------------------------
    def perturb(self, values: ArrayLike, rng: np.random.Generator) -> NDArray[np.float64]:
        """Reports of a whole column, in original units (float64, in :attr:`output_bounds`).

        ``values``: a 1-D array of real numbers (no NaN; values outside ``[low, high]``,
        ``+-inf`` included, are clipped to it and counted in :attr:`n_clipped`). Exactly one
        uniform ``rng.random()`` per user is drawn, in order, so the reports depend only on the
        values and the generator's state (never on the block size).
        """
        x, lo, hi = _check_array(values, "values")
        clip = lo < self.low or hi > self.high
        n_clipped = (
            int(np.count_nonzero(x < self.low) + np.count_nonzero(x > self.high)) if clip else 0
        )
        n = x.size
        out = np.empty(n)
        step = min(n, _BLOCK_ELEMENTS)
        u_buf, x_buf = np.empty(step), np.empty(step) if clip else None
        f_buf, g_buf = np.empty(step), np.empty(step)
        for s in range(0, n, step):
            m = min(step, n - s)
            xb = x[s : s + m]
            if x_buf is not None:
                xb = np.clip(xb, self.low, self.high, out=x_buf[:m])
            u = u_buf[:m]
            rng.random(out=u)
            self._perturb_block(xb, u, out[s : s + m], f_buf[:m], g_buf[:m])
        self.n_clipped = n_clipped
        return out

    @abstractmethod
    def _perturb_block(
        self,
        x: NDArray[np.float64],
        u: NDArray[np.float64],
        out: NDArray[np.float64],
        f: NDArray[np.float64],
        g: NDArray[np.float64],
    ) -> None:
        """Reports (original units) of clipped values ``x`` from uniforms ``u`` into ``out``;
        ``f, g``: scratch of the same length."""

    # ----- server side --------------------------------------------------------------------
    def check_reports(self, reports: ArrayLike) -> NDArray[np.float64]:
        """``reports`` as a float64 array, or raise if they are not finite values in
        :attr:`output_bounds` (up to a relative 1e-9 of its width)."""
        y, lo, hi = _check_array(reports, "reports")
        a, b = self.output_bounds
        tol = 1e-9 * (b - a)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo >= a - tol and hi <= b + tol):
            bad = lo if not (math.isfinite(lo) and lo >= a - tol) else hi
            raise ValueError(
                f"reports must lie in the output domain [{a:g}, {b:g}] of {self!r}; found "
                f"{bad!r} (are they this mechanism's perturb() output?)"
            )
        return y

    def estimate_mean(self, reports: ArrayLike) -> float:
        """Unbiased estimate of the mean of the clipped inputs (original units): the mean of
        the reports (``E[mid + scale Y | x] = clip(x)``)."""
        return float(np.mean(self.check_reports(reports)))

    def mean_variance(self, values: ArrayLike) -> float:
        """Exact variance of :meth:`estimate_mean` of ``perturb(values)`` (squared original
        units): ``scale^2 sum_i variance(t_i) / n^2``."""
        t = self.normalize(values)
        return float(self.scale**2 * np.sum(self.variance(t)) / t.size**2)

    # ----- closed forms (normalised units) ------------------------------------------------
    @abstractmethod
    def variance(self, t: ArrayLike) -> NDArray[np.float64]:
        """Exact variance of one normalised report given the normalised input ``t`` in
        ``[-1, 1]`` (vectorized); multiply by ``scale**2`` for original units."""

    @property
    def worst_case_variance(self) -> float:
        """``max_t variance(t)``: every variance here is affine in ``t^2``, so the maximum is
        at ``t = 0`` or ``|t| = 1``."""
        return float(np.max(self.variance(np.array([0.0, 1.0]))))

    @abstractmethod
    def density(self, t: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
        """Density of the report ``y`` given the input ``t`` (normalised units, broadcast)
        with respect to ``counting measure on atoms + Lebesgue measure``: the probability of
        ``y`` if ``y`` is one of :attr:`atoms`, else the density of the continuous part. The
        mechanism is eps-LDP iff ``density(t, y) <= e^eps density(t', y)`` for all
        ``t, t', y``."""

    @abstractmethod
    def probability(self, t: ArrayLike, a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
        """``P(a <= Y <= b | t)`` in normalised units (broadcast; 0 where ``a > b``)."""


class Duchi(NumericMechanism):
    """Duchi et al.'s mechanism: ``Y = +-C``, ``C = (e^eps + 1) / (e^eps - 1)``, with
    ``P(Y = C | t) = 1/2 + t (e^eps - 1) / (2 (e^eps + 1))`` (Duchi, Jordan & Wainwright,
    2013/2018; 1-D form of Wang et al., 2019, Sec. III).

    ``E[Y | t] = t``, ``Var = C^2 - t^2``, worst case ``C^2`` at ``t = 0``. The ratio of the
    two atoms' probabilities between ``t = 1`` and ``t = -1`` is ``e^eps`` (tight).

    Computed as ``C = coth(eps/2)`` and ``(e^eps - 1) / (e^eps + 1) = tanh(eps/2)`` (no
    overflow at ``eps = 1000``); the variance as ``csch^2(eps/2) + (1 - t)(1 + t)`` (no
    cancellation at ``|t| = 1``).
    """

    name = "duchi"

    def __init__(self, epsilon: float, low: float = -1.0, high: float = 1.0) -> None:
        super().__init__(epsilon, low, high)
        th = math.tanh(self.epsilon / 2)
        self.tanh = th
        #: ``1 - tanh(eps/2) = 2 / (e^eps + 1)``, without cancellation
        self.one_minus_tanh = 2.0 * math.exp(-self.epsilon) / (1.0 + math.exp(-self.epsilon))
        self.bound = 1.0 / th
        self.csch = 1.0 / math.sinh(self.epsilon / 2)
        self._check_domain()
        self._kernel = _DuchiKernel(self, 0.0, 1.0)

    @property
    def atoms(self) -> tuple[float, ...]:
        return (-self.bound, self.bound)

    def prob_plus(self, t: ArrayLike) -> NDArray[np.float64]:
        """``P(Y = +C | t) = ((1 + t) - t (1 - tanh(eps/2))) / 2`` (accurate at ``t = -1``)."""
        t = np.asarray(t, dtype=float)
        return ((1.0 + t) - t * self.one_minus_tanh) / 2

    def prob_minus(self, t: ArrayLike) -> NDArray[np.float64]:
        """``P(Y = -C | t) = ((1 - t) + t (1 - tanh(eps/2))) / 2`` (accurate at ``t = 1``)."""
        t = np.asarray(t, dtype=float)
        return ((1.0 - t) + t * self.one_minus_tanh) / 2

    def _perturb_block(self, x: _F, u: _F, out: _F, f: _F, g: _F) -> None:
        self._kernel(x, u, out)

    def variance(self, t: ArrayLike) -> NDArray[np.float64]:
        """``C^2 - t^2 = csch^2(eps/2) + (1 - t)(1 + t)``."""
        t = np.asarray(t, dtype=float)
        return self.csch**2 + (1.0 - t) * (1.0 + t)

    def density(self, t: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
        """``P(Y = y | t)``: :meth:`prob_plus` at ``y = C``, :meth:`prob_minus` at ``-C``,
        else 0."""
        t, y = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(y, dtype=float))
        return np.where(
            y == self.bound, self.prob_plus(t), np.where(y == -self.bound, self.prob_minus(t), 0.0)
        )

    def probability(self, t: ArrayLike, a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        c = self.bound
        return self.prob_plus(t) * ((a <= c) & (c <= b)) + self.prob_minus(t) * (
            (a <= -c) & (-c <= b)
        )


class _DuchiKernel:
    """Duchi's sampler for the lanes with ``u >= alpha`` (``alpha = 0``: all lanes): the report
    is ``lo + 2w [u < T(x)]`` (``w = scale C``, ``lo = mid - w``) with
    ``T(x) = alpha + (1 - alpha) P(Y = C | t)`` affine in ``x``; the indicator is written as
    0.0 / 1.0 by the comparison itself, so both reports are exact and nothing branches on
    the (random) comparison. Lanes with ``u < alpha`` get ``lo + 2w``."""

    def __init__(self, d: Duchi, alpha: float, one_minus_alpha: float) -> None:
        w = one_minus_alpha / 2
        self.ta = w * d.tanh / d.scale
        self.tb = alpha + w - w * d.tanh * d.mid / d.scale
        self.lo = d.output_bounds[0]
        self.two_w = 2 * d.scale * d.bound

    def __call__(
        self, x: NDArray[np.float64], u: NDArray[np.float64], out: NDArray[np.float64]
    ) -> None:
        np.multiply(x, self.ta, out=out)
        out += self.tb
        np.less(u, out, out=out, casting="unsafe")  # 1.0 iff u < T(x)
        out *= self.two_w
        out += self.lo


class Piecewise(NumericMechanism):
    """Piecewise Mechanism (PM) of Wang et al. (2019), Sec. III, Algorithm 2.

    With ``z = e^{eps/2}``, ``C = (z + 1) / (z - 1)``, ``l(t) = (C + 1) t / 2 - (C - 1) / 2`` and
    ``r(t) = l(t) + C - 1``: with probability ``z / (z + 1)`` the report is uniform on
    ``[l, r]``, otherwise uniform on ``[-C, l) ∪ (r, C]``. The density is
    ``p_in = (e^eps - z) / (2z + 2)`` on ``[l, r]`` and ``p_out = p_in / e^eps`` elsewhere in
    ``[-C, C]`` (ratio ``e^eps``, tight). ``E[Y | t] = t`` and
    ``Var = t^2 / (z - 1) + (z + 3) / (3 (z - 1)^2)``, worst case ``4z / (3 (z - 1)^2)`` at
    ``|t| = 1``.

    All constants are computed from ``h = e^{-eps/2}`` and ``expm1(+-eps/2)`` (no overflow at
    ``eps = 1000``, no cancellation at ``eps = 1e-6``). Sampling: the inverse CDF of one
    uniform per user, without branches (see ``_PiecewiseKernel``).
    """

    name = "piecewise"

    def __init__(self, epsilon: float, low: float = -1.0, high: float = 1.0) -> None:
        super().__init__(epsilon, low, high)
        #: ``h = e^{-eps/2} = 1 / z`` and ``1 - h``, ``z - 1`` without cancellation
        self.h = h = math.exp(-self.epsilon / 2)
        self.one_minus_h = -math.expm1(-self.epsilon / 2)
        self.expm1_half = em1 = math.expm1(self.epsilon / 2)
        self.bound = (2.0 + em1) / em1  # (z + 1) / (z - 1)
        #: ``C - 1 = 2 / (z - 1)``: width of the high-density piece ``[l, r]``
        self.width = 2.0 / em1
        #: densities on / off ``[l, r]``: ``z (z - 1) / (2 (z + 1))`` and that over ``e^eps``
        self.p_in = self.one_minus_h / (2 * h * (1 + h))
        self.p_out = h * self.one_minus_h / (2 * (1 + h))
        #: probabilities of ``[l, r]`` and of the rest: ``z / (z + 1)``, ``1 / (z + 1)``
        self.q_in = 1.0 / (1.0 + h)
        self.q_out = h / (1.0 + h)
        self._check_domain()
        self._kernel = _PiecewiseKernel(self, 1.0)

    def left(self, t: ArrayLike) -> NDArray[np.float64]:
        """``l(t) = (C + 1) t / 2 - (C - 1) / 2``, computed as ``(C + 1)(t + 1) / 2 - C`` (exactly
        ``-C`` at ``t = -1``) and kept ``>= -C``."""
        t = np.asarray(t, dtype=float)
        return np.maximum((self.bound + 1) / 2 * (t + 1) - self.bound, -self.bound)

    def piece(self, t: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(l(t), r(t))``, the high-density piece: ``l`` as in :meth:`left` and
        ``r = C - (C + 1)(1 - t) / 2`` (exactly ``C`` at ``t = 1``), kept in ``[l, C]``."""
        t = np.asarray(t, dtype=float)
        lft = self.left(t)
        rgt = self.bound - (self.bound + 1) / 2 * (1 - t)
        return lft, np.maximum(np.minimum(rgt, self.bound), lft)

    def _perturb_block(self, x: _F, u: _F, out: _F, f: _F, g: _F) -> None:
        self._kernel(x, u, out, f, g)

    def variance(self, t: ArrayLike) -> NDArray[np.float64]:
        """``t^2 / (z - 1) + (z + 3) / (3 (z - 1)^2)``, the latter as
        ``(1 + 4 / (z - 1)) / (3 (z - 1))``."""
        t = np.asarray(t, dtype=float)
        em1 = self.expm1_half
        return t * t / em1 + (1.0 + 4.0 / em1) / (3.0 * em1)

    def density(self, t: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
        """``p_in`` on ``[l(t), r(t)]``, ``p_out`` on the rest of ``[-C, C]``, 0 outside."""
        t, y = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(y, dtype=float))
        lft, rgt = self.piece(t)
        inside = (y >= lft) & (y <= rgt)
        return np.where(np.abs(y) <= self.bound, np.where(inside, self.p_in, self.p_out), 0.0)

    def probability(self, t: ArrayLike, a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
        """``p_out (|A| - |I|) + p_in |I|`` with ``A = [a, b] ∩ [-C, C]`` and
        ``I = [a, b] ∩ [l, r]``.

        ``|I| <= |A|`` holds in floating point too (``-C <= l``, ``r <= C`` and rounding is
        monotone), so every computed probability ratio is at most ``p_in / p_out``; ``|I|`` is
        the exact width ``C - 1`` when ``[a, b]`` covers ``[l, r]`` (else the rounding of
        ``r - l``, relatively ``1e-16 / (C - 1)``, would show at large eps).
        """
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        lft, rgt = self.piece(t)
        c = self.bound
        total = _overlap(a, b, -c, c)
        inner = np.where(
            (a <= lft) & (b >= rgt), np.minimum(self.width, total), _overlap(a, b, lft, rgt)
        )
        return self.p_out * (total - inner) + self.p_in * inner


class _PiecewiseKernel:
    """PM's sampler (original units) for the uniform ``v = u s`` (``s = 1``; HM: ``1 / alpha``).

    The inverse CDF of PM given ``t`` is piecewise linear in ``v``, with slopes ``1 / p_out``,
    ``1 / p_in``, ``1 / p_out`` and breakpoints ``a = (l + C) p_out = q_out (t + 1) / 2`` and
    ``a + q_in``. With ``D = v - a`` and ``K = 1/p_out - 1/p_in = 2 (1 + h)^2 / h``
    (``h = e^{-eps/2}``), both forms below equal it, with no data-dependent branch:

    - robust (any eps): ``Y = l + D / p_in + K (D - clip(D, 0, q_in))``. The large slope ``K``
      multiplies only ``D - clip(D, 0, q_in)``, which is 0 on the high-density piece and at
      most ``q_out`` in size elsewhere, so nothing cancels (12 array operations);
    - short (``eps <= 10``): ``Y = -C + v / p_out - K clip(D, 0, q_in)`` (the input enters only
      through ``D``; 9 operations). On ``[l, r]`` the two terms cancel to
      ``l + D / p_in``: the rounding error, relative to the width ``C - 1`` of ``[l, r]``, is
      about ``2^-52 s (1 + h) e^eps``, below ``4e-11`` for ``eps <= 10``.

    Computed in original units (``mid + scale Y``) with ``D / s``, plus ``offset`` (HM), then
    clipped to the output domain (rounding only; ``clip=False`` leaves that to the caller, for
    the short form only: its values are always finite). Lanes with ``v >= 1`` (HM's Duchi
    branch) get finite values, discarded by the caller."""

    def __init__(self, pm: Piecewise, s: float, offset: float = 0.0) -> None:
        c, sc, h = pm.bound, pm.scale, pm.h
        self.short = pm.epsilon <= _SHORT_PM_EPS
        self.la, self.lb = (c + 1) / 2, -(pm.width / 2) * pm.high  # L = la x + lb
        a1 = pm.q_out / (2 * sc * s)  # a / s = a1 (x - low)
        self.a1, self.a0 = -a1, a1 * pm.low
        self.d_max = pm.q_in / s
        self.kd = s * sc * 2 * h * (1 + h) / pm.one_minus_h  # s scale / p_in
        self.kr = s * sc * 2 * (1 + h) ** 2 / h  # s scale K
        self.k_all = s * sc * 2 * (1 + h) / (h * pm.one_minus_h)  # s scale / p_out
        lo, hi = pm.output_bounds
        self.lo, self.hi = lo + offset, hi + offset
        self.lb += offset

    def __call__(
        self,
        x: NDArray[np.float64],
        u: NDArray[np.float64],
        out: NDArray[np.float64],
        f: NDArray[np.float64],
        g: NDArray[np.float64],
        clip: bool = True,
    ) -> None:
        np.multiply(x, self.a1, out=g)  # D / s = u - a(x) / s
        g += u
        g += self.a0
        if self.short:
            np.clip(g, 0.0, self.d_max, out=g)
            g *= self.kr
            np.multiply(u, self.k_all, out=out)
            out -= g
            out += self.lo
        else:
            np.multiply(x, self.la, out=f)  # L(x) = mid + scale l(t)
            f += self.lb
            np.clip(g, 0.0, self.d_max, out=out)
            np.subtract(g, out, out=out)  # 0 on [l, r], signed excess on the outer pieces
            out *= self.kr
            g *= self.kd
            out += g
            out += f
        if clip or not self.short:
            np.clip(out, self.lo, self.hi, out=out)


class Hybrid(NumericMechanism):
    """Hybrid Mechanism (HM) of Wang et al. (2019), Sec. III-C: PM with probability
    ``alpha``, Duchi's mechanism otherwise, both at the full ``eps``.

    ``alpha = 1 - e^{-eps/2}`` if ``eps > eps*`` (:data:`EPS_STAR` ~ 0.6094), else 0 (HM is then
    Duchi's mechanism). Both branches are unbiased, so
    ``Var(t) = alpha Var_PM(t) + (1 - alpha) Var_Duchi(t)``; with ``alpha = 1 - 1/z``
    (``z = e^{eps/2}``) the ``t^2`` terms cancel and
    ``Var = (z + 3) / (3 z (z - 1)) + (e^eps + 1)^2 / (z (e^eps - 1)^2)`` for every ``t``, the
    paper's worst-case variance, at most both Duchi's and PM's worst cases. eps-LDP: a mixture,
    with input-independent weights, of two eps-LDP mechanisms.

    One uniform per user: PM with ``u / alpha`` if ``u < alpha``, else Duchi's with
    ``(u - alpha) / (1 - alpha)``; both are computed for every lane and blended as
    ``b (Y_PM - hi_Duchi) + Y_Duchi`` with ``b = [u < alpha]`` in 0.0 / 1.0 (no data-dependent
    branches; ``Y_Duchi = hi_Duchi`` where ``b = 1``, so Duchi's reports stay exact). Reports
    are in PM's ``[-C_PM, C_PM]`` (which contains Duchi's atoms ``+-C_Duchi``), or Duchi's two
    values when ``alpha = 0``.
    """

    name = "hybrid"

    def __init__(self, epsilon: float, low: float = -1.0, high: float = 1.0) -> None:
        super().__init__(epsilon, low, high)
        self.piecewise = Piecewise(self.epsilon, self.low, self.high)
        self.duchi = Duchi(self.epsilon, self.low, self.high)
        if self.epsilon > EPS_STAR:
            self.alpha = -math.expm1(-self.epsilon / 2)
            #: ``1 - alpha`` exactly (``alpha`` rounds to 1 for eps > ~75)
            self.one_minus_alpha = math.exp(-self.epsilon / 2)
            self.bound = self.piecewise.bound
            self._duchi_hi = self.duchi.output_bounds[1]
            self._pm_kernel: _PiecewiseKernel | None = _PiecewiseKernel(
                self.piecewise, 1.0 / self.alpha, offset=-self._duchi_hi
            )
        else:
            self.alpha, self.one_minus_alpha = 0.0, 1.0
            self.bound = self.duchi.bound
            self._pm_kernel = None
        self._duchi_kernel = _DuchiKernel(self.duchi, self.alpha, self.one_minus_alpha)
        self._lo, self._hi = self.output_bounds

    @property
    def params(self) -> dict[str, Any]:
        return {**super().params, "alpha": self.alpha}

    @property
    def atoms(self) -> tuple[float, ...]:
        return self.duchi.atoms

    def _perturb_block(self, x: _F, u: _F, out: _F, f: _F, g: _F) -> None:
        if self._pm_kernel is None:
            self._duchi_kernel(x, u, out)
            return
        # out = Y_PM - hi_Duchi and f = Y_Duchi, which is hi_Duchi on PM's lanes (u < alpha
        # <= T(x)); report b out + f with b = [u < alpha]: Duchi's reports stay exact, PM's
        # are rounded once more, then clipped. The PM values of Duchi's lanes (u / alpha >= 1)
        # are discarded; in PM's robust form they may overflow (only for ranges near the
        # float64 limit) and are clipped first, as always in that form.
        with np.errstate(over="ignore"):
            self._pm_kernel(x, u, out, f, g, clip=False)
        self._duchi_kernel(x, u, f)
        np.less(u, self.alpha, out=g, casting="unsafe")
        out *= g
        out += f
        np.clip(out, self._lo, self._hi, out=out)

    def variance(self, t: ArrayLike) -> NDArray[np.float64]:
        """``alpha Var_PM(t) + (1 - alpha) Var_Duchi(t)``."""
        v = self.one_minus_alpha * self.duchi.variance(t)
        if self.alpha > 0.0:
            v = v + self.alpha * self.piecewise.variance(t)
        return v

    def density(self, t: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
        """``(1 - alpha) P_Duchi(y | t)`` at Duchi's atoms, ``alpha f_PM(y | t)`` elsewhere."""
        t, y = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(y, dtype=float))
        at_atom = np.abs(y) == self.duchi.bound
        cont = self.alpha * self.piecewise.density(t, y) if self.alpha > 0.0 else 0.0
        return np.where(at_atom, self.one_minus_alpha * self.duchi.density(t, y), cont)

    def probability(self, t: ArrayLike, a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
        p = self.one_minus_alpha * self.duchi.probability(t, a, b)
        if self.alpha > 0.0:
            p = p + self.alpha * self.piecewise.probability(t, a, b)
        return p


#: mechanism name -> class; every class is built as ``cls(epsilon, low, high)``.
NUMERIC_MECHANISMS: Registry[type[NumericMechanism]] = Registry("numeric LDP mechanism")
for _cls in (Duchi, Piecewise, Hybrid):
    NUMERIC_MECHANISMS.register(_cls.name, _cls)


def get_numeric_mechanism(
    name: str, epsilon: float, low: float = -1.0, high: float = 1.0
) -> NumericMechanism:
    """The mechanism ``name`` (case-insensitive, one of :data:`NUMERIC_MECHANISMS`) for
    ``(epsilon, low, high)``; an unknown name raises
    :class:`~fairldp.registry.UnknownNameError` (a ValueError) naming the closest one."""
    return NUMERIC_MECHANISMS.get(name.lower() if isinstance(name, str) else name)(
        epsilon, low, high
    )
