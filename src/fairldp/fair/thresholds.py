"""Group-specific randomized thresholds on binned scores, fair on the TRUE attribute through a
known channel: the linear program of :class:`fairldp.fair.methods.CorrectedThreshold`.

The score ``S`` of a base model is cut into ``B`` bins (quantiles of the scores the policy is
estimated on) and a policy is a table ``h[z, b] = P(Yhat = 1 | Z = z, bin = b)``, non-decreasing
in ``b`` for every decoded group ``z``: a randomized mixture of thresholds, the policies of
Hardt, Price & Srebro (NeurIPS 2016; fairlearn's ``ThresholdOptimizer``), whose achievable
``(FPR, TPR)`` region per group is the convex hull of its ROC curve.

A user's report goes through the channel ``T[a, z] = P(Z = z | A = a)`` (independent of
``X, Y`` given ``A``) at fit *and* at prediction time, so the rate of the policy on the true
group ``a`` within labels ``L`` (``L = {y}`` for equalized odds, ``{0, 1}`` for demographic
parity) is linear in ``h``:

    ``gamma[a, L] = sum_{z, b} T[a, z] h[z, b] P(A=a, Y in L, b) / P(A=a, Y in L)``,

with ``P(A, Y, bin) = T^{-T} P(Z, Y, bin)`` recovered from the observed joint
(:meth:`fairldp.fair.noise.NoiseModel.recover`; unbiased, not projected). The program
maximizes the observed accuracy ``P(Y=0) + sum_{z, b} h[z, b] (P(z, 1, b) - P(z, 0, b))`` (no
inversion needed) subject to ``gamma[a, L] - gamma[a', L] <= tolerance`` for every pair of
groups and every ``L``, ``0 <= h <= 1`` and ``h[z, b] <= h[z, b + 1]``. With ``T = I`` it is
Hardt et al.'s program on the binned ROC curves; the constant policy is always feasible. It
is solved in the increments ``d[z, j] = h[z, j] - h[z, j - 1] >= 0`` (``sum_j d[z, j] <= 1``:
``k`` rows instead of ``k (B - 1)`` monotonicity rows), then a second LP returns the flattest
of the optimal policies (:func:`solve_policy`).

:func:`gap_standard_errors` gives the delta-method standard errors of the recovered gaps of a
fixed policy (multinomial sampling of the observed cells, amplified by ``T^{-T}``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "CONSTRAINTS",
    "FLOORS",
    "MINIMAX",
    "PARITY",
    "Policy",
    "bin_edges",
    "bin_index",
    "gap_standard_errors",
    "joint_table",
    "max_floor",
    "solve_policy",
]

#: parity constraint name -> the label sets ``L`` whose rates are equalized
PARITY: dict[str, tuple[tuple[int, ...], ...]] = {
    "equalized_odds": ((0,), (1,)),
    "demographic_parity": ((0, 1),),
}
#: per-group floors (levelling up instead of down: OxonFair, Delaney et al. 2024): every
#: group's recall (sensitivity), precision (PPV) or accuracy at least ``floor``
FLOORS = ("recall_floor", "precision_floor", "accuracy_floor")
#: minimax group error (Martinez, Bertran & Sapiro, ICML 2020; Diana et al. 2021): the
#: largest floor every group's accuracy can reach (:func:`max_floor`), then the accuracy
#: floor at it
MINIMAX = ("minimax_accuracy",)
#: every constraint of :func:`solve_policy`
CONSTRAINTS = (*PARITY, *FLOORS, *MINIMAX)


def _cells(constraint: str) -> tuple[tuple[int, ...], ...]:
    if constraint not in PARITY:
        raise ValueError(f"constraint must be one of {list(PARITY)}, got {constraint!r}")
    return PARITY[constraint]


def _floor_rows(p_a: NDArray[np.float64], t: NDArray[np.float64], constraint: str,
                floor: float, min_group_mass: float,
                ) -> tuple[list[NDArray[np.float64]], list[float], list[int]]:  # fmt: skip
    """Rows ``r . h <= c`` of the floor ``rate[a] >= floor`` of every group ``a`` with
    recovered mass (of positives for recall) at least ``min_group_mass``, and the groups left
    out. With ``q[a, y, b] = P(A=a, Y=y, bin=b)`` (recovered) and ``g[a] = sum_z T[a, z] h[z]``:

    - recall: ``sum_b g[a, b] q[a, 1, b] >= floor q[a, 1]``;
    - precision: ``sum_b g[a, b] (q[a, 1, b] - floor (q[a, 0, b] + q[a, 1, b])) >= 0``
      (``P(Yhat=1, Y=1 | a) >= floor P(Yhat=1 | a)``, linear; met by predicting no one);
    - accuracy: ``q[a, 0] + sum_b g[a, b] (q[a, 1, b] - q[a, 0, b]) >= floor q[a]``."""
    rows, bounds, left_out = [], [], []
    for a in range(p_a.shape[0]):
        pos, neg = p_a[a, 1], p_a[a, 0]
        mass = float(pos.sum() if constraint == "recall_floor" else pos.sum() + neg.sum())
        if not mass >= min_group_mass:
            left_out.append(a)
            continue
        if constraint == "recall_floor":
            w, c = pos / mass, -floor
        elif constraint == "precision_floor":
            w, c = (pos - floor * (pos + neg)) / mass, 0.0
        else:
            w, c = (pos - neg) / mass, float(neg.sum()) / mass - floor
        rows.append(-(t[a][:, None] * w[None, :]).ravel())  # -(rate part) <= c
        bounds.append(c)
    return rows, bounds, left_out


def _to_increments(coef: NDArray[np.float64], k: int, nb: int) -> NDArray[np.float64]:
    """Coefficients on ``h[z, b]`` as coefficients on the increments ``d[z, j]`` of
    ``h[z, b] = sum_{j <= b} d[z, j]``: ``sum_{b >= j} c[z, b]``."""
    c3 = coef.reshape(-1, k, nb)
    return np.flip(np.cumsum(np.flip(c3, axis=2), axis=2), axis=2).reshape(coef.shape)


def _pinned_bounds(k: int, nb: int, fixed: NDArray[np.float64] | None) -> NDArray[np.float64]:
    """Bounds of the increments: ``[0, 1]``, pinned rows of ``fixed`` exactly."""
    lo, hi = np.zeros((k, nb)), np.ones((k, nb))
    if fixed is not None:
        pin = ~np.isnan(fixed).any(axis=1)
        steps = np.diff(fixed[pin], axis=1, prepend=0.0)
        lo[pin] = hi[pin] = steps
    return np.column_stack([lo.ravel(), hi.ravel()])


def max_floor(
    p_zyb: NDArray[np.float64],
    transition: NDArray[np.float64] | None,
    rate: str = "accuracy",
    min_group_mass: float = 1e-3,
    fixed: NDArray[np.float64] | None = None,
) -> float:
    """The largest ``f`` such that some monotone policy gives every group (with recovered
    mass at least ``min_group_mass``) a recovered ``rate`` of at least ``f``:
    ``max_{h, f} f`` s.t. ``rate[a](h) >= f`` for every group (one LP; the minimax group
    error is ``1 - max_floor(..., "accuracy")``)."""
    from scipy.optimize import linprog

    k, _, nb = p_zyb.shape
    t = np.eye(k) if transition is None else np.asarray(transition, dtype=float)
    p_a = p_zyb if transition is None else np.linalg.solve(
        t.T, p_zyb.reshape(k, -1)).reshape(p_zyb.shape)  # fmt: skip
    rows, c0, _ = _floor_rows(p_a, t, f"{rate}_floor", 0.0, min_group_mass)
    if not rows:
        raise ValueError(f"no group has recovered mass >= {min_group_mass}")
    gaps = _to_increments(np.array(rows), k, nb)
    ones = np.kron(np.eye(k), np.ones((1, nb)))
    # variables (d, f): rows r . h + f <= c0 (rate[a] >= f), sum_j d[z, j] <= 1
    a_ub = np.vstack([np.column_stack([gaps, np.ones(len(rows))]),
                      np.column_stack([ones, np.zeros(k)])])  # fmt: skip
    b_ub = np.r_[np.asarray(c0, dtype=float), np.ones(k)]
    bounds = np.vstack([_pinned_bounds(k, nb, fixed), [[0.0, 1.0]]])
    c = np.zeros(k * nb + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if res.status != 0:
        raise ValueError(f"minimax LP failed: {res.message}")
    return float(res.x[-1])


def bin_edges(scores: ArrayLike, n_bins: int | None) -> NDArray[np.float64]:
    """Interior edges of (at most) ``n_bins`` quantile bins of ``scores``, duplicates removed
    (tied scores never straddle an edge); ``None``: one bin per distinct score."""
    s = np.asarray(scores, dtype=float)
    if n_bins is None:
        return np.unique(s)[:-1]
    if int(n_bins) < 1:
        raise ValueError(f"n_bins must be a positive integer or None, got {n_bins!r}")
    if s.size == 0:
        return np.empty(0)
    levels = np.arange(1, int(n_bins)) / int(n_bins)
    return np.unique(np.quantile(s, levels, method="inverted_cdf"))


def bin_index(scores: ArrayLike, edges: NDArray[np.float64]) -> NDArray[np.int64]:
    """Bin of each score: ``b`` such that ``edges[b-1] < s <= edges[b]`` (``len(edges) + 1``
    bins, increasing with the score)."""
    return np.searchsorted(edges, np.asarray(scores, dtype=float), side="left").astype(np.int64)


def joint_table(z: ArrayLike, y: ArrayLike, b: ArrayLike, k: int, n_bins: int) -> NDArray:
    """Empirical ``P(Z=z, Y=y, bin=b)``, shape ``(k, 2, n_bins)``."""
    out = np.zeros((k, 2, n_bins))
    np.add.at(out, (np.asarray(z), np.asarray(y), np.asarray(b)), 1.0)
    total = out.sum()
    return out / total if total > 0 else out


@dataclass(frozen=True)
class Policy:
    """A solved program: ``h[z, b]``; the recovered ``P(A, Y, bin)`` it was constrained on; the
    ``(group, labels)`` cells left out of the constraints (recovered mass below the floor);
    the best observed accuracy of the program (``h`` is within the slack of it)."""

    h: NDArray[np.float64]
    joint: NDArray[np.float64]
    excluded: list[tuple[int, tuple[int, ...]]]
    best_accuracy: float


def _rate_coefficients(
    p_a: NDArray[np.float64], t_test: NDArray[np.float64], labels: tuple[int, ...], a: int
) -> tuple[NDArray[np.float64], float]:
    """``coef[z, b]`` with ``gamma[a, labels] = sum coef * h``, and the mass ``P(A=a, Y in L)``."""
    w = p_a[a, list(labels)].sum(axis=0)  # (bins,)
    mass = float(w.sum())
    if not mass > 0:
        return np.zeros((t_test.shape[1], w.size)), mass
    return t_test[a][:, None] * w[None, :] / mass, mass


def solve_policy(
    p_zyb: NDArray[np.float64],
    transition: NDArray[np.float64] | None,
    *,
    constraint: str = "equalized_odds",
    tolerance: float = 0.0,
    min_group_mass: float = 1e-3,
    fixed: NDArray[np.float64] | None = None,
    accuracy_slack: float = 0.0,
    flatten: bool = True,
    floor: float = 0.0,
) -> Policy:
    """Solve the program of the module docstring on the observed joint ``p_zyb`` (``(k, 2, B)``,
    summing to one) through ``transition`` (``T``; ``None``: the identity, ``Z`` taken as
    ``A``).

    ``flatten``: then, among the feasible policies whose accuracy is within ``accuracy_slack``
    of the best, return the flattest (smallest ``sum_z max_b h[z] - min_b h[z]``; a second
    LP). The optimum is often a face: a group whose operating point lies strictly inside its
    ROC hull reaches it by many mixtures of thresholds, and the solver's vertex tends to mix
    extreme ones, whose rates are estimated with a larger variance than those of a constant
    blended with one threshold (fairlearn's choice at ``T = I``).

    ``constraint`` a floor of :data:`FLOORS` (``floor``: its value) instead of a parity: the
    accuracy is maximized subject to every group's recovered rate at least ``floor``
    (:func:`_floor_rows`), a program that improves the worst-off group rather than matching
    the groups; a floor no policy reaches raises ``ValueError`` (a precision floor never
    fails: predicting no one meets it). ``constraint`` ``minimax_accuracy``: the accuracy floor
    at the largest value every group can reach (:func:`max_floor`; minimax group error).

    ``fixed``: ``(k, B)``, NaN in the rows of free codes, a non-decreasing row of values in
    ``[0, 1]`` for a code to pin (codes without training rows). Cells ``(a, L)`` with
    recovered mass below ``min_group_mass`` are left out of the constraints with a
    ``UserWarning``. Raises ``ValueError`` if the LP fails (it cannot be infeasible when
    nothing is pinned: the constant policy is feasible).
    """
    from scipy.optimize import linprog

    k, _, nb = p_zyb.shape
    t = np.eye(k) if transition is None else np.asarray(transition, dtype=float)
    if transition is not None:
        p_a = np.linalg.solve(t.T, p_zyb.reshape(k, -1)).reshape(p_zyb.shape)
    else:
        p_a = p_zyb
    if constraint in MINIMAX:  # the accuracy floor at the best worst-group accuracy
        best_floor = max_floor(p_zyb, transition, constraint.split("_")[1], min_group_mass,
                               fixed)  # fmt: skip
        constraint, floor = f"{constraint.split('_')[1]}_floor", max(best_floor - 1e-7, 0.0)
    rows: list[NDArray[np.float64]] = []
    excluded: list[tuple[int, tuple[int, ...]]] = []
    floor_bounds: list[float] = []
    if constraint in FLOORS:
        rows, floor_bounds, left_out = _floor_rows(p_a, t, constraint, float(floor),
                                                   min_group_mass)  # fmt: skip
        excluded = [(a, (1,) if constraint == "recall_floor" else (0, 1)) for a in left_out]
    for labels in () if constraint in FLOORS else _cells(constraint):
        coefs = []
        for a in range(k):
            coef, mass = _rate_coefficients(p_a, t, labels, a)
            if not mass >= min_group_mass:
                excluded.append((a, labels))
                continue
            coefs.append(coef.ravel())
        for i in range(len(coefs)):
            for j in range(len(coefs)):
                if i != j:
                    rows.append(coefs[i] - coefs[j])
    if excluded:
        warnings.warn(
            f"groups (a, y) {[(a, None if len(lab) > 1 else lab[0]) for a, lab in excluded]} "
            f"have recovered mass < {min_group_mass} and are left out of the fairness "
            "constraints",
            UserWarning,
            stacklevel=3,
        )

    # monotone in the bin: solved in the increments d[z, j] >= 0, h[z, b] = sum_{j <= b} d[z, j]
    # with sum_j d[z, j] <= 1 (k rows instead of k (B - 1)); a coefficient c[z, b] of h is
    # sum_{b >= j} c[z, b] on d[z, j]
    def to_increments(coef: NDArray[np.float64]) -> NDArray[np.float64]:
        return _to_increments(coef, k, nb)

    gaps = to_increments(np.array(rows).reshape(-1, k * nb))
    ones = np.kron(np.eye(k), np.ones((1, nb)))
    a_ub = np.vstack([gaps, ones])
    limits = floor_bounds if constraint in FLOORS else [float(tolerance)] * len(rows)
    b_ub = np.r_[np.asarray(limits, dtype=float), np.ones(k)]
    bounds = _pinned_bounds(k, nb, fixed)
    c = to_increments(-(p_zyb[:, 1, :] - p_zyb[:, 0, :]).ravel())
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if res.status == 2 and constraint in FLOORS:
        raise ValueError(f"no policy gives every group {constraint.split('_')[0]} at least "
                         f"{floor:g} (the recovered rates of the training rows)")  # fmt: skip
    if res.status != 0:
        raise ValueError(f"threshold LP failed: {res.message}")
    best = -float(res.fun)  # accuracy - P(Y = 0)
    x = res.x
    if flatten:
        # second stage: among the policies within accuracy_slack of the best, the flattest
        # (smallest total range sum_z h[z, B-1] - h[z, 0] = sum_{z, j >= 1} d[z, j])
        flat = np.ones((k, nb))
        flat[:, 0] = 0.0
        res2 = linprog(flat.ravel(), A_ub=np.vstack([a_ub, c[None, :]]),
                       b_ub=np.r_[b_ub, -best + float(accuracy_slack) + 1e-9], bounds=bounds,
                       method="highs")  # fmt: skip
        if res2.status == 0:  # the first solution is feasible: only numerical trouble fails
            x = res2.x
    h = np.cumsum(x.reshape(k, nb), axis=1)
    return Policy(np.clip(h, 0.0, 1.0), p_a, excluded, best + float(p_zyb[:, 0].sum()))


def gap_standard_errors(
    h: NDArray[np.float64],
    p_zyb: NDArray[np.float64],
    transition: NDArray[np.float64] | None,
    n: int,
    constraint: str = "equalized_odds",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Recovered rate gaps ``gamma[a, L] - gamma[0, L]`` (shape ``(cells, k)``; column 0 is 0)
    of the fixed policy ``h`` and their delta-method standard errors for ``n`` observed rows.

    Row ``i`` in cell ``(z', y', b')`` has influence
    ``R[a, z'] [y' in L] (g[a, b'] - gamma[a, L]) / P(A=a, Y in L)`` on ``gamma[a, L]``, with
    ``R = T^{-T}`` and ``g[a] = sum_z T[a, z] h[z]`` the policy a member of ``a`` meets (NaN
    for a group whose recovered mass in the cell is 0)."""
    k = p_zyb.shape[0]
    t = np.eye(k) if transition is None else np.asarray(transition, dtype=float)
    r = np.linalg.inv(t.T)
    p_a = np.einsum("az,zyb->ayb", r, p_zyb)
    g = t @ h  # (k, bins)
    cells = _cells(constraint)
    gaps = np.zeros((len(cells), k))
    ses = np.zeros((len(cells), k))
    for c, labels in enumerate(cells):
        inl = np.isin(np.arange(2), labels).astype(float)
        w = p_a[:, list(labels)].sum(axis=1)  # (k, bins)
        mass = w.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            gam = (g * w).sum(axis=1) / mass
            infl = (r[:, :, None, None] * inl[None, None, :, None]
                    * ((g - gam[:, None]) / mass[:, None])[:, None, None, :])  # fmt: skip
        diff = infl - infl[:1]  # (k, z', y', b') influence of gamma[a] - gamma[0]
        mean = (diff * p_zyb).sum(axis=(1, 2, 3))
        var = ((diff**2) * p_zyb).sum(axis=(1, 2, 3)) - mean**2
        gaps[c] = gam - gam[0]
        ses[c] = np.sqrt(np.maximum(var, 0.0) / max(int(n), 1))
    return gaps, ses
