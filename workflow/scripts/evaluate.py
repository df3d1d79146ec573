"""Snakemake script of rule evaluate: see fairldp.pipeline.evaluate."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp import pipeline
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
pipeline.evaluate(
    list(snakemake.input.predictions),
    list(snakemake.input.tests),
    snakemake.output[0],
    study=snakemake.params.study,
)
