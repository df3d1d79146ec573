"""Learned Fair Representations (Zemel et al., "Learning Fair Representations", ICML 2013).

A row ``x`` (standardized with the training mean and sd) is mapped to a soft assignment over
``K`` prototypes ``v_k``::

    D_nk = sum_j alpha_j (x_nj - v_kj)^2,      M_nk = exp(-D_nk) / sum_l exp(-D_nl)

and the prototypes ``V``, the per-feature weights ``alpha >= 0`` and the prototype labels
``w in [0, 1]^K`` minimize ``A_x L_x + A_y L_y + A_z L_z`` with (means over the n rows)::

    L_x = (1/n) sum_n ||x_n - M_n V||^2                       (reconstruction)
    L_y = -(1/n) sum_n [y_n log yhat_n + (1 - y_n) log(1 - yhat_n)],   yhat = M w
    L_z = sum_g sum_k |Mbar_gk - Mbar_k|                      (statistical parity)

Groups. ``Mbar_g = sum_n W_ng M_n / sum_n W_ng`` is the (weighted) mean assignment of group
``g`` and ``Mbar = sum_g pi_g Mbar_g`` with ``pi_g = s_g / sum_h s_h``, ``s_g = sum_n W_ng``.
With hard labels ``W`` is the one-hot group matrix and ``Mbar`` the overall mean. For two
groups ``L_z = (pi_1 + pi_2) sum_k |Mbar_1k - Mbar_2k|``, exactly Zemel et al.'s term; for
``k > 2`` groups it is the sum of each group's deviation from the pooled mean (linear in the
number of groups, unlike the sum over pairs). ``L_z = 0`` implies equal mean scores
``Mbar_g w`` across groups.

Privatized groups. Instead of hard labels, ``fit`` accepts ``group_weights`` ``W`` (n, k): any
finite weights whose column sums are positive. Posteriors ``P(A = g | Z)`` are non-negative but
give attenuated group means; the unbiased deconvolution weights ``W_n = T^{-T} e_{Z_n}``
(``T[a, z] = P(Z = z | A = a)``, possibly negative) satisfy ``E[W_ng | A_n] = 1[A_n = g]``,
and since ``Z`` is independent of ``X`` given ``A``, ``sum_n W_ng M_n / sum_n W_ng`` is a
consistent estimate of the true-group mean assignment. Note: hard report labels ``Z`` give
report-group means ``Mbar_Z = Post Mbar_A`` (``Post[z, a] = P(A = a | Z = z)``, invertible,
rows summing to 1), so *exact* report parity implies exact true-group parity in the population;
the report-level ``L_z`` is however attenuated (for two groups by the factor
``|Post[1, 1] - Post[0, 1]|``, i.e. an effectively smaller ``A_z``), which the deconvolution
weights undo at the price of variance.

The gradient is analytic (see :meth:`LearnedFairRepresentation._loss_grad`); the problem is
solved with scipy's L-BFGS-B (bounds ``w in [0, 1]``, ``alpha >= 0``) on at most
``max_samples`` training rows drawn without replacement.
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from fairldp._sklearn import check_sensitive_features
from fairldp.rng import make_rng

__all__ = ["LearnedFairRepresentation"]


def _single_thread_blas() -> contextlib.AbstractContextManager[object]:
    """threadpoolctl's limit to one BLAS thread (a scikit-learn dependency), if installed."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


_PROB_EPS = 1e-12  # clip of yhat inside the logs (the gradient is 0 where clipped)


def _group_matrix(
    n: int, groups: ArrayLike | None, group_weights: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[Any] | None]:
    """Weights ``W`` (n, k) from hard labels or soft weights; the labels (or None)."""
    if groups is not None and group_weights is not None:
        raise ValueError("pass one of sensitive_features and group_weights, not both")
    if groups is not None:
        g = np.asarray(groups)
        labels, codes = np.unique(g, return_inverse=True)
        if labels.size < 2:
            raise ValueError("groups must contain at least 2 distinct groups")
        W = np.zeros((n, labels.size))
        W[np.arange(n), codes] = 1.0
        return W, labels
    W = np.asarray(group_weights, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != n:
        raise ValueError(f"group_weights must have shape ({n}, k), got {W.shape}")
    if W.shape[1] < 2:
        raise ValueError("group_weights must have at least 2 columns (groups)")
    if not np.all(np.isfinite(W)):
        raise ValueError("group_weights contains NaN or infinite values")
    if np.any(W.sum(axis=0) <= 0):
        raise ValueError("every column of group_weights must have a positive sum")
    return W, None


class LearnedFairRepresentation(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Zemel et al. (2013) prototype representation with an analytic gradient.

    Parameters
    ----------
    n_prototypes : int
        Number of prototypes ``K``.
    reconstruct_weight, target_weight, fairness_weight : float
        ``A_x``, ``A_y``, ``A_z`` (defaults 0.01, 1, 50 as in Zemel et al.'s code).
    max_iter : int
        L-BFGS-B iteration cap.
    max_samples : int or None
        Training rows used (drawn without replacement if there are more); None = all.
    random_state : int or None
        Seed of the subsample and the initialization (``fairldp.rng.make_rng(seed, "lfr")``);
        fits with the same seed and data are identical.

    Attributes
    ----------
    prototypes_ : (K, d) array
        The prototypes, in standardized units.
    alpha_, w_, mean_, scale_ : arrays
        Feature weights (d,), prototype scores (K,), the standardization (d,).
    groups_ : array or None
        The group labels (None when fitted with group weights).
    n_iter_, converged_, loss_ :
        Iterations, convergence, and the loss (total, L_x, L_y, L_z).

    ``transform`` returns the memberships ``M`` (n, K); :meth:`reconstruct` the reconstruction
    ``M V`` in the original feature units; :meth:`predict_proba` the score ``yhat = M w``.
    """

    def __init__(
        self,
        n_prototypes: int = 10,
        reconstruct_weight: float = 0.01,
        target_weight: float = 1.0,
        fairness_weight: float = 50.0,
        max_iter: int = 500,
        max_samples: int | None = 5000,
        random_state: int | None = None,
    ) -> None:
        self.n_prototypes = n_prototypes
        self.reconstruct_weight = reconstruct_weight
        self.target_weight = target_weight
        self.fairness_weight = fairness_weight
        self.max_iter = max_iter
        self.max_samples = max_samples
        self.random_state = random_state

    # the group is requested by default when metadata routing is enabled
    __metadata_request__fit: ClassVar[dict[str, bool]] = {"sensitive_features": True}

    # ------------------------------------------------------------------ objective
    def _unpack(
        self, theta: NDArray[np.float64], d: int
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        K = self.n_prototypes
        V = theta[: K * d].reshape(K, d)
        w = theta[K * d : K * d + K]
        alpha = theta[K * d + K :]
        return V, w, alpha

    @staticmethod
    def _memberships(
        X: NDArray[np.float64], V: NDArray[np.float64], alpha: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        D = (X**2 @ alpha)[:, None] - 2.0 * (X * alpha) @ V.T + (V**2 @ alpha)[None, :]
        S = -D
        S -= S.max(axis=1, keepdims=True)
        M = np.exp(S)
        M /= M.sum(axis=1, keepdims=True)
        return M

    def _loss_grad(
        self,
        theta: NDArray[np.float64],
        X: NDArray[np.float64],
        y: NDArray[np.float64] | None,
        C: NDArray[np.float64],
    ) -> tuple[float, NDArray[np.float64], tuple[float, float, float]]:
        """Loss and gradient; ``C = Omega (I - pi 1^T)`` (n, k), ``Omega = W / s``.

        With ``Delta = C^T M`` (k, K) the group deviations, and ``G_M = dL/dM``::

            dL_x/dM = -(2/n) (X - M V) V^T          dL_x/dV (direct) = -(2/n) M^T (X - M V)
            dL_y/dM = r w^T,  r = -(1/n) (y / yhat - (1 - y) / (1 - yhat)),   dL_y/dw = M^T r
            dL_z/dM = C sign(Delta)
            H = dL/dD = -M * (G_M - rowsum(G_M * M))                       (softmax of -D)
            dL/dV_kj += -2 alpha_j ((H^T X)_kj - (H^T 1)_k V_kj)
            dL/dalpha_j = sum_nk H_nk (x_nj - V_kj)^2
        """
        n, d = X.shape
        V, w, alpha = self._unpack(theta, d)
        M = self._memberships(X, V, alpha)
        ax, ay, az = self.reconstruct_weight, self.target_weight, self.fairness_weight

        R = X - M @ V
        Lx = float(np.sum(R**2)) / n
        GM = (-2.0 * ax / n) * (R @ V.T)
        gV = (-2.0 * ax / n) * (M.T @ R)

        Ly = 0.0
        gw = np.zeros_like(w)
        if y is not None and ay != 0.0:
            yhat_raw = M @ w
            yhat = np.clip(yhat_raw, _PROB_EPS, 1.0 - _PROB_EPS)
            inside = yhat == yhat_raw
            Ly = -float(np.mean(y * np.log(yhat) + (1.0 - y) * np.log(1.0 - yhat)))
            r = np.where(inside, -(y / yhat - (1.0 - y) / (1.0 - yhat)) / n, 0.0)
            GM += ay * np.outer(r, w)
            gw = ay * (M.T @ r)

        Delta = C.T @ M
        Lz = float(np.abs(Delta).sum())
        GM += az * (C @ np.sign(Delta))

        H = -M * (GM - np.sum(GM * M, axis=1, keepdims=True))
        HtX = H.T @ X
        hk = H.sum(axis=0)
        gV += -2.0 * alpha[None, :] * (HtX - hk[:, None] * V)
        galpha = H.sum(axis=1) @ X**2 - 2.0 * np.sum(HtX * V, axis=0) + hk @ V**2

        total = ax * Lx + ay * Ly + az * Lz
        grad = np.concatenate([gV.ravel(), gw, galpha])
        return total, grad, (Lx, Ly, Lz)

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike | None = None,
        *,
        sensitive_features: ArrayLike | None = None,
        group_weights: ArrayLike | None = None,
    ) -> LearnedFairRepresentation:
        """Fit on features ``X`` (n, d), binary labels ``y`` in {0, 1} and either hard groups
        ``sensitive_features`` (n,) or soft ``group_weights`` (n, k). ``y`` may be None only
        if ``target_weight == 0``."""
        Xa = validate_data(self, X, reset=True, dtype=np.float64, ensure_min_samples=2)
        n, d = Xa.shape
        if group_weights is None:
            sensitive_features = check_sensitive_features(sensitive_features, n, self, "fit")
        K = int(self.n_prototypes)
        if K < 1:
            raise ValueError(f"n_prototypes must be >= 1, got {self.n_prototypes}")
        for p in ("reconstruct_weight", "target_weight", "fairness_weight"):
            v = float(getattr(self, p))
            if not (np.isfinite(v) and v >= 0):
                raise ValueError(f"{p} must be finite and >= 0, got {v}")
        if self.max_samples is not None and int(self.max_samples) < 2:
            raise ValueError(f"max_samples must be >= 2 or None, got {self.max_samples}")
        if y is None:
            if self.target_weight != 0:
                raise ValueError("y is required unless target_weight == 0")
            ya = None
        else:
            ya = np.asarray(y, dtype=np.float64)
            if ya.ndim != 1 or ya.shape[0] != n:
                raise ValueError(f"y must be 1-D with {n} entries (rows of X), got {ya.shape}")
            if not np.all(np.isfinite(ya)):
                raise ValueError("y contains NaN or infinite values")
            if not np.all((ya == 0) | (ya == 1)):
                raise ValueError("y must be binary with values in {0, 1}")
        W, labels = _group_matrix(n, sensitive_features, group_weights)

        seed = self.random_state
        rng = make_rng(seed, "lfr") if seed is not None else np.random.default_rng()
        if self.max_samples is not None and n > int(self.max_samples):
            idx = np.sort(rng.choice(n, size=int(self.max_samples), replace=False))
            Xa, W = Xa[idx], W[idx]
            ya = ya[idx] if ya is not None else None
            s = W.sum(axis=0)
            if np.any(s <= 0):
                raise ValueError("a group has no (positive) weight in the subsample")
        self.mean_ = Xa.mean(axis=0)
        sd = Xa.std(axis=0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        Xs = (Xa - self.mean_) / self.scale_

        C = self._fairness_matrix(W)
        init_rows = rng.choice(Xs.shape[0], size=K, replace=Xs.shape[0] < K)
        V0 = Xs[init_rows] + 0.01 * rng.standard_normal((K, d))
        w0 = rng.uniform(0.0, 1.0, size=K)
        theta0 = np.concatenate([V0.ravel(), w0, np.ones(d)])
        bounds = [(None, None)] * (K * d) + [(0.0, 1.0)] * K + [(0.0, None)] * d

        # the products are thin (n x d times d x K): multi-threaded BLAS only adds overhead,
        # and on an oversubscribed machine it made each evaluation ~10x slower.
        with _single_thread_blas():
            res = minimize(
                lambda t: self._loss_grad(t, Xs, ya, C)[:2],
                theta0,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": int(self.max_iter)},
            )
        V, w, alpha = self._unpack(res.x, d)
        self.prototypes_, self.w_, self.alpha_ = V.copy(), w.copy(), alpha.copy()
        self.groups_ = labels
        self.n_iter_ = int(res.nit)
        self.converged_ = bool(res.success)
        total, _, parts = self._loss_grad(res.x, Xs, ya, C)
        self.loss_ = {"total": total, "L_x": parts[0], "L_y": parts[1], "L_z": parts[2]}
        self._n_features_out = K
        return self

    @staticmethod
    def _fairness_matrix(W: NDArray[np.float64]) -> NDArray[np.float64]:
        """``C = Omega (I - pi 1^T)``, so that ``C^T M = Mbar_g - Mbar`` for each group."""
        s = W.sum(axis=0)
        Omega = W / s
        pi = s / s.sum()
        return Omega - np.outer(Omega @ pi, np.ones(W.shape[1]))

    def fit_transform(
        self,
        X: ArrayLike,
        y: ArrayLike | None = None,
        *,
        sensitive_features: ArrayLike | None = None,
        group_weights: ArrayLike | None = None,
    ) -> NDArray[np.float64]:
        """``fit(...).transform(X)`` (the transform needs no group)."""
        return self.fit(
            X, y, sensitive_features=sensitive_features, group_weights=group_weights
        ).transform(X)

    # ------------------------------------------------------------------ outputs
    def _check_X(self, X: ArrayLike) -> NDArray[np.float64]:
        check_is_fitted(self, "prototypes_")
        Xa = validate_data(self, X, reset=False, dtype=np.float64)
        return (Xa - self.mean_) / self.scale_

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Prototype memberships ``M`` (n, K); rows sum to 1."""
        return self._memberships(self._check_X(X), self.prototypes_, self.alpha_)

    def reconstruct(self, X: ArrayLike) -> NDArray[np.float64]:
        """Reconstruction ``M V`` (n, d) in the original feature units."""
        return self.transform(X) @ self.prototypes_ * self.scale_ + self.mean_

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """``[1 - yhat, yhat]`` (n, 2) with LFR's own score ``yhat = M w``."""
        p = self.transform(X) @ self.w_
        return np.column_stack([1.0 - p, p])

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """``1[yhat > 1/2]``."""
        return (self.predict_proba(X)[:, 1] > 0.5).astype(np.int64)
