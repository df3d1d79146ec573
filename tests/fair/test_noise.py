"""Noise model of the LDP protocols: decoding, exact transition matrices, recovery."""

from __future__ import annotations

import numpy as np
import pytest

from fairldp.fair.noise import NoiseModel, NoiseModelError, decode, transition_matrix
from fairldp.ldp import get_protocol

# every protocol (THE is a unary encoding; ADP is GRR or OUE)
EXACT = ("grr", "sue", "oue", "the", "blh", "olh", "ss", "she", "adp")
#: z-score bound: max over <= 25 cells per case, each ~N(0, 1) under the null; 4.5 SE keeps
#: the family-wise false-alarm rate below ~2e-4 per case (and the seeds are fixed)
Z_MAX = 4.5


def _mc_transition(proto, prior, n_per, seed):
    """Monte-Carlo decoded frequencies (smallest-index ties): ``n_per`` users per value."""
    k = proto.k
    x = np.repeat(np.arange(k), n_per)
    z = decode(proto, proto.perturb(x, np.random.default_rng(seed)), prior, tie_break="smallest")
    return np.stack([np.bincount(z[x == a], minlength=k) / n_per for a in range(k)])


@pytest.mark.parametrize("name", EXACT)
@pytest.mark.parametrize(
    ("k", "eps", "prior"),
    [(3, 1.0, None), (4, 2.0, None), (4, 1.5, (0.4, 0.3, 0.2, 0.1))],
)
def test_transition_matches_monte_carlo(name, k, eps, prior):
    proto = get_protocol(name, eps, k)
    t = transition_matrix(proto, prior, tie_break="smallest")
    assert t.shape == (k, k)
    np.testing.assert_allclose(t.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(t >= 0)
    n_per = 30_000
    f = _mc_transition(proto, prior, n_per, seed=EXACT.index(name) * 100 + k)
    # each decoded frequency is Binomial(n_per, T[a, z]) / n_per: SE = sqrt(T (1 - T) / n)
    se = np.sqrt(t * (1 - t) / n_per)
    exact_zero = t < 1e-15
    assert np.all(f[exact_zero] == 0)
    zscores = np.abs(f - t)[~exact_zero] / se[~exact_zero]
    assert zscores.max() < Z_MAX, (name, t, f)


@pytest.mark.parametrize("name", EXACT)
@pytest.mark.parametrize(("k", "eps"), [(4, 1.0), (6, 0.5), (5, 3.0)])  # OLH g = 4, 3, 21
def test_random_tie_break_matches_monte_carlo(name, k, eps):
    proto = get_protocol(name, eps, k)
    t = transition_matrix(proto, tie_break="random")
    np.testing.assert_allclose(t.sum(axis=1), 1.0, atol=1e-12)
    n_per = 30_000
    rng = np.random.default_rng(EXACT.index(name) * 100 + k + 7)
    x = np.repeat(np.arange(k), n_per)
    z = decode(proto, proto.perturb(x, rng), tie_break="random", rng=rng)
    f = np.stack([np.bincount(z[x == a], minlength=k) / n_per for a in range(k)])
    se = np.sqrt(t * (1 - t) / n_per)  # binomial SE of each decoded frequency
    assert np.max(np.abs(f - t) / se) < Z_MAX, (name, t, f)


def test_ss_needs_random_tie_break_when_omega_is_large():
    proto = get_protocol("ss", 0.5, 6)
    assert proto.omega == 2
    # smallest-index decoding never outputs the omega - 1 largest values: T singular, and the
    # error names them and the alternative
    with pytest.raises(NoiseModelError, match=r"value\(s\) \[5\] are never decoded.*'random'"):
        NoiseModel(proto, tie_break="smallest")
    nm = NoiseModel(proto)  # tie_break="random" is the default
    assert nm.tie_break == "random" and nm.condition < 50
    with pytest.raises(ValueError, match="needs rng"):
        nm.decode(proto.perturb(np.arange(6), np.random.default_rng(0)))
    with pytest.raises(ValueError, match="uniform prior only"):
        NoiseModel(proto, prior=[0.5, 0.1, 0.1, 0.1, 0.1, 0.1], tie_break="random")


def test_grr_matrix_and_decoding_is_identity():
    proto = get_protocol("grr", 1.0, 4)
    np.testing.assert_array_equal(transition_matrix(proto), proto.transition_matrix)
    r = proto.perturb(np.arange(4).repeat(5), np.random.default_rng(0))
    np.testing.assert_array_equal(decode(proto, r), r)


def test_ue_uniform_decoding_is_smallest_set_bit():
    from fairldp.ldp import BitReports

    proto = get_protocol("oue", 1.0, 4)
    bits = BitReports.from_bits(np.array([[0, 1, 1, 0], [0, 0, 0, 0], [1, 0, 0, 1], [0, 0, 0, 1]]))
    np.testing.assert_array_equal(decode(proto, bits, tie_break="smallest"), [1, 0, 0, 3])
    # a strong prior on value 3 overrides a set bit elsewhere when out-weighing e^eps
    prior = np.array([0.05, 0.05, 0.05, 0.85])
    np.testing.assert_array_equal(decode(proto, bits, prior, tie_break="smallest"), [3, 3, 3, 3])
    # uniform ties: a value of S, uniformly; GRR needs no generator (no ties)
    rng = np.random.default_rng(0)
    z = np.stack([decode(proto, bits, rng=rng) for _ in range(200)])
    assert set(np.unique(z[:, 0])) == {1, 2} and set(np.unique(z[:, 1])) == {0, 1, 2, 3}
    assert np.all(z[:, 3] == 3)
    np.testing.assert_array_equal(decode(get_protocol("grr", 1.0, 4), [2, 0]), [2, 0])


def test_lh_is_not_the_independent_hash_model():
    # OLH at eps = 1 has g = 4 buckets; the linear hash family makes triples of consecutive
    # values collide with probability 1/8 (not 1/16), so T differs from the ideal model
    # (checked against Monte Carlo in test_transition_matches_monte_carlo).
    proto = get_protocol("olh", 1.0, 3)
    assert proto.g == 4
    t = transition_matrix(proto)
    np.testing.assert_allclose(t.sum(axis=1), 1.0)


def test_she_decoding_and_unnormalized_rows():
    from fairldp.fair.noise import _she_matrix, _she_uniform_matrix, check_prior

    proto = get_protocol("she", 2.0, 3)
    y = np.array([[1.2, 3.0, -0.5], [-1.0, -2.0, -0.1], [0.9, 0.2, 0.95]])
    # scores clip(2y - 1, -1, 1): saturated ties go to the smallest index
    np.testing.assert_array_equal(decode(proto, y, tie_break="smallest"), [0, 0, 2])
    # float32 reports decode the same
    np.testing.assert_array_equal(
        decode(proto, y.astype(np.float32), tie_break="smallest"), [0, 0, 2]
    )
    # quadrature and atoms account for all the mass without normalization; the uniform-prior
    # closed form agrees with the general quadrature
    t = _she_matrix(proto, check_prior(None, 3))
    np.testing.assert_allclose(t.sum(axis=1), 1.0, atol=1e-12)
    for tb in ("smallest", "random"):
        u = _she_uniform_matrix(proto, tb)
        np.testing.assert_allclose(u.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(_she_uniform_matrix(proto, "smallest"), t, atol=1e-12)


def test_lh_larger_domain():
    # k = 12, g = 56: ~1 600 cells x 56 hash offsets, well-conditioned at eps = 4
    nm = NoiseModel(get_protocol("olh", 4.0, 12))
    np.testing.assert_allclose(nm.T.sum(axis=1), 1.0)
    assert np.all(np.argmax(nm.T, axis=1) == np.arange(12)) and nm.condition < 20


@pytest.mark.parametrize("name", ["grr", "oue", "olh", "ss", "she"])
def test_recovered_joint_is_unbiased(name):
    k, n = 3, 60_000
    proto = get_protocol(name, 1.5, k)
    nm = NoiseModel(proto)
    rng = np.random.default_rng(7)
    # P(A, W) with W in {0, 1, 2} (e.g. (Y, Yhat) flattened)
    p_aw = np.array([[0.20, 0.05, 0.10], [0.05, 0.25, 0.05], [0.10, 0.05, 0.15]])
    cells = rng.choice(p_aw.size, size=n, p=p_aw.ravel())
    a, w = np.divmod(cells, 3)
    z = nm.decode(proto.perturb(a, rng), rng)
    emp = np.zeros((k, 3))
    np.add.at(emp, (z, w), 1.0 / n)
    rec = nm.recover(emp)
    # emp is multinomial with cell probabilities P_ZW = T^T P_AW (Z indep. of W given A), so
    # Cov(emp) = (diag(P) - P P^T) / n exactly and rec = (T^{-T} (x) I) emp is linear in it
    p_zw = (nm.T.T @ p_aw).ravel()
    cov = (np.diag(p_zw) - np.outer(p_zw, p_zw)) / n
    lin = np.kron(np.linalg.inv(nm.T.T), np.eye(3))
    se = np.sqrt(np.diag(lin @ cov @ lin.T)).reshape(k, 3)
    assert np.max(np.abs(rec - p_aw) / se) < Z_MAX
    np.testing.assert_allclose(rec.sum(), 1.0)
    proj = nm.recover(emp, project=True)
    assert np.all(proj >= 0) and np.isclose(proj.sum(), 1.0)
    # naive use of Z as A is biased by far more than the sampling error
    assert np.max(np.abs(emp - p_aw) / se) > 10


def test_recover_shapes_and_validation():
    nm = NoiseModel(get_protocol("grr", 2.0, 3))
    p = np.array([0.5, 0.3, 0.2])
    np.testing.assert_allclose(nm.T.T @ nm.recover(p), p)
    assert nm.recover(np.ones((3, 2, 2))).shape == (3, 2, 2)
    with pytest.raises(ValueError, match="first axis"):
        nm.recover(np.ones(4))


def test_ill_conditioned_raises():
    with pytest.raises(NoiseModelError, match=r"'grr'.*eps=1e-05.*k=2.*condition number"):
        NoiseModel(get_protocol("grr", 1e-5, 2))
    assert issubclass(NoiseModelError, ValueError)
    # a skewed decoding prior (0.4 / 0.1 > e^eps) means value 3 is never decoded: T singular
    with pytest.raises(NoiseModelError, match=r"\[3\] are never decoded; use a less skewed"):
        NoiseModel(get_protocol("oue", 1.0, 4), prior=[0.4, 0.3, 0.2, 0.1], tie_break="smallest")
    # random ties need the uniform prior (GRR has no ties: any prior)
    with pytest.raises(ValueError, match=r"uniform prior only.*tie_break='smallest'"):
        NoiseModel(get_protocol("oue", 1.0, 4), prior=[0.4, 0.3, 0.2, 0.1])
    NoiseModel(get_protocol("grr", 1.0, 4), prior=[0.4, 0.3, 0.2, 0.1])
    # a custom threshold
    with pytest.raises(NoiseModelError):
        NoiseModel(get_protocol("grr", 1.0, 2), max_condition=1.5)


def test_invalid_prior():
    with pytest.raises(ValueError, match="prior"):
        NoiseModel(get_protocol("grr", 1.0, 3), prior=[0.5, 0.5, 0.0])


def _b_by_patterns(k: int, g: int) -> np.ndarray:
    """Reference ``B[a, z] = E[1[H(a) = H(z)] / N_z]`` by enumerating every hash pattern
    (:func:`noise._lh_patterns`: floor patterns x hash offsets), as the former implementation
    did: ``sum_patterns weight * 1[L_a = L_z] / N_z``."""
    from fairldp.fair import noise

    b = np.zeros((k, k))
    for labels, wt in noise._lh_patterns(k, g):
        same = labels[:, :, None] == labels[:, None, :]  # (pattern, a, z)
        b += np.einsum("m,maz->az", wt, same / same.sum(axis=1)[:, None, :])
    return b


@pytest.mark.parametrize("k", [2, 3, 5, 8, 12, 17])
@pytest.mark.parametrize("g", [2, 3, 4, 5, 8, 21, 56, 404])
def test_lh_bucket_statistics_match_pattern_enumeration(k, g):
    # the rotation form (no enumeration) agrees with the enumeration of the hash patterns
    from fairldp.fair import noise

    b = noise._lh_random_b.__wrapped__(k, g)
    np.testing.assert_allclose(b, _b_by_patterns(k, g), rtol=0, atol=1e-12)
    # symmetric, centrosymmetric (v -> k-1-v), rows sum to one, 1 < E[#non-empty] <= min(g, k)
    np.testing.assert_allclose(b, b.T, atol=1e-15)
    np.testing.assert_allclose(b, b[::-1, ::-1], atol=1e-15)
    np.testing.assert_allclose(b.sum(axis=1), 1.0, atol=1e-12)
    assert 1.0 < np.trace(b) <= min(g, k) + 1e-12


@pytest.mark.parametrize("g", [3, 2982, 10**6, 2**31 - 2])
def test_lh_bucket_statistics_closed_form_for_two_values(g):
    # k = 2: the two values collide with probability 1/g, then each bucket has N = 2
    from fairldp.fair import noise

    c = 1.0 / (2 * g)
    np.testing.assert_allclose(
        noise._lh_random_b.__wrapped__(2, g), [[1 - c, c], [c, 1 - c]], rtol=1e-13, atol=0
    )


def test_lh_random_ties_at_large_g_match_monte_carlo():
    # OLH at eps = 4 (g = 56) on k = 30 values: T from the rotation form against decoded
    # frequencies of the real hash family (where the former enumeration took seconds)
    k, n_per = 30, 20_000
    proto = get_protocol("olh", 4.0, k)
    t = transition_matrix(proto)
    rng = np.random.default_rng(2024)
    x = np.repeat(np.arange(k), n_per)
    z = decode(proto, proto.perturb(x, rng), rng=rng)
    f = np.bincount(x * k + z, minlength=k * k).reshape(k, k) / n_per
    se = np.sqrt(t * (1 - t) / n_per)
    assert np.max(np.abs(f - t) / se) < 5.0  # 900 cells: 5 SE


def test_lh_size_limit_is_a_clear_error():
    # the pipeline's decoding (tie_break="random") at Adult's age domain for every eps: OLH at
    # eps = 8 has g = 2982 buckets (the former enumeration refused it)
    nm = NoiseModel(get_protocol("olh", 8.0, 74))
    np.testing.assert_allclose(nm.T.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(np.argmax(nm.T, axis=1) == np.arange(74))
    # tie_break="smallest" still enumerates the hash patterns: refused up front, naming the
    # sizes and the limit
    with pytest.raises(NoiseModelError, match=r"k=74, g=2982\).*above the limit"):
        NoiseModel(get_protocol("olh", 8.0, 74), tie_break="smallest")
    # random ties beyond the work limit (~0.3 k^4 for g = 2): refused before any work
    with pytest.raises(NoiseModelError, match=r"blh .*k=1000, g=2, tie_break='random'.*limit"):
        NoiseModel(get_protocol("blh", 1.0, 1000))
    # eps >= ln(2^31 - 1): g = P and the hash is injective on the domain (no limit): the
    # report is the own bucket (p), another value's (q each) or one of the g - k empty ones
    # (q each, decoded uniformly): T = (p - q) I + q g / k
    proto = get_protocol("olh", 30.0, 74)
    nm = NoiseModel(proto)
    np.testing.assert_allclose(nm.T, (proto.p - proto.q) * np.eye(74) + proto.q * proto.g / 74)
