"""Per-group rates and worst-group metrics (medical fairness) against direct computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_score, recall_score

from fairldp.metrics import GROUP_METRICS, fairness_table, group_table


def _data(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    a = rng.choice(np.array(["f", "m", "x"]), size=n, p=[0.5, 0.4, 0.1])
    s = rng.beta(2, 2, size=n)
    y = (rng.random(n) < s ** np.where(a == "f", 1.5, 1.0)).astype(np.int8)
    yp = (s > np.where(a == "m", 0.4, 0.6)).astype(np.int8)
    seed_col = rng.integers(0, 3, size=n)
    return y, yp, s, a, seed_col


def test_rates_equal_scikit_learn_per_group_and_combination() -> None:
    y, yp, s, a, seed = _data()
    t = group_table(y, yp, s, a, pd.DataFrame({"seed": seed}))
    assert list(t.columns) == list(GROUP_METRICS)
    assert t.index.names == ["seed", "group"] and len(t) == 9
    for (sd, g), row in t.iterrows():
        m = (seed == sd) & (a == g)
        yt, pr = y[m], yp[m]
        assert row["sensitivity"] == pytest.approx(recall_score(yt, pr))
        assert row["false_negative_rate"] == pytest.approx(1 - recall_score(yt, pr))
        assert row["specificity"] == pytest.approx(recall_score(yt, pr, pos_label=0))
        assert row["positive_predictive_value"] == pytest.approx(precision_score(yt, pr))
        assert row["negative_predictive_value"] == pytest.approx(
            precision_score(yt, pr, pos_label=0))
        assert row["selection_rate"] == pytest.approx(pr.mean())
        assert row["base_rate"] == pytest.approx(yt.mean())
        assert row["group_accuracy"] == pytest.approx((yt == pr).mean())
        # ECE with ten equal-width bins, written out bin by bin
        b = np.minimum((s[m] * 10).astype(int), 9)
        ece = sum(abs(yt[b == j].mean() - s[m][b == j].mean()) * (b == j).sum()
                  for j in range(10) if (b == j).any()) / m.sum()
        assert row["expected_calibration_error"] == pytest.approx(ece)
        # calibration slope: unpenalized logistic regression on logit(score)
        x = np.log(s[m] / (1 - s[m]))[:, None]
        fit = LogisticRegression(C=np.inf, tol=1e-12, max_iter=1000).fit(x, yt)
        assert row["calibration_slope"] == pytest.approx(fit.coef_[0, 0], rel=1e-5)


def test_calibrated_scores_have_slope_one_and_small_ece() -> None:
    # y ~ Bern(s): calibrated by construction; slope within 3 SE of 1 (SE from the Fisher
    # information ~ 0.04 at n = 20,000), ECE ~ sqrt(bins / n) ~ 0.02 of binning noise
    rng = np.random.default_rng(3)
    s = rng.uniform(0.02, 0.98, 20_000)
    y = (rng.random(s.size) < s).astype(int)
    t = group_table(y, (s > 0.5).astype(int), s, np.zeros(s.size, int))
    assert abs(t["calibration_slope"].iloc[0] - 1) < 0.12
    assert t["expected_calibration_error"].iloc[0] < 0.03
    # over-confident scores (logit doubled): slope 1/2
    z = np.log(s / (1 - s)) * 2
    t2 = group_table(y, (s > 0.5).astype(int), 1 / (1 + np.exp(-z)), np.zeros(s.size, int))
    assert abs(t2["calibration_slope"].iloc[0] - 0.5) < 0.06


def test_undefined_rates_are_nan_not_a_number() -> None:
    y = np.array([1, 1, 0, 0, 0, 0])
    yp = np.array([1, 0, 0, 0, 1, 0])
    a = np.array(["f", "f", "f", "m", "m", "m"])  # no positive among m
    t = group_table(y, yp, np.full(6, 0.5), a)
    assert np.isnan(t.loc["m", "sensitivity"]) and np.isnan(t.loc["m", "calibration_slope"])
    assert t.loc["f", "sensitivity"] == 0.5
    r = fairness_table(y, yp, a)
    assert np.isnan(r["worst_group_sensitivity"].iloc[0])  # a group without positives
    assert r["worst_group_accuracy"].iloc[0] == pytest.approx(2 / 3)


def test_worst_group_metrics() -> None:
    y, yp, _, a, _ = _data()
    r = fairness_table(y, yp, a).iloc[0]
    tprs = [recall_score(y[a == g], yp[a == g]) for g in "fmx"]
    tnrs = [recall_score(y[a == g], yp[a == g], pos_label=0) for g in "fmx"]
    accs = [(y[a == g] == yp[a == g]).mean() for g in "fmx"]
    assert r["worst_group_sensitivity"] == pytest.approx(min(tprs))
    assert r["worst_group_specificity"] == pytest.approx(min(tnrs))
    assert r["worst_group_accuracy"] == pytest.approx(min(accs))


def test_group_table_checks_its_inputs() -> None:
    y, yp, s, a, _ = _data(100)
    with pytest.raises(ValueError, match="probabilities in"):
        group_table(y, yp, s * 2, a)
    group_table(y, yp, s * 2, a, metrics=("sensitivity",))  # no calibration: any score
    with pytest.raises(ValueError, match="not per-group metrics"):
        group_table(y, yp, s, a, metrics=("accuracy",))
    with pytest.raises(ValueError, match="missing value"):
        group_table(y, yp, s, np.where(a == "f", None, a))


def test_bootstrap_intervals_cover_the_binomial_ones() -> None:
    # a group's sensitivity from m positives: the bootstrap interval's half width is close to
    # 1.96 sqrt(p (1 - p) / m) (within 25%: Monte Carlo error of 500 replicates and the
    # randomness of m), and the value is the plain rate
    from fairldp.metrics import bootstrap_group_table

    y, yp, _, a, _ = _data(6000, seed=4)
    t = bootstrap_group_table(y, yp, a, n_boot=500, random_state=1).set_index(["group", "metric"])
    for g in ("f", "m", "x"):
        m = (a == g) & (y == 1)
        p = yp[m].mean()
        row = t.loc[(g, "sensitivity")]
        assert row["value"] == pytest.approx(p)
        half = (row["high"] - row["low"]) / 2
        assert half == pytest.approx(1.96 * np.sqrt(p * (1 - p) / m.sum()), rel=0.25)
        assert row["low"] <= p <= row["high"]
    again = bootstrap_group_table(y, yp, a, n_boot=500, random_state=1)
    pd.testing.assert_frame_equal(again.set_index(["group", "metric"]), t)  # seeded
    with pytest.raises(ValueError, match="not count-based"):
        bootstrap_group_table(y, yp, a, metrics=("calibration_slope",))
