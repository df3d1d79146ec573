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

The same models give per-row posteriors ``P(A | z, x)`` for new rows (:class:`GroupPosterior`, a
scikit-learn transformer with the privatized group as ``sensitive_features=``), used to average
group maps at transform time.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from fairldp._sklearn import GroupTransformerMixin, check_sensitive_features
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


def _length(s: Any) -> int:
    """Rows of ``s`` (0 for None or a scalar, which the group check then reports)."""
    return int(np.shape(s)[0]) if s is not None and np.ndim(s) >= 1 else 0


def _infer_k(z: NDArray[Any]) -> int:
    """``max(z) + 1`` for integer codes, at least 2."""
    if z.dtype.kind not in "iubf":
        raise ValueError(f"sensitive_features must hold integer codes, got dtype {z.dtype}")
    k = int(np.max(z)) + 1 if z.size else 0
    if k < 2:
        raise ValueError("need at least 2 groups (codes 0..k-1); pass k or transition to fix k")
    return k


class GroupPosterior(ClassNamePrefixFeaturesOutMixin, GroupTransformerMixin, BaseEstimator):
    """Per-row group probabilities ``P(A = a | z, x)`` from privatized groups ``z``.

    A scikit-learn transformer: ``fit(X, y=None, *, sensitive_features=z)`` fits the prior
    ``pi`` and, for ``"deconvolution"`` / ``"posterior"``, a model of ``P(A | x)``;
    ``transform(X, *, sensitive_features=z)`` (= :meth:`predict_proba`) returns the ``(n, k)``
    rows ``r[i, a] = P(A = a | z_i, x_i)`` (summing to 1), :meth:`predict` their argmax. ``y``
    is ignored. ``X=None`` means no features (``P(A | x)`` replaced by ``pi``).

    - ``"true"`` / ``"naive"``: ``r`` is the one-hot of ``z``; ``pi`` the label frequencies.
    - ``"deconvolution"``: ``r ∝ T[a, z] P^(A=a | x)`` with ``P^(A | x) = proj(M^T P^(Z | x))``
      (``M = T^{-1}``, logistic ``P^(Z | x)``, rows projected onto the simplex).
    - ``"posterior"``: ``r ∝ T[a, z] P^(A=a | x)`` with ``P^(A | x)`` a logistic model fitted by
      EM on the noisy labels (``n_iter`` rounds from ``r ∝ pi_a T[a, z]``).

    With ``T``, ``pi = proj(solve(T^T, p_Z))`` (``p_Z``: frequencies of ``z``); without ``X``,
    ``r ∝ pi_a T[a, z]``.

    Parameters
    ----------
    method : {"true", "naive", "deconvolution", "posterior"}
    k : int or None
        Number of groups; None: ``transition``'s size, else ``max(z) + 1``.
    transition : (k, k) array or None
        Channel ``T[a, z] = P(Z=z | A=a)``; required for ``"deconvolution"`` and
        ``"posterior"`` (for the others it only fixes ``k``).
    n_iter : int >= 1
        EM rounds for ``"posterior"``.
    C : float > 0
        Inverse L2 penalty of the logistic models.

    Attributes
    ----------
    n_groups_ : int
    transition_ : (k, k) array or None
        The validated ``T`` (None for ``"true"`` / ``"naive"``).
    pi_ : (k,) array
    model_ : fitted model of ``P(Z | x)`` or ``P(A | x)``, or None (no ``X`` or no ``T``).
    minv_ : (k, k) array, ``T^{-1}`` (``"deconvolution"`` with ``X`` only).
    n_features_in_, feature_names_in_ : when fitted with ``X``.
    """

    __metadata_request__predict: ClassVar[dict[str, bool]] = {"sensitive_features": True}
    __metadata_request__predict_proba: ClassVar[dict[str, bool]] = {"sensitive_features": True}

    def __init__(
        self,
        method: str = "posterior",
        k: int | None = None,
        transition: ArrayLike | None = None,
        n_iter: int = 10,
        C: float = 1.0,
    ) -> None:
        self.method = method
        self.k = k
        self.transition = transition
        self.n_iter = n_iter
        self.C = C

    def _check_params(self) -> None:
        if self.method not in GROUP_METHODS:
            raise ValueError(f"method must be one of {GROUP_METHODS}, got {self.method!r}")
        if not (isinstance(self.n_iter, numbers.Integral) and self.n_iter >= 1):
            raise ValueError(f"n_iter must be an integer >= 1, got {self.n_iter!r}")
        if not (isinstance(self.C, numbers.Real) and 0 < self.C < math.inf):
            raise ValueError(f"C must be a positive finite number, got {self.C!r}")
        if self.k is not None and not (isinstance(self.k, numbers.Integral) and self.k >= 2):
            raise ValueError(f"k must be None or an integer >= 2, got {self.k!r}")
        if self.method in ("deconvolution", "posterior") and self.transition is None:
            raise ValueError(f"method={self.method!r} needs the transition matrix T")

    def _features(self, X: Any, reset: bool) -> NDArray[np.float64] | None:
        """``X`` validated by scikit-learn (2-D float, finite), or None (no features)."""
        if X is None:
            if reset:  # a refit without features forgets the former ones
                for attr in ("n_features_in_", "feature_names_in_"):
                    self.__dict__.pop(attr, None)
            return None
        return validate_data(
            self, X, reset=reset, dtype=np.float64, ensure_min_samples=2 if reset else 1
        )

    def fit(
        self, X: Any, y: Any = None, *, sensitive_features: ArrayLike | None = None
    ) -> GroupPosterior:
        """Fit ``pi`` and, with ``X`` and ``T`` (``"deconvolution"``, ``"posterior"``), the
        model of ``P(A | x)``, from the privatized groups ``sensitive_features`` (``y``
        ignored)."""
        self._check_params()
        self.__dict__.pop("minv_", None)  # from a former fit
        x = self._features(X, reset=True)
        n = x.shape[0] if x is not None else _length(sensitive_features)
        z = check_sensitive_features(sensitive_features, n, self, "fit")
        t = None
        if self.transition is not None:
            t = check_transition(self.transition, self.k)
            k = t.shape[0]
        elif self.k is not None:
            k = int(self.k)
        else:
            k = _infer_k(z)
        zz = check_groups(z, k, name="sensitive_features")
        if zz.size == 0:
            raise ValueError("sensitive_features is empty")
        counts = np.bincount(zz, minlength=k)
        self.n_groups_ = k
        self.model_: _Logit | None = None
        self.transition_ = None
        if self.method in ("true", "naive"):
            empty = np.flatnonzero(counts == 0)
            if empty.size:
                raise ValueError(f"group(s) {empty.tolist()} have no rows")
            self.pi_ = counts / zz.size
            return self
        assert t is not None  # checked by _check_params
        self.transition_ = t
        pi = project_simplex(np.linalg.solve(t.T, counts / zz.size))
        if np.any(pi <= 0):
            raise ValueError(
                f"estimated group frequencies {pi.round(4).tolist()} have an empty group"
            )
        self.pi_ = pi
        if x is None:
            return self
        if self.method == "deconvolution":
            self.minv_ = _inverse(t)
            self.model_ = _Logit(k, self.C).fit(x, _onehot(zz, k))
        else:  # EM on noisy labels
            r = pi * t[:, zz].T
            r /= r.sum(axis=1, keepdims=True)
            model = _Logit(k, self.C)
            for _ in range(self.n_iter):
                model.fit(x, r)
                r = t[:, zz].T * model.predict_proba(x)
                r /= np.maximum(r.sum(axis=1, keepdims=True), 1e-300)
            self.model_ = model
        return self

    @property
    def _n_features_out(self) -> int:
        return self.n_groups_

    def prob_a_given_x(self, X: Any) -> NDArray[np.float64]:
        """``P^(A | x)`` per row (needs a fit with ``X`` and ``T``)."""
        check_is_fitted(self, "pi_")
        x = self._features(X, reset=False)
        if x is None or self.model_ is None:
            raise ValueError("P(A | x) needs X, and a fit with X and a transition matrix")
        p = self.model_.predict_proba(x)
        if self.method == "deconvolution":
            p = project_rows_simplex(p @ self.minv_)  # row form of M^T P(Z | x)
        return p

    def predict_proba(
        self, X: Any, *, sensitive_features: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """``(n, k)`` rows ``P(A = a | z_i[, x_i])`` (summing to 1) for the privatized groups
        ``z = sensitive_features``: ``∝ T[a, z_i] P^(A=a | x_i)`` (``∝ T[a, z_i] pi_a`` without
        ``X`` or model), one-hot for ``"true"`` / ``"naive"``."""
        check_is_fitted(self, "pi_")
        x = self._features(X, reset=False)
        n = x.shape[0] if x is not None else _length(sensitive_features)
        z = check_sensitive_features(sensitive_features, n, self, "transform")
        zz = check_groups(z, self.n_groups_, name="sensitive_features")
        if self.transition_ is None:
            return _onehot(zz, self.n_groups_)
        lik = self.transition_[:, zz].T  # (n, k): T[a, z_i]
        prior = self.prob_a_given_x(x) if x is not None and self.model_ is not None else self.pi_
        r = lik * prior
        s = r.sum(axis=1, keepdims=True)
        # zero when x is (estimated) impossible for every group compatible with z: use P(A|z)
        r = np.where(s > 0, r, lik * self.pi_)
        return r / r.sum(axis=1, keepdims=True)

    def transform(
        self, X: Any, *, sensitive_features: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """:meth:`predict_proba` (the group probabilities as ``k`` features)."""
        return self.predict_proba(X, sensitive_features=sensitive_features)

    def predict(self, X: Any, *, sensitive_features: ArrayLike | None = None) -> NDArray[np.intp]:
        """The most probable group of each row (argmax of :meth:`predict_proba`)."""
        return np.argmax(self.predict_proba(X, sensitive_features=sensitive_features), axis=1)


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
        post = GroupPosterior("deconvolution", k, T).fit(x, sensitive_features=zz)
        return _normalize_columns(post.prob_a_given_x(x), "smoothed deconvolution")
    xx = None if x is None else x.reshape(n, -1)
    post = GroupPosterior("posterior", k, T, n_iter=n_iter).fit(xx, sensitive_features=zz)
    return _normalize_columns(post.predict_proba(xx, sensitive_features=zz), "posterior")
