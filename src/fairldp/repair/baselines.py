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
from sklearn.base import BaseEstimator, OneToOneFeatureMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from fairldp._sklearn import GroupTransformerMixin, check_sensitive_features
from fairldp.ldp.estimators import project_simplex

__all__ = ["CorrelationRemoverRepair"]


class CorrelationRemoverRepair(OneToOneFeatureMixin, GroupTransformerMixin, BaseEstimator):
    """CorrelationRemover on a (privatized) group, optionally de-attenuated with ``T``.

    ``fit(X, sensitive_features=z)`` learns from training rows;
    ``transform(X, sensitive_features=z)`` repairs any rows, ``z`` being their (reported)
    groups (requested by default under metadata routing). Output: an array
    (``set_output(transform="pandas")`` for DataFrames).

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

    Attributes
    ----------
    labels_ : array
        The group labels.
    pi_ : array
        Group frequencies: empirical, or deconvolved.
    removal_ : (k, d) array
        The table ``g`` (output ``X - alpha g[z]``).
    group_effects_, posterior_, coef_ : arrays
        With ``transition``: ``D``, ``Post[z, a]`` and ``B``.
    remover_ : fairlearn CorrelationRemover
        Without ``transition``.
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

    def _codes(self, z: NDArray[Any], n: int) -> NDArray[np.int64]:
        codes = pd.Index(self.labels_).get_indexer(z).astype(np.int64)
        if np.any(codes < 0):
            bad = z[codes < 0][0]
            raise ValueError(f"group {bad!r} is not in the domain {self.labels_.tolist()}")
        return codes

    def fit(
        self, X: ArrayLike, y: object = None, *, sensitive_features: ArrayLike | None = None
    ) -> CorrelationRemoverRepair:
        """Fit on training features ``X`` (n, d) and their (reported) groups
        ``sensitive_features`` (n,); ``y`` is ignored."""
        Xa = validate_data(self, X, reset=True, dtype=np.float64, ensure_min_samples=2)
        n = Xa.shape[0]
        z = check_sensitive_features(sensitive_features, n, self, "fit")
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
            labels = np.unique(z)
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

    def transform(
        self, X: ArrayLike, *, sensitive_features: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """``X - alpha g(z)``, with ``g`` the fitted removal table."""
        check_is_fitted(self, "removal_")
        Xa = validate_data(self, X, reset=False, dtype=np.float64)
        z = check_sensitive_features(sensitive_features, Xa.shape[0], self, "transform")
        codes = self._codes(z, Xa.shape[0])
        if self.remover_ is not None:
            onehot = np.zeros((Xa.shape[0], self.labels_.size))
            onehot[np.arange(Xa.shape[0]), codes] = 1.0
            out = self.remover_.transform(np.hstack([Xa, onehot]))
        else:
            out = Xa - float(self.alpha) * self.removal_[codes]
        return np.asarray(out, dtype=np.float64)
