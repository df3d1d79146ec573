"""Group-conditional distributions when only a privatized group label is known.

The sensitive attribute ``A`` (codes ``0..k-1``) is observed only through a privatized label
``Z`` drawn from the channel ``T[a, z] = P(Z = z | A = a)`` (e.g. GRR: ``p`` on the diagonal,
``q`` elsewhere; ``T`` is an argument here, computed elsewhere). Writing ``mu_a = P(X | A=a)``,
``nu_z = P(X | Z=z)``, ``pi = P(A)`` and ``p_Z = P(Z)``,

    ``p_Z(z) nu_z = sum_a T[a, z] pi_a mu_a``   so   ``pi_a mu_a = sum_z M[z, a] p_Z(z) nu_z``

with ``M = T^{-1}`` and ``pi = solve(T^T, p_Z)``. The empirical version puts the *signed* mass
``M[z_i, a] / n`` on row ``i``; its column sums are ``pi_a``. Methods for the ``(n, k)`` row
weights of :func:`group_weights` (each column a probability vector over the rows whose weighted
empirical measure estimates ``mu_a``):

- ``"naive"``: ``w[i, a] = 1[z_i = a] / n_a`` (treats ``Z`` as ``A``; biased towards the mixture
  ``nu_a``).
- ``"deconvolution"``: the signed weights ``M[z_i, a] / (n pi_a)`` projected onto valid
  distributions. Since these weights depend on ``z_i`` alone, no projection that ignores ``X``
  can do better than a mixture of the ``nu_z`` (for GRR, clipping gives back ``"naive"``
  exactly), so the projection uses ``X``:

  * ``X`` 1-D: the signed empirical CDF ``F_a(t) = sum_i w[i, a] 1[x_i <= t]`` is projected
    onto non-decreasing ``[0, 1]``-valued functions (isotonic regression, L2 over the distinct
    values; ends fixed at 0 and 1); the increments are the weights (shared equally by ties).
    This is the exact 1-D deconvolution used by :class:`~fairldp.repair.ot.QuantileRepair`.
  * ``X`` 2-D: regression smoothing. ``E[M[Z, a] | X = x] = sum_b (T M)[b, a] P(A=b | x) =
    P(A=a | x)``, so ``P(A | x) = M^T P(Z | x)``; ``P(Z | x)`` is fitted by multinomial
    logistic regression, each row of ``M^T P(Z | x)`` projected onto the simplex, and
    ``w[i, a] ∝ P^(A=a | x_i)`` (importance weights ``d mu_a / d P_X``).
  * no ``X``: clip negatives and renormalise (documented fallback; equals ``"naive"`` for GRR).

- ``"posterior"``: soft assignments ``r[i, a] = P(A=a | z_i, x_i) ∝ T[a, z_i] P(A=a | x_i)``,
  ``w[:, a] = r[:, a] / sum_i r[i, a]``. ``P(A | x)`` is a multinomial logistic regression
  fitted by EM on the noisy labels (maximum likelihood of ``P(Z | x) = T^T P(A | x)``); without
  ``X``, ``r[i, a] ∝ pi_a T[a, z_i]`` (then the weighted measure is still a mixture of the
  ``nu_z``, i.e. biased).

The same models give per-row posteriors ``P(A | z, x)`` for new rows (:class:`GroupPosterior`),
used to average group maps at transform time.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fairldp.ldp.estimators import project_simplex

__all__ = [
    "GROUP_METHODS",
    "GroupPosterior",
    "check_groups",
    "check_transition",
    "deconvolution_weights",
    "group_weights",
    "project_rows_simplex",
]

GroupMethod = Literal["true", "naive", "deconvolution", "posterior"]
#: group estimation methods (``"true"``: ``g`` is the true attribute; same weights as naive).
GROUP_METHODS: tuple[str, ...] = ("true", "naive", "deconvolution", "posterior")


# ----- validation ---------------------------------------------------------------------------
def check_transition(T: ArrayLike, k: int | None = None) -> NDArray[np.float64]:
    """Validate a ``k x k`` row-stochastic channel ``T[a, z] = P(Z=z | A=a)``."""
    t = np.asarray(T, dtype=float)
    if t.ndim != 2 or t.shape[0] != t.shape[1] or t.shape[0] < 2:
        raise ValueError(f"transition must be a square k x k matrix with k >= 2, got {t.shape}")
    if k is not None and t.shape[0] != k:
        raise ValueError(f"transition must be {k} x {k}, got {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(t < 0) or not np.allclose(t.sum(axis=1), 1.0):
        raise ValueError("transition must be finite, non-negative, with rows summing to 1")
    return t


def check_groups(g: ArrayLike, k: int, n: int | None = None, name: str = "g") -> NDArray[np.intp]:
    """Validate integer group codes in ``[0, k)`` (and length ``n``)."""
    a = np.asarray(g)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    if n is not None and a.shape[0] != n:
        raise ValueError(f"{name} has {a.shape[0]} rows but X has {n}")
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or np.any(a != np.floor(a)):
            raise ValueError(f"{name} must hold integer codes (no NaN)")
    elif a.dtype.kind not in "iub":
        raise ValueError(f"{name} must hold integer codes, got dtype {a.dtype}")
    a = a.astype(np.intp)
    if a.size and (a.min() < 0 or a.max() >= k):
        raise ValueError(f"{name} codes must lie in [0, {k}), got [{a.min()}, {a.max()}]")
    return a


def _check_X(X: ArrayLike, n: int) -> NDArray[np.float64]:
    x = np.asarray(X, dtype=float)
    if x.ndim not in (1, 2) or x.shape[0] != n:
        raise ValueError(f"X must be 1-D or 2-D with {n} rows, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("X contains NaN or infinite values")
    return x


def project_rows_simplex(v: ArrayLike) -> NDArray[np.float64]:
    """Euclidean projection of each row of ``v`` onto the probability simplex (vectorised
    form of :func:`fairldp.ldp.project_simplex`)."""
    v = np.asarray(v, dtype=float)
    u = -np.sort(-v, axis=1)
    css = np.cumsum(u, axis=1) - 1.0
    j = np.arange(1, v.shape[1] + 1)
    rho = np.count_nonzero(u - css / j > 0, axis=1)  # condition holds on a prefix
    tau = css[np.arange(v.shape[0]), rho - 1] / rho
    return np.maximum(v - tau[:, None], 0.0)


def _onehot(z: NDArray[np.intp], k: int) -> NDArray[np.float64]:
    out = np.zeros((z.size, k))
    out[np.arange(z.size), z] = 1.0
    return out


def _normalize_columns(w: NDArray[np.float64], what: str) -> NDArray[np.float64]:
    s = w.sum(axis=0)
    empty = np.flatnonzero(s <= 0)
    if empty.size:
        raise ValueError(f"group(s) {empty.tolist()} have no rows (zero total weight) in {what}")
    return w / s


# ----- deconvolution ------------------------------------------------------------------------
def deconvolution_weights(z: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
    """Signed weights ``M[z_i, a] / (n pi_a)`` (columns sum to 1), ``M = T^{-1}``,
    ``pi = solve(T^T, p_Z)`` (unclipped; raises if some ``pi_a <= 0``)."""
    t = check_transition(T)
    k = t.shape[0]
    zz = check_groups(z, k, name="z")
    if zz.size == 0:
        raise ValueError("z is empty")
    m = _inverse(t)
    raw = m[zz] / zz.size  # (n, k): M[z_i, a] / n
    pi = raw.sum(axis=0)
    bad = np.flatnonzero(pi <= 0)
    if bad.size:
        raise ValueError(f"deconvolved group frequencies pi_{bad.tolist()} <= 0: no rows")
    return raw / pi


def _inverse(t: NDArray[np.float64]) -> NDArray[np.float64]:
    if np.linalg.cond(t) > 1e12:
        raise ValueError("transition is singular: the group distributions are not identifiable")
    return np.linalg.inv(t)


def _isotonic_cdf_weights(x: NDArray[np.float64], s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Non-negative weights whose CDF is the L2 isotonic projection of the signed CDF."""
    from sklearn.isotonic import isotonic_regression

    vals, inv, cnt = np.unique(x, return_inverse=True, return_counts=True)
    mass = np.bincount(inv, weights=s, minlength=vals.size)
    cdf = np.cumsum(mass)
    proj = isotonic_regression(cdf, sample_weight=cnt.astype(float), y_min=0.0, y_max=1.0)
    proj[-1] = 1.0  # total mass 1 (the signed CDF ends at exactly 1)
    inc = np.diff(proj, prepend=0.0)
    np.maximum(inc, 0.0, out=inc)
    return inc[inv] / cnt[inv]


# ----- group posteriors ---------------------------------------------------------------------
class _Logit:
    """Multinomial logistic regression on standardized features (soft labels allowed)."""

    def __init__(self, k: int, C: float = 1.0, max_iter: int = 200) -> None:
        self.k, self.C, self.max_iter = k, C, max_iter

    def _std(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return (x - self.mean_) / self.scale_

    def fit(self, x: NDArray[np.float64], soft: NDArray[np.float64]) -> _Logit:
        """Maximize ``sum_i sum_c soft[i, c] log P(c | x_i)`` (rows replicated per class)."""
        from sklearn.linear_model import LogisticRegression

        if not hasattr(self, "mean_"):
            self.mean_ = x.mean(axis=0)
            sd = x.std(axis=0)
            self.scale_ = np.where(sd > 0, sd, 1.0)
            self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter, warm_start=True)
        xs = self._std(x)
        n = xs.shape[0]
        keep = soft.sum(axis=0) > 0
        cls = np.flatnonzero(keep)
        self.classes_ = cls
        if cls.size == 1:
            return self
        xr = np.tile(xs, (cls.size, 1))
        yr = np.repeat(cls, n)
        wr = soft[:, cls].T.ravel()
        self.model_.fit(xr, yr, sample_weight=wr)
        return self

    def predict_proba(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.zeros((x.shape[0], self.k))
        if self.classes_.size == 1:
            out[:, self.classes_[0]] = 1.0
        else:
            out[:, self.model_.classes_] = self.model_.predict_proba(self._std(x))
        return out


class GroupPosterior:
    """Per-row group probabilities ``P(A = a | z, x)``, fitted on training rows.

    - ``"true"`` / ``"naive"``: one-hot of the label.
    - ``"deconvolution"``: ``∝ T[a, z] P^(A=a | x)`` with ``P^(A | x) = proj(M^T P^(Z | x))``
      (logistic ``P^(Z | x)``); without ``X``, ``∝ pi_a T[a, z]``.
    - ``"posterior"``: ``∝ T[a, z] P^(A=a | x)`` with ``P^(A | x)`` fitted by EM
      (``n_iter`` rounds from ``r ∝ pi_a T[a, z]``); without ``X``, ``∝ pi_a T[a, z]``.

    Parameters
    ----------
    method : {"true", "naive", "deconvolution", "posterior"}
    k : int
        Number of groups.
    transition : (k, k) array or None
        Channel ``T``; required for ``"deconvolution"`` and ``"posterior"``.
    n_iter : int
        EM rounds for ``"posterior"``.
    C : float
        Inverse L2 penalty of the logistic models.
    """

    def __init__(
        self,
        method: str,
        k: int,
        transition: ArrayLike | None = None,
        n_iter: int = 10,
        C: float = 1.0,
    ) -> None:
        if method not in GROUP_METHODS:
            raise ValueError(f"groups must be one of {GROUP_METHODS}, got {method!r}")
        if int(k) < 2:
            raise ValueError(f"need k >= 2 groups, got {k}")
        self.method, self.k, self.n_iter, self.C = method, int(k), n_iter, C
        self.transition = None
        if method in ("deconvolution", "posterior"):
            if transition is None:
                raise ValueError(f"groups={method!r} needs the transition matrix T")
            self.transition = check_transition(transition, self.k)

    def fit(self, z: ArrayLike, X: ArrayLike | None = None) -> GroupPosterior:
        """Fit the prior ``pi`` and, if ``X`` is given, the model of ``P(A | x)``."""
        zz = check_groups(z, self.k, name="g")
        if zz.size == 0:
            raise ValueError("g is empty")
        counts = np.bincount(zz, minlength=self.k)
        if self.transition is None:
            empty = np.flatnonzero(counts == 0)
            if empty.size:
                raise ValueError(f"group(s) {empty.tolist()} have no rows")
            self.pi_ = counts / zz.size
            return self
        t = self.transition
        self.pi_ = project_simplex(np.linalg.solve(t.T, counts / zz.size))
        if np.any(self.pi_ <= 0):
            raise ValueError(
                f"estimated group frequencies {self.pi_.round(4).tolist()} have an empty group"
            )
        self.model_: _Logit | None = None
        if X is None:
            return self
        x = _check_X(X, zz.size).reshape(zz.size, -1)
        if self.method == "deconvolution":
            self.minv_ = _inverse(t)
            self.model_ = _Logit(self.k, self.C).fit(x, _onehot(zz, self.k))
        else:  # EM on noisy labels
            r = self.pi_ * t[:, zz].T
            r /= r.sum(axis=1, keepdims=True)
            model = _Logit(self.k, self.C)
            for _ in range(self.n_iter):
                model.fit(x, r)
                r = t[:, zz].T * model.predict_proba(x)
                r /= np.maximum(r.sum(axis=1, keepdims=True), 1e-300)
            self.model_ = model
        return self

    def prob_a_given_x(self, X: ArrayLike) -> NDArray[np.float64]:
        """``P^(A | x)`` per row (needs a fit with ``X``)."""
        x = np.asarray(X, dtype=float)
        x = x.reshape(x.shape[0], -1)
        if self.model_ is None:
            raise ValueError("the posterior was fitted without X")
        p = self.model_.predict_proba(x)
        if self.method == "deconvolution":
            p = project_rows_simplex(p @ self.minv_)  # row form of M^T P(Z | x)
        return p

    def predict(self, z: ArrayLike, X: ArrayLike | None = None) -> NDArray[np.float64]:
        """``(n, k)`` row probabilities ``P(A = a | z_i[, x_i])`` (rows sum to 1)."""
        zz = check_groups(z, self.k, name="g")
        if self.transition is None:
            return _onehot(zz, self.k)
        lik = self.transition[:, zz].T  # (n, k): T[a, z_i]
        if X is not None and getattr(self, "model_", None) is not None:
            x = _check_X(X, zz.size)
            prior = self.prob_a_given_x(x)
        else:
            prior = self.pi_[None, :]
        r = lik * prior
        s = r.sum(axis=1, keepdims=True)
        # zero when x is (estimated) impossible for every group compatible with z: use P(A|z)
        fallback = lik * self.pi_
        r = np.where(s > 0, r, fallback)
        return r / r.sum(axis=1, keepdims=True)


# ----- public entry point -------------------------------------------------------------------
def group_weights(
    z: ArrayLike,
    T: ArrayLike | None,
    method: str,
    X: ArrayLike | None = None,
    *,
    n_iter: int = 10,
) -> NDArray[np.float64]:
    """Row weights ``(n, k)``, non-negative, columns summing to 1, whose weighted empirical
    measures estimate the group conditionals ``P(X | A = a)`` from privatized labels ``z``.

    Parameters
    ----------
    z : (n,) int array
        Labels in ``[0, k)``: the true attribute (``"true"``) or privatized reports.
    T : (k, k) array or None
        Channel ``T[a, z] = P(Z=z | A=a)``; only its size is used by ``"true"``/``"naive"``.
    method : {"true", "naive", "deconvolution", "posterior"}
        See the module docstring.
    X : (n,) or (n, d) array, optional
        Features; 1-D selects the isotonic CDF projection for ``"deconvolution"``.
    n_iter : int
        EM rounds for ``"posterior"``.
    """
    if method not in GROUP_METHODS:
        raise ValueError(f"method must be one of {GROUP_METHODS}, got {method!r}")
    if T is None:
        if method in ("deconvolution", "posterior"):
            raise ValueError(f"method={method!r} needs the transition matrix T")
        zz = np.asarray(z)
        k = int(zz.max()) + 1 if zz.size else 0
    else:
        k = check_transition(T).shape[0]
    zz = check_groups(z, k, name="z")
    n = zz.size
    if n == 0:
        raise ValueError("z is empty")
    if method in ("true", "naive"):
        return _normalize_columns(_onehot(zz, k), f"method={method!r}")
    x = None if X is None else _check_X(X, n)
    if method == "deconvolution":
        if x is None:
            s = deconvolution_weights(zz, T)  # type: ignore[arg-type]
            return _normalize_columns(np.maximum(s, 0.0), "clipped deconvolution")
        if x.ndim == 1 or x.shape[1] == 1:
            s = deconvolution_weights(zz, T)  # type: ignore[arg-type]
            xf = x.ravel()
            w = np.column_stack([_isotonic_cdf_weights(xf, s[:, a]) for a in range(k)])
            return _normalize_columns(w, "isotonic deconvolution")
        post = GroupPosterior("deconvolution", k, T).fit(zz, x)
        return _normalize_columns(post.prob_a_given_x(x), "smoothed deconvolution")
    post = GroupPosterior("posterior", k, T, n_iter=n_iter).fit(zz, x)
    return _normalize_columns(post.predict(zz, x), "posterior")
