"""Single-report reconstruction attack: how often the Bayes-optimal adversary guesses right.

Threat model (the "data reconstruction" / "attribute inference" attack of Arcolezi, Gambs,
Couchot & Palamidessi, "On the Risks of Collecting Multidimensional Data Under Local
Differential Privacy", PVLDB 16(5), 2023, and Arcolezi & Gambs, "Revisiting Locally
Differentially Private Protocols: Towards Better Trade-offs in Privacy, Utility, and Attack
Resistance", arXiv:2503.01482, 2025, their "attacker success rate", ASR): the adversary (e.g.
the server) knows the protocol and its parameters, sees ONE user's report ``y`` (for local
hashing: with the user's hash function) and guesses the user's value; the value is drawn
from a prior ``pi`` over ``{0, ..., k-1}`` (uniform by default) that the adversary knows. The
guess that maximizes the probability of being right is the posterior mode
``argmax_v pi_v P(y | v)``, and its success probability is

    ``S = sum_y max_v pi_v P(y | v)``        (an integral over ``y`` for SHE).

Ties among posterior modes do not change ``S`` (every mode is right with the same
probability); :func:`empirical_attack_success` breaks them uniformly at random, the attack of
the papers above (e.g. UE: uniform among the set bits) for the uniform prior.

Reference points (both checked by the tests):

- baseline ``max_v pi_v`` (``1/k`` for the uniform prior): guessing without the report;
  ``S >= baseline`` always, and ``S -> baseline`` as ``eps -> 0``;
- the eps-LDP bound: for any eps-LDP mechanism, for each ``y`` with posterior mode ``v*``,
  ``P(y | v) >= e^-eps P(y | v*)`` gives ``sum_v P(y | v) >= P(y | v*) (1 + (k-1) e^-eps)``,
  so ``pi_v* P(y | v*) <= pi_max e^eps / (e^eps + k - 1) sum_v P(y | v)``; summing over ``y``
  (``sum_y sum_v P(y | v) = k``): ``S <= k pi_max e^eps / (e^eps + k - 1)``, i.e.
  ``S <= e^eps / (e^eps + k - 1)`` for the uniform prior, which GRR attains: GRR is the most
  attackable eps-LDP mechanism under the uniform prior (tight there; for other priors the bound
  is valid, not necessarily attained). :func:`attack_bound`.

Per protocol (``p``, ``q`` and the others are the protocol's own attributes; sorted prior
``pi_(1) >= ... >= pi_(k)``), :func:`attack_success`:

- GRR (``p = e^eps / (e^eps + k - 1)``, ``q = p e^-eps``): uniform ``S = p``; any prior
  ``S = sum_y max(p pi_y, q max_{v != y} pi_v)``.
- UE: SUE, OUE, and THE with its thresholded bits (``p*``, ``q*``; the package's THE sends the
  bits, so the adversary sees only them; a server that thresholds the user's noisy vector sees
  SHE's report instead). Bits independent, ``P(B | v) = P_0(B) (1-p)/(1-q) r^{B_v}`` with
  ``r = p (1-q) / (q (1-p)) > 1`` and ``P_0`` the all-``q`` law, so the posterior mode is the
  top-prior value among the set bits or the top-prior value overall. Uniform prior: uniform
  among the set bits (among all values if none is set), the exact binomial sum of Arcolezi et
  al. (2023) and their ldp-toolbox ``get_asr``,

      ``S = (1-p)(1-q)^{k-1} / k + p sum_{i=0}^{k-1} C(k-1, i) q^i (1-q)^{k-1-i} / (i + 1)``
      ``  = (1-p)(1-q)^{k-1} / k + p (1 - (1-q)^k) / (k q)``

  (``E[1 / (1 + Bin(k-1, q))] = (1 - (1-q)^k) / (k q)``; OUE ``p = 1/2``,
  ``q = 1 / (e^eps + 1)``; SUE ``p = e^{eps/2} / (e^{eps/2} + 1) = 1 - q``). Any prior, by
  conditioning on the first set bit in prior order under ``P_0`` (``O(k log k)``, exact):

      ``S = p pi_(1) + sum_{j=2}^{k} (1-q)^{j-2} max(p (1-q) pi_(j), q (1-p) pi_(1))
      + (1-p) (1-q)^{k-1} pi_(1)``.

- SS (subset size ``omega``; ``P(S | v) = e^eps / D`` if ``v`` in ``S`` else ``1 / D``,
  ``D = C(k-1, omega-1) e^eps + C(k-1, omega)``): uniform prior ``S = p* / omega
  = e^eps / (omega e^eps + k - omega)`` (``P(v in S) / omega``); any prior, grouping the
  subsets by their top-prior member ``j`` (``C(k-j, omega-1)`` subsets each):
  ``S = (pi_(1) + sum_{j=2}^{k-omega+1} R_j max(pi_(j), e^-eps pi_(1)))
  / (1 + (k - omega) e^-eps / omega)`` with ``R_j = C(k-j, omega-1) / C(k-1, omega-1)``.
- BLH/OLH (hash range ``g``; GRR over ``[g]``: ``p = e^eps / (e^eps + g - 1)``, ``q = p e^-eps``):
  for a given hash ``h``, ``S_h = sum_{y in [g]} max(p max_{h(v) = y} pi_v,
  q max_{h(v) != y} pi_v)``; for the uniform prior the adversary guesses uniformly among the
  values hashing to the reported bucket (among all values if the bucket is empty) and
  ``S_h = (p D + q (g - D)) / k`` with ``D`` the number of occupied buckets, so
  ``S = (q g + (p - q) E[D]) / k``. The expectation is over the user's random hash:

  - ``hash_model="implemented"`` (default): the package's family
    ``h(v) = ((a v + b) mod P) mod g``, ``a`` uniform in ``[1, P)``, ``b`` in ``[0, P)``,
    ``P = 2^31 - 1``, computed exactly (up to ``O(k^2 / P)``) by integrating over the family
    as :mod:`fairldp.fair.noise` does: the buckets are those of ``(j v + w_v) mod g``, ``j``
    uniform on ``[g]``, ``w`` one of the exactly weighted patterns ``floor(u + v t)``.
    Uniform prior: ``E[D] = trace B`` of the decoding channel
    (:func:`fairldp.fair.noise.transition_matrix`, ``S = trace(T) / k``); other priors:
    ``S_h`` summed over the patterns and, for ``g > k (k-1) / 2``, only over the multipliers
    ``j`` that make two values collide (the others give ``k`` singleton buckets). This
    family is only pairwise independent: its ``E[D]`` differs from the fully random hash's
    (e.g. ``g = 8``, ``k = 10``: 6.23 vs 5.90 occupied buckets), and the success depends on
    the user's value (cf. Balioglu, Khodaie & Gursoy, "Don't Hash Me Like That: Exposing and
    Mitigating Hash-Induced Unfairness in Local Differential Privacy", arXiv:2506.20290,
    2025). Refused with a ValueError beyond a work limit (uniform prior: that of
    :mod:`fairldp.fair.noise`, e.g. BLH up to ``k ~ 285``; other priors: ~``k^6 / 40``
    entries for large ``g``, ~``g k^4 / 20`` for small ``g``: ``k <= ~45``);
  - ``hash_model="ideal"``: a fully random hash (``h(v)`` i.i.d. uniform on ``[g]``), the
    textbook model: ``E[D] = g (1 - (1 - 1/g)^k)``, and for any prior, with ``s = 1 - 1/g``,
    ``S = p pi_(1) + sum_{j=2}^{k} s^{j-1} max(p pi_(j), q pi_(1)) + g s^k q pi_(1)``.
    (ldp-toolbox's ``get_asr`` uses the coarser ``1 / (2 max(k / (e^eps + 1), 1))`` for OLH.)

- SHE (``y_v = [v = x] + Laplace(b)``, ``b = 2 / eps``): the likelihood ratio is
  ``exp((|y_v| - |y_v - 1|) / b)``, a non-decreasing function of ``z_v = clip(y_v, 0, 1)``.
  Uniform prior: the adversary guesses a value with the largest ``z_v``, uniformly among ties
  (atoms at 0 and 1); with ``c = e^{-1/b} / 2``,

      ``S = (1 - (1-c)^k) / (2 k c) + (1/2) int_0^{1/b} e^{-s} (1 - e^{s - 1/b} / 2)^{k-1} ds
      + c 2^{1-k} / k``

  (the true value at 1, among ``1 + Bin(k-1, c)`` tied values; at ``1 - b s`` in ``(0, 1)``
  above all the others; at 0 with all the others). Any prior:
  ``S = E_{y ~ Laplace(b)^k}[max_v pi_v e^{(|y_v| - |y_v - 1|) / b}]``, the expectation of the
  maximum of independent variables, ``int_0^inf (1 - prod_v P(W_v <= w)) dw``, one
  integral over ``log w`` split at the atoms. Both integrals by adaptive Gauss-Kronrod
  (:func:`scipy.integrate.quad`, absolute error < 1e-10, else a RuntimeError).
- ADP: that of the protocol it uses (GRR iff ``k < 3 e^eps + 2``, else OUE).

Every success is non-decreasing in ``eps`` except OLH's: its ``g = round(e^eps) + 1`` grows
by one at ``eps = ln(m + 1/2)``, where ``p`` drops; once ``g`` exceeds about ``k`` the success
drops there too (ADP and SS jump up where they switch to GRR / a smaller subset).

The analytical values are cross-checked in ``tests/ldp/test_attacks.py`` against brute-force
enumeration of all reports (GRR, SUE/OUE/THE, SS, ideal LH), against the exact decoding
channels of :mod:`fairldp.fair.noise` (every protocol; with a non-uniform prior every one but
GRR, whose decoder there is the report itself) and against :func:`empirical_attack_success`
(Monte Carlo with the package's own protocol objects).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.adp import ADP
from fairldp.ldp.base import FrequencyProtocol, PureProtocol
from fairldp.ldp.fairaware import FairRR
from fairldp.ldp.grr import GRR
from fairldp.ldp.he import SHE
from fairldp.ldp.lh import PRIME, LocalHashing
from fairldp.ldp.registry import PROTOCOLS, get_protocol
from fairldp.ldp.ss import SS
from fairldp.ldp.ue import UnaryEncoding
from fairldp.ldp.validation import check_codes, check_domain_size, check_epsilon

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "HASH_MODELS",
    "attack_bound",
    "attack_success",
    "attack_table",
    "empirical_attack_success",
]

#: expectation of the local-hashing success over the package's hash family, or over a fully
#: random hash (see the module docstring)
HASH_MODELS = ("implemented", "ideal")

#: largest accepted quadrature error estimate (absolute) of the SHE integrals
_QUAD_TOL = 1e-10
#: work limit, in (hash, value) entries, of local hashing with a non-uniform prior (~10 s)
_LH_PRIOR_MAX_WORK = 1 << 28
#: (hash, value) entries handled at once there
_LH_CHUNK = 1 << 22


# ----- arguments ---------------------------------------------------------------------------------


def _check_prior(prior: ArrayLike | None, k: int) -> NDArray[np.float64] | None:
    """The prior as a validated length-``k`` probability vector, or None if it is uniform."""
    if prior is None:
        return None
    try:
        pr = np.asarray(prior, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"prior must be {k} probabilities, got {prior!r}") from None
    if pr.shape != (k,):
        raise ValueError(
            f"prior must be a 1-D array of k = {k} probabilities, got shape {pr.shape}"
        )
    if not np.all(np.isfinite(pr)) or np.any(pr <= 0):
        raise ValueError(
            f"prior must hold {k} strictly positive finite probabilities (drop a value that "
            f"never occurs from the domain), got {pr.tolist()}"
        )
    total = float(pr.sum())
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"prior must sum to 1, got {total!r}")
    pr = pr / total
    return None if np.ptp(pr) == 0 else pr


def _check_hash_model(hash_model: str) -> str:
    if hash_model not in HASH_MODELS:
        raise ValueError(f"hash_model must be one of {list(HASH_MODELS)}, got {hash_model!r}")
    return hash_model


def attack_bound(epsilon: float, k: int, prior: ArrayLike | None = None) -> float:
    """Largest success of any eps-LDP mechanism's Bayes adversary (module docstring):
    ``e^eps / (e^eps + k - 1)`` for the uniform prior (attained by GRR), else the valid bound
    ``min(1, k pi_max e^eps / (e^eps + k - 1))``."""
    eps, k = check_epsilon(epsilon), check_domain_size(k)
    pr = _check_prior(prior, k)
    top = 1.0 / k if pr is None else float(pr.max())
    # k e^eps / (e^eps + k - 1) = k / (1 + (k - 1) e^-eps): no overflow
    return min(1.0, top * k / (1.0 + (k - 1) * math.exp(-eps)))


def _baseline(k: int, prior: NDArray[np.float64] | None) -> float:
    return 1.0 / k if prior is None else float(prior.max())


# ----- analytical success per protocol --------------------------------------------------------


def _grr(proto: GRR, pr: NDArray[np.float64] | None) -> float:
    if pr is None:
        return proto.p
    order = np.argsort(pr)[::-1]
    best_other = np.full(proto.k, pr[order[0]])
    best_other[order[0]] = pr[order[1]]
    return float(np.sum(np.maximum(proto.p * pr, proto.q * best_other)))


def _ue(proto: UnaryEncoding, pr: NDArray[np.float64] | None) -> float:
    k, p, q, one_minus_p = proto.k, proto.p, proto.q, proto.one_minus_p
    log_keep = math.log1p(-q)  # log(1 - q)
    if pr is None:
        # E[1 / (1 + Bin(k-1, q))] k = (1 - (1-q)^k) / q  (-> k as q -> 0)
        inv = -math.expm1(k * log_keep) / q if q > 0 else float(k)
        return (one_minus_p * math.exp((k - 1) * log_keep) + p * inv) / k
    s = np.sort(pr)[::-1]
    j = np.arange(2, k + 1)
    terms = np.exp((j - 2) * log_keep) * np.maximum(p * (1 - q) * s[1:], q * one_minus_p * s[0])
    return float(p * s[0] + terms.sum() + one_minus_p * math.exp((k - 1) * log_keep) * s[0])


def _ss(proto: SS, pr: NDArray[np.float64] | None) -> float:
    k, w = proto.k, proto.omega
    a = math.exp(-proto.epsilon)
    if pr is None:
        return 1.0 / (w + (k - w) * a)  # p* / omega
    s = np.sort(pr)[::-1]
    # R_j = C(k-j, w-1) / C(k-1, w-1), j = 1..k-w+1: R_{j+1} / R_j = (k-j-w+1) / (k-j)
    jj = np.arange(1, k - w + 1)
    ratios = np.concatenate([[1.0], np.cumprod((k - jj - w + 1) / (k - jj))])
    top = s[0] + float(np.sum(ratios[1:] * np.maximum(s[1 : k - w + 1], a * s[0])))
    return top / (1.0 + (k - w) * a / w)


def _lh_ideal(proto: LocalHashing, pr: NDArray[np.float64] | None) -> float:
    k, g, p, q = proto.k, proto.g, proto.p, proto.q
    log_s = math.log1p(-1.0 / g)  # log(1 - 1/g)
    if pr is None:
        occupied = -g * math.expm1(k * log_s)  # E[D] = g (1 - (1 - 1/g)^k)
        return (q * g + (p - q) * occupied) / k
    s = np.sort(pr)[::-1]
    j = np.arange(2, k + 1)
    terms = np.exp((j - 1) * log_s) * np.maximum(p * s[1:], q * s[0])
    return float(p * s[0] + terms.sum() + g * math.exp(k * log_s) * q * s[0])


def _lh_hash_success(
    labels: NDArray[np.int64], s: NDArray[np.float64], g: int, p: float, q: float
) -> NDArray[np.float64]:
    """``S_h = sum_{y in [g]} max(p max_{h(v) = y} pi_v, q max_{h(v) != y} pi_v)`` per row of
    bucket ``labels`` (one row per hash; column ``j`` is the value with the ``j``-th largest
    prior ``s[j]``). Each occupied bucket contributes through its best member (found by
    sorting the row by (bucket, prior rank)); the best value outside it is ``s[0]``, or, for
    the top value's bucket, the best value of another bucket (0 if none); each of the
    ``g - D`` empty buckets contributes ``q s[0]``."""
    m, k = labels.shape
    key = labels * k + np.arange(k)[None, :]
    key.sort(axis=1)
    bucket, rank = np.divmod(key, k)
    lead = np.ones((m, k), dtype=bool)
    np.not_equal(bucket[:, 1:], bucket[:, :-1], out=lead[:, 1:])
    other = labels != labels[:, :1]
    second = np.where(other.any(axis=1), s[np.argmax(other, axis=1)], 0.0)
    outside = np.where(rank == 0, second[:, None], s[0])
    val = np.where(lead, np.maximum(p * s[rank], q * outside), 0.0)
    return val.sum(axis=1) + (g - lead.sum(axis=1)) * (q * s[0])


def _lh_implemented_prior(proto: LocalHashing, pr: NDArray[np.float64]) -> float:
    """``E_h[S_h]`` over the package's hash family, any prior.

    As in :func:`fairldp.fair.noise.transition_matrix` (``_lh_matrix``), up to ``O(k^2 / P)``
    the buckets of ``((a v + b) mod P) mod g`` are those of ``(j v + w_v) mod g`` with ``j``
    uniform on ``[g]`` and ``w`` one of the exactly weighted floor patterns ``floor(u + v t)``
    (``S_h`` depends on the partition into buckets only). For ``g <= k (k-1) / 2`` every
    ``j`` is enumerated; for larger ``g`` only the ``j`` for which some pair collides,
    ``j d = -(w_{v+d} - w_v) (mod g)`` (``gcd(d, g)`` solutions or none); every other ``j``
    gives ``k`` singleton buckets, whose ``S_h`` is computed once. ``g = P``: injective hash.
    """
    from fairldp.fair.noise import _lh_floor_patterns  # the exact patterns (cached)

    k, g, p, q = proto.k, proto.g, proto.p, proto.q
    order = np.argsort(-pr, kind="stable")
    s = pr[order]
    distinct = float(_lh_hash_success(np.arange(k)[None, :], s, g, p, q)[0]) if g >= k else 0.0
    if g == PRIME:
        return distinct
    packed, prob = _lh_floor_patterns(k)
    w = np.zeros((prob.size, k), dtype=np.int64)
    np.cumsum(np.unpackbits(packed, axis=1, count=k - 1), axis=1, out=w[:, 1:])
    w = w[:, order]  # columns in prior order, like the labels below
    v = order.astype(np.int64)
    direct = g <= k * (k - 1) // 2
    work = prob.size * k * (g if direct else k * (k - 1) // 2)
    if work > _LH_PRIOR_MAX_WORK:
        raise ValueError(
            f"the exact attack success of {proto.name} (eps={proto.epsilon}, k={k}, g={g}) "
            f"with a non-uniform prior would take ~{work:.3g} (hash, value) entries, above "
            f"{_LH_PRIOR_MAX_WORK}; use hash_model='ideal' (fully random hash) or "
            "empirical_attack_success"
        )
    if direct:
        total = 0.0
        for j in range(g):
            labels = (w + (j * v)[None, :]) % g
            total += float(prob @ _lh_hash_success(labels, s, g, p, q))
        return total / g
    # pairs (value u, value u + d) in natural order: positions in prior order
    pos = np.empty(k, dtype=np.int64)
    pos[order] = np.arange(k)
    solve = []  # per d: (d, gcd, step, inverse of d / gcd mod step)
    for d in range(1, k):
        gd = math.gcd(d, g)
        step = g // gd
        solve.append((d, gd, step, pow(d // gd, -1, step) if step > 1 else 0))
    total = 0.0
    block = max(1, _LH_CHUNK // (k * k * (k - 1) // 2))  # patterns per block: bounded memory
    for b0 in range(0, prob.size, block):
        wb, pb = w[b0 : b0 + block], prob[b0 : b0 + block]
        keys = []
        for d, gd, step, inv in solve:
            c = (-(wb[:, pos[d:]] - wb[:, pos[:-d]])) % g  # (patterns, k - d)
            pat, col = np.nonzero(c % gd == 0)
            j0 = ((c[pat, col] // gd) * inv) % step
            keys.append((pat[:, None] * g + j0[:, None] + step * np.arange(gd)[None, :]).ravel())
        pat, j = np.divmod(np.unique(np.concatenate(keys)), g)
        labels = (wb[pat] + j[:, None] * v[None, :]) % g
        total += float(pb[pat] @ _lh_hash_success(labels, s, g, p, q))
        total += float(pb @ (g - np.bincount(pat, minlength=pb.size))) * distinct
    return total / g


def _lh_implemented(proto: LocalHashing, pr: NDArray[np.float64] | None) -> float:
    if pr is not None:
        return _lh_implemented_prior(proto, pr)
    # lazy: fairldp.fair sits above fairldp.ldp (it imports only fairldp.ldp modules)
    from fairldp.fair.noise import NoiseModelError, transition_matrix

    try:  # decoder with the uniform prior, uniform ties: S = trace(T) / k
        return float(np.trace(transition_matrix(proto))) / proto.k
    except NoiseModelError as err:
        raise ValueError(
            f"the exact attack success of {proto.name} over its hash family is out of reach "
            f"here ({err}); use hash_model='ideal' (fully random hash) or "
            "empirical_attack_success"
        ) from err


def _quad_pieces(fn: Any, edges: Iterable[float]) -> float:
    """``int fn`` over consecutive ``edges`` by adaptive Gauss-Kronrod, error-checked."""
    from scipy.integrate import quad  # lazy: scipy.integrate is slow to import

    pts = sorted(set(edges))
    total = err = 0.0
    for lo, hi in itertools.pairwise(pts):
        val, e = quad(fn, lo, hi, epsabs=1e-14, epsrel=1e-12, limit=200)
        total += val
        err += e
    if err > _QUAD_TOL:
        raise RuntimeError(f"quadrature error estimate {err:.2g} above {_QUAD_TOL:g}")
    return total


def _she_uniform(proto: SHE) -> float:
    k, inv_b = proto.k, 1.0 / proto.scale
    c = 0.5 * math.exp(-inv_b)  # P(Laplace(b) >= 1): another value saturates at 1
    log1m_c = math.log1p(-c)
    top = -math.expm1(k * log1m_c) / (2.0 * k * c)  # (1/2) E[1 / (1 + Bin(k-1, c))]
    bottom = c * 2.0 ** (1 - k) / k

    def inner(s: float) -> float:  # the true value at 1 - b s, above every other value
        return 0.5 * math.exp(-s + (k - 1) * math.log1p(-0.5 * math.exp(s - inv_b)))

    hi = min(inv_b, 80.0)  # the integrand is below e^-s / 2: the rest is < 1e-35
    cuts = [0.0, hi, *(x for x in (inv_b - math.log(k), 1.0, 10.0) if 0.0 < x < hi)]
    return top + _quad_pieces(inner, cuts) + bottom


def _she_prior(proto: SHE, pr: NDArray[np.float64]) -> float:
    """``E[max_v pi_v e^{s_v / b}]`` with ``s_v = |y_v| - |y_v - 1|``, ``y ~ Laplace(b)^k``.

    ``s_v`` has atoms at -1 (probability 1/2) and 1 (``e^{-1/b} / 2``) and, in between,
    ``P(s_v <= x) = 1 - e^{-(x + 1) / (2b)} / 2``. With ``w = pi_max e^{1/b + t}`` and
    ``l_v = ln(pi_max / pi_v) / 2 >= 0``, ``P(pi_v e^{s_v/b} <= w)`` is 0 for
    ``t < -2/b - 2 l_v``, 1 for ``t >= -2 l_v`` and ``1 - e^{-1/b - t/2 - l_v} / 2`` between,
    so ``S = pi_max e^{-1/b} + int_{-2/b}^0 pi_max e^{1/b + t} (1 - prod_v P(...)) dt``,
    evaluated in log space (finite for every supported eps).
    """
    inv_b = 1.0 / proto.scale
    top = float(pr.max())
    lam = 0.5 * np.log(top / pr)

    def integrand(t: float) -> float:
        if np.any(t < -2.0 * inv_b - 2.0 * lam):  # some value below its lowest atom
            log_tail = 0.0
        else:
            act = t < -2.0 * lam
            if not act.any():
                return 0.0
            logs = np.log1p(-0.5 * np.exp(-inv_b - 0.5 * t - lam[act]))
            log_tail = math.log(-math.expm1(float(logs.sum())))
        return math.exp(math.log(top) + inv_b + t + log_tail)

    lo = -2.0 * inv_b
    edges = [lo, 0.0]
    for x in np.concatenate([-2.0 * lam, -2.0 * inv_b - 2.0 * lam, -2.0 * lam - 60.0]):
        if lo < x < 0.0:
            edges.append(float(x))
    return top * math.exp(-inv_b) + _quad_pieces(integrand, edges)


def _analytical(proto: FrequencyProtocol, pr: NDArray[np.float64] | None, hash_model: str) -> float:
    if isinstance(proto, ADP):
        proto = proto.inner
    if isinstance(proto, GRR):
        return _grr(proto, pr)
    if isinstance(proto, UnaryEncoding):  # SUE, OUE, THE
        return _ue(proto, pr)
    if isinstance(proto, SS):
        return _ss(proto, pr)
    if isinstance(proto, LocalHashing):
        return _lh_ideal(proto, pr) if hash_model == "ideal" else _lh_implemented(proto, pr)
    if isinstance(proto, SHE):
        return _she_uniform(proto) if pr is None else _she_prior(proto, pr)
    if isinstance(proto, FairRR):  # a finite channel: sum_z max_a pi_a Q[a, z]
        q = proto.transition_matrix
        p = np.full(proto.k, 1.0 / proto.k) if pr is None else pr
        return float((p[:, None] * q).max(axis=0).sum())
    raise NotImplementedError(
        f"no analytical attack success for protocol {proto.name!r} ({type(proto).__name__}); "
        "estimate it with empirical_attack_success"
    )


def attack_success(
    protocol_name: str,
    epsilon: float,
    k: int,
    prior: ArrayLike | None = None,
    *,
    hash_model: str = "implemented",
) -> float:
    """Expected success of the Bayes-optimal adversary who sees one user's report of
    ``protocol_name`` (one of :data:`~fairldp.ldp.PROTOCOLS`) and guesses the user's value,
    drawn from ``prior`` (strictly positive, sums to 1; uniform by default).

    Exact (closed forms, finite sums, or one-dimensional integrals with error < 1e-10); the
    formulas and their sources are in the module docstring. ``hash_model`` ("implemented" or
    "ideal") chooses the hash family of BLH/OLH. Raises a ValueError for an unknown protocol
    (naming the closest one), an invalid ``epsilon``, ``k`` or ``prior``, or a local-hashing
    computation beyond its work limit; NotImplementedError for a registered protocol of
    another family (use :func:`empirical_attack_success`).
    """
    proto = get_protocol(protocol_name, epsilon, k)
    return _analytical(proto, _check_prior(prior, proto.k), _check_hash_model(hash_model))


# ----- Monte Carlo --------------------------------------------------------------------------------


def _argmax_random(score: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.intp]:
    """Row-wise argmax, uniform among the tied maxima."""
    ties = score == score.max(axis=1, keepdims=True)
    pick = np.floor(rng.random(score.shape[0]) * ties.sum(axis=1))
    return np.argmax(np.cumsum(ties, axis=1) > pick[:, None], axis=1)


def empirical_attack_success(
    protocol: FrequencyProtocol,
    values: ArrayLike,
    rng: np.random.Generator,
    prior: ArrayLike | None = None,
) -> float:
    """Fraction of users whose value the Bayes-optimal adversary guesses right (Monte Carlo).

    The column ``values`` (codes in ``[0, k)``) is perturbed by ``protocol.perturb(values,
    rng)`` (the package's own implementation, all users at once); each report is then attacked
    with the posterior mode for ``prior`` (uniform by default), computed from the report rows
    (``Reports.rows``, in blocks) as the log score

    - pure protocols (GRR, UE, THE, SS, BLH/OLH; ADP: its inner protocol):
      ``log pi_v + log_ratio [v in support(y)]``: ``P(y | v)`` is proportional to
      ``e^log_ratio`` on the report's support set and to 1 off it;
    - SHE: ``log pi_v + eps clip(y_v, 0, 1)`` (the Laplace log-likelihood ratio up to a
      constant),

    ties broken uniformly at random with ``rng``. For an estimate of :func:`attack_success`
    draw ``values`` from the same prior (with a fixed composition, ``n pi_v`` users holding
    ``v``, the expectation is exactly :func:`attack_success`; the binomial standard error
    ``sqrt(S (1 - S) / n)`` bounds the Monte-Carlo error).
    """
    if not isinstance(protocol, FrequencyProtocol):
        raise ValueError(
            f"protocol must be a FrequencyProtocol (e.g. fairldp.ldp.get_protocol(name, eps, k)), "
            f"got {type(protocol).__name__}"
        )
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    x = check_codes(values, protocol.k, name="values")
    pr = _check_prior(prior, protocol.k)
    proto = protocol.inner if isinstance(protocol, ADP) else protocol
    if isinstance(proto, SHE):
        weight = proto.epsilon  # 2 / b

        def transform(rows: NDArray[Any]) -> NDArray[np.float64]:
            return np.clip(rows.astype(np.float64), 0.0, 1.0) * weight

    elif isinstance(proto, PureProtocol):
        weight = proto.log_ratio

        def transform(rows: NDArray[Any]) -> NDArray[np.float64]:
            return rows.astype(np.float64) * weight

    elif isinstance(proto, FairRR):  # one-hot report rows: score_v = log Q[v, z]
        with np.errstate(divide="ignore"):
            log_q = np.log(proto.transition_matrix)

        def transform(rows: NDArray[Any]) -> NDArray[np.float64]:
            return rows.astype(np.float64) @ log_q.T

    else:
        raise NotImplementedError(
            f"no decision rule for protocol {proto.name!r} ({type(proto).__name__})"
        )
    log_pr = None if pr is None else np.log(pr)
    reports = protocol.perturb(x, rng)
    hits = 0
    for start, rows in reports.iter_rows(proto.chunk_elements):
        score = transform(rows)
        if log_pr is not None:
            score += log_pr
        guess = _argmax_random(score, rng)
        hits += int(np.count_nonzero(guess == x[start : start + rows.shape[0]]))
    return hits / x.size


# ----- table --------------------------------------------------------------------------------------


def attack_table(
    protocols: Sequence[str] | None = None,
    epsilons: Sequence[float] = (0.5, 1.0, 2.0, 4.0, 8.0),
    ks: int | Sequence[int] = (2, 10),
    prior: ArrayLike | None = None,
    *,
    hash_model: str = "implemented",
    n_empirical: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Tidy table of :func:`attack_success`: one row per (protocol, epsilon, k), columns
    ``protocol, epsilon, k, success, baseline, bound`` (baseline ``max prior`` = ``1/k`` for
    the uniform prior; bound :func:`attack_bound`).

    ``protocols``: registered names (default: all of :data:`~fairldp.ldp.PROTOCOLS`). A
    ``prior`` needs a single ``k``. With ``n_empirical`` users, adds ``empirical`` (fraction
    guessed right by :func:`empirical_attack_success`, users drawn with the fixed composition
    ``floor(n pi_v)``, the remainder given to the most likely value; stream
    ``make_rng(seed, "attack", protocol, epsilon, k)``) and ``empirical_se`` (binomial
    standard error). A registered protocol with no analytical form gets ``success`` NaN.
    """
    import pandas as pd  # lazy: fairldp.ldp does not need pandas otherwise

    from fairldp.rng import make_rng

    names = (
        list(PROTOCOLS)
        if protocols is None
        else [PROTOCOLS.resolve(p.lower() if isinstance(p, str) else p) for p in protocols]
    )
    k_list = [ks] if isinstance(ks, int | np.integer) else list(ks)
    if prior is not None and len(k_list) != 1:
        raise ValueError(f"a prior needs a single domain size k, got ks={k_list}")
    _check_hash_model(hash_model)
    rows = []
    for k in k_list:
        k = check_domain_size(k)
        pr = _check_prior(prior, k)
        for name in names:
            for eps in epsilons:
                proto = get_protocol(name, eps, k)
                try:
                    success = _analytical(proto, pr, hash_model)
                except NotImplementedError:
                    success = math.nan
                row = {
                    "protocol": name,
                    "epsilon": proto.epsilon,
                    "k": k,
                    "success": success,
                    "baseline": _baseline(k, pr),
                    "bound": attack_bound(proto.epsilon, k, pr),
                }
                if n_empirical is not None:
                    n = int(n_empirical)
                    if n < 1:
                        raise ValueError(
                            f"n_empirical must be an integer >= 1, got {n_empirical!r}"
                        )
                    probs = np.full(k, 1.0 / k) if pr is None else pr
                    counts = np.floor(probs * n).astype(np.int64)
                    counts[np.argmax(probs)] += n - counts.sum()
                    x = np.repeat(np.arange(k), counts)
                    rng = make_rng(seed, "attack", name, proto.epsilon, k)
                    emp = empirical_attack_success(proto, x, rng, pr)
                    row["empirical"] = emp
                    row["empirical_se"] = math.sqrt(emp * (1.0 - emp) / n)
                rows.append(row)
    return pd.DataFrame(rows)
