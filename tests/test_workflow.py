"""End to end: Snakemake on the tiny config (config/test.yaml) in temporary directories."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

pytestmark = pytest.mark.e2e

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def run_snakemake(repo: Path, workdir: Path, config: Path, *extra: str, cores: int = 2) -> str:
    cmd = [
        SNAKEMAKE,
        "-s",
        str(repo / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(config),
        "--cores",
        str(cores),
        *extra,
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    return out


def tiny_config(repo: Path, workdir: Path, **change: object) -> Path:
    cfg = yaml.safe_load((repo / "config" / "test.yaml").read_text())
    cfg.update(change)
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def mtimes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*.parquet")}


@pytest.fixture(scope="module")
def first_run(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("study")
    cfg = tiny_config(repo, work)
    run_snakemake(repo, work, cfg)
    return work, cfg


def test_outputs_and_schemas(first_run: tuple[Path, Path]) -> None:
    work, _ = first_run
    res = work / "results" / "test"
    metrics = pd.read_parquet(res / "metrics.parquet")
    assert list(metrics.columns) == [
        "study",
        "dataset",
        "protocol",
        "budget_split",
        "epsilon",
        "seed",
        "model",
        "metric",
        "value",
    ]
    assert str(metrics["epsilon"].dtype) == "float64" and str(metrics["value"].dtype) == "float64"
    # (baseline + 2 protocols x 2 splits x 2 eps) x 2 seeds x 2 models x 10 metrics
    assert len(metrics) == (1 + 2 * 2 * 2) * 2 * 2 * 10
    base = metrics[metrics["protocol"] == "none"]
    assert set(base["epsilon"]) == {float("inf")} and set(base["budget_split"]) == {"none"}
    assert metrics.loc[metrics["metric"] == "accuracy", "value"].between(0.6, 0.9).all()

    perturbed = res / "perturbed" / "german" / "grr" / "eps1.parquet"
    schema = pq.read_schema(perturbed)
    assert b"fairldp" in schema.metadata
    assert {"budget_split", "seed", "row_id", "sex=female", "age_group=over_25", "credit"} <= set(
        schema.names
    )
    assert not {"sex", "age_group", "foreign_worker"} & set(schema.names)  # raw values gone
    preds = pq.read_schema(res / "predictions" / "german" / "grr" / "eps1.parquet")
    assert preds.names == ["budget_split", "seed", "model", "row_id", "y_score", "y_pred"]
    for png in (res / "figures" / "german").glob("*.png"):
        assert png.stat().st_size > 10_000
    pdfs = {p.name for p in (res / "figures" / "german").glob("*.pdf")}
    assert pdfs == {
        f"{kind}_{model}.pdf"
        for kind in ("fairness", "utility")
        for model in ("lightgbm", "logistic_regression")
    } | {"fair_methods.pdf", "repair.pdf"}
    fair = pd.read_parquet(res / "fair" / "metrics.parquet")
    assert set(fair["audit"]) == {"none", "true", "privatized"}
    repair = pd.read_parquet(res / "repair" / "metrics.parquet")
    assert set(repair["groups"]) == {"true", "naive", "deconvolution"}
    assert {"leakage_auc", "leakage_auc_numeric"} <= set(repair["metric"])
    prov = (res / "provenance.json").read_text()
    assert '"numpy"' in prov and '"epsilons"' in prov


def test_no_raw_sensitive_values_in_training_inputs(first_run: tuple[Path, Path]) -> None:
    """The represented training rows encode the reports, not the true attribute."""
    work, _ = first_run
    res = work / "results" / "test"
    rep = pd.read_parquet(res / "represented" / "german" / "grr" / "eps1.parquet")
    train = pd.read_parquet(res / "splits" / "german" / "train.parquet")
    tr = rep[(rep["part"] == "train") & (rep["budget_split"] == "uniform")]
    tr = tr.merge(train[["seed", "row_id", "sex"]], on=["seed", "row_id"])
    agree = (tr["sex=female"] == (tr["sex"] == "female")).mean()
    # GRR, k=2, eps_sex = 1/3: P(keep) = e^(1/3)/(e^(1/3)+1) = 0.583; 1600 rows -> sd 0.012
    assert abs(agree - 0.583) < 0.05
    # the fair-learning study: no sensitive column at all, Z kept with P = e/(e+1) = 0.731
    # (whole budget eps=1 on sex); 1600 train rows -> sd 0.011, 4 sd < 0.05
    fair = pd.read_parquet(res / "fair" / "perturbed" / "german" / "grr" / "eps1.parquet")
    assert not {"sex", "age", "foreign_worker"} & set(fair.columns)
    fair = fair[fair["part"] == "train"].merge(train[["seed", "row_id", "sex"]])
    agree = (fair["z"] == fair["sex"].cat.codes).mean()
    assert abs(agree - 0.731) < 0.05


def test_second_run_has_nothing_to_do(repo: Path, first_run: tuple[Path, Path]) -> None:
    work, cfg = first_run
    out = run_snakemake(repo, work, cfg, "--dry-run")
    assert "Nothing to be done" in out


def test_new_epsilon_runs_only_its_jobs(repo: Path, first_run: tuple[Path, Path]) -> None:
    work, _ = first_run
    before = mtimes(work)
    cfg = tiny_config(repo, work, epsilons=[1, 4, 2])
    run_snakemake(repo, work, cfg)
    after = mtimes(work)
    changed = {p for p in after if before.get(p) != after[p]}
    expected = {
        f"results/test/{stage}/german/{protocol}/eps2.parquet"
        for stage in (
            "perturbed",
            "represented",
            "predictions",
            "fair/perturbed",
            "fair/predictions",
        )
        for protocol in ("grr", "oue")
    } | {"results/test/metrics.parquet", "results/test/fair/metrics.parquet"}
    expected |= {
        f"results/test/repair/{stage}/german/{protocol}/eps2/quantile-{groups}.parquet"
        for stage in ("represented", "predictions", "metrics")
        for protocol in ("grr", "oue")
        for groups in ("naive", "deconvolution")
    } | {"results/test/repair/metrics.parquet"}
    assert changed == expected
    metrics = pd.read_parquet(work / "results" / "test" / "metrics.parquet")
    assert sorted(metrics["epsilon"].unique()) == [1.0, 2.0, 4.0, float("inf")]


def test_two_runs_give_identical_metrics(
    repo: Path, first_run: tuple[Path, Path], tmp_path: Path
) -> None:
    """Same config, same numbers, whatever the core count (first run: 2 cores; this one: 1)."""
    work, _ = first_run
    run_snakemake(repo, tmp_path, tiny_config(repo, tmp_path), cores=1)
    a = pd.read_parquet(work / "results" / "test" / "metrics.parquet")
    a = a[a["epsilon"] != 2.0].reset_index(drop=True)  # the previous test added eps = 2
    b = pd.read_parquet(tmp_path / "results" / "test" / "metrics.parquet")
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_lint_is_clean(repo: Path) -> None:
    res = subprocess.run(
        [SNAKEMAKE, "--lint", "-s", str(repo / "Snakefile")],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Congratulations, your workflow is in a good condition!" in res.stdout + res.stderr


def test_report_holds_figures_and_provenance(repo: Path, first_run: tuple[Path, Path]) -> None:
    work, cfg = first_run
    report = work / "results" / "test" / "report.html"
    run_snakemake(repo, work, cfg, "--report", str(report))
    text = report.read_text(errors="replace")
    assert report.stat().st_size > 100_000
    for needle in ("Provenance", "fairness_lightgbm.png", "utility_logistic_regression.png"):
        assert needle in text
