"""Closed forms of :mod:`fairldp.theory` against hand computations and simulations.

Statistical tolerances (seeds are fixed, so outcomes are deterministic; the tolerances say
the checks would pass for almost every seed, i.e. they are not tuned to one):

- a proportion ``r`` estimated from ``n`` test rows has SE ``sqrt(r (1 - r) / n)``; single
  rates are checked within 4 SE, a difference of two independent proportions within
  ``4 sqrt(SE_1^2 + SE_0^2)`` (two-sided false-alarm rate 6e-5 per check);
- the empirical Bayes classifier is compared only at budgets where every test-relevant cell
  has ``|P(Y=1 | x, z) - 1/2| >= 5 SE`` of its training estimate (checked in the test), so
  it equals the population classifier with probability > 1 - 1e-6 per cell;
- a sample variance over ``R`` replications of a (near) normal estimate has relative SE
  ``sqrt(2 / (R - 1))`` (chi-square with ``R - 1`` df); checked within 4 of those.
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import pandas as pd
import pytest

from fairldp.datasets.synthetic import discrete_joint, makhlouf_2024_example, scenario_distribution
from fairldp.fair.noise import NoiseModel
from fairldp.ldp.grr import GRR
from fairldp.ldp.lh import LocalHashing
from fairldp.ldp.registry import get_protocol
from fairldp.rng import derive_int_seed, make_rng
from fairldp.theory import (
    bayes_under_rr,
    frequency_variance,
    group_disparity,
    grr_transition,
    rates_on_privatized,
    recover_group_rates,
    rr_thresholds,
    spd_on_privatized,
    spd_on_true,
)

SEED = 20240516
Z = 4.0  # SE multiple of every statistical check
MARGIN = 5.0  # SE multiple by which training posteriors must clear 1/2


def random_table() -> pd.DataFrame:
    """A seeded 3 x 3 x 2 joint P(A, X, Y): Dirichlet(2) P(A, X), P(Y=1 | A, X) ~ U(.05, .95)."""
    rng = make_rng(SEED, "test_theory", "random_table")
    pax = rng.dirichlet(np.full(9, 2.0)).reshape(3, 3)
    py1 = rng.uniform(0.05, 0.95, size=(3, 3))
    rows = [
        (a, x, y, pax[a, x] * (py1[a, x] if y else 1 - py1[a, x]))
        for a in range(3)
        for x in range(3)
        for y in (0, 1)
    ]
    return pd.DataFrame(rows, columns=["A", "X", "Y", "p"])


def joint_array(table: pd.DataFrame, x: str = "X") -> np.ndarray:
    """``p[a, x, y]`` of a table whose A, X, Y are 0..k-1, 0..m-1, {0, 1} (brute force)."""
    k, m = table["A"].max() + 1, table[x].max() + 1
    p = np.zeros((k, m, 2))
    for r in table.itertuples(index=False):
        row = r._asdict()
        p[row["A"], row[x], row["Y"]] += row["p"]
    return p / p.sum()


def brute_posterior(p: np.ndarray, eps: float) -> np.ndarray:
    """``P(Y=1 | x, z)``, shape ``(m, k)``, from the project's GRR transition matrix."""
    t = GRR(eps, p.shape[0]).transition_matrix
    pxzy = np.einsum("amy,az->mzy", p, t)
    return pxzy[..., 1] / pxzy.sum(axis=-1)


def brute_rates(p: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Selection rate, TPR per true group and accuracy of ``h[x, z]`` applied as ``h[x, a]``,
    by explicit enumeration of the cells."""
    k, m, _ = p.shape
    sel, tpr, acc = np.zeros(k), np.full(k, np.nan), 0.0
    for a in range(k):
        pa, pa1 = p[a].sum(), p[a, :, 1].sum()
        sel[a] = sum(p[a, x].sum() * h[x, a] for x in range(m)) / pa
        if pa1 > 0:
            tpr[a] = sum(p[a, x, 1] * h[x, a] for x in range(m)) / pa1
        acc += sum(p[a, x, 1] * h[x, a] + p[a, x, 0] * (1 - h[x, a]) for x in range(m))
    return sel, tpr, acc


# ----------------------------------------------------------- the paper's running example


def test_makhlouf_example_threshold_is_ln_7_over_3() -> None:
    # Hand computation: only cell (x=1, z=0) changes; D(0,1) = -0.15, D(1,1) = 0.35, so
    # eps* = ln(0.35 / 0.15) = ln(7/3) = ln(P(A=1) / P(A=0)); the authors' companion code
    # (KarimaMakhlouf/Systematic_study_privacy_fairness, 1_Synthetic1.ipynb) prints
    # 0.8472978603872037 for it.
    table = makhlouf_2024_example()
    th = rr_thresholds(table)
    assert len(th) == 1
    row = th.iloc[0]
    assert (row["X"], row["z"], row["direction"]) == (1, 0, -1)
    assert row["epsilon"] == pytest.approx(math.log(7 / 3), rel=1e-12)
    assert row["epsilon"] == pytest.approx(0.8472978603872037, rel=1e-12)
    assert row["weight"] == pytest.approx(0.15, rel=1e-12)
    r = bayes_under_rr(table, [0.5])
    np.testing.assert_allclose(r.thresholds, [math.log(7 / 3)], rtol=1e-12)


def test_or_variant_of_the_example_has_the_same_threshold() -> None:
    # Y = 1[A=1 or X=1] (the variant whose counts the companion notebook prints): the cell
    # that changes is (x=0, z=0), D(0, 0) = -0.15, D(1, 0) = 0.35: again ln(7/3)
    rows = [
        (a, x, y, (0.3 if a == 0 else 0.7) * 0.5 * (y == int(a == 1 or x == 1)))
        for a in (0, 1)
        for x in (0, 1)
        for y in (0, 1)
    ]
    th = rr_thresholds(pd.DataFrame(rows, columns=["A", "X", "Y", "p"]))
    assert len(th) == 1 and (th.loc[0, "X"], th.loc[0, "z"]) == (0, 0)
    assert th.loc[0, "epsilon"] == pytest.approx(math.log(7 / 3), rel=1e-12)


def test_makhlouf_example_metrics_on_both_sides() -> None:
    eps_star = math.log(7 / 3)
    r = bayes_under_rr(makhlouf_2024_example(), [0.0, 0.5, eps_star, 1.0, 8.0, np.inf])
    below = np.array([[0, 0], [1, 1]])  # h(x, z) = x: A is ignored
    above = np.array([[0, 0], [0, 1]])  # h(x, z) = x z: the non-private classifier
    for i, expect in enumerate([below, below, above, above, above, above]):
        np.testing.assert_array_equal(r.predictions[i], expect)
    np.testing.assert_allclose(r.spd, [0, 0, 0.5, 0.5, 0.5, 0.5], atol=1e-15)
    np.testing.assert_allclose(r.accuracy, [0.85, 0.85, 1, 1, 1, 1], atol=1e-15)
    np.testing.assert_allclose(r.selection_rate[1], [0.5, 0.5])
    assert np.all(np.isnan(r.eod)) and np.all(np.isnan(r.tpr[:, 0]))  # no positives in A=0
    np.testing.assert_allclose(r.tpr[:, 1], 1.0)
    # posterior of the changing cell: 0.7 (1 - p) / (0.7 (1 - p) + 0.3 p), 1/2 at eps*
    e = math.exp(0.5)
    assert r.posterior[1, 1, 0] == pytest.approx(0.7 / (0.7 + 0.3 * e), rel=1e-12)
    assert r.posterior[2, 1, 0] == pytest.approx(0.5, rel=1e-12)


# ------------------------------------------------------------- exact checks, brute force


@pytest.mark.parametrize("eps", [0.05, 0.4, 1.2, 2.0, 5.0])
def test_posterior_and_metrics_match_brute_force(eps: float) -> None:
    table = random_table()
    p = joint_array(table)
    r = bayes_under_rr(table, [eps])
    post = brute_posterior(p, eps)
    np.testing.assert_allclose(r.posterior[0], post, rtol=1e-12)
    h = (post > 0.5).astype(int)
    assert np.min(np.abs(post - 0.5)) > 1e-9  # no cell at a tie for these budgets
    np.testing.assert_array_equal(r.predictions[0], h)
    sel, tpr, acc = brute_rates(p, h)
    np.testing.assert_allclose(r.selection_rate[0], sel, rtol=1e-12)
    np.testing.assert_allclose(r.tpr[0], tpr, rtol=1e-12)
    assert r.accuracy[0] == pytest.approx(acc, rel=1e-12)
    assert r.spd[0] == pytest.approx(sel.max() - sel.min(), rel=1e-12)  # k = 3: max - min
    assert r.eod[0] == pytest.approx(tpr.max() - tpr.min(), rel=1e-12)


@pytest.mark.parametrize(
    "table",
    [
        random_table(),
        scenario_distribution(p_group=0.3, base_rates=(0.2, 0.9), proxy_strength=0.85).rename(
            columns={"Xp": "X"}
        ),
    ],
    ids=["random3x3", "proxy"],
)
def test_thresholds_are_the_exact_crossings(table: pd.DataFrame) -> None:
    p = joint_array(table)
    th = rr_thresholds(table)
    assert len(th) >= 2
    for row in th.itertuples(index=False):
        x, z, e = int(row.X), int(row.z), float(row.epsilon)
        assert brute_posterior(p, e)[x, z] == pytest.approx(0.5, abs=1e-12)
        lo, hi = bayes_under_rr(table, [e * (1 - 1e-6), e * (1 + 1e-6)]).predictions[:, x, z]
        assert (lo, hi) == ((0, 1) if row.direction == 1 else (1, 0))
        assert bayes_under_rr(table, [e]).predictions[0, x, z] == 0  # tie: predict 0
    # no other cell changes between thresholds: predictions are constant on each interval
    edges = np.concatenate([[0.0], th["epsilon"].to_numpy(), [50.0]])
    for lo, hi in itertools.pairwise(edges):
        grid = np.linspace(lo, hi, 9)[1:-1]
        preds = bayes_under_rr(table, grid).predictions
        assert np.all(preds == preds[0])
        brute = np.stack([brute_posterior(p, e) > 0.5 for e in grid])
        np.testing.assert_array_equal(preds, brute)


def test_limits_are_unaware_and_nonprivate_classifiers() -> None:
    table = random_table()
    p = joint_array(table)
    r = bayes_under_rr(table, [0.0, np.inf])
    unaware = p[..., 1].sum(0) / p.sum(axis=(0, 2)) > 0.5  # P(Y=1 | x) > 1/2, any z
    np.testing.assert_array_equal(r.predictions[0], np.repeat(unaware[:, None], 3, axis=1))
    bayes = (p[..., 1] / p.sum(-1) > 0.5).T  # P(Y=1 | a, x) > 1/2 at (x, a)
    np.testing.assert_array_equal(r.predictions[1], bayes)
    assert r.spd[0] == pytest.approx(np.ptp(brute_rates(p, r.predictions[0])[0]), rel=1e-12)


def test_binary_differences_are_signed_and_group_order_is_sorted() -> None:
    # A in {"f", "m"}; Y = 1 only for "f": the Bayes classifier favours group "f" (index 0)
    table = {
        ("m", 0, 0): 0.25, ("m", 1, 0): 0.25, ("f", 0, 1): 0.2, ("f", 1, 1): 0.2,
        ("f", 0, 0): 0.05, ("f", 1, 0): 0.05,
    }  # fmt: skip
    r = bayes_under_rr(table, [np.inf, 0.0])
    assert r.groups == ("f", "m")
    assert r.spd[0] == pytest.approx(-1.0) and np.isnan(r.eod[0])
    assert r.spd[1] == pytest.approx(0.0)  # eps = 0: A unused, X uninformative
    assert group_disparity([0.2, 0.5]) == pytest.approx(0.3)
    assert group_disparity([0.2, 0.5, 0.1]) == pytest.approx(0.4)
    assert np.isnan(group_disparity([0.2, np.nan, 0.1]))


def test_features_may_span_several_columns() -> None:
    base = scenario_distribution(p_group=0.4, base_rates=(0.2, 0.8), proxy_strength=0.7)
    two = pd.concat([base.assign(W=w, p=base["p"] / 2) for w in (0, 1)], ignore_index=True)
    r1, r2 = bayes_under_rr(base, [0.3, 2.0]), bayes_under_rr(two, [0.3, 2.0])
    assert list(r2.cells.columns) == ["Xp", "W"] and len(r2.cells) == 4
    np.testing.assert_allclose(r2.spd, r1.spd, rtol=1e-12)  # W is independent noise
    np.testing.assert_allclose(r2.accuracy, r1.accuracy, rtol=1e-12)
    np.testing.assert_allclose(rr_thresholds(two)["epsilon"].unique(), r1.thresholds)


def test_input_validation() -> None:
    t = makhlouf_2024_example()
    with pytest.raises(ValueError, match="epsilon"):
        bayes_under_rr(t, [-0.1])
    with pytest.raises(ValueError, match="epsilon"):
        bayes_under_rr(t, [np.nan])
    with pytest.raises(ValueError, match="0 or 1"):
        bayes_under_rr(t.assign(Y=t["Y"] + 1), [1.0])
    with pytest.raises(ValueError, match="at least 2 groups"):
        bayes_under_rr(t.assign(A=0).groupby(["A", "X", "Y"], as_index=False).sum(), [1.0])
    with pytest.raises(ValueError, match="not a variable"):
        bayes_under_rr(t, [1.0], a="S")


# ------------------------------------------------------------------ theory vs simulation


def empirical_bayes_on_test(
    table: pd.DataFrame, eps: float, n: int, scenario_name: str, x_col: str
) -> dict[str, np.ndarray]:
    """Fit the empirical Bayes classifier on GRR-privatized training rows, apply it to clean
    test rows; return its cell predictions and the test counts per true group."""
    th = bayes_under_rr(table, [eps])
    groups, cells = list(th.groups), th.cells[x_col].tolist()
    k, m = len(groups), len(cells)

    def draw(part: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        df = discrete_joint(table, n, derive_int_seed(SEED, "test_theory", scenario_name, part))
        a = pd.Categorical(np.asarray(df["A"]), categories=groups).codes.astype(np.int64)
        x = pd.Categorical(np.asarray(df[x_col]), categories=cells).codes.astype(np.int64)
        return a, x, np.asarray(df["Y"]).astype(np.int64)

    a, x, y = draw("train")
    rng = make_rng(SEED, "test_theory", scenario_name, "grr", eps)
    z = np.asarray(GRR(eps, k).perturb(a, rng))
    counts = np.bincount((x * k + z) * 2 + y, minlength=m * k * 2).reshape(m, k, 2)
    h = (counts[..., 1] > counts[..., 0]).astype(np.int8)  # same tie rule; unseen cells: 0
    a, x, y = draw("test")
    pred = h[x, a]
    return {
        "h": h,
        "n_a": np.bincount(a, minlength=k),
        "pos_a": np.bincount(a, weights=pred, minlength=k),
        "n_a1": np.bincount(a, weights=y, minlength=k),
        "tp_a": np.bincount(a, weights=pred * y, minlength=k),
        "correct": np.array((pred == y).sum()),
    }


def training_margin(table: pd.DataFrame, eps: float, n: int) -> float:
    """min over test-relevant cells of |P(Y=1 | x, z) - 1/2| / SE of its training estimate."""
    r = bayes_under_rr(table, [eps])
    p = joint_array(table, x=r.cells.columns[0])
    p_xz = np.einsum("amy,az->mz", p, GRR(eps, p.shape[0]).transition_matrix)
    post = r.posterior[0]
    se = np.sqrt(post * (1 - post) / (n * p_xz))
    relevant = p.sum(axis=2).T > 0  # (x, z) reached at test time as (x, a = z)
    return float(np.min((np.abs(post - 0.5) / se)[relevant]))


SCENARIOS = {
    # 3 groups, 3 feature values; thresholds 0.59 and 3.16: one budget per regime
    "random3x3": (random_table, "X", (0.25, 1.25, 6.0)),
    # binary A with a proxy X (P(X = A) = 0.85); thresholds 1.17 and 2.29
    "proxy": (
        lambda: scenario_distribution(p_group=0.3, base_rates=(0.2, 0.9), proxy_strength=0.85),
        "Xp",
        (0.5, 1.75, 4.0),
    ),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_spd_matches_simulation(name: str) -> None:
    make_table, x_col, budgets = SCENARIOS[name]
    table = make_table()
    n = 200_000
    theory = bayes_under_rr(table, list(budgets))
    # the budgets lie in distinct regimes, so the check covers different classifiers
    assert len({r.tobytes() for r in theory.predictions}) == len(budgets)
    for i, eps in enumerate(budgets):
        assert training_margin(table, eps, n) >= MARGIN, eps
        emp = empirical_bayes_on_test(table, eps, n, name, x_col)
        np.testing.assert_array_equal(emp["h"], theory.predictions[i])

        rate, n_a = theory.selection_rate[i], emp["n_a"]
        se = np.sqrt(rate * (1 - rate) / n_a)
        est = emp["pos_a"] / n_a
        assert np.all(np.abs(est - rate) <= Z * se + 1e-12), (eps, est, rate, se)
        # SPD. Binary A: a difference of two independent proportions, within
        # Z sqrt(SE_1^2 + SE_0^2). k > 2: |max - min of estimates - (max - min of rates)| is
        # at most 2 max_a |est_a - rate_a|, so within 2 Z max_a SE_a given the checks above.
        spd_hat = group_disparity(est)
        tol = math.hypot(se[0], se[1]) if len(rate) == 2 else 2 * se.max()
        assert abs(spd_hat - theory.spd[i]) <= Z * tol + 1e-12, (eps, spd_hat, theory.spd[i])

        tpr = theory.tpr[i]
        se_tpr = np.sqrt(tpr * (1 - tpr) / emp["n_a1"])
        assert np.all(np.abs(emp["tp_a"] / emp["n_a1"] - tpr) <= Z * se_tpr + 1e-12)
        acc = theory.accuracy[i]
        assert abs(emp["correct"] / n - acc) <= Z * math.sqrt(acc * (1 - acc) / n)


# ------------------------------------------------------------------- variance formulas


def test_variances_are_the_closed_forms() -> None:
    eps = np.array([0.5, 1.0, 2.0, 4.0])
    k, n, f = 5, 1000, np.array([0.0, 0.1, 0.4])
    e = np.exp(eps)[:, None]
    p, q = e / (e + k - 1), 1 / (e + k - 1)
    grr = q * (1 - q) / (n * (p - q) ** 2) + f * (1 - p - q) / (n * (p - q))
    np.testing.assert_allclose(frequency_variance("grr", eps, k, f, n), grr, rtol=1e-12)
    counts = frequency_variance("grr", eps, k, f, n, counts=True)
    hand = n * q * (1 - q) / (p - q) ** 2 + n * f * (1 - p - q) / (p - q)
    np.testing.assert_allclose(counts, hand, rtol=1e-12)
    oue0 = 4 * e[:, 0] / (n * (e[:, 0] - 1) ** 2)
    np.testing.assert_allclose(frequency_variance("oue", eps, k, 0.0, n), oue0, rtol=1e-12)
    sue0 = np.exp(eps / 2) / (n * (np.exp(eps / 2) - 1) ** 2)
    np.testing.assert_allclose(frequency_variance("sue", eps, k, 0.0, n), sue0, rtol=1e-12)
    # OLH at e^eps = 3: g = 4, q* = 1/g up to O(g / 2^31), Var(0) = 4 e^eps / (n (e^eps-1)^2)
    olh = frequency_variance("olh", [math.log(3)], k, 0.0, n)
    assert olh[0] == pytest.approx(3.0 / n, rel=1e-6)
    # LocalHashing with g = 8 buckets: p* = e / (e + 7), q* = 1/8 up to O(g / 2^31)
    blh8 = frequency_variance(functools.partial(LocalHashing, g=8), [1.0], k, 0.0, n)
    ps, qs = math.e / (math.e + 7), 1 / 8
    assert blh8[0] == pytest.approx(qs * (1 - qs) / (n * (ps - qs) ** 2), rel=1e-6)
    assert frequency_variance("ss", eps, 20, f, n).shape == (4, 3)


@pytest.mark.parametrize("protocol, eps", [("grr", 1.0), ("oue", 1.0), ("olh", math.log(3))])
def test_variances_match_monte_carlo(protocol: str, eps: float) -> None:
    k, n, reps = 4, 500, 5000
    holders = np.array([200, 150, 100, 50])  # fixed population: f = (.4, .3, .2, .1)
    x = np.tile(np.repeat(np.arange(k), holders), reps)
    proto = get_protocol(protocol, eps, k)
    reports = proto.perturb(x, make_rng(SEED, "test_theory", "variance", protocol, eps))
    support = np.zeros((reps, k))  # support counts per replication, block by block
    for start, rows in proto.as_reports(reports).iter_rows():
        rep = (start + np.arange(rows.shape[0])) // n
        for v in range(k):
            support[:, v] += np.bincount(rep, weights=rows[:, v], minlength=reps)
    f_hat = proto.unbiased(support, n)  # the project's unbiased estimator, per replication
    expected = frequency_variance(protocol, [eps], k, holders / n, n)[0]
    assert np.all(np.abs(f_hat.mean(axis=0) - holders / n) <= Z * np.sqrt(expected / reps))
    rel = f_hat.var(axis=0, ddof=1) / expected - 1
    assert np.all(np.abs(rel) < Z * math.sqrt(2 / (reps - 1))), rel


# ------------------------------------------------------------------- channel inversion


def test_forward_rates_by_hand() -> None:
    t = grr_transition([math.log(3)], 2)[0]  # p = 3/4, q = 1/4
    np.testing.assert_allclose(t, [[0.75, 0.25], [0.25, 0.75]], rtol=1e-15)
    rz = rates_on_privatized([0.2, 0.6], t, [0.5, 0.5])
    np.testing.assert_allclose(rz, [0.3, 0.5], rtol=1e-12)  # (.075 + .075)/.5, (.025 + .225)/.5
    # binary GRR, uniform prior: the SPD measured on Z shrinks by p - q = tanh(eps / 2)
    eps = np.array([0.1, 1.0, 3.0])
    spd_z = spd_on_privatized([0.2, 0.6], grr_transition(eps, 2), [0.5, 0.5])
    np.testing.assert_allclose(spd_z, 0.4 * np.tanh(eps / 2), rtol=1e-12)


def test_grr_transition_is_the_projects_grr() -> None:
    eps = np.array([1e-3, 0.7, 3.0, 40.0])
    t = grr_transition(eps, 4)
    for i, e in enumerate(eps):
        np.testing.assert_allclose(t[i], GRR(e, 4).transition_matrix, rtol=1e-15, atol=0)
        np.testing.assert_allclose(t[i], NoiseModel(GRR(e, 4)).T, rtol=1e-13, atol=0)
    np.testing.assert_array_equal(grr_transition([np.inf], 3)[0], np.eye(3))
    np.testing.assert_allclose(grr_transition([0.0], 3)[0], np.full((3, 3), 1 / 3))


@pytest.mark.parametrize("use_noise_model", [False, True])
def test_recovery_inverts_the_forward_map(use_noise_model: bool) -> None:
    rng = make_rng(SEED, "test_theory", "recovery")
    k, total = 3, 10_000.0
    prior = rng.dirichlet(np.ones(k))
    rates = rng.uniform(0.1, 0.9, size=k)
    for eps in (0.5, 2.0):
        t = grr_transition([eps], k)[0]
        channel = NoiseModel(GRR(eps, k)) if use_noise_model else t
        totals = total * prior @ t  # expected rows per Z
        positives = totals * rates_on_privatized(rates, channel, prior)
        np.testing.assert_allclose(positives, total * (prior * rates) @ t, rtol=1e-12)
        for given in (None, prior):
            got = recover_group_rates(positives, totals, channel, given)
            np.testing.assert_allclose(got, rates, rtol=1e-10)
        spd = spd_on_true(positives, totals, channel)
        assert spd == pytest.approx(rates.max() - rates.min(), rel=1e-10)


def test_recovery_is_vectorized_over_budgets() -> None:
    eps = np.array([0.3, 1.0, 2.5])
    t = grr_transition(eps, 2)
    prior, rates = np.array([0.7, 0.3]), np.array([0.35, 0.55])
    totals = 5000 * np.einsum("a,eaz->ez", prior, t)
    positives = totals * rates_on_privatized(rates, t, prior)
    assert positives.shape == (3, 2)
    got = recover_group_rates(positives, totals, t)
    np.testing.assert_allclose(got, np.broadcast_to(rates, (3, 2)), rtol=1e-10)
    np.testing.assert_allclose(spd_on_true(positives, totals, t), 0.2, rtol=1e-10)
    naive = positives / totals  # rates measured on Z: attenuated towards each other
    assert np.all(np.abs(group_disparity(naive)) < 0.2)


def test_channel_validation() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        recover_group_rates([1, 1], [2, 2], [[0.5, 0.4], [0.5, 0.5]])
    with pytest.raises(ValueError, match="positives"):
        recover_group_rates([3, 1], [2, 2], np.eye(2))
    with pytest.raises(ValueError, match="prior"):
        rates_on_privatized([0.1, 0.2], np.eye(2), [0.5, 0.5, 0.0])
