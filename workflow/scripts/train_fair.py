"""Snakemake script of rule train_fair: see fairldp.fair.stages.train_methods."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp.fair.stages import train_methods
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
train_methods(
    snakemake.wildcards.dataset,
    snakemake.input[0],
    snakemake.output[0],
    methods=snakemake.params.methods,
    model=snakemake.params.model,
    params=snakemake.params.params,
)
