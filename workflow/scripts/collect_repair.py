"""Snakemake script of rule collect_repair: the per-cell repair metrics in one table."""

import _src  # noqa: F401  (fairldp from src/ when not installed)
import pandas as pd

from fairldp.io import read_parquet, write_parquet
from fairldp.runlog import setup_logging, timed

setup_logging(snakemake.log[0])
with timed("collect_repair"):
    parts = [read_parquet(p) for p in snakemake.input]
    write_parquet(pd.concat(parts, ignore_index=True), snakemake.output[0], meta={})
