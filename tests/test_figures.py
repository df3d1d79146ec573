"""Study figures: human labels, titles naming the attribute, fair-value references, merged
identical panels, notes for undefined metrics, lines told apart without colour."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.container import ErrorbarContainer

from fairldp.figures import FIGURE_KINDS, label, study_caption
from fairldp.figures.lines import Lines, undefined_reason
from fairldp.stages.evaluate import METRICS_COLUMNS

FAIRNESS = ("demographic_parity_difference", "demographic_parity_ratio",
            "equal_opportunity_difference")  # fmt: skip
CONTEXT = {"study": "t", "dataset": "german", "learner": "logistic_regression",
           "attribute": "sex", "figure": "f",
           "orders": {"budget_split": ["none", "uniform", "k_based"]}}  # fmt: skip


def _value(metric: str, eps: float, seed: int, shift: float = 0.0) -> float:
    base = 0.9 if metric.endswith("ratio") else 0.8 if metric == "accuracy" else 0.05
    return base + 0.01 * seed + 0.002 * (eps if math.isfinite(eps) else 10) + shift


def metrics_table(splits: tuple[str, ...] = ("uniform", "k_based"), split_shift: float = 0.0,
                  learners: tuple[str, ...] = ("logistic_regression",),
                  privatizers: tuple[str, ...] = ("grr",),
                  metrics: tuple[str, ...] = (*FAIRNESS, "accuracy"),
                  seeds: int = 3) -> pd.DataFrame:  # fmt: skip
    """A tidy metrics table like metrics.parquet: GRR at two budgets (per budget split) and
    the non-private baseline."""
    rows = []
    cells = [("none", "none", "none", math.inf)] + [
        (p, "grr", b, e) for p in privatizers for b in splits for e in (1.0, 4.0)]
    for (priv, proto, split, eps), learner, m, seed in itertools.product(
            cells, learners, metrics, range(seeds)):  # fmt: skip
        shift = split_shift * (split == "k_based") + 0.03 * learners.index(learner) + (
            0.02 * privatizers.index(priv) if priv in privatizers else 0)  # fmt: skip
        rows.append({
            "study": "t", "dataset": "german", "attribute": "sex", "privatizer": priv,
            "protocol": proto, "budget_split": split, "epsilon": eps,
            "representation": "identity", "kind": "identity", "amount": np.nan,
            "learner": learner, "model": "logistic_regression", "method": "none",
            "seed": seed, "audit": "utility" if m == "accuracy" else "fairness_true",
            "metric": m, "value": _value(m, eps, seed, shift),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=METRICS_COLUMNS)


def fairness_figure(**kw: object) -> Lines:
    return FIGURE_KINDS.get("lines")(y=FAIRNESS, col="budget_split", hue="protocol",
                                     files=("dataset", "learner"), **kw)  # fmt: skip


@pytest.fixture(autouse=True)
def _close() -> object:
    yield
    plt.close("all")


def _fair_lines(ax: object) -> list[object]:
    return [ln for ln in ax.lines if ln.get_gid() == "fair_value"]  # type: ignore[attr-defined]


def _legend_texts(fig: object) -> list[str]:
    return [t.get_text() for lg in fig.legends for t in lg.get_texts()]  # type: ignore[attr-defined]


# ----- labels ---------------------------------------------------------------------------------


def test_one_label_mapping_for_every_identifier() -> None:
    from fairldp import labels
    from fairldp.metrics import METRICS

    assert label is labels.label  # re-exported: former imports keep working
    assert label("budget_split", "k_based") == "k-based split"
    assert label("budget_split", "uniform") == "uniform split"
    assert label("learner", "logistic_regression") == "logistic regression"
    assert label("learner", "lightgbm") == "LightGBM"
    assert label("learner", "corrected_postproc_eo") == "corrected post-processing, EO"
    assert label("dataset", "german") == "German credit"
    assert label("protocol", "grr") == "GRR"
    assert label("protocol", "none") == label("privatizer", "none") == "non-private"
    assert label("representation", "quantile_naive") == "quantile repair (naive groups)"
    assert label("audit", "fairness_true") == "fairness on the true attribute"
    # epsilon is written one way
    assert label("epsilon", 1) == label("epsilon", 1.0) == "ε = 1"
    assert label("epsilon", math.inf) == "ε = ∞ (non-private)"
    # the registry's label, for a name or a former name (alias)
    assert label("metric", "accuracy_difference") == METRICS.get("accuracy_score_difference").label
    # unknown identifiers: a readable form, never the raw identifier
    assert label("learner", "my_expgrad_dp") == "my exp. gradient DP"
    assert label("privatizer", "oue_group") == "OUE group"
    assert label("learner", None) == "learner"  # the axis itself
    assert label("learner", float("nan")) == "n/a"


def test_metrics_know_their_fair_value() -> None:
    from fairldp.metrics import METRICS

    assert METRICS.get("demographic_parity_difference").fair_value == 0.0
    assert METRICS.get("demographic_parity_ratio").fair_value == 1.0
    assert METRICS.get("leakage_auc_numeric").fair_value == 0.5
    assert METRICS.get("accuracy").fair_value is None


# ----- the fairness figure ----------------------------------------------------------------------


def test_fairness_figure_names_attribute_and_fixed_choices() -> None:
    fig = fairness_figure().figure(metrics_table(split_shift=0.01), CONTEXT)
    title = fig.get_suptitle()
    assert "fairness measured on the true attribute sex" in title
    assert "German credit" in title and "logistic regression" in title and "GRR" in title
    assert "k_based" not in title and "logistic_regression" not in title
    axes = np.array(fig.axes).reshape(3, 2)
    assert [ax.get_title() for ax in axes[0]] == ["uniform split", "k-based split"]
    assert "ε = ∞ (non-private)" in _legend_texts(fig) and "GRR" in _legend_texts(fig)
    assert any(t.startswith("fair value") for t in _legend_texts(fig))


def test_fair_value_reference_in_every_panel_and_axis() -> None:
    fig = fairness_figure().figure(metrics_table(split_shift=0.01), CONTEXT)
    axes = np.array(fig.axes).reshape(3, 2)
    # differences first, then the ratio: their own rows, y ranges and fair values
    rows = [ax.get_ylabel() for ax in axes[:, 0]]
    assert rows == [label("metric", m) for m in (FAIRNESS[0], FAIRNESS[2], FAIRNESS[1])]
    for ax, fair in zip(axes.ravel(), (0, 0, 0, 0, 1, 1), strict=True):
        lines = _fair_lines(ax)
        assert len(lines) == 1 and lines[0].get_ydata()[0] == fair
        lo, hi = ax.get_ylim()
        assert lo < fair < hi
    # the ratio row does not share the differences' y range
    assert axes[2, 0].get_ylim() != axes[0, 0].get_ylim()
    assert axes[0, 0].get_ylim() == axes[0, 1].get_ylim()  # a row shares its range


def test_identical_budget_splits_are_one_panel_with_a_note() -> None:
    data = metrics_table()  # uniform and k-based splits give the same numbers
    fig = fairness_figure().figure(data, CONTEXT)
    assert len(fig.axes) == 3  # one column
    assert fig.axes[0].get_title() == "uniform split = k-based split: identical"
    # a difference beyond 1e-12 keeps both
    fig2 = fairness_figure().figure(metrics_table(split_shift=1e-9), CONTEXT)
    assert len(fig2.axes) == 6


def test_undefined_metric_is_noted_in_its_panel() -> None:
    data = metrics_table(splits=("uniform",))
    data.loc[data["metric"] == "equal_opportunity_difference", "value"] = np.nan
    fig = fairness_figure().figure(data, CONTEXT)
    notes = {ax.get_ylabel(): [t.get_text() for t in ax.texts] for ax in fig.axes}
    assert notes[label("metric", "equal_opportunity_difference")] == [
        "undefined: a group has no positive labels"]
    assert notes[label("metric", "demographic_parity_difference")] == []
    assert undefined_reason("roc_auc") == "undefined: the test labels have one class"
    assert undefined_reason("f1") == "undefined for every seed"
    # undefined for some seeds only: a small note, the mean over the others
    data = metrics_table(splits=("uniform",))
    data.loc[(data["metric"] == "demographic_parity_ratio") & (data["seed"] == 0), "value"] = (
        np.nan)  # fmt: skip
    fig = fairness_figure().figure(data, CONTEXT)
    ratio = next(ax for ax in fig.axes if ax.get_ylabel() == label("metric", FAIRNESS[1]))
    assert [t.get_text() for t in ratio.texts] == ["3 of 9 values undefined (left out)"]


def test_lines_differ_by_marker_and_capped_error_bars() -> None:
    data = metrics_table(splits=("uniform",), learners=("logistic_regression", "lightgbm"))
    fig = FIGURE_KINDS.get("lines")(y=("accuracy",), hue="learner").figure(data, CONTEXT)
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    private = [c for c in bars if c.lines[0].get_linestyle() == "-"]
    assert len(private) == 2
    markers = {c.lines[0].get_marker() for c in private}
    colours = {c.lines[0].get_color() for c in private}
    assert len(markers) == 2 and len(colours) == 2
    assert all(len(c.lines[1]) == 2 for c in bars)  # caps at both ends
    # the error bars of the two lines are offset along x, not drawn on top of each other
    xs = [c.lines[0].get_xdata()[0] for c in private]
    assert xs[0] != xs[1] and all(abs(math.log(x)) < 0.2 for x in xs)
    texts = _legend_texts(fig)
    assert {"logistic regression", "LightGBM"} <= set(texts)
    # accuracy has no fair value: no reference line
    assert _fair_lines(ax) == []


def test_an_unfaceted_varying_axis_splits_the_lines() -> None:
    data = metrics_table(splits=("uniform",), privatizers=("grr", "oue_group"))
    fig = FIGURE_KINDS.get("lines")(y=("accuracy",), hue="learner").figure(data, CONTEXT)
    texts = _legend_texts(fig)
    # line styles of the two privatizers
    assert "privatizer: GRR" in texts and "privatizer: OUE group" in texts
    styles = {c.lines[0].get_linestyle() for c in fig.axes[0].containers
              if c.lines[0].get_marker() == "o" and c.lines[0].get_mfc() != "white"}  # fmt: skip
    assert len(styles) == 2


def test_identical_lines_are_merged() -> None:
    data = metrics_table(splits=("uniform",))
    twin = data.assign(learner="twin")
    fig = FIGURE_KINDS.get("lines")(y=("accuracy",), hue="learner").figure(
        pd.concat([data, twin]), CONTEXT)  # fmt: skip
    assert "logistic regression = twin (identical)" in _legend_texts(fig)


def test_kinds_of_metric_never_share_a_y_axis() -> None:
    with pytest.raises(ValueError, match="mixes kinds of metric"):
        FIGURE_KINDS.get("lines")(y=FAIRNESS[:2], row=None, hue="metric")
    with pytest.raises(ValueError, match="facet them"):
        FIGURE_KINDS.get("lines")(y=FAIRNESS[:2], row=None, hue="learner")
    # metrics in columns: every panel its own y range and reference
    data = metrics_table(splits=("uniform",))
    fig = FIGURE_KINDS.get("lines")(y=("demographic_parity_difference", "accuracy"), row=None,
                                    col="metric").figure(data, CONTEXT)  # fmt: skip
    dp, acc = fig.axes
    assert dp.get_title() == label("metric", "demographic_parity_difference")
    assert dp.get_ylim()[0] < 0 < dp.get_ylim()[1] and acc.get_ylim()[0] > 0.5


def test_repair_figure_against_amount() -> None:
    data = metrics_table(splits=("uniform",), metrics=("leakage_auc_numeric", "accuracy"))
    data = pd.concat([data.assign(amount=a, representation="quantile_naive", kind="quantile",
                                  value=data["value"] + 0.1 * a) for a in (0.0, 1.0)])
    fig = FIGURE_KINDS.get("lines")(x="amount", y=("leakage_auc_numeric", "accuracy"),
                                    row=None, col="metric", hue="representation",
                                    where={"epsilon": [1, math.inf]}).figure(
        data[data["epsilon"].isin([1.0, math.inf])], CONTEXT)  # fmt: skip
    assert "ε = 1" in fig.get_suptitle()
    assert "leakage: an attacker predicting the true attribute sex" in fig.get_suptitle()
    leak = fig.axes[0]
    assert [ln.get_ydata()[0] for ln in _fair_lines(leak)] == [0.5]
    assert leak.get_xlabel() == "repair amount λ"


def test_a_figure_against_the_label_bias_rate_of_a_sweep() -> None:
    data = metrics_table(splits=("uniform",), metrics=("accuracy",))
    data = pd.concat([data.assign(bias_rate=r, value=data["value"] - 0.2 * r)
                      for r in (0.0, 0.25, 0.5)], ignore_index=True)  # fmt: skip
    fig = FIGURE_KINDS.get("lines")(x="bias_rate", y=("accuracy",), row=None,
                                    where={"epsilon": [1, math.inf]}).figure(
        data[data["epsilon"].isin([1.0, math.inf])], CONTEXT)  # fmt: skip
    ax = fig.axes[0]
    assert ax.get_xlabel() == "label-bias rate" and "ε = 1" in fig.get_suptitle()
    lines = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    # the private line and the non-private one (dashed), each with a point per rate, falling
    assert len(lines) == 2
    for c in lines:
        y = c.lines[0].get_ydata()
        assert len(y) == 3 and y[0] > y[1] > y[2]
    # a sweep's levels left off the x axis split the lines: each is drawn, not averaged
    fig = FIGURE_KINDS.get("lines")(y=("accuracy",), row=None).figure(data, CONTEXT)
    texts = _legend_texts(fig)
    assert any("label bias 0.25" in t for t in texts)


# ----- captions and files ---------------------------------------------------------------------


def test_captions_name_the_attribute_and_the_leakage_protocol(repo: Path) -> None:
    from fairldp.config import load_study

    study = load_study(repo / "config" / "studies" / "default.yaml", project=repo)
    fairness = study_caption(study, "fairness")
    assert "true attribute sex" in fairness and "k-based split" in fairness
    assert "LightGBM and logistic regression" in fairness and "20 seeds" in fairness
    repair = study_caption(study, "repair_amount")
    assert ("held-out AUC of an attacker predicting the true attribute from the repaired "
            "numeric features, cross-fitted: the repair maps fitted on the training rows, the "
            "attacker fitted on four folds of the test rows and measured on the fifth") in repair
    assert "0.5 = no leakage" in repair and "{" not in repair  # braces: Snakemake patterns
    custom = FIGURE_KINDS.get("lines")(caption="Mine.")
    assert custom.describe().startswith("Accuracy")  # the kind's text when none is given


def test_draw_writes_png_and_pdf_with_caption(tmp_path: Path) -> None:
    paths = [tmp_path / "f" / "german.png", tmp_path / "f" / "german.pdf"]
    fairness_figure().draw(metrics_table(), paths, {**CONTEXT, "caption": "What it shows."})
    assert all(p.stat().st_size > 1000 for p in paths)
    from PIL import Image

    assert Image.open(paths[0]).info.get("Description") == "What it shows."
