"""fairldp.reproduce: our metrics beside published numbers, in standard errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairldp.config import ConfigError, load_study
from fairldp.reproduce import PUBLISHED_COLUMNS, compare, markdown, read_published

REPO = Path(__file__).resolve().parents[1]
SPEC = {
    "paper": "p",
    "datasets": {"adult": "Adult"},
    "method": "{protocol};split={budget_split}",
    "values": {"protocol": {"grr": "GRR"}},
    "baseline": "NonDP",
    "metrics": {"accuracy": "acc", "demographic_parity_difference": "|SPD|"},
}


def _metrics() -> pd.DataFrame:
    """Two seeds of a non-private and a GRR cell: accuracy 0.80/0.82 -> 0.78/0.79, SPD 0.20/0.22
    -> 0.10/0.12."""
    rows = []
    for seed, (acc0, acc1, spd0, spd1) in enumerate([(0.80, 0.78, 0.20, 0.10),
                                                     (0.82, 0.79, 0.22, 0.12)]):  # fmt: skip
        for priv, eps, split, acc, spd in (("none", math.inf, "none", acc0, spd0),
                                           ("grr", 1.0, "uniform", acc1, spd1)):  # fmt: skip
            for metric, value in (("accuracy", acc), ("demographic_parity_difference", spd),
                                  ("f1", 0.5)):  # fmt: skip
                rows.append({"dataset": "adult", "privatizer": priv, "protocol": priv,
                             "budget_split": split, "epsilon": eps, "learner": "lgbm",
                             "representation": "identity", "amount": np.nan,
                             "audit": "utility", "seed": seed, "metric": metric,
                             "value": value})  # fmt: skip
    return pd.DataFrame(rows)


def _published(tmp_path: Path) -> Path:
    rows = [
        ("p", "s", "Adult", "NonDP", "inf", "acc", 0.81, 0.01, "yes", ""),
        ("p", "s", "Adult", "NonDP", "inf", "SPD", -0.30, 0.01, "yes", ""),
        ("p", "s", "Adult", "GRR;split=uniform", "1", "acc", 0.70, 0.01, "yes", ""),
        ("p", "s", "Adult", "GRR;split=uniform", "1", "SPD", -0.15, "", "no", ""),
        ("p", "s", "Adult", "GRR;split=k_based", "1", "acc", 0.70, 0.01, "yes", ""),
        ("q", "s", "Adult", "NonDP", "inf", "acc", 0.5, 0.01, "yes", ""),
        ("p", "s", "Adult", "theory", "", "eps*", 0.85, "", "yes", ""),
    ]
    path = tmp_path / "published.csv"
    pd.DataFrame(rows, columns=list(PUBLISHED_COLUMNS)).to_csv(path, index=False)
    return path


def test_levels_changes_and_relative_changes(tmp_path: Path) -> None:
    pub = read_published(str(_published(tmp_path)), "p")
    assert len(pub) == 5  # the other paper and the row without a budget are left out
    t = compare(_metrics(), pub, SPEC).set_index(["quantity", "method", "metric"])
    lvl = t.loc[("level", "GRR;split=uniform", "accuracy")]
    assert lvl["ours"] == pytest.approx(0.785) and lvl["n"] == 2
    assert lvl["ours_se"] == pytest.approx(np.std([0.78, 0.79], ddof=1) / np.sqrt(2))
    assert lvl["z"] == pytest.approx((0.785 - 0.70) / np.hypot(lvl["ours_se"], 0.01))
    assert not lvl["within"]
    base = t.loc[("level", "NonDP", "accuracy")]
    assert base["ours"] == pytest.approx(0.81) and base["within"]  # z = 0
    # |SPD|: our unsigned difference against the absolute value of theirs; no SE of theirs
    spd = t.loc[("level", "GRR;split=uniform", "demographic_parity_difference")]
    assert spd["published"] == pytest.approx(0.15) and spd["exact"] == "no"
    assert spd["z"] == pytest.approx((0.11 - 0.15) / spd["ours_se"])
    # changes paired by seed: ours (-0.02, -0.03); theirs 0.70 - 0.81 with SEs combined
    ch = t.loc[("change", "GRR;split=uniform", "accuracy")]
    assert ch["ours"] == pytest.approx(-0.025)
    assert ch["ours_se"] == pytest.approx(np.std([-0.02, -0.03], ddof=1) / np.sqrt(2))
    assert ch["published"] == pytest.approx(-0.11)
    assert ch["published_se"] == pytest.approx(np.hypot(0.01, 0.01))
    rel = t.loc[("relative", "GRR;split=uniform", "demographic_parity_difference")]
    assert rel["ours"] == pytest.approx(np.mean([0.10 / 0.20 - 1, 0.12 / 0.22 - 1]))
    assert rel["published"] == pytest.approx(-0.5)
    assert ("level", "GRR;split=k_based", "accuracy") not in t.index  # no cell of ours
    assert "f1" not in set(t.index.get_level_values("metric"))  # not mapped
    page = markdown(compare(_metrics(), pub, SPEC), SPEC, "A paper")
    assert page.startswith("# A paper") and "| Adult | " in page and "≈ 0.150" in page


def test_clear_errors(tmp_path: Path) -> None:
    path = str(_published(tmp_path))
    with pytest.raises(ValueError, match=r"no paper 'pp'.*did you mean 'p'"):
        read_published(path, "pp")
    pub = read_published(path, "p")
    with pytest.raises(ValueError, match="names 'protokol'"):
        compare(_metrics(), pub, {**SPEC, "method": "{protokol}"})
    with pytest.raises(ValueError, match="selects no row"):
        compare(_metrics(), pub, {**SPEC, "where": {"learner": ["svm"]}})


def test_study_key_is_checked_at_load(tmp_path: Path) -> None:
    study = load_study(REPO / "config" / "studies" / "arcolezi2023.yaml", workdir=REPO)
    assert study.reproduction["paper"] == "arcolezi2023_dbsec"
    assert study.reproduction["published"] == "docs/reproductions/published.csv"
    raw = {"study": "t", "results": "results/t", "datasets": ["german"], "seeds": [0],
           "epsilons": [1], "privatizers": {"grr": {}}, "learners": {"lr": {}},
           "reproduction": {"paper": "arcolezi2023", "method": "{protocol}",
                            "metrics": {"accuracy": "acc"}}}  # fmt: skip
    with pytest.raises(ConfigError, match=r"reproduction.paper.*did you mean 'arcolezi2023_dbsec'"):
        load_study(raw, workdir=REPO)
    raw["reproduction"] = {**raw["reproduction"], "paper": "arcolezi2023_dbsec",
                           "datasets": {"adult": "adult"}}  # fmt: skip
    with pytest.raises(ConfigError, match=r"reproduction\.datasets\.adult"):
        load_study(raw, workdir=REPO)


def test_equal_numbers_without_spread_are_within(tmp_path: Path) -> None:
    # f1 is 0.5 at every seed (no SE); a published 0.5 without SE agrees exactly, 0.6 does not
    spec = {**SPEC, "metrics": {"f1": "f1"}, "baseline": None}
    for value, within in ((0.5, True), (0.6, False)):
        rows = [("p", "s", "Adult", "GRR;split=uniform", "1", "f1", value, 0.0, "yes", "")]
        path = tmp_path / f"p{value}.csv"
        pd.DataFrame(rows, columns=list(PUBLISHED_COLUMNS)).to_csv(path, index=False)
        t = compare(_metrics(), read_published(str(path), "p"), spec)
        assert bool(t["within"].iloc[0]) is within
        assert (t["z"].iloc[0] == 0) if within else np.isnan(t["z"].iloc[0])
