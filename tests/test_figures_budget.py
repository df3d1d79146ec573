"""The budget ledger figure and the plan's ledgers of whole-record privatizers."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest

from fairldp.config import load_study
from fairldp.figures import study_caption
from fairldp.plan import Plan

STUDY = {
    "study": "t", "results": "results/t", "datasets": ["german"], "seeds": [0],
    "epsilons": [1, 8],
    "privatizers": {
        "grr": {},
        "rec": {"protocol": "grr", "features": "all", "label": "rr",
                "budget_splits": ["uniform", "k_based", "sampling"]},
        "half": {"protocol": "grr", "features": ["duration"], "budget_splits": ["weighted"],
                 "weights": {"duration": 3}},
    },
    "learners": {"lr": {}},
    "figures": {"ledger": {"kind": "budget", "epsilon": 8}},
}  # fmt: skip


def _plan() -> Plan:
    return Plan(load_study(copy.deepcopy(STUDY)))


def test_ledgers_spend_the_total_budget_per_record() -> None:
    rows = pd.DataFrame(_plan().budget_ledgers()["german"])
    assert set(rows["privatizer"]) == {"rec", "half"}  # grr releases no record
    for (priv, split, eps), g in rows.groupby(["privatizer", "budget_split", "epsilon"]):
        if split == "sampling":  # m columns of eps / m: floor(8 / 2.5) = 3, else 1
            m = 3 if eps == 8 else 1
            assert (g["sampled"] == m).all() and g["column_epsilon"].iloc[0] * m == eps
        else:
            assert g["column_epsilon"].sum() == pytest.approx(eps), (priv, split)
    rec = rows[(rows["privatizer"] == "rec") & (rows["budget_split"] == "uniform")]
    assert len(rec) // 2 == 3 + 17 + 1  # 3 sensitive, 17 features, the label; 2 epsilons
    # weighted: duration has 3 of the 3 + 3 (sensitive) weights
    half = rows[(rows["privatizer"] == "half") & (rows["epsilon"] == 1)]
    assert half.set_index("column")["column_epsilon"]["duration"] == pytest.approx(0.5)
    # adp resolved: purpose (k = 10) at eps 8/21 takes OUE (10 >= 3 e^0.38 + 2)
    purpose = rec[(rec["column"] == "purpose") & (rec["epsilon"] == 8)]
    assert purpose["mechanism"].item() == "oue"


def test_budget_figure_draws_the_ledger(tmp_path: Path) -> None:
    plan = _plan()
    fig = plan.study.figures["ledger"].figure
    paths = [tmp_path / "g.png", tmp_path / "g.csv"]
    fig.draw(pd.DataFrame(), paths, {"dataset": "german", "ledgers": plan.budget_ledgers()})
    assert paths[0].stat().st_size > 10_000
    csv = pd.read_csv(paths[1])
    assert set(csv["epsilon"]) == {8.0} and set(csv["budget_split"]) >= {"uniform", "sampling"}
    caption = study_caption(plan.study, "ledger")
    assert "every feature" in caption and "the label (randomized response)" in caption
    fig.draw(pd.DataFrame(), [tmp_path / "none.png"], {"dataset": "german", "ledgers": {}})
    assert (tmp_path / "none.png").exists()


def test_budget_figure_refuses_a_bad_epsilon() -> None:
    bad = copy.deepcopy(STUDY)
    bad["figures"]["ledger"]["epsilon"] = 0
    with pytest.raises(ValueError, match="epsilon must be positive"):
        load_study(bad)
