"""Optimal-transport repair (fairldp.repair.ot)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.exceptions import NotFittedError

from fairldp._sklearn import MissingGroupError
from fairldp.ldp import GRR
from fairldp.repair import OTRepair, QuantileRepair


def _data(n: int = 4000, seed: int = 0, eps: float = 1.0):
    """A ~ Bernoulli(0.4); X | A=a ~ N(2a, I_2) (first column) / N(-a, 1) (second)."""
    rng = np.random.default_rng(seed)
    a = (rng.random(n) < 0.4).astype(np.int64)
    x = rng.normal(size=(n, 2)) + np.array([2.0, -1.0]) * a[:, None]
    grr = GRR(eps, 2)
    return a, x, grr.perturb(a, rng), grr.transition_matrix


def _gap(y: np.ndarray, a: np.ndarray) -> np.ndarray:
    return y[a == 1].mean(axis=0) - y[a == 0].mean(axis=0)


def _ks_crit99(n1: int, n2: int) -> float:
    """Asymptotic 99% critical value of the two-sample KS statistic, c(0.01) = 1.628."""
    return 1.628 * np.sqrt((n1 + n2) / (n1 * n2))


def test_total_quantile_repair_equalizes_groups() -> None:
    a, x, _, _ = _data()
    y = QuantileRepair().fit_transform(x, sensitive_features=a)
    n1, n0 = (a == 1).sum(), (a == 0).sum()
    for j in range(2):
        ks = ks_2samp(y[a == 1, j], y[a == 0, j]).statistic
        assert ks < _ks_crit99(n1, n0)  # within the null range of independent samples
        # exact in 1-D: both groups sit on Q_bar at their plotting positions, so the empirical
        # CDFs differ by at most one step of the smaller group
        assert ks <= 1.0 / min(n1, n0) + 1e-12
    # barycenter mean = sum_a pi_a mean_a (Q_bar = sum pi_b Q_b)
    pi = np.bincount(a) / a.size
    np.testing.assert_allclose(
        y.mean(axis=0), pi[0] * x[a == 0].mean(0) + pi[1] * x[a == 1].mean(0), atol=1e-3
    )


def test_partial_repair_interpolates() -> None:
    a, x, _, _ = _data()
    lams = np.linspace(0, 1, 6)
    gaps, kss = [], []
    for lam in lams:
        y = QuantileRepair(amount=lam).fit_transform(x, sensitive_features=a)
        gaps.append(_gap(y, a)[0])
        kss.append(ks_2samp(y[a == 1, 0], y[a == 0, 0]).statistic)
    gaps = np.array(gaps)
    # geometric repair: group means are linear in lambda (exactly, up to rounding)
    np.testing.assert_allclose(gaps, (1 - lams) * gaps[0] + lams * gaps[-1], atol=1e-9)
    assert np.all(np.diff(np.abs(gaps)) < 0)
    assert np.all(np.diff(kss) < 0)
    np.testing.assert_allclose(QuantileRepair(amount=0.0).fit_transform(x, sensitive_features=a), x)


@pytest.mark.parametrize("cls", [QuantileRepair, OTRepair])
def test_privatized_groups_deconvolution_beats_naive(cls: type) -> None:
    # eps = 1 GRR: naive repair equalizes the Z-groups, leaving ~(1 - (p - q)^2) ~ 80% of the
    # true-group mean gap; deconvolution / posterior use T and x and remove much more of it.
    a, x, z, t = _data(n=4000, seed=2)
    kw = {"random_state": 0, "max_samples": 400} if cls is OTRepair else {}
    before = np.abs(_gap(x, a))
    res = {
        m: np.abs(_gap(cls(groups=m, transition=t, **kw).fit_transform(x, sensitive_features=z), a))
        for m in ("naive", "deconvolution", "posterior")
    }
    assert np.all(res["naive"] > 0.6 * before)
    assert np.all(res["deconvolution"] < 0.7 * res["naive"])
    assert np.all(res["posterior"] < 0.8 * res["naive"])
    # and the true-group repair is the reference: OTRepair recenters each group on the
    # barycenter mean (exact); QuantileRepair's group means are midpoint-rule sums of Q_bar on
    # different rank grids, equal up to O(1/n_a) tail terms (~1e-5 here)
    tol = 1e-9 if cls is OTRepair else 1e-3
    assert np.all(np.abs(_gap(cls(**kw).fit_transform(x, sensitive_features=a), a)) < tol)


@pytest.mark.parametrize("groups", ["true", "naive", "deconvolution", "posterior"])
@pytest.mark.parametrize("cls", [QuantileRepair, OTRepair])
def test_out_of_sample_equals_in_sample(cls: type, groups: str) -> None:
    a, x, z, t = _data(n=1500, seed=3)
    g = a if groups == "true" else z
    kw = {"random_state": 1, "max_samples": 200} if cls is OTRepair else {}
    est = cls(amount=0.7, groups=groups, transition=t, **kw)
    y = est.fit_transform(x, sensitive_features=g)
    perm = np.random.default_rng(0).permutation(x.shape[0])[:300]
    np.testing.assert_array_equal(est.transform(x[perm], sensitive_features=g[perm]), y[perm])
    # a refit with the same seed reproduces the transform
    y2 = (
        cls(amount=0.7, groups=groups, transition=t, **kw)
        .fit(x, sensitive_features=g)
        .transform(x, sensitive_features=g)
    )
    np.testing.assert_array_equal(y, y2)


def test_quantile_out_of_sample_new_rows() -> None:
    a, x, _, _ = _data(n=3000, seed=4)
    est = QuantileRepair().fit(x[:2000], sensitive_features=a[:2000])
    y = est.transform(x[2000:], sensitive_features=a[2000:])
    at = a[2000:]
    # test rows follow the same laws, so they are repaired too (KS null range of the test size)
    assert ks_2samp(y[at == 1, 0], y[at == 0, 0]).statistic < _ks_crit99(
        (at == 1).sum(), (at == 0).sum()
    )
    # monotone per group (1-D OT maps are non-decreasing)
    xs = np.linspace(-6, 6, 200)[:, None].repeat(2, axis=1)
    for grp in (0, 1):
        assert np.all(np.diff(est.group_map(xs, grp), axis=0) >= 0)


def test_n_quantiles_approximation() -> None:
    a, x, _, _ = _data()
    exact = QuantileRepair().fit_transform(x, sensitive_features=a)
    approx = QuantileRepair(n_quantiles=200).fit_transform(x, sensitive_features=a)
    # piecewise-linear quantiles on 200 knots: error ~ spacing of the knots in the bulk
    assert np.median(np.abs(exact - approx)) < 0.02


def test_ot_repair_reduces_gap_and_bounds_memory() -> None:
    a, x, _, _ = _data(n=3000, seed=5)
    est = OTRepair(max_samples=300, random_state=0).fit(x, sensitive_features=a)
    y = est.transform(x, sensitive_features=a)
    # recenter: each group's mean lands exactly on the barycenter mean
    assert np.all(np.abs(_gap(y, a)) < 1e-9)
    # marginals: the plan is fitted on m = 300 points per group, so the repaired laws agree up
    # to O(1/sqrt(m)) (KS ~ 0.04-0.06 over seeds) rather than within the n = 3000 null range
    # (0.06); before repair KS ~ 0.68 (column 0) and ~ 0.38 (column 1).
    for j in range(2):
        assert ks_2samp(y[a == 1, j], y[a == 0, j]).statistic < 0.1
    assert all(s.shape[0] <= 300 for s in est.support_)
    assert est.barycenter_.shape == (300, 2)
    # partial repair: linear in lambda by construction
    yh = OTRepair(amount=0.5, max_samples=300, random_state=0).fit_transform(
        x, sensitive_features=a
    )
    np.testing.assert_allclose(yh, 0.5 * (x + y), atol=1e-12)
    # n_neighbors=1 reproduces the barycentric projection on support points
    est1 = OTRepair(max_samples=300, n_neighbors=1, recenter=False, random_state=0).fit(
        x, sensitive_features=a
    )
    d = est1.displacement(est1.support_[0] * est1.scale_ + est1.mean_, 0)
    np.testing.assert_allclose(d, est1.displacement_[0] * est1.scale_, atol=1e-10)


def test_dataframe_roundtrip_and_params() -> None:
    a, x, _, _ = _data(n=500)
    df = pd.DataFrame(x, columns=["u", "v"], index=np.arange(500) + 10)
    est = QuantileRepair().set_output(transform="pandas")
    out = est.fit_transform(df, sensitive_features=a)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["u", "v"]
    assert (out.index == df.index).all()
    assert list(est.get_feature_names_out()) == ["u", "v"]
    np.testing.assert_array_equal(QuantileRepair().fit_transform(x, sensitive_features=a),
                                  out.to_numpy())  # fmt: skip
    est = OTRepair(max_samples=50)
    assert est.get_params()["max_samples"] == 50
    assert est.set_params(amount=0.3).amount == 0.3


@pytest.mark.parametrize("cls", [QuantileRepair, OTRepair])
def test_bad_inputs(cls: type) -> None:
    a, x, z, t = _data(n=300)
    with pytest.raises(ValueError, match="amount"):
        cls(amount=1.5).fit(x, sensitive_features=a)
    with pytest.raises(ValueError, match="amount"):
        cls(amount=-0.1).fit(x, sensitive_features=a)
    xn = x.copy()
    xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cls().fit(xn, sensitive_features=a)
    with pytest.raises(ValueError, match="rows"):
        cls().fit(x, sensitive_features=a[:-1])
    with pytest.raises(ValueError, match="no rows"):
        cls(transition=t).fit(x, sensitive_features=np.zeros_like(a))
    with pytest.raises(ValueError, match="groups must be"):
        cls(groups="oracle").fit(x, sensitive_features=a)
    with pytest.raises(ValueError, match="transition"):
        cls(groups="deconvolution").fit(x, sensitive_features=z)
    with pytest.raises(NotFittedError):
        cls().transform(x, sensitive_features=a)
    with pytest.raises(MissingGroupError, match="sensitive_features"):
        cls().fit(x, a)  # the label slot: never taken as the group
    est = cls().fit(x, sensitive_features=a)
    with pytest.raises(ValueError, match="features"):
        est.transform(x[:, :1], sensitive_features=a)
    with pytest.raises(MissingGroupError, match="transform"):
        est.transform(x)
    with pytest.raises(ValueError, match="NaN"):
        est.transform(xn, sensitive_features=a)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        est.transform(x, sensitive_features=a + 1)
