"""Fair classifiers trained on the decoded private attribute ``Z`` only (never on ``A``).

Every method is a scikit-learn classifier with fairlearn's calling convention:
``fit(X, y, *, sensitive_features=z)``, ``predict(X, *, sensitive_features=z)``,
``predict_proba``, ``score`` (``z``: decoded group codes in ``[0, k)`` from
:meth:`fairldp.fair.noise.NoiseModel.decode`; ``y`` binary, any two labels, ``classes_[1]``
positive), built as ``cls(noise_model, base_model, random_state, **params)``. The group is
requested by default under metadata routing, so ``cross_val_score`` and ``GridSearchCV``
route it with ``sklearn.set_config(enable_metadata_routing=True)``; a method that needs it
and does not get it raises :class:`~fairldp._sklearn.MissingGroupError`. Randomized methods
draw each row's decision from a hash of ``(random_state, row, group)``: the same row gets the
same decision in any batch, order or subset. Registry :data:`fairldp.fair.METHODS`
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
  ``corrected_threshold_eo|dp`` (Hardt et al. 2016 thresholds on the cross-fitted score with
  the ROC curves recovered through ``T``, :class:`CorrectedThreshold`),
  ``corrected_reweigh`` (Kamiran & Calders, 2012 reweighing with recovered ``P(A, Y)``).
- per-group floors (levelling up, :class:`CorrectedThreshold` with a floor):
  ``floor_recall|precision|accuracy`` (``Z`` taken as ``A``) and their noise-corrected
  ``corrected_floor_recall|precision|accuracy``: every group's rate at least ``floor``;
  minimax group error ``minimax_accuracy`` and ``corrected_minimax_accuracy`` (the accuracy
  floor at the largest value every group can reach).
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from fairldp._sklearn import check_sensitive_features, group_codes
from fairldp.fair import METHODS
from fairldp.fair.noise import NoiseModel, NoiseModelError
from fairldp.models import make_model

__all__ = [
    "METHODS",
    "NEEDS_NOISE_MODEL",
    "CorrectedExpGrad",
    "CorrectedThreshold",
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


def _fit_weighted(model: Any, X: Any, y: Any, sample_weight: Any) -> Any:
    """``model.fit`` with sample weights routed to a pipeline's last step by name, outside
    metadata routing (under routing a Pipeline refuses ``step__sample_weight``)."""
    from sklearn import config_context

    if sample_weight is None:
        return model.fit(X, y)
    with config_context(enable_metadata_routing=False):
        return model.fit(X, y, **{_weight_name(model): sample_weight})


class _SampleWeighted(ClassifierMixin, BaseEstimator):
    """``estimator`` with ``fit(X, y, sample_weight=)`` routed to its last step: fairlearn's
    reductions pass one keyword name to the base model and to the ``DummyClassifier`` they
    substitute when a reweighted subproblem has one class, so it must be ``sample_weight``."""

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _SampleWeighted:
        self.estimator_ = _fit_weighted(clone(self.estimator), X, y, sample_weight)
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X: Any) -> Any:
        return self.estimator_.predict(X)

    def predict_proba(self, X: Any) -> Any:
        return self.estimator_.predict_proba(X)


class _quiet_fairlearn(warnings.catch_warnings):
    """Silence fairlearn's own deprecation noise (pandas ``.at`` setters) inside a block."""

    def __enter__(self) -> None:
        super().__enter__()
        for cat in (DeprecationWarning, FutureWarning):
            warnings.filterwarnings("ignore", category=cat, module=r"fairlearn\.")


def _proba2(p1: NDArray[np.float64]) -> NDArray[np.float64]:
    p1 = np.clip(np.asarray(p1, dtype=float), 0.0, 1.0)
    return np.column_stack([1.0 - p1, p1])


def _row_uniforms(
    X: NDArray[np.float64], z: NDArray[np.int64] | None, random_state: int | None
) -> NDArray[np.float64]:
    """One ``U(0, 1)`` per row, a function of ``(random_state, row of X, z)`` only: a hash of
    the row (pandas' vectorized ``hash_array``) mixed with a key from
    :class:`numpy.random.SeedSequence` by the splitmix64 finalizer."""
    import pandas as pd

    cols = [X[:, j] for j in range(X.shape[1])]
    if z is not None:
        cols.append(z.astype(np.float64))
    key = np.random.SeedSequence([_ROOT_SEED, 0 if random_state is None else int(random_state),
                                  1]).generate_state(1, np.uint64)[0]  # fmt: skip
    h = np.full(X.shape[0], key, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for c in cols:
            h ^= pd.util.hash_array(np.ascontiguousarray(c, dtype=np.float64) + 0.0)
            h += np.uint64(0x9E3779B97F4A7C15)
            h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            h ^= h >> np.uint64(31)
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53


class FairMethod(ClassifierMixin, BaseEstimator):
    """Common parameters: ``noise_model`` (may be ``None`` for naive methods), ``base_model``
    (a :data:`fairldp.models.MODELS` name or an estimator) and ``random_state``.

    Subclasses implement ``_fit(X, y, z)`` (``y`` in {0, 1}, ``z`` codes) and
    ``_proba1(X, z)`` (``P(Yhat = 1)``); ``group_at_predict`` says whether prediction reads the
    group, ``randomized`` whether :meth:`predict` draws from ``_proba1``.
    """

    group_at_predict: ClassVar[bool] = True
    randomized: ClassVar[bool] = False
    __metadata_request__fit: ClassVar[dict[str, bool]] = {"sensitive_features": True}
    __metadata_request__predict: ClassVar[dict[str, bool]] = {"sensitive_features": True}
    __metadata_request__predict_proba: ClassVar[dict[str, bool]] = {"sensitive_features": True}
    __metadata_request__score: ClassVar[dict[str, bool]] = {"sensitive_features": True}

    def __init__(
        self,
        noise_model: NoiseModel | None = None,
        base_model: Any = "logistic_regression",
        random_state: int | None = None,
    ) -> None:
        self.noise_model = noise_model
        self.base_model = base_model
        self.random_state = random_state

    # ----- validation ---------------------------------------------------------------------
    def _domain(self) -> int | None:
        return self.noise_model.k if self.noise_model is not None else None

    def _groups(self, sensitive_features: ArrayLike | None, n: int, method: str) -> Any:
        z = check_sensitive_features(sensitive_features, n, self, method)
        return group_codes(z, self._domain() if method == "fit" else self.k_, self)

    def fit(
        self, X: ArrayLike, y: ArrayLike, *, sensitive_features: ArrayLike | None = None
    ) -> FairMethod:
        """Fit on features ``X``, binary labels ``y`` and the (decoded) groups
        ``sensitive_features``."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.size != 2:
            raise ValueError(
                f"Only binary classification is supported by {type(self).__name__}: y must "
                "hold exactly 2 classes, "
                f"found {classes.size} class{'' if classes.size == 1 else 'es'} "
                f"({classes[:5].tolist()})"
            )
        self.classes_ = classes
        z = self._groups(sensitive_features, X.shape[0], "fit")
        self.k_ = self._domain() or int(z.max()) + 1
        self._fit(X, (y == classes[1]).astype(np.int64), z)
        return self

    def _predict_input(
        self, X: ArrayLike, sensitive_features: ArrayLike | None, method: str
    ) -> tuple[NDArray[np.float64], NDArray[np.int64] | None]:
        check_is_fitted(self, "classes_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        if not self.group_at_predict:  # the group is not read: any value (or none) will do
            return X, None
        return X, self._groups(sensitive_features, X.shape[0], method)

    def predict_proba(
        self, X: ArrayLike, *, sensitive_features: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """``[P(Yhat = classes_[0]), P(Yhat = classes_[1])]`` per row."""
        X, z = self._predict_input(X, sensitive_features, "predict_proba")
        return _proba2(self._proba1(X, z))

    def predict(self, X: ArrayLike, *, sensitive_features: ArrayLike | None = None) -> NDArray[Any]:
        """Deterministic methods: ``P(Yhat = 1) >= 1/2``; randomized ones draw
        ``U < P(Yhat = 1)`` with ``U`` the row's hash uniform (see the module docstring)."""
        X, z = self._predict_input(X, sensitive_features, "predict")
        p1 = np.clip(self._proba1(X, z), 0.0, 1.0)
        if self.randomized:
            hit = _row_uniforms(X, z, self.random_state) < p1
        else:
            hit = p1 >= 0.5
        return self.classes_[hit.astype(np.int64)]

    def score(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        *,
        sensitive_features: ArrayLike | None = None,
    ) -> float:
        """Accuracy of :meth:`predict` (the group routed as in ``predict``)."""
        from sklearn.metrics import accuracy_score

        pred = self.predict(X, sensitive_features=sensitive_features)
        return float(accuracy_score(y, pred, sample_weight=sample_weight))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def _fit(self, X: NDArray[np.float64], y: NDArray[np.int64], z: NDArray[np.int64]) -> None:
        raise NotImplementedError  # pragma: no cover

    def _proba1(self, X: NDArray[np.float64], z: NDArray[np.int64] | None) -> NDArray[np.float64]:
        raise NotImplementedError  # pragma: no cover


class Unaware(FairMethod):
    """Base model fitted on ``X`` alone (the group is ignored, also at fit)."""

    group_at_predict = False

    def _fit(self, X: NDArray[np.float64], y: NDArray[np.int64], z: NDArray[np.int64]) -> None:
        self.model_ = base_estimator(self.base_model, self.random_state).fit(X, y)

    def _proba1(self, X: NDArray[np.float64], z: Any) -> NDArray[np.float64]:
        return self.model_.predict_proba(X)[:, 1]


class Plain(FairMethod):
    """Base model on ``X`` with the one-hot decoded attribute appended (``k`` columns)."""

    def _features(self, X: NDArray[np.float64], z: NDArray[np.int64]) -> NDArray[np.float64]:
        onehot = np.zeros((z.size, self.k_))
        onehot[np.arange(z.size), z] = 1.0
        return np.hstack([X, onehot])

    def _fit(self, X: NDArray[np.float64], y: NDArray[np.int64], z: NDArray[np.int64]) -> None:
        base = base_estimator(self.base_model, self.random_state)
        self.model_ = base.fit(self._features(X, z), y)

    def _proba1(self, X: NDArray[np.float64], z: Any) -> NDArray[np.float64]:
        return self.model_.predict_proba(self._features(X, z))[:, 1]


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
    yy, zz = np.asarray(y, dtype=np.int64), np.asarray(z, dtype=np.int64)
    if yy.shape != zz.shape or not np.all(np.isin(yy, (0, 1))):
        raise ValueError("y must be binary labels in {0, 1}, one per group code")
    if zz.size and (zz.min() < 0 or zz.max() >= noise_model.k):
        raise ValueError(f"group codes must lie in [0, {noise_model.k})")
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

    group_at_predict = False
    randomized = True

    def _fit(self, X: NDArray[np.float64], y: NDArray[np.int64], z: NDArray[np.int64]) -> None:
        from fairlearn.reductions import ExponentiatedGradient

        self.bound_ = self._bound(y, z)
        base = _SampleWeighted(base_estimator(self.base_model, self.random_state))
        self.model_ = ExponentiatedGradient(
            base, _moment(self.constraint, self.bound_), max_iter=self.max_iter
        )
        with _quiet_fairlearn():
            self.model_.fit(X, y, sensitive_features=z)

    def _proba1(self, X: NDArray[np.float64], z: Any) -> NDArray[np.float64]:
        with _quiet_fairlearn():
            return np.asarray(self.model_._pmf_predict(X), dtype=float)[:, 1]


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


_MISSING_POLICIES = ("raise", "base")


def _check_missing(method: FairMethod, seen: NDArray[np.bool_], where: str) -> None:
    """Apply ``on_missing_group`` to the group codes ``~seen`` (no training row)."""
    if method.on_missing_group not in _MISSING_POLICIES:  # type: ignore[attr-defined]
        raise ValueError(
            f"on_missing_group must be one of {list(_MISSING_POLICIES)}, got "
            f"{method.on_missing_group!r}"  # type: ignore[attr-defined]
        )
    missing = np.flatnonzero(~seen).tolist()
    if missing and method.on_missing_group == "raise":  # type: ignore[attr-defined]
        raise ValueError(
            f"{type(method).__name__}: group code(s) {missing} of [0, {seen.size}) have no "
            f"{where}, so no fair threshold exists for them; pass on_missing_group='base' to "
            "give their rows the unconstrained base model's prediction"
        )


class NaiveThreshold(FairMethod):
    """fairlearn ``ThresholdOptimizer`` (Hardt et al., 2016) with ``z`` as the group.

    ``constraint``: ``"equalized_odds"`` or ``"demographic_parity"``. A group code of the
    domain (``[0, k)``, ``k`` from the noise model, else ``max + 1``) without training rows
    (fairlearn would silently predict 0 for it): ``on_missing_group="raise"`` (default) refuses
    to fit; ``"base"`` gives its rows the unconstrained base model's probability.
    """

    randomized = True

    def __init__(
        self,
        noise_model: NoiseModel | None = None,
        base_model: Any = "logistic_regression",
        random_state: int | None = None,
        constraint: str = "equalized_odds",
        on_missing_group: str = "raise",
    ) -> None:
        super().__init__(noise_model, base_model, random_state)
        self.constraint = constraint
        self.on_missing_group = on_missing_group

    def _fit(self, X: NDArray[np.float64], y: NDArray[np.int64], z: NDArray[np.int64]) -> None:
        from fairlearn.postprocessing import ThresholdOptimizer

        seen = np.bincount(z, minlength=self.k_) > 0
        _check_missing(self, seen, "training row")
        self.model_ = ThresholdOptimizer(
            estimator=base_estimator(self.base_model, self.random_state),
            constraints=self.constraint,
            predict_method="predict_proba",
        )
        with _quiet_fairlearn():
            self.model_.fit(X, y, sensitive_features=z)
        self.groups_ = np.flatnonzero(seen)

    def _proba1(self, X: NDArray[np.float64], z: Any) -> NDArray[np.float64]:
        seen = np.isin(z, self.groups_)
        out = np.empty(z.size)
        if np.any(seen):
            with _quiet_fairlearn():
                out[seen] = np.asarray(
                    self.model_._pmf_predict(X[seen], sensitive_features=z[seen]), dtype=float
                )[:, 1]
        if not np.all(seen):  # only with on_missing_group="base"
            out[~seen] = self.model_.estimator_.predict_proba(X[~seen])[:, 1]
        return out


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
    (``excluded_groups_``). A group code without held-out rows has no accuracy term, so the
    LP would leave its ``p`` at an arbitrary vertex (all-negative predictions):
    ``on_missing_group="raise"`` (default) refuses to fit, ``"base"`` fixes its ``p[z, yh] =
    yh`` (the base model's prediction). Predictions are randomized (see the module
    docstring); ``predict_proba`` gives ``p[z, Yhat]``.
    """

    randomized = True

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
        on_missing_group: str = "raise",
    ) -> None:
        super().__init__(noise_model, base_model, random_state)
        self.constraint = constraint
        self.tolerance = tolerance
        self.holdout = holdout
        self.corrected = corrected
        self.min_group_mass = min_group_mass
        self.on_missing_group = on_missing_group

    def _t(self, k: int) -> NDArray[np.float64]:
        if self.corrected and self.noise_model is not None:
            return self.noise_model.T
        return np.eye(k)

    def _fit(self, X: NDArray[np.float64], y: NDArray[np.int64], z: NDArray[np.int64]) -> None:
        from scipy.optimize import linprog
        from sklearn.model_selection import train_test_split

        if self.constraint not in ("equalized_odds", "demographic_parity"):
            raise ValueError(
                "constraint must be 'equalized_odds' or 'demographic_parity', got "
                f"{self.constraint!r}"
            )
        k = self.k_
        idx = np.arange(y.size)
        fit_idx, hold_idx = train_test_split(
            idx, test_size=self.holdout, stratify=y, random_state=self.random_state
        )
        base = base_estimator(self.base_model, self.random_state)
        self.model_ = base.fit(X[fit_idx], y[fit_idx])
        yh = self.model_.predict(X[hold_idx]).astype(np.int64)
        yy, zz = y[hold_idx], z[hold_idx]
        seen = np.bincount(zz, minlength=k) > 0
        _check_missing(self, seen, "held-out row")
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
        # a code without held-out rows (only with on_missing_group="base"): p[z, yh] = yh
        bounds = [(0.0, 1.0) if seen[zc] else (float(yc), float(yc))
                  for zc in range(k) for yc in (0, 1)]  # fmt: skip
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        if res.status != 0:
            raise ValueError(f"post-processing LP failed: {res.message}")
        self.flip_ = np.clip(res.x.reshape(k, 2), 0.0, 1.0)

    def _proba1(self, X: NDArray[np.float64], z: Any) -> NDArray[np.float64]:
        yh = self.model_.predict(X).astype(np.int64)
        return self.flip_[z, yh]


# ----- noise-corrected thresholds on scores ------------------------------------------------------


class CorrectedThreshold(FairMethod):
    """Noise-corrected ``ThresholdOptimizer``: group-specific randomized thresholds on the base
    model's score, constrained on the TRUE attribute through the channel ``T``.

    Hardt, Price & Srebro (NeurIPS 2016) post-processing (fairlearn's ``ThresholdOptimizer``)
    with the group-conditional ROC curves recovered through ``T^{-T}``, as Mozannar,
    Ohannessian & Srebro (ICML 2020) recover the rates of their two-step method
    (:class:`TwoStepPostProcessing`, which post-processes the hard prediction of a model fitted
    on half of the rows, with a tolerance):

    1. the base model is fitted on all rows; its score ``S = P(Y = 1 | x)`` is what the policy
       thresholds. The distribution of ``S`` the thresholds are chosen on is *cross-fitted*:
       each row is scored by a model fitted on the other folds (``cv`` stratified folds;
       ``cv=None``: the in-sample scores of the final model, as ``ThresholdOptimizer`` does;
       fine for a low-capacity model, optimistic for boosted trees);
    2. ``S`` is cut into ``n_bins`` quantile bins (``None``: one per distinct score); the
       observed ``P(Z, Y, bin)`` is recovered to ``P(A, Y, bin) = T^{-T} P(Z, Y, bin)``
       (:meth:`~fairldp.fair.noise.NoiseModel.recover`; unbiased, not projected);
    3. the policy ``h[z, b] = P(Yhat = 1 | Z = z, bin = b)``, non-decreasing in the bin (a
       randomized mixture of thresholds), maximizes the observed accuracy
       ``sum_{z, b} h[z, b] (P(z, 1, b) - P(z, 0, b))`` subject to
       ``|gamma[a, y] - gamma[a', y]| <= tolerance`` for every pair of groups and ``y`` in
       {0, 1} (``equalized_odds``; all labels at once for ``demographic_parity``), where

       ``gamma[a, y] = sum_{z, b} T[a, z] h[z, b] P(A=a, Y=y, b) / P(A=a, Y=y)``

       is the rate of the policy on the members of ``a``, whose decoded group at prediction
       is drawn through ``T`` (``Z`` is independent of ``X, Y`` given ``A``). Among the
       optimal policies (the optimum is often a face) the flattest is returned, whose rates
       are estimated with the least variance
       (:func:`fairldp.fair.thresholds.solve_policy`: two LPs, HiGHS).

    With ``T = I`` (``noise_model=None`` or an identity channel), ``cv=None`` and
    ``n_bins=None`` this is Hardt et al.'s program, i.e. ``threshold_eo``; the defaults differ
    from it by the binning and the cross-fitting only. As ``eps`` grows ``T -> I`` and the
    method becomes the non-private ``ThresholdOptimizer``. The prediction-time group must
    come through the same channel as the training one (``test: privatized``). ``tolerance``
    bounds the recovered gaps (default 0, as ``ThresholdOptimizer``). Cells ``(a, y)`` with
    recovered mass below ``min_group_mass`` are left out of the constraints with a
    ``UserWarning`` (``excluded_groups_``). A group code without training rows:
    ``on_missing_group="raise"`` (default) refuses to fit, ``"base"`` gives its rows the base
    model's decision ``S >= 1/2`` (and the program accounts for it). Predictions are
    randomized (see the module docstring); ``predict_proba`` gives ``h[z, bin(S)]``.

    ``constraint`` may instead be a per-group floor (``recall_floor``, ``precision_floor``,
    ``accuracy_floor``: :data:`fairldp.fair.thresholds.FLOORS`): every group's recovered
    recall (sensitivity), precision or accuracy at least ``floor``, the accuracy maximized
    otherwise. This levels up (OxonFair's minimum recall per group, Delaney et al. 2024;
    Mittelstadt, Wachter & Russell 2023 on levelling down): no group is pushed down to meet
    another, and from the decoded group through ``T`` (``corrected_floor_*``) the floor holds
    on the TRUE groups, which no existing tool does. ``minimax_accuracy``: the accuracy floor
    at the best worst-group accuracy (minimax group error, Martinez et al. 2020).

    Fitted: ``model_``, ``edges_`` (interior bin edges), ``policy_`` (``h``, shape
    ``(k, bins)``), ``observed_`` (``P(Z, Y, bin)`` of the training rows), ``joint_``
    (recovered ``P(A, Y, bin)``), ``excluded_groups_``; the standard errors of the recovered
    gaps: :func:`fairldp.fair.thresholds.gap_standard_errors` of ``policy_`` and ``observed_``.
    """

    randomized = True

    def __init__(
        self,
        noise_model: NoiseModel | None = None,
        base_model: Any = "logistic_regression",
        random_state: int | None = None,
        constraint: str = "equalized_odds",
        tolerance: float = 0.0,
        n_bins: int | None = 1000,
        cv: int | None = 5,
        min_group_mass: float = 1e-3,
        on_missing_group: str = "raise",
        floor: float = 0.8,
    ) -> None:
        super().__init__(noise_model, base_model, random_state)
        self.constraint = constraint
        self.tolerance = tolerance
        self.n_bins = n_bins
        self.cv = cv
        self.min_group_mass = min_group_mass
        self.on_missing_group = on_missing_group
        self.floor = floor

    def _check_params(self) -> None:
        from fairldp.fair.thresholds import CONSTRAINTS

        if self.constraint not in CONSTRAINTS:
            raise ValueError(
                f"constraint must be one of {list(CONSTRAINTS)}, got {self.constraint!r}"
            )
        tol = self.tolerance
        if isinstance(tol, bool) or not isinstance(tol, (int, float, np.number)) or not tol >= 0:
            raise ValueError(f"tolerance must be a number >= 0, got {self.tolerance!r}")
        fl = self.floor
        if isinstance(fl, bool) or not isinstance(fl, (int, float, np.number)) or not (
                0 <= fl <= 1):  # fmt: skip
            raise ValueError(f"floor must be a number in [0, 1], got {self.floor!r}")
        if self.n_bins is not None and (isinstance(self.n_bins, bool) or not isinstance(
                self.n_bins, (int, np.integer)) or self.n_bins < 2):  # fmt: skip
            raise ValueError(f"n_bins must be None or an integer >= 2, got {self.n_bins!r}")
        if self.cv is not None and (
            isinstance(self.cv, bool) or not isinstance(self.cv, (int, np.integer)) or self.cv < 2
        ):
            raise ValueError(f"cv must be None or an integer >= 2, got {self.cv!r}")

    def _fit_scores(self, X: NDArray[np.float64], y: NDArray[np.int64]) -> NDArray[np.float64]:
        """Scores of the training rows the policy is chosen on: out-of-fold (``cv``
        stratified folds, at most the size of the smaller class) or in-sample."""
        from sklearn.model_selection import StratifiedKFold

        folds = 0 if self.cv is None else min(int(self.cv), int(np.bincount(y).min()))
        if folds < 2:
            return self.model_.predict_proba(X)[:, 1]
        out = np.empty(y.size)
        split = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        for fit_idx, score_idx in split.split(X, y):
            fold = base_estimator(self.base_model, self.random_state).fit(X[fit_idx], y[fit_idx])
            out[score_idx] = fold.predict_proba(X[score_idx])[:, 1]
        return out

    def _fit(self, X: NDArray[np.float64], y: NDArray[np.int64], z: NDArray[np.int64]) -> None:
        from fairldp.fair.thresholds import bin_edges, bin_index, joint_table, solve_policy

        self._check_params()
        k = self.k_
        seen = np.bincount(z, minlength=k) > 0
        _check_missing(self, seen, "training row")
        self.model_ = base_estimator(self.base_model, self.random_state).fit(X, y)
        scores = self._fit_scores(X, y)
        self.edges_ = bin_edges(scores, None if self.n_bins is None else int(self.n_bins))
        nb = self.edges_.size + 1
        b = bin_index(scores, self.edges_)
        p_zyb = joint_table(z, y, b, k, nb)
        fixed = None
        if not np.all(seen):  # on_missing_group="base": the base model's decision, per bin
            hits = np.bincount(b, weights=(scores >= 0.5).astype(float), minlength=nb)
            rows = np.bincount(b, minlength=nb)
            frac = np.maximum.accumulate(np.divide(hits, rows, out=np.zeros(nb), where=rows > 0))
            fixed = np.full((k, nb), np.nan)
            fixed[~seen] = frac
        t = self.noise_model.T if self.noise_model is not None else None
        try:
            policy = solve_policy(
                p_zyb, t, constraint=self.constraint, tolerance=float(self.tolerance),
                min_group_mass=float(self.min_group_mass), fixed=fixed,
                floor=float(self.floor),
            )  # fmt: skip
        except ValueError as err:
            if fixed is None:
                raise
            raise ValueError(
                f"{err}; the base-model decisions pinned for the group code(s) "
                f"{np.flatnonzero(~seen).tolist()} without training rows leave no fair policy"
            ) from err
        self.policy_ = policy.h
        self.observed_ = p_zyb
        self.joint_ = policy.joint
        self.excluded_groups_ = [(a, lab[0] if len(lab) == 1 else None)
                                 for a, lab in policy.excluded]  # fmt: skip
        self.seen_ = seen

    def _proba1(self, X: NDArray[np.float64], z: Any) -> NDArray[np.float64]:
        from fairldp.fair.thresholds import bin_index

        s = self.model_.predict_proba(X)[:, 1]
        out = self.policy_[z, bin_index(s, self.edges_)]
        missing = ~self.seen_[z]
        if np.any(missing):  # only with on_missing_group="base"
            out[missing] = (s[missing] >= 0.5).astype(float)
        return out


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

    group_at_predict = False

    def _fit(self, X: NDArray[np.float64], y: NDArray[np.int64], z: NDArray[np.int64]) -> None:
        from scipy.optimize import nnls

        if self.row_weights not in ("unbiased", "posterior"):
            raise ValueError(
                f"row_weights must be 'unbiased' or 'posterior', got {self.row_weights!r}"
            )
        k = self.k_
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
        self.model_ = _fit_weighted(base, X, y, sw * (sw.size / sw.sum()))

    def _proba1(self, X: NDArray[np.float64], z: Any) -> NDArray[np.float64]:
        return self.model_.predict_proba(X)[:, 1]


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
