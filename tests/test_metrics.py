"""Metrics against small cases computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fairldp.metrics import fairness_metrics, utility_metrics

# group a: y    = 1 1 0 0   yhat = 1 0 1 0  -> TPR 1/2, FPR 1/2, sel 2/4, acc 2/4
# group b: y    = 1 1 1 0   yhat = 1 1 1 1  -> TPR 1,   FPR 1,   sel 4/4, acc 3/4
Y = np.array([1, 1, 0, 0, 1, 1, 1, 0])
YHAT = np.array([1, 0, 1, 0, 1, 1, 1, 1])
A = np.array(["a"] * 4 + ["b"] * 4)


def test_fairness_by_hand() -> None:
    m = fairness_metrics(Y, YHAT, A)
    assert m["demographic_parity_difference"] == pytest.approx(1 - 0.5)
    assert m["demographic_parity_ratio"] == pytest.approx(0.5 / 1)
    assert m["equal_opportunity_difference"] == pytest.approx(1 - 0.5)
    assert m["false_positive_rate_difference"] == pytest.approx(1 - 0.5)
    assert m["equalized_odds_difference"] == pytest.approx(0.5)
    assert m["accuracy_score_difference"] == pytest.approx(0.75 - 0.5)


def test_three_groups_use_the_largest_gap() -> None:
    a = np.array(["a", "a", "b", "b", "c", "c"])
    y = np.array([1, 0, 1, 0, 1, 0])
    yhat = np.array([1, 0, 1, 1, 0, 0])  # selection rates 1/2, 1, 0
    m = fairness_metrics(y, yhat, a)
    assert m["demographic_parity_difference"] == pytest.approx(1.0)
    assert m["demographic_parity_ratio"] == pytest.approx(0.0)


def test_undefined_rate_gives_nan_not_a_number() -> None:
    a = np.array(["a", "a", "b", "b"])
    y = np.array([1, 0, 0, 0])  # group b has no positives: its TPR is undefined
    yhat = np.array([1, 0, 1, 0])
    m = fairness_metrics(y, yhat, a)
    assert math.isnan(m["equal_opportunity_difference"])
    assert math.isnan(m["equalized_odds_difference"])
    assert m["false_positive_rate_difference"] == pytest.approx(0.5)


def test_utility_by_hand() -> None:
    score = np.array([0.9, 0.4, 0.6, 0.1, 0.8, 0.7, 0.95, 0.55])
    u = utility_metrics(Y, YHAT, score)
    assert u["accuracy"] == pytest.approx(5 / 8)
    # TPR = 4/5 (one positive missed), TNR = 1/3 (one negative of three kept at 0)
    assert u["balanced_accuracy"] == pytest.approx((4 / 5 + 1 / 3) / 2)
    # precision 4/6, recall 4/5
    assert u["f1"] == pytest.approx(2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5))
    # AUC: pairs (pos, neg) ranked correctly; positives .9 .4 .8 .7 .95, negatives .6 .1 .55
    pos, neg = score[Y == 1], score[Y == 0]
    assert u["roc_auc"] == pytest.approx(np.mean(pos[:, None] > neg[None, :]))


def test_same_numbers_as_fairlearns_named_functions() -> None:
    from fairlearn.metrics import (
        accuracy_score_difference,
        demographic_parity_difference,
        demographic_parity_ratio,
        equal_opportunity_difference,
        equalized_odds_difference,
        false_positive_rate_difference,
    )

    rng = np.random.default_rng(0)
    y, yhat, a = rng.integers(0, 2, 500), rng.integers(0, 2, 500), rng.integers(0, 3, 500)
    kw = {"sensitive_features": a}
    m = fairness_metrics(y, yhat, a)
    assert m["demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(y, yhat, **kw)
    )
    assert m["demographic_parity_ratio"] == pytest.approx(demographic_parity_ratio(y, yhat, **kw))
    assert m["equal_opportunity_difference"] == pytest.approx(
        equal_opportunity_difference(y, yhat, **kw)
    )
    assert m["equalized_odds_difference"] == pytest.approx(equalized_odds_difference(y, yhat, **kw))
    assert m["false_positive_rate_difference"] == pytest.approx(
        false_positive_rate_difference(y, yhat, **kw)
    )
    assert m["accuracy_score_difference"] == pytest.approx(accuracy_score_difference(y, yhat, **kw))


def test_table_with_controls_matches_one_call_per_combination() -> None:
    import pandas as pd

    from fairldp.metrics import fairness_table

    rng = np.random.default_rng(1)
    n = 3000
    by = pd.DataFrame({"seed": rng.integers(0, 3, n), "model": rng.choice(["lgbm", "lr"], n)})
    y, yhat, a = rng.integers(0, 2, n), rng.integers(0, 2, n), rng.choice(["f", "m", "x"], n)
    y[(by["seed"] == 2).to_numpy() & (a == "x")] = 0  # group x has no positives when seed = 2
    table = fairness_table(y, yhat, a, by)
    assert len(table) == 6
    for (seed, model), row in table.iterrows():
        mask = ((by["seed"] == seed) & (by["model"] == model)).to_numpy()
        expected = fairness_metrics(y[mask], yhat[mask], a[mask])
        assert row.to_dict() == pytest.approx(expected, nan_ok=True)
        assert math.isnan(row["equal_opportunity_difference"]) == (seed == 2)


def test_utility_table_matches_scikit_learn_per_combination() -> None:
    import pandas as pd

    from fairldp.metrics import utility_table

    rng = np.random.default_rng(2)
    n = 2000
    by = pd.DataFrame({"seed": rng.integers(0, 4, n)})
    y = rng.integers(0, 2, n)
    score = np.round(rng.random(n) * 0.5 + 0.3 * y, 2)  # rounded: ties in the scores
    yhat = (score >= 0.5).astype(int)
    y[(by["seed"] == 3).to_numpy()] = 1  # one class only: AUC and balanced accuracy undefined
    table = utility_table(y, yhat, score, by)
    for (seed,), row in table.iterrows():
        mask = (by["seed"] == seed).to_numpy()
        if seed == 3:
            assert math.isnan(row["roc_auc"]) and math.isnan(row["balanced_accuracy"])
            assert row["accuracy"] == pytest.approx(np.mean(yhat[mask] == 1))
            continue
        assert row.to_dict() == pytest.approx(utility_metrics(y[mask], yhat[mask], score[mask]))


def test_signed_differences_show_the_direction() -> None:
    # reference b: a's selection rate 1/2 is 1/2 below b's 1, its TPR, FPR and accuracy too
    m = fairness_metrics(Y, YHAT, A, reference="b")
    assert m["demographic_parity_difference_signed"] == pytest.approx(-0.5)
    assert m["equal_opportunity_difference_signed"] == pytest.approx(-0.5)
    assert m["false_positive_rate_difference_signed"] == pytest.approx(-0.5)
    assert m["accuracy_score_difference_signed"] == pytest.approx(-0.25)
    assert m["equalized_odds_difference_signed"] == pytest.approx(-0.5)
    flipped = fairness_metrics(Y, YHAT, A, reference="a")
    assert flipped["demographic_parity_difference_signed"] == pytest.approx(+0.5)
    # unsigned values are the magnitudes; without a reference no signed metric is reported
    assert m["demographic_parity_difference"] == pytest.approx(0.5)
    assert "demographic_parity_difference_signed" not in fairness_metrics(Y, YHAT, A)
    # three groups: the group farthest from the reference sets the sign
    a3 = np.array(["r", "r", "b", "b", "c", "c"])
    m3 = fairness_metrics(np.array([1, 0] * 3), np.array([1, 0, 1, 1, 0, 0]), a3, reference="r")
    assert m3["demographic_parity_difference_signed"] == pytest.approx(-0.5)  # c: 0 vs 1/2
    with pytest.raises(ValueError, match="reference group 'z' is not among"):
        fairness_metrics(Y, YHAT, A, reference="z")


def test_old_names_are_aliases() -> None:
    from fairldp.metrics import METRICS

    assert METRICS.resolve("predictive_equality_difference") == "false_positive_rate_difference"
    assert METRICS.get("accuracy_difference").name == "accuracy_score_difference"
    assert "accuracy_difference" not in METRICS.names()
    # a figure naming a former metric draws the renamed metric's rows
    from fairldp.figures import FIGURE_KINDS

    fig = FIGURE_KINDS.get("lines")(y=("accuracy_difference",),
                                    where={"metric": ["predictive_equality_difference"]})  # fmt: skip
    assert fig.y == ("accuracy_score_difference",)
    assert fig.where == {"metric": ["false_positive_rate_difference"]}


@pytest.mark.parametrize(
    ("y", "yhat", "a", "match"),
    [
        (Y + 1, YHAT, A, r"y_true must be binary .* found \[2\]"),  # classes {1, 2}
        (Y.astype(str), YHAT, A, "y_true must be numeric or boolean"),  # '0'/'1' strings
        (Y, YHAT * 0.7, A, r"y_pred must be binary .*scores\? pass them as y_score"),
        (Y, YHAT, np.array(["a", None] * 4, dtype=object), "missing value"),
        (Y, YHAT, np.array([0.0, np.nan] * 4), "missing value"),
        (Y[:0], YHAT[:0], A[:0], "no rows"),
        (Y, YHAT[:-1], A, "one length"),
    ],
)
def test_bad_inputs_raise_instead_of_a_number(y, yhat, a, match) -> None:
    with pytest.raises(ValueError, match=match):
        fairness_metrics(y, yhat, a)


def test_utility_inputs_are_checked() -> None:
    score = np.linspace(0, 1, Y.size)
    with pytest.raises(ValueError, match="y_true must be binary"):
        utility_metrics(Y + 1, YHAT, score)
    with pytest.raises(ValueError, match="y_score contains NaN"):
        utility_metrics(Y, YHAT, np.where(Y == 1, np.nan, 0.5))
    assert utility_metrics(Y.astype(bool), YHAT.astype(bool), score) == utility_metrics(
        Y, YHAT, score
    )
