"""Group-conditional distributions from privatized labels (fairldp.repair.groups)."""

from __future__ import annotations

import numpy as np
import pytest

from fairldp.ldp import GRR, project_simplex
from fairldp.repair.groups import (
    GroupPosterior,
    check_transition,
    deconvolution_weights,
    group_weights,
    project_rows_simplex,
)


def _data(n: int = 6000, eps: float = 1.0, seed: int = 1):
    """A ~ Bernoulli(0.4), X | A=a ~ N(2a, 1) (2 columns), Z = GRR_eps(A)."""
    rng = np.random.default_rng(seed)
    a = (rng.random(n) < 0.4).astype(np.int64)
    x = rng.normal(size=(n, 2)) + 2.0 * a[:, None]
    grr = GRR(eps, 2)
    return a, x, grr.perturb(a, rng), grr.transition_matrix


@pytest.mark.parametrize("method", ["naive", "deconvolution", "posterior"])
@pytest.mark.parametrize("use_x", ["none", "1d", "2d"])
def test_weights_are_distributions(method: str, use_x: str) -> None:
    _, x, z, t = _data(2000)
    xx = {"none": None, "1d": x[:, 0], "2d": x}[use_x]
    w = group_weights(z, t, method, xx)
    assert w.shape == (z.size, 2)
    assert np.all(w >= 0)
    np.testing.assert_allclose(w.sum(axis=0), 1.0, atol=1e-12)


def test_naive_is_normalized_one_hot() -> None:
    z = np.array([0, 1, 1, 2, 2, 2])
    w = group_weights(z, None, "naive")
    np.testing.assert_allclose(w[:, 2], [0, 0, 0, 1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(group_weights(z, None, "true"), w)


def test_signed_deconvolution_is_unbiased() -> None:
    # sum_i w[i, a] x_i is an unbiased estimate of E[X | A=a] (exact inversion of the mixture);
    # sd ~ sqrt(n) * max|M| / (n pi_a) ~ 0.1 here, so 0.3 is a ~3-sigma tolerance.
    _, x, z, t = _data(6000)
    s = deconvolution_weights(z, t)
    np.testing.assert_allclose(s.sum(axis=0), 1.0, atol=1e-12)
    assert (s < 0).any()  # genuinely signed
    np.testing.assert_allclose(s.T @ x[:, 0], [0.0, 2.0], atol=0.3)


def test_clipped_deconvolution_equals_naive_for_grr() -> None:
    # documented: for GRR, M = (I - q 11^T) / (p - q) is negative exactly off the diagonal
    _, _, z, t = _data(1000)
    np.testing.assert_allclose(group_weights(z, t, "deconvolution"), group_weights(z, t, "naive"))


def test_deconvolution_recovers_group_means_naive_does_not() -> None:
    # naive group 0 is the mixture with P(A=1 | Z=0) ~ 0.2, mean ~ 0.4; deconvolution removes
    # this bias up to sampling noise (~0.1, amplified by 1/(p-q)) and isotonic projection bias.
    a, x, z, t = _data(6000)
    truth = np.array([x[a == 0, 0].mean(), x[a == 1, 0].mean()])
    naive = group_weights(z, t, "naive").T @ x[:, 0]
    for xx in (x[:, 0], x):  # isotonic (1-D) and regression smoothing (2-D)
        dec = group_weights(z, t, "deconvolution", xx).T @ x[:, 0]
        assert np.all(np.abs(dec - truth) < 0.3)
        assert np.all(np.abs(dec - truth) < 0.6 * np.abs(naive - truth))
    post = group_weights(z, t, "posterior", x).T @ x[:, 0]
    assert np.all(np.abs(post - truth) < 0.6 * np.abs(naive - truth))


def test_posterior_rows() -> None:
    a, x, z, t = _data(3000)
    for method in ("posterior", "deconvolution"):
        gp = GroupPosterior(method, 2, t).fit(x, sensitive_features=z)
        r = gp.predict_proba(x, sensitive_features=z)
        np.testing.assert_allclose(r.sum(axis=1), 1.0)
        # X is informative: the posterior of the true group beats the label-only P(A | z)
        r0 = GroupPosterior(method, 2, t).fit(None, sensitive_features=z)
        r0 = r0.predict_proba(None, sensitive_features=z)
        assert r[np.arange(a.size), a].mean() > r0[np.arange(a.size), a].mean() + 0.05
    # label-only posterior is pi_a T[a, z] normalised
    gp = GroupPosterior("posterior", 2, t).fit(None, sensitive_features=z)
    expect = gp.pi_ * t[:, z].T
    np.testing.assert_allclose(
        gp.predict_proba(None, sensitive_features=z), expect / expect.sum(axis=1, keepdims=True)
    )


def test_project_rows_simplex_matches_1d() -> None:
    v = np.random.default_rng(3).normal(size=(50, 4)) * 2
    p = project_rows_simplex(v)
    np.testing.assert_allclose(p, np.array([project_simplex(r) for r in v]), atol=1e-12)


def test_bad_inputs() -> None:
    _, x, z, t = _data(200)
    with pytest.raises(ValueError, match="transition"):
        group_weights(z, None, "deconvolution")
    with pytest.raises(ValueError, match="method"):
        group_weights(z, t, "magic")
    with pytest.raises(ValueError, match="rows summing"):
        check_transition([[0.5, 0.6], [0.5, 0.5]])
    with pytest.raises(ValueError, match="singular"):
        deconvolution_weights(z, [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match="no rows"):
        group_weights(np.zeros(10, dtype=int), t, "naive")
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        group_weights(np.array([0, 1, 2]), t, "naive")
    with pytest.raises(ValueError, match="NaN"):
        group_weights(z, t, "posterior", np.full(z.size, np.nan))
    with pytest.raises(ValueError, match="rows"):
        group_weights(z, t, "posterior", x[:10])


def test_group_posterior_is_a_sklearn_transformer() -> None:
    import sklearn
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from fairldp._sklearn import MissingGroupError

    a, x, z, t = _data(1500)
    gp = GroupPosterior("posterior", transition=t)  # k from the transition
    with pytest.raises(NotFittedError):
        gp.predict_proba(x, sensitive_features=z)
    with pytest.raises(MissingGroupError, match="sensitive_features"):
        clone(gp).fit(x, a)  # y is never taken as the group
    r = gp.fit_transform(x, sensitive_features=z)
    assert gp.n_groups_ == 2 and gp.n_features_in_ == 2
    np.testing.assert_allclose(r, gp.predict_proba(x, sensitive_features=z))
    np.testing.assert_array_equal(gp.predict(x, sensitive_features=z), r.argmax(axis=1))
    assert list(gp.get_feature_names_out()) == ["groupposterior0", "groupposterior1"]
    # routed as metadata in a pipeline: the posterior columns become the features
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(clone(gp), LogisticRegression().set_fit_request(sample_weight=False))
        pipe.fit(x, a, sensitive_features=z)
        assert pipe.score(x, a, sensitive_features=z) > 0.8
    # no features: the label-only posterior, and a refit forgets the former features
    gp.fit(None, sensitive_features=z)
    assert not hasattr(gp, "n_features_in_") and gp.model_ is None
    with pytest.raises(ValueError, match=r"P\(A \| x\) needs X"):
        gp.prob_a_given_x(x)
    # parameters are checked at fit, not in __init__
    for bad, match in [
        ({"method": "magic"}, "method must be one of"),
        ({"n_iter": 0}, "n_iter"),
        ({"C": -1.0}, "C must be"),
        ({"k": 1, "method": "naive"}, "k must be"),
        ({"transition": None}, "needs the transition"),
    ]:
        with pytest.raises(ValueError, match=match):
            GroupPosterior(**{"transition": t, **bad}).fit(x, sensitive_features=z)
    with pytest.raises(ValueError, match=r"codes must lie in \[0, 2\)"):
        GroupPosterior("naive", k=2).fit(x, sensitive_features=z + 1)
