"""Snakemake script of rule represent: see fairldp.pipeline.represent."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp import pipeline
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
pipeline.represent(
    snakemake.wildcards.dataset,
    snakemake.input.perturbed,
    snakemake.input.test,
    snakemake.output[0],
    method=snakemake.params.method,
)
