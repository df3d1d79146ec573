"""Fairness-aware randomizer of the sensitive attribute: the eps-LDP channel chosen for
fair learning from privatized groups.

The eps-LDP mechanisms of a k-ary attribute that report a value of the same domain are the
row-stochastic ``k x k`` matrices ``Q[a, z] = P(Z = z | A = a)`` with
``Q[a, z] <= e^eps Q[a', z]`` for all ``a, a', z``: a polytope (Kairouz, Oh & Viswanath,
"Extremal mechanisms for local differential privacy", JMLR 2016). :class:`FairRR` reports
``Z ~ Q[A]`` with the ``Q`` of that polytope that minimizes a fairness objective; the report is
the decoded group ``z`` itself (as for GRR), and its channel ``T = Q`` is exact
(:func:`fairldp.fair.noise.transition_matrix`).

**Objective.** A fair method that learns from privatized groups (:mod:`fairldp.fair.noise`)
recovers every group-conditional statistic as ``P_A = Q^{-T} P_Z``; its accuracy is limited by
the variance of that recovery for the *smallest* groups. For a public prior ``pi`` (e.g.
census marginals; a parameter, never learned from the private data; uniform by default) the
recovered frequency ``hat pi = Q^{-T} hat P_Z`` of ``n`` i.i.d. users has
``n Var(hat pi_a) = sum_z (Q^{-T})[a, z]^2 P_Z(z) - pi_a^2`` with ``P_Z = Q^T pi``; its
relative variance ``r_a = n Var(hat pi_a) / pi_a^2`` does not depend on ``n``. The objectives
(:data:`OBJECTIVES`):

- ``worst_group`` (default): ``max_a r_a``, the worst group's relative variance;
- ``weighted``: ``sum_a pi_a r_a = sum_a n Var(hat pi_a) / pi_a``.

Both are invariant to relabelling the outputs; the solution's columns are permuted to put the
largest mass on the diagonal (:func:`scipy.optimize.linear_sum_assignment`), so that ``z`` reads
as a noisy group. The objective is not a sum of sublinear functions of the columns of ``Q``
(it involves ``Q^{-1}``), so Kairouz et al.'s reduction to staircase/extremal mechanisms does
not apply; we solve the nonconvex program directly.

**Solver** (:func:`optimal_mechanism`): SLSQP over the ``k^2`` entries (epigraph variable for
``worst_group``), with the linear constraints (rows sum to one, ``Q >= 0``,
``Q[a', z] - e^-eps Q[a, z] >= 0``) and analytic gradients
(``d f_a / d Q[b, c] = -2 G[a, b] W[c, a] + pi_b W[c, a]^2`` with ``W = Q^{-1}``,
``G = W^T diag(P_Z) W``, ``f_a = G[a, a]``), started from GRR, from the closed form of
Ghoukasian & Asoodeh for ``k = 2``, and from seeded random points ``Q_GRR S`` (``S``
row-stochastic: post-processings of GRR, hence feasible). Every solution is repaired onto the
polytope (clipped to ``>= 0``, rows renormalized, then mixed with the uniform mechanism just
enough to satisfy every ratio constraint, which the uniform one meets strictly) and checked
to satisfy the constraints to 1e-9; GRR is kept unless a solution beats it. Solutions are
cached per ``(eps, k, prior, objective)``. Domains with ``k > MAX_OPTIMIZED_K`` are not
optimized (the program has ``k^3`` constraints): the mechanism is then GRR, which the
protocol's ``params`` say (``optimized: False``).

**Reference mechanism** (:func:`ga_mechanism`): for binary ``s``, Ghoukasian & Asoodeh,
"Optimal fairness under local differential privacy", arXiv:2511.16377 (2025), give a closed
form minimizing *data unfairness*; as we read it, the minority keeps its value with
probability ``1 - e^-eps / 2`` and the majority reports a fair coin (a post-processing of
randomized response). We could confirm the paper's claim of a closed form for binary
attributes but not the formula itself, so it is used as our reading of it.

A parametrized protocol is named ``fair_rr(prior=0.67,0.33;objective=weighted)``
(:func:`protocol_name`; parameters left at their defaults are omitted), the name its
``name`` attribute carries into release ledgers, so that
:func:`fairldp.ldp.get_protocol` rebuilds the same mechanism from it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.base import FrequencyProtocol, _check_counts
from fairldp.ldp.estimators import check_method, ibu, project_simplex
from fairldp.ldp.reports import CodeReports, CodeReportsMixin
from fairldp.ldp.validation import check_codes, check_domain_size, check_epsilon, check_n_users

__all__ = [
    "MAX_OPTIMIZED_K",
    "OBJECTIVES",
    "FairMechanism",
    "FairRR",
    "check_fair_params",
    "ga_mechanism",
    "grr_matrix",
    "ldp_violation",
    "objective_value",
    "optimal_mechanism",
    "protocol_name",
    "relative_variances",
]

#: the fairness objectives of :class:`FairRR` (module docstring)
OBJECTIVES = ("worst_group", "weighted")
#: largest domain size that is optimized (the program has k^2 variables, k^3 constraints)
MAX_OPTIMIZED_K = 8
#: tolerance of the LDP and stochasticity checks of a solution
LDP_TOLERANCE = 1e-9
#: random starting points of the solver (besides GRR and, for k = 2, Ghoukasian & Asoodeh)
N_RANDOM_STARTS = 4
_SEED = 20251120  # fixed: the mechanism is a deterministic function of its parameters
_PRIOR_SUM_TOLERANCE = 1e-6
#: relative gain over GRR (and over the best start so far) a solution must bring to be kept
_MIN_GAIN = 1e-9


def check_fair_params(
    prior: ArrayLike | None = None, objective: str = "worst_group", k: int | None = None
) -> tuple[tuple[float, ...] | None, str]:
    """``(prior, objective)`` validated: ``prior`` None (uniform) or ``k`` (if given) strictly
    positive finite numbers summing to 1 (within 1e-6), as given; ``objective`` one of
    :data:`OBJECTIVES`. Raises a ValueError of one sentence."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {list(OBJECTIVES)}, got {objective!r}")
    if prior is None:
        return None, objective
    try:
        pr = np.asarray(prior, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"prior must be a list of numbers, got {prior!r}") from None
    if pr.ndim != 1 or pr.size < 2 or not np.all(np.isfinite(pr)) or np.any(pr <= 0):
        raise ValueError(f"prior must be at least 2 strictly positive numbers, got {prior!r}")
    if k is not None and pr.size != k:
        raise ValueError(f"prior must have k = {k} entries (one per value), got {pr.size}")
    if abs(float(pr.sum()) - 1.0) > _PRIOR_SUM_TOLERANCE:
        raise ValueError(f"prior must sum to 1, got {prior!r} (sum {float(pr.sum()):.6g})")
    return tuple(float(p) for p in pr), objective


def protocol_name(prior: ArrayLike | None = None, objective: str = "worst_group") -> str:
    """The registry name of :class:`FairRR` with these parameters, e.g.
    ``fair_rr(prior=0.67,0.33)``; ``fair_rr`` for the defaults (floats by ``repr``: exact)."""
    pr, obj = check_fair_params(prior, objective)
    parts = [] if pr is None else ["prior=" + ",".join(repr(p) for p in pr)]
    parts += [] if obj == "worst_group" else [f"objective={obj}"]
    return FairRR.name + (f"({';'.join(parts)})" if parts else "")


def grr_matrix(epsilon: float, k: int) -> NDArray[np.float64]:
    """GRR's ``Q``: ``1 / (1 + (k-1) e^-eps)`` on the diagonal, ``e^-eps / (1 + (k-1) e^-eps)``
    elsewhere."""
    a = math.exp(-epsilon)
    q = np.full((k, k), a / (1.0 + (k - 1) * a))
    np.fill_diagonal(q, 1.0 / (1.0 + (k - 1) * a))
    return q


def ga_mechanism(epsilon: float, prior: ArrayLike) -> NDArray[np.float64]:
    """Binary closed form of Ghoukasian & Asoodeh (arXiv:2511.16377, 2025), as we read it: the
    minority ``m = argmin prior`` keeps its value with probability ``1 - e^-eps / 2``, the
    majority reports a fair coin. eps-LDP: the column ratios are ``e^eps`` and
    ``2 - e^-eps <= e^eps``."""
    pr = np.asarray(prior, dtype=float)
    if pr.shape != (2,):
        raise ValueError(f"the Ghoukasian & Asoodeh mechanism is binary: prior {prior!r}")
    m = int(np.argmin(pr))
    q = np.full((2, 2), 0.5)
    q[m, m] = 1.0 - 0.5 * math.exp(-epsilon)
    q[m, 1 - m] = 0.5 * math.exp(-epsilon)
    return q


def ldp_violation(q: ArrayLike, epsilon: float) -> float:
    """Largest violation of the constraints: ``max_{a,a',z} Q[a, z] - e^eps Q[a', z]``
    (computed as ``e^-eps Q[a, z] - Q[a', z]`` times ``e^eps``, finite at any eps), negative
    entries and row sums off 1."""
    qq = np.asarray(q, dtype=float)
    ratio = float(np.max(math.exp(-epsilon) * qq.max(axis=0) - qq.min(axis=0)))
    ratio *= math.exp(min(epsilon, 700.0))
    return max(ratio, float(-qq.min()), float(np.max(np.abs(qq.sum(axis=1) - 1.0))))


def _f_and_grad(
    q: NDArray[np.float64], pi: NDArray[np.float64], grad: bool = True
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """``f_a = n Var(hat pi_a) + pi_a^2 = sum_z W[z, a]^2 P_Z(z)`` (``W = Q^{-1}``) and, if
    asked, ``df[a, b, c] = d f_a / d Q[b, c] = -2 G[a, b] W[c, a] + pi_b W[c, a]^2``."""
    w = np.linalg.inv(q)
    pz = q.T @ pi
    g = w.T @ (pz[:, None] * w)
    f = np.diag(g).copy()
    if not grad:
        return f, None
    wt = w.T  # wt[a, c] = W[c, a]
    df = -2.0 * g[:, :, None] * wt[:, None, :] + pi[None, :, None] * (wt**2)[:, None, :]
    return f, df


def relative_variances(q: ArrayLike, prior: ArrayLike | None = None) -> NDArray[np.float64]:
    """``r_a = n Var(hat pi_a) / pi_a^2 = (sum_z (Q^{-T})[a, z]^2 P_Z(z) - pi_a^2) / pi_a^2``,
    ``P_Z = Q^T pi``: the relative variance of the recovered group frequency (``inf`` if
    ``Q`` is singular)."""
    qq = np.asarray(q, dtype=float)
    k = qq.shape[0]
    pi = np.full(k, 1.0 / k) if prior is None else np.asarray(prior, dtype=float)
    try:
        f, _ = _f_and_grad(qq, pi, grad=False)
    except np.linalg.LinAlgError:
        return np.full(k, np.inf)
    return f / pi**2 - 1.0


def objective_value(
    q: ArrayLike, prior: ArrayLike | None = None, objective: str = "worst_group"
) -> float:
    """``max_a r_a`` (``worst_group``) or ``sum_a pi_a r_a`` (``weighted``) of
    :func:`relative_variances`."""
    qq = np.asarray(q, dtype=float)
    pr, objective = check_fair_params(prior, objective, qq.shape[0])
    pi = np.full(qq.shape[0], 1.0 / qq.shape[0]) if pr is None else np.asarray(pr)
    r = relative_variances(qq, pi)
    return float(np.max(r)) if objective == "worst_group" else float(pi @ r)


@dataclass(frozen=True)
class FairMechanism:
    """A solution of :func:`optimal_mechanism`: the matrix ``Q``, its objective value, GRR's,
    whether ``Q`` came from the optimization (False: GRR kept) and the LDP violation."""

    Q: NDArray[np.float64]
    value: float
    grr_value: float
    optimized: bool
    violation: float


def _repair(q: NDArray[np.float64], epsilon: float) -> NDArray[np.float64]:
    """``Q`` onto the polytope: clip at 0, renormalize rows, then mix with the uniform mechanism
    ``U`` (ratio 1): ``(1 - lam) Q + lam U`` satisfies every ratio constraint once
    ``lam >= v / (v + (e^eps - 1) / k)`` with ``v`` the largest violation."""
    k = q.shape[0]
    q = np.clip(q, 0.0, None)
    q = q / q.sum(axis=1, keepdims=True)
    v = float(np.max(q.max(axis=0) - math.exp(min(epsilon, 700.0)) * q.min(axis=0)))
    if v > 0:
        lam = min(1.0, 1.000001 * v / (v + math.expm1(min(epsilon, 700.0)) / k) + 1e-15)
        q = (1.0 - lam) * q + lam / k
    return q


def _canonical(q: NDArray[np.float64]) -> NDArray[np.float64]:
    """Columns permuted to maximize the trace (the objective is invariant to it)."""
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(-q)
    out = np.empty_like(q)
    out[:, rows] = q[:, cols]
    return out


def _starts(epsilon: float, k: int, pi: NDArray[np.float64]) -> list[NDArray[np.float64]]:
    """GRR, Ghoukasian & Asoodeh (k = 2) and seeded post-processings ``Q_GRR S`` of GRR."""
    grr = grr_matrix(epsilon, k)
    out = [grr]
    if k == 2:
        out.append(ga_mechanism(epsilon, pi))
    rng = np.random.default_rng([_SEED, k])
    for lam in np.linspace(0.1, 0.6, N_RANDOM_STARTS):
        s = (1.0 - lam) * np.eye(k) + lam * rng.dirichlet(np.ones(k), size=k)
        out.append(grr @ s)
    return out


def _solve_from(
    q0: NDArray[np.float64], epsilon: float, pi: NDArray[np.float64], objective: str,
    scale: float,
) -> NDArray[np.float64] | None:  # fmt: skip
    """One SLSQP run from ``q0``; the raw solution (or None if it failed numerically)."""
    from scipy.optimize import minimize

    k = q0.shape[0]
    m = k * k
    worst = objective == "worst_group"
    e = math.exp(-epsilon)
    # linear constraints A x >= 0 on the vectorized Q (row-major): Q[a', z] - e^-eps Q[a, z]
    rows = []
    for z in range(k):
        for a in range(k):
            for b in range(k):
                if a != b:
                    r = np.zeros(m)
                    r[b * k + z] += 1.0
                    r[a * k + z] -= e
                    rows.append(r)
    ldp = np.array(rows)
    stoch = np.kron(np.eye(k), np.ones(k))  # row sums
    nv = m + 1 if worst else m
    pad = (lambda a: np.hstack([a, np.zeros((a.shape[0], 1))])) if worst else (lambda a: a)
    ldp_p, stoch_p = pad(ldp), pad(stoch)

    def fr(x: NDArray[np.float64], grad: bool):
        q = x[:m].reshape(k, k)
        f, df = _f_and_grad(q, pi, grad)
        return f / pi**2 / scale, None if df is None else df / (pi**2 * scale)[:, None, None]

    if worst:
        def fun(x):
            return x[m]

        def jac(x):
            g = np.zeros(nv)
            g[m] = 1.0
            return g

        def cons(x):
            return x[m] - fr(x, False)[0]

        def cons_jac(x):
            _, df = fr(x, True)
            return np.hstack([-df.reshape(k, m), np.ones((k, 1))])

        nonlinear = [{"type": "ineq", "fun": cons, "jac": cons_jac}]
        x0 = np.append(q0.ravel(), float(np.max(fr(q0.ravel(), False)[0])))
    else:
        def fun(x):
            return float(pi @ fr(x, False)[0])

        def jac(x):
            _, df = fr(x, True)
            return np.tensordot(pi, df, axes=1).ravel()

        nonlinear = []
        x0 = q0.ravel().copy()
    constraints = [
        {"type": "eq", "fun": lambda x: stoch_p @ x - 1.0, "jac": lambda x: stoch_p},
        {"type": "ineq", "fun": lambda x: ldp_p @ x, "jac": lambda x: ldp_p},
        *nonlinear,
    ]
    bounds = [(0.0, 1.0)] * m + ([(None, None)] if worst else [])
    try:
        with np.errstate(all="ignore"):
            res = minimize(fun, x0, jac=jac, method="SLSQP", bounds=bounds,
                           constraints=constraints, options={"maxiter": 500, "ftol": 1e-12})
    except (np.linalg.LinAlgError, ValueError):
        return None
    q = np.asarray(res.x[:m], dtype=float).reshape(k, k)
    return q if np.all(np.isfinite(q)) else None


@functools.lru_cache(maxsize=256)
def _solve(
    epsilon: float, k: int, prior: tuple[float, ...] | None, objective: str
) -> FairMechanism:
    pi = np.full(k, 1.0 / k) if prior is None else np.asarray(prior) / np.sum(prior)
    grr = grr_matrix(epsilon, k)
    grr_value = objective_value(grr, pi, objective)
    best, best_value = grr, grr_value
    if k <= MAX_OPTIMIZED_K and math.isfinite(grr_value):
        for q0 in _starts(epsilon, k, pi):
            raw = _solve_from(q0, epsilon, pi, objective, grr_value)
            for cand in (q0,) if raw is None else (q0, raw):
                q = _canonical(_repair(cand, epsilon))
                if ldp_violation(q, epsilon) > LDP_TOLERANCE:
                    continue
                v = objective_value(q, pi, objective)
                if v < best_value * (1.0 - _MIN_GAIN):  # a real gain, not a rounding one
                    best, best_value = q, v
    optimized = best is not grr
    best = best.copy()
    best.setflags(write=False)
    return FairMechanism(best, best_value, grr_value, optimized, ldp_violation(best, epsilon))


def optimal_mechanism(
    epsilon: float, k: int, prior: ArrayLike | None = None, objective: str = "worst_group"
) -> FairMechanism:
    """The eps-LDP ``Q`` (``k x k``) minimizing ``objective`` for the public ``prior`` (module
    docstring); cached per ``(eps, k, prior, objective)``. GRR if no start improves on it or
    ``k > MAX_OPTIMIZED_K``; always within :data:`LDP_TOLERANCE` of the constraints."""
    eps = check_epsilon(epsilon)
    k = check_domain_size(k)
    pr, obj = check_fair_params(prior, objective, k)
    with np.errstate(under="ignore"):  # e^-eps terms may underflow to 0: harmless
        return _solve(eps, k, pr, obj)


class FairRR(CodeReportsMixin, FrequencyProtocol):
    """Fairness-aware randomized response: ``Z ~ Q[A]`` with ``Q`` of :func:`optimal_mechanism`.

    Parameters
    ----------
    epsilon : float
        Privacy budget, finite and > 0.
    k : int
        Domain size, >= 2.
    prior : sequence of float, optional
        Public prior of the groups (``k`` positive numbers summing to 1); uniform by default.
    objective : str
        ``worst_group`` (default) or ``weighted`` (:data:`OBJECTIVES`).
    """

    name: ClassVar[str] = "fair_rr"
    #: the parameters a study may give (``protocol_params``)
    PARAMS: ClassVar[tuple[str, ...]] = ("prior", "objective")

    def __init__(
        self, epsilon: float, k: int, prior: ArrayLike | None = None,
        objective: str = "worst_group",
    ) -> None:  # fmt: skip
        super().__init__(epsilon, k)
        self.prior, self.objective = check_fair_params(prior, objective, self.k)
        self.name = protocol_name(self.prior, self.objective)  # type: ignore[misc]
        self.mechanism = optimal_mechanism(self.epsilon, self.k, self.prior, self.objective)
        self._cdf = np.cumsum(self.mechanism.Q, axis=1)
        with np.errstate(under="ignore"):
            self._inv = np.linalg.inv(self.mechanism.Q)  # W = Q^{-1}

    @classmethod
    def full_name(cls, prior: ArrayLike | None = None, objective: str = "worst_group") -> str:
        """The registry name with these parameters (:func:`protocol_name`), validated."""
        return protocol_name(prior, objective)

    def __repr__(self) -> str:
        return (f"FairRR(epsilon={self.epsilon!r}, k={self.k}, prior={self.prior!r}, "
                f"objective={self.objective!r})")  # fmt: skip

    @property
    def params(self) -> dict[str, Any]:
        m = self.mechanism
        return {**super().params, "prior": self.prior, "objective": self.objective,
                "optimized": m.optimized, "objective_value": m.value,
                "grr_objective_value": m.grr_value}  # fmt: skip

    @property
    def transition_matrix(self) -> NDArray[np.float64]:
        """``T[a, z] = Q[a, z] = P(report = z | value = a)`` (a copy)."""
        return np.array(self.mechanism.Q)

    def perturb(self, x: ArrayLike, rng: np.random.Generator) -> CodeReports:
        """``Z ~ Q[x]`` per user by inversion of one uniform draw: ``z = #{c : u >= cdf[x, c]}``
        over the first ``k - 1`` cumulative sums (one vectorized search per value)."""
        codes = check_codes(x, self.k)
        u = rng.random(codes.size)
        z = np.empty(codes.size, dtype=np.int64)
        for a in range(self.k):  # k searches, each vectorized over the users holding a
            sel = codes == a
            z[sel] = np.searchsorted(self._cdf[a, :-1], u[sel], side="right")
        return CodeReports(z, self.k)

    def support(self, reports: ArrayLike) -> NDArray[np.float64]:
        """Report counts ``C_z``."""
        return self.as_reports(reports).column_sums().astype(float)

    def sample_support(self, counts: ArrayLike, rng: np.random.Generator) -> NDArray[np.float64]:
        """Report counts ``sum_a Multinomial(n_a, Q[a])``: exactly those of real reports."""
        c = _check_counts(counts, self.k)
        return rng.multinomial(c, self.mechanism.Q).sum(axis=0).astype(float)

    def unbiased(self, support: ArrayLike, n: int) -> NDArray[np.float64]:
        """``hat f = Q^{-T} C / n`` (no clipping: may be < 0); ``support`` of shape ``(..., k)``."""
        n = check_n_users(n)
        with np.errstate(under="ignore"):
            return (np.asarray(support, dtype=float) / n) @ self._inv

    def estimate(
        self, reports: ArrayLike, method: str = "unbiased", **ibu_kwargs: Any
    ) -> NDArray[np.float64]:
        """Unbiased, simplex-projected or IBU estimate (the counts are sufficient for all)."""
        z = self.as_reports(reports)
        return self.estimate_from_support(self.support(z), len(z), method, **ibu_kwargs)

    def estimate_from_support(
        self, support: ArrayLike, n: int, method: str = "unbiased", **ibu_kwargs: Any
    ) -> NDArray[np.float64]:
        """Estimate from the report counts (sufficient, IBU included)."""
        check_n_users(n)
        if check_method(method) == "ibu":
            return ibu(self.mechanism.Q.T, support, **ibu_kwargs)
        f = self.unbiased(support, n)
        return project_simplex(f) if method == "simplex" else f

    def ibu_likelihood(self, reports: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return self.mechanism.Q.T, self.support(reports)

    def variance(self, f: ArrayLike, n: int) -> NDArray[np.float64]:
        """Exact variance of :meth:`unbiased` for a population of ``n`` users with frequencies
        ``f`` (the whole distribution, shape ``(k,)``; unlike GRR's it depends on all of it):
        ``Var(hat f_a) = (sum_z (Q^{-T})[a, z]^2 P_Z(z) - f_a) / n`` with ``P_Z = Q^T f``
        (each of the ``n f_b`` holders of ``b`` contributes ``Var((Q^{-T})[a, Z] | b)``, and
        ``sum_z Q[b, z] (Q^{-T})[a, z] = [a = b]``), evaluated without cancellation as
        ``sum_b f_b sum_z Q[b, z] ((Q^{-T})[a, z] - [a = b])^2 / n``."""
        n = check_n_users(n)
        ff = np.asarray(f, dtype=float)
        if ff.shape != (self.k,) or np.any(ff < 0) or abs(float(ff.sum()) - 1.0) > 1e-9:
            raise ValueError(f"f must be a distribution over the k = {self.k} values for "
                             f"{self.name}, whose variance depends on all of it; got {f!r}")
        with np.errstate(under="ignore"):
            d = self._inv[None, :, :] - np.eye(self.k)[:, None, :]  # d[b, z, a]
            return np.einsum("b,bz,bza->a", ff, self.mechanism.Q, d * d) / n
