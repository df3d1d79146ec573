"""Membership-inference audits (fairldp.membership) against closed forms and direct computations.

Statistical checks use a fixed seed and tolerances from theory, each stated where it is used:
``k`` standard errors with ``k = 4`` (two-sided normal tail ~6e-5), so a correct implementation
fails with negligible probability and a wrong one (bias of a few SE) is caught.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.tree import DecisionTreeClassifier

from fairldp.membership import (
    COLUMNS,
    ShadowSpec,
    advantage_at,
    best_threshold,
    bootstrap_ci,
    fit_shadow_attack,
    membership_advantage,
    membership_auc,
    membership_audit,
    membership_scores,
    shadow_attack,
    threshold_attack,
)
from fairldp.rng import make_rng

K = 4  # standard errors of tolerance


def _value(t: pd.DataFrame, metric: str, group: str = "") -> float:
    return float(t.loc[(t["group"] == group) & (t["metric"] == metric), "value"].iloc[0])


def _se_auc_null(n1: int, n0: int) -> float:
    """SE of the AUC (Mann-Whitney U / n1 n0) when both score distributions are equal."""
    return float(np.sqrt((n1 + n0 + 1) / (12 * n1 * n0)))


def _se_auc(a: float, n1: int, n0: int) -> float:
    """Hanley & McNeil (1982) SE of an AUC ``a``."""
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    return float(
        np.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0))
    )


def _se_adv(p1: float, p0: float, n1: int, n0: int) -> float:
    """SE of TPR - FPR at a threshold fixed independently of the data (two binomials)."""
    return float(np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0))


# --------------------------------------------------------------------------- scores


def test_scores_are_minus_cross_entropy_and_true_label_probability() -> None:
    y = np.array([1, 0, 1, 0, 1])
    p = np.array([0.9, 0.2, 0.0, 1.0, 0.5])
    c = np.clip(np.where(y == 1, p, 1 - p), 1e-12, 1 - 1e-12)
    assert np.allclose(membership_scores(y, p, "confidence"), c)
    loss = membership_scores(y, p)
    assert np.allclose(
        loss,
        y * np.log(np.clip(p, 1e-12, 1 - 1e-12))
        + (1 - y) * np.log(np.clip(1 - p, 1e-12, 1 - 1e-12)),
    )
    assert np.isfinite(loss).all() and loss[2] == pytest.approx(np.log(1e-12))
    with pytest.raises(ValueError, match="kind"):
        membership_scores(y, p, "entropy")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- threshold attack


def test_advantage_and_auc_equal_direct_computations_with_ties() -> None:
    rng = np.random.default_rng(3)
    sm, s0 = rng.integers(0, 6, 300).astype(float), rng.integers(0, 5, 250).astype(float)
    grid = np.r_[np.unique(np.r_[sm, s0]), np.inf]
    brute = max(np.mean(sm >= t) - np.mean(s0 >= t) for t in grid)
    assert membership_advantage(sm, s0) == pytest.approx(brute)
    assert membership_auc(sm, s0) == pytest.approx(
        roc_auc_score(np.r_[np.ones(sm.size), np.zeros(s0.size)], np.r_[sm, s0])
    )
    t = best_threshold(sm, s0)
    assert advantage_at(sm, s0, t) == pytest.approx(brute)
    assert not np.isin(t, np.r_[sm, s0])  # midway between two scores


def test_held_out_advantage_is_the_cross_fitted_fit_evaluate_split() -> None:
    from fairldp.membership import _halves

    rng = np.random.default_rng(4)
    sm, s0 = rng.normal(0.7, 1, 301), rng.normal(0, 1, 200)
    h = make_rng(11, "membership", "halves")
    hm, h0 = _halves(np.zeros(sm.size, np.intp), h), _halves(np.zeros(s0.size, np.intp), h)
    a = [
        advantage_at(sm[hm == 1 - i], s0[h0 == 1 - i], best_threshold(sm[hm == i], s0[h0 == i]))
        for i in (0, 1)
    ]
    got = threshold_attack(sm, s0, seed=11)
    assert _value(got, "membership_advantage") == pytest.approx(np.mean(a))
    assert abs(np.sum(hm) - sm.size / 2) <= 1


def test_perfect_separation_gives_advantage_one_and_auc_one() -> None:
    rng = np.random.default_rng(0)
    sm, s0 = rng.uniform(10, 11, 50), rng.uniform(0, 1, 70)
    for adv in ("held_out", "best"):
        t = threshold_attack(sm, s0, advantage=adv)
        assert _value(t, "membership_advantage") == 1.0
        assert _value(t, "membership_auc") == 1.0
    assert 1 < best_threshold(sm, s0) < 10


def test_identical_distributions_give_no_advantage() -> None:
    n = 2000
    rng = np.random.default_rng(1)
    sm, s0 = rng.normal(0, 1, n), rng.normal(0, 1, n)
    held = threshold_attack(sm, s0)
    # AUC: null SE sqrt((n1 + n0 + 1) / (12 n1 n0)) ~ 0.009
    assert abs(_value(held, "membership_auc") - 0.5) < K * _se_auc_null(n, n)
    # held out: a threshold fitted on the other half, scored on n/2 + n/2 examples: mean 0,
    # SE <= sqrt(1/4 (2 / (n/2))) (binomial variance <= 1/4); averaging halves does not add
    assert abs(_value(held, "membership_advantage")) < K * _se_adv(0.5, 0.5, n // 2, n // 2)
    # best: the one-sided two-sample KS statistic, P(sqrt(n_eff) D+ > x) = exp(-2 x^2);
    # its 0.1% quantile is sqrt(ln(1000) / 2) / sqrt(n_eff), n_eff = n1 n0 / (n1 + n0)
    best = _value(threshold_attack(sm, s0, advantage="best"), "membership_advantage")
    assert 0 <= best < np.sqrt(np.log(1000) / 2) / np.sqrt(n / 2)


@pytest.mark.parametrize("mu", [0.5, 1.0, 2.0])
def test_gaussian_shift_matches_the_closed_forms(mu: float) -> None:
    # members N(mu, 1), non-members N(0, 1): optimal threshold mu/2, Adv* = 2 Phi(mu/2) - 1,
    # AUC = Phi(mu / sqrt(2))
    n = 2000
    rng = np.random.default_rng(2)
    sm, s0 = rng.normal(mu, 1, n), rng.normal(0, 1, n)
    adv_star, auc_star = 2 * norm.cdf(mu / 2) - 1, norm.cdf(mu / np.sqrt(2))
    se_adv = _se_adv(norm.cdf(mu / 2), norm.cdf(-mu / 2), n, n)
    held = threshold_attack(sm, s0)
    assert abs(_value(held, "membership_auc") - auc_star) < K * _se_auc(auc_star, n, n)
    # held out: fitted threshold near mu/2 (flat optimum, second-order loss): K SE of the
    # advantage at the optimal threshold on n/2 + n/2 examples
    se_half = _se_adv(norm.cdf(mu / 2), norm.cdf(-mu / 2), n // 2, n // 2)
    assert abs(_value(held, "membership_advantage") - adv_star) < K * se_half
    # best >= the advantage at mu/2 (>= Adv* - K SE) and <= Adv* + sup|TPR^ - TPR| +
    # sup|FPR^ - FPR|, each < sqrt(ln(2 / 0.001) / (2 n)) with prob. 0.999 (DKW)
    best = _value(threshold_attack(sm, s0, advantage="best"), "membership_advantage")
    assert adv_star - K * se_adv < best < adv_star + 2 * np.sqrt(np.log(2000) / (2 * n))


def _two_groups(n: int = 1000, seed: int = 5) -> tuple[np.ndarray, ...]:
    """Group 'a' leaks (members N(2, 1)), group 'b' does not; non-members N(0, 1)."""
    rng = np.random.default_rng(seed)
    gm, g0 = np.repeat(["a", "b"], n), np.repeat(["a", "b"], n)
    sm = rng.normal(np.where(gm == "a", 2.0, 0.0), 1)
    return sm, rng.normal(0, 1, 2 * n), gm, g0


def test_per_group_results_find_the_leaking_group() -> None:
    n = 1000
    sm, s0, gm, g0 = _two_groups(n)
    t = bootstrap_ci(sm, s0, gm, g0, n_boot=200)
    assert list(t["group"].unique()) == ["", "a", "b"]
    assert (t["n_members"] == [2 * n, 2 * n, n, n, n, n]).all()
    adv_a, auc_a = 2 * norm.cdf(1) - 1, norm.cdf(np.sqrt(2))
    se_a = _se_adv(norm.cdf(1), norm.cdf(-1), n // 2, n // 2)  # held out on n/2 + n/2
    assert abs(_value(t, "membership_advantage", "a") - adv_a) < K * se_a
    assert abs(_value(t, "membership_auc", "a") - auc_a) < K * _se_auc(auc_a, n, n)
    assert abs(_value(t, "membership_advantage", "b")) < K * _se_adv(0.5, 0.5, n // 2, n // 2)
    assert abs(_value(t, "membership_auc", "b") - 0.5) < K * _se_auc_null(n, n)
    for m in ("membership_advantage", "membership_auc"):
        ra = t[(t["group"] == "a") & (t["metric"] == m)].iloc[0]
        rb = t[(t["group"] == "b") & (t["metric"] == m)].iloc[0]
        ro = t[(t["group"] == "") & (t["metric"] == m)].iloc[0]
        assert ra["ci_low"] > rb["ci_high"]  # a leaks more than b, beyond sampling noise
        assert rb["value"] < ro["value"] < ra["value"]  # the mixture lies between


def test_group_without_non_members_gives_nan_rows() -> None:
    sm, s0 = np.arange(6.0), np.arange(4.0)
    t = threshold_attack(sm, s0, ["a", "a", "a", "a", "c", "x"], ["a", "a", "b", "b"])
    c = t[t["group"] == "c"]
    assert c["value"].isna().all() and (c["n_nonmembers"] == 0).all()
    b = t[t["group"] == "b"]
    assert b["value"].isna().all() and (b["n_members"] == 0).all()
    assert t.loc[t["group"] == "", "value"].notna().all()


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_replicates_equal_a_loop_over_index_vectors() -> None:
    from fairldp.membership import _CHUNK, _halves, _Side

    rng = np.random.default_rng(6)
    sm, s0 = rng.normal(0.5, 1, 120).round(1), rng.normal(0, 1, 90).round(1)  # with ties
    seed, n_boot = 3, 40
    h = make_rng(seed, "membership", "halves")
    zm, z0 = np.zeros(sm.size, np.intp), np.zeros(s0.size, np.intp)
    side_m, side_0 = _Side.build(zm, _halves(zm, h)), _Side.build(z0, _halves(z0, h))
    boot = make_rng(seed, "membership", "bootstrap")
    adv, auc = [], []
    for b in range(0, n_boot, _CHUNK):
        r = min(_CHUNK, n_boot - b)
        im, i0 = side_m.draw(boot, r), side_0.draw(boot, r)
        for j in range(r):
            adv.append(membership_advantage(sm[im[j]], s0[i0[j]]))
            auc.append(membership_auc(sm[im[j]], s0[i0[j]]))
    t = bootstrap_ci(sm, s0, advantage="best", n_boot=n_boot, seed=seed)
    for m, reps in (("membership_advantage", adv), ("membership_auc", auc)):
        row = t[t["metric"] == m].iloc[0]
        assert row["ci_low"] == pytest.approx(np.quantile(reps, 0.025))
        assert row["ci_high"] == pytest.approx(np.quantile(reps, 0.975))


def test_bootstrap_resamples_within_group_and_half() -> None:
    from fairldp.membership import _halves, _Side

    g = np.repeat(np.arange(3), [5, 9, 20]).astype(np.intp)
    side = _Side.build(g, _halves(g, np.random.default_rng(0)))
    idx = side.draw(np.random.default_rng(1), 50)
    assert (g[idx] == g[side.order]).all() and (side.half[idx] == side.half[side.order]).all()


def test_bootstrap_ci_contains_estimate_has_sensible_width_and_is_deterministic() -> None:
    n, mu = 2000, 1.0
    rng = np.random.default_rng(7)
    sm, s0 = rng.normal(mu, 1, n), rng.normal(0, 1, n)
    t = bootstrap_ci(sm, s0, n_boot=200, seed=1)
    assert (t["ci_low"] <= t["value"]).all() and (t["value"] <= t["ci_high"]).all()
    # a 95% percentile interval spans ~ 2 x 1.96 SE; with 200 replicates its ends are
    # estimated to ~10%, so accept 0.7-1.3 times that width
    auc = t[t["metric"] == "membership_auc"].iloc[0]
    width = (auc["ci_high"] - auc["ci_low"]) / (2 * 1.96 * _se_auc(norm.cdf(mu / np.sqrt(2)), n, n))
    assert 0.7 < width < 1.3
    pd.testing.assert_frame_equal(t, bootstrap_ci(sm, s0, n_boot=200, seed=1))
    other = bootstrap_ci(sm, s0, n_boot=200, seed=2)
    assert not np.allclose(other["ci_low"], t["ci_low"])
    assert threshold_attack(sm, s0, advantage="best").equals(
        threshold_attack(sm, s0, advantage="best", seed=9)
    )  # "best" and AUC use no randomness


# --------------------------------------------------------------------------- shadow models


@pytest.fixture(scope="module")
def task() -> tuple[np.ndarray, ...]:
    """Target members, target non-members and a disjoint shadow set, 500/500/1000 rows."""
    X, y = make_classification(
        n_samples=2000, n_features=20, n_informative=5, flip_y=0.1, random_state=0
    )
    return X[:500], y[:500], X[500:1000], y[500:1000], X[1000:], y[1000:]


def _target(est: object, task: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    Xm, ym, Xn, *_ = task
    est.fit(Xm, ym)  # type: ignore[attr-defined]
    return est.predict_proba(Xm)[:, 1], est.predict_proba(Xn)[:, 1]  # type: ignore[attr-defined]


def test_shadow_attack_detects_an_overfit_tree(task: tuple[np.ndarray, ...]) -> None:
    _, ym, _, yn, Xs, ys = task
    tree = DecisionTreeClassifier(random_state=0)
    pm, pn = _target(tree, task)
    t = shadow_attack(ShadowSpec(tree, Xs, ys), ym, pm, yn, pn, n_boot=100)
    # a pure-leaf tree is right on every member and wrong on ~25% of non-members (10% flipped
    # labels plus errors): Adv ~ 0.25, far above the null SE 0.5 sqrt(2/500) ~ 0.03
    assert _value(t, "membership_advantage") > 0.15
    assert t.loc[t["metric"] == "membership_advantage", "ci_low"].iloc[0] > 0.05
    assert _value(t, "membership_auc") > 0.55
    for kw in ({"attack_model": "boosting"}, {"per_class": False, "n_shadow": 2}):
        t2 = shadow_attack(ShadowSpec(tree, Xs, ys, **kw), ym, pm, yn, pn)
        assert _value(t2, "membership_advantage") > 0.15


def test_shadow_attack_finds_nothing_in_a_regularised_model(task: tuple[np.ndarray, ...]) -> None:
    _, ym, _, yn, Xs, ys = task
    lr = LogisticRegression(C=1e-4)
    pm, pn = _target(lr, task)
    t = shadow_attack(ShadowSpec(lr, Xs, ys), ym, pm, yn, pn)
    # the decision P(member) >= 1/2 is fitted on shadow data, so on the target it is a fixed
    # threshold: SE <= 0.5 sqrt(1/500 + 1/500) ~ 0.032; AUC null SE ~ 0.018
    assert abs(_value(t, "membership_advantage")) < K * _se_adv(0.5, 0.5, 500, 500)
    assert abs(_value(t, "membership_auc") - 0.5) < K * _se_auc_null(500, 500)


def test_shadow_attack_scores_are_member_probabilities(task: tuple[np.ndarray, ...]) -> None:
    *_, Xs, ys = task
    att = fit_shadow_attack(DecisionTreeClassifier(), Xs, ys, seed=1)
    s = att.score(np.array([0, 1, 1]), np.array([0.0, 1.0, 0.3]))
    assert s.shape == (3,) and ((s >= 0) & (s <= 1)).all()
    s2 = fit_shadow_attack(DecisionTreeClassifier(), Xs, ys, seed=1).score(
        [0, 1, 1], [0.0, 1.0, 0.3]
    )
    assert np.array_equal(s, s2)  # the shadow tree got a derived random_state


# --------------------------------------------------------------------------- the audit


def test_audit_frame_is_tidy_and_deterministic(task: tuple[np.ndarray, ...]) -> None:
    Xm, ym, Xn, yn, Xs, ys = task
    tree = DecisionTreeClassifier(max_depth=None, random_state=0)
    pm, pn = _target(tree, task)
    gm, gn = np.where(Xm[:, 0] > 0, "a", "b"), np.where(Xn[:, 0] > 0, "a", "b")
    kw = {
        "attacks": ("loss_threshold", "shadow"),
        "shadow": ShadowSpec(tree, Xs, ys),
        "n_boot": 50,
        "seed": 4,
    }
    t = membership_audit(ym, pm, yn, pn, gm, gn, **kw)
    assert list(t.columns) == COLUMNS and len(t) == 2 * 3 * 2
    assert set(t["attack"]) == {"loss_threshold", "shadow"}
    assert set(t["metric"]) == {"membership_advantage", "membership_auc"}
    assert set(t["group"]) == {"", "a", "b"}
    assert t[["value", "ci_low", "ci_high"]].notna().all().all()
    pd.testing.assert_frame_equal(t, membership_audit(ym, pm, yn, pn, gm, gn, **kw))
    loss = t[t["attack"] == "loss_threshold"].drop(columns="attack").reset_index(drop=True)
    direct = bootstrap_ci(
        membership_scores(ym, pm), membership_scores(yn, pn), gm, gn, n_boot=50, seed=4
    )
    pd.testing.assert_frame_equal(loss, direct)
    plain = membership_audit(ym, pm, yn, pn, n_boot=0)
    assert plain["group"].tolist() == ["", ""] and plain["ci_low"].isna().all()


# --------------------------------------------------------------------------- bad input


Y, P = np.array([0, 1, 1]), np.array([0.1, 0.8, 0.6])


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((Y, P[:2], Y, P), {}, "different lengths"),
        ((Y, P, np.array([0, 2, 1]), P), {}, "labels must be 0 or 1"),
        ((np.array(["no", "yes", "yes"]), P, Y, P), {}, "labels must be 0 or 1"),
        ((Y, np.array([0.1, 1.2, 0.5]), Y, P), {}, r"in \[0, 1\]"),
        ((Y, np.array([0.1, np.nan, 0.5]), Y, P), {}, r"in \[0, 1\]"),
        ((Y[:0], P[:0], Y, P), {}, "members are empty"),
        ((Y, P, Y, P, ["a", "b", "a"]), {}, "for both members and non-members"),
        ((Y, P, Y, P, ["a", "b"], ["a", "b", "a"]), {}, "one value per example"),
        ((Y, P, Y, P, ["a", None, "b"], ["a", "b", "a"]), {}, "missing values"),
        ((Y, P, Y, P), {"attacks": ("lira",)}, "attacks must be"),
        ((Y, P, Y, P), {"attacks": ("shadow",)}, "needs shadow"),
        ((Y, P, Y, P), {"advantage": "max"}, "advantage must be"),
        ((Y, P, Y, P), {"n_boot": -1}, "n_boot"),
    ],
)
def test_bad_input_raises_one_clear_value_error(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        membership_audit(*args, **kwargs)


def test_bad_scores_and_shadow_sets_raise_value_errors() -> None:
    with pytest.raises(ValueError, match="empty"):
        threshold_attack([], [0.1])
    with pytest.raises(ValueError, match="finite"):
        threshold_attack([np.inf], [0.1])
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="different lengths"):
        fit_shadow_attack(DecisionTreeClassifier(), X, [0, 1, 0])
    with pytest.raises(ValueError, match="two examples of each label"):
        fit_shadow_attack(DecisionTreeClassifier(), X, [0, 1, 1, 1])
    with pytest.raises(ValueError, match="attack_model"):
        fit_shadow_attack(DecisionTreeClassifier(), X, [0, 1, 0, 1], attack_model="svm")
