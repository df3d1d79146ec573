"""Empirical report distributions match the protocols' probabilities.

Chi-square goodness-of-fit with fixed seeds; each test fails only if p < ALPHA = 1e-3.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from fairldp.ldp import BLH, GRR, OLH, OUE, SHE, SS, SUE, THE
from fairldp.ldp.lh import PRIME

ALPHA = 1e-3
M = 20_000  # reports of the same input value


@pytest.mark.parametrize(("eps", "k"), [(0.5, 5), (1.0, 10), (4.0, 3)])
def test_grr_reports(eps: float, k: int) -> None:
    g = GRR(eps, k)
    v = k // 2
    z = g.perturb(np.full(M, v), np.random.default_rng(11))
    obs = np.bincount(z, minlength=k)
    assert stats.chisquare(obs, M * g.transition_matrix[v]).pvalue > ALPHA


def test_grr_large_domain_branch() -> None:
    # k > 2^16 takes the arithmetic (not table) wrap-around: keep rate ~ Bin(M, p), liars are
    # uniform over the other values (chi-square of the value offsets in 10 equal bins)
    k, v = 70_000, 69_990
    g = GRR(8.0, k)
    z = g.perturb(np.full(M, v), np.random.default_rng(16))
    kept = int(np.sum(z == v))
    assert stats.binomtest(kept, M, g.p).pvalue > ALPHA
    off = (z[z != v] - v - 1) % k  # uniform on [0, k-2]
    assert off.max() <= k - 2
    assert stats.chisquare(np.bincount(off * 10 // (k - 1), minlength=10)).pvalue > ALPHA


@pytest.mark.parametrize("cls", [SUE, OUE, THE])
@pytest.mark.parametrize("eps", [0.5, 2.0])
def test_bit_reports(cls: type, eps: float) -> None:
    # independent bits: sum_j (c_j - M p_j)^2 / (M p_j (1 - p_j)) ~ chi2(k); plus the
    # distribution of the number of ones per report (Poisson-binomial) over all bits jointly
    k, v = 6, 2
    pr = cls(eps, k)
    bits = pr.encode(pr.perturb(np.full(M, v), np.random.default_rng(12)))
    p = np.full(k, pr.q)
    p[v] = pr.p
    stat = np.sum((bits.sum(axis=0) - M * p) ** 2 / (M * p * (1 - p)))
    assert stats.chi2.sf(stat, k) > ALPHA
    ones = bits.sum(axis=1)
    pmf = np.array([1.0])
    for pj in p:
        pmf = np.convolve(pmf, [1 - pj, pj])
    obs = np.bincount(ones, minlength=k + 1)
    keep = M * pmf >= 5
    exp = M * pmf[keep]
    o = obs[keep]
    assert stats.chisquare(o, exp * o.sum() / exp.sum()).pvalue > ALPHA


@pytest.mark.parametrize(("eps", "k"), [(0.5, 6), (1.0, 5), (3.0, 4)])
def test_subset_reports(eps: float, k: int) -> None:
    s = SS(eps, k)
    v, w = 1, s.omega
    bits = s.encode(s.perturb(np.full(M, v), np.random.default_rng(13)))
    assert np.all(bits.sum(axis=1) == w)
    subsets = list(itertools.combinations(range(k), w))
    index = {sub: i for i, sub in enumerate(subsets)}
    uniq, cnt = np.unique(bits, axis=0, return_counts=True)
    codes = [index[tuple(np.flatnonzero(row))] for row in uniq]
    obs = np.zeros(len(subsets))
    obs[codes] = cnt
    p_in = s.p_star / math.comb(k - 1, w - 1)
    p_out = s.exclude / math.comb(k - 1, w)
    exp = np.array([p_in if v in sub else p_out for sub in subsets])
    assert np.isclose(exp.sum(), 1.0)
    assert stats.chisquare(obs, M * exp).pvalue > ALPHA


@pytest.mark.parametrize("cls", [BLH, OLH])
@pytest.mark.parametrize("eps", [0.5, 1.5])
def test_hash_reports(cls: type, eps: float) -> None:
    lh = cls(eps, 8)
    r = lh.perturb(np.full(M, 3), np.random.default_rng(14))
    assert np.all((r.a >= 1) & (r.a < PRIME) & (r.b < PRIME))
    h = ((r.a * np.uint64(3) + r.b) % np.uint64(PRIME) % np.uint64(lh.g)).astype(np.int64)
    offset = (r.y - h) % lh.g  # 0: kept; else uniform over the g - 1 other buckets
    exp = np.full(lh.g, lh.q)
    exp[0] = lh.p
    assert stats.chisquare(np.bincount(offset, minlength=lh.g), M * exp).pvalue > ALPHA
    # the hashed value itself is uniform over [g] (universal hashing)
    assert stats.chisquare(np.bincount(h, minlength=lh.g)).pvalue > ALPHA


@pytest.mark.parametrize("eps", [0.5, 2.0])
def test_she_noise_is_laplace(eps: float) -> None:
    s = SHE(eps, 4)
    y = s.perturb(np.full(M // 4, 1), np.random.default_rng(15))
    noise = y - np.eye(4)[1]
    assert stats.kstest(noise.ravel(), stats.laplace(scale=2 / eps).cdf).pvalue > ALPHA
