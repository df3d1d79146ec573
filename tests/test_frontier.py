"""Fronts, hypervolumes and their seed bootstrap (fairldp.frontier), the frontier figure kind,
and the levelling-down audit against a reference representation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairldp.figures import FIGURE_KINDS
from fairldp.frontier import hypervolume, hypervolume_table, pareto_front
from fairldp.levelling import levelling_down


def test_hypervolume_is_the_area_of_the_staircase() -> None:
    # two points in the box u >= 0.5, f <= 0.5: rectangles [0.5, 0.8] x [0.1, 0.5] and
    # [0.5, 0.7] x [0.05, 0.5]; union = 0.3 * 0.4 + 0.2 * 0.05
    assert hypervolume([0.8, 0.7], [0.1, 0.05], (0.5, 0.5)) == pytest.approx(0.13)
    # a dominated point adds nothing; a point outside the box adds nothing; NaN is left out
    assert hypervolume([0.8, 0.7, 0.75, 0.9, np.nan], [0.1, 0.05, 0.2, 0.6, 0.0],
                       (0.5, 0.5)) == pytest.approx(0.13)  # fmt: skip
    batch = hypervolume(np.array([[0.8, 0.7], [0.6, 0.6]]), np.array([[0.1, 0.05], [0.5, 0.5]]),
                        (0.5, 0.5))  # fmt: skip
    assert batch.shape == (2,) and batch[1] == 0.0


def test_hypervolume_against_a_monte_carlo_area() -> None:
    """Random point sets: the exact area against the fraction of 200,000 uniform points of the
    box [0.5, 1] x [0, 0.5] that some point dominates (binomial SE <= 0.25 * 0.0011)."""
    rng = np.random.default_rng(0)
    for _ in range(5):
        u, f = rng.uniform(0.5, 1.0, 6), rng.uniform(0.0, 0.5, 6)
        q = rng.uniform(size=(200_000, 2)) * [0.5, 0.5] + [0.5, 0.0]
        dominated = ((q[:, None, 0] <= u) & (q[:, None, 1] >= f)).any(axis=1)
        mc = 0.25 * dominated.mean()
        assert hypervolume(u, f, (0.5, 0.5)) == pytest.approx(mc, abs=4 * 0.25 * 0.0011)


def _metrics(n_seeds: int = 8) -> pd.DataFrame:
    """Two methods on one panel: 'good' (points (0.8, 0.05), (0.85, 0.1)) and 'bad' (0.7, 0.2),
    each seed's value the truth plus N(0, 0.01)."""
    rng = np.random.default_rng(1)
    rows = []
    for rep, amount, auc, eo in (("enc", 0.5, 0.8, 0.05), ("enc", 1.0, 0.85, 0.1),
                                 ("identity", np.nan, 0.7, 0.2)):  # fmt: skip
        for s in range(n_seeds):
            for audit, metric, v in (("utility", "roc_auc", auc),
                                     ("fairness_true", "equalized_odds_difference", eo)):
                rows.append({"dataset": "d", "epsilon": 1.0, "privatizer": "grr",
                             "representation": rep, "amount": amount, "learner": "lr",
                             "seed": s, "group": "", "audit": audit, "metric": metric,
                             "value": v + rng.normal(0, 0.01)})  # fmt: skip
    return pd.DataFrame(rows)


def test_hypervolume_table_with_bootstrap_intervals() -> None:
    df = _metrics()
    methods = {"good": {"representation": ["enc"]}, "bad": {"representation": ["identity"]}}
    t = hypervolume_table(df, utility="roc_auc", unfairness="equalized_odds_difference",
                          methods=methods, n_boot=400)  # fmt: skip
    good, bad = (t[t["method"] == m].iloc[0] for m in ("good", "bad"))
    # truth: 0.35 * 0.4 + 0.3 * 0.05 = 0.155 for good, 0.2 * 0.3 = 0.06 for bad
    assert good["points"] == 2 and good["seeds"] == 8
    assert good["ci_low"] <= good["hypervolume"] <= good["ci_high"]
    assert good["ci_low"] < 0.155 < good["ci_high"] and bad["ci_low"] < 0.06 < bad["ci_high"]
    assert good["ci_low"] > bad["ci_high"]
    again = hypervolume_table(df, utility="roc_auc", unfairness="equalized_odds_difference",
                              methods=methods, n_boot=400)  # fmt: skip
    pd.testing.assert_frame_equal(t, again)  # the bootstrap stream is seeded


def test_frontier_figure_and_table(tmp_path) -> None:
    df = _metrics()
    kind = FIGURE_KINDS.get("frontier")(methods={"ours": {"representation": ["enc"]},
                                                 "identity": {"representation": ["identity"]}},
                                        n_boot=200)  # fmt: skip
    kind.draw(df, [tmp_path / "f.png", tmp_path / "f.csv"], {"dataset": "d"})
    assert (tmp_path / "f.png").stat().st_size > 10_000
    t = pd.read_csv(tmp_path / "f.csv")
    assert set(t["method"]) == {"ours", "identity"} and "ci_high" in t
    assert "strictly_levelled_down_points" not in t  # no reference given
    with pytest.raises(ValueError, match="methods"):
        FIGURE_KINDS.get("frontier")()
    with pytest.raises(ValueError, match="not an axis"):
        FIGURE_KINDS.get("frontier")(methods={"m": {"model_name": ["x"]}})
    with pytest.raises(ValueError, match="reference"):
        FIGURE_KINDS.get("frontier")(methods={"m": {"learner": ["x"]}}, reference={"lr": "x"})


def test_front_is_shared_with_the_pareto_figure() -> None:
    from fairldp.figures import pareto

    assert pareto.pareto_front is pareto_front


def _rates() -> pd.DataFrame:
    """Per-group sensitivity: the reference (identity/lr) at 0.6 for both groups; the encoder at
    amount 1 lowers group 'b' to 0.4 (levelling down), at amount 0.5 changes nothing."""
    rng = np.random.default_rng(2)
    rows = []
    cell = {"dataset": "d", "attribute": "sex", "bias_rate": np.nan, "privatizer": "grr",
            "protocol": "grr", "budget_split": "uniform", "epsilon": 1.0, "learner": "lr",
            "audit": "group_rates", "metric": "sensitivity"}  # fmt: skip
    for rep, kind, amount, rate_b in (("identity", "identity", np.nan, 0.6),
                                      ("enc", "fair_encoder", 0.5, 0.6),
                                      ("enc", "fair_encoder", 1.0, 0.4)):  # fmt: skip
        for s in range(6):
            for g, v in (("a", 0.6), ("b", rate_b)):
                rows.append({**cell, "representation": rep, "kind": kind, "amount": amount,
                             "seed": s, "group": g, "value": v + rng.normal(0, 0.01)})
    return pd.DataFrame(rows)


def test_levelling_down_against_a_reference_representation() -> None:
    out = levelling_down(_rates(), "lr", ["sensitivity"], reference_representation="identity")
    worse = out[out["worse"]]
    assert set(zip(worse["amount"], worse["group"], strict=True)) == {(1.0, "b")}
    assert set(out["representation"]) == {"enc"}
    with pytest.raises(ValueError, match="no per-group rates on representation"):
        levelling_down(_rates(), "lr", ["sensitivity"], reference_representation="ot")


def test_frontier_table_counts_the_points_that_level_down() -> None:
    """The encoder's amount 1 lowers group b's sensitivity (not a's): one of its two points
    makes a group worse, none makes every group worse."""
    data = pd.concat([_metrics(6), _rates()], ignore_index=True)
    kind = FIGURE_KINDS.get("frontier")(methods={"ours": {"representation": ["enc"]}},
                                        reference={"learner": "lr",
                                                   "representation": "identity"},
                                        rates=("sensitivity",), n_boot=50)  # fmt: skip
    row = kind.numbers(data).iloc[0]
    assert (row["audited_points"], row["levelled_down_points"],
            row["strictly_levelled_down_points"]) == (2, 1, 0)  # fmt: skip
    assert row["made_worse"] == "b: sensitivity at enc@1/lr"


def test_unfairness_is_read_on_the_true_group_and_duplicates_are_refused() -> None:
    df = _metrics()
    methods = {"good": {"representation": ["enc"]}}
    base = hypervolume_table(df, utility="roc_auc", unfairness="equalized_odds_difference",
                             methods=methods, n_boot=50)  # fmt: skip
    released = df[df["audit"] == "fairness_true"].assign(audit="fairness_privatized",
                                                         value=0.0)  # fmt: skip
    with_released = hypervolume_table(pd.concat([df, released]), utility="roc_auc",
                                      unfairness="equalized_odds_difference", methods=methods,
                                      n_boot=50)  # fmt: skip
    pd.testing.assert_frame_equal(base, with_released)  # the released group's rows are ignored
    twice = pd.concat([df, df.assign(budget_split="k_based")])
    with pytest.raises(ValueError, match="several rows per point and seed"):
        hypervolume_table(twice, utility="roc_auc", unfairness="equalized_odds_difference",
                          methods=methods, n_boot=50)  # fmt: skip
