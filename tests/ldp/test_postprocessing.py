"""Simplex projection and iterative Bayesian update (IBU)."""

from __future__ import annotations

import numpy as np
import pytest
from ldp_testutils import column

from fairldp.ldp import get_protocol, ibu, project_simplex, true_counts


def test_projection_is_the_euclidean_projection() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        v = rng.normal(0.2, 0.5, size=rng.integers(1, 12))
        w = project_simplex(v)
        assert np.all(w >= 0) and np.isclose(w.sum(), 1.0)
        # variational inequality of the projection: (v - w) . (z - w) <= 0 for z in the simplex
        z = rng.dirichlet(np.ones(v.size), size=50)
        assert np.all((z - w) @ (v - w) <= 1e-12)
    np.testing.assert_allclose(project_simplex([0.2, 0.3, 0.5]), [0.2, 0.3, 0.5])
    np.testing.assert_allclose(project_simplex([1.5, -0.5, 0.0]), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(project_simplex([0.6, 0.6, -0.3]), [0.5, 0.5, 0.0])


def test_projection_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="v must be"):
        project_simplex([np.nan, 1.0])
    with pytest.raises(ValueError, match="v must be"):
        project_simplex([])


def test_estimates_are_distributions(name: str) -> None:
    k = 6
    f = np.array([0.5, 0.2, 0.15, 0.1, 0.05, 0.0])
    pr = get_protocol(name, 0.5, k)
    x = column(f, 3000)
    rep = pr.perturb(x, np.random.default_rng(1))
    for method in ("simplex", "ibu"):
        est = pr.estimate(rep, method)
        assert est.shape == (k,) and np.all(est >= 0) and np.isclose(est.sum(), 1.0)
    unb = pr.estimate(rep)
    assert np.isclose(unb.sum(), 1.0, atol=0.5)  # unbiased: only approximately normalized


def test_ibu_converges_to_truth_grr_large_n() -> None:
    # counts are sufficient for GRR: n = 1e6 users through the estimation-only path
    k, eps = 10, 1.0
    f = np.linspace(1, 10, k) / np.linspace(1, 10, k).sum()
    counts = np.round(f * 1_000_000).astype(np.int64)
    n = counts.sum()
    pr = get_protocol("grr", eps, k)
    support = pr.sample_support(counts, np.random.default_rng(2))
    est = pr.estimate_from_support(support, n, "ibu")
    # the MLE is within a few standard errors of the unbiased estimator's
    assert np.all(np.abs(est - counts / n) < 4 * np.sqrt(pr.variance(counts / n, n)))


@pytest.mark.parametrize("name_", ["oue", "olh", "ss", "the", "she"])
def test_ibu_converges_to_truth_from_reports(name_: str) -> None:
    k, n = 5, 40_000
    f = np.array([0.4, 0.3, 0.2, 0.1, 0.0])
    x = column(f, n)
    pr = get_protocol(name_, 2.0, k)
    est = pr.estimate(pr.perturb(x, np.random.default_rng(3)), "ibu")
    truth = true_counts(x, k) / n
    assert np.all(np.abs(est - truth) < 4 * np.sqrt(pr.variance(truth, n)) + 1e-3)


def test_ibu_generic() -> None:
    # a 2x2 channel with known inverse: from exact report frequencies IBU recovers f
    t = np.array([[0.8, 0.2], [0.3, 0.7]])  # T[v, r]
    f = np.array([0.25, 0.75])
    est = ibu(t.T, f @ t, tol=1e-14)
    np.testing.assert_allclose(est, f, atol=1e-6)
    with pytest.raises(ValueError, match="likelihood"):
        ibu(np.ones(3))


def test_ibu_needs_reports_except_grr() -> None:
    pr = get_protocol("oue", 1.0, 4)
    with pytest.raises(ValueError, match="method='ibu' needs the reports"):
        pr.estimate_from_support(np.ones(4), 10, "ibu")
    with pytest.raises(ValueError, match="method must be one of"):
        pr.estimate(pr.perturb([0, 1], np.random.default_rng(0)), "mle")
