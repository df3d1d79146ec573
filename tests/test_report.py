"""The summary stage of the report (fairldp.stages.report): reference budget, figure families,
the study overview, the headline table and the files it writes."""

from __future__ import annotations

import gzip
import io
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fairldp.config import load_study
from fairldp.io import write_parquet
from fairldp.plan import Plan
from fairldp.stages.evaluate import METRICS_COLUMNS
from fairldp.stages.report import (
    HEADLINE_COLUMNS,
    figure_family,
    headline_table,
    reference_epsilon,
    study_overview,
    summary,
)


@pytest.mark.parametrize(("epsilons", "expected"), [
    ([0.5, 1, 2, 4, 8], 1.0), ([1], 1.0), ([0.5, 2, 4, 8], 2.0), ([8, 0.5, 2], 2.0), ([3], 3.0),
    ([], math.inf),
])  # fmt: skip
def test_reference_epsilon_is_one_else_the_median(epsilons: list[float], expected: float) -> None:
    assert reference_epsilon(epsilons) == expected


def test_figure_family_names() -> None:
    assert figure_family("fairness", SimpleNamespace(x="epsilon")) == "Fairness vs ε"
    assert figure_family("fair_methods", SimpleNamespace(x="epsilon")) == "Fair methods vs ε"
    assert figure_family("repair_amount", SimpleNamespace(x="amount")) == "Repair vs amount λ"
    assert figure_family("repair_epsilon", SimpleNamespace(x="epsilon")) == "Repair vs ε"
    assert figure_family("x", SimpleNamespace(x="epsilon", title="My title")) == "My title"


def test_overview_of_the_test_study(repo: Path) -> None:
    study = load_study(repo / "config" / "studies" / "test.yaml")
    ov = study_overview(study, {"fairness": "2. Fairness vs ε"})
    assert ov["study"] == "test" and ov["reference_epsilon"] == 1.0
    assert [r["name"] for r in ov["runs"]] == ["budget_splits", "fair_learning", "repair"]
    assert ov["runs"][0]["privatizers"] == ["none", "grr", "oue"]
    assert ov["privatizers"]["none"]["private"] is False
    assert ov["privatizers"]["grr"]["budget_splits"] == ["uniform", "k_based"]
    assert ov["datasets"] == {"german": "sex"}
    assert ov["figures"][0] == {"name": "fairness", "category": "2. Fairness vs ε",
                                "y": list(study.figures["fairness"].figure.y),
                                "runs": ["budget_splits"]}  # fmt: skip
    assert ov["representations"]["quantile_naive"]["amounts"] == [0.0, 1.0]


def _metrics(seeds: int = 5) -> pd.DataFrame:
    """A small tidy metrics table: the non-private baseline and GRR at ε = 1 and 4 (identity,
    logistic regression), and a repaired representation with three amounts."""
    rng = np.random.default_rng(0)
    rows = []
    cells = [("none", "none", "none", math.inf, "identity", math.nan),
             *(("grr", "grr", "uniform", e, "identity", math.nan) for e in (1.0, 4.0)),
             *(("grr", "grr", "uniform", 1.0, "quantile_naive", a) for a in (0.0, 0.5, 1.0))]
    for priv, proto, split, eps, rep, amount in cells:
        for seed in range(seeds):
            for audit, metric in (("utility", "accuracy"), ("utility", "f1"),
                                  ("fairness_true", "demographic_parity_difference"),
                                  ("fairness_privatized", "demographic_parity_difference"),
                                  ("fairness_true", "equalized_odds_difference")):
                rows.append({"study": "s", "dataset": "german", "attribute": "sex",
                             "privatizer": priv, "protocol": proto, "budget_split": split,
                             "epsilon": eps, "representation": rep,
                             "kind": "identity" if rep == "identity" else "quantile",
                             "amount": amount, "learner": "logistic_regression",
                             "model": "logistic_regression", "method": "none", "seed": seed,
                             "audit": audit, "metric": metric, "value": rng.uniform()})
    return pd.DataFrame(rows, columns=METRICS_COLUMNS)  # fmt: skip


OVERVIEW = {
    "study": "s",
    "datasets": {"german": "sex"},
    "seeds": [0, 1, 2, 3, 4],
    "epsilons": [1.0, 4.0],
    "reference_epsilon": 1.0,
    "runs": [
        {"name": "main", "datasets": ["german"], "privatizers": ["none", "grr"],
         "epsilons": [1.0, 4.0], "representations": ["identity"],
         "learners": ["logistic_regression"], "seeds": [0, 1, 2, 3, 4],
         "audits": ["utility", "fairness_true"]},
        {"name": "repair", "datasets": ["german"], "privatizers": ["grr"],
         "epsilons": [1.0, 4.0], "representations": ["quantile_naive"],
         "learners": ["logistic_regression"], "seeds": [0, 1, 2, 3, 4],
         "audits": ["utility", "fairness_true"]},
    ],
    "privatizers": {
        "none": {"protocol": "none", "budget_splits": ["none"], "attributes": "all",
                 "test": "clean", "private": False},
        "grr": {"protocol": "grr", "budget_splits": ["uniform"], "attributes": "all",
                "test": "clean", "private": True},
    },
    "representations": {"identity": {"kind": "identity", "drop_group": False},
                        "quantile_naive": {"kind": "quantile", "groups": "naive",
                                           "amounts": [0.0, 0.5, 1.0]}},
    "learners": {"logistic_regression": {"model": "logistic_regression", "method": "none",
                                         "params": {}}},
    "figures": [{"name": "fig", "category": "2. Fig vs ε", "y": ["f1", "equalized_odds_difference",
                                                                "demographic_parity_difference"],
                 "runs": ["main"]}],
}  # fmt: skip


def test_headline_table_selects_and_summarizes() -> None:
    df = _metrics()
    table = headline_table(df, OVERVIEW, {"privatizer": ["none", "grr"]})
    assert list(table.columns) == HEADLINE_COLUMNS
    # accuracy and the first fairness metric of the figures (not f1, not the privatized audit)
    assert set(zip(table["audit"], table["metric"], strict=True)) == {
        ("utility", "accuracy"), ("fairness_true", "equalized_odds_difference")}
    # the reference budget (and the non-private one), never ε = 4; amounts: smallest, largest
    assert set(table["epsilon"]) == {1.0, math.inf}
    main = table[table["run"] == "main"]
    assert list(main["privatizer"]) == ["none", "none", "grr", "grr"]  # non-private first
    repair = table[table["run"] == "repair"]
    assert sorted(repair["amount"].unique()) == [0.0, 1.0]
    # mean and the 95% Student-t interval over the seeds
    row = main[(main["privatizer"] == "grr") & (main["metric"] == "accuracy")].iloc[0]
    v = df[(df["privatizer"] == "grr") & (df["epsilon"] == 1.0) & (df["metric"] == "accuracy")
           & (df["representation"] == "identity")]["value"]  # fmt: skip
    half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    assert row["mean"] == pytest.approx(v.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((v.mean() - half, v.mean() + half))
    assert row["n_seeds"] == 5 and row["attribute"] == "sex"


def test_summary_writes_the_page_the_fragment_and_the_tables(tmp_path: Path) -> None:
    df = _metrics()
    write_parquet(df, tmp_path / "metrics.parquet")
    out = {k: tmp_path / name for k, name in (("html", "summary.html"), ("home", "home.html"),
                                               ("table", "headline.csv"),
                                               ("data", "metrics.csv.gz"))}  # fmt: skip
    summary(metrics=str(tmp_path / "metrics.parquet"), overview=OVERVIEW,
            orders={"privatizer": ["none", "grr"]}, **{k: str(v) for k, v in out.items()})
    page = out["html"].read_text()
    home = out["home"].read_text()
    assert page.startswith("<!DOCTYPE html>") and "Study s: summary" in page
    assert not home.startswith("<!DOCTYPE") and "<style>" in home
    for text in (page, home):
        assert "What was run" in text and "Headline results" in text
        assert "Equalized odds diff." in text and "ε = 1" in text
    table = pd.read_csv(out["table"])
    assert len(table) == len(headline_table(df, OVERVIEW))
    back = pd.read_csv(io.BytesIO(gzip.decompress(out["data"].read_bytes())))
    assert len(back) == len(df) and np.allclose(back["value"], df["value"], rtol=0, atol=0)
    # the same metrics give the same bytes (no timestamp in the gzip header)
    first = out["data"].read_bytes()
    summary(metrics=str(tmp_path / "metrics.parquet"), overview=OVERVIEW,
            orders={}, **{k: str(v) for k, v in out.items()})
    assert out["data"].read_bytes() == first


def test_plan_orders_are_accepted(repo: Path) -> None:
    """The rule passes Plan.orders() (axis -> values) as ``orders``."""
    study = load_study(repo / "config" / "studies" / "test.yaml")
    orders = Plan(study).orders()
    table = headline_table(_metrics(), OVERVIEW, orders)
    assert not table.empty
