"""Closed forms that sit beside the simulations.

Three pieces, all vectorized over an array of privacy budgets ``epsilon``:

1. :func:`bayes_under_rr` / :func:`rr_thresholds`: the Bayes (population, infinite-sample)
   classifier learnt on training data whose protected attribute ``A`` went through k-ary
   randomized response (GRR), applied at test time to clean rows (the TRUE ``A`` is a
   feature), with its exact fairness and accuracy and the budgets at which it changes
   (Makhlouf, Stefanović, Arcolezi & Palamidessi, "A systematic and formal study of the
   impact of local differential privacy on fairness: preliminary results", arXiv:2405.14725,
   CSF 2024).
2. :func:`frequency_variance`: variance of the unbiased frequency estimate of each frequency
   oracle (Wang, Blocki, Li & Jha, "Locally differentially private protocols for frequency
   estimation", USENIX Security 2017). The formulas live in :mod:`fairldp.ldp` (each
   protocol's ``variance``); this is a vectorized front end, not a second implementation.
3. :func:`recover_group_rates`, :func:`rates_on_privatized` (and the SPD wrappers): a
   classifier's positive rates per true group recovered from rates counted per privatized
   group ``Z`` by inverting the channel ``T[a, z] = P(Z = z | A = a)`` (as
   :meth:`fairldp.fair.noise.NoiseModel.recover` does), and the forward map.

Bayes classifier under GRR
--------------------------
With ``e = e^eps``, GRR reports ``Z = A`` with probability ``e / (e + k - 1)`` and each other
value with probability ``1 / (e + k - 1)``, independently of ``(X, Y)`` given ``A``. For a
feature cell ``x`` and report ``z``, write ``D(a, x) = P(A=a, X=x, Y=1) - P(A=a, X=x, Y=0)``
and ``S(x) = sum_a D(a, x)``. Then ``(e + k - 1) (P(x, z, Y=1) - P(x, z, Y=0))
= (e - 1) D(z, x) + S(x)``, so ``P(Y=1 | x, z) - 1/2`` has the sign of
``(e^eps - 1) D(z, x) + S(x)``, which is LINEAR in ``t = e^eps - 1``: at most one root per cell,

    ``eps*(x, z) = ln(1 - S(x) / D(z, x)) = ln(-sum_{a != z} D(a, x) / D(z, x))``,

kept when it lies in ``(0, inf)``. For ``D(z, x) > 0`` the cell predicts 1 for
``eps > eps*`` (direction +1), for ``D(z, x) < 0`` for ``eps < eps*`` (direction -1); with
``D(z, x) = 0`` the sign is that of ``S(x)`` for every ``eps``. At ``eps = 0`` the classifier
is the unaware ``1[P(Y=1 | x) > 1/2]``; at ``eps = inf`` it is the non-private Bayes
classifier ``1[P(Y=1 | a, x) > 1/2]`` (the ``eps -> inf`` limit where ``P(A=z, X=x) = 0``).

Tie rule: ``h_eps(x, z) = 1`` iff ``P(Y=1 | x, z) > 1/2`` strictly, so a posterior of exactly
1/2 (at ``eps = eps*``, or ``D = S = 0``) and a cell with ``P(X=x) = 0`` predict 0. The
predictions are computed by comparing ``eps`` with the closed-form ``eps*``, so they change
exactly at the returned thresholds (at ``eps == eps*`` the cell predicts 0).

Test time: a person ``(x, a)`` gets ``h_eps(x, a)``. Fairness is measured on the true ``A``:
``SPD = P(h=1 | A=1) - P(h=1 | A=0)`` and ``EOD = TPR(A=1) - TPR(A=0)`` (signed, group order
= sorted values of ``A``) for binary ``A``; for ``k > 2`` groups the unsigned ``max - min``
over groups (fairlearn's ``between_groups``, as in :mod:`fairldp.metrics`). A rate undefined
for some group (no mass, or no positives for TPR) is NaN and makes the difference NaN.

Running example (:func:`fairldp.datasets.synthetic.makhlouf_2024_example`: ``P(A=0) = 0.3``,
``X`` uniform and independent of ``A``, ``Y = 1[A=1 and X=1]``): the only cell that changes
is ``(x=1, z=0)``, with ``D(0, 1) = -0.15`` and ``D(1, 1) = 0.35``, so
``eps* = ln(0.35 / 0.15) = ln(7/3) ~= 0.8473`` (which equals ``ln(P(A=1) / P(A=0))``
here). Below it ``h(x, z) = x`` (SPD 0, accuracy 0.85); from it on ``h(x, z) = x z``
(SPD 0.5, accuracy 1); TPR of ``A = 0`` is undefined (no positives), so EOD is NaN. We could
not read the body of the paper (only its abstract was reachable), so we do not quote a value
stated there. The authors' companion code (github.com/KarimaMakhlouf/
Systematic_study_privacy_fairness, notebook ``1_Synthetic1.ipynb``, section "Computation of
the epsilon where the change starts (theoritically)", same ``P(A)`` and ``X``) computes
``ln(-D1/D0) = 0.8472978603872037`` from cell counts (printed for the variant
``Y = 1[A=1 or X=1]``, whose changing cell is ``(x=0, z=0)``, same value) and
``ln(P(A=1) / P(A=0))``, the same number.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from fairldp.datasets.synthetic import as_joint_table
from fairldp.fair.noise import NoiseModel
from fairldp.ldp.base import FrequencyProtocol
from fairldp.ldp.registry import get_protocol

__all__ = [
    "BayesUnderRR",
    "bayes_under_rr",
    "frequency_variance",
    "group_disparity",
    "grr_transition",
    "rates_on_privatized",
    "recover_group_rates",
    "rr_thresholds",
    "spd_on_privatized",
    "spd_on_true",
]

#: tolerance on the row sums of a transition matrix given as an array
_ROW_TOL = 1e-9


# ----------------------------------------------------------------------------- helpers


def _check_epsilon(epsilon: ArrayLike) -> NDArray[np.float64]:
    """Budgets as a 1-D float array, each in ``[0, inf]`` (``inf``: no privacy)."""
    eps = np.atleast_1d(np.asarray(epsilon, dtype=float))
    if eps.ndim != 1 or eps.size == 0:
        raise ValueError(
            f"epsilon must be a scalar or a non-empty 1-D array, got shape {eps.shape}"
        )
    if np.any(np.isnan(eps)) or np.any(eps < 0):
        raise ValueError(f"epsilon must lie in [0, inf], got {epsilon!r}")
    return eps


def group_disparity(rates: ArrayLike) -> NDArray[np.float64]:
    """Difference of per-group rates along the last axis (groups in sorted order).

    Two groups: the signed ``rates[..., 1] - rates[..., 0]``. More: the unsigned
    ``max - min`` over groups. NaN if any group's rate is NaN.
    """
    r = np.asarray(rates, dtype=float)
    if r.ndim == 0 or r.shape[-1] < 2:
        raise ValueError(f"rates need a last axis of >= 2 groups, got shape {r.shape}")
    if r.shape[-1] == 2:
        return r[..., 1] - r[..., 0]
    return r.max(axis=-1) - r.min(axis=-1)  # NaN propagates


def _ratio(num: NDArray[np.float64], den: NDArray[np.float64]) -> NDArray[np.float64]:
    """``num / den``, NaN where ``den == 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


@dataclass(frozen=True)
class _Joint:
    """A joint P(A, X, Y) as an array ``p[a, x, y]`` over sorted groups and feature cells."""

    p: NDArray[np.float64]  # (k, m, 2)
    groups: tuple[Hashable, ...]
    cells: pd.DataFrame  # m rows, one column per feature variable


def _joint(
    table: Mapping[tuple[Hashable, ...], float] | pd.DataFrame,
    a: str,
    y: str,
    columns: Sequence[str],
) -> _Joint:
    tidy = as_joint_table(table, columns)
    variables = [c for c in tidy.columns if c != "p"]
    for name, role in ((a, "a"), (y, "y")):
        if name not in variables:
            raise ValueError(f"{role}={name!r} is not a variable of the table {variables}")
    if a == y:
        raise ValueError("a and y must be different columns")
    yv = tidy[y].to_numpy()
    try:
        ok = bool(np.all(np.isin(yv, [0, 1])))
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"column {y!r} must hold 0 or 1 (1 = positive), got {sorted(set(yv))}")
    a_codes, groups = pd.factorize(tidy[a], sort=True)
    if len(groups) < 2:
        raise ValueError(f"column {a!r} needs at least 2 groups, has {list(groups)}")
    features = [c for c in variables if c not in (a, y)]
    if features:
        grouped = tidy.groupby(features, sort=True, dropna=False)
        x_codes = grouped.ngroup().to_numpy()
        cells = grouped.size().index.to_frame(index=False)
    else:
        x_codes = np.zeros(len(tidy), dtype=np.int64)
        cells = pd.DataFrame(index=range(1))
    p = np.zeros((len(groups), len(cells), 2))
    np.add.at(p, (a_codes, x_codes, yv.astype(np.int64)), tidy["p"].to_numpy())
    return _Joint(p=p, groups=tuple(groups.tolist()), cells=cells)


def _crossings(p: NDArray[np.float64]) -> tuple[NDArray, NDArray, NDArray]:
    """Per cell ``(x, z)``, shape ``(m, k)``: ``D(z, x)``, ``S(x)`` and the budget
    ``eps_c`` with ``h = 1`` iff ``eps > eps_c`` (``D > 0``) or ``eps < eps_c`` (``D < 0``);
    ``eps_c = ln(1 - S/D)`` when ``-S/D > 0``, else 0 (``S = 0``) or ``-inf``."""
    d = (p[..., 1] - p[..., 0]).T  # (m, k): D(z, x)
    s = d.sum(axis=1, keepdims=True)  # (m, 1): S(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(d != 0, -s / np.where(d != 0, d, 1.0), np.nan)  # root in t = e^eps - 1
        eps_c = np.where(t > 0, np.log1p(np.where(t > 0, t, 0.0)), np.where(t == 0, 0.0, -np.inf))
    return d, np.broadcast_to(s, d.shape), eps_c


# --------------------------------------------------------------- Bayes classifier under GRR


@dataclass(frozen=True, eq=False)
class BayesUnderRR:
    """The Bayes classifier learnt on GRR-privatized ``A``, evaluated on the true ``A``.

    Shapes: ``E`` budgets, ``m`` feature cells, ``k`` groups (sorted values of ``A``).

    - ``posterior[e, x, z] = P(Y=1 | X=x, Z=z)`` on the privatized training distribution
      (NaN where ``P(X=x, Z=z) = 0``);
    - ``predictions[e, x, z] = h_eps(x, z)`` (int8; 1 iff the posterior is > 1/2);
    - ``selection_rate[e, a] = P(h=1 | A=a)``, ``tpr[e, a] = P(h=1 | Y=1, A=a)``,
      ``fpr[e, a] = P(h=1 | Y=0, A=a)`` on clean test rows (``h(x, a)``);
    - ``spd``, ``eod`` (:func:`group_disparity` of ``selection_rate``, ``tpr``) and
      ``accuracy = P(h = Y)``, shape ``(E,)``;
    - ``thresholds``: sorted distinct ``eps*`` in ``(0, inf)`` at which some prediction of
      a cell with ``P(X=x) > 0`` changes (details per cell: :func:`rr_thresholds`).
    """

    epsilon: NDArray[np.float64]
    groups: tuple[Hashable, ...]
    cells: pd.DataFrame
    posterior: NDArray[np.float64]
    predictions: NDArray[np.int8]
    selection_rate: NDArray[np.float64]
    tpr: NDArray[np.float64]
    fpr: NDArray[np.float64]
    spd: NDArray[np.float64]
    eod: NDArray[np.float64]
    accuracy: NDArray[np.float64]
    thresholds: NDArray[np.float64]


def grr_transition(epsilon: ArrayLike, k: int) -> NDArray[np.float64]:
    """``T[e, a, z] = P(Z=z | A=a)`` of GRR for each budget, shape ``(E, k, k)``.

    ``p = 1 / (1 + (k-1) e^-eps)`` on the diagonal and ``q = e^-eps / (1 + (k-1) e^-eps)``
    elsewhere: the form of :class:`fairldp.ldp.grr.GRR` (identical values), extended to
    ``eps = 0`` (uniform) and ``eps = inf`` (identity).
    """
    eps = _check_epsilon(epsilon)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 2:
        raise ValueError(f"k must be an integer >= 2, got {k!r}")
    a = np.exp(-eps)[:, None, None]
    den = 1.0 + (k - 1) * a
    eye = np.eye(k, dtype=bool)
    return np.where(eye, 1.0 / den, a / den)


def bayes_under_rr(
    table: Mapping[tuple[Hashable, ...], float] | pd.DataFrame,
    epsilon: ArrayLike,
    *,
    a: str = "A",
    y: str = "Y",
    columns: Sequence[str] = ("A", "X", "Y"),
) -> BayesUnderRR:
    """Exact Bayes classifier on GRR-privatized ``A`` and its test metrics on the true ``A``.

    ``table``: a joint probability table (see
    :func:`fairldp.datasets.synthetic.as_joint_table`; ``columns`` names the key entries of a
    mapping); ``a`` the protected column, ``y`` the binary label (1 positive); every other
    variable is a feature, the feature cells being its observed value combinations.
    ``epsilon``: budgets in ``[0, inf]``. GRR with ``k`` = number of values of ``a`` is
    applied to the training rows only; see the module docstring for the closed form, the
    tie rule and the fairness definitions.
    """
    eps = _check_epsilon(epsilon)
    j = _joint(table, a, y, columns)
    p = j.p
    k = p.shape[0]

    # posterior P(Y=1 | x, z): numerators p P(z, x, y) + q (S_y(x) - P(z, x, y))
    t = grr_transition(eps, k)  # (E, k, k)
    own, other = t[:, 0, 0][:, None, None], t[:, 0, 1][:, None, None]
    pz = np.transpose(p, (2, 1, 0))  # (2, m, k): P(A=z, X=x, Y=y)
    s_y = pz.sum(axis=2, keepdims=True)  # (2, m, 1)
    num = own[:, None] * pz[None] + other[:, None] * (s_y[None] - pz[None])  # (E, 2, m, k)
    posterior = _ratio(num[:, 1], num[:, 0] + num[:, 1])

    # predictions from the closed-form crossing, so that they change exactly at eps*
    d, s, eps_c = _crossings(p)
    e = eps[:, None, None]
    pred = np.where(d > 0, e > eps_c, np.where(d < 0, e < eps_c, s > 0))
    px = p.sum(axis=(0, 2))  # (m,)
    pred &= (px > 0)[None, :, None]
    h = pred.astype(np.int8)

    # test time: person (x, a) gets h(x, a)
    hf = pred.astype(float)
    p_ax = p.sum(axis=2)  # (k, m)
    sel = _ratio(np.einsum("am,ema->ea", p_ax, hf), p_ax.sum(axis=1)[None])
    tpr = _ratio(np.einsum("am,ema->ea", p[..., 1], hf), p[..., 1].sum(axis=1)[None])
    fpr = _ratio(np.einsum("am,ema->ea", p[..., 0], hf), p[..., 0].sum(axis=1)[None])
    acc = p[..., 0].sum() + np.einsum("am,ema->e", p[..., 1] - p[..., 0], hf)

    live = (px > 0)[:, None] & (d != 0) & np.isfinite(eps_c) & (eps_c > 0)
    return BayesUnderRR(
        epsilon=eps,
        groups=j.groups,
        cells=j.cells,
        posterior=posterior,
        predictions=h,
        selection_rate=sel,
        tpr=tpr,
        fpr=fpr,
        spd=group_disparity(sel),
        eod=group_disparity(tpr),
        accuracy=acc,
        thresholds=np.unique(eps_c[live]),
    )


def rr_thresholds(
    table: Mapping[tuple[Hashable, ...], float] | pd.DataFrame,
    *,
    a: str = "A",
    y: str = "Y",
    columns: Sequence[str] = ("A", "X", "Y"),
) -> pd.DataFrame:
    """Every budget ``eps*`` in ``(0, inf)`` at which ``h_eps(x, z)`` changes, one row per cell.

    ``eps* = ln(-sum_{a != z} D(a, x) / D(z, x))`` (module docstring). Columns: the feature
    variables, ``z`` (value of the report), ``epsilon``, ``direction`` (+1: the cell predicts
    1 above ``eps*``, 0 below; -1: the reverse) and ``weight = P(A=z, X=x)``, the test-time
    mass of the cell (a threshold of a cell of weight 0 leaves the test metrics unchanged).
    Cells with ``P(X=x) = 0`` are left out. Sorted by ``epsilon``.
    """
    j = _joint(table, a, y, columns)
    d, _, eps_c = _crossings(j.p)
    px = j.p.sum(axis=(0, 2))
    live = (px > 0)[:, None] & (d != 0) & np.isfinite(eps_c) & (eps_c > 0)
    xi, zi = np.nonzero(live)
    out = j.cells.iloc[xi].reset_index(drop=True)
    out["z"] = [j.groups[i] for i in zi]
    out["epsilon"] = eps_c[xi, zi]
    out["direction"] = np.sign(d[xi, zi]).astype(np.int8)
    out["weight"] = j.p.sum(axis=2)[zi, xi]
    return out.sort_values("epsilon", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------- frequency-oracle variances


def frequency_variance(
    protocol: str | Callable[[float, int], FrequencyProtocol],
    epsilon: ArrayLike,
    k: int,
    f: ArrayLike = 0.0,
    n: int = 1,
    *,
    counts: bool = False,
) -> NDArray[np.float64]:
    """Exact variance of the unbiased frequency estimate, shape ``(E, *f.shape)``.

    For a pure protocol with support probabilities ``p*`` (own value) and ``q*`` (any other)
    (Wang et al., USENIX Security 2017, pure protocols):

        ``Var[f_hat] = q*(1-q*) / (n (p*-q*)^2) + f (1-p*-q*) / (n (p*-q*))``

    (normalized frequency, the default) or, with ``counts=True``, of the count estimate
    ``n f_hat``: ``n^2 Var[f_hat] = n q*(1-q*)/(p*-q*)^2 + n f (1-p*-q*)/(p*-q*)``. GRR:
    ``p* = e^eps/(e^eps+k-1)``, ``q* = 1/(e^eps+k-1)``; SUE: ``p* = e^{eps/2}/(e^{eps/2}+1)``,
    ``q* = 1 - p*``; OUE: ``1/2``, ``1/(e^eps+1)`` (``4 e^eps / (n (e^eps-1)^2)`` at
    ``f = 0``); BLH/OLH (``g = 2`` / ``round(e^eps)+1``): ``p* = e^eps/(e^eps+g-1)``,
    ``q* ~= 1/g`` (exactly, with the collision probability of the hash family); SS, THE and
    SHE as in their classes.

    Not a second implementation: each budget's value is the protocol's own
    :meth:`~fairldp.ldp.base.FrequencyProtocol.variance` (``protocol`` is a name of
    :data:`fairldp.ldp.PROTOCOLS` or a factory ``(epsilon, k) -> protocol``, e.g.
    ``functools.partial(LocalHashing, g=8)``), so budgets must lie in the protocols' range
    ``[1e-6, 1000]``. One protocol object is built per budget (a short loop over the grid).
    """
    eps = _check_epsilon(epsilon)

    def build(e: float) -> FrequencyProtocol:
        if isinstance(protocol, str):
            return get_protocol(protocol, e, k)
        return protocol(e, k)

    scale = float(n) ** 2 if counts else 1.0
    return np.stack([build(float(e)).variance(f, n) * scale for e in eps])


# --------------------------------------------------------- rates through a known channel


def _channel(channel: NoiseModel | ArrayLike) -> NDArray[np.float64]:
    """The transition matrix ``T[..., a, z]`` of a :class:`NoiseModel` or an array."""
    t = np.asarray(channel.T if isinstance(channel, NoiseModel) else channel, dtype=float)
    if t.ndim < 2 or t.shape[-1] != t.shape[-2] or t.shape[-1] < 2:
        raise ValueError(f"channel must be a (..., k, k) transition matrix, got shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("channel entries must be finite and >= 0")
    err = float(np.max(np.abs(t.sum(axis=-1) - 1.0)))
    if err > _ROW_TOL:
        raise ValueError(f"channel rows must sum to 1 (P(Z | A)), off by {err:.3g}")
    return t


def _prior(prior: ArrayLike, k: int) -> NDArray[np.float64]:
    pr = np.asarray(prior, dtype=float)
    if pr.ndim == 0 or pr.shape[-1] != k or not np.all(np.isfinite(pr)) or np.any(pr < 0):
        raise ValueError(f"prior must be non-negative with a last axis of {k} groups")
    tot = pr.sum(axis=-1, keepdims=True)
    if np.any(tot <= 0):
        raise ValueError("prior must have positive mass")
    return pr / tot


def _solve_t(t: NDArray[np.float64], c: NDArray[np.float64], channel: Any) -> NDArray:
    """``n`` with ``c = T^T n`` (axis -1 is ``Z`` in ``c``, ``A`` in ``n``)."""
    if isinstance(channel, NoiseModel) and t.ndim == 2:
        # NoiseModel.recover: axis 0 is Z, any further axes are other variables
        return np.moveaxis(channel.recover(np.moveaxis(c, -1, 0)), 0, -1)
    tt = np.swapaxes(t, -1, -2)
    shape = np.broadcast_shapes(tt.shape[:-2], c.shape[:-1])
    k = t.shape[-1]
    tt = np.broadcast_to(tt, (*shape, k, k))
    cc = np.broadcast_to(c, (*shape, k))[..., None]
    return np.linalg.solve(tt, cc)[..., 0]


def recover_group_rates(
    positives: ArrayLike,
    totals: ArrayLike,
    channel: NoiseModel | ArrayLike,
    prior: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Positive rates per TRUE group, ``P(Yhat=1 | A=a)``, from counts per privatized ``Z``.

    ``positives[..., z]``: predictions ``Yhat = 1`` among rows with ``Z = z``; ``totals[...,
    z]``: rows with ``Z = z``; ``channel``: a :class:`fairldp.fair.noise.NoiseModel` (its
    exact ``T`` and :meth:`~fairldp.fair.noise.NoiseModel.recover`) or ``T[..., a, z] =
    P(Z=z | A=a)`` (stacked channels broadcast, e.g. :func:`grr_transition` over budgets).
    Assuming ``Z`` independent of ``Yhat`` given ``A`` (the report is drawn from ``A``
    alone): ``c_pos = T^T n_pos`` and ``c_tot = T^T n_tot``, so ``n = T^{-T} c``
    (Lamy et al., NeurIPS 2019; Mozannar et al., ICML 2020) and the rate is
    ``n_pos[a] / n_tot[a]``, or ``n_pos[a] / (N prior[a])`` if the group prior is known
    (``N = sum_z totals``). Exact for expected counts; a ratio of unbiased estimates for
    observed ones (not clipped: may leave ``[0, 1]`` at small budgets; NaN where the
    recovered group size is ``<= 0``).
    """
    t = _channel(channel)
    k = t.shape[-1]
    pos = np.asarray(positives, dtype=float)
    tot = np.asarray(totals, dtype=float)
    if pos.ndim == 0 or tot.ndim == 0 or pos.shape[-1] != k or tot.shape[-1] != k:
        raise ValueError(f"positives and totals need a last axis of {k} privatized groups")
    if np.any(pos < 0) or np.any(pos > tot):
        raise ValueError("need 0 <= positives <= totals")
    n_pos = _solve_t(t, pos, channel)
    if prior is None:
        den = _solve_t(t, tot, channel)
    else:
        den = _prior(prior, k) * tot.sum(axis=-1, keepdims=True)
    return _ratio(n_pos, den)


def spd_on_true(
    positives: ArrayLike,
    totals: ArrayLike,
    channel: NoiseModel | ArrayLike,
    prior: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """:func:`group_disparity` of :func:`recover_group_rates`: the SPD on the true ``A``
    implied by a classifier's counts per privatized group."""
    return group_disparity(recover_group_rates(positives, totals, channel, prior))


def rates_on_privatized(
    rates: ArrayLike, channel: NoiseModel | ArrayLike, prior: ArrayLike
) -> NDArray[np.float64]:
    """Expected positive rates per privatized group, ``P(Yhat=1 | Z=z)``, from the true ones.

    With ``Yhat`` independent of ``Z`` given ``A``:
    ``P(Yhat=1 | Z=z) = sum_a prior[a] T[a, z] rates[a] / sum_a prior[a] T[a, z]``
    (``T`` and ``prior`` broadcast over leading axes; NaN for a ``z`` of probability 0).
    For binary GRR with a uniform prior the SPD shrinks by ``p - q = tanh(eps / 2)``.
    """
    t = _channel(channel)
    k = t.shape[-1]
    r = np.asarray(rates, dtype=float)
    if r.ndim == 0 or r.shape[-1] != k:
        raise ValueError(f"rates need a last axis of {k} groups")
    w = _prior(prior, k)[..., :, None] * t  # P(A=a, Z=z): (..., k, k)
    num = np.einsum("...az,...a->...z", w, r)
    return _ratio(num, w.sum(axis=-2))


def spd_on_privatized(
    rates: ArrayLike, channel: NoiseModel | ArrayLike, prior: ArrayLike
) -> NDArray[np.float64]:
    """:func:`group_disparity` of :func:`rates_on_privatized`: the SPD one expects to
    measure on ``Z`` for a classifier with the given true-group rates."""
    return group_disparity(rates_on_privatized(rates, channel, prior))
