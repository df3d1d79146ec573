"""Label LDP (LabelRR, RRWithPrior): exact privacy, samplers, estimates, posteriors, validation.

Exact checks use the closed forms (``transition``, ``output_distribution``) and a loop-based
reference implementation of Ghazi et al. (2021), Algorithms 1-2, written from the paper with
``e^eps`` as printed. Statistical checks draw from fixed seeds and compare each count or mean
with its exact expectation within ``Z = 4`` standard errors computed from the exact
distribution (two-sided normal tail 6e-5 per check; the seeds are fixed, so the outcome is
deterministic).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from ldp_testutils import column

from fairldp.ldp.grr import GRR
from fairldp.ldp.label import LabelRR, RRWithPrior, check_prior
from fairldp.rng import make_rng

Z = 4.0  # standard errors allowed in every statistical check
EXACT_EPS = (0.01, 0.5, 1.0, 4.0, 30.0)
KS = (2, 3, 10)


def check_counts(counts: np.ndarray, n: np.ndarray, p: np.ndarray, what: str) -> None:
    """Binomial(n, p) counts (elementwise) within Z standard errors of ``n p``."""
    se = np.sqrt(n * p * (1 - p))
    assert np.all(np.abs(counts - n * p) <= Z * se + 1e-9), (what, counts, n * p, se)


def prior_rows(k: int, seed: int = 0) -> np.ndarray:
    """Priors covering the cases of Algorithm 2: uniform, concentrated, ties, zeros, random."""
    rng = np.random.default_rng(seed)
    rows = [np.full(k, 1 / k), np.eye(k)[k - 1]]
    conc = np.full(k, 0.1 / (k - 1))
    conc[0] = 0.9
    rows.append(conc)
    tied = np.zeros(k)
    tied[: min(k, 2)] = 0.4
    tied[-1] += 0.2  # k = 2: [0.4, 0.6]
    rows.append(tied / tied.sum())
    for alpha in (0.1, 1.0, 10.0):
        rows.extend(rng.dirichlet(np.full(k, alpha), size=2))
    return np.array(rows)


def reference_distribution(y: int, prior: np.ndarray, eps: float) -> np.ndarray:
    """P(output = . | y) of RRWithPrior, per the paper: w_m = e^eps / (e^eps + m - 1) * (mass of
    the m largest priors), m* = argmax (first), then RRTop-m*. Ties in the prior: lower index."""
    k = len(prior)
    e = math.exp(eps)
    order = sorted(range(k), key=lambda c: (-prior[c], c))
    w = [e / (e + m - 1) * sum(prior[c] for c in order[:m]) for m in range(1, k + 1)]
    m = 1 + max(range(k), key=lambda i: (w[i], -i))
    top = order[:m]
    dist = np.zeros(k)
    for c in top:
        if y in top:
            dist[c] = e / (e + m - 1) if c == y else 1 / (e + m - 1)
        else:
            dist[c] = 1 / m
    return dist


# ----- LabelRR: constants and exact privacy ---------------------------------------------------


@pytest.mark.parametrize("eps", EXACT_EPS)
@pytest.mark.parametrize("k", KS)
def test_label_rr_constants_and_tight_ldp(eps: float, k: int) -> None:
    m = LabelRR(eps, k)
    e = math.exp(eps)
    assert m.p == pytest.approx(e / (e + k - 1), rel=1e-12)
    assert m.q == pytest.approx(1 / (e + k - 1), rel=1e-12)
    t = m.transition
    np.testing.assert_allclose(t.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(m.inverse_transition @ t, np.eye(k), atol=1e-9)
    # worst ratio over every pair of labels and every output: e^eps, attained (tight)
    ratio = (t[:, None, :] / t[None, :, :]).max()
    assert ratio <= e * (1 + 1e-12)
    assert ratio == pytest.approx(e, rel=1e-12)
    assert m.accuracy == m.p


def test_label_rr_binary_posterior_closed_form() -> None:
    # k = 2, prior pi = P(Y = 1): P(Y = 1 | Z = 1) = pi p / (pi p + (1 - pi) q)
    eps, pi = 0.7, 0.3
    m = LabelRR(eps, 2)
    post = m.posterior([1 - pi, pi])
    assert post[1, 1] == pytest.approx(pi * m.p / (pi * m.p + (1 - pi) * m.q), rel=1e-12)
    assert post[0, 1] == pytest.approx(pi * m.q / (pi * m.q + (1 - pi) * m.p), rel=1e-12)


# ----- RRWithPrior: the paper's algorithm and exact privacy -----------------------------------


@pytest.mark.parametrize("eps", EXACT_EPS)
@pytest.mark.parametrize("k", KS)
def test_rr_with_prior_exact_ldp_and_reference(eps: float, k: int) -> None:
    r = RRWithPrior(eps, k)
    labels = np.arange(k)
    for row in prior_rows(k, seed=k):
        d = r.output_distribution(labels, row)  # d[y, c] = P(output = c | y, prior row)
        np.testing.assert_allclose(d.sum(axis=1), 1.0, rtol=1e-12)
        # eps-LDP: for every output, every pair of true labels
        assert np.all(d.max(axis=0) <= math.exp(eps) * d.min(axis=0) + 1e-12), row
        ref = np.array([reference_distribution(y, row, eps) for y in labels])
        np.testing.assert_allclose(d, ref, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(r.prob_correct(labels, row), np.diag(ref), rtol=1e-12)
        # Obj_p = sum_y p_y P(output = y | y) = max_m w_m, at least LabelRR's p (= w_k)
        obj = float(row @ np.diag(d))
        assert r.expected_accuracy(row)[0] == pytest.approx(obj, rel=1e-12, abs=1e-300)
        assert obj >= LabelRR(eps, k).p * (1 - 1e-12)


@pytest.mark.parametrize("eps", EXACT_EPS)
@pytest.mark.parametrize("k", KS)
def test_uniform_prior_is_label_rr(eps: float, k: int) -> None:
    r, m = RRWithPrior(eps, k), LabelRR(eps, k)
    uniform = np.full(k, 1 / k)
    assert r.k_star(uniform)[0] == k
    np.testing.assert_allclose(
        r.output_distribution(np.arange(k), uniform), m.transition, rtol=1e-12
    )
    assert r.expected_accuracy(uniform)[0] == pytest.approx(m.p, rel=1e-12)


def test_vectorized_rows_match_single_rows() -> None:
    k, eps = 6, 1.0
    r = RRWithPrior(eps, k)
    rows = prior_rows(k, seed=3)
    y = np.arange(len(rows)) % k
    d = r.output_distribution(y, rows)
    for i, row in enumerate(rows):
        np.testing.assert_array_equal(d[i], r.output_distribution([y[i]], row)[0])
    np.testing.assert_array_equal(r.k_star(rows), [r.k_star(row)[0] for row in rows])


@pytest.mark.parametrize("eps", (0.1, 0.5, 1.0))
def test_concentrated_prior_beats_label_rr(eps: float) -> None:
    """The paper's point: with a prior concentrated on the true label, RRWithPrior outputs it far
    more often than RR at small eps. Exact, then empirical (n draws, 4 SE)."""
    k, n = 10, 20_000
    prior = np.full(k, 0.2 / (k - 1))
    prior[3] = 0.8
    r, m = RRWithPrior(eps, k), LabelRR(eps, k)
    p_prior = float(r.prob_correct([3], prior)[0])
    assert p_prior > m.p
    assert r.k_star(prior)[0] < k
    y = np.full(n, 3)
    hit_prior = int(np.sum(r.perturb(y, prior, make_rng(5, "concentrated", eps)) == 3))
    hit_rr = int(np.sum(m.perturb(y, make_rng(6, "concentrated", eps)) == 3))
    check_counts(np.array(hit_prior), np.array(n), np.array(p_prior), "rr_with_prior")
    check_counts(np.array(hit_rr), np.array(n), np.array(m.p), "label_rr")
    assert hit_prior > hit_rr


# ----- samplers ------------------------------------------------------------------------------


@pytest.mark.parametrize("eps", (0.5, 2.0))
@pytest.mark.parametrize("k", (2, 5))
def test_label_rr_sampler(eps: float, k: int) -> None:
    n_per = 20_000
    m = LabelRR(eps, k)
    y = np.repeat(np.arange(k), n_per)
    z = m.perturb(y, make_rng(1, "label_rr", eps, k))
    assert z.dtype == np.int64 and type(z) is np.ndarray
    counts = np.bincount(y * k + z, minlength=k * k).reshape(k, k)
    check_counts(counts, np.full((k, k), n_per), m.transition, "label_rr")
    # GRR's sampler, same draws
    g = GRR(eps, k).perturb(y, make_rng(1, "label_rr", eps, k))
    np.testing.assert_array_equal(z, np.asarray(g))


@pytest.mark.parametrize("eps", (0.5, 2.0))
def test_rr_with_prior_sampler(eps: float) -> None:
    """Every (prior row, true label) group: output counts vs the exact distribution (4 SE)."""
    k, n_per = 5, 4_000
    r = RRWithPrior(eps, k)
    rows = prior_rows(k, seed=7)
    groups = len(rows) * k
    g = np.repeat(np.arange(groups), n_per)
    prior, y = rows[g // k], g % k
    out = r.perturb(y, prior, make_rng(2, "rr_with_prior", eps))
    assert out.dtype == np.int64 and out.shape == y.shape
    counts = np.bincount(g * k + out, minlength=groups * k).reshape(groups, k)
    exact = r.output_distribution(np.arange(groups) % k, rows[np.arange(groups) // k])
    check_counts(counts, np.full((groups, k), n_per), exact, "rr_with_prior")
    # a 1-D prior is shared by every example
    row = rows[2]
    np.testing.assert_array_equal(
        r.perturb(y[:50], row, make_rng(3, "shared")),
        r.perturb(y[:50], np.tile(row, (50, 1)), make_rng(3, "shared")),
    )


def test_determinism_from_seed_sequence() -> None:
    k, eps = 4, 1.0
    y = np.arange(1000) % k
    prior = np.random.default_rng(0).dirichlet(np.ones(k), size=y.size)
    m, r = LabelRR(eps, k), RRWithPrior(eps, k)
    a = m.perturb(y, make_rng(7, "label", "rr", eps))
    np.testing.assert_array_equal(a, m.perturb(y, make_rng(7, "label", "rr", eps)))
    assert not np.array_equal(a, m.perturb(y, make_rng(8, "label", "rr", eps)))
    b = r.perturb(y, prior, make_rng(7, "label", "prior", eps))
    np.testing.assert_array_equal(b, r.perturb(y, prior, make_rng(7, "label", "prior", eps)))
    assert not np.array_equal(b, r.perturb(y, prior, make_rng(7, "label", "other", eps)))


# ----- estimates, corrected targets and posteriors --------------------------------------------


@pytest.mark.parametrize("eps", (0.5, 2.0))
def test_unbiased_frequencies_and_targets(eps: float) -> None:
    k, n = 4, 50_000
    f = np.array([0.5, 0.3, 0.15, 0.05])
    y = column(f, n)  # exactly n f_c examples of class c, so the variance formula is exact
    m = LabelRR(eps, k)
    z = m.perturb(y, make_rng(4, "targets", eps))
    targets = m.unbiased_targets(z)
    assert targets.shape == (n, k)
    np.testing.assert_allclose(targets.sum(axis=1), 1.0, rtol=1e-12)  # T^-1 preserves sums
    est = m.estimate(z)
    np.testing.assert_allclose(targets.mean(axis=0), est, rtol=1e-9, atol=1e-12)
    se = np.sqrt(m.variance(f, n))
    assert np.all(np.abs(est - f) <= Z * se), (est, f, se)
    np.testing.assert_allclose(targets, m.inverse_transition[z], rtol=1e-12)


@pytest.mark.parametrize("eps", (0.1, 1.0, 5.0))
@pytest.mark.parametrize("k", (2, 3, 5))
def test_posterior_is_bayes(eps: float, k: int) -> None:
    m = LabelRR(eps, k)
    prior = np.random.default_rng(k).dirichlet(np.ones(k))
    post = m.posterior(prior)
    # brute force: P(Y = c, Z = z) = pi_c T[c, z], normalised over c for each z
    joint = np.array([[prior[c] * m.transition[c, z] for c in range(k)] for z in range(k)])
    np.testing.assert_allclose(post, joint / joint.sum(axis=1, keepdims=True), rtol=1e-12)
    assert np.all(post >= 0)
    np.testing.assert_allclose(post.sum(axis=1), 1.0, rtol=1e-12)
    # per-example form: a (k,) prior and the same prior per row agree with the matrix
    z = np.arange(3 * k) % k
    np.testing.assert_allclose(m.clean_posterior(z, prior), post[z], rtol=1e-12)
    rows = np.tile(prior, (z.size, 1))
    np.testing.assert_allclose(m.clean_posterior(z, rows), post[z], rtol=1e-12)


def test_posterior_is_calibrated_empirically() -> None:
    """Y ~ prior, Z = LabelRR(Y): the fraction of Y = c among Z = z is P[z, c] (4 SE)."""
    k, n, eps = 3, 60_000, 1.0
    prior = np.array([0.6, 0.3, 0.1])
    m = LabelRR(eps, k)
    y = make_rng(9, "calib").choice(k, size=n, p=prior)
    z = m.perturb(y, make_rng(9, "calib", "perturb"))
    counts = np.bincount(z * k + y, minlength=k * k).reshape(k, k)
    n_z = counts.sum(axis=1, keepdims=True)
    check_counts(counts, n_z, m.posterior(prior), "posterior")


def test_posterior_extreme_eps_and_zero_prior() -> None:
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        m = LabelRR(1000.0, 3)
        # a report impossible under the prior (class 2 has no mass, no flips): the prior
        post = m.clean_posterior([0, 2], [0.5, 0.5, 0.0])
        np.testing.assert_allclose(post, [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
        np.testing.assert_array_equal(
            m.perturb(np.arange(30) % 3, make_rng(0, "x")), np.arange(30) % 3
        )
        r = RRWithPrior(1000.0, 3)
        assert r.k_star([0.5, 0.5, 0.0])[0] == 2
        np.testing.assert_array_equal(r.perturb([0, 1], [0.5, 0.5, 0.0], make_rng(0, "y")), [0, 1])
        tiny = RRWithPrior(1e-6, 3)
        assert np.all(np.isfinite(tiny.output_distribution([0, 1, 2], [0.9, 0.05, 0.05])))


# ----- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", (LabelRR, RRWithPrior))
def test_bad_parameters(cls: type) -> None:
    for eps in (0, -1.0, float("nan"), float("inf"), True, None, 1e4):
        with pytest.raises(ValueError, match="epsilon must be a finite number"):
            cls(eps, 3)
    for k in (1, 0, 2.5, True):
        with pytest.raises(ValueError, match=r"k \(domain size\) must be an integer >= 2"):
            cls(1.0, k)


def test_bad_labels() -> None:
    m, r = LabelRR(1.0, 3), RRWithPrior(1.0, 3)
    prior = np.full(3, 1 / 3)
    for bad, msg in (
        ([0, 3], r"codes in \[0, 3\); found 3"),
        ([-1, 0], r"codes in \[0, 3\); found -1"),
        ([0.0, float("nan")], "non-integer"),
        ([0.5], "non-integer"),
        ([], "empty"),
        ([[0, 1]], "1-D"),
    ):
        with pytest.raises(ValueError, match=msg):
            m.perturb(bad, make_rng(0))
        with pytest.raises(ValueError, match=msg):
            r.perturb(bad, prior, make_rng(0))
    with pytest.raises(ValueError, match="y_reported"):
        m.unbiased_targets([3])
    with pytest.raises(ValueError, match="y_reported"):
        m.estimate([0, 5])


def test_bad_priors() -> None:
    r, m = RRWithPrior(1.0, 3), LabelRR(1.0, 3)
    y = np.array([0, 1])
    cases = (
        (np.full(4, 0.25), "shape"),
        (np.full((3, 3), 1 / 3), "one row per label"),
        (np.full((2, 2, 3), 1 / 3), "shape"),
        (np.array([0.5, 0.5, 0.5]), "must sum to 1"),
        (np.array([[1.0, 0, 0], [0.2, 0.2, 0.2]]), "row 1 sums to"),
        (np.array([0.5, float("nan"), 0.5]), "NaN"),
        (np.array([1.5, -0.5, 0.0]), "non-negative"),
        (np.array(["a", "b", "c"]), "real probabilities"),
    )
    for prior, msg in cases:
        with pytest.raises(ValueError, match=msg):
            r.perturb(y, prior, make_rng(0))
        with pytest.raises(ValueError, match=msg):
            r.output_distribution(y, prior)
        with pytest.raises(ValueError, match=msg):
            m.clean_posterior(y, prior)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        m.posterior(np.full((2, 3), 1 / 3))
    # float32 softmax rows (sums off by ~1e-7) are accepted
    soft = np.array([[0.7, 0.2, 0.1]], dtype=np.float32)
    assert check_prior(soft, 3).dtype == np.float64


def test_repr_and_params() -> None:
    assert repr(LabelRR(1.0, 2)) == "LabelRR(epsilon=1.0, k=2)"
    assert repr(RRWithPrior(0.5, 4)) == "RRWithPrior(epsilon=0.5, k=4)"
    assert LabelRR(1.0, 2).params["mechanism"] == "label_rr"
    assert RRWithPrior(1.0, 2).params == {"mechanism": "rr_with_prior", "epsilon": 1.0, "k": 2}
