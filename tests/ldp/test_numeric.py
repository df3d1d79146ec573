"""Numeric LDP mechanisms (Duchi, Piecewise, Hybrid): exact privacy, unbiasedness, variance.

Exact checks use the closed forms (``density``, ``probability``, ``variance``); statistical
checks draw from fixed seeds and use tolerances derived from theory, never tuned: each
compares an estimate with its exact expectation within ``Z = 4`` standard errors computed from
the exact distribution (a two-sided normal tail of 6e-5 per check; the seeds are fixed, so the
outcome is deterministic). The standard errors come from :func:`central_moment`, which
integrates each mechanism's piecewise-constant density (and its atoms) exactly, independently
of the mechanisms' ``variance`` formulas.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from fairldp.ldp import numeric
from fairldp.ldp.numeric import (
    EPS_STAR,
    NUMERIC_MECHANISMS,
    Duchi,
    Hybrid,
    NumericMechanism,
    Piecewise,
    get_numeric_mechanism,
)
from fairldp.registry import UnknownNameError
from fairldp.rng import make_rng

NAMES = ("duchi", "piecewise", "hybrid")
EXACT_EPS = (0.01, 0.5, 1.0, 4.0, 30.0, 50.0)
STAT_EPS = (0.5, 1.0, 4.0)
#: also eps = 12, where PM's sampler takes its robust form (``numeric._SHORT_PM_EPS = 10``)
SAMPLER_EPS = (*STAT_EPS, 12.0)
Z = 4.0  # standard errors allowed in every statistical check


def central_moment(m: NumericMechanism, t: np.ndarray | float, k: int) -> np.ndarray:
    """``E[(Y - t)^k | t]`` (normalised units), integrated exactly from the output distribution:
    Duchi's two atoms, PM's density ``p_out`` on ``[-C, C]`` plus ``p_in - p_out`` on
    ``[l, r]``, HM's mixture of both."""
    t = np.asarray(t, dtype=float)
    if isinstance(m, Duchi):
        c = m.bound
        return m.prob_plus(t) * (c - t) ** k + m.prob_minus(t) * (-c - t) ** k
    if isinstance(m, Piecewise):

        def integral(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
            return ((b - t) ** (k + 1) - (a - t) ** (k + 1)) / (k + 1)

        lft = m.left(t)
        c = m.bound
        return m.p_out * integral(-c, c) + (m.p_in - m.p_out) * integral(lft, lft + m.width)
    assert isinstance(m, Hybrid)
    mom = m.one_minus_alpha * central_moment(m.duchi, t, k)
    if m.alpha > 0:
        mom = mom + m.alpha * central_moment(m.piecewise, t, k)
    return mom


def normalised(m: NumericMechanism, reports: np.ndarray) -> np.ndarray:
    return (reports - m.mid) / m.scale


def check_count(count: int, n: int, p: float, what: str) -> None:
    """A Binomial(n, p) count within Z standard errors of ``n p`` (exactly 0 if ``p = 0``)."""
    se = math.sqrt(n * p * (1 - p))
    assert abs(count - n * p) <= Z * se + 1e-9, (what, count, n * p, se)


# ----- registry and parameters --------------------------------------------------------------


def test_registry() -> None:
    assert sorted(NUMERIC_MECHANISMS) == sorted(NAMES)
    assert dict(NUMERIC_MECHANISMS) == {"duchi": Duchi, "piecewise": Piecewise, "hybrid": Hybrid}
    m = get_numeric_mechanism("PieceWise", 2.0, 0, 10)
    assert isinstance(m, Piecewise) and (m.epsilon, m.low, m.high) == (2.0, 0.0, 10.0)
    with pytest.raises(
        ValueError, match=r"unknown numeric LDP mechanism 'piecewse' \(did you mean 'piecewise'\?\)"
    ):
        get_numeric_mechanism("piecewse", 1.0, 0, 1)
    with pytest.raises(UnknownNameError):
        get_numeric_mechanism("laplace", 1.0, 0, 1)


@pytest.mark.parametrize("eps", (0.01, 0.5, 1.0, 4.0, 30.0))
def test_constants_are_the_papers(eps: float) -> None:
    """Each mechanism's constants against the papers' formulas, written naively."""
    e, z = math.exp(eps), math.exp(eps / 2)
    t = np.linspace(-1, 1, 9)
    d = Duchi(eps)
    assert np.isclose(d.bound, (e + 1) / (e - 1), rtol=1e-9)
    # the naive form cancels at t = -1 (absolute error ~1e-16): the small end, 1 / (e^eps + 1),
    # is checked relatively
    np.testing.assert_allclose(
        d.prob_plus(t), 0.5 + t * (e - 1) / (2 * (e + 1)), rtol=1e-9, atol=1e-15
    )
    assert d.prob_plus(-1.0) == pytest.approx(1 / (e + 1), rel=1e-12)
    assert d.prob_minus(1.0) == pytest.approx(1 / (e + 1), rel=1e-12)
    np.testing.assert_allclose(d.prob_plus(t) + d.prob_minus(t), 1.0, rtol=1e-12)
    np.testing.assert_allclose(
        d.variance(t), ((e + 1) / (e - 1)) ** 2 - t**2, rtol=1e-9, atol=1e-15
    )
    assert d.variance(1.0) == pytest.approx(4 * e / (e - 1) ** 2, rel=1e-12)

    pm = Piecewise(eps)
    c = (z + 1) / (z - 1)
    assert np.isclose(pm.bound, c, rtol=1e-9)
    np.testing.assert_allclose(pm.left(t), (c + 1) / 2 * t - (c - 1) / 2, rtol=1e-9, atol=1e-15 * c)
    lft, rgt = pm.piece(t)
    np.testing.assert_allclose(rgt, lft + c - 1, rtol=1e-9, atol=1e-15 * c)
    assert (lft[0], rgt[-1]) == (-pm.bound, pm.bound)
    assert np.isclose(pm.width, c - 1, rtol=1e-9)
    p = (e - z) / (2 * z + 2)
    assert np.isclose(pm.p_in, p, rtol=1e-9) and np.isclose(pm.p_out, p / e, rtol=1e-9)
    assert np.isclose(pm.q_in, z / (z + 1), rtol=1e-12)  # P([l, r]) = p (C - 1)
    assert np.isclose(pm.p_in * pm.width, pm.q_in, rtol=1e-9)
    var = t**2 / (z - 1) + (z + 3) / (3 * (z - 1) ** 2)
    np.testing.assert_allclose(pm.variance(t), var, rtol=1e-9)
    assert np.isclose(pm.worst_case_variance, 4 * z / (3 * (z - 1) ** 2), rtol=1e-9)

    hm = Hybrid(eps)
    assert hm.alpha == (1 - math.exp(-eps / 2) if eps > 0.61 else 0.0)
    assert hm.alpha + hm.one_minus_alpha == pytest.approx(1.0, abs=1e-15)


def test_eps_star() -> None:
    """The paper's closed form of eps* (Wang et al., 2019, Sec. III-C): 2 ln z* with z* the real
    root of 3 z^3 - z^2 + z - 7 = 0, i.e. where PM's variance at t = 0 equals Duchi's."""
    assert EPS_STAR == pytest.approx(0.6093525, abs=1e-7)
    roots = np.roots([3, -1, 1, -7])
    z_star = float(roots[np.abs(roots.imag) < 1e-12].real[0])
    assert EPS_STAR == pytest.approx(2 * math.log(z_star), rel=1e-12)
    assert Piecewise(EPS_STAR).variance(0.0) == pytest.approx(
        Duchi(EPS_STAR).variance(0.0), rel=1e-9
    )
    assert Hybrid(EPS_STAR).alpha == 0.0
    above = np.nextafter(EPS_STAR, 1.0)
    assert Hybrid(above).alpha == pytest.approx(1 - math.exp(-EPS_STAR / 2))


# ----- exact eps-LDP ----------------------------------------------------------------------


def output_grid(m: NumericMechanism, t: np.ndarray) -> np.ndarray:
    """Outputs around and on every discontinuity: a fine grid, the atoms, +-C and the ends
    of the high-density piece of PM (and of HM's PM branch) for each input of ``t``."""
    c = m.bound
    ys = [np.linspace(-1.05 * c, 1.05 * c, 1601), np.array([-c, c, *m.atoms])]
    pm = m if isinstance(m, Piecewise) else getattr(m, "piecewise", None)
    if pm is not None and (not isinstance(m, Hybrid) or m.alpha > 0):
        ys += list(pm.piece(t))
    return np.unique(np.concatenate(ys))


@pytest.mark.parametrize("eps", EXACT_EPS)
@pytest.mark.parametrize("mech_name", NAMES)
def test_exact_ldp_density_ratio(mech_name: str, eps: float) -> None:
    """``max_{t, t', y} density(t, y) / density(t', y) = e^eps`` exactly, in log space:
    at most ``eps + 1e-9`` everywhere and equal to eps somewhere (the bound is tight)."""
    m = get_numeric_mechanism(mech_name, eps)
    t = np.linspace(-1, 1, 41)
    y = output_grid(m, t)
    dens = m.density(t[:, None], y[None, :])  # (t, y)
    assert np.all(np.isfinite(dens)) and np.all(dens >= 0)
    support = dens.max(axis=0) > 0
    # an output possible under one input is possible under every input
    assert np.all(dens[:, support] > 0)
    log_d = np.log(dens[:, support])
    worst = float((log_d.max(axis=0) - log_d.min(axis=0)).max())
    assert worst <= eps + 1e-9
    assert worst >= eps - 1e-9


@pytest.mark.parametrize("eps", EXACT_EPS)
@pytest.mark.parametrize("mech_name", NAMES)
def test_exact_ldp_interval_probabilities(mech_name: str, eps: float) -> None:
    """The same bound on ``P(a <= Y <= b | t)`` for every interval between grid points (so
    atoms and continuous parts together, as the definition of eps-LDP asks), and each
    conditional distribution has total mass 1."""
    m = get_numeric_mechanism(mech_name, eps)
    t = np.linspace(-1, 1, 21)
    c = m.bound
    edges = [np.linspace(-c, c, 25), np.array([-c, c, *m.atoms])]
    pm = m if isinstance(m, Piecewise) else getattr(m, "piecewise", None)
    if pm is not None and (not isinstance(m, Hybrid) or m.alpha > 0):
        edges += list(pm.piece(t[::5]))  # [l(t), r(t)] for t in -1, -0.5, 0, 0.5, 1
    edges = np.unique(np.concatenate(edges))
    a, b = np.meshgrid(edges, edges, indexing="ij")
    keep = a <= b
    prob = m.probability(t[:, None], a[keep][None, :], b[keep][None, :])
    np.testing.assert_allclose(m.probability(t, -c, c), 1.0, rtol=1e-9)
    assert np.all(prob >= 0) and np.all(prob <= 1 + 1e-9)
    pos = prob.max(axis=0) > 0
    assert np.all(prob[:, pos] > 0)
    log_p = np.log(prob[:, pos])
    worst = float((log_p.max(axis=0) - log_p.min(axis=0)).max())
    assert worst <= eps + 1e-9
    assert worst >= eps - 1e-9


# ----- empirical audit and the sampler's distribution -------------------------------------


@pytest.mark.parametrize("eps", STAT_EPS)
@pytest.mark.parametrize("mech_name", NAMES)
def test_empirical_privacy_audit(mech_name: str, eps: float) -> None:
    """Reports at the two extreme inputs (``x = low``, ``x = high``), binned into
    ``[-C, -1)``, ``[-1, 1]``, ``(1, C]`` (normalised): the estimated log probability ratio of
    each bin is within Z standard errors of its exact value (delta method:
    ``se^2 = (1 - p1) / (n p1) + (1 - p2) / (n p2)`` from the exact probabilities), so the
    estimated maximum stays below ``eps + Z se``; the bin ``(1, C]`` attains ``eps`` exactly."""
    low, high = 20.0, 80.0
    m = get_numeric_mechanism(mech_name, eps, low, high)
    n = 100_000
    rng = make_rng(11, "audit", mech_name, eps)
    edges = [m.output_bounds[0], low, high, m.output_bounds[1]]  # the bins, in original units
    hi = np.histogram(m.perturb(np.full(n, high), rng), edges)[0]
    lo = np.histogram(m.perturb(np.full(n, low), rng), edges)[0]
    assert hi.sum() == lo.sum() == n
    c = m.bound
    bins = [(-c, np.nextafter(-1.0, -2.0)), (-1.0, 1.0), (np.nextafter(1.0, 2.0), c)]
    worst_est, worst_tol = -np.inf, 0.0
    for (a, b), k1, k2 in zip(bins, hi, lo, strict=True):
        p1, p2 = float(m.probability(1.0, a, b)), float(m.probability(-1.0, a, b))
        if p1 == 0 and p2 == 0:  # Duchi's middle bin
            assert k1 == k2 == 0
            continue
        exact = math.log(p1 / p2)
        assert abs(exact) <= eps + 1e-9
        se = math.sqrt((1 - p1) / (n * p1) + (1 - p2) / (n * p2))
        est = math.log(k1 / k2)
        assert abs(est - exact) <= Z * se, (a, b, est, exact, se)
        if abs(est) > worst_est:
            worst_est, worst_tol = abs(est), Z * se
    exact_top = math.log(m.probability(1.0, *bins[2]) / m.probability(-1.0, *bins[2]))
    assert exact_top == pytest.approx(eps, rel=1e-9)
    assert worst_est <= eps + worst_tol


@pytest.mark.parametrize("eps", SAMPLER_EPS)
@pytest.mark.parametrize("mech_name", NAMES)
def test_sampler_matches_the_closed_form(mech_name: str, eps: float) -> None:
    """Counts of reports in 8 equal bins of ``[-C, C]`` (no atom on an inner edge) are each
    within Z binomial standard errors ``sqrt(n p (1 - p))`` of ``n p``, with ``p`` from
    :meth:`probability`, at inputs -1, 0.3 and 1."""
    m = get_numeric_mechanism(mech_name, eps)
    n = 50_000
    edges = np.linspace(-m.bound, m.bound, 9)
    assert not np.isin(edges[1:-1], m.atoms).any()
    rng = make_rng(12, "bins", mech_name, eps)
    for t in (-1.0, 0.3, 1.0):
        y = m.perturb(np.full(n, t), rng)
        counts = np.histogram(y, edges)[0]
        p = m.probability(t, edges[:-1], edges[1:])
        assert p.sum() == pytest.approx(1.0, rel=1e-9)
        for k, pk in zip(counts, p, strict=True):
            check_count(int(k), n, float(pk), f"t={t}")


# ----- unbiasedness and variance --------------------------------------------------------------


@pytest.mark.parametrize("eps", SAMPLER_EPS)
@pytest.mark.parametrize("mech_name", NAMES)
def test_unbiased(mech_name: str, eps: float) -> None:
    """Per input, the mean normalised report is within Z standard errors
    ``sqrt(variance(t) / n)`` of ``t``; over a mixed column with clipped values,
    ``estimate_mean`` (original units) is within Z ``sqrt(mean_variance)`` of the mean of the
    clipped values. The exact mean of :func:`central_moment` is 0 (``E[Y | t] = t``)."""
    low, high = 10.0, 50.0
    m = get_numeric_mechanism(mech_name, eps, low, high)
    ts = np.array([-1.0, -0.5, 0.0, 0.3, 1.0])
    np.testing.assert_allclose(central_moment(m, ts, 1), 0.0, atol=1e-12 * m.bound)
    n = 40_000
    x = np.repeat(m.denormalize(ts), n)
    y = normalised(m, m.perturb(x, make_rng(13, "unbiased", mech_name, eps))).reshape(len(ts), n)
    se = np.sqrt(m.variance(ts) / n)
    assert np.all(np.abs(y.mean(axis=1) - ts) <= Z * se), (y.mean(axis=1) - ts) / se

    values = np.concatenate([np.linspace(0.0, 70.0, 30_001), np.full(10_000, 45.5)])
    est = m.estimate_mean(m.perturb(values, make_rng(14, "unbiased", mech_name, eps)))
    truth = np.clip(values, low, high).mean()
    assert abs(est - truth) <= Z * math.sqrt(m.mean_variance(values))
    assert m.n_clipped == np.count_nonzero((values < low) | (values > high))


@pytest.mark.parametrize("eps", (0.5, 4.0, 12.0))
@pytest.mark.parametrize("mech_name", NAMES)
def test_variance_exact_and_empirical(mech_name: str, eps: float) -> None:
    """``variance(t)`` equals the second central moment of the closed-form distribution; the
    empirical ``mean((Y - t)^2)`` over n reports (unbiased for it, the mean being known) is
    within Z standard errors ``sqrt((mu4 - sigma^4) / n)`` of it, with the exact fourth central
    moment ``mu4``."""
    m = get_numeric_mechanism(mech_name, eps)
    ts = np.array([-1.0, 0.0, 0.6])
    var = m.variance(ts)
    np.testing.assert_allclose(var, central_moment(m, ts, 2), rtol=1e-9)
    mu4 = central_moment(m, ts, 4)
    n = 100_000
    y = m.perturb(np.repeat(ts, n), make_rng(15, "variance", mech_name, eps)).reshape(len(ts), n)
    s2 = ((y - ts[:, None]) ** 2).mean(axis=1)
    se = np.sqrt((mu4 - var**2) / n)
    assert np.all(np.abs(s2 - var) <= Z * se), (s2 - var) / se


@pytest.mark.parametrize("eps", (0.1, 0.5, EPS_STAR, 0.7, 1.0, 2.0, 4.0, 8.0, 16.0))
def test_hybrid_worst_case_variance(eps: float) -> None:
    """HM's worst-case variance is at most both Duchi's and PM's (Wang et al., 2019); for
    ``eps > eps*`` it is the same for every input and equals the paper's
    ``(z + 3) / (3 z (z - 1)) + (e^eps + 1)^2 / (z (e^eps - 1)^2)``; else HM is Duchi."""
    hm, d, pm = Hybrid(eps), Duchi(eps), Piecewise(eps)
    assert hm.worst_case_variance <= min(d.worst_case_variance, pm.worst_case_variance) * (
        1 + 1e-12
    )
    t = np.linspace(-1, 1, 11)
    if eps > EPS_STAR:
        z, e = math.exp(eps / 2), math.exp(eps)
        paper = (z + 3) / (3 * z * (z - 1)) + (e + 1) ** 2 / (z * (e - 1) ** 2)
        np.testing.assert_allclose(hm.variance(t), paper, rtol=1e-9)
        assert hm.worst_case_variance < d.worst_case_variance
    else:
        np.testing.assert_allclose(hm.variance(t), d.variance(t), rtol=1e-12)
        assert hm.bound == d.bound and hm.alpha == 0.0


@pytest.mark.parametrize("eps", (0.7, 4.0, 10.0))  # HM uses PM (eps > eps*)
@pytest.mark.parametrize("mech_name", ("piecewise", "hybrid"))
def test_pm_sampler_forms_agree(
    mech_name: str, eps: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PM's short and robust sampler forms (``_PiecewiseKernel``) give the same reports from the
    same uniforms, up to the documented rounding: ``2^-52 s (1 + h) e^eps`` relative to the
    width of ``[l, r]`` (``s = 1 / alpha`` for HM)."""
    x = np.linspace(-5.0, 15.0, 20_001)
    short = get_numeric_mechanism(mech_name, eps, 0.0, 10.0)
    monkeypatch.setattr(numeric, "_SHORT_PM_EPS", 0.0)
    robust = get_numeric_mechanism(mech_name, eps, 0.0, 10.0)
    a = short.perturb(x, np.random.default_rng(9))
    b = robust.perturb(x, np.random.default_rng(9))
    pm = Piecewise(eps)
    s = 1 / short.alpha if isinstance(short, Hybrid) else 1.0
    bound = 2.0**-52 * s * (1 + pm.h) * math.exp(eps) * short.scale * pm.width
    assert np.max(np.abs(a - b)) <= 8 * bound + 4 * 2.0**-52 * short.scale * pm.bound


# ----- clipping, units, bounds --------------------------------------------------------------


@pytest.mark.parametrize("eps", (0.5, 4.0))
@pytest.mark.parametrize("mech_name", NAMES)
def test_clipping_normalisation_and_bounds(mech_name: str, eps: float) -> None:
    low, high = -3.0, 7.0
    m = get_numeric_mechanism(mech_name, eps, low, high)
    x = np.tile([-np.inf, -1e12, -3.5, -3.0, 0.0, 2.0, 7.0, 7.25, 1e9, np.inf], 2_000)
    outside = np.count_nonzero((x < low) | (x > high))
    assert m.count_clipped(x) == outside == 12_000
    rep = m.perturb(x, make_rng(3, "clip", mech_name))
    assert m.n_clipped == outside
    # clipping first gives the same reports from the same stream
    np.testing.assert_array_equal(
        rep, m.perturb(np.clip(x, low, high), make_rng(3, "clip", mech_name))
    )
    assert m.n_clipped == 0
    lo, hi = m.output_bounds
    assert lo == pytest.approx(m.mid - m.scale * m.bound) and hi == pytest.approx(
        m.mid + m.scale * m.bound
    )
    assert rep.min() >= lo and rep.max() <= hi
    assert lo < low and hi > high
    if mech_name == "duchi":
        assert set(np.unique(rep)) == {lo, hi}
    t = m.normalize([low, high, 2.0, 100.0, -100.0])
    np.testing.assert_allclose(t, [-1.0, 1.0, 0.0, 1.0, -1.0])
    np.testing.assert_allclose(m.denormalize(t), [low, high, 2.0, high, low])
    np.testing.assert_allclose(m.denormalize([-m.bound, m.bound]), [lo, hi])


@pytest.mark.parametrize("eps", (1e-6, 0.01, 50.0, 1000.0))
@pytest.mark.parametrize("mech_name", NAMES)
def test_extreme_eps_finite_and_silent(mech_name: str, eps: float) -> None:
    """At the ends of the supported range everything is finite, in bounds, and raises no
    floating-point overflow / invalid / divide-by-zero event (underflow to 0 is allowed)."""
    x = np.linspace(-2.0, 12.0, 3_001)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        m = get_numeric_mechanism(mech_name, eps, 0.0, 10.0)
        rep = m.perturb(x, np.random.default_rng(0))
        est = m.estimate_mean(rep)
        t = np.linspace(-1, 1, 5)
        values = [m.variance(t), m.density(t, 0.5), m.probability(t, -m.bound, 0.0)]
        values += [np.array([m.worst_case_variance, m.mean_variance(x)])]
    lo, hi = m.output_bounds
    assert lo <= est <= hi
    assert math.isfinite(lo) and math.isfinite(hi) and rep.min() >= lo and rep.max() <= hi
    for v in values:
        assert np.all(np.isfinite(v)) and np.all(v >= 0)


# ----- randomness -----------------------------------------------------------------------------


@pytest.mark.parametrize("mech_name", NAMES)
def test_determinism_and_one_uniform_per_user(
    mech_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = get_numeric_mechanism(mech_name, 1.5, 0.0, 1.0)
    x = np.random.default_rng(5).uniform(-0.2, 1.2, 5_003)
    a = m.perturb(x, make_rng(2024, "perturb", "income", mech_name, 1.5))
    b = m.perturb(x, make_rng(2024, "perturb", "income", mech_name, 1.5))
    np.testing.assert_array_equal(a, b)
    c = m.perturb(x, make_rng(2024, "perturb", "income", mech_name, 2.0))
    assert not np.array_equal(a, c)
    # exactly one uniform per user, drawn in order: the block size does not matter
    monkeypatch.setattr(numeric, "_BLOCK_ELEMENTS", 1_000)
    np.testing.assert_array_equal(
        a, m.perturb(x, make_rng(2024, "perturb", "income", mech_name, 1.5))
    )
    rng, ref = make_rng(1, "s"), make_rng(1, "s")
    m.perturb(x, rng)
    ref.random(x.size)
    assert rng.random() == ref.random()


# ----- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize("mech_name", NAMES)
def test_invalid_arguments(mech_name: str) -> None:
    cls = NUMERIC_MECHANISMS[mech_name]
    for eps in (0, -1.0, float("nan"), float("inf"), "x", True, None):
        with pytest.raises(ValueError, match=r"epsilon must be a finite number > 0"):
            cls(eps, 0.0, 1.0)
    for low, high in ((1.0, 1.0), (2.0, 1.0), (float("nan"), 1.0), (0.0, float("inf")), ("0", 1.0)):
        with pytest.raises(ValueError, match=r"(low < high|finite real number)"):
            cls(1.0, low, high)
    with pytest.raises(ValueError, match="too wide"):
        cls(1e-6, -1e305, 1e305)
    m = cls(1.0, 0.0, 1.0)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="must not contain NaN; found 1 NaN values"):
        m.perturb([0.1, np.nan, 0.3], rng)
    with pytest.raises(ValueError, match="1-D array"):
        m.perturb(np.zeros((2, 2)), rng)
    with pytest.raises(ValueError, match="empty"):
        m.perturb([], rng)
    with pytest.raises(ValueError, match="real numbers"):
        m.perturb(["a", "b"], rng)
    with pytest.raises(ValueError, match="must not contain NaN"):
        m.count_clipped([np.nan])
    hi = m.output_bounds[1]
    with pytest.raises(ValueError, match="output domain"):
        m.estimate_mean([hi + 1.0])
    with pytest.raises(ValueError, match="output domain"):
        m.estimate_mean([0.5, np.inf])
    with pytest.raises(ValueError, match="NaN"):
        m.estimate_mean([0.5, np.nan])


def test_params_and_repr() -> None:
    hm = Hybrid(2.0, 0, 100)
    assert repr(hm) == "Hybrid(epsilon=2.0, low=0.0, high=100.0)"
    assert hm.params == {
        "mechanism": "hybrid",
        "epsilon": 2.0,
        "low": 0.0,
        "high": 100.0,
        "bound": hm.piecewise.bound,
        "alpha": hm.alpha,
    }
    assert Duchi(1.0).atoms == (-Duchi(1.0).bound, Duchi(1.0).bound) and Piecewise(1.0).atoms == ()
