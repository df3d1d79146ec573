"""Config validation: one clear message naming the key and the allowed values."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fairldp.config import ConfigError, format_epsilon, load_schema, study_grid, validate_config
from fairldp.datasets import REGISTRY, get_dataset


@pytest.fixture(scope="module")
def schema(repo: Path) -> dict:
    return load_schema(repo / "config" / "schema" / "config.schema.yaml")


@pytest.fixture(scope="module")
def config(repo: Path) -> dict:
    return yaml.safe_load((repo / "config" / "config.yaml").read_text())


def test_shipped_configs_are_valid(repo: Path, schema: dict) -> None:
    for name in ("config.yaml", "paper.yaml", "test.yaml"):
        validate_config(yaml.safe_load((repo / "config" / name).read_text()), schema)


def test_schema_lists_exactly_the_registered_datasets_and_protocols(schema: dict) -> None:
    from fairldp.ldp import PROTOCOLS

    get_dataset("adult")  # import registers
    assert sorted(schema["properties"]["datasets"]["items"]["enum"]) == sorted(REGISTRY)
    assert schema["properties"]["protocols"]["items"]["enum"] == list(PROTOCOLS)


BAD = [
    (
        {"datasets": ["adult", "mnist"]},
        r"'datasets\[1\]': 'mnist' is not allowed; allowed values: \['adult', 'compas', 'german',",
    ),
    ({"protocols": ["grrr"]}, r"'protocols\[0\]': 'grrr' is not allowed; allowed values: \["),
    ({"epsilons": [1, 0]}, r"'epsilons\[1\]': 0 is not allowed; must be a finite number > 0"),
    ({"epsilons": [1, -2]}, r"'epsilons\[1\]': -2 is not allowed"),
    ({"epsilons": ["one"]}, r"'epsilons\[0\]': 'one' is not allowed; must be a finite number > 0"),
    ({"epsilons": [float("inf")]}, r"'epsilons\[0\]': inf is not allowed"),
    ({"epsilons": []}, r"'epsilons' is empty"),
    (
        {"seeds": [0, -1]},
        r"'seeds\[1\]': -1 is not allowed; must be an integer in \[0, 2\^31 - 1\]",
    ),
    (
        {"budget_splits": ["equal"]},
        r"'budget_splits\[0\]': 'equal' is not allowed; allowed values: \['uniform', 'k_based'\]",
    ),
    ({"models": ["svm"]}, r"'models\[0\]': 'svm' is not allowed"),
    ({"acs": {"states": ["California"]}}, r"'acs.states\[0\]': 'California' is not allowed"),
    ({"acs": {"year": 2010}}, r"'acs.year': 2010 is not allowed"),
    (
        {"label_bias": {"kind": "underdiagnosis", "group": "Female"}},
        r"config key 'rate' is missing under 'label_bias'",
    ),
    ({"label_bias": {"kind": "mislabel"}}, r"'label_bias.kind': 'mislabel' is not allowed"),
    ({"synthetic": {"synthetic_scenario": {"n": 5}}}, r"'synthetic.synthetic_scenario.n': 5"),
    (
        {"synthetic": {"synthetic_multi": {"quantile": 1.5}}},
        r"'synthetic.synthetic_multi.quantile'",
    ),
]


@pytest.mark.parametrize(("change", "message"), BAD)
def test_bad_value_is_named(config: dict, schema: dict, change: dict, message: str) -> None:
    cfg = {**copy.deepcopy(config), **change}
    with pytest.raises(ConfigError, match=message):
        validate_config(cfg, schema)


def test_misspelled_key_suggests_the_right_one(config: dict, schema: dict) -> None:
    cfg = copy.deepcopy(config)
    cfg["epsilon"] = cfg.pop("epsilons")
    with pytest.raises(
        ConfigError, match=r"unknown config key 'epsilon' \(did you mean 'epsilons'\?\)"
    ):
        validate_config(cfg, schema)


def test_grid_contains_baseline_and_every_cell(config: dict) -> None:
    grid = study_grid(config)
    n = len(config["datasets"]) * (1 + len(config["protocols"]) * len(config["epsilons"]))
    assert len(grid) == len(set(grid)) == n
    assert {g.path for g in grid if g.protocol == "none"} == {
        "adult/none/epsinf",
        "german/none/epsinf",
    }


def test_format_epsilon() -> None:
    assert [format_epsilon(e) for e in (1, 1.0, 0.25, 50, float("inf"))] == [
        "1",
        "1",
        "0.25",
        "50",
        "inf",
    ]


def test_snakemake_stops_before_any_job(repo: Path, tmp_path: Path) -> None:
    """An invalid config stops the DAG build with the message, and no job runs."""
    bad = yaml.safe_load((repo / "config" / "test.yaml").read_text())
    bad["protocols"] = ["grr", "rappor2"]
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(bad))
    snakemake = Path(sys.executable).parent / "snakemake"
    res = subprocess.run(
        [
            str(snakemake),
            "-s",
            str(repo / "Snakefile"),
            "--directory",
            str(tmp_path),
            "--configfile",
            str(cfg),
            "--cores",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "Invalid configuration: config key 'protocols[1]': 'rappor2' is not allowed" in out
    assert not (tmp_path / "data").exists() and not (tmp_path / "results").exists()
