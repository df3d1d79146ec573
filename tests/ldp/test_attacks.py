"""Single-report Bayes attack (fairldp.ldp.attacks): analytical success against brute-force
enumeration, against the exact decoding channels of fairldp.fair.noise (an independent
implementation), and against Monte Carlo with the package's own protocols; the eps-LDP bound,
the baseline and the eps -> 0 limit.

Monte-Carlo tolerances: with ``n`` users the fraction guessed right has standard error at most
``sqrt(S (1 - S) / n)`` (a sum of independent Bernoulli indicators; with a fixed composition of
values the variance is at most the binomial one), so agreement is asserted within 4 such
standard errors (a false failure has probability < 1e-4 per check; the seeds are fixed, so the
outcome is deterministic).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from ldp_testutils import ALL
from scipy.stats import binom

from fairldp.fair.noise import transition_matrix
from fairldp.ldp import EPSILON_MIN, GRR, OLH, OUE, SHE, SS, SUE, THE, get_protocol
from fairldp.ldp.attacks import (
    attack_bound,
    attack_success,
    attack_table,
    empirical_attack_success,
)
from fairldp.rng import make_rng


def skewed(k: int) -> np.ndarray:
    """A non-uniform prior with distinct entries (no exact ties between values)."""
    pr = np.arange(1, k + 1, dtype=float) ** 1.5
    return pr / pr.sum()


def column(prior: np.ndarray, n: int) -> np.ndarray:
    """Fixed composition: round(n prior_v) users hold v (the rest on the mode)."""
    counts = np.floor(prior * n).astype(int)
    counts[np.argmax(prior)] += n - counts.sum()
    return np.repeat(np.arange(prior.size), counts)


def four_se(s: float, n: int) -> float:
    return 4.0 * math.sqrt(s * (1.0 - s) / n)


# ----- the eps-LDP bound, the baseline, the limits --------------------------------------------


@pytest.mark.parametrize("k", [2, 3, 10, 100])
@pytest.mark.parametrize("eps", [EPSILON_MIN, 0.1, 1.0, 4.0, 30.0])
def test_grr_attains_the_ldp_bound(eps: float, k: int) -> None:
    expected = math.exp(eps) / (math.exp(eps) + k - 1)
    assert attack_success("grr", eps, k) == pytest.approx(expected, rel=1e-12)
    assert attack_bound(eps, k) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_between_baseline_and_bound(name: str) -> None:
    for k in (2, 5, 10):
        pr = skewed(k)
        for eps in (0.05, 0.5, 1.0, 2.0, 5.0, 12.0):
            s = attack_success(name, eps, k)
            assert 1.0 / k - 1e-12 <= s <= attack_bound(eps, k) + 1e-12, (k, eps, s)
            # non-uniform prior: at least the mode's probability, at most the valid bound
            sp = attack_success(name, eps, k, pr)
            assert pr.max() - 1e-12 <= sp <= attack_bound(eps, k, pr) + 1e-12, (k, eps, sp)


@pytest.mark.parametrize("name", ALL)
def test_tends_to_baseline_as_eps_vanishes(name: str) -> None:
    # S - 1/k <= bound - 1/k = (e^eps - 1)(k - 1) / (k (e^eps + k - 1)) < eps
    for k in (2, 10):
        assert abs(attack_success(name, EPSILON_MIN, k) - 1.0 / k) < EPSILON_MIN
        assert abs(attack_success(name, 1e-4, k) - 1.0 / k) < 1e-4


EPS_GRID = np.concatenate([[1e-3, 0.01], np.linspace(0.05, 8.0, 30)])


@pytest.mark.parametrize("name", [n for n in ALL if n != "olh"])
def test_non_decreasing_in_eps(name: str) -> None:
    for k in (2, 10):
        s = np.array([attack_success(name, e, k) for e in EPS_GRID])
        assert np.all(np.diff(s) >= -1e-12), (k, s)


def test_olh_is_not_monotone_in_eps() -> None:
    # OLH's g = round(e^eps) + 1 grows by one at eps = ln(m + 1/2). There p = e^eps / (e^eps
    # + g - 1) drops while collisions get rarer: once g exceeds about k the success drops
    # (k = 10: from m = 8 on), below it rises; between two jumps it increases
    for k, m, drops in ((2, 2, True), (2, 3, True), (2, 7, True), (10, 2, False),
                        (10, 12, True), (10, 20, True)):  # fmt: skip
        jump = math.log(m + 0.5)
        before, after = jump - 1e-7, jump + 1e-7
        assert OLH(before, k).g + 1 == OLH(after, k).g == m + 2
        assert (attack_success("olh", after, k) < attack_success("olh", before, k)) == drops
        between = np.linspace(jump + 1e-6, math.log(m + 1.5) - 1e-6, 4)  # g constant
        assert np.all(np.diff([attack_success("olh", e, k) for e in between]) > 0)


# ----- closed forms against enumeration ----------------------------------------------------------


def brute_grr(proto: GRR, pr: np.ndarray) -> float:
    return float(np.sum(np.max(pr[:, None] * proto.transition_matrix, axis=0)))


def brute_ue(p: float, q: float, pr: np.ndarray) -> float:
    k, total = pr.size, 0.0
    for bits in itertools.product((0, 1), repeat=k):
        b = np.array(bits)
        like = [
            np.prod(np.where(np.arange(k) == v, np.where(b, p, 1 - p), np.where(b, q, 1 - q)))
            for v in range(k)
        ]
        total += max(pr * np.array(like))
    return total


def brute_ss(proto: SS, pr: np.ndarray) -> float:
    k, w, e = proto.k, proto.omega, math.exp(proto.epsilon)
    d = math.comb(k - 1, w - 1) * e + math.comb(k - 1, w)
    total = 0.0
    for sub in itertools.combinations(range(k), w):
        inside = np.isin(np.arange(k), sub)
        total += max(pr * np.where(inside, e, 1.0) / d)
    return total


def brute_lh_ideal(p: float, q: float, g: int, pr: np.ndarray) -> float:
    k, total = pr.size, 0.0
    for h in itertools.product(range(g), repeat=k):
        h = np.array(h)
        total += sum(max(pr * np.where(h == y, p, q)) for y in range(g))
    return total / g**k


@pytest.mark.parametrize("eps", [0.3, 1.0, 3.0])
def test_grr_ue_ss_against_enumeration(eps: float) -> None:
    for k in (2, 3, 5):
        for pr in (np.full(k, 1.0 / k), skewed(k), skewed(k)[::-1]):
            prior = pr if np.ptp(pr) else None
            assert attack_success("grr", eps, k, prior) == pytest.approx(
                brute_grr(GRR(eps, k), pr), abs=1e-12
            )
            for name, cls in (("sue", SUE), ("oue", OUE), ("the", THE)):
                u = cls(eps, k)
                assert attack_success(name, eps, k, prior) == pytest.approx(
                    brute_ue(u.p, u.q, pr), abs=1e-12
                ), (name, k)
    for k, e in ((6, 0.3), (7, 0.2), (5, eps)):  # omega = 3, 3 and 2..1
        ss = SS(e, k)
        for pr in (np.full(k, 1.0 / k), skewed(k)):
            prior = pr if np.ptp(pr) else None
            assert attack_success("ss", e, k, prior) == pytest.approx(brute_ss(ss, pr), abs=1e-12)


@pytest.mark.parametrize("eps", [0.4, 1.5, 3.0])
def test_lh_ideal_against_enumeration(eps: float) -> None:
    for name, k in (("blh", 5), ("olh", 4)):
        proto = get_protocol(name, eps, k)
        if proto.g**k > 5000:
            continue
        for pr in (np.full(k, 1.0 / k), skewed(k)):
            prior = pr if np.ptp(pr) else None
            got = attack_success(name, eps, k, prior, hash_model="ideal")
            assert got == pytest.approx(brute_lh_ideal(proto.p, proto.q, proto.g, pr), abs=1e-12)


@pytest.mark.parametrize("cls", [SUE, OUE, THE])
def test_ue_binomial_sum(cls: type) -> None:
    # Arcolezi et al. (2023): (1-p)(1-q)^{k-1}/k + p sum_i Bin(i; k-1, q) / (i + 1)
    for eps in (0.5, 2.0, 8.0):
        for k in (2, 10, 50):
            u = cls(eps, k)
            i = np.arange(k)
            s = (1 - u.p) * (1 - u.q) ** (k - 1) / k + u.p * np.sum(
                binom.pmf(i, k - 1, u.q) / (i + 1)
            )
            assert attack_success(cls.name, eps, k) == pytest.approx(s, rel=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_against_exact_decoding_channel(name: str) -> None:
    # S = sum_v pi_v T[v, v] for the posterior-mode decoder of fairldp.fair.noise (computed
    # independently: ties, combinatorics, hash-family integration, quadrature). GRR's decoder
    # there is the report itself, which is the Bayes decoder for the uniform prior only.
    # (6, 6.0): OLH's g = 404 > k (k-1) / 2, the colliding-multiplier path
    for k, eps in ((2, 0.7), (3, 2.0), (6, 1.0), (6, 6.0)):
        proto = get_protocol(name, eps, k)
        uniform = np.trace(transition_matrix(proto)) / k
        assert attack_success(name, eps, k) == pytest.approx(uniform, abs=1e-9)
        inner = proto.inner if name == "adp" else proto
        if isinstance(inner, GRR):
            continue
        pr = skewed(k)
        t = transition_matrix(proto, pr, tie_break="smallest")
        assert attack_success(name, eps, k, pr) == pytest.approx(float(pr @ np.diag(t)), abs=1e-9)


def test_she_general_prior_path_on_uniform_prior() -> None:
    from fairldp.ldp.attacks import _she_prior

    for eps in (0.1, 1.0, 5.0, 40.0):
        for k in (2, 7, 30):
            assert _she_prior(SHE(eps, k), np.full(k, 1.0 / k)) == pytest.approx(
                attack_success("she", eps, k), abs=1e-9
            )


# ----- Monte Carlo with the package's protocols ---------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_empirical_agrees(name: str) -> None:
    n = 60_000
    for k, eps in ((2, 1.0), (10, 0.5), (10, 3.0)):
        proto = get_protocol(name, eps, k)
        rng = make_rng(20240501, "attack-test", name, eps, k)
        emp = empirical_attack_success(proto, column(np.full(k, 1.0 / k), n), rng)
        s = attack_success(name, eps, k)
        assert abs(emp - s) <= four_se(s, n), (k, eps, emp, s)
    # a non-uniform prior (values drawn from it, the adversary uses it)
    k, eps = 5, 1.5
    pr = skewed(k)
    rng = make_rng(20240501, "attack-test-prior", name)
    emp = empirical_attack_success(get_protocol(name, eps, k), column(pr, n), rng, pr)
    s = attack_success(name, eps, k, pr)
    assert abs(emp - s) <= four_se(s, n), (emp, s)


def test_lh_success_follows_the_implemented_hash_not_an_ideal_one() -> None:
    # g = 8 (eps = ln 7), k = 10: the linear hash occupies 6.23 buckets on average, a fully
    # random one 5.90; the success differs by ~0.014, i.e. ~14 standard errors at this n
    n, k, eps = 200_000, 10, math.log(7.0)
    proto = OLH(eps, k)
    assert proto.g == 8
    emp = empirical_attack_success(proto, column(np.full(k, 1.0 / k), n), make_rng(7, "olh-hash"))
    implemented = attack_success("olh", eps, k)
    ideal = attack_success("olh", eps, k, hash_model="ideal")
    assert abs(emp - implemented) <= four_se(implemented, n)
    assert abs(emp - ideal) > four_se(ideal, n)


def test_empirical_is_reproducible_and_breaks_ties_at_random() -> None:
    proto, x = OUE(1.0, 6), column(np.full(6, 1 / 6), 3000)
    a = empirical_attack_success(proto, x, make_rng(1, "t"))
    assert a == empirical_attack_success(proto, x, make_rng(1, "t"))
    # eps -> 0: reports carry no information, every value ties; random ties give ~1/k (a
    # smallest-index rule would give 1/k too on balanced data, but only value 0 would be hit)
    s = empirical_attack_success(OUE(EPSILON_MIN, 6), x, make_rng(2, "t"))
    assert abs(s - 1 / 6) <= four_se(1 / 6, x.size)


# ----- table --------------------------------------------------------------------------------------


def test_table() -> None:
    df = attack_table(["grr", "OUE", "ss"], epsilons=(0.5, 2.0), ks=(2, 10))
    assert list(df.columns) == ["protocol", "epsilon", "k", "success", "baseline", "bound"]
    assert len(df) == 12
    for row in df.itertuples():
        assert row.success == attack_success(row.protocol, row.epsilon, row.k)
        assert row.baseline == 1.0 / row.k
        assert row.bound == pytest.approx(attack_bound(row.epsilon, row.k))
    pr = skewed(4)
    emp = attack_table(["she"], epsilons=(1.0,), ks=4, prior=pr, n_empirical=20_000)
    assert list(emp.columns)[-2:] == ["empirical", "empirical_se"]
    row = emp.iloc[0]
    assert row.baseline == pytest.approx(pr.max(), rel=1e-12)
    assert abs(row.empirical - row.success) <= 4 * row.empirical_se


# ----- errors --------------------------------------------------------------------------------------


def test_errors() -> None:
    with pytest.raises(ValueError, match="did you mean 'olh'"):
        attack_success("olhh", 1.0, 4)
    with pytest.raises(ValueError, match="did you mean"):
        attack_table(["sue", "grrr"])
    for eps in (0, -1.0, math.nan, math.inf, 1e4, "one", None, True):
        with pytest.raises(ValueError, match="epsilon"):
            attack_success("grr", eps, 4)
        with pytest.raises(ValueError, match="epsilon"):
            attack_bound(eps, 4)
    for k in (1, 0, 2.5, True, "3"):
        with pytest.raises(ValueError, match="k"):
            attack_success("oue", 1.0, k)
    for prior in (
        [0.5, 0.5],
        [[0.25] * 4],
        [0.5, 0.5, 0.0, 0.0],
        [0.6, 0.6, -0.1, -0.1],
        [0.3, 0.3, 0.3, 0.3],
        [math.nan, 0.5, 0.25, 0.25],
        ["a", "b", "c", "d"],
    ):
        with pytest.raises(ValueError, match="prior"):
            attack_success("ss", 1.0, 4, prior)
        with pytest.raises(ValueError, match="prior"):
            empirical_attack_success(SS(1.0, 4), [0, 1, 2, 3], make_rng(0), prior)
    with pytest.raises(ValueError, match="hash_model"):
        attack_success("blh", 1.0, 4, hash_model="random")
    with pytest.raises(ValueError, match="single domain size"):
        attack_table(["grr"], ks=(2, 3), prior=[0.5, 0.5])
    with pytest.raises(ValueError, match="FrequencyProtocol"):
        empirical_attack_success("grr", [0, 1], make_rng(0))
    with pytest.raises(ValueError, match="values"):
        empirical_attack_success(GRR(1.0, 3), [0, 3], make_rng(0))
    with pytest.raises(ValueError, match="Generator"):
        empirical_attack_success(GRR(1.0, 3), [0, 1], 0)
    # the exact hash-family computation has a work limit: the error names the alternatives
    with pytest.raises(ValueError, match="hash_model='ideal'"):
        attack_success("blh", 1.0, 1000)
