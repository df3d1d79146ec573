"""Consistent post-processing of frequency estimates.

- :func:`project_simplex`: Euclidean projection of the unbiased estimate onto the probability
  simplex, sort-based (Duchi et al., ICML 2008; used as "Norm-Sub"-style post-processing in
  Wang et al., NDSS 2020).
- :func:`ibu`: iterative Bayesian update, i.e. the EM algorithm for the maximum-likelihood
  distribution given the reports (Agrawal & Aggarwal, PODS 2001; Arcolezi et al., "On the utility
  gain of iterative Bayesian update for locally differentially private mechanisms", DBSec 2023).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["ESTIMATION_METHODS", "ibu", "project_simplex"]

ESTIMATION_METHODS = ("unbiased", "simplex", "ibu")


def check_method(method: str) -> str:
    """Return ``method`` or raise naming the allowed estimation methods."""
    if method not in ESTIMATION_METHODS:
        raise ValueError(f"method must be one of {list(ESTIMATION_METHODS)}, got {method!r}")
    return method


def project_simplex(v: ArrayLike) -> NDArray[np.float64]:
    """Euclidean projection of ``v`` onto ``{f : f >= 0, sum(f) = 1}``.

    With ``u`` sorted descending and ``rho = max{j : u_j - (sum_{i<=j} u_i - 1) / j > 0}``, the
    projection is ``max(v - tau, 0)`` with ``tau = (sum_{i<=rho} u_i - 1) / rho``.
    """
    v = np.asarray(v, dtype=float)
    if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)):
        raise ValueError("v must be a non-empty 1-D array of finite numbers")
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    j = np.arange(1, v.size + 1)
    rho = int(np.nonzero(u - css / j > 0)[0][-1]) + 1
    tau = css[rho - 1] / rho
    return np.maximum(v - tau, 0.0)


def ibu(
    likelihood: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    max_iter: int = 10_000,
    tol: float = 1e-10,
    prior: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """EM estimate of the input distribution from report likelihoods.

    ``likelihood[r, v]`` is proportional (per row) to ``P(report r | value v)``; ``weights[r]``
    is how many users sent report ``r``. Iterates
    ``pi_v <- pi_v * sum_r w_r L[r, v] / (sum_u pi_u L[r, u]) / sum_r w_r``
    from the uniform distribution (or ``prior``) until the L1 change is below ``tol``.
    Each iterate is a probability distribution.
    """
    lik = np.asarray(likelihood, dtype=float)
    if lik.ndim != 2 or lik.shape[0] == 0:
        raise ValueError("likelihood must be a non-empty 2-D (reports, k) array")
    w = np.ones(lik.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    keep = w > 0
    lik, w = lik[keep], w[keep]
    k = lik.shape[1]
    pi = np.full(k, 1.0 / k) if prior is None else np.asarray(prior, dtype=float).copy()
    w = w / w.sum()
    for _ in range(max_iter):
        denom = lik @ pi
        new = pi * ((w / denom) @ lik)
        new /= new.sum()
        done = np.abs(new - pi).sum() < tol
        pi = new
        if done:
            break
    return pi
