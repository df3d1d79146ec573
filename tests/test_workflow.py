"""End to end: Snakemake on the test study (config/studies/test.yaml) in temporary folders."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from fairldp.stages.evaluate import METRICS_COLUMNS

pytestmark = pytest.mark.e2e

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
PLUGINS = Path(__file__).parent / "plugins"


def run_snakemake(repo: Path, workdir: Path, config: Path, *extra: str, cores: int = 2,
                  env: dict[str, str] | None = None) -> str:  # fmt: skip
    cmd = [SNAKEMAKE, "-s", str(repo / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(config), "--cores", str(cores), *extra]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=900,
                         env={**os.environ, **(env or {})})  # fmt: skip
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    return out


def test_config(repo: Path, workdir: Path, **change: Any) -> Path:
    cfg = yaml.safe_load((repo / "config" / "studies" / "test.yaml").read_text())
    cfg.update(copy.deepcopy(change))
    path = workdir / "study.yaml"
    # keys in the file's order: the order of figures and variants is in some jobs' params
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


test_config.__test__ = False  # a helper, not a test


def planned(out: str) -> list[tuple[str, dict[str, str]]]:
    """The (rule, wildcards) of every job of a dry run's output (``figures`` for the rule of
    any figure)."""
    jobs = []
    for block in re.split(r"\n\s*(?:local)?rule ", out)[1:]:
        rule = block.split(":", 1)[0].strip()
        rule = "figures" if rule.startswith("figure_") else rule
        m = re.search(r"wildcards: (.*)", block)
        wildcards = dict(kv.split("=", 1) for kv in m.group(1).split(", ")) if m else {}
        jobs.append((rule, wildcards))
    return jobs


def mtimes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*.parquet")}


@pytest.fixture(scope="module")
def first_run(test_study_run: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[Path, Path]:  # fmt: skip
    """(working folder, study file) of the test study run on 2 cores: a copy of the session's
    run (tests/conftest.py), which the tests of this module may change (a new epsilon, the
    report)."""
    work = tmp_path_factory.mktemp("study") / "work"
    shutil.copytree(test_study_run[0], work, symlinks=True)
    return work, work / "study.yaml"


def test_outputs_and_schemas(first_run: tuple[Path, Path]) -> None:
    work, _ = first_run
    res = work / "results" / "test"
    metrics = pd.read_parquet(res / "metrics.parquet")
    assert list(metrics.columns) == METRICS_COLUMNS
    assert str(metrics["epsilon"].dtype) == "float64" and str(metrics["value"].dtype) == "float64"
    main = metrics[metrics["representation"].eq("identity")
                   & metrics["learner"].isin(["lightgbm", "logistic_regression"])]  # fmt: skip
    # (baseline + 2 protocols x 2 splits x 2 eps) x 2 seeds x 2 models
    # x (4 utility + 6 fair + 3 worst-group + 5 signed against German's reference group, male)
    assert len(main) == (1 + 2 * 2 * 2) * 2 * 2 * 18
    signed = main[main["metric"].str.endswith("_signed")]
    assert (signed["value"].abs() <= 1).all() and signed["value"].lt(0).any()
    base = main[main["privatizer"] == "none"]
    assert set(base["epsilon"]) == {float("inf")} and set(base["budget_split"]) == {"none"}
    acc = metrics.loc[metrics["metric"] == "accuracy", "value"]
    assert acc.between(0.6, 0.9).all()
    fair = metrics[metrics["learner"].eq("corrected_postproc_eo")]
    assert set(fair["audit"]) == {"utility", "fairness_true", "fairness_privatized"}
    repair = metrics[metrics["kind"].eq("quantile")]
    assert set(repair["amount"]) == {0.0, 1.0}
    assert {"leakage_auc", "leakage_auc_numeric"} <= set(repair["metric"])
    assert set(repair["privatizer"]) == {"group_clear", "grr_group", "oue_group"}

    from fairldp.io import read_parquet
    from fairldp.stages.represent import load_release

    public = str(res / "public" / "german" / "seeds0-19.parquet")
    release = str(res / "privatized" / "german" / "grr" / "eps1" / "seeds0-19.parquet")
    assert set(read_parquet(release).columns) == {"budget_split", "sex=female", "sex=male",
                                                  "age_group=over_25", "age_group=25_or_under",
                                                  "foreign_worker=no", "foreign_worker=yes",
                                                  "z"}  # fmt: skip
    released = load_release(release, "german", public=public)[0]
    assert released.attrs["fairldp"]["ledger"]
    assert {"budget_split", "part", "seed", "row_id", "y", "sex=female",
            "age_group=over_25"} <= set(released.columns)  # fmt: skip
    assert not {"sex", "age_group", "foreign_worker", "credit"} & set(released.columns)
    stored = pq.read_schema(res / "privatized" / "german" / "grr" / "eps1" / "seeds0-19.parquet")
    assert "sex=#" in stored.names  # GRR's one-hot reports are stored as codes
    identity = next((res / "predictions" / "german" / "grr" / "eps1").glob("identity-*"))
    preds = pq.read_schema(identity / "lightgbm" / "seeds0-19.parquet")
    assert preds.names == ["budget_split", "seed", "amount", "z", "y_score", "y_pred"]
    for fig in ("fairness", "utility", "fair_methods", "repair_amount", "repair_epsilon"):
        pngs = list((res / "figures" / fig).glob("*.png"))
        assert pngs and all(p.stat().st_size > 10_000 for p in pngs), fig
        assert {p.stem for p in pngs} == {p.stem for p in (res / "figures" / fig).glob("*.pdf")}
        csvs = list((res / "figures" / fig).glob("*.csv"))  # the numbers behind each figure
        assert {p.stem for p in pngs} == {p.stem for p in csvs}
        numbers = pd.read_csv(csvs[0])
        assert {"metric", "mean", "lo", "hi", "n"} <= set(numbers.columns) and len(numbers)
    prov = (res / "provenance.json").read_text()
    assert '"numpy"' in prov and '"epsilons"' in prov
    assert json.loads(prov)["proxies"].keys() == {"german"}  # found at prepare (issue 14)


def test_no_raw_sensitive_values_in_training_inputs(first_run: tuple[Path, Path]) -> None:
    """The released training rows encode the reports, not the true attribute."""
    work, _ = first_run
    res = work / "results" / "test"
    from fairldp.io import read_parquet
    from fairldp.stages.represent import load_release

    public = str(res / "public" / "german" / "seeds0-19.parquet")
    rel = load_release(str(res / "privatized" / "german" / "grr" / "eps1" / "seeds0-19.parquet"),
                       "german", public=public)[0]  # fmt: skip
    split = read_parquet(res / "splits" / "german" / "seeds0-19.parquet")
    tr = rel[(rel["part"] == "train") & (rel["budget_split"] == "uniform")]
    tr = tr.merge(split[["part", "seed", "row_id", "sex"]], on=["part", "seed", "row_id"])
    agree = (tr["sex=female"] == (tr["sex"] == "female")).mean()
    # GRR, k=2, eps_sex = 1/3: P(keep) = e^(1/3)/(e^(1/3)+1) = 0.583; 1600 rows -> 4 SE < 0.05
    assert abs(agree - 0.583) < 0.05
    # the group alone with the whole budget: z kept with e/(e+1) = 0.731, training rows
    grp = load_release(str(res / "privatized" / "german" / "grr_group" / "eps1" /
                           "seeds0-19.parquet"), "german", public=public)[0]  # fmt: skip
    assert not {"sex", "age_group", "foreign_worker"} & set(grp.columns)
    grp = grp[grp["part"] == "train"].merge(split[["part", "seed", "row_id", "sex"]])
    assert abs((grp["z"] == grp["sex"].cat.codes).mean() - 0.731) < 0.05


def test_second_run_has_nothing_to_do(repo: Path, first_run: tuple[Path, Path]) -> None:
    work, cfg = first_run
    assert "Nothing to be done" in run_snakemake(repo, work, cfg, "--dry-run")


def test_moved_folder_reruns_nothing(repo: Path, first_run: tuple[Path, Path]) -> None:
    work, _ = first_run
    moved = work.parent / "moved"
    shutil.copytree(work, moved, symlinks=True)
    try:
        out = run_snakemake(repo, moved, moved / "study.yaml", "--dry-run")
        assert "Nothing to be done" in out, planned(out)[:5]
    finally:
        shutil.rmtree(moved)


def test_learner_change_plans_only_its_jobs(repo: Path, first_run: tuple[Path, Path]) -> None:
    work, _ = first_run
    study = yaml.safe_load((work / "study.yaml").read_text())
    study["learners"]["lightgbm"] = {"params": {"n_estimators": 50}}
    cfg = work / "changed.yaml"
    cfg.write_text(yaml.safe_dump(study))
    jobs = planned(run_snakemake(repo, work, cfg, "--dry-run"))
    rules = {r for r, _ in jobs}
    assert rules == {"learn", "evaluate", "collect", "figures", "summary", "provenance", "all"}, rules
    assert all(w["learner"] == "lightgbm" for r, w in jobs if r in ("learn", "evaluate"))
    assert len([r for r, _ in jobs if r == "learn"]) == 5  # none + 2 protocols x 2 epsilons


def test_representation_change_never_reprivatizes(repo: Path, first_run: tuple[Path, Path]
                                                   ) -> None:  # fmt: skip
    work, _ = first_run
    study = yaml.safe_load((work / "study.yaml").read_text())
    study["representations"]["quantile_deconvolution"]["amounts"] = [0, 0.5, 1]
    cfg = work / "changed.yaml"
    cfg.write_text(yaml.safe_dump(study))
    jobs = planned(run_snakemake(repo, work, cfg, "--dry-run"))
    assert {r for r, _ in jobs} == {"represent", "learn", "leakage", "evaluate", "collect",
                                    "figures", "summary", "provenance", "all"}  # fmt: skip
    # quantile_deconvolution's artifacts (on the non-private cell it had shared quantile_naive's)
    from fairldp.config import load_study
    from fairldp.plan import Plan

    plan = Plan(load_study(cfg))
    new = {a["artifact"] for a in plan.aliases() if a["representation"] ==
           "quantile_deconvolution"}  # fmt: skip
    others = [(r, w) for r, w in jobs if r in ("represent", "learn")
              and w["representation"] not in new]  # fmt: skip
    assert not others, others


def test_new_seed_block_runs_only_new_work(repo: Path, first_run: tuple[Path, Path]) -> None:
    work, _ = first_run
    cfg = test_config(repo, work, seeds=[0, 1, 20])
    jobs = planned(run_snakemake(repo, work, cfg, "--dry-run"))
    blocks = {w.get("block") for r, w in jobs if r not in ("collect", "figures", "summary",
                                                           "provenance", "all")}  # fmt: skip
    assert blocks == {"seeds20-39"}
    test_config(repo, work)  # back to the study of the fixture


def test_new_epsilon_runs_only_its_jobs(repo: Path, first_run: tuple[Path, Path]) -> None:
    work, _ = first_run
    before = mtimes(work)
    cfg = test_config(repo, work, epsilons=[1, 4, 2])
    run_snakemake(repo, work, cfg)
    changed = {p for p, t in mtimes(work).items() if before.get(p) != t}
    cells = {p.split("/")[2:6] and "/".join(p.split("/")[3:6]) for p in changed
             if p.split("/")[2] in ("privatized", "represented", "predictions")}  # fmt: skip
    assert cells and all(c.endswith("eps2") for c in cells), cells
    others = {p for p in changed if p.split("/")[2] not in ("privatized", "represented",
                                                             "predictions")}  # fmt: skip
    assert {p.split("/")[2] for p in others} <= {"evaluated", "audits", "metrics.parquet"}
    leak = {p for p in others if p.split("/")[2] == "audits"}
    assert leak and all("/eps2/" in p for p in leak)
    metrics = pd.read_parquet(work / "results" / "test" / "metrics.parquet")
    assert sorted(metrics["epsilon"].unique()) == [1.0, 2.0, 4.0, float("inf")]


#: what the second run of test_two_runs_give_identical_metrics builds (paths under the results
#: folder): a job of every stage that computes numbers, on GRR, OUE and the group-only OUE, with
#: LightGBM, logistic regression (on the release and on quantile repair) and the fair methods
SECOND_RUN = ("privatized/german/oue_group/eps1/", "represented/german/oue_group/eps1/",
              "predictions/german/oue_group/eps1/", "audits/leakage/german/oue_group/eps1/",
              "predictions/german/grr/eps1/", "evaluated/german/lightgbm/")  # fmt: skip


def test_two_runs_give_identical_metrics(repo: Path, test_study_run: tuple[Path, Path],
                                         tmp_path: Path) -> None:  # fmt: skip
    """Same study, same numbers, whatever the core count and the folder: another folder on 1
    core (the session's run: 2 cores) builds a part of the study (:data:`SECOND_RUN`, with what
    it needs: prepared data, split, public rows, releases of GRR, OUE and the baseline, every
    LightGBM prediction) and every table it writes equals the first run's, exactly: releases,
    repaired features, predictions, the leakage audit and the evaluated metrics."""
    ref, cfg = test_study_run
    res = ref / "results" / "test"
    targets = sorted(str(p.relative_to(ref)) for p in res.rglob("*.parquet")
                     if str(p.relative_to(res)).startswith(SECOND_RUN))  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(cfg, work / "study.yaml")
    run_snakemake(repo, work, work / "study.yaml", *targets, cores=1)
    built = sorted(str(p.relative_to(work)) for p in work.rglob("*.parquet"))
    assert set(targets) <= set(built)
    stages = {Path(p).parts[2] for p in built if p.startswith("results/")}
    assert {"splits", "public", "privatized", "represented", "predictions", "audits",
            "evaluated"} <= stages, stages  # fmt: skip
    learners = {Path(p).parts[-2] for p in built if "/predictions/" in p}
    assert {"lightgbm", "logistic_regression", "corrected_postproc_eo"} <= learners, learners
    for p in built:
        pd.testing.assert_frame_equal(pd.read_parquet(work / p), pd.read_parquet(ref / p),
                                      check_exact=True, obj=p)  # fmt: skip


@pytest.mark.parametrize("study", sorted(p.stem for p in (Path(__file__).parents[1] / "config"
                                                          / "studies").glob("*.yaml")))
def test_every_shipped_study_builds_its_dag(repo: Path, tmp_path: Path, study: str) -> None:
    """Each study file of config/studies plans its jobs from an empty folder (no job runs)."""
    out = run_snakemake(repo, tmp_path, repo / "config" / "studies" / f"{study}.yaml",
                        "--dry-run", "--quiet", "rules")  # fmt: skip
    assert re.search(r"^total\s+\d+", out, re.M), out[-2000:]


def test_lint_is_clean(repo: Path) -> None:
    res = subprocess.run([SNAKEMAKE, "--lint", "-s", str(repo / "Snakefile")], cwd=repo,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Congratulations, your workflow is in a good condition!" in res.stdout + res.stderr


def test_report_holds_figures_and_provenance(repo: Path, first_run: tuple[Path, Path]) -> None:
    work, _ = first_run
    report = work / "results" / "test" / "report.html"
    run_snakemake(repo, work, test_config(repo, work), "--report", str(report))
    text = report.read_text(errors="replace")
    assert report.stat().st_size > 100_000
    for needle in ("Provenance", "fair_methods", "repair_amount", "german-lightgbm.png"):
        assert needle in text


def test_a_study_that_no_shipped_study_makes(repo: Path, tmp_path: Path) -> None:
    """OUE with the k-based split on German, quantile repair from deconvolved groups, and the
    corrected two-step method on LightGBM: a study file, no code."""
    study = {
        "study": "mix", "results": "results/mix", "datasets": ["german"], "seeds": [3],
        "epsilons": [2], "privatizers": {"oue_k": {"protocol": "oue", "budget_splits":
                                                   ["k_based"]}},
        "representations": {"deconv": {"kind": "quantile", "groups": "deconvolution"}},
        "learners": {"two_step_lgbm": {"model": "lightgbm", "method": "corrected_postproc_eo"}},
        "audits": ["utility", "fairness_true", "fairness_privatized", "leakage"],
    }  # fmt: skip
    cfg = tmp_path / "mix.yaml"
    cfg.write_text(yaml.safe_dump(study))
    run_snakemake(repo, tmp_path, cfg)
    m = pd.read_parquet(tmp_path / "results" / "mix" / "metrics.parquet")
    assert set(m["privatizer"]) == {"none", "oue_k"} and set(m["budget_split"]) == {"none",
                                                                                  "k_based"}
    assert set(m["model"].dropna()) == {"lightgbm"}
    assert set(m["method"].dropna()) == {"corrected_postproc_eo"}
    assert set(m["audit"]) == {"utility", "fairness_true", "fairness_privatized", "leakage"}
    assert (tmp_path / "results" / "mix" / "figures" / "all_lines" / "german.png").exists()


def test_a_plugin_method_and_representation_run_without_editing_the_package(
    repo: Path, tmp_path: Path
) -> None:
    study = {
        "study": "toy", "results": "results/toy", "datasets": ["german"], "seeds": [0],
        "epsilons": [1], "plugins": ["toy_method"],
        "privatizers": {"grr_group": {"protocol": "grr", "attributes": "group"}},
        "representations": {"scaled": {"factor": 3}},
        "learners": {"toy": {"method": "group_threshold"}},
    }  # fmt: skip
    cfg = tmp_path / "toy.yaml"
    cfg.write_text(yaml.safe_dump(study))
    env = {"PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
    run_snakemake(repo, tmp_path, cfg, env=env)
    m = pd.read_parquet(tmp_path / "results" / "toy" / "metrics.parquet")
    assert set(m["method"]) == {"group_threshold"} and set(m["representation"]) == {"scaled"}
    dp = m[(m["metric"] == "demographic_parity_difference") & (m["privatizer"] == "none")]
    assert dp["value"].iloc[0] < 0.15  # per-group thresholds equalise positive rates


def test_numbers_of_the_three_earlier_study_families_are_kept(first_run: tuple[Path, Path]
                                                              ) -> None:  # fmt: skip
    """The metrics the earlier, hard-wired studies computed on the test study (fixture written
    from their last version, commit 8b8f731) and that do not depend on a random stream that
    was renamed: every metric of the budget-split family (GRR and OUE, both splits, both
    models, every seed), the non-private cell of the repair family (quantile repair with the
    true groups: deterministic) and the non-private 'plain' fair method (deterministic). The
    tolerance 1e-9 only absorbs the last bits of floating point: the BLAS of a job now runs
    with the one thread it declares, which may reorder sums; a metric of 200 test rows moves by
    at least 1/200 when a prediction changes. Since then, by design: scores are stored as
    float32 (rounding to 2^-24 can only tie two scores closer than that; a tie between the
    classes moves ROC AUC by 0.5 / (n0 n1), about 6e-5 on German's 200 test rows: tolerance
    1e-4) and repaired features as float32; the leakage audit is cross-fitted (other numbers,
    left out here)."""
    work, _ = first_run
    new = pd.read_parquet(work / "results" / "test" / "metrics.parquet")
    new = new[new["epsilon"] != 2.0]  # an earlier test added eps = 2
    legacy = pd.read_parquet(Path(__file__).parent / "fixtures" / "legacy" /
                             "test_study_metrics.parquet")  # fmt: skip
    from fairldp.metrics import METRICS

    legacy["metric"] = legacy["metric"].map(METRICS.resolve)  # former names are aliases
    legacy = legacy[legacy["audit"] != "leakage"]
    families = {
        "main": (new["representation"].eq("identity") & new["privatizer"].isin(
            ["none", "grr", "oue"]) & new["learner"].isin(["lightgbm", "logistic_regression"])),
        "repair": new["privatizer"].eq("group_clear") & new["representation"].eq(
            "quantile_naive"),
        "fair": new["privatizer"].eq("group_clear") & new["learner"].eq("plain"),
    }  # fmt: skip
    keys = ["protocol", "budget_split", "epsilon", "seed", "amount", "audit", "metric"]
    for family, mask in families.items():
        old = legacy[legacy["family"] == family]
        got = new[mask.fillna(False).to_numpy(bool)]
        if family == "main":
            keys_f = [*keys, "learner"]
        else:
            keys_f = [k for k in keys if k not in ("protocol", "budget_split")]
        m = old.merge(got, on=keys_f, how="left", suffixes=("_old", ""))
        assert m["value"].notna().sum() == m["value_old"].notna().sum() == len(old), family
        tol = np.where(m["metric"].eq("roc_auc"), 1e-4, 1e-9)
        diff = (m["value"] - m["value_old"]).abs().fillna(0).to_numpy()
        assert (diff < tol).all(), (family, m.loc[diff >= tol, ["metric", "value", "value_old"]])


def test_hard_kill_then_the_same_command_recovers(
    repo: Path, test_study_run: tuple[Path, Path], tmp_path: Path
) -> None:
    """SIGKILL Snakemake mid-run (stale lock, incomplete outputs, temporary files of killed
    writes), then the command of ``make reproduce`` (:mod:`fairldp.run`: unlock when no
    Snakemake runs, then the run with ``--rerun-incomplete``). The study: the budget-split run
    of the test study at epsilon 1 (GRR, OUE and the baseline; LightGBM and logistic
    regression: 6 trainings), killed after 3 trainings. Same metrics as the
    uninterrupted run of the test study, no file left over."""
    import signal
    import time

    from fairldp.run import main as run_study

    assert "fairldp.run" in (repo / "Makefile").read_text()
    work = tmp_path / "work"
    work.mkdir()
    study = yaml.safe_load((repo / "config" / "studies" / "test.yaml").read_text())
    run = study["runs"][0]
    assert run["name"] == "budget_splits"
    cfg = test_config(repo, work, epsilons=[1], runs=[run],
                      privatizers={p: study["privatizers"][p] for p in run["privatizers"]},
                      representations={r: study["representations"][r]
                                       for r in run["representations"]},
                      learners={n: study["learners"][n] for n in run["learners"]},
                      figures={n: f for n, f in study["figures"].items()
                               if f["runs"] == [run["name"]]})  # fmt: skip
    cmd = [SNAKEMAKE, "-s", str(repo / "Snakefile"), "--directory", str(work),
           "--configfile", str(cfg), "--cores", "2"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list((work / "results").rglob("predictions/**/*.parquet"))) >= 3:
            break
        time.sleep(0.5)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # Snakemake and its jobs, mid-run
    proc.wait()
    assert list((work / ".snakemake" / "locks").iterdir()), "a hard kill leaves the lock"
    # the same command as make reproduce (without the report)
    assert run_study(["--snakefile", str(repo / "Snakefile"), "--directory", str(work),
                      "--configfile", str(cfg), "--no-report"]) == 0  # fmt: skip
    got = pd.read_parquet(work / "results" / "test" / "metrics.parquet")
    ref = pd.read_parquet(test_study_run[0] / "results" / "test" / "metrics.parquet")
    ref = ref[ref["privatizer"].isin(["none", *run["privatizers"]])  # the same cells
              & ref["epsilon"].isin([1.0, float("inf")])
              & ref["representation"].isin(run["representations"])
              & ref["learner"].isin(run["learners"])]  # fmt: skip
    keys = [c for c in METRICS_COLUMNS if c != "value"]
    m = ref.merge(got, on=keys, how="outer", suffixes=("_ref", ""), indicator=True)
    assert len(ref) and (m["_merge"] == "both").all()
    assert (m["value"].isna() == m["value_ref"].isna()).all()
    assert ((m["value"] - m["value_ref"]).abs().fillna(0) < 1e-12).all()
    assert not list(work.rglob("*.tmp")), "temporary files of killed writes were left"


def test_verify_reads_every_artifact_and_names_the_bad_ones(
    first_run: tuple[Path, Path], tmp_path: Path
) -> None:
    from fairldp.config import load_study
    from fairldp.verify import main, verify

    work, cfg = first_run
    copy_ = tmp_path / "work"
    shutil.copytree(work / "results", copy_ / "results")
    study = load_study(cfg, workdir=copy_)
    clean = verify(study, copy_)
    assert clean.problems == 0 and not clean.missing and len(clean.ok) > 50, clean.summary()
    res = copy_ / "results" / "test"
    eps1 = next(res.glob("predictions/german/grr/eps1/identity-*/lightgbm/seeds0-19.parquet"))
    eps4 = Path(str(eps1).replace("/eps1/", "/eps4/"))
    shutil.copy(eps4, eps1)  # another cell's artifact under this cell's path
    truncated = res / "privatized" / "german" / "oue" / "eps4" / "seeds0-19.parquet"
    truncated.write_bytes(truncated.read_bytes()[:1000])
    (truncated.parent / ".seeds0-19.parquet.x1y2.tmp").write_bytes(b"killed")
    report = verify(study, copy_)
    rel = lambda p: str(p.relative_to(copy_))  # noqa: E731
    assert list(report.mislabelled) == [rel(eps1)]
    assert "was made for epsilon='4', not '1'" in report.mislabelled[rel(eps1)]
    assert list(report.unreadable) == [rel(truncated)]
    assert report.leftover == [rel(truncated.parent / ".seeds0-19.parquet.x1y2.tmp")]
    assert main([str(cfg), "--workdir", str(copy_)]) == 1


def test_a_deleted_intermediate_is_rebuilt_with_what_depends_on_it(
    repo: Path, first_run: tuple[Path, Path], tmp_path: Path
) -> None:
    """Snakemake alone does not rebuild a deleted intermediate whose consumers are up to
    date; the command of ``make reproduce`` names it as a target, so the artifact and its
    consumers are rebuilt, with the same numbers."""
    from fairldp.io import read_parquet
    from fairldp.run import main as run_study

    work, _ = first_run
    copy_ = tmp_path / "work"
    shutil.copytree(work, copy_, symlinks=True)
    cfg = copy_ / "study.yaml"
    res = copy_ / "results" / "test"
    gone = res / "privatized" / "german" / "oue" / "eps4" / "seeds0-19.parquet"
    before = read_parquet(gone)
    metrics = (res / "metrics.parquet").stat().st_mtime_ns
    gone.unlink()
    assert run_study(["--snakefile", str(repo / "Snakefile"), "--directory", str(copy_),
                      "--configfile", str(cfg), "--no-report"]) == 0  # fmt: skip
    assert gone.exists() and read_parquet(gone).equals(before)
    assert (res / "metrics.parquet").stat().st_mtime_ns > metrics  # its consumers reran
