"""Snakemake script of rule figures_repair: see fairldp.repair.stages.plot_repair."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp.io import read_parquet
from fairldp.repair.stages import plot_repair
from fairldp.runlog import setup_logging, timed

setup_logging(snakemake.log[0])
with timed("figures_repair"):
    out = [snakemake.output.png, snakemake.output.pdf]
    metrics = read_parquet(snakemake.input[0])
    plot_repair(metrics, snakemake.wildcards.dataset, out, epsilon=snakemake.params.epsilon)
