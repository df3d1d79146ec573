"""Proxies of a sensitive attribute among the unperturbed features, reported at prepare."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairldp.datasets import get_dataset
from fairldp.io import read_parquet
from fairldp.privacy import proxy_report
from fairldp.stages.data import write_prepared


def test_adult_relationship_reveals_sex_in_46_percent_of_rows(
    raw_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "adult.parquet"
    with caplog.at_level("WARNING"):
        df = write_prepared("adult", raw_dir, out)
    (top,) = [p for p in read_parquet(out).attrs["fairldp"]["proxies"] if p["attribute"] == "sex"]
    assert top["feature"] == "relationship"
    # husband and wife (and a few others) give sex with >= 99% purity: 45.9% of the rows
    assert top["determined_share"] == pytest.approx(0.459, abs=0.001)
    assert 0.3 < top["normalized_mi"] < 0.6
    assert "proxy: relationship determines sex in 46% of rows" in caplog.text
    assert len(df) == 45222


def test_confirming_a_majority_is_no_proxy(raw_dir: Path) -> None:
    from fairldp.datasets import prepare

    spec = get_dataset("german")
    df = prepare(spec, raw_dir)
    # one value of `property` holds only foreign workers (33% of rows), but 96% of all rows are
    # foreign workers: normalized MI 0.07, not reported; with the MI floor off it would be
    assert proxy_report(df, spec) == []
    loose = proxy_report(df, spec, min_mi=0.0)
    assert loose[0]["feature"] == "property" and loose[0]["attribute"] == "foreign_worker"
