"""Snakemake script of rule train: see fairldp.pipeline.train."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp import pipeline
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
pipeline.train(
    snakemake.wildcards.dataset,
    snakemake.input[0],
    snakemake.output[0],
    models=snakemake.params.models,
    seeds=snakemake.params.seeds,
)
