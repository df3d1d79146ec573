"""The plan: which jobs a study makes, keyed only by the choices each depends on."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from fairldp.config import load_study
from fairldp.plan import Cell, Plan, block_name, block_seeds


def plan(repo: Path, name: str = "test", **change: Any) -> Plan:
    cfg = yaml.safe_load((repo / "config" / "studies" / f"{name}.yaml").read_text())
    cfg.update(copy.deepcopy(change))
    return Plan(load_study(cfg))


def test_blocks_are_fixed_seed_ranges() -> None:
    assert block_name(0, 20) == "seeds0-19" and block_name(25, 20) == "seeds20-39"
    assert block_seeds([3, 0, 21, 7], 10) == {"seeds0-9": (0, 3, 7), "seeds20-29": (21,)}


def test_test_study_jobs(repo: Path) -> None:
    p = plan(repo)
    cells = {(c.dataset, c.privatizer, c.eps) for c, _ in p.privatize()}
    assert cells == {("german", "none", "inf"), ("german", "group_clear", "inf")} | {
        ("german", pr, e) for pr in ("grr", "oue", "grr_group", "oue_group") for e in ("1", "4")}
    # fitted representations only; on the non-private cell both group estimates are the true
    # groups: one artifact, named after the first declared variant
    rep = {(c.privatizer, c.eps, a) for c, a, _ in p.represent()}
    clear, grr = Cell("german", "group_clear", "inf"), Cell("german", "grr_group", "1")
    naive, deconv = p.artifact(clear, "quantile_naive"), p.artifact(grr, "quantile_deconvolution")
    assert naive.startswith("quantile-") and len(naive) == len("quantile-") + 8
    assert p.artifact(clear, "quantile_deconvolution") == naive
    assert ("grr_group", "1", deconv) in rep and len(rep) == 9
    aliases = {(a["privatizer"], a["representation"]): a["artifact"] for a in p.aliases()}
    assert aliases["group_clear", "quantile_deconvolution"] == naive
    assert p.representation_params(clear, naive)["groups"] == "true"
    learn = p.learn()
    identity = p.artifact(Cell("german", "grr", "1"), "identity")
    assert (Cell("german", "grr", "1"), identity, "lightgbm", "seeds0-19") in learn
    assert all(s == (0, 1) for s in learn.values())
    assert p.audits("german", "plain") == ["utility", "fairness_true", "fairness_privatized"]
    assert p.audits("german", "lightgbm") == ["utility", "fairness_true"]
    assert set(p.leakage()) == {(Cell("german", pr, e), "seeds0-19") for pr, e in (
        ("group_clear", "inf"), ("grr_group", "1"), ("grr_group", "4"), ("oue_group", "1"),
        ("oue_group", "4"))}  # fmt: skip
    assert p.figure_files("fairness") == [{"dataset": "german", "learner": "lightgbm"},
                                          {"dataset": "german", "learner": "logistic_regression"}]


def test_a_job_covers_the_seeds_of_every_run_that_uses_it(repo: Path) -> None:
    p = plan(repo, "default")
    adult_group = Cell("adult", "grr_group", "1")
    # the fair-learning run uses 20 seeds, the repair run 10: one release for both
    assert p.privatize()[adult_group, "seeds0-19"] == tuple(range(20))
    naive, identity = (p.artifact(adult_group, v) for v in ("quantile_naive", "identity"))
    assert p.represent()[adult_group, naive, "seeds0-19"] == tuple(range(10))
    assert p.learn()[adult_group, identity, "plain", "seeds0-19"] == tuple(range(20))


def test_new_seed_block_adds_only_new_jobs(repo: Path) -> None:
    before = plan(repo)
    after = plan(repo, seeds=[0, 1, 20])
    for jobs in ("privatize", "represent", "learn", "leakage"):
        old, new = getattr(before, jobs)(), getattr(after, jobs)()
        assert all(new[k] == v for k, v in old.items()), jobs  # the same jobs, same seeds
        assert {k[-1] for k in set(new) - set(old)} == {"seeds20-39"}, jobs


def test_learner_change_changes_only_its_parameters(repo: Path) -> None:
    before = plan(repo)
    cfg_learners = copy.deepcopy(before.study.raw["learners"])
    cfg_learners["lightgbm"] = {"params": {"n_estimators": 50}}
    after = plan(repo, learners=cfg_learners)
    assert set(before.learn()) == set(after.learn())
    changed = [n for n in before.study.learners if before.learner_params(n)
               != after.learner_params(n)]  # fmt: skip
    assert changed == ["lightgbm"]
    cells = {(c, "grr") for c in before.privatize()}
    assert all(before.privatizer_params(c.dataset, c.privatizer) ==
               after.privatizer_params(c.dataset, c.privatizer) for (c, _), _ in cells)


def test_others_clear_releases_the_unprivatized_attributes_in_the_clear(repo: Path) -> None:
    base = plan(repo)
    privs = copy.deepcopy(base.study.raw["privatizers"])
    privs["grr_group"] = {**privs["grr_group"], "others": "clear"}
    p = plan(repo, privatizers=privs)
    params = p.privatizer_params("german", "grr_group")
    assert params["attributes"] == ["sex"]
    assert params["clear"] == ["age_group", "foreign_worker"]
    # a privatizer without the option keeps the parameters (and so the artifacts) it had
    assert p.privatizer_params("german", "grr") == base.privatizer_params("german", "grr")
    assert "clear" not in base.privatizer_params("german", "grr_group")


def test_label_bias_sweep_runs_the_chain_once_per_rate_from_one_split(repo: Path) -> None:
    sweep = {"kind": "underdiagnosis", "rate": [0, 0.3], "group": "female"}
    p = plan(repo, label_bias=sweep)
    keys = {c.dataset for c, _ in p.privatize()}
    assert keys == {"german@0", "german@0.3"}
    # one split of the registered dataset, biased once per rate (the label-bias rule's keys)
    assert set(p.splits()) == {("german", "seeds0-19")}
    assert {ds for ds, _, _ in p.evaluate()} == keys
    assert p.bias_rates() == {"german@0": 0.0, "german@0.3": 0.3}
    digits = plan(repo, label_bias={**sweep, "rate": [0.1234567]}).bias_rates()
    assert digits == {"german@0.123457": 0.1234567}  # the key shows 6 digits, the rate keeps all
    assert p.study.label_bias.for_dataset("german@0.3")["rate"] == 0.3
    assert p.privatizer_params("german@0.3", "grr_group") == p.privatizer_params(
        "german", "grr_group")  # fmt: skip
    # a single rate keeps the dataset's own name (the paths of studies without a sweep)
    single = plan(repo, label_bias={**sweep, "rate": 0.3})
    assert {c.dataset for c, _ in single.privatize()} == {"german"}
    assert single.bias_rates() == {"german": 0.3} and plan(repo).bias_rates() == {}
