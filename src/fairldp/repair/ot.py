"""Optimal-transport repair of numeric features, from true or privatized groups.

Total repair maps every group-conditional distribution ``mu_a = P(X | A=a)`` onto their
Wasserstein-2 barycenter ``nu = argmin sum_a pi_a W_2^2(mu_a, nu)`` with ``pi_a = P(A=a)``, so the
repaired features are independent of ``A`` (Gordaliza, del Barrio, Fabrice & Loubes, ICML 2019,
"Obtaining fairness using optimal transport theory"); partial repair moves each point a fraction
``lambda`` of the way along its transport path (geometric repair, Feldman, Friedler, Moeller,
Scheidegger & Venkatasubramanian, KDD 2015):

    ``x -> (1 - lambda) x + lambda T_a(x)``.

- :class:`QuantileRepair`: per feature, in 1-D, ``T_a = Q_nu o F_a`` with the barycenter
  quantile function ``Q_nu(u) = sum_b pi_b Q_b(u)`` (exact in 1-D).
- :class:`OTRepair`: the numeric block jointly, with exact discrete plans (POT ``ot.emd``) from
  each group's subsample to a free-support barycenter (``ot.lp.free_support_barycenter``).

When only a privatized label ``Z`` with channel ``T[a, z] = P(Z=z | A=a)`` is known, the group
distributions are estimated by :func:`fairldp.repair.groups.group_weights` (``groups=`` one of
``"naive"``, ``"deconvolution"``, ``"posterior"``) and a row's map is the average of the group
maps weighted by its posterior ``r[i, a] = P(A=a | z_i, x_i)``
(:class:`~fairldp.repair.groups.GroupPosterior`):

    ``x_i -> (1 - lambda) x_i + lambda sum_a r[i, a] T_a(x_i)``;

with ``groups="true"`` (or ``"naive"``) ``r`` is one-hot and this is the plain repair.
Transforms are row-wise and deterministic given the fitted state, and
``fit_transform(X, sensitive_features=g) == fit(X, sensitive_features=g).transform(X,
sensitive_features=g)``: a training row gets the same output in or out of sample.

Both are scikit-learn transformers; the group is the keyword-only ``sensitive_features=``
(fairlearn's name), requested by default when metadata routing is enabled, so that
``make_pipeline(QuantileRepair(), LogisticRegression())`` gets it routed by
``fit(X, y, sensitive_features=g)`` and ``predict(X, sensitive_features=g)``; a call without it
raises :class:`~fairldp._sklearn.MissingGroupError` (the label is never taken as the group).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, OneToOneFeatureMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from fairldp._sklearn import GroupTransformerMixin, check_sensitive_features
from fairldp.repair.groups import (
    GROUP_METHODS,
    GroupPosterior,
    check_groups,
    check_transition,
    deconvolution_weights,
)
from fairldp.repair.groups import _isotonic_cdf_weights as isotonic_cdf_weights

__all__ = ["OTRepair", "QuantileRepair"]

RandomState = int | np.random.SeedSequence | np.random.Generator | None


# ----- shared helpers -----------------------------------------------------------------------
def _check_amount(amount: float) -> float:
    a = float(amount)
    if not 0.0 <= a <= 1.0:  # also rejects NaN
        raise ValueError(f"amount must lie in [0, 1], got {amount!r}")
    return a


def _n_groups(g: ArrayLike, transition: ArrayLike | None) -> int:
    if transition is not None:
        return check_transition(transition).shape[0]
    a = np.asarray(g)
    if a.size == 0:
        raise ValueError("g is empty")
    k = int(np.nanmax(a)) + 1 if a.dtype.kind in "iubf" else 0
    if k < 2:
        raise ValueError("need at least 2 groups (codes 0..k-1); pass transition to fix k")
    return k


def _make_rngs(random_state: RandomState, n: int) -> list[np.random.Generator]:
    """``n`` independent generators spawned from a :class:`numpy.random.SeedSequence`."""
    if isinstance(random_state, np.random.Generator):
        return list(random_state.spawn(n))
    ss = (
        random_state
        if isinstance(random_state, np.random.SeedSequence)
        else np.random.SeedSequence(random_state)
    )
    return [np.random.default_rng(c) for c in ss.spawn(n)]



def import_pot() -> Any:
    """POT (``import ot``) with its array backends other than NumPy (PyTorch, JAX, CuPy,
    TensorFlow) left unloaded unless the environment says otherwise: fairldp hands POT NumPy
    arrays only, and loading PyTorch (installed with the extra ``dpsgd``) cost about 4.6 s per
    process that repairs."""
    for key in ("POT_BACKEND_DISABLE_PYTORCH", "POT_BACKEND_DISABLE_JAX",
                "POT_BACKEND_DISABLE_CUPY", "POT_BACKEND_DISABLE_TENSORFLOW"):  # fmt: skip
        os.environ.setdefault(key, "1")
    import ot

    return ot

class _GroupRepairBase(OneToOneFeatureMixin, GroupTransformerMixin, BaseEstimator):
    """Validation, group posteriors and the row mixing shared by the two repairs
    (``fit_transform(X, sensitive_features=g) == fit(...).transform(X, sensitive_features=g)``:
    in-sample output equals out-of-sample output)."""

    amount: float
    groups: str
    transition: ArrayLike | None

    def _check_x(self, X: Any, reset: bool) -> NDArray[np.float64]:
        x = validate_data(
            self, X, reset=reset, dtype=np.float64, ensure_min_samples=2 if reset else 1
        )
        if x.shape[1] == 0:  # pragma: no cover - validate_data refuses 0 features
            raise ValueError(f"X is empty: shape {x.shape}")
        return x

    def _fit_groups(
        self, X: Any, g: ArrayLike | None
    ) -> tuple[NDArray[np.float64], NDArray[np.intp], int]:
        _check_amount(self.amount)
        if self.groups not in GROUP_METHODS:
            raise ValueError(f"groups must be one of {GROUP_METHODS}, got {self.groups!r}")
        x = self._check_x(X, reset=True)
        g = check_sensitive_features(g, x.shape[0], self, "fit")
        k = _n_groups(g, self.transition)
        gg = check_groups(g, k, n=x.shape[0])
        use_x = self.groups in ("deconvolution", "posterior")
        self.posterior_ = GroupPosterior(self.groups, k, self.transition).fit(
            x if use_x else None, sensitive_features=gg
        )
        self.n_groups_ = k
        self.pi_ = self.posterior_.pi_
        return x, gg, k

    def _row_weights(self, x: NDArray[np.float64], g: ArrayLike | None) -> NDArray[np.float64]:
        g = check_sensitive_features(g, x.shape[0], self, "transform")
        gg = check_groups(g, self.n_groups_, n=x.shape[0])
        use_x = self.groups in ("deconvolution", "posterior")
        return self.posterior_.predict_proba(x if use_x else None, sensitive_features=gg)

    def _check_transform_input(self, X: Any) -> NDArray[np.float64]:
        check_is_fitted(self, "posterior_")
        _check_amount(self.amount)
        return self._check_x(X, reset=False)


# ----- 1-D quantile repair ------------------------------------------------------------------
class QuantileRepair(_GroupRepairBase):
    """Per-feature 1-D Wasserstein-barycenter repair (Gordaliza et al. 2019; Feldman et al. 2015).

    For each feature and group ``a`` the fitted (weighted) empirical distribution is stored as a
    piecewise-linear CDF ``F_a`` through ``(x_(j), c_j - w_j / 2)`` (the mid-point of each jump,
    i.e. plotting positions ``(r - 1/2) / n_a`` for distinct values with uniform weights) and its
    inverse ``Q_a``. The group map is ``T_a(x) = sum_b pi_b Q_b(F_a(x))`` (barycenter quantile
    at the point's group rank); ``Q_a o F_a`` is the identity on the fitted values. New values
    outside a group's fitted range get the extreme ranks (``np.interp`` clamps). Tied values
    share one rank (deterministic; no random tie-breaking), so heavily discrete features are
    only approximately equalised.

    Parameters
    ----------
    amount : float in [0, 1]
        Repair amount ``lambda``: ``x -> (1 - lambda) x + lambda sum_a r_a T_a(x)``.
    groups : {"true", "naive", "deconvolution", "posterior"}
        How ``g`` is read (see :mod:`fairldp.repair.groups`). ``"deconvolution"`` estimates each
        ``F_a`` exactly in 1-D by the isotonic projection of the deconvolved signed CDF;
        ``"posterior"`` weights rows by the EM posteriors ``P(A=a | z, x)``.
    transition : (k, k) array or None
        ``T[a, z] = P(Z=z | A=a)``; required by ``"deconvolution"`` and ``"posterior"``.
    n_quantiles : int or None
        ``None``: keep every distinct value (exact). Otherwise each group CDF is thinned to at
        most ``n_quantiles`` knots evenly spaced in rank (piecewise-linear approximation).

    The repair itself is deterministic (no ``random_state``).
    """

    def __init__(
        self,
        amount: float = 1.0,
        groups: str = "true",
        transition: ArrayLike | None = None,
        n_quantiles: int | None = None,
    ) -> None:
        self.amount = amount
        self.groups = groups
        self.transition = transition
        self.n_quantiles = n_quantiles

    def fit(
        self, X: Any, y: Any = None, *, sensitive_features: ArrayLike | None = None
    ) -> QuantileRepair:
        """Fit the group CDFs of each column of ``X`` (numeric block) for the groups
        ``sensitive_features`` (``y`` ignored)."""
        if self.n_quantiles is not None and int(self.n_quantiles) < 2:
            raise ValueError(f"n_quantiles must be None or >= 2, got {self.n_quantiles!r}")
        x, gg, k = self._fit_groups(X, sensitive_features)
        n = x.shape[0]
        if self.groups in ("true", "naive"):
            w = np.zeros((n, k))
            w[np.arange(n), gg] = 1.0
            w /= w.sum(axis=0)
            signed = None
        elif self.groups == "posterior":
            w = self.posterior_.predict_proba(x, sensitive_features=gg)
            w = w / w.sum(axis=0)
            signed = None
        else:
            signed = deconvolution_weights(gg, self.transition)  # type: ignore[arg-type]
        self.knots_: list[list[tuple[NDArray[np.float64], NDArray[np.float64]]]] = []
        for j in range(x.shape[1]):
            col = x[:, j]
            per_group = []
            for a in range(k):
                wa = w[:, a] if signed is None else isotonic_cdf_weights(col, signed[:, a])
                per_group.append(self._knots(col, wa, a, j))
            self.knots_.append(per_group)
        return self

    def _knots(
        self, col: NDArray[np.float64], wa: NDArray[np.float64], a: int, j: int
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        pos = wa > 0
        if not np.any(pos):
            raise ValueError(f"group {a} has no rows (zero weight) for feature {j}")
        vals, inv = np.unique(col[pos], return_inverse=True)
        mass = np.bincount(inv, weights=wa[pos], minlength=vals.size)
        mass /= mass.sum()
        mid = np.cumsum(mass) - mass / 2
        if self.n_quantiles is not None and vals.size > self.n_quantiles:
            idx = np.searchsorted(mid, np.linspace(mid[0], mid[-1], int(self.n_quantiles)))
            idx = np.unique(np.clip(idx, 0, vals.size - 1))
            vals, mid = vals[idx], mid[idx]
        return vals, mid

    def group_map(self, X: Any, a: int) -> NDArray[np.float64]:
        """Total-repair map ``T_a(x) = sum_b pi_b Q_b(F_a(x))`` of every column, for group ``a``."""
        x = self._check_transform_input(X)
        return self._group_map(x, a)

    def _group_map(self, x: NDArray[np.float64], a: int) -> NDArray[np.float64]:
        out = np.empty_like(x)
        for j in range(x.shape[1]):
            xa, ua = self.knots_[j][a]
            u = np.interp(x[:, j], xa, ua)
            acc = np.zeros(x.shape[0])
            for b in range(self.n_groups_):
                xb, ub = self.knots_[j][b]
                acc += self.pi_[b] * np.interp(u, ub, xb)
            out[:, j] = acc
        return out

    def transform(self, X: Any, *, sensitive_features: ArrayLike | None = None) -> Any:
        """Repair rows ``X`` of groups ``sensitive_features`` (same kind as in fit):
        ``(1-lambda) x + lambda sum_a r[i, a] T_a(x_i)``, ``r`` the row's group posterior."""
        x = self._check_transform_input(X)
        r = self._row_weights(x, sensitive_features)
        mapped = np.zeros_like(x)
        for a in range(self.n_groups_):
            rows = np.flatnonzero(r[:, a] > 0)
            if rows.size:
                mapped[rows] += r[rows, a, None] * self._group_map(x[rows], a)
        lam = float(self.amount)
        return (1.0 - lam) * x + lam * mapped


# ----- multivariate OT repair ---------------------------------------------------------------
class OTRepair(_GroupRepairBase):
    """Multivariate repair of the numeric block via discrete optimal transport (POT).

    Fit (in standardized coordinates if ``standardize``; squared Euclidean cost):

    1. each group ``a`` is summarised by at most ``max_samples`` support points: all rows with
       positive weight if there are few enough (masses = the group weights), else
       ``max_samples`` i.i.d. draws with probabilities ``w[:, a]`` (masses = draw counts / m);
    2. the barycenter ``nu = sum_j b_j delta_{y_j}`` (``m_b = max_samples`` uniform atoms
       initialised on a random subsample of all rows) is computed by
       ``ot.lp.free_support_barycenter`` with weights ``pi`` (free support: the atoms move; this
       is the Cuturi & Doucet 2014 fixed-point iteration with exact plans);
    3. exact plans ``G_a = ot.emd(w_a, b, C_a)`` and barycentric projection
       ``T_a(s_i) = sum_j G_a[i, j] y_j / w_a[i]`` give displacements ``d_a(s_i) = T_a(s_i) -
       s_i`` on the support points.

    Transform (any row, in or out of sample): the displacement of ``x`` for group ``a`` is the
    mean of ``d_a`` over its ``n_neighbors`` nearest support points of group ``a`` (k-NN
    regression of the displacement field; ``n_neighbors=1`` reproduces the barycentric
    projection exactly on support points), plus, if ``recenter``, a constant ``c_a`` fitted so
    that the ``w_a``-weighted mean of all training rows of group ``a`` lands exactly on the
    barycenter mean ``sum_j b_j y_j`` (removes the first-order subsampling error: a subsample
    of size ``m`` has mean error ``~ sd / sqrt(m)``, which the plan otherwise carries over to
    every row); ``x -> x + lambda sum_a r[i, a] (d_a(x) + c_a)``.
    Memory is ``O(max_samples^2 + n * n_neighbors)``, never ``O(n^2)``.

    Parameters
    ----------
    amount : float in [0, 1]
        Repair amount ``lambda``.
    groups : {"true", "naive", "deconvolution", "posterior"}
        How ``g`` is read; ``"deconvolution"`` weights rows by ``P^(A=a | x)`` (the regression
        smoothing of the signed deconvolution weights, see
        :func:`~fairldp.repair.groups.group_weights`).
    transition : (k, k) array or None
        Channel ``T``; required by ``"deconvolution"`` and ``"posterior"``.
    max_samples : int
        Support points per group and barycenter atoms (the plans are ``max_samples^2``).
    n_neighbors : int
        Neighbours averaged in the out-of-sample extension.
    standardize : bool
        Compute the transport on z-scored features (displacements mapped back to units).
    max_iter : int
        Iterations of the free-support barycenter.
    recenter : bool
        Add the mean-matching shift ``c_a`` (see above).
    random_state : int, SeedSequence, Generator or None
        Seeds the subsampling (via :class:`numpy.random.SeedSequence` spawning).
    """

    def __init__(
        self,
        amount: float = 1.0,
        groups: str = "true",
        transition: ArrayLike | None = None,
        max_samples: int = 1000,
        n_neighbors: int = 5,
        standardize: bool = True,
        max_iter: int = 10,
        recenter: bool = True,
        random_state: RandomState = None,
    ) -> None:
        self.amount = amount
        self.groups = groups
        self.transition = transition
        self.max_samples = max_samples
        self.n_neighbors = n_neighbors
        self.standardize = standardize
        self.max_iter = max_iter
        self.recenter = recenter
        self.random_state = random_state

    def _std(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return (x - self.mean_) / self.scale_

    def fit(
        self, X: Any, y: Any = None, *, sensitive_features: ArrayLike | None = None
    ) -> OTRepair:
        """Fit barycenter, plans and displacement fields on ``X`` (numeric block) and the groups
        ``sensitive_features`` (``y`` ignored)."""
        from sklearn.neighbors import NearestNeighbors

        ot = import_pot()

        if int(self.max_samples) < 2 or int(self.n_neighbors) < 1 or int(self.max_iter) < 1:
            raise ValueError("max_samples must be >= 2, n_neighbors and max_iter >= 1")
        x, gg, k = self._fit_groups(X, sensitive_features)
        n = x.shape[0]
        if self.standardize:
            self.mean_ = x.mean(axis=0)
            sd = x.std(axis=0)
            self.scale_ = np.where(sd > 0, sd, 1.0)
        else:
            self.mean_, self.scale_ = np.zeros(x.shape[1]), np.ones(x.shape[1])
        xs = self._std(x)
        w = self._group_weights(x, gg, k)
        rngs = _make_rngs(self.random_state, k + 1)
        m = int(self.max_samples)
        support, masses = [], []
        for a in range(k):
            idx, mass = self._subsample(w[:, a], m, rngs[a])
            support.append(xs[idx])
            masses.append(mass)
        mb = min(m, n)
        y0 = xs[rngs[k].choice(n, size=mb, replace=False)]
        b = np.full(mb, 1.0 / mb)
        y = ot.lp.free_support_barycenter(
            support, masses, y0, b, weights=self.pi_, numItermax=int(self.max_iter)
        )
        self.barycenter_ = y * self.scale_ + self.mean_
        self.support_, self.displacement_, self._nn = [], [], []
        for a in range(k):
            plan = ot.emd(masses[a], b, ot.dist(support[a], y))
            proj = plan @ y / plan.sum(axis=1, keepdims=True)
            self.support_.append(support[a])
            self.displacement_.append(proj - support[a])
            nn = NearestNeighbors(n_neighbors=min(int(self.n_neighbors), support[a].shape[0]))
            self._nn.append(nn.fit(support[a]))
        self.shift_ = np.zeros((k, x.shape[1]))
        if self.recenter:
            ybar = b @ y
            for a in range(k):
                rows = np.flatnonzero(w[:, a] > 0)
                wa = w[rows, a]
                moved = wa @ xs[rows] + wa @ self._displacement(xs[rows], a)
                self.shift_[a] = ybar - moved
        return self

    def _group_weights(
        self, x: NDArray[np.float64], gg: NDArray[np.intp], k: int
    ) -> NDArray[np.float64]:
        if self.groups in ("true", "naive"):
            w = np.zeros((x.shape[0], k))
            w[np.arange(x.shape[0]), gg] = 1.0
        elif self.groups == "posterior":
            w = self.posterior_.predict_proba(x, sensitive_features=gg)
        elif x.shape[1] == 1:
            s = deconvolution_weights(gg, self.transition)  # type: ignore[arg-type]
            w = np.column_stack([isotonic_cdf_weights(x[:, 0], s[:, a]) for a in range(k)])
        else:
            w = self.posterior_.prob_a_given_x(x)
        tot = w.sum(axis=0)
        empty = np.flatnonzero(tot <= 0)
        if empty.size:
            raise ValueError(f"group(s) {empty.tolist()} have no rows (zero weight)")
        return w / tot

    @staticmethod
    def _subsample(
        wa: NDArray[np.float64], m: int, rng: np.random.Generator
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        pos = np.flatnonzero(wa > 0)
        if pos.size <= m:
            return pos, wa[pos] / wa[pos].sum()
        draws = rng.choice(wa.size, size=m, replace=True, p=wa / wa.sum())
        idx, cnt = np.unique(draws, return_counts=True)
        return idx, cnt / m

    def displacement(self, X: Any, a: int) -> NDArray[np.float64]:
        """Total-repair displacement ``T_a(x) - x`` of each row for group ``a`` (in units)."""
        x = self._check_transform_input(X)
        return self._displacement(self._std(x), a) * self.scale_

    def _displacement(self, xs: NDArray[np.float64], a: int) -> NDArray[np.float64]:
        out = np.empty_like(xs)
        step = 1 << 15
        for s in range(0, xs.shape[0], step):
            nb = self._nn[a].kneighbors(xs[s : s + step], return_distance=False)
            out[s : s + step] = self.displacement_[a][nb].mean(axis=1)
        if hasattr(self, "shift_"):
            out += self.shift_[a]
        return out

    def transform(self, X: Any, *, sensitive_features: ArrayLike | None = None) -> Any:
        """Repair rows: ``x + lambda sum_a r[i, a] d_a(x_i)``, ``r`` the row's group posterior."""
        x = self._check_transform_input(X)
        r = self._row_weights(x, sensitive_features)
        xs = self._std(x)
        disp = np.zeros_like(x)
        for a in range(self.n_groups_):
            rows = np.flatnonzero(r[:, a] > 0)
            if rows.size:
                disp[rows] += r[rows, a, None] * self._displacement(xs[rows], a)
        return x + float(self.amount) * disp * self.scale_
