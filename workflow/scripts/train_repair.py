"""Snakemake script of rule train_repair: see fairldp.repair.stages.train_cell."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp.repair.stages import train_cell
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
train_cell(
    snakemake.wildcards.dataset, snakemake.input[0], snakemake.output[0], snakemake.params.model
)
