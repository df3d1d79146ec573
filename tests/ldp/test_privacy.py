"""Exact eps-LDP from each protocol's own parameters.

For every protocol the worst-case log-ratio ``max_{y, v, v'} ln P(y | v) / P(y | v')`` is computed
in closed form from the protocol's attributes and compared with ``eps`` (``np.isclose``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from ldp_testutils import ALL, EPS_GRID
from scipy.special import gammaln

from fairldp.ldp import BLH, GRR, OLH, OUE, PROTOCOLS, SHE, SS, SUE, THE, get_protocol

KS = (2, 3, 10, 100)


def log_binom(n: int, r: int) -> float:
    return float(gammaln(n + 1) - gammaln(r + 1) - gammaln(n - r + 1))


@pytest.mark.parametrize("eps", EPS_GRID)
@pytest.mark.parametrize("k", KS)
def test_grr_ratio_is_eps(eps: float, k: int) -> None:
    g = GRR(eps, k)
    assert np.isclose(math.log(g.p) - math.log(g.q), eps)
    assert np.isclose(g.p + (k - 1) * g.q, 1.0)
    assert g.p > g.q


@pytest.mark.parametrize("cls", [SUE, OUE])
@pytest.mark.parametrize("eps", EPS_GRID)
@pytest.mark.parametrize("k", KS)
def test_ue_ratio_is_eps(cls: type, eps: float, k: int) -> None:
    # bits of v and v' differ; worst output: bit_v = 1, bit_v' = 0 -> p(1-q) / (q(1-p))
    u = cls(eps, k)
    one_minus_p = u.q if cls is SUE else 0.5  # exact forms (SUE: q = 1 - p)
    ratio = math.log(u.p) + math.log1p(-u.q) - math.log(u.q) - math.log(one_minus_p)
    assert np.isclose(ratio, eps)
    assert u.p > u.q


@pytest.mark.parametrize("eps", EPS_GRID)
@pytest.mark.parametrize("k", KS)
def test_ss_ratio_is_eps(eps: float, k: int) -> None:
    # P(S | v) = p* / C(k-1, w-1) if v in S else (1 - p*) / C(k-1, w)
    s = SS(eps, k)
    w = s.omega
    assert 1 <= w < k
    log_in = math.log(s.p_star) - log_binom(k - 1, w - 1)
    log_out = math.log(s.exclude) - log_binom(k - 1, w)
    assert np.isclose(log_in - log_out, eps)
    # the probabilities of all subsets sum to one
    total = math.exp(log_binom(k - 1, w - 1) + log_in) + math.exp(log_binom(k - 1, w) + log_out)
    assert np.isclose(total, 1.0)


@pytest.mark.parametrize("cls", [BLH, OLH])
@pytest.mark.parametrize("eps", EPS_GRID)
@pytest.mark.parametrize("k", KS)
def test_lh_ratio_per_hash_is_eps(cls: type, eps: float, k: int) -> None:
    # for a fixed hash, y = H(v) w.p. p and each other bucket w.p. q
    lh = cls(eps, k)
    assert np.isclose(math.log(lh.p) - math.log(lh.q), eps)
    assert np.isclose(lh.p + (lh.g - 1) * lh.q, 1.0)
    assert lh.p > lh.q and lh.p_star > lh.q_star
    if cls is OLH and eps < 20:
        assert lh.g == math.floor(math.exp(eps) + 0.5) + 1


@pytest.mark.parametrize("eps", EPS_GRID)
@pytest.mark.parametrize("k", KS)
def test_the_ratio_is_at_most_eps(eps: float, k: int) -> None:
    # THE thresholds Laplace(2/eps) noise: worst output bit_v = 1, bit_v' = 0, ratio
    # p*(1-q*) / (q*(1-p*)) = 4 e^{eps/2} (1 - A/2)(1 - B/2) < e^eps. Thresholding is
    # post-processing of an eps-LDP mechanism, so THE is eps-LDP but NOT tight: the ratio is
    # strictly below eps (it cannot equal eps), which is what we check, in closed form.
    t = THE(eps, k)
    assert 0.5 < t.theta < 1.0
    ratio = math.log(t.p) + math.log1p(-t.q) - math.log(t.q) - math.log1p(-t.p)
    a, b = math.exp(-(1 - t.theta) * eps / 2), math.exp(-t.theta * eps / 2)
    closed = math.log(4.0) + eps / 2 + math.log1p(-a / 2) + math.log1p(-b / 2)
    assert np.isclose(ratio, closed, rtol=1e-6)
    assert ratio < eps
    assert t.p > t.q


@pytest.mark.parametrize("eps", EPS_GRID)
def test_she_density_ratio_is_eps(eps: float) -> None:
    # sup_y f(y | v) / f(y | v') = exp((eps/2) ||e_v - e_v'||_1) = e^eps, attained at y_v >= 1,
    # y_v' <= 0; evaluate the log density ratio on a grid that contains such points
    s = SHE(eps, 3)
    grid = np.linspace(-3, 4, 141)
    yv, yw = np.meshgrid(grid, grid)
    log_ratio = (-np.abs(yv - 1) - np.abs(yw) + np.abs(yv) + np.abs(yw - 1)) / s.scale
    assert np.isclose(log_ratio.max(), eps)


@pytest.mark.parametrize("eps", [0.01, 30.0, 50.0, 700.0])
def test_extreme_eps_no_overflow_or_warnings(name: str, eps: float) -> None:
    k = 6
    x = np.arange(600) % k
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        pr = get_protocol(name, eps, k)
        rep = pr.perturb(x, np.random.default_rng(0))
        est = pr.estimate(rep)
        var = pr.variance(np.full(k, 1 / k), x.size)
    assert np.all(np.isfinite(est)) and np.all(np.isfinite(var)) and np.all(var > 0)
    if eps >= 30 and name in ("grr", "sue", "ss", "adp"):
        # at eps >= 30 these protocols perturb nothing (flip probabilities < 1e-6 per user):
        # exact counts. (OUE/OLH keep p ~ 1/2 by design, BLH hash collisions, THE/SHE noise.)
        assert np.allclose(est, 1 / k, atol=1e-9)


def test_adp_choice() -> None:
    # GRR iff k < 3 e^eps + 2
    assert get_protocol("adp", 1.0, 10).inner.name == "grr"  # 3e + 2 = 10.15
    assert get_protocol("adp", 1.0, 11).inner.name == "oue"
    assert get_protocol("adp", 50.0, 10**6).inner.name == "grr"
    assert get_protocol("adp", 0.01, 5).inner.name == "grr"  # 3 e^0.01 + 2 = 5.03
    assert get_protocol("adp", 0.01, 6).inner.name == "oue"
    assert get_protocol("adp", 0.01, 2).inner.name == "grr"


def test_all_protocols_registered() -> None:
    assert ALL == sorted(["adp", "blh", "grr", "olh", "oue", "she", "ss", "sue", "the"])
    assert sorted(PROTOCOLS) == sorted([*ALL, "fair_rr"])  # fair_rr: tests/ldp/test_fairaware.py
