"""DP-SGD learner (fairldp.dpsgd, Opacus): the accountant's epsilon, determinism, the
scikit-learn contract, and the cost of the noise."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

pytest.importorskip("opacus", reason="the extra 'dpsgd' (PyTorch, Opacus) is not installed")

from sklearn.datasets import make_classification
from sklearn.utils.estimator_checks import parametrize_with_checks

from fairldp.dpsgd import DPSGDClassifier
from fairldp.models import make_model


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, ...]:
    X, y = make_classification(n_samples=6000, n_features=10, n_informative=5,
                               random_state=0)  # fmt: skip
    return X[:5000], y[:5000], X[5000:], y[5000:]


@parametrize_with_checks([DPSGDClassifier(epsilon=math.inf, epochs=3, batch_size=32)])
def test_sklearn_contract(estimator, check) -> None:
    """Every check of scikit-learn (on the non-private path; the private one shares the code
    but calibrates the noise per fit, which would take minutes over ~56 checks)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


def test_accountant_epsilon_meets_the_target_and_noise_falls_with_it(data) -> None:
    X, y, _, _ = data
    fits = {e: DPSGDClassifier(epsilon=e, epochs=2, random_state=1).fit(X, y) for e in (1.0, 8.0)}
    for e, m in fits.items():
        # PRV accountant: the calibrated multiplier spends at most the target, and nearly all
        assert 0.9 * e <= m.epsilon_ <= e * (1 + 1e-6), (e, m.epsilon_)
        assert m.delta_ == pytest.approx(1 / (10 * len(X)))
    assert fits[1.0].noise_multiplier_ > fits[8.0].noise_multiplier_ > 0


def test_same_seed_same_model(data) -> None:
    X, y, Xt, _ = data
    # epsilon 1, 2 epochs, 5000 rows: the noise calibration of the test above, cached
    a = make_model("dpsgd", 3, epsilon=1.0, epochs=2).fit(X, y).predict_proba(Xt)
    b = make_model("dpsgd", 3, epsilon=1.0, epochs=2).fit(X, y).predict_proba(Xt)
    c = make_model("dpsgd", 4, epsilon=1.0, epochs=2).fit(X, y).predict_proba(Xt)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_without_noise_it_is_logistic_regression(data) -> None:
    """Without noise DP-SGD's logistic regression is as accurate as scikit-learn's: both fit
    the same model class (within 0.02, about one SE of an accuracy on 1000 test rows); with
    noise the model differs."""
    from sklearn.linear_model import LogisticRegression

    X, y, Xt, yt = data
    ref = (LogisticRegression().fit(X, y).predict(Xt) == yt).mean()
    clean = DPSGDClassifier(epsilon=math.inf).fit(X, y)
    assert abs((clean.predict(Xt) == yt).mean() - ref) < 0.02
    noisy = DPSGDClassifier(epsilon=1.0, epochs=2).fit(X, y)
    assert np.abs(noisy.predict_proba(Xt) - clean.predict_proba(Xt)).max() > 0.01
    assert noisy.noise_multiplier_ > 0.5 and clean.noise_multiplier_ == 0


def test_bad_parameters_say_what_is_wrong(data) -> None:
    X, y, _, _ = data
    with pytest.raises(ValueError, match="delta must lie in"):
        DPSGDClassifier(delta=1.5).fit(X, y)
    with pytest.raises(ValueError, match="epsilon must be positive"):
        DPSGDClassifier(epsilon=0).fit(X, y)
