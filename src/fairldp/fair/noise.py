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

Decoding (:func:`decode`): GRR reports are codes already (``Z = R``). Every other protocol is
decoded to the posterior mode ``argmax_a prior[a] P(R | A = a)`` (prior uniform by default;
ties to the smallest index, or uniformly at random with ``tie_break="random"``). For the
"pure" protocols (UE, THE, SS, BLH/OLH) ``P(R | a)`` is proportional to ``ibu_in`` if ``a`` is
in the report's support set ``S(R)`` and to ``ibu_out`` otherwise, so the decoded value is a
function of ``S(R)`` only; for SHE it is the Laplace likelihood ratio.

``T`` is computed exactly (closed forms, combinatorics, or integration with a stated
precision; never Monte Carlo) for the same prior and tie-breaking, see
:func:`transition_matrix`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.adp import ADP
from fairldp.ldp.base import FrequencyProtocol, PureProtocol
from fairldp.ldp.estimators import project_simplex
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

#: largest number of (hash pattern, value) entries handled at once in the LH computation
_LH_CHUNK = 1 << 21
#: refuse the LH computation beyond this many hash patterns (``g * cells``)
_LH_MAX_PATTERNS = 50_000_000


class NoiseModelError(ValueError):
    """The noise model cannot be inverted (singular or ill-conditioned ``T``)."""


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


def _log_scores(protocol: PureProtocol, prior: NDArray[np.float64]):
    """Per value, the log posterior score when the value is in / out of the support set."""
    lp = np.log(prior)
    return lp + math.log(protocol.ibu_in), lp + math.log(protocol.ibu_out)


TIE_BREAKS = ("smallest", "random")


def _check_tie_break(tie_break: str, prior: ArrayLike | None) -> str:
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"tie_break must be one of {list(TIE_BREAKS)}, got {tie_break!r}")
    if tie_break == "random" and prior is not None and np.ptp(np.asarray(prior, float)) != 0:
        raise ValueError("tie_break='random' is implemented for the uniform prior only")
    return tie_break


def _pick(score: NDArray[np.float64], tie_break: str, rng: np.random.Generator | None):
    """Row-wise argmax of ``score``: smallest index, or uniform among the tied maxima."""
    if tie_break == "smallest":
        return np.argmax(score, axis=1)
    ties = score == score.max(axis=1, keepdims=True)
    r = np.floor(rng.random(score.shape[0]) * ties.sum(axis=1))
    return np.argmax(np.cumsum(ties, axis=1) > r[:, None], axis=1)


def decode(
    protocol: FrequencyProtocol,
    reports: Any,
    prior: ArrayLike | None = None,
    *,
    tie_break: str = "smallest",
    rng: np.random.Generator | None = None,
) -> NDArray[np.int64]:
    """Decode each report to one value in ``[0, k)``.

    - GRR: the report itself (whatever the prior);
    - pure protocols (UE, THE, SS, BLH, OLH; ADP delegates): with support set ``S`` of the
      report, ``argmax_a log prior[a] + log(ibu_in if a in S else ibu_out)``;
    - SHE: ``argmax_a log prior[a] + (eps/2) clip(2 y_a - 1, -1, 1)``, i.e. the Laplace
      likelihood ratio ``-(eps/2) (|y_a - 1| - |y_a|)``.

    ``tie_break="smallest"`` (default): ties go to the smallest index (``np.argmax``); with
    the uniform prior UE/SS/LH then decode to the smallest value of ``S`` (0 if ``S`` is
    empty). Caveat: SS with subset size ``omega >= 2`` then never decodes the ``omega - 1``
    largest values, so its ``T`` is singular. ``tie_break="random"`` (uniform prior only,
    needs ``rng``): uniform among the tied maxima, i.e. uniform over ``S`` (over all values
    if ``S`` is empty); SS is then invertible and UE/LH much better conditioned.
    """
    proto = _inner(protocol)
    k = proto.k
    pr = check_prior(prior, k)
    if _check_tie_break(tie_break, prior) == "random" and not isinstance(rng, np.random.Generator):
        raise ValueError("tie_break='random' needs rng, a numpy Generator")
    if isinstance(proto, GRR):
        return np.asarray(reports, dtype=np.int64).copy()
    if isinstance(proto, SHE):
        y = proto._check(reports)
        # |y| - |y - 1| = clip(2y - 1, -1, 1), exact at the saturation points (ties)
        score = np.log(pr) + np.clip(2.0 * y - 1.0, -1.0, 1.0) * (1.0 / proto.scale)
        return _pick(score, tie_break, rng).astype(np.int64)
    if isinstance(proto, PureProtocol):
        s_in, s_out = _log_scores(proto, pr)
        n = proto.n_reports(reports)
        out = np.empty(n, dtype=np.int64)
        step = max(1, (1 << 22) // k)
        for s in range(0, n, step):  # blocks of users, bounded memory
            e = proto.encode_rows(reports, s, min(s + step, n)).astype(bool)
            out[s : s + e.shape[0]] = _pick(np.where(e, s_in, s_out), tie_break, rng)
        return out
    raise TypeError(f"cannot decode reports of protocol {protocol!r}")


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


def _poibin_inv_mean(probs: NDArray[np.float64]) -> float:
    """``E[1 / (1 + N)]`` for ``N`` a sum of independent Bernoulli(``probs``) (exact DP)."""
    pmf = np.zeros(probs.size + 1)
    pmf[0] = 1.0
    for i, pr in enumerate(probs):
        pmf[1 : i + 2] = pmf[1 : i + 2] * (1 - pr) + pmf[: i + 1] * pr
        pmf[0] *= 1 - pr
    return float(np.sum(pmf / np.arange(1, probs.size + 2)))


def _random_tie_matrix(p_top: NDArray[np.float64], p_bottom: NDArray[np.float64]) -> NDArray:
    """Uniform tie-breaking when each value is independently "on top" (in ``S``, or saturated
    high) with probability ``p_top[a, v]`` and the decoded value is uniform over the values on
    top, or over all values if every value is at the bottom (prob. ``prod p_bottom[a]``):
    ``T[a, z] = p_top[a, z] E[1 / (1 + N_{-z})] + prod_v p_bottom[a, v] / k``. Any remaining
    mass (a continuous part, for SHE) is added by the caller."""
    k = p_top.shape[0]
    t = np.zeros((k, k))
    for a in range(k):
        for z in range(k):
            t[a, z] = p_top[a, z] * _poibin_inv_mean(np.delete(p_top[a], z))
        t[a] += np.prod(p_bottom[a]) / k
    return t


def _ue_random_matrix(proto: UnaryEncoding) -> NDArray[np.float64]:
    """UE/THE with uniform tie-breaking: bits independent, ``P(v in S | a) = p`` or ``q``."""
    k = proto.k
    top = np.full((k, k), proto.q)
    np.fill_diagonal(top, proto.p)
    return _random_tie_matrix(top, 1.0 - top)


def _ss_matrix(proto: SS, prior: NDArray[np.float64]) -> NDArray[np.float64]:
    """SS: given ``a``, with prob. ``p*`` ``S = {a} + R``, ``R`` a uniform ``(omega-1)``-subset of
    the ``k-1`` others, else ``S`` a uniform ``omega``-subset of the others. With
    ``m = |B - {a}|``: ``Q_a(B) = p* [a not in B] C(k-1-m, omega-1) / C(k-1, omega-1)
    + (1 - p*) C(k-1-m, omega) / C(k-1, omega)``."""
    k, w, ps = proto.k, proto.omega, proto.p_star

    def ratio(m: int, r: int) -> float:
        return float(Fraction(math.comb(k - 1 - m, r), math.comb(k - 1, r)))

    def avoid(b: NDArray[np.bool_]) -> NDArray[np.float64]:
        m_all = int(b.sum())
        out = np.empty(k)
        for a in range(k):
            m = m_all - int(b[a])
            out[a] = (0.0 if b[a] else ps * ratio(m, w - 1)) + proto.exclude * ratio(m, w)
        return out

    return _t_from_avoidance(proto, prior, avoid)


def _farey(n: int) -> list[Fraction]:
    """Sorted Farey sequence of order ``n`` on ``[0, 1]``."""
    return sorted({Fraction(m, d) for d in range(1, n + 1) for m in range(d + 1)})


def _lh_matrix(
    proto: LocalHashing, prior: NDArray[np.float64], tie_break: str = "smallest"
) -> NDArray[np.float64]:
    """LH: exact up to ``O(k^2 / P)`` (``P = 2^31 - 1``), by integrating over the hash family.

    With ``t = alpha / P`` and ``u = beta / P``, ``alpha v + beta = P (u + v t)``, so
    ``H(v) = (beta + v alpha - P w_v) mod g = (beta_0 + v alpha_0 - r w_v) mod g`` exactly, with
    ``w_v = floor(u + v t)``, ``r = P mod g``, ``alpha_0 = alpha mod g``, ``beta_0 = beta mod g``.
    Up to ``O(k^2 / P)`` (lattice points on cell boundaries), ``(alpha_0, beta_0)`` is uniform on
    ``[g]^2`` and independent of ``(u, t)``, uniform on the unit square. The floors ``w`` are
    constant on the cells of the arrangement of lines ``u + v t = m``; between consecutive
    Farey fractions of order ``k - 1`` the cells' ``u``-lengths are linear in ``t``, so each
    cell's area is its length at the interval's midpoint times the interval's width (exact).
    ``beta_0`` shifts all hashes and the report alike, so it is summed out; for each
    ``alpha_0`` the report ``y`` is ``H(a)`` w.p. ``p`` and each other bucket w.p. ``q``, and
    buckets hit by no value give ``S = {}``. (Note: the linear hash is only pairwise
    independent; e.g. for ``g = 4`` values 0, 1, 2 collide with probability 1/8, not 1/16, so
    an independent-hash model would be wrong for ``k >= 3``.)
    """
    k, g = proto.k, proto.g
    r = PRIME % g
    s_in, s_out = _log_scores(proto, prior)
    v = np.arange(k)
    # cells of the arrangement, per Farey interval: at t = N / D (its midpoint) the
    # breakpoints in u are frac(-v t) = ((-v N) mod D) / D; w_v = floor(u_mid + v t) is
    # computed exactly in integers with u_mid = (c0 + c1) / (2 D)
    fr = _farey(max(k - 1, 1))
    w_blocks, a_blocks = [], []
    for lo, hi in itertools.pairwise(fr):
        tm = (lo + hi) / 2
        num, den = tm.numerator, tm.denominator
        bps = np.unique(np.concatenate([(-v * num) % den, [0, den]]))
        c0, c1 = bps[:-1], bps[1:]
        w_blocks.append(((c0 + c1)[:, None] + 2 * num * v[None, :]) // (2 * den))
        a_blocks.append((c1 - c0) / den * float(hi - lo))
    wmat = np.concatenate(w_blocks).astype(np.int64)  # (cells, k)
    area = np.concatenate(a_blocks)  # one entry per cell
    if g * area.size > _LH_MAX_PATTERNS:
        raise NoiseModelError(
            f"exact T of {proto.name} (eps={proto.epsilon}, k={k}, g={g}) needs "
            f"{g * area.size} hash patterns, above the limit {_LH_MAX_PATTERNS}"
        )
    empty = int(np.argmax(s_out))  # decoded value of an empty support set
    t = np.zeros((k, k))
    p, q = proto.p, proto.q
    n_pat = g * area.size  # patterns (alpha_0, cell), flattened alpha_0-major
    step = max(1, _LH_CHUNK // (k * k))
    tril = np.tril(np.ones((k, k), bool), -1)[None]
    for s in range(0, n_pat, step):
        pid = np.arange(s, min(n_pat, s + step))
        al, ci = np.divmod(pid, area.size)
        h = (al[:, None] * v[None, :] - r * wmat[ci]) % g  # H(v) - beta_0, shape (N, k)
        wt = area[ci] / g
        same = h[:, :, None] == h[:, None, :]  # same[i, v, u]: H(u) = H(v)
        first = ~np.any(tril & same, axis=2)  # v is the smallest value of its bucket
        n_empty = g - first.sum(axis=1)  # buckets hit by no value: S = {}
        # P(y = H(v) | a) * weight, over distinct buckets only: shape (N, v, a)
        prob = np.where(same, p, q) * (first * wt[:, None])[:, :, None]
        if tie_break == "random":  # uniform over S = {u : H(u) = H(v)}
            share = same / same.sum(axis=2, keepdims=True)
            t += np.einsum("iva,ivu->au", prob, share)
            t += float(np.sum(wt * q * n_empty)) / k
            continue
        # decoded value when the report is bucket H(v): S = {u : H(u) = H(v)}
        dec = np.argmax(np.where(same, s_in, s_out), axis=2)  # (N, v)
        idx = dec[:, :, None] + k * v[None, None, :]  # flat index of t[a, dec]
        t += np.bincount(idx.ravel(), prob.ravel(), minlength=k * k).reshape(k, k)
        t[:, empty] += float(np.sum(wt * q * n_empty))
    return t


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(64)


def _laplace_cdf(t: NDArray[np.float64], m: float, b: float) -> NDArray[np.float64]:
    d = (t - m) / b
    return np.where(d < 0, 0.5 * np.exp(np.minimum(d, 0.0)), 1.0 - 0.5 * np.exp(-np.abs(d)))


def _she_matrix(
    proto: SHE, prior: NDArray[np.float64], tie_break: str = "smallest"
) -> NDArray[np.float64]:
    """SHE: one-dimensional integration, exact up to quadrature error (~1e-14).

    The score of value ``v`` is ``S_v = c_v + clip(2 y_v - 1, -1, 1) / b`` (``c = log prior``,
    ``b = 2/eps``), ``y_v = [v = a] + Laplace(b)`` independent over ``v``: a distribution with
    atoms at ``c_v -+ 1/b`` (``y_v <= 0`` / ``y_v >= 1``) and a density in between. Then
    ``T[a, z] = E[prod_{u<z} P(S_u < S_z) prod_{u>z} P(S_u <= S_z)]``: the two atoms of
    ``S_z`` exactly (ties resolved on the same floating-point atoms as :func:`decode`), the
    continuous part over ``y_z in (0, 1)`` split at the other values' atoms (where the
    integrand jumps) and integrated by 64-point Gauss-Legendre on each smooth piece.
    """
    k, b = proto.k, proto.scale
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
            if tie_break == "random":  # atoms are added by _random_tie_matrix below
                total = 0.0
            else:
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
    if tie_break == "random":  # uniform prior: all atoms tie, at c -+ 1/b
        e = np.exp(-inv)
        top = np.full((k, k), 0.5 * e)
        np.fill_diagonal(top, 0.5)
        bottom = np.where(np.eye(k, dtype=bool), 0.5 * e, 0.5)
        t += _random_tie_matrix(top, bottom)
    return t


def transition_matrix(
    protocol: FrequencyProtocol, prior: ArrayLike | None = None, tie_break: str = "smallest"
) -> NDArray[np.float64]:
    """Exact ``T[a, z] = P(decode(R) = z | A = a)``, shape ``(k, k)``, rows sum to one, for
    :func:`decode` with the same ``prior`` and ``tie_break``.

    - GRR: ``p`` on the diagonal, ``q`` elsewhere (``protocol.transition_matrix``);
    - UE (SUE, OUE) and THE: closed form from the independent Bernoulli bits;
    - SS: closed form from the uniform-subset combinatorics;
    - BLH/OLH: integration over the universal hash family (exact up to ``O(k^2 / 2^31)``);
    - SHE: piecewise Gauss-Legendre integration over the Laplace noise (error ~1e-14);
    - ADP: that of its inner protocol.

    For pure protocols and ``tie_break="smallest"``, see :func:`_t_from_avoidance` for the
    candidate decomposition used. With ``tie_break="random"``: UE/THE (and SHE's atoms) by
    :func:`_random_tie_matrix` (Poisson-binomial count of the tied values); SS
    ``T = (p* I + q* (J - I)) / omega`` (``P(z in S | a) / |S|``); LH by spreading each hash
    pattern's mass uniformly over ``S``.
    """
    proto = _inner(protocol)
    pr = check_prior(prior, proto.k)
    rnd = _check_tie_break(tie_break, prior) == "random"
    if isinstance(proto, GRR):
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
        t = _she_matrix(proto, pr, tie_break)
    else:
        raise NoiseModelError(
            f"no exact transition matrix for protocol {proto.name!r} (eps={proto.epsilon}, "
            f"k={proto.k}); use grr, sue, oue, the, ss, blh, olh, she or adp"
        )
    err = float(np.max(np.abs(t.sum(axis=1) - 1.0)))
    if err > 1e-9:  # every computation above accounts for all the probability mass
        raise RuntimeError(f"transition matrix rows of {proto!r} sum to 1 +- {err:.2g}")
    return t / t.sum(axis=1, keepdims=True)


@dataclass
class NoiseModel:
    """The channel ``A -> Z`` of a protocol with its decoding prior.

    Built with ``NoiseModel(protocol, prior=None, max_condition=MAX_CONDITION,
    tie_break="smallest", report_probability=1.0)``; raises :class:`NoiseModelError` if
    ``cond(T) > max_condition`` (or ``T`` is singular). ``tie_break="random"`` (uniform prior)
    decodes with uniform tie-breaking (:func:`decode`): needed for SS with ``omega >= 2``.
    ``report_probability`` ``r < 1``: each user reports the attribute with probability ``r``
    (budget split ``sampling``: ``r = 1/d``) and otherwise gets a value drawn from the
    prior, so ``T = r T_protocol + (1 - r) 1 prior^T``.
    """

    protocol: FrequencyProtocol
    prior: NDArray[np.float64] | None = None
    max_condition: float = MAX_CONDITION
    tie_break: str = "smallest"
    report_probability: float = 1.0
    T: NDArray[np.float64] = field(init=False, repr=False)
    condition: float = field(init=False)

    def __post_init__(self) -> None:
        _check_tie_break(self.tie_break, self.prior)
        self.prior = check_prior(self.prior, self.protocol.k)
        r = float(self.report_probability)
        if not 0.0 < r <= 1.0:
            raise ValueError(f"report_probability must lie in (0, 1], got {r!r}")
        t = transition_matrix(self.protocol, self.prior, self.tie_break)
        # a user who did not report the attribute (budget split 'sampling') gets a decoded
        # value drawn from the decoding prior: T = r T_protocol + (1 - r) 1 prior^T
        self.T = t if r == 1.0 else r * t + (1.0 - r) * self.prior[None, :]
        with np.errstate(all="ignore"):
            cond = float(np.linalg.cond(self.T))
        self.condition = cond
        if not np.isfinite(cond) or cond > self.max_condition:
            raise NoiseModelError(
                f"transition matrix of protocol {self.protocol.name!r} with eps="
                f"{self.protocol.epsilon}, k={self.protocol.k} is singular or ill-conditioned: "
                f"condition number {cond:.3g} > max_condition={self.max_condition:.3g}; the "
                "attribute cannot be recovered from the decoded reports (with "
                f"tie_break={self.tie_break!r}; 'random' helps e.g. SS with omega >= 2)"
            )

    @property
    def k(self) -> int:
        return self.protocol.k

    def decode(self, reports: Any, rng: np.random.Generator | None = None) -> NDArray[np.int64]:
        """:func:`decode` with this model's protocol, prior and tie-breaking (``rng`` is needed
        for ``tie_break="random"``)."""
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
