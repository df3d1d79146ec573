"""scikit-learn's estimator checks on every fairldp estimator, and the Pipeline + GridSearchCV
usage of the library guide (docs/guide/library.md).

scikit-learn's checks call ``fit(X, y)`` and ``predict(X)`` without a group, which fairldp's
estimators refuse by design (``MissingGroupError``: the label is never taken as the group).
So every estimator is checked twice:

- bare, with the checks that never fit (parameters, clone, repr, tags, ...) and a test that
  fitting without the group raises the clear error;
- through :class:`WithGroup`, a test-only meta-estimator that derives the group from the first
  feature (``x_0 > its training median``, a function of the row only) and passes it as
  ``sensitive_features=``: every fitting check (input validation, NaN/inf errors, pandas
  input, dtypes, n_features_in_, NotFittedError, idempotence, subset and order invariance of
  predictions, pickling, ...) then runs on the estimator itself.

Checks that cannot apply are listed by name with the reason in ``EXPECTED_FAILED``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, TransformerMixin, clone
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks
from sklearn.utils.validation import check_array, check_is_fitted

from fairldp._sklearn import MissingGroupError
from fairldp.fair import METHODS, NoiseModel
from fairldp.ldp import get_protocol
from fairldp.repair import (
    CorrelationRemoverRepair,
    FairEncoder,
    GroupPosterior,
    LearnedFairRepresentation,
    OTRepair,
    QuantileRepair,
)

_NM = NoiseModel(get_protocol("grr", 2.0, 2))
_BASE = {"on_missing_group": "base"}  # a check's data may hold one group only


def _method(name: str, **params: object) -> BaseEstimator:
    cls = METHODS.get(name)
    fixed = METHODS.meta(name).get("fixed", {})
    return cls(_NM, "logistic_regression", 0, **{**fixed, **params})


#: one instance per estimator class (the variants of a class differ in fixed parameters only)
CLASSIFIERS = {
    "Unaware": _method("unaware"),
    "Plain": _method("plain"),
    "NaiveExpGrad": _method("expgrad_eo", max_iter=5),
    "CorrectedExpGrad": _method("corrected_expgrad_dp", max_iter=5, min_group_mass=0.0),
    "NaiveThreshold": _method("threshold_eo", **_BASE),
    "TwoStepPostProcessing": _method("corrected_postproc_eo", **_BASE),
    "CorrectedThreshold": _method("corrected_threshold_eo", **_BASE),
    "Reweighing": _method("corrected_reweigh"),
    "OTTransfer": _method("ot_transfer", max_samples=50),
}
TRANSFORMERS = {
    "QuantileRepair": QuantileRepair(),
    "OTRepair": OTRepair(max_samples=50, random_state=0),
    "CorrelationRemoverRepair": CorrelationRemoverRepair(groups=2),
    "LearnedFairRepresentation": LearnedFairRepresentation(
        n_prototypes=3, max_iter=20, random_state=0
    ),
    "FairEncoder": FairEncoder(n_components=2, hidden=4, n_fourier=4, epochs=2, batch_size=16,
                               random_state=0),
    # EM posteriors P(A | z, x) from the privatized group (the most general of its methods)
    "GroupPosterior": GroupPosterior("posterior", transition=_NM.T, n_iter=3),
}


#: estimators fitted on a binary target (the wrapper binarizes the checks' targets)
_BINARY_TARGET = (LearnedFairRepresentation, FairEncoder)


class _WithGroup(MetaEstimatorMixin, BaseEstimator):
    """Test-only: the group of a row is the parity of ``floor(997 |x_0|)`` (a function of the
    row, nearly independent of the check's labels). LearnedFairRepresentation and FairEncoder
    (binary target) get ``y == max(y)``."""

    def __init__(self, estimator: BaseEstimator) -> None:
        self.estimator = estimator

    @staticmethod
    def _group(X: object) -> np.ndarray | None:
        try:
            x = check_array(X, ensure_all_finite=False, dtype=None, ensure_min_samples=0)
            x0 = np.abs(np.asarray(x[:, 0], dtype=float))
        except (ValueError, TypeError, IndexError):
            return None  # let the estimator report the bad input itself
        with np.errstate(invalid="ignore"):
            return (np.nan_to_num(np.floor(997 * x0)) % 2).astype(np.int64)

    def fit(self, X: object, y: object = None) -> _WithGroup:
        if isinstance(self.estimator, _BINARY_TARGET) and y is not None:
            yy = np.asarray(y)
            y = (yy == yy.max()).astype(np.int64) if yy.size else yy
        self.estimator_ = clone(self.estimator).fit(X, y, sensitive_features=self._group(X))
        self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        return self

    def _inner_tags(self, tags: object) -> object:
        inner = self.estimator.__sklearn_tags__()
        tags.target_tags = inner.target_tags
        tags.classifier_tags = inner.classifier_tags
        tags.transformer_tags = inner.transformer_tags
        tags.input_tags = inner.input_tags
        return tags


class WithGroupClassifier(ClassifierMixin, _WithGroup):
    def predict(self, X: object) -> np.ndarray:
        check_is_fitted(self)
        return self.estimator_.predict(X, sensitive_features=self._group(X))

    def predict_proba(self, X: object) -> np.ndarray:
        check_is_fitted(self)
        return self.estimator_.predict_proba(X, sensitive_features=self._group(X))

    @property
    def classes_(self) -> np.ndarray:
        return self.estimator_.classes_

    def __sklearn_tags__(self) -> object:
        return self._inner_tags(super().__sklearn_tags__())


class WithGroupTransformer(TransformerMixin, _WithGroup):
    def transform(self, X: object) -> np.ndarray:
        check_is_fitted(self)
        if isinstance(self.estimator_, _BINARY_TARGET):  # their transform needs no group
            return self.estimator_.transform(X)
        return self.estimator_.transform(X, sensitive_features=self._group(X))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return self.estimator_.get_feature_names_out(input_features)

    def __sklearn_tags__(self) -> object:
        return self._inner_tags(super().__sklearn_tags__())


#: checks that cannot apply, by estimator and check name, with the reason
_RANDOMIZED = (
    "randomized classifier: predict draws Yhat ~ Bernoulli(predict_proba) (as fairlearn's "
    "ExponentiatedGradient and ThresholdOptimizer do), so it need not equal the argmax of "
    "predict_proba that this check compares it with"
)
EXPECTED_FAILED: dict[str, dict[str, str]] = {
    name: {"check_classifiers_train": _RANDOMIZED}
    for name in ("NaiveExpGrad", "CorrectedExpGrad", "NaiveThreshold", "TwoStepPostProcessing",
                 "CorrectedThreshold")
}


def _wrapped() -> list[BaseEstimator]:
    return [WithGroupClassifier(e) for e in CLASSIFIERS.values()] + [
        WithGroupTransformer(e) for e in TRANSFORMERS.values()
    ]


def _expected(est: BaseEstimator) -> dict[str, str]:
    return EXPECTED_FAILED.get(type(est.estimator).__name__, {})


@parametrize_with_checks(_wrapped(), expected_failed_checks=_expected)
def test_sklearn_checks_with_group(estimator: BaseEstimator, check: object) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "groups .a, y. .* left out", UserWarning)
        check(estimator)


#: the checks that run on the bare estimators (none of them fits without a group)
_NO_FIT = {
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_valid_tag_types",
    "check_estimator_tags_renamed",
    "check_mixin_order",
    "check_do_not_raise_errors_in_init_or_set_params",
}


@pytest.mark.parametrize("name", [*CLASSIFIERS, *TRANSFORMERS])
def test_bare_estimator_contract(name: str) -> None:
    est = {**CLASSIFIERS, **TRANSFORMERS}[name]
    results = check_estimator(est, on_fail=None, on_skip=None)
    ran = {r["check_name"]: r["status"] for r in results}
    failed = {c for c in _NO_FIT if ran.get(c) == "failed"}
    assert not failed, f"{name} fails {sorted(failed)}"
    assert _NO_FIT <= set(ran), f"{name}: checks not run: {sorted(_NO_FIT - set(ran))}"
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 1] > 0).astype(int)
    with pytest.raises(MissingGroupError, match="sensitive_features"):
        clone(est).fit(X, y)


def _toy(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, n)
    X = rng.normal(a[:, None] * [1.0, 0.5], 1.0, (n, 2))
    y = (X.sum(1) + rng.normal(0, 1, n) > 1).astype(int)
    return X, y, a


@pytest.mark.parametrize(
    "repair",
    [QuantileRepair(), OTRepair(max_samples=50, random_state=0), CorrelationRemoverRepair()],
)
def test_pipeline_without_the_group_is_an_error_not_the_label(repair: BaseEstimator) -> None:
    """The issue's case: the pipeline used the label y as the group (shares 0.538/0.462)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y, a = _toy()
    with pytest.raises(MissingGroupError, match="sensitive_features"):
        make_pipeline(clone(repair), LogisticRegression()).fit(X, y)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(clone(repair), LogisticRegression())
        with pytest.raises(MissingGroupError):
            pipe.fit(X, y)
        pipe.fit(X, y, sensitive_features=a)
        with pytest.raises(MissingGroupError, match="transform"):
            pipe.predict(X)
        pred = pipe.predict(X, sensitive_features=a)
    # routed: the same as calling the steps by hand with the group
    step = clone(repair).fit(X, sensitive_features=a)
    lr = LogisticRegression().fit(step.transform(X, sensitive_features=a), y)
    np.testing.assert_array_equal(pred, lr.predict(step.transform(X, sensitive_features=a)))


def test_grid_search_and_cross_val_score_route_the_group() -> None:
    from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

    X, y, a = _toy(900, seed=1)
    est = CLASSIFIERS["Plain"]
    cv = KFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_val_score(est, X, y, cv=cv, params={"sensitive_features": a})
        search = GridSearchCV(CLASSIFIERS["TwoStepPostProcessing"], {"tolerance": [0.02, 0.1]},
                              cv=cv).fit(X, y, sensitive_features=a)  # fmt: skip
    by_hand = [
        clone(est).fit(X[tr], y[tr], sensitive_features=a[tr])
        .score(X[te], y[te], sensitive_features=a[te])
        for tr, te in cv.split(X)
    ]  # fmt: skip
    np.testing.assert_allclose(scores, by_hand)
    assert search.best_params_["tolerance"] in (0.02, 0.1)
    # methods that weight the base model's rows (a Pipeline: its last step takes the weights)
    with sklearn.config_context(enable_metadata_routing=True):
        for name in ("Reweighing", "NaiveExpGrad"):
            got = cross_val_score(CLASSIFIERS[name], X, y, cv=cv, params={"sensitive_features": a})
            assert np.all((got > 0.5) & (got <= 1.0)), name
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_methods_that_ignore_the_group_at_predict_accept_any() -> None:
    X, y, a = _toy()
    for name in ("Unaware", "Reweighing", "NaiveExpGrad"):
        est = clone(CLASSIFIERS[name]).fit(X, y, sensitive_features=a)
        np.testing.assert_array_equal(est.predict(X, sensitive_features=a + 5), est.predict(X))


def test_group_codes_outside_the_noise_models_domain_are_refused() -> None:
    X, y, a = _toy()
    for name in ("threshold_eo", "expgrad_eo", "plain", "corrected_postproc_eo",
                 "corrected_threshold_eo"):
        with pytest.raises(ValueError, match=r"must hold codes in \[0, 2\)"):
            _method(name).fit(X, y, sensitive_features=np.where(a == 1, 2, 0))


@pytest.mark.parametrize("name", [*CLASSIFIERS, *TRANSFORMERS])
def test_unfitted_estimators_raise_not_fitted_error(name: str) -> None:
    from sklearn.exceptions import NotFittedError

    est = clone({**CLASSIFIERS, **TRANSFORMERS}[name])
    X, _, a = _toy(20)
    method = est.predict if name in CLASSIFIERS else est.transform
    with pytest.raises(NotFittedError):
        if isinstance(est, _BINARY_TARGET):  # their transform needs no group
            method(X)
        else:
            method(X, sensitive_features=a)
