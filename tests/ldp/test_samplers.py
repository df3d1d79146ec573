"""The vectorized samplers behind SS, UE/THE and SHE: exact report distributions, and the
same reports for any block size.

Chi-square / KS goodness-of-fit with fixed seeds; each test fails only if p < ALPHA = 1e-3.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from fairldp.ldp import OUE, SHE, SS, SUE, THE

ALPHA = 1e-3
M = 20_000  # reports of the same input value


def _subset_counts(bits: np.ndarray, k: int, w: int) -> tuple[list[tuple[int, ...]], np.ndarray]:
    subsets = list(itertools.combinations(range(k), w))
    index = {sub: i for i, sub in enumerate(subsets)}
    uniq, cnt = np.unique(bits, axis=0, return_counts=True)
    obs = np.zeros(len(subsets))
    obs[[index[tuple(np.flatnonzero(row))] for row in uniq]] = cnt
    return subsets, obs


@pytest.mark.parametrize(
    ("eps", "k"), [(0.01, 5), (0.01, 8), (0.3, 9), (1.0, 7), (2.0, 6), (50.0, 5), (50.0, 2)]
)
def test_ss_subset_distribution(eps: float, k: int) -> None:
    # every subset of size omega has probability p* / C(k-1, w-1) if it holds the input, else
    # (1 - p*) / C(k-1, w); inputs at both ends of the domain and inside (the others are
    # mapped around the input), several blocks per call
    s = SS(eps, k)
    s.chunk_elements = 4_000
    w = s.omega
    for v in sorted({0, k // 2, k - 1}):
        bits = s.encode(s.perturb(np.full(M, v), np.random.default_rng(100 + v)))
        assert np.all(bits.sum(axis=1) == w)
        subsets, obs = _subset_counts(bits, k, w)
        p_in = s.p_star / math.comb(k - 1, w - 1)
        p_out = s.exclude / math.comb(k - 1, w)
        exp = np.array([p_in if v in sub else p_out for sub in subsets])
        assert np.isclose(exp.sum(), 1.0)
        if eps >= 30:  # the input is always reported (exclusion probability ~ e^-eps)
            assert obs[[i for i, sub in enumerate(subsets) if v in sub]].sum() == M
            keep = exp > 0
            assert stats.chisquare(obs[keep], M * exp[keep] / exp[keep].sum()).pvalue > ALPHA
        else:
            assert stats.chisquare(obs, M * exp).pvalue > ALPHA


@pytest.mark.parametrize("eps", [0.01, 0.5, 2.0])
def test_ss_inclusion_marginals_large_omega(eps: float) -> None:
    # k = 40: too many subsets to enumerate; every report has omega values, the input is in it
    # with probability p* and every other value with probability q* (binomial tests, with a
    # Bonferroni correction over the k values), mixed inputs
    k, n = 40, 30_000
    s = SS(eps, k)
    x = np.random.default_rng(7).integers(0, k, n)
    bits = s.encode(s.perturb(x, np.random.default_rng(8)))
    assert np.all(bits.sum(axis=1) == s.omega)
    own = bits[np.arange(n), x]
    assert stats.binomtest(int(own.sum()), n, s.p_star).pvalue > ALPHA
    for v in range(k):
        others = bits[x != v, v]
        assert stats.binomtest(int(others.sum()), others.size, s.q_star).pvalue > ALPHA / k


@pytest.mark.parametrize("name", ["ss", "she", "sue", "oue", "the"])
@pytest.mark.parametrize("k", [2, 13, 100])
def test_blocks_do_not_change_reports(name: str, k: int) -> None:
    # the internal blocks (row counts, cache-sized scratch) never change the reports
    from fairldp.ldp import get_protocol

    n = 5_003
    x = np.random.default_rng(1).integers(0, k, n)
    pr = get_protocol(name, 0.05, k)  # small eps: large omega for SS
    ref = pr.perturb(x, np.random.default_rng(2))
    for chunk in (8, 100, 4_000, 1 << 30):
        other = get_protocol(name, 0.05, k)
        other.chunk_elements = chunk
        rep = other.perturb(x, np.random.default_rng(2))
        if name == "she":
            np.testing.assert_array_equal(rep, ref)
        else:
            np.testing.assert_array_equal(rep.packed, ref.packed)


@pytest.mark.parametrize("cls", [SUE, OUE, THE])
def test_ue_bits_are_the_documented_stream(cls: type) -> None:
    # one uniform per bit, row-major: B[i, v] = u[i, v] < (p if v == x_i else q)
    k, n = 11, 2_001
    pr = cls(1.0, k)
    x = np.random.default_rng(3).integers(0, k, n)
    u = np.random.default_rng(4).random((n, k))
    want = u < pr.q
    want[np.arange(n), x] = u[np.arange(n), x] < pr.p
    got = pr.encode(pr.perturb(x, np.random.default_rng(4)))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("eps", [0.01, 1.0, 50.0])
def test_she_noise_is_laplace_and_finite(eps: float) -> None:
    # KS against Laplace(2/eps), symmetric signs, bounded support (53 b ln 2), inputs added
    k, n = 5, 40_000
    s = SHE(eps, k)
    x = np.random.default_rng(5).integers(0, k, n)
    y = s.perturb(x, np.random.default_rng(6))
    noise = y - np.eye(k)[x]
    assert np.all(np.isfinite(noise))
    assert np.abs(noise).max() <= 53 * s.scale * math.log(2) * (1 + 1e-12)
    assert stats.kstest(noise.ravel(), stats.laplace(scale=s.scale).cdf).pvalue > ALPHA
    assert stats.binomtest(int((noise > 0).sum()), noise.size).pvalue > ALPHA
    # the inputs' entries have the same noise law as the others
    own = noise[np.arange(n), x]
    assert stats.kstest(own, stats.laplace(scale=s.scale).cdf).pvalue > ALPHA
    # the aggregate: column sums
    np.testing.assert_allclose(s.support(y), y.sum(axis=0), rtol=1e-12, atol=1e-9 * s.scale)


def test_she_float32_reports_match_the_float64_ones() -> None:
    # dtype=float32 uses the same float64 uniforms and computes the rest in float32: every
    # entry is within a few float32 roundings of the float64 report's (the documented bound
    # 2^-21 (|noise| + b + |y|)), for any block size; column sums are accumulated in float64,
    # so the estimate moves by at most the sum of those errors over n
    k, n = 7, 3_001
    s = SHE(1.0, k)
    x = np.random.default_rng(1).integers(0, k, n)
    ref = s.perturb(x, np.random.default_rng(2))
    bound = 2.0**-21 * (np.abs(ref - np.eye(k)[x]) + s.scale + np.abs(ref))
    first = None
    for chunk in (8, 1 << 30):
        s.chunk_elements = chunk
        y = s.perturb(x, np.random.default_rng(2), dtype=np.float32)
        assert y.dtype == np.float32 and y.nbytes == s.report_nbytes(n, np.float32)
        assert np.all(np.abs(y - ref) <= bound)
        first = y if first is None else first
        np.testing.assert_array_equal(y, first)  # block size never changes the reports
    assert np.all(np.abs(s.estimate(y) - s.estimate(ref)) <= bound.sum(axis=0) / n + 1e-12)
    assert s.encode(y).dtype == np.float32
    with pytest.raises(ValueError, match="dtype must be float64 or float32"):
        s.perturb(x, np.random.default_rng(2), dtype=np.float16)


@pytest.mark.parametrize("eps", [0.01, 1.0, 50.0])
def test_she_float32_noise_is_laplace(eps: float) -> None:
    # the float32 path keeps the float64 sampler's law: KS against Laplace(2/eps), bounded
    # support (53 b ln 2, up to float32 rounding), symmetric signs
    k, n = 5, 40_000
    s = SHE(eps, k)
    x = np.random.default_rng(5).integers(0, k, n)
    y = s.perturb(x, np.random.default_rng(6), dtype=np.float32)
    noise = y.astype(np.float64) - np.eye(k)[x]
    assert np.all(np.isfinite(noise))
    assert np.abs(noise).max() <= 53 * s.scale * math.log(2) * (1 + 1e-6)
    assert stats.kstest(noise.ravel(), stats.laplace(scale=s.scale).cdf).pvalue > ALPHA
    assert stats.binomtest(int((noise > 0).sum()), noise.size).pvalue > ALPHA
