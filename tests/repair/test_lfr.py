"""Tests of Learned Fair Representations (fairldp.repair.lfr)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import check_grad
from sklearn.exceptions import NotFittedError

from fairldp._sklearn import MissingGroupError
from fairldp.ldp.grr import GRR
from fairldp.repair.lfr import LearnedFairRepresentation
from fairldp.rng import make_rng


def proxy_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature 0 is a strong proxy of the binary group A; y depends on A and on feature 1."""
    rng = np.random.default_rng(seed)
    a = (rng.random(n) < 0.4).astype(int)
    x0 = 1.5 * a + 0.5 * rng.standard_normal(n)
    z = rng.standard_normal((n, 3))
    logit = z[:, 0] + 1.5 * a - 0.7
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return np.column_stack([x0, z]), y, a


def sp_gap(score: np.ndarray, a: np.ndarray) -> float:
    return abs(score[a == 1].mean() - score[a == 0].mean())


@pytest.mark.parametrize("weights", ["hard3", "soft_signed"])
def test_analytic_gradient_matches_finite_differences(weights: str) -> None:
    rng = np.random.default_rng(0)
    n, d, K = 150, 4, 3
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 0.4).astype(float)
    if weights == "hard3":
        W = np.eye(3)[rng.integers(0, 3, n)]
    else:  # deconvolution-like weights: may be negative, columns sum > 0
        W = rng.uniform(-0.5, 1.5, (n, 2))
    m = LearnedFairRepresentation(
        n_prototypes=K, reconstruct_weight=0.3, target_weight=1.0, fairness_weight=5.0
    )
    C = m._fairness_matrix(W)
    for _ in range(3):
        theta = np.concatenate(
            [rng.standard_normal(K * d), rng.uniform(0.1, 0.9, K), rng.uniform(0.2, 1.5, d)]
        )
        grad = m._loss_grad(theta, X, y, C)[1]
        err = check_grad(
            lambda t: m._loss_grad(t, X, y, C)[0],
            lambda t: m._loss_grad(t, X, y, C)[1],
            theta,
            epsilon=1e-7,
        )
        # forward differences with step 1e-7 carry O(1e-7 * curvature) truncation plus
        # O(1e-16 / 1e-7) rounding error per coordinate: ~1e-6 relative; 1e-5 leaves a margin.
        assert err / np.linalg.norm(grad) < 1e-5


def test_lfr_reduces_statistical_parity_gap_vs_raw_features() -> None:
    from sklearn.linear_model import LogisticRegression

    X, y, a = proxy_data(6000, seed=1)
    tr, te = slice(0, 3000), slice(3000, None)
    raw = LogisticRegression().fit(X[tr], y[tr]).predict_proba(X[te])[:, 1]
    lfr = LearnedFairRepresentation(n_prototypes=6, max_samples=2000, random_state=3)
    lfr.fit(X[tr], y[tr], sensitive_features=a[tr])
    score = lfr.predict_proba(X[te])[:, 1]
    # a downstream classifier trained on the representation M
    M_tr, M_te = lfr.transform(X[tr]), lfr.transform(X[te])
    down = LogisticRegression().fit(M_tr, y[tr]).predict_proba(M_te)[:, 1]
    gap_raw = sp_gap(raw, a[te])
    assert gap_raw > 0.15  # the raw model uses the proxy and A's direct effect on y
    # held-out score gaps have SE ~ 0.01 (n_test = 3000); a 3x reduction is far outside noise
    assert sp_gap(score, a[te]) < gap_raw / 3
    assert sp_gap(down, a[te]) < gap_raw / 3
    assert lfr.loss_["L_z"] < 1e-3
    assert np.allclose(M_te.sum(axis=1), 1.0)
    assert lfr.reconstruct(X[te]).shape == X[te].shape


def test_deconvolution_weights_target_true_groups() -> None:
    """With GRR-privatized groups, T^{-T} e_Z weights give a small TRUE-group gap."""
    X, y, a = proxy_data(6000, seed=2)
    grr = GRR(1.0, 2)
    z = grr.perturb(a, make_rng(0, "test-lfr-grr"))
    W = np.linalg.inv(grr.transition_matrix).T[z]  # row n: T^{-T} e_{z_n}
    tr, te = slice(0, 3000), slice(3000, None)
    lfr = LearnedFairRepresentation(n_prototypes=6, max_samples=None, random_state=0)
    lfr.fit(X[tr], y[tr], group_weights=W[tr])
    gap = sp_gap(lfr.predict_proba(X[te])[:, 1], a[te])
    raw = sp_gap(y[te].astype(float), a[te])
    # the deconvolved parity term is unbiased for the true groups but noisier at eps = 1
    # (weights of size 1/(p - q) ~ 2.2); 0.05 is ~5 held-out SEs and far below the
    # label gap itself (~0.3).
    assert raw > 0.2
    assert gap < 0.05


def test_hard_labels_equal_one_hot_weights_and_determinism() -> None:
    X, y, a = proxy_data(1500, seed=4)
    kw = {"n_prototypes": 4, "max_iter": 60, "max_samples": 1000, "random_state": 7}
    m1 = LearnedFairRepresentation(**kw).fit(X, y, sensitive_features=a)
    m2 = LearnedFairRepresentation(**kw).fit(X, y, sensitive_features=a)
    m3 = LearnedFairRepresentation(**kw).fit(X, y, group_weights=np.eye(2)[a])
    np.testing.assert_array_equal(m1.transform(X), m2.transform(X))
    np.testing.assert_array_equal(m1.prototypes_, m3.prototypes_)
    m4 = LearnedFairRepresentation(**{**kw, "random_state": 8}).fit(X, y, sensitive_features=a)
    assert not np.array_equal(m1.prototypes_, m4.prototypes_)
    assert m1.get_params()["random_state"] == 7


def test_bad_inputs() -> None:
    X, y, a = proxy_data(100, seed=5)
    m = LearnedFairRepresentation(n_prototypes=3, max_iter=5, random_state=0)
    with pytest.raises(ValueError, match="sensitive_features must be 1-D"):
        m.fit(X, y, sensitive_features=a[:-1])
    with pytest.raises(ValueError, match="y must be 1-D"):
        m.fit(X, y[:-1], sensitive_features=a)
    with pytest.raises(ValueError, match="at least 2 distinct groups"):
        m.fit(X, y, sensitive_features=np.zeros(100, dtype=int))
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        m.fit(Xn, y, sensitive_features=a)
    with pytest.raises(ValueError, match="NaN"):
        m.fit(X, y, sensitive_features=np.where(a == 1, 1.0, np.nan))
    with pytest.raises(ValueError, match="binary"):
        m.fit(X, y + 1, sensitive_features=a)
    with pytest.raises(MissingGroupError, match="sensitive_features"):
        m.fit(X, y)
    with pytest.raises(ValueError, match="not both"):
        m.fit(X, y, sensitive_features=a, group_weights=np.eye(2)[a])
    with pytest.raises(ValueError, match="positive sum"):
        m.fit(X, y, group_weights=np.column_stack([np.ones(100), -np.ones(100)]))
    with pytest.raises(NotFittedError):
        m.transform(X)
    m.fit(X, y, sensitive_features=a)
    assert list(m.get_feature_names_out()) == [f"learnedfairrepresentation{j}" for j in range(3)]
    with pytest.raises(ValueError, match="features"):
        m.transform(X[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        m.transform(Xn)
