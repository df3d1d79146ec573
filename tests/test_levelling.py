"""The levelling-down audit on a metrics table whose changes are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairldp.levelling import COLUMNS, levelling_down


def _metrics(seeds: int = 5) -> pd.DataFrame:
    """Per-group sensitivity and FNR of three learners: ``parity`` lowers the better group's
    sensitivity by 0.10 and raises the other's by 0.05; ``floor`` raises the worse group's by
    0.10 and leaves the other; ``both_down`` lowers both by 0.05; seed noise sd 0.002."""
    rng = np.random.default_rng(1)
    base = {"m": 0.9, "f": 0.7}
    shift = {"lr": {"m": 0, "f": 0}, "parity": {"m": -0.1, "f": 0.05},
             "floor": {"m": 0, "f": 0.1}, "both_down": {"m": -0.05, "f": -0.05}}  # fmt: skip
    rows = []
    for learner, s in shift.items():
        for seed in range(seeds):
            for g in base:
                sens = base[g] + s[g] + rng.normal(0, 0.002)
                for metric, v in (("sensitivity", sens), ("false_negative_rate", 1 - sens)):
                    rows.append({"dataset": "d", "attribute": "sex", "privatizer": "none",
                                 "protocol": "none", "budget_split": "none",
                                 "epsilon": np.inf, "representation": "identity",
                                 "kind": "identity", "amount": np.nan, "learner": learner,
                                 "seed": seed, "audit": "group_rates", "group": g,
                                 "metric": metric, "value": v})  # fmt: skip
    other = dict(rows[0], audit="utility", group="", metric="accuracy", value=0.8)
    return pd.DataFrame([*rows, other])


def test_flags_the_groups_made_worse() -> None:
    t = levelling_down(_metrics(), "lr", rates=("sensitivity", "false_negative_rate"))
    assert list(t.columns) == COLUMNS and set(t["learner"]) == {"parity", "floor", "both_down"}
    t = t.set_index(["learner", "group", "metric"])
    assert t.loc[("parity", "m", "sensitivity"), "change"] == pytest.approx(-0.1, abs=0.005)
    assert t.loc[("parity", "m", "sensitivity"), "worse"]
    assert t.loc[("parity", "m", "false_negative_rate"), "worse"]  # an error rate went up
    assert not t.loc[("parity", "f", "sensitivity"), "worse"]
    assert t.loc[("parity", "f", "sensitivity"), "levelled_down"]  # some group made worse
    assert not t.loc[("parity", "f", "sensitivity"), "strictly"]
    assert not t.loc[("floor", "m", "sensitivity"), "worse"]  # levelling up
    assert not t.loc["floor", "levelled_down"].any()
    assert t.loc["both_down", "strictly"].all()
    assert (t["n_seeds"] == 5).all() and (t["se"] < 0.002).all()
    assert t["amount"].isna().all() and (t["reference"] == "lr").all()


def test_a_noisy_drop_is_not_flagged() -> None:
    # a drop within z standard errors is not flagged (z = 1000: none of these is)
    t = levelling_down(_metrics(), "lr", rates=("sensitivity",), z=1000.0)
    assert not t["worse"].any()


def test_errors() -> None:
    m = _metrics()
    with pytest.raises(ValueError, match="reference learner 'xgb'"):
        levelling_down(m, "xgb")
    with pytest.raises(ValueError, match="no direction known"):
        levelling_down(m, "lr", rates=("roc_auc",))
    with pytest.raises(ValueError, match="add the audit 'group_rates'"):
        levelling_down(m[m["audit"] == "utility"], "lr")


def test_figure_kind_draws_the_audit_and_writes_its_table(tmp_path) -> None:
    from fairldp.figures import FIGURE_KINDS

    kind = FIGURE_KINDS.get("levelling")(reference="lr", y=("sensitivity",))
    m = _metrics()
    paths = [tmp_path / "f.png", tmp_path / "f.csv"]
    kind.draw(m, paths, {"dataset": "d", "attribute": "sex"})
    assert paths[0].stat().st_size > 10_000
    table = pd.read_csv(paths[1])
    want = levelling_down(m, "lr", rates=("sensitivity",))
    assert len(table) == len(want) == 6
    assert table["worse"].sum() == want["worse"].sum() == 3  # parity m; both_down m and f
    assert "reference" in kind.describe() or "lr" in kind.describe()
    with pytest.raises(ValueError, match="reference: the unconstrained learner"):
        FIGURE_KINDS.get("levelling")()
    with pytest.raises(ValueError, match="not audited per-group rates"):
        FIGURE_KINDS.get("levelling")(reference="lr", y=("accuracy",))


def test_audit_and_figure_keep_the_levels_of_a_label_bias_sweep_apart(tmp_path) -> None:
    from fairldp.figures import FIGURE_KINDS

    # two levels of a sweep: at 0.3 every learner's rates move by +0.2 (both learners alike)
    m = _metrics()
    up = m.assign(bias_rate=0.3, value=m["value"] + 0.2)
    sweep = pd.concat([m.assign(bias_rate=0.0), up], ignore_index=True)
    t = levelling_down(sweep, "lr", rates=("sensitivity",))
    assert len(t) == 2 * 6 and set(t["bias_rate"]) == {0.0, 0.3}
    t = t.set_index(["bias_rate", "learner", "group"])["change"]
    # each level against the reference of the same level: the same changes at both
    assert t.loc[0.3, "parity", "m"] == pytest.approx(t.loc[0.0, "parity", "m"], abs=0.01)
    kind = FIGURE_KINDS.get("levelling")(reference="lr", y=("sensitivity",), x="bias_rate")
    kind.draw(sweep, [tmp_path / "f.png"], {"dataset": "d", "attribute": "sex"})
    assert (tmp_path / "f.png").stat().st_size > 10_000
    two = pd.concat([sweep, sweep.assign(epsilon=1.0, privatizer="grr")], ignore_index=True)
    with pytest.raises(ValueError, match=r"select one .where: .epsilon"):
        kind.draw(two, [tmp_path / "g.png"], {"figure": "lv"})
    with pytest.raises(ValueError, match="x must be one of"):
        FIGURE_KINDS.get("levelling")(reference="lr", x="amount")
