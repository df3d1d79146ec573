r"""Linear correlation removal with true or privatized groups.

fairlearn's :class:`~fairlearn.preprocessing.CorrelationRemover` regresses the numeric features
``X`` (n, d) on the centred sensitive columns ``S - 1 sbar^T`` and keeps the residuals,
``X* = X - (S - 1 sbar^T) B``, blended as ``alpha X* + (1 - alpha) X``. With ``S`` the one-hot
matrix of a categorical group the least-squares fit is the group-mean table, so it removes
``g(s) = E[X | S = s] - E[X]``: afterwards every group has the same mean of ``X``.

Privatized groups. Let ``A`` be the true group (k values), ``Z`` its LDP report with
``T[a, z] = P(Z = z | A = a)`` (invertible; GRR: ``p`` on the diagonal, ``q`` elsewhere) and
``Z`` independent of ``X`` given ``A``. Write ``pi_a = P(A = a)``, ``f = T^T pi`` the report
frequencies, ``D[a] = E[X | A = a] - E[X]`` (k, d) and ``Post[z, a] = P(A = a | Z = z) =
pi_a T[a, z] / f_z``. Then

* naive (regress on ``e_Z``, no ``transition``): removes ``G[z] = E[X | Z = z] - E[X] =
  (Post D)[z]``. The residual true-group dependence is ``E[X* | A] - E[X] = (I - T Post) D``:
  the coefficient is attenuated (``T Post`` is the A -> Z -> A kernel, not the identity).
* corrected (``transition=T``): remove ``g(Z)`` such that ``E[X - g(Z) | A = a]`` is constant
  in ``a``. Since ``E[g(Z) | A = a] = (T g)[a]`` and ``T 1 = 1``, the solution is
  ``g = T^{-1} D`` (up to a constant). In the terms of the brief: with the posterior
  ``P_i = E[e_A | Z_i] = Post[Z_i]`` as regressor, ``X* = X - (P_i - pi)^T B`` is uncorrelated
  with the true centred indicators ``e_A - pi`` iff ``diag(pi) D = Cov(e_A, P) B =
  (diag(pi) T Post - pi pi^T) B``; ``B = (T Post)^{-1} D`` solves it (``pi^T T Post = pi^T``
  gives ``pi^T B = pi^T D = 0``), and ``Post B = T^{-1} D`` because ``Post`` is invertible:
  the two views are the same map.
* estimation, from the training rows only: ``f_z`` = empirical report frequencies,
  ``G[z]`` = empirical ``mean(X | Z = z) - mean(X)``. The moment identity
  ``f_z G[z] = E[(X - E X) 1[Z = z]] = sum_a T[a, z] pi_a D[a]``, i.e.
  ``diag(f) G = T^T diag(pi) D``, gives ``D = diag(pi)^{-1} T^{-T} diag(f) G`` (a
  covariance version: ``Cov(X, e_Z) = Cov(X, e_A) T``). ``pi`` is the deconvolved
  ``T^{-T} f`` projected onto the simplex and floored at ``pi_floor`` (it divides). Hence
  ``g = T^{-1} D = (Post T)^{-1} G``: the corrected removal is the naive one de-attenuated.

The price of the correction is variance: ``T^{-1}`` has entries of order ``1 / (p - q)``,
so ``g`` spreads ``X`` more than the naive ``G`` at small epsilon.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.estimators import project_simplex

__all__ = ["CorrelationRemoverRepair"]


def _features(X: ArrayLike) -> NDArray[np.float64]:
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"X must be numeric: {e}") from e
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"X must be a non-empty 2-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("X contains NaN or infinite values")
    return arr


def _labels(z: ArrayLike, n: int) -> NDArray[Any]:
    za = np.asarray(z)
    if za.ndim != 1 or za.shape[0] != n:
        raise ValueError(f"groups must be 1-D with {n} entries (rows of X), got {za.shape}")
    if za.dtype.kind == "f" and not np.all(np.isfinite(za)):
        raise ValueError("groups contains NaN or infinite values")
    if za.dtype == object and bool(pd.isna(za).any()):
        raise ValueError("groups contains missing values")
    return za


class CorrelationRemoverRepair:
    """CorrelationRemover on a (privatized) group, optionally de-attenuated with ``T``.

    Parameters
    ----------
    alpha : float in [0, 1]
        Filtering strength: output ``X - alpha g(Z)`` (fairlearn's blend).
    groups : int, sequence or None
        The group domain: ``k`` (codes ``0..k-1``), the labels in the order of ``T``'s rows and
        columns, or None to take the sorted labels seen in ``fit`` (not allowed with
        ``transition``, whose order must be explicit).
    transition : (k, k) array or None
        ``T[a, z] = P(Z = z | A = a)`` (e.g. ``GRR(eps, k).transition_matrix``). None: plain
        CorrelationRemover on the one-hot of the given groups (true or privatized).
    pi_floor : float
        Floor of the deconvolved group frequencies before renormalization.

    Fitted: ``labels_``, ``pi_`` (group frequencies: empirical, or deconvolved), ``removal_``
    (k, d) table ``g`` (output ``X - alpha g[z]``); with ``transition`` also ``group_effects_``
    ``D``, ``posterior_`` ``Post[z, a]`` and ``coef_`` ``B``; without, ``remover_`` (fairlearn).

    ``fit(X, z)`` learns from training rows; ``transform(X, z)`` repairs any rows, ``z`` being
    their (reported) groups. DataFrames come back as DataFrames with the same columns/index.
    """

    def __init__(
        self,
        alpha: float = 1.0,
        groups: int | Sequence[Any] | None = None,
        transition: ArrayLike | None = None,
        pi_floor: float = 1e-3,
    ) -> None:
        self.alpha = alpha
        self.groups = groups
        self.transition = transition
        self.pi_floor = pi_floor

    _PARAMS = ("alpha", "groups", "transition", "pi_floor")

    def get_params(self, deep: bool = True) -> dict[str, object]:
        return {p: getattr(self, p) for p in self._PARAMS}

    def set_params(self, **params: object) -> CorrelationRemoverRepair:
        for k, v in params.items():
            if k not in self._PARAMS:
                raise ValueError(f"invalid parameter {k!r} for CorrelationRemoverRepair")
            setattr(self, k, v)
        return self

    def _codes(self, z: ArrayLike, n: int) -> NDArray[np.int64]:
        za = _labels(z, n)
        labels = self.labels_
        lookup = {v: i for i, v in enumerate(labels.tolist())}
        try:
            return np.fromiter((lookup[v] for v in za.tolist()), dtype=np.int64, count=n)
        except KeyError as e:
            raise ValueError(f"group {e.args[0]!r} is not in the domain {labels.tolist()}") from e

    def fit(self, X: ArrayLike, z: ArrayLike, y: object = None) -> CorrelationRemoverRepair:
        """Fit on training features ``X`` (n, d) and their (reported) groups ``z`` (n,)."""
        Xa = _features(X)
        n = Xa.shape[0]
        a = float(self.alpha)
        if not 0.0 <= a <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha}")
        if isinstance(self.groups, int | np.integer):
            labels = np.arange(int(self.groups))
        elif self.groups is not None:
            labels = np.asarray(list(self.groups))
        else:
            if self.transition is not None:
                raise ValueError("groups (the domain in T's order) is required with transition")
            labels = np.unique(_labels(z, n))
        if labels.size < 2 or np.unique(labels).size != labels.size:
            raise ValueError("the group domain must hold at least 2 distinct labels")
        self.labels_ = labels
        k = labels.size
        codes = self._codes(z, n)
        counts = np.bincount(codes, minlength=k).astype(float)
        if np.count_nonzero(counts) < 2:
            raise ValueError("z must contain at least 2 distinct groups")

        if self.transition is None:
            from fairlearn.preprocessing import CorrelationRemover

            onehot = np.zeros((n, k))
            onehot[np.arange(n), codes] = 1.0
            self.remover_ = CorrelationRemover(
                sensitive_feature_ids=list(range(Xa.shape[1], Xa.shape[1] + k)), alpha=a
            ).fit(np.hstack([Xa, onehot]))
            self.posterior_ = None
            self.pi_ = counts / n
            # removal table g (k, d): sbar + (e_z - sbar) B equals the group-mean table
            self.removal_ = (np.eye(k) - self.remover_.sensitive_mean_) @ self.remover_.beta_
            return self

        Tm = np.asarray(self.transition, dtype=np.float64)
        if Tm.shape != (k, k) or not np.all(np.isfinite(Tm)) or np.any(Tm < 0):
            raise ValueError(f"transition must be a finite non-negative ({k}, {k}) matrix")
        if not np.allclose(Tm.sum(axis=1), 1.0, atol=1e-8):
            raise ValueError("rows of transition must sum to 1 (T[a, z] = P(Z = z | A = a))")
        if np.linalg.cond(Tm) > 1e12:
            raise ValueError("transition is (numerically) singular; no correction possible")
        self.remover_ = None
        f = counts / n
        mu = Xa.mean(axis=0)
        sums = np.zeros((k, Xa.shape[1]))
        np.add.at(sums, codes, Xa - mu)
        fG = sums / n  # diag(f) G = empirical E[(X - mu) 1[Z = z]]
        pi = np.maximum(project_simplex(np.linalg.solve(Tm.T, f)), float(self.pi_floor))
        pi /= pi.sum()
        D = np.linalg.solve(Tm.T, fG) / pi[:, None]  # diag(pi)^{-1} T^{-T} diag(f) G
        self.pi_ = pi
        self.group_effects_ = D
        fz = Tm.T @ pi
        self.posterior_ = (Tm * pi[:, None]).T / fz[:, None]  # Post[z, a]
        # posterior-regressor coefficient B = (T Post)^{-1} D: (Post - 1 pi^T) B = T^{-1} D
        self.coef_ = np.linalg.solve(Tm @ self.posterior_, D)
        self.removal_ = np.linalg.solve(Tm, D)  # g = T^{-1} D
        return self

    def transform(self, X: ArrayLike, z: ArrayLike) -> NDArray[np.float64] | pd.DataFrame:
        """``X - alpha g(z)``, with ``g`` the fitted removal table."""
        if not hasattr(self, "removal_"):
            raise ValueError("CorrelationRemoverRepair is not fitted; call fit first")
        Xa = _features(X)
        if Xa.shape[1] != self.removal_.shape[1]:
            raise ValueError(f"X has {Xa.shape[1]} features, expected {self.removal_.shape[1]}")
        codes = self._codes(z, Xa.shape[0])
        if self.remover_ is not None:
            onehot = np.zeros((Xa.shape[0], self.labels_.size))
            onehot[np.arange(Xa.shape[0]), codes] = 1.0
            out = self.remover_.transform(np.hstack([Xa, onehot]))
        else:
            out = Xa - float(self.alpha) * self.removal_[codes]
        if isinstance(X, pd.DataFrame):
            return pd.DataFrame(out, index=X.index, columns=X.columns)
        return out

    def fit_transform(self, X: ArrayLike, z: ArrayLike) -> NDArray[np.float64] | pd.DataFrame:
        return self.fit(X, z).transform(X, z)
