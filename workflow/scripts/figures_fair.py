"""Snakemake script of rule figures_fair: see fairldp.fair.stages.plot_methods."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp.fair.stages import plot_methods
from fairldp.io import read_parquet
from fairldp.runlog import setup_logging, timed

setup_logging(snakemake.log[0])
with timed("figures_fair"):
    metrics = read_parquet(snakemake.input[0])
    plot_methods(metrics, snakemake.wildcards.dataset, [snakemake.output.png, snakemake.output.pdf])
