"""Fair classifiers trained on the decoded private attribute ``Z`` only (never on ``A``).

Every method is a scikit-learn style estimator with ``fit(X, y, z)``, ``predict(X, z)`` and
``predict_proba(X, z)`` (``z``: decoded codes in ``[0, k)`` from
:meth:`fairldp.fair.noise.NoiseModel.decode`; ``y`` binary 0/1), built as
``cls(noise_model, base_model, random_state, **params)``. Registry :data:`fairldp.fair.METHODS`
(the names below are declared there, without importing this module), factory
:func:`make_method`.

- ``unaware``: base model on ``X`` (``z`` dropped); ``plain``: ``X`` plus one-hot ``z``.
- naive fairness (``Z`` treated as ``A``): fairlearn ``ExponentiatedGradient`` with
  ``DemographicParity`` / ``EqualizedOdds`` / ``TruePositiveRateParity``
  (``expgrad_dp|eo|tpr``), ``ThresholdOptimizer`` (``threshold_dp|eo``), reweighing
  (``reweigh``), two-step post-processing with ``T = I`` (``postproc_naive_eo|dp``).
- noise-corrected (through the exact ``T`` of :class:`~fairldp.fair.noise.NoiseModel`):
  ``corrected_expgrad_dp|eo|tpr`` (Lamy et al., NeurIPS 2019: rescaled tolerance),
  ``corrected_postproc_eo|dp`` (Mozannar, Ohannessian & Srebro, ICML 2020: two-step LP),
  ``corrected_reweigh`` (Kamiran & Calders, 2012 reweighing with recovered ``P(A, Y)``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.pipeline import Pipeline

from fairldp.fair import METHODS
from fairldp.fair.noise import NoiseModel, NoiseModelError
from fairldp.models import make_model

__all__ = [
    "METHODS",
    "NEEDS_NOISE_MODEL",
    "CorrectedExpGrad",
    "FairMethod",
    "NaiveExpGrad",
    "NaiveThreshold",
    "Plain",
    "Reweighing",
    "TwoStepPostProcessing",
    "Unaware",
    "base_estimator",
    "make_method",
    "tolerance_scale",
]

_ROOT_SEED = 0x5EED_FA12


def _rng(random_state: int | None, stream: int) -> np.random.Generator:
    """A generator derived from ``random_state`` by :class:`numpy.random.SeedSequence`."""
    seed = 0 if random_state is None else int(random_state)
    return np.random.default_rng(np.random.SeedSequence([_ROOT_SEED, seed, stream]))


def base_estimator(base_model: Any, random_state: int | None) -> Any:
    """A fresh base classifier: a :data:`fairldp.models.MODELS` name built with
    ``random_state``, or a clone of an estimator."""
    if isinstance(base_model, str):
        return make_model(base_model, 0 if random_state is None else int(random_state))
    return clone(base_model)


def _weight_name(model: Any) -> str:
    """Keyword passing sample weights to ``model.fit`` (routed to a pipeline's last step)."""
    if isinstance(model, Pipeline):
        return f"{model.steps[-1][0]}__sample_weight"
    return "sample_weight"


def _check_xyz(
    X: ArrayLike, y: ArrayLike | None, z: ArrayLike, k: int | None
) -> tuple[Any, NDArray[np.int64] | None, NDArray[np.int64]]:
    n = len(X)  # type: ignore[arg-type]
    zz = np.asarray(z)
    if zz.ndim != 1 or zz.size != n or zz.dtype.kind not in "iu" or np.any(zz < 0):
        raise ValueError(f"z must be {n} non-negative integer codes (decoded reports)")
    if k is not None and np.any(zz >= k):
        raise ValueError(f"z must be codes in [0, {k})")
    yy = None
    if y is not None:
        yy = np.asarray(y)
        if yy.shape != (n,) or not np.all(np.isin(yy, (0, 1))):
            raise ValueError(f"y must be {n} binary labels in {{0, 1}}")
        yy = yy.astype(np.int64)
    if not hasattr(X, "iloc"):
        X = np.asarray(X)
    return X, yy, zz.astype(np.int64)


class _quiet_fairlearn(warnings.catch_warnings):
    """Silence fairlearn's own deprecation noise (pandas ``.at`` setters) inside a block."""

    def __enter__(self) -> None:
        super().__enter__()
        for cat in (DeprecationWarning, FutureWarning):
            warnings.filterwarnings("ignore", category=cat, module=r"fairlearn\.")


def _proba2(p1: NDArray[np.float64]) -> NDArray[np.float64]:
    p1 = np.clip(np.asarray(p1, dtype=float), 0.0, 1.0)
    return np.column_stack([1.0 - p1, p1])


def _k(noise_model: NoiseModel | None, z: NDArray[np.int64]) -> int:
    return noise_model.k if noise_model is not None else int(z.max()) + 1


class FairMethod(ClassifierMixin, BaseEstimator):
    """Common parameters: ``noise_model`` (may be ``None`` for naive methods), ``base_model``
    (a :data:`fairldp.models.MODELS` name or an estimator) and ``random_state``."""

    def __init__(
        self,
        noise_model: NoiseModel | None = None,
        base_model: Any = "logistic_regression",
        random_state: int | None = None,
    ) -> None:
        self.noise_model = noise_model
        self.base_model = base_model
        self.random_state = random_state

    def predict(self, X: ArrayLike, z: ArrayLike) -> NDArray[np.int64]:
        """Deterministic: ``P(Yhat = 1) >= 1/2``; randomized methods override this."""
        return (self.predict_proba(X, z)[:, 1] >= 0.5).astype(np.int64)


class Unaware(FairMethod):
    """Base model fitted on ``X`` alone (``z`` ignored)."""

    def fit(self, X: ArrayLike, y: ArrayLike, z: ArrayLike) -> Unaware:
        X, y, z = _check_xyz(X, y, z, None)
        self.model_ = base_estimator(self.base_model, self.random_state).fit(X, y)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: ArrayLike, z: ArrayLike) -> NDArray[np.float64]:
        return self.model_.predict_proba(X)


class Plain(FairMethod):
    """Base model on ``X`` with the one-hot decoded attribute appended (``k`` columns)."""

    def _features(self, X: ArrayLike, z: NDArray[np.int64]) -> NDArray[np.float64]:
        onehot = np.zeros((z.size, self.k_))
        onehot[np.arange(z.size), z] = 1.0
        return np.hstack([np.asarray(X, dtype=float), onehot])

    def fit(self, X: ArrayLike, y: ArrayLike, z: ArrayLike) -> Plain:
        X, y, z = _check_xyz(X, y, z, self.noise_model.k if self.noise_model else None)
        self.k_ = _k(self.noise_model, z)
        base = base_estimator(self.base_model, self.random_state)
        self.model_ = base.fit(self._features(X, z), y)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: ArrayLike, z: ArrayLike) -> NDArray[np.float64]:
        X, _, z = _check_xyz(X, None, z, self.k_)
        return self.model_.predict_proba(self._features(X, z))


# ----- reductions (ExponentiatedGradient) --------------------------------------------------------

_CONSTRAINTS = ("demographic_parity", "equalized_odds", "true_positive_rate_parity")


def _moment(constraint: str, bound: float) -> Any:
    from fairlearn.reductions import DemographicParity, EqualizedOdds, TruePositiveRateParity

    cls = {
        "demographic_parity": DemographicParity,
        "equalized_odds": EqualizedOdds,
        "true_positive_rate_parity": TruePositiveRateParity,
    }
    if constraint not in cls:
        raise ValueError(f"constraint must be one of {list(_CONSTRAINTS)}, got {constraint!r}")
    return cls[constraint](difference_bound=bound)


def _kappa(m: NDArray[np.float64], pi: NDArray[np.float64]) -> float:
    """``max ||d||_inf`` over ``{d : pi^T d = 0, ||M d||_inf <= 1}`` (``2k`` small LPs)."""
    from scipy.optimize import linprog

    k = pi.size  # groups (columns of m); rows of m are the decoded values
    a_ub = np.vstack([m, -m])
    b_ub = np.ones(a_ub.shape[0])
    best = 0.0
    for a in range(k):
        for sign in (1.0, -1.0):
            c = np.zeros(k)
            c[a] = -sign
            res = linprog(
                c, A_ub=a_ub, b_ub=b_ub, A_eq=pi[None, :], b_eq=[0.0],
                bounds=[(None, None)] * k, method="highs",
            )  # fmt: skip
            if res.status == 3:
                return np.inf
            if res.status != 0:
                raise NoiseModelError(f"tolerance LP failed: {res.message}")
            best = max(best, -res.fun)
    return best


def tolerance_scale(
    noise_model: NoiseModel,
    y: ArrayLike,
    z: ArrayLike,
    constraint: str,
    min_group_mass: float = 0.01,
) -> float:
    """Factor ``s`` such that a violation ``<= s * tol`` on ``Z`` implies ``<= tol`` on ``A``.

    fairlearn's violation for group ``a`` (within label ``y`` for EO/TPR) is
    ``d_a = E[f | A=a(, Y=y)] - E[f (| Y=y)]``. For a classifier of ``X`` only, ``Z`` is
    independent of ``f`` given ``(A, Y)``, so the violations measured on ``Z`` are exactly
    ``d^Z = M d^A`` with ``M[z, a] = P(A=a | Z=z(, Y=y))`` (rows sum to one and
    ``pi^T d^A = 0`` with ``pi = P(A (| Y=y))``). Then ``s = 1 / max_y kappa_y`` with
    ``kappa = max{||d||_inf : pi^T d = 0, ||M d||_inf <= 1}`` (tight). For ``k = 2`` and
    symmetric noise this is Lamy et al.'s ``1 - alpha - beta``, with ``alpha, beta`` the
    flip rates ``P(A != z | Z = z)``. ``P(A, Y)`` is recovered from ``(Z, Y)`` through ``T``.
    Groups whose recovered share (within ``y``) is below ``min_group_mass`` are left out of
    ``d`` (fallback for groups absent from the training rows).

    Note that fairlearn bounds each group's deviation from the overall rate, so the pairwise
    gap ``max_a - min_a`` on ``A`` is guaranteed only up to ``2 tol``.
    """
    _, yy, zz = _check_xyz(np.empty((len(z), 0)), y, z, noise_model.k)
    k = noise_model.k
    pzy = np.zeros((k, 2))
    np.add.at(pzy, (zz, yy), 1.0)
    pay = noise_model.recover(pzy / pzy.sum())  # unbiased; marginals clipped at 0 below
    labels = {"demographic_parity": [None], "equalized_odds": [0, 1]}.get(constraint, [1])
    kappa = 0.0
    for lab in labels:
        pa = np.maximum(pay.sum(axis=1) if lab is None else pay[:, lab], 0.0)
        if pa.sum() <= 0:
            raise ValueError(f"no training row with y={lab}: cannot rescale the tolerance")
        pa = pa / pa.sum()
        keep = pa >= min_group_mass
        if keep.sum() < 2:
            raise ValueError(
                f"fewer than two groups with recovered mass >= {min_group_mass} (y={lab}): "
                "no fairness constraint to rescale"
            )
        m = noise_model.posterior(pa)[:, keep]
        kappa = max(kappa, _kappa(m, pa[keep]))
    if not np.isfinite(kappa) or kappa <= 0:
        raise NoiseModelError(
            f"the fairness violation on A cannot be bounded from Z (kappa={kappa}) for "
            f"protocol {noise_model.protocol.name!r}, eps={noise_model.protocol.epsilon}, k={k}"
        )
    return 1.0 / kappa


class NaiveExpGrad(FairMethod):
    """fairlearn ``ExponentiatedGradient`` with ``z`` as the sensitive feature.

    ``constraint``: ``"demographic_parity"``, ``"equalized_odds"`` or
    ``"true_positive_rate_parity"``; ``tolerance``: the ``difference_bound``. Predictions are
    the randomized classifier's (``predict_proba`` is its mixture probability).
    """

    def __init__(
        self,
        noise_model: NoiseModel | None = None,
        base_model: Any = "logistic_regression",
        random_state: int | None = None,
        constraint: str = "equalized_odds",
        tolerance: float = 0.05,
        max_iter: int = 50,
    ) -> None:
        super().__init__(noise_model, base_model, random_state)
        self.constraint = constraint
        self.tolerance = tolerance
        self.max_iter = max_iter

    def _bound(self, y: NDArray[np.int64], z: NDArray[np.int64]) -> float:
        return float(self.tolerance)

    def fit(self, X: ArrayLike, y: ArrayLike, z: ArrayLike) -> NaiveExpGrad:
        from fairlearn.reductions import ExponentiatedGradient

        X, y, z = _check_xyz(X, y, z, None)
        self.bound_ = self._bound(y, z)
        base = base_estimator(self.base_model, self.random_state)
        self.model_ = ExponentiatedGradient(
            base,
            _moment(self.constraint, self.bound_),
            max_iter=self.max_iter,
            sample_weight_name=_weight_name(base),
        )
        with _quiet_fairlearn():
            self.model_.fit(X, y, sensitive_features=z)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: ArrayLike, z: ArrayLike) -> NDArray[np.float64]:
        with _quiet_fairlearn():
            return self.model_._pmf_predict(X)

    def predict(self, X: ArrayLike, z: ArrayLike) -> NDArray[np.int64]:
        p1 = self.predict_proba(X, z)[:, 1]
        return (_rng(self.random_state, 1).random(p1.size) < p1).astype(np.int64)


class CorrectedExpGrad(NaiveExpGrad):
    """Lamy et al. (NeurIPS 2019): ``ExponentiatedGradient`` on ``Z`` with the tolerance
    rescaled by :func:`tolerance_scale` (``1 - alpha - beta`` for binary symmetric noise), so
    that the constraint on ``Z`` implies the target ``tolerance`` on the true ``A``.
    ``min_group_mass``: see :func:`tolerance_scale`."""

    def __init__(
        self,
        noise_model: NoiseModel | None = None,
        base_model: Any = "logistic_regression",
        random_state: int | None = None,
        constraint: str = "equalized_odds",
        tolerance: float = 0.05,
        max_iter: int = 50,
        min_group_mass: float = 0.01,
    ) -> None:
        super().__init__(noise_model, base_model, random_state, constraint, tolerance, max_iter)
        self.min_group_mass = min_group_mass

    def _bound(self, y: NDArray[np.int64], z: NDArray[np.int64]) -> float:
        if self.noise_model is None:
            raise ValueError("CorrectedExpGrad needs a noise_model")
        self.scale_ = tolerance_scale(
            self.noise_model, y, z, self.constraint, min_group_mass=self.min_group_mass
        )
        return float(self.tolerance) * self.scale_


class NaiveThreshold(FairMethod):
    """fairlearn ``ThresholdOptimizer`` (Hardt et al., 2016) with ``z`` as the group.

    ``constraint``: ``"equalized_odds"`` or ``"demographic_parity"``. Fallback: rows whose
    ``z`` value was absent at fit time (fairlearn would silently predict 0 for them) get the
    unconstrained base model's probability, with a ``UserWarning``.
    """

    def __init__(
        self,
        noise_model: NoiseModel | None = None,
        base_model: Any = "logistic_regression",
        random_state: int | None = None,
        constraint: str = "equalized_odds",
    ) -> None:
        super().__init__(noise_model, base_model, random_state)
        self.constraint = constraint

    def fit(self, X: ArrayLike, y: ArrayLike, z: ArrayLike) -> NaiveThreshold:
        from fairlearn.postprocessing import ThresholdOptimizer

        X, y, z = _check_xyz(X, y, z, None)
        self.model_ = ThresholdOptimizer(
            estimator=base_estimator(self.base_model, self.random_state),
            constraints=self.constraint,
            predict_method="predict_proba",
        )
        with _quiet_fairlearn():
            self.model_.fit(X, y, sensitive_features=z)
        self.groups_ = np.unique(z)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: ArrayLike, z: ArrayLike) -> NDArray[np.float64]:
        X, _, z = _check_xyz(X, None, z, None)
        seen = np.isin(z, self.groups_)
        with _quiet_fairlearn():
            out = np.asarray(self.model_._pmf_predict(X, sensitive_features=z), dtype=float)
        if not np.all(seen):
            warnings.warn(
                f"z values {sorted(set(z[~seen].tolist()))} were absent at fit time: those rows "
                "get the unconstrained base model's probability",
                UserWarning,
                stacklevel=2,
            )
            out[~seen] = self.model_.estimator_.predict_proba(
                X.iloc[~seen] if hasattr(X, "iloc") else np.asarray(X)[~seen]
            )
        return out

    def predict(self, X: ArrayLike, z: ArrayLike) -> NDArray[np.int64]:
        p1 = self.predict_proba(X, z)[:, 1]
        return (_rng(self.random_state, 1).random(p1.size) < p1).astype(np.int64)


# ----- two-step post-processing (Mozannar et al.) -----------------------------------------------


class TwoStepPostProcessing(FairMethod):
    """Mozannar, Ohannessian & Srebro (ICML 2020) two-step post-processing, any protocol.

    1. Fit the base model on a ``1 - holdout`` share of the rows (stratified by ``y``); its
       hard prediction is ``Yhat``.
    2. On the held-out rows, count ``(Z, Y, Yhat)`` and recover ``P(A, Y, Yhat)`` with
       ``T`` (unbiased; not projected, see the comment in :meth:`fit`). The derived
       predictor flips with ``p[z, yh] = P(Ytilde = 1 | Yhat = yh, Z = z)``; since ``Z``
       is independent of ``(Y, Yhat)`` given ``A``,

       ``P(Ytilde=1 | A=a, Y=y) = sum_{z, yh} p[z, yh] T[a, z] P(A=a, Y=y, Yhat=yh) / P(A=a, Y=y)``

       is linear in ``p``. The LP (``scipy.optimize.linprog``, HiGHS) maximizes the accuracy
       ``sum_{z, y, yh} P(Z=z, Y=y, Yhat=yh) (p[z, yh] if y else 1 - p[z, yh])`` (observed
       counts: no inversion needed) subject to, for all groups ``a != a'``,
       ``gamma_{a,y} - gamma_{a',y} <= tolerance`` for ``y in {0, 1}`` (equalized odds) or
       ``P(Ytilde=1 | A=a) - P(Ytilde=1 | A=a') <= tolerance`` (demographic parity), and
       ``0 <= p <= 1``. A constant ``p`` is always feasible.

    ``noise_model=None`` (or ``corrected=False``) gives the naive version (``T = I``: ``Z``
    taken as ``A``). Groups (or group-label cells for EO) whose recovered mass is below
    ``min_group_mass`` are left out of the constraints with a ``UserWarning``
    (``excluded_groups_``). Predictions are randomized with a generator derived from
    ``random_state``; ``predict_proba`` gives ``p[z, Yhat]``.
    """

    def __init__(
        self,
        noise_model: NoiseModel | None = None,
        base_model: Any = "logistic_regression",
        random_state: int | None = None,
        constraint: str = "equalized_odds",
        tolerance: float = 0.02,
        holdout: float = 0.5,
        corrected: bool = True,
        min_group_mass: float = 1e-3,
    ) -> None:
        super().__init__(noise_model, base_model, random_state)
        self.constraint = constraint
        self.tolerance = tolerance
        self.holdout = holdout
        self.corrected = corrected
        self.min_group_mass = min_group_mass

    def _t(self, k: int) -> NDArray[np.float64]:
        if self.corrected and self.noise_model is not None:
            return self.noise_model.T
        return np.eye(k)

    def fit(self, X: ArrayLike, y: ArrayLike, z: ArrayLike) -> TwoStepPostProcessing:
        from scipy.optimize import linprog
        from sklearn.model_selection import train_test_split

        if self.constraint not in ("equalized_odds", "demographic_parity"):
            raise ValueError(
                "constraint must be 'equalized_odds' or 'demographic_parity', got "
                f"{self.constraint!r}"
            )
        X, y, z = _check_xyz(X, y, z, self.noise_model.k if self.noise_model else None)
        k = self.k_ = _k(self.noise_model, z)
        idx = np.arange(y.size)
        fit_idx, hold_idx = train_test_split(
            idx, test_size=self.holdout, stratify=y, random_state=self.random_state
        )
        take = (lambda a, i: a.iloc[i]) if hasattr(X, "iloc") else (lambda a, i: a[i])
        base = base_estimator(self.base_model, self.random_state)
        self.model_ = base.fit(take(X, fit_idx), y[fit_idx])
        yh = self.model_.predict(take(X, hold_idx)).astype(np.int64)
        yy, zz = y[hold_idx], z[hold_idx]
        # observed joint P(Z, Y, Yhat) and recovered P(A, Y, Yhat)
        pz = np.zeros((k, 2, 2))
        np.add.at(pz, (zz, yy, yh), 1.0)
        pz /= pz.sum()
        t = self._t(k)
        if self.corrected and self.noise_model is not None:
            # unbiased, deliberately not projected: projecting the whole joint onto the
            # simplex subtracts the same amount from every cell, which biases the totals of
            # small groups (and hence their rates) by several standard errors
            pa = self.noise_model.recover(pz)
        else:
            pa = pz
        self.joint_ = pa
        # gamma[(a, y)] as a linear function of p (flattened p[z, yh], index 2 z + yh)
        cells = [(None,)] if self.constraint == "demographic_parity" else [(0,), (1,)]
        rows, excluded = [], []
        for (lab,) in cells:
            coefs = []
            for a in range(k):
                w = pa[a] if lab is None else pa[a, lab][None, :]  # (ny, 2) over (y, yh)
                mass = float(w.sum())
                if mass < self.min_group_mass:
                    excluded.append((a, lab))
                    continue
                # coef[z, yh] = T[a, z] * P(a, y(, any), yh) / P(a, y)
                coefs.append(t[a][:, None] * w.sum(axis=0)[None, :] / mass)
            for i in range(len(coefs)):
                for j in range(len(coefs)):
                    if i != j:
                        rows.append((coefs[i] - coefs[j]).ravel())
        if excluded:
            warnings.warn(
                f"groups (a, y) {excluded} have recovered mass < {self.min_group_mass} and "
                "are left out of the fairness constraints",
                UserWarning,
                stacklevel=2,
            )
        self.excluded_groups_ = excluded
        # accuracy = const + sum_{z, yh} p[z, yh] (P(z, 1, yh) - P(z, 0, yh))
        c = -(pz[:, 1, :] - pz[:, 0, :]).ravel()
        a_ub = np.array(rows) if rows else None
        b_ub = np.full(len(rows), float(self.tolerance)) if rows else None
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=[(0.0, 1.0)] * (2 * k), method="highs")
        if res.status != 0:
            raise ValueError(f"post-processing LP failed: {res.message}")
        self.flip_ = np.clip(res.x.reshape(k, 2), 0.0, 1.0)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: ArrayLike, z: ArrayLike) -> NDArray[np.float64]:
        X, _, z = _check_xyz(X, None, z, self.k_)
        yh = self.model_.predict(X).astype(np.int64)
        return _proba2(self.flip_[z, yh])

    def predict(self, X: ArrayLike, z: ArrayLike) -> NDArray[np.int64]:
        p1 = self.predict_proba(X, z)[:, 1]
        return (_rng(self.random_state, 1).random(p1.size) < p1).astype(np.int64)


# ----- pre-processing (reweighing) ---------------------------------------------------------------


class Reweighing(FairMethod):
    """Kamiran & Calders (2012) reweighing, base model fitted with ``sample_weight``.

    Target weights ``w(a, y) = P(a) P(y) / P(a, y)`` make ``A`` independent of ``Y``.

    - naive (``corrected=False`` or no noise model): ``Z`` used as ``A``;
    - corrected: ``P(A, Y)`` recovered from ``(Z, Y)`` through ``T`` (negative cells clipped
      to 0, renormalized), then row weights ``omega(z, y)`` mapped from ``w``:

      * ``row_weights="unbiased"`` (default): ``omega(., y) >= 0`` solving
        ``T omega(., y) = w(., y)`` (non-negative least squares), so that
        ``E[omega(Z, y) | A=a, Y=y] = w(a, y)`` and the weighted ``(A, Y)`` is independent
        whenever an exact non-negative solution exists;
      * ``row_weights="posterior"``: ``E[w(A, y) | Z=z, Y=y]`` with the posterior
        ``P(A | Z, Y)`` through ``T``. Note: without projection this equals
        ``P(z) P(y) / P(z, y)``, the naive weights, so it only differs from naive through
        the clipping.

    Cells ``(a, y)`` with zero recovered mass get weight 0 (``w`` undefined).
    """

    def __init__(
        self,
        noise_model: NoiseModel | None = None,
        base_model: Any = "logistic_regression",
        random_state: int | None = None,
        corrected: bool = True,
        row_weights: str = "unbiased",
    ) -> None:
        super().__init__(noise_model, base_model, random_state)
        self.corrected = corrected
        self.row_weights = row_weights

    def fit(self, X: ArrayLike, y: ArrayLike, z: ArrayLike) -> Reweighing:
        from scipy.optimize import nnls

        if self.row_weights not in ("unbiased", "posterior"):
            raise ValueError(
                f"row_weights must be 'unbiased' or 'posterior', got {self.row_weights!r}"
            )
        X, y, z = _check_xyz(X, y, z, self.noise_model.k if self.noise_model else None)
        k = self.k_ = _k(self.noise_model, z)
        pzy = np.zeros((k, 2))
        np.add.at(pzy, (z, y), 1.0)
        pzy /= pzy.sum()
        corrected = self.corrected and self.noise_model is not None
        if corrected:  # unbiased recovery, negative cells (sampling noise) clipped to 0
            pay = np.maximum(self.noise_model.recover(pzy), 0.0)
            pay /= pay.sum()
        else:
            pay = pzy
        target = np.outer(pay.sum(axis=1), pay.sum(axis=0))
        w = np.divide(target, pay, out=np.zeros_like(pay), where=pay > 0)
        if not corrected:
            omega = w
        elif self.row_weights == "posterior":
            t = self.noise_model.T
            omega = np.zeros((k, 2))
            for lab in range(2):
                post = self.noise_model.posterior(pay[:, lab])  # (z, a)
                omega[:, lab] = post @ w[:, lab]
        else:
            t = self.noise_model.T
            omega = np.column_stack([nnls(t, w[:, lab])[0] for lab in range(2)])
        self.weights_ = omega
        sw = omega[z, y]
        if not np.any(sw > 0):
            raise ValueError("all reweighing weights are zero")
        base = base_estimator(self.base_model, self.random_state)
        self.model_ = base.fit(X, y, **{_weight_name(base): sw * (sw.size / sw.sum())})
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: ArrayLike, z: ArrayLike) -> NDArray[np.float64]:
        return self.model_.predict_proba(X)


# ----- registry -----------------------------------------------------------------------------------


def make_method(
    name: str,
    noise_model: NoiseModel | None = None,
    base_model: Any = "logistic_regression",
    random_state: int | None = None,
    **params: Any,
) -> FairMethod:
    """A fresh estimator of method ``name`` (registered in :data:`METHODS`); extra ``params``
    (e.g. ``tolerance``) go to its constructor after the method's fixed ones."""
    cls = METHODS.get(name)
    meta = METHODS.meta(name)
    if meta.get("needs_noise_model") and noise_model is None:
        raise ValueError(f"method {name!r} needs a noise_model")
    return cls(noise_model, base_model, random_state, **{**meta.get("fixed", {}), **params})


#: methods that need a :class:`NoiseModel`
NEEDS_NOISE_MODEL = frozenset(n for n in METHODS if METHODS.meta(n).get("needs_noise_model"))
