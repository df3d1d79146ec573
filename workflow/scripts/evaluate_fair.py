"""Snakemake script of rule evaluate_fair: see fairldp.fair.stages.evaluate_methods."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp.fair.stages import evaluate_methods
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
evaluate_methods(
    snakemake.input.predictions, snakemake.input.tests, snakemake.output[0], snakemake.params.study
)
