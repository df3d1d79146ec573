"""Noise model of an LDP protocol seen as a noisy channel on the sensitive attribute.

A user with sensitive attribute ``A = a`` in ``{0, ..., k-1}`` sends a report ``R`` from an
eps-LDP protocol of :mod:`fairldp.ldp`; the learner only sees the *decoded* attribute
``Z = decode(R)`` in ``{0, ..., k-1}``. The channel ``A -> Z`` is the row-stochastic matrix

    ``T[a, z] = P(Z = z | A = a)``,

and, because the report is drawn from ``A`` alone, ``Z`` is independent of every other
variable ``W`` (features, label, predictions) given ``A``. Hence for any joint distribution

    ``P(Z = z, W = w) = sum_a T[a, z] P(A = a, W = w)``,  i.e.  ``P_ZW = T^T P_AW``,

which :meth:`NoiseModel.recover` inverts: ``P_AW = T^{-T} P_ZW``. This is the
"mutually contaminated" / noisy-attribute model of Lamy, Zhong, Menon & Verma, "Noise-tolerant
fair classification", NeurIPS 2019, and the locally-private-attribute model of Mozannar,
Ohannessian & Srebro, "Fair learning with private demographic data", ICML 2020 (who use GRR);
here it is extended to every protocol of :mod:`fairldp.ldp` through its exact ``T``.

Decoding (:func:`decode`): GRR and fair-RR (:class:`~fairldp.ldp.fairaware.FairRR`) reports
are codes already (``Z = R``). Every other protocol is
decoded to the posterior mode ``argmax_a prior[a] P(R | A = a)`` (prior uniform by default;
ties uniformly at random with ``tie_break="random"``, the default, which needs the uniform
prior and a generator; or to the smallest index with ``tie_break="smallest"``). For the
"pure" protocols (UE, THE, SS, BLH/OLH) ``P(R | a)`` is proportional to ``e^{log_ratio}`` if
``a`` is in the report's support set ``S(R)`` (``reports.rows``) and to 1 otherwise, so the
decoded value is a function of ``S(R)`` only; for SHE it is the Laplace likelihood ratio. All
scores are computed in log space (finite at every supported eps).

``T`` is computed exactly (closed forms, combinatorics, or integration with a stated
precision; never Monte Carlo) for the same prior and tie-breaking, see
:func:`transition_matrix`. With ``tie_break="smallest"`` SS (subset size ``omega >= 2``) never
decodes its ``omega - 1`` largest values: :class:`NoiseModel` then raises, naming
``tie_break="random"``.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.adp import ADP
from fairldp.ldp.base import FrequencyProtocol, PureProtocol
from fairldp.ldp.estimators import project_simplex
from fairldp.ldp.fairaware import FairRR
from fairldp.ldp.grr import GRR
from fairldp.ldp.he import SHE
from fairldp.ldp.lh import PRIME, LocalHashing
from fairldp.ldp.ss import SS
from fairldp.ldp.ue import UnaryEncoding

__all__ = [
    "MAX_CONDITION",
    "TIE_BREAKS",
    "NoiseModel",
    "NoiseModelError",
    "check_prior",
    "decode",
    "transition_matrix",
]

#: default largest condition number (2-norm) of ``T`` accepted by :class:`NoiseModel`: the
#: recovery ``T^{-T} P_ZW`` amplifies sampling errors by up to this factor, so beyond it the
#: recovered distributions are meaningless (e.g. GRR with ``k = 2`` reaches it at
#: ``eps ~ 2e-4``; large ``k`` with small ``eps`` reaches it much sooner).
MAX_CONDITION = 1e4

#: entries (hash pattern x value) handled at once in the LH computation
_LH_CHUNK = 1 << 21
#: refuse the exact LH computation with ``tie_break="smallest"`` beyond this many (hash
#: pattern x value) entries in total (a few minutes of CPU at most); e.g. OLH at k = 74 is
#: feasible up to g ~ 470 buckets (eps ~ 6.1), BLH up to k ~ 290
_LH_MAX_ENTRIES = 1 << 31
#: refuse the exact LH computation with ``tie_break="random"`` beyond this estimated work
#: (:func:`_lh_random_cost`; one to two minutes of CPU at most): BLH up to k ~ 285, OLH at
#: k = 1000 from eps ~ 5.2 (k = 74: any eps, < 0.3 s)
_LH_MAX_COST = 1 << 31
#: (interval x class x candidate) entries handled at once by :func:`_lh_random_b` (in cache)
_LH_RANDOM_CHUNK = 1 << 16
#: SHE with a non-uniform prior: largest domain size of the quadrature (its cost grows ~k^4)
_SHE_PRIOR_MAX_K = 24
#: reports decoded at once, in (report x value) entries
_DECODE_CHUNK = 1 << 22


class NoiseModelError(ValueError):
    """The noise model cannot be inverted (singular or ill-conditioned ``T``) or computed."""


def _inner(protocol: FrequencyProtocol) -> FrequencyProtocol:
    return protocol.inner if isinstance(protocol, ADP) else protocol


def check_prior(prior: ArrayLike | None, k: int) -> NDArray[np.float64]:
    """The decoding prior: uniform by default, else a strictly positive length-``k`` vector
    (normalized to sum to one)."""
    if prior is None:
        return np.full(k, 1.0 / k)
    pr = np.asarray(prior, dtype=float)
    if pr.shape != (k,) or not np.all(np.isfinite(pr)) or np.any(pr <= 0):
        raise ValueError(f"prior must be {k} strictly positive finite numbers, got {prior!r}")
    return pr / pr.sum()


def _log_scores(
    protocol: PureProtocol, prior: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per value, the log posterior score (up to a constant) when the value is in / out of the
    support set: ``log prior + log(ibu_in / ibu_out)`` / ``log prior`` (log space: finite even
    where ``ibu_out`` underflows)."""
    lp = np.log(prior)
    return lp + protocol.log_ratio, lp


#: ``"random"`` (the default): uniform among tied posterior modes (uniform prior only);
#: ``"smallest"``: the smallest tied index.
TIE_BREAKS = ("random", "smallest")


def _check_tie_break(tie_break: str, prior: ArrayLike | None, proto: FrequencyProtocol) -> str:
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"tie_break must be one of {list(TIE_BREAKS)}, got {tie_break!r}")
    if (
        tie_break == "random"
        and not isinstance(proto, GRR | FairRR)  # they decode to the report: no ties
        and prior is not None
        and np.ptp(np.asarray(prior, float)) != 0
    ):
        raise ValueError(
            "tie_break='random' is implemented for the uniform prior only; with a non-uniform "
            "prior use tie_break='smallest'"
        )
    return tie_break


def _pick(score: NDArray[np.float64], tie_break: str, rng: np.random.Generator | None):
    """Row-wise argmax of ``score``: smallest index, or uniform among the tied maxima."""
    if tie_break == "smallest":
        return np.argmax(score, axis=1)
    ties = score == score.max(axis=1, keepdims=True)
    r = np.floor(rng.random(score.shape[0]) * ties.sum(axis=1))
    return np.argmax(np.cumsum(ties, axis=1) > r[:, None], axis=1)


def _score_rows(
    proto: FrequencyProtocol, prior: NDArray[np.float64]
) -> Callable[[NDArray[Any]], NDArray[np.float64]]:
    """Log posterior scores (up to a per-report constant) of report rows (``reports.rows``)."""
    if isinstance(proto, SHE):
        lp, inv = np.log(prior), 1.0 / proto.scale

        def she(rows: NDArray[Any]) -> NDArray[np.float64]:
            # |y| - |y - 1| = clip(2y - 1, -1, 1), exact at the saturation points (ties)
            return lp + np.clip(2.0 * rows.astype(np.float64) - 1.0, -1.0, 1.0) * inv

        return she
    if isinstance(proto, PureProtocol):
        s_in, s_out = _log_scores(proto, prior)
        return lambda rows: np.where(rows.astype(bool), s_in, s_out)
    raise TypeError(f"cannot decode reports of protocol {proto!r}")


def decode(
    protocol: FrequencyProtocol,
    reports: Any,
    prior: ArrayLike | None = None,
    *,
    tie_break: str = "random",
    rng: np.random.Generator | None = None,
) -> NDArray[np.int64]:
    """Decode each report to one value in ``[0, k)``.

    - GRR and fair-RR: the report itself (whatever the prior; no ties, no ``rng`` needed);
    - pure protocols (UE, THE, SS, BLH, OLH; ADP delegates): with support set ``S`` of the
      report, ``argmax_a log prior[a] + (log_ratio if a in S else 0)``;
    - SHE: ``argmax_a log prior[a] + (eps/2) clip(2 y_a - 1, -1, 1)``, i.e. the Laplace
      likelihood ratio ``-(eps/2) (|y_a - 1| - |y_a|)``.

    ``tie_break="random"`` (default; uniform prior only; needs ``rng``, e.g. from
    :func:`fairldp.rng.make_rng`): uniform among the tied maxima, i.e. uniform over ``S``
    (over all values if ``S`` is empty). ``tie_break="smallest"``: ties go to the smallest
    index (``np.argmax``); with the uniform prior UE/SS/LH then decode to the smallest value
    of ``S`` (0 if ``S`` is empty). Caveat: SS with subset size ``omega >= 2`` then never
    decodes the ``omega - 1`` largest values, so its ``T`` is singular.
    """
    proto = _inner(protocol)
    rep = proto.as_reports(reports)
    pr = check_prior(prior, proto.k)
    rnd = _check_tie_break(tie_break, prior, proto) == "random"
    if isinstance(proto, GRR | FairRR):
        return np.array(rep, dtype=np.int64)
    if rnd and not isinstance(rng, np.random.Generator):
        raise ValueError(
            "tie_break='random' needs rng, a numpy Generator (e.g. fairldp.rng.make_rng(seed, "
            "'decode', ...)); or decode with tie_break='smallest'"
        )
    score = _score_rows(proto, pr)
    out = np.empty(len(rep), dtype=np.int64)
    for s, rows in rep.iter_rows(_DECODE_CHUNK):  # blocks of users, bounded memory
        out[s : s + rows.shape[0]] = _pick(score(rows), tie_break, rng)
    return out


# ----- exact transition matrices ---------------------------------------------------------------


def _beats(su: NDArray[np.float64], sz: float, z: int) -> NDArray[np.bool_]:
    """``u`` beats candidate ``z`` (scores ``su`` vs ``sz``) under the smallest-index tie rule."""
    idx = np.arange(su.size)
    return (su > sz) | ((su == sz) & (idx < z))


def _t_from_avoidance(proto: PureProtocol, prior: NDArray[np.float64], avoid) -> NDArray:
    """``T`` of a pure protocol from its avoidance function ``avoid(B)[a] = P(S n B = {} | a)``.

    The decoded value is ``z`` with ``z`` in ``S`` ("in" candidate, score ``s_in[z]``) or not
    in ``S`` ("out", score ``s_out[z]``). A candidate with score ``s`` wins iff (i) no
    ``u != z`` beats it even with score ``s_out[u]`` (else it never wins) and (ii) no ``u`` of
    ``B = {u != z : s_in[u] beats s}`` is in ``S``. So
    ``T[a, z] = [in ok] (Q_a(B_in) - Q_a(B_in + z)) + [out ok] Q_a(B_out + z)``.
    """
    k = proto.k
    s_in, s_out = _log_scores(proto, prior)
    t = np.zeros((k, k))
    others = np.arange(k)
    for z in range(k):
        mask = others != z
        for s, is_in in ((s_in[z], True), (s_out[z], False)):
            if np.any(_beats(s_out, s, z) & mask):
                continue
            b = _beats(s_in, s, z) & mask
            bz = b.copy()
            bz[z] = True
            t[:, z] += avoid(b) - avoid(bz) if is_in else avoid(bz)
    return t


def _ue_matrix(proto: UnaryEncoding, prior: NDArray[np.float64]) -> NDArray[np.float64]:
    """UE/THE: bits independent, ``P(v in S | a) = p if v == a else q``, so
    ``Q_a(B) = (1-p)^[a in B] (1-q)^(|B| - [a in B])``."""
    p, q = proto.p, proto.q

    def avoid(b: NDArray[np.bool_]) -> NDArray[np.float64]:
        m = int(b.sum())
        return np.where(b, (1 - p) * (1 - q) ** (m - 1), (1 - q) ** m) if m else np.ones(b.size)

    return _t_from_avoidance(proto, prior, avoid)


def _binomial_inverse_means(m: int, q: float) -> tuple[float, float]:
    """``E[1 / (1 + M)]`` and ``E[1 / (2 + M)]`` for ``M ~ Binomial(m, q)``: sums of positive
    terms over the (accurately computed) binomial pmf, no cancellation."""
    from scipy.stats import binom  # lazy: scipy.stats is slow to import

    j = np.arange(m + 1)
    pmf = binom.pmf(j, m, q)
    return float(pmf @ (1.0 / (j + 1))), float(pmf @ (1.0 / (j + 2)))


def _random_tie_matrix(
    k: int, top_own: float, top_other: float, bottom_own: float, bottom_other: float
) -> NDArray[np.float64]:
    """Uniform tie-breaking when each value is independently "on top" (in ``S``, or saturated
    high) with probability ``top_own`` (the true value) or ``top_other`` (any other), the
    decoded value is uniform over the values on top, or over all values if every value is at
    the bottom (probability ``bottom_own bottom_other^(k-1)``):

    ``T[a, a] = top_own E[1 / (1 + Bin(k-1, top_other))] + bottom / k`` and, for ``z != a``,
    ``T[a, z] = top_other E[1 / (1 + Bern(top_own) + Bin(k-2, top_other))] + bottom / k``.
    Any remaining mass (a continuous part, for SHE) is added by the caller.
    """
    own, _ = _binomial_inverse_means(k - 1, top_other)
    one, two = _binomial_inverse_means(k - 2, top_other)
    bottom = bottom_own * bottom_other ** (k - 1) / k
    t = np.full((k, k), top_other * ((1.0 - top_own) * one + top_own * two) + bottom)
    np.fill_diagonal(t, top_own * own + bottom)
    return t


def _ue_random_matrix(proto: UnaryEncoding) -> NDArray[np.float64]:
    """UE/THE with uniform tie-breaking: bits independent, ``P(v in S | a) = p`` or ``q``."""
    return _random_tie_matrix(proto.k, proto.p, proto.q, proto.one_minus_p, 1.0 - proto.q)


def _ss_matrix(proto: SS, prior: NDArray[np.float64]) -> NDArray[np.float64]:
    """SS: given ``a``, with prob. ``p*`` ``S = {a} + R``, ``R`` a uniform ``(omega-1)``-subset of
    the ``k-1`` others, else ``S`` a uniform ``omega``-subset of the others. With
    ``m = |B - {a}|``: ``Q_a(B) = p* [a not in B] C(k-1-m, omega-1) / C(k-1, omega-1)
    + (1 - p*) C(k-1-m, omega) / C(k-1, omega)``; the ratios
    ``C(k-1-m, r) / C(k-1, r) = prod_{i<m} (k-1-i-r) / (k-1-i)`` are tabulated for all ``m``
    by a cumulative product of factors in ``[0, 1]`` (exact zeros where ``k-1-m < r``)."""
    k, w, ps = proto.k, proto.omega, proto.p_star

    def ratios(r: int) -> NDArray[np.float64]:
        i = np.arange(k - 1)
        return np.concatenate([[1.0], np.cumprod(np.maximum(k - 1 - i - r, 0) / (k - 1 - i))])

    keep, drop = ratios(w - 1), ratios(w)

    def avoid(b: NDArray[np.bool_]) -> NDArray[np.float64]:
        m = int(b.sum()) - b  # |B - {a}| for each a
        return np.where(b, 0.0, ps * keep[m]) + proto.exclude * drop[m]

    return _t_from_avoidance(proto, prior, avoid)


def _farey(n: int) -> list[Fraction]:
    """Sorted Farey sequence of order ``n`` on ``[0, 1]``."""
    return sorted({Fraction(m, d) for d in range(1, n + 1) for m in range(d + 1)})


def _farey_length(n: int) -> int:
    """``|F_n| = 1 + sum_{d <= n} phi(d)`` (Euler's totient by a sieve)."""
    phi = np.arange(n + 1)
    for d in range(2, n + 1):
        if phi[d] == d:  # d is prime
            phi[d::d] -= phi[d::d] // d
    return 1 + int(phi[1:].sum())


@functools.lru_cache(maxsize=16)
def _lh_floor_patterns(k: int) -> tuple[NDArray[np.uint8], NDArray[np.float64]]:
    """The distinct vectors ``w_v = floor(u + v t)``, ``v in [k]``, for ``(u, t)`` uniform on
    ``[0, 1) x [0, 1/2]``, with their probabilities; each ``w`` is stored as its bit-packed
    increments ``w_v - w_{v-1}`` in ``{0, 1}`` (``w_0 = 0``).

    ``w`` is constant on the cells of the arrangement of the lines ``u + v t = m``; between
    consecutive Farey fractions of order ``k - 1`` the cells' ``u``-lengths are linear in
    ``t``, so each cell's area is its length at the interval's midpoint ``t = N / D`` times the
    interval's width (exact). At the midpoint the breakpoints in ``u`` are
    ``frac(-v t) = ((-v N) mod D) / D`` and ``w_v = floor(u_mid + v t)`` is computed exactly in
    integers with ``u_mid = (c0 + c1) / (2 D)``. Cells of the same face in several intervals
    (same increments) are merged.
    """
    v = np.arange(k)
    fr = [f for f in _farey(max(k - 1, 2)) if f <= Fraction(1, 2)]
    packed_blocks, p_blocks = [], []
    for lo, hi in itertools.pairwise(fr):
        tm = (lo + hi) / 2
        num, den = tm.numerator, tm.denominator
        bps = np.unique(np.concatenate([(-v * num) % den, [0, den]]))
        c0, c1 = bps[:-1], bps[1:]
        w = ((c0 + c1)[:, None] + 2 * num * v[None, :]) // (2 * den)
        packed_blocks.append(np.packbits(np.diff(w, axis=1).astype(bool), axis=1))
        p_blocks.append((c1 - c0) / den * float(2 * (hi - lo)))  # t in [0, 1/2]: weight 2
    packed = np.concatenate(packed_blocks)
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    prob = np.bincount(inverse.ravel(), weights=np.concatenate(p_blocks))
    packed = packed[first]
    packed.flags.writeable = prob.flags.writeable = False
    return packed, prob


def _lh_check_size(proto: LocalHashing) -> None:
    k, g = proto.k, proto.g
    cells = (_farey_length(max(k - 1, 2)) // 2 + 1) * k  # upper bound before merging
    if g * cells * k > _LH_MAX_ENTRIES:
        raise NoiseModelError(
            f"exact T of {proto.name} (eps={proto.epsilon}, k={k}, g={g}) would enumerate up "
            f"to g * cells * k = {g * cells * k} (hash pattern, value) entries, above the "
            f"limit {_LH_MAX_ENTRIES}: the noise model of local hashing is available while "
            "g * cells(k) * k stays within it (cells(k) ~ 0.15 k^3; e.g. BLH up to k ~ 290, "
            "OLH at k = 74 up to g ~ 470 buckets, i.e. eps ~ 6.1)"
        )


def _lh_patterns(k: int, g: int) -> Iterator[tuple[NDArray[np.int64], NDArray[np.float64]]]:
    """Bucket labels ``(j v + w_v) mod g`` of all hash patterns with their probabilities, in
    blocks of about ``_LH_CHUNK`` entries: ``j`` uniform in ``[g]``, ``w`` from
    :func:`_lh_floor_patterns` (see :func:`_lh_matrix`)."""
    packed, prob = _lh_floor_patterns(k)
    v = np.arange(k)
    rows = max(1, _LH_CHUNK // k)
    for s in range(0, prob.size, rows):
        inc = np.unpackbits(packed[s : s + rows], axis=1, count=k - 1)
        w = np.zeros((inc.shape[0], k), dtype=np.int64)
        np.cumsum(inc, axis=1, out=w[:, 1:])
        wt = prob[s : s + rows] / g
        for j in range(g):
            yield (w + (j * v) % g) % g, wt


def _buckets(labels: NDArray[np.int64], rank: NDArray[np.int64]):
    """Per pattern (row), the values sorted by ``(bucket, rank)`` (``order``), the start of
    each bucket in that order, a global bucket id per sorted position and the bucket sizes."""
    m, k = labels.shape
    order = np.argsort(labels * k + rank[None, :], axis=1)
    sl = np.take_along_axis(labels, order, axis=1)
    start = np.ones((m, k), dtype=bool)
    np.not_equal(sl[:, 1:], sl[:, :-1], out=start[:, 1:])
    gid = np.cumsum(start.ravel()) - 1  # buckets never span rows: start[:, 0] is True
    size = np.bincount(gid)
    return order, sl, start, gid, size


@functools.lru_cache(maxsize=8)
def _lh_intervals(k: int, g: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Midpoints and probabilities ``2 (hi - lo)`` of the intervals of ``tau in [0, 1/2]``
    between consecutive breakpoints ``m / e`` and ``(m g +- 1) / (g e)``, ``1 <= e < k`` (see
    :func:`_lh_random_b`); the numerators and denominators are exact integers below ``2^53``,
    so equal fractions give equal floats."""
    e = np.repeat(np.arange(1, k, dtype=np.int64), np.arange(1, k) // 2 + 1)
    m = np.concatenate([np.arange(x // 2 + 1, dtype=np.int64) for x in range(1, k)])
    cand = np.concatenate([m / e, (m * g + 1) / (g * e), (m * g - 1) / (g * e), [0.0, 0.5]])
    bp = np.unique(cand[(cand >= 0.0) & (cand <= 0.5)])
    mid, weight = 0.5 * (bp[:-1] + bp[1:]), 2.0 * np.diff(bp)
    mid.flags.writeable = weight.flags.writeable = False
    return mid, weight


def _lh_random_cost(k: int, g: int) -> float:
    """Estimated work of :func:`_lh_random_b` in (interval x class x candidate) entries:
    ``M n min(k/2, 2n + 1)`` with ``M`` intervals and ``n = 1 + 2 (k-1) min(1, 2/g)``
    candidates on average (within ~10% for ``g <= 56``), plus ``1.25 k^3`` for the intervals
    near ``tau = m/e`` with small ``e``, where many multiples of ``e`` are near (dominant for
    large ``g``)."""
    n = 1.0 + 2.0 * (k - 1) * min(1.0, 2.0 / g)
    return _lh_intervals(k, g)[0].size * n * min((k + 1) // 2, 2.0 * n + 1.0) + 1.25 * k**3


def _lh_check_random(proto: LocalHashing) -> None:
    k, g = proto.k, proto.g
    cost = _lh_random_cost(k, g)
    if cost > _LH_MAX_COST:
        raise NoiseModelError(
            f"exact T of {proto.name} (eps={proto.epsilon}, k={k}, g={g}, tie_break='random') "
            f"would take ~{cost:.3g} (interval, value, candidate) entries, above the limit "
            f"{_LH_MAX_COST}: available while ~0.3 k^4 (g = 2) ... 1.25 k^3 (large g) stays "
            "within it, e.g. BLH up to k ~ 285, OLH up to k ~ 340 at eps = 2, ~ 700 at eps = 4, "
            "and k = 1000 from eps ~ 5.2"
        )


@functools.lru_cache(maxsize=32)
def _lh_random_b(k: int, g: int) -> NDArray[np.float64]:
    """``B[a, z] = E[1[H(a) = H(z)] / N_z]`` over the hash family (``N_z``: size of z's
    bucket); it depends on ``(k, g)`` only, computed without enumerating hash patterns.

    With ``s = j + t`` uniform on ``[0, g)`` the labels of :func:`_lh_matrix` are
    ``(j v + w_v) mod g = floor(u + v s) mod g``: the buckets of the points
    ``x_v = mu + v tau`` of the unit circle cut into ``g`` arcs of length ``1/g``, with
    ``(mu, tau)`` uniform on ``[0, 1)^2``. Relative to ``z``, ``rho = frac(g x_z) / g`` is
    uniform on ``[0, 1/g)`` and independent of ``tau``, and ``z + d`` is in z's bucket iff
    ``frac(rho + d tau) < 1/g``: with ``delta_d = d tau - round(d tau)``, iff ``|delta_d| < 1/g``
    and ``rho < b_d = 1/g - delta_d`` (``delta_d >= 0``) or ``rho >= b_d = -delta_d`` (else).
    So ``N_z(rho) = #{d in [-z, k-1-z] in the bucket}`` is a step function of ``rho`` and

        ``B[z + d, z] = g int_{d in the bucket} 1 / N_z(rho) drho``,

    a prefix (``delta_d >= 0``) or suffix integral of ``1 / N_z`` up to / from ``b_d``. Between
    consecutive breakpoints ``tau in {m/e, (m +- 1/g)/e : 1 <= e < k}`` (:func:`_lh_intervals`)
    the near set and the order of the ``b_d`` are fixed and every piece's length is linear in
    ``tau``, so each interval contributes its width times the value at its midpoint (exact up to
    rounding: error ~ ``k^2 1e-16``). ``B(tau) = B(1 - tau)`` (``rho -> 1/g - rho``) and
    ``B[a, z] = B[k-1-a, k-1-z]`` (``v -> k-1-v``), so ``tau <= 1/2`` and ``z < ceil(k/2)``
    suffice. Per interval with ``c`` near ``|d|`` the ``n = 2c + 1`` candidates are sorted by
    ``b_d``, ``z`` is grouped into classes of equal candidate sets (``<= 2c + 1``) and the
    values are range-added to ``B[z + d, z]`` over each class: ``O(n min(k/2, n))``.
    """
    mid, weight = _lh_intervals(k, g)
    inv_g = 1.0 / g
    d = np.arange(1, k)
    zh = (k + 1) // 2  # columns z < zh; the others by symmetry
    width = zh + 1  # difference array over z per signed d (row d + k - 1)
    diff = np.zeros((2 * k - 1) * width)
    direct = np.zeros_like(diff)  # values added to single columns
    diag = 0.0  # intervals where no d != 0 is near: all buckets of z are {z}
    block = max(1, _LH_CHUNK // k)
    for s0 in range(0, mid.size, block):
        x = mid[s0 : s0 + block, None] * d[None, :]
        delta = x - np.round(x)
        near = np.abs(delta) < inv_g
        nn = near.sum(axis=1)
        w_blk = weight[s0 : s0 + block]
        diag += float(w_blk[nn == 0].sum())
        for c in np.unique(nn[nn > 0]).tolist():
            rows = np.flatnonzero(nn == c)
            n = 2 * c + 1
            by_z = 2 * n + 1 >= zh  # fewer z than classes: one class per z
            step = max(1, _LH_RANDOM_CHUNK // (n * (zh if by_z else 2 * c + 1)))
            for r0 in range(0, rows.size, step):
                r = rows[r0 : r0 + step]
                m_rows = r.size
                mask = near[r]
                dd = np.broadcast_to(d, mask.shape)[mask].reshape(m_rows, c)
                de = delta[r][mask].reshape(m_rows, c)
                ad = np.abs(de)
                up = np.where(de > 0, dd, -dd)  # the candidate with delta >= 0 of each +-d
                # candidates: c with delta >= 0 (b = 1/g - |delta|), c with delta < 0
                # (b = |delta|), and d = 0 (b = 1/g, always in the bucket)
                dv = np.concatenate([up, -up, np.zeros((m_rows, 1), np.int64)], axis=1)
                bv = np.concatenate([inv_g - ad, ad, np.full((m_rows, 1), inv_g)], axis=1)
                order = np.argsort(bv, axis=1)
                dv = np.take_along_axis(dv, order, 1)
                bv = np.take_along_axis(bv, order, 1)
                pos = (order < c) | (order == n - 1)  # in the bucket for rho < b
                piece = np.diff(bv, axis=1, prepend=0.0) * g  # P(rho in piece i)
                if by_z:
                    zlo = zhi = np.broadcast_to(np.arange(zh), (m_rows, zh))
                else:  # classes of z between the boundaries |d| and k - |d| of the near d
                    bnd = np.minimum(np.concatenate([dd, k - dd, np.zeros_like(dd[:, :1])], 1), zh)
                    bnd.sort(axis=1)
                    zlo = bnd
                    zhi = np.concatenate([bnd[:, 1:], np.full_like(bnd[:, :1], zh)], axis=1)
                lo3 = zlo[:, :, None]
                mem = (lo3 >= -dv[:, None, :]) & (lo3 < k - dv[:, None, :])  # d in [-z, k-z)
                # N[i] = #pos members ranked >= i + #neg members ranked < i
                step_n = mem.view(np.int8) * np.where(pos, -1, 1).astype(np.int8)[:, None, :]
                cnt = np.cumsum(step_n, axis=2, dtype=np.int16)
                cnt -= step_n
                cnt += (mem & pos[:, None, :]).sum(axis=2, dtype=np.int16)[:, :, None]
                np.maximum(cnt, 1, out=cnt)  # empty classes (zlo = zh) only
                f = piece[:, None, :] / cnt
                np.cumsum(f, axis=2, out=f)
                val = np.where(pos[:, None, :], f, f[:, :, -1:] - f)
                val *= mem
                val *= w_blk[r][:, None, None]
                row = (dv + (k - 1))[:, None, :] * width
                vals = val.ravel()
                if by_z:  # one column per class: no range
                    direct += np.bincount((row + lo3).ravel(), vals, diff.size)
                    continue
                diff += np.bincount((row + lo3).ravel(), vals, diff.size)
                diff -= np.bincount((row + zhi[:, :, None]).ravel(), vals, diff.size)
    # half[d + k - 1, z] = B[z + d, z] for z < zh
    half = (np.cumsum(diff.reshape(2 * k - 1, width), axis=1) + direct.reshape(-1, width))[:, :zh]
    a, z = np.ogrid[:k, :zh]
    b = np.empty((k, k))
    b[:, :zh] = half[a - z + (k - 1), z]
    b[np.arange(zh), np.arange(zh)] += diag
    b[:, zh:] = b[::-1, : k - zh][:, ::-1]
    b.flags.writeable = False
    return b


def _lh_matrix(
    proto: LocalHashing, prior: NDArray[np.float64], tie_break: str = "random"
) -> NDArray[np.float64]:
    """LH: exact up to ``O(k^2 / P)`` (``P = 2^31 - 1``), by integrating over the hash family.

    With ``t = alpha / P`` and ``u = beta / P``, ``alpha v + beta = P (u + v t)``, so
    ``H(v) = (beta + v alpha - P w_v) mod g = (beta_0 + v alpha_0 - r w_v) mod g`` exactly, with
    ``w_v = floor(u + v t)``, ``r = P mod g``, ``alpha_0 = alpha mod g``, ``beta_0 = beta mod g``.
    Up to ``O(k^2 / P)`` (lattice points on cell boundaries), ``(alpha_0, beta_0)`` is uniform on
    ``[g]^2`` and independent of ``(u, t)``, uniform on the unit square. The report and the
    decoding depend on the hashes only through the partition of ``[k]`` into buckets (and the
    number of empty buckets), which ``beta_0`` and multiplying all hashes by ``-r^{-1}`` mod
    ``g`` (``r`` is invertible: ``P`` is prime and ``g < P``) leave unchanged: the buckets are
    those of ``(j v + w_v) mod g`` with ``j = -alpha_0 r^{-1}`` uniform on ``[g]``. The map
    ``(j, t, u) -> (-j-1, 1-t, 1-u)`` negates these labels and preserves the measure, so
    ``t in [0, 1/2]`` suffices (:func:`_lh_floor_patterns`). (Note: the linear hash is only
    pairwise independent; e.g. for ``g = 4`` values 0, 1, 2 collide with probability 1/8, not
    1/16, so an independent-hash model would be wrong for ``k >= 3``.) For ``g = P`` the hash
    is injective on ``[k]``: every bucket is a singleton.

    Given the pattern the report is the true value's bucket w.p. ``p`` and any other bucket
    w.p. ``q``; an empty bucket decodes as ``S = {}``. With ``B`` of :func:`_lh_random_b`:

    - ``tie_break="random"`` (uniform over ``S``):
      ``T[a, z] = (p - q) B[a, z] + q B[z, z] + q (g - trace B) / k``, ``B`` from the
      rotation form of the same hash family, without enumerating patterns (work ~``0.3 k^4``
      for ``g = 2`` down to ~``1.25 k^3`` for large ``g``; refused beyond ``_LH_MAX_COST``);
    - ``"smallest"``: enumerating the patterns (:func:`_lh_floor_patterns` times ``j``: work
      ``g cells(k) k``, refused beyond ``_LH_MAX_ENTRIES``); per pattern, each bucket's
      decoded value is the better of its best member (score ``s_in``) and the best value
      outside it (``s_out``), ties to the smaller index;
      ``T[a, z] = (p - q) P(D_a = z) + q E[#buckets decoded to z]
      + q E[#empty buckets] [z = argmax s_out]``.
    """
    k, g, p, q = proto.k, proto.g, proto.p, proto.q
    idx = np.arange(k)
    if tie_break == "random":
        if g < PRIME:
            _lh_check_random(proto)
        b = np.eye(k) if g == PRIME else _lh_random_b(k, g)
        return (p - q) * b + q * np.diag(b)[None, :] + q * (g - np.trace(b)) / k
    if g < PRIME:
        _lh_check_size(proto)
    s_in, s_out = _log_scores(proto, prior)
    rank = np.empty(k, dtype=np.int64)
    rank[np.lexsort((idx, -s_in))] = idx  # best in-score first, ties to the smaller index
    by_out = np.lexsort((idx, -s_out))  # values by out-score, best first
    empty = int(by_out[0])  # decoded value of an empty support set
    f = np.zeros(k * k)  # P(D_a = z), flattened
    c = np.zeros(k)  # E[#buckets decoded to z]
    n_empty = 0.0
    # g = P: one pattern, all buckets singletons
    chunks = _lh_patterns(k, g) if g < PRIME else [(idx[None, :].copy(), np.ones(1))]
    for labels, wt in chunks:
        order, sl, start, gid, size = _buckets(labels, rank)
        # best value outside each bucket: o1 overall, or o2 (first of another bucket) for o1's
        lab = labels[:, by_out]
        other = lab != lab[:, :1]
        has_o2 = other.any(axis=1)
        o1, o2 = int(by_out[0]), by_out[np.argmax(other, axis=1)]
        g_row = np.flatnonzero(start.ravel()) // k
        g_lab = sl[start]
        in_c = order[start]
        in_o1 = g_lab == labels[g_row, o1]
        out_c = np.where(in_o1, o2[g_row], o1)
        has_out = ~in_o1 | has_o2[g_row]
        si, so = s_in[in_c], s_out[out_c]
        wins = ~has_out | (si > so) | ((si == so) & (in_c < out_c))
        dec = np.where(wins, in_c, out_c)[gid]  # decoded value of each value's bucket
        wt_pos = np.repeat(wt, k)
        f += np.bincount(order.ravel() * k + dec, weights=wt_pos, minlength=k * k)
        c += np.bincount(dec, weights=wt_pos / size[gid], minlength=k)
        n_empty += float(np.sum(wt * (g - start.sum(axis=1))))
    t = (p - q) * f.reshape(k, k) + q * c[None, :]
    t[:, empty] += q * n_empty
    return t


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(64)


def _laplace_cdf(t: NDArray[np.float64], m: float, b: float) -> NDArray[np.float64]:
    d = (t - m) / b
    return np.where(d < 0, 0.5 * np.exp(np.minimum(d, 0.0)), 1.0 - 0.5 * np.exp(-np.abs(d)))


def _quad(fn: Callable[[float], float], lo: float, hi: float, cuts: list[float]) -> float:
    """``int_lo^hi fn`` by adaptive Gauss-Kronrod on the pieces between ``cuts``; raises if the
    estimated absolute error exceeds 1e-12."""
    from scipy.integrate import quad  # lazy import

    edges = sorted({lo, hi, *(c for c in cuts if lo < c < hi)})
    total = err = 0.0
    for a, b in itertools.pairwise(edges):
        val, e = quad(fn, a, b, epsabs=1e-15, epsrel=1e-13, limit=200)
        total += val
        err += e
    if err > 1e-12:
        raise RuntimeError(f"quadrature error {err:.2g} above 1e-12")
    return total


def _she_uniform_matrix(proto: SHE, tie_break: str) -> NDArray[np.float64]:
    """SHE with the uniform prior: closed-form atoms plus two one-dimensional integrals
    (adaptive Gauss-Kronrod, absolute error < 1e-12).

    Every score is ``c + clip(2 y_v - 1, -1, 1) / b``, so the decoded value maximizes
    ``X_v = clip(y_v, 0, 1)`` with ``y_a = 1 + L_a`` and ``y_v = L_v`` (``L ~ Laplace(b)``
    independent, ``b = 2/eps``). ``X_v`` has atoms at 1 (top: probability 1/2 for ``a``,
    ``e^{-1/b}/2`` for the others) and at 0 (bottom: ``e^{-1/b}/2`` and 1/2), and a density
    in between. Atoms: several values on top tie (smallest index, or uniform with
    :func:`_random_tie_matrix`); all values at the bottom tie (0, or uniform). Continuous
    part, with ``F(x) = 1 - e^{-x/b} / 2`` the distribution function of ``L`` on ``(0, 1)``:
    ``T_c[a, a] = int_0^1 e^{(x-1)/b} / (2b) F(x)^{k-1} dx`` and, for ``z != a``,
    ``T_c[a, z] = e^{-1/b} / (4b) int_0^1 F(x)^{k-2} dx`` (``f_L(x) P(1 + L <= x)`` is the
    constant ``e^{-1/b} / (4b)``).
    """
    k, b = proto.k, proto.scale
    e = math.exp(-1.0 / b)
    top_own, top_other, bottom_own, bottom_other = 0.5, 0.5 * e, 0.5 * e, 0.5
    # F^{k-1} rises near x ~ b ln k; the own density lives within ~40 b of x = 1
    cuts = [b * math.log(k), 1.0 - 40.0 * b]
    own = _quad(
        lambda x: math.exp((x - 1.0) / b) / (2.0 * b) * (1.0 - 0.5 * math.exp(-x / b)) ** (k - 1),
        0.0,
        1.0,
        cuts,
    )
    other = e / (4.0 * b) * _quad(lambda x: (1.0 - 0.5 * math.exp(-x / b)) ** (k - 2), 0, 1, cuts)
    if tie_break == "random":
        t = _random_tie_matrix(k, top_own, top_other, bottom_own, bottom_other)
    else:  # the smallest index on top wins; all at the bottom: value 0
        a, z = np.ogrid[:k, :k]
        before = z - (a < z)  # other values below z
        t = np.where(a == z, top_own, top_other) * (1.0 - top_other) ** before
        t = t * np.where(a < z, 1.0 - top_own, 1.0)
        t[:, 0] += bottom_own * bottom_other ** (k - 1)
    t += other
    t[np.diag_indices(k)] += own - other
    return t


def _she_matrix(proto: SHE, prior: NDArray[np.float64]) -> NDArray[np.float64]:
    """SHE with any prior (smallest-index ties): one-dimensional integration, exact up to
    quadrature error (~1e-14); ``k <= 24`` (its cost grows like ``k^4``).

    The score of value ``v`` is ``S_v = c_v + clip(2 y_v - 1, -1, 1) / b`` (``c = log prior``,
    ``b = 2/eps``), ``y_v = [v = a] + Laplace(b)`` independent over ``v``: a distribution with
    atoms at ``c_v -+ 1/b`` (``y_v <= 0`` / ``y_v >= 1``) and a density in between. Then
    ``T[a, z] = E[prod_{u<z} P(S_u < S_z) prod_{u>z} P(S_u <= S_z)]``: the two atoms of
    ``S_z`` exactly (ties resolved on the same floating-point atoms as :func:`decode`), the
    continuous part over ``y_z in (0, 1)`` split at the other values' atoms (where the
    integrand jumps) and integrated by 64-point Gauss-Legendre on each smooth piece.
    """
    k, b = proto.k, proto.scale
    if k > _SHE_PRIOR_MAX_K:
        raise NoiseModelError(
            f"exact T of she with a non-uniform prior is available for k <= {_SHE_PRIOR_MAX_K} "
            f"(got k={k}); use the uniform prior"
        )
    inv = 1.0 / b
    c = np.log(prior)
    lo, hi = c - inv, c + inv  # the atoms, computed as in decode
    t = np.zeros((k, k))
    for a in range(k):
        m = (np.arange(k) == a).astype(float)  # Laplace centres of y_v

        def win(s: NDArray[np.float64], z: int, m: NDArray[np.float64] = m) -> NDArray:
            """``prod_{u<z} P(S_u < s) prod_{u>z} P(S_u <= s)``."""
            out = np.ones_like(s)
            for u in range(k):
                if u == z:
                    continue
                ty = np.clip(((s - c[u]) * b + 1.0) / 2.0, 0.0, 1.0)
                inner = _laplace_cdf(ty, m[u], b)
                if u < z:  # strict: u wins ties
                    out *= np.where(s > hi[u], 1.0, np.where(s <= lo[u], 0.0, inner))
                else:
                    out *= np.where(s >= hi[u], 1.0, np.where(s < lo[u], 0.0, inner))
            return out

        for z in range(k):
            p_lo = _laplace_cdf(np.array(0.0), m[z], b)
            p_hi = 1.0 - _laplace_cdf(np.array(1.0), m[z], b)
            total = p_lo * win(np.array([lo[z]]), z)[0]
            total += p_hi * win(np.array([hi[z]]), z)[0]
            # continuous part: s = c_z + (2y - 1)/b for y in (0, 1), split at other atoms
            cuts = (np.concatenate([lo, hi]) - c[z]) * b
            cuts = np.unique(np.clip((cuts + 1.0) / 2.0, 0.0, 1.0))
            edges = np.unique(np.concatenate([[0.0, 1.0], cuts]))
            for y0, y1 in itertools.pairwise(edges):
                if y1 <= y0:
                    continue
                y = 0.5 * (y1 - y0) * _GL_NODES + 0.5 * (y0 + y1)
                dens = np.exp(-np.abs(y - m[z]) / b) / (2.0 * b)
                s = c[z] + (2.0 * y - 1.0) * inv
                total += 0.5 * (y1 - y0) * float(np.sum(_GL_WEIGHTS * dens * win(s, z)))
            t[a, z] = total
    return t


def transition_matrix(
    protocol: FrequencyProtocol, prior: ArrayLike | None = None, tie_break: str = "random"
) -> NDArray[np.float64]:
    """Exact ``T[a, z] = P(decode(R) = z | A = a)``, shape ``(k, k)``, rows sum to one, for
    :func:`decode` with the same ``prior`` and ``tie_break``.

    - GRR: ``p`` on the diagonal, ``q`` elsewhere (``protocol.transition_matrix``);
    - fair-RR: its mechanism ``Q`` (``protocol.transition_matrix``, the report is ``z``);
    - UE (SUE, OUE) and THE: closed form from the independent Bernoulli bits;
    - SS: closed form from the uniform-subset combinatorics;
    - BLH/OLH: integration over the universal hash family (exact up to ``O(k^2 / 2^31)``;
      refused with :class:`NoiseModelError` beyond a work limit, see :func:`_lh_matrix`);
    - SHE: closed-form atoms and adaptive quadrature (uniform prior, error < 1e-12), or
      piecewise Gauss-Legendre integration (other priors, ``k <= 24``, error ~1e-14);
    - ADP: that of its inner protocol.

    For pure protocols and ``tie_break="smallest"``, see :func:`_t_from_avoidance` for the
    candidate decomposition used. With ``tie_break="random"`` (the default): UE/THE (and
    SHE's atoms) by :func:`_random_tie_matrix` (binomial count of the tied values); SS
    ``T = (p* I + q* (J - I)) / omega`` (``P(z in S | a) / |S|``); LH from the expected
    inverse bucket sizes (:func:`_lh_random_b`).
    """
    proto = _inner(protocol)
    pr = check_prior(prior, proto.k)
    rnd = _check_tie_break(tie_break, prior, proto) == "random"
    if isinstance(proto, GRR | FairRR):
        t = proto.transition_matrix
    elif isinstance(proto, UnaryEncoding):
        t = _ue_random_matrix(proto) if rnd else _ue_matrix(proto, pr)
    elif isinstance(proto, SS):
        if rnd:
            t = np.full((proto.k, proto.k), proto.q_star / proto.omega)
            np.fill_diagonal(t, proto.p_star / proto.omega)
        else:
            t = _ss_matrix(proto, pr)
    elif isinstance(proto, LocalHashing):
        t = _lh_matrix(proto, pr, tie_break)
    elif isinstance(proto, SHE):
        t = _she_uniform_matrix(proto, tie_break) if np.ptp(pr) == 0 else _she_matrix(proto, pr)
    else:
        raise NoiseModelError(
            f"no exact transition matrix for protocol {proto.name!r} (eps={proto.epsilon}, "
            f"k={proto.k}); use grr, fair_rr, sue, oue, the, ss, blh, olh, she or adp"
        )
    err = float(np.max(np.abs(t.sum(axis=1) - 1.0)))
    if not err <= 1e-9:  # every computation above accounts for all the probability mass
        raise RuntimeError(f"transition matrix rows of {proto!r} sum to 1 +- {err:.2g}")
    return t / t.sum(axis=1, keepdims=True)


@dataclass
class NoiseModel:
    """The channel ``A -> Z`` of a protocol with its decoding prior.

    Built with ``NoiseModel(protocol, prior=None, max_condition=MAX_CONDITION,
    tie_break="random", report_probability=1.0)``; raises :class:`NoiseModelError` if some
    value is never decoded (``T`` singular: the error names the alternative, e.g.
    ``tie_break="random"`` for SS with ``omega >= 2``) or ``cond(T) > max_condition``.
    ``tie_break="random"`` (default, as in the pipeline; uniform prior only) decodes with
    uniform tie-breaking (:func:`decode`; :meth:`decode` then needs ``rng``);
    ``tie_break="smallest"`` (any prior) to the smallest tied index.
    ``report_probability`` ``r < 1``: each user reports the attribute with probability ``r``
    (budget split ``sampling``: ``r = 1/d``) and otherwise gets a value drawn from the
    prior, so ``T = r T_protocol + (1 - r) 1 prior^T``.
    """

    protocol: FrequencyProtocol
    prior: NDArray[np.float64] | None = None
    max_condition: float = MAX_CONDITION
    tie_break: str = "random"
    report_probability: float = 1.0
    T: NDArray[np.float64] = field(init=False, repr=False)
    condition: float = field(init=False)

    def __post_init__(self) -> None:
        _check_tie_break(self.tie_break, self.prior, _inner(self.protocol))
        uniform = self.prior is None or np.ptp(np.asarray(self.prior, float)) == 0
        self.prior = check_prior(self.prior, self.protocol.k)
        r = float(self.report_probability)
        if not 0.0 < r <= 1.0:
            raise ValueError(f"report_probability must lie in (0, 1], got {r!r}")
        t = transition_matrix(self.protocol, self.prior, self.tie_break)
        # a user who did not report the attribute (budget split 'sampling') gets a decoded
        # value drawn from the decoding prior: T = r T_protocol + (1 - r) 1 prior^T
        self.T = t if r == 1.0 else r * t + (1.0 - r) * self.prior[None, :]
        what = (
            f"transition matrix of protocol {self.protocol.name!r} with eps="
            f"{self.protocol.epsilon}, k={self.protocol.k}, tie_break={self.tie_break!r}"
        )
        never = np.flatnonzero(~np.any(self.T > 0, axis=0))
        if never.size:
            self.condition = math.inf
            if not uniform:
                hint = "; use a less skewed decoding prior (e.g. the uniform one)"
            elif self.tie_break == "smallest":
                hint = "; use tie_break='random' (the default), which decodes every value"
            else:
                hint = ""
            raise NoiseModelError(
                f"{what} is singular: value(s) {never[:10].tolist()}"
                f"{' ...' if never.size > 10 else ''} are never decoded{hint}"
            )
        with np.errstate(all="ignore"):
            cond = float(np.linalg.cond(self.T))
        self.condition = cond
        if not np.isfinite(cond) or cond > self.max_condition:
            raise NoiseModelError(
                f"{what} is singular or ill-conditioned: condition number {cond:.3g} > "
                f"max_condition={self.max_condition:.3g}; the attribute cannot be recovered "
                "from the decoded reports"
            )

    @property
    def k(self) -> int:
        return self.protocol.k

    def decode(self, reports: Any, rng: np.random.Generator | None = None) -> NDArray[np.int64]:
        """:func:`decode` with this model's protocol, prior and tie-breaking (``rng`` is needed
        for ``tie_break="random"``, except for GRR)."""
        return decode(self.protocol, reports, self.prior, tie_break=self.tie_break, rng=rng)

    def recover(self, p_z: ArrayLike, project: bool = False) -> NDArray[np.float64]:
        """Distribution over ``A`` from one over decoded ``Z``: ``P_AW = solve(T^T, P_ZW)``.

        ``p_z`` has shape ``(k,)`` or ``(k, ...)`` (axis 0 is ``Z``; other axes any variables
        ``W`` independent of ``Z`` given ``A``, e.g. ``(Y, Yhat)``); counts or probabilities.
        The result is unbiased when ``p_z`` is an empirical joint. With ``project=True`` the
        whole joint is projected (Euclidean) onto the simplex scaled to ``p_z``'s total mass,
        i.e. made non-negative with the same total.
        """
        pz = np.asarray(p_z, dtype=float)
        if pz.ndim == 0 or pz.shape[0] != self.k or not np.all(np.isfinite(pz)):
            raise ValueError(f"p_z must be a finite array with first axis of size {self.k}")
        out = np.linalg.solve(self.T.T, pz.reshape(self.k, -1)).reshape(pz.shape)
        if project:
            total = float(pz.sum())
            if total <= 0:
                raise ValueError("p_z must have positive total mass to be projected")
            out = (project_simplex(out.ravel() / total) * total).reshape(pz.shape)
        return out

    def posterior(self, p_a: ArrayLike) -> NDArray[np.float64]:
        """``M[z, a] = P(A = a | Z = z)`` for the distribution ``p_a`` of ``A`` (rows of
        ``Z`` values with probability 0 get ``p_a``)."""
        pa = np.asarray(p_a, dtype=float)
        joint = (pa[:, None] * self.T).T  # (z, a)
        tot = joint.sum(axis=1, keepdims=True)
        safe = np.where(tot > 0, tot, 1.0)
        return np.where(tot > 0, joint / safe, pa / max(pa.sum(), 1e-300))
