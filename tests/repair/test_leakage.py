"""Tests of attribute_leakage (fairldp.repair.leakage)."""

from __future__ import annotations

import numpy as np
import pytest

from fairldp.repair.baselines import CorrelationRemoverRepair
from fairldp.repair.leakage import attribute_leakage


@pytest.fixture(autouse=True)
def _single_thread():
    """HistGradientBoosting's OpenMP threads slow small fits by 10-50x on a loaded 2-core box."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def split(n: int) -> tuple[slice, slice]:
    return slice(0, n // 2), slice(n // 2, None)


@pytest.mark.parametrize("model", ["logistic", "hgb"])
def test_independent_representation_is_at_baseline(model: str) -> None:
    rng = np.random.default_rng(0)
    n = 4000
    a = (rng.random(n) < 0.3).astype(int)
    R = rng.standard_normal((n, 4))  # independent of A
    tr, te = split(n)
    out = attribute_leakage(R[tr], a[tr], R[te], a[te], random_state=0, model=model)
    # under independence the attacker can at best match the majority rule: allow 3 binomial
    # SEs (se ~ 0.01 at n_test = 2000) either side; AUC SE ~ 0.014 here, allow 0.05.
    assert abs(out["accuracy"] - out["baseline_accuracy"]) < 3 * out["accuracy_se"]
    assert abs(out["auc"] - 0.5) < 0.05
    assert out["baseline_accuracy"] == pytest.approx(np.mean(a[te] == 0))
    assert out["n_test"] == 2000 and out["n_groups"] == 2


@pytest.mark.parametrize("k", [2, 3])
def test_strong_proxy_leaks(k: int) -> None:
    rng = np.random.default_rng(1)
    n = 3000
    a = rng.integers(0, k, n)
    R = np.column_stack([3.0 * a + 0.3 * rng.standard_normal(n), rng.standard_normal(n)])
    tr, te = split(n)
    out = attribute_leakage(R[tr], a[tr], R[te], a[te], random_state=0)
    # group means 3 apart with sd 0.3: Bayes error ~ 2 * Phi(-5) ~ 1e-6
    assert out["accuracy"] > 0.99
    assert out["balanced_accuracy"] > 0.99
    assert out["auc"] > 0.99
    assert out["advantage"] > 0.4


def test_string_groups_and_multiclass_auc() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    codes = rng.integers(0, 3, n)
    a = np.array(["x", "y", "z"])[codes]
    R = (codes[:, None] == np.arange(3)).astype(float) + 0.8 * rng.standard_normal((n, 3))
    tr, te = split(n)
    out = attribute_leakage(R[tr], a[tr], R[te], a[te], random_state=0, model="hgb")
    assert 0.6 < out["auc"] <= 1.0 and out["accuracy"] > out["baseline_accuracy"]


@pytest.mark.parametrize("model", ["logistic", "hgb"])
def test_correlation_remover_drops_inference_accuracy(model: str) -> None:
    rng = np.random.default_rng(3)
    n = 6000
    a = (rng.random(n) < 0.4).astype(int)
    X = np.column_stack([2.5 * a + rng.standard_normal(n), rng.standard_normal((n, 2))])
    tr, te = split(n)
    before = attribute_leakage(X[tr], a[tr], X[te], a[te], random_state=0, model=model)
    rep = CorrelationRemoverRepair(alpha=1.0).fit(X[tr], sensitive_features=a[tr])
    R_tr, R_te = (
        rep.transform(X[tr], sensitive_features=a[tr]),
        rep.transform(X[te], sensitive_features=a[te]),
    )
    after = attribute_leakage(R_tr, a[tr], R_te, a[te], random_state=0, model=model)
    assert before["accuracy"] > 0.85
    # the proxy is a pure location shift, so the residual is independent of A (up to the
    # estimated group means, SE ~ 0.03): back to the baseline within 3 SEs (se ~ 0.009).
    assert after["accuracy"] < before["accuracy"] - 0.2
    assert abs(after["accuracy"] - after["baseline_accuracy"]) < 3 * after["accuracy_se"]
    assert abs(after["auc"] - 0.5) < 0.05


def test_bad_inputs() -> None:
    rng = np.random.default_rng(4)
    R = rng.standard_normal((50, 2))
    a = rng.integers(0, 2, 50)
    with pytest.raises(ValueError, match="entries"):
        attribute_leakage(R, a[:-1], R, a)
    with pytest.raises(ValueError, match="entries"):
        attribute_leakage(R, a, R, a[:-2])
    with pytest.raises(ValueError, match="at least 2 distinct groups"):
        attribute_leakage(R, np.zeros(50, dtype=int), R, a)
    Rn = R.copy()
    Rn[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        attribute_leakage(Rn, a, R, a)
    with pytest.raises(ValueError, match="NaN"):
        attribute_leakage(R, a, R, np.where(a == 1, 1.0, np.nan))
    with pytest.raises(ValueError, match="columns"):
        attribute_leakage(R, a, R[:, :1], a)
    with pytest.raises(ValueError, match="not seen"):
        attribute_leakage(R, a, R, a + 5)
    with pytest.raises(ValueError, match="model"):
        attribute_leakage(R, a, R, a, model="svm")  # type: ignore[arg-type]


def test_cross_fitted_leakage_is_centred_at_one_half_without_leakage() -> None:
    """Representations independent of the attribute: the mean cross-fitted AUC over 40
    replicates is 0.5 within 4 standard errors (SE of the null AUC with n0 = n1 = 100:
    sqrt((n0 + n1 + 1) / (12 n0 n1)) = 0.041 per replicate, /sqrt(40) for the mean)."""
    from fairldp.repair.leakage import cross_fitted_leakage

    rng = np.random.default_rng(7)
    aucs = []
    for rep in range(40):
        a = np.repeat([0, 1], 100)
        R = rng.normal(size=(200, 3))
        aucs.append(cross_fitted_leakage(R, a, random_state=rep)["auc"])
    se = np.sqrt(201 / (12 * 100 * 100)) / np.sqrt(40)
    assert abs(np.mean(aucs) - 0.5) < 4 * se


def test_cross_fitted_leakage_detects_a_proxy() -> None:
    from fairldp.repair.leakage import cross_fitted_leakage

    rng = np.random.default_rng(3)
    a = rng.choice(["f", "m", "x"], size=600)
    R = (a[:, None] == np.array(["f", "m", "x"])).astype(float) + rng.normal(0, 0.5, (600, 3))
    out = cross_fitted_leakage(R, a, n_splits=5, random_state=0)
    assert out["auc"] > 0.9 and out["n_test"] == 600 and out["n_groups"] == 3
    assert out["accuracy"] > out["baseline_accuracy"] + 0.3


def test_cross_fitted_leakage_bad_inputs() -> None:
    from fairldp.repair.leakage import cross_fitted_leakage

    R = np.zeros((10, 2))
    with pytest.raises(ValueError, match="at least 2 distinct groups"):
        cross_fitted_leakage(R, np.zeros(10))
    with pytest.raises(ValueError, match="a training fold would hold one group only"):
        cross_fitted_leakage(R, np.r_[np.zeros(9), 1])
    with pytest.raises(ValueError, match="n_splits must be an integer >= 2"):
        cross_fitted_leakage(R, np.r_[np.zeros(5), np.ones(5)], n_splits=1)
