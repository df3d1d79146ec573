"""Snakemake script of rule derive_raw_file: see fairldp.pipeline.derive."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp import pipeline
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
pipeline.derive(snakemake.wildcards.derived, snakemake.input[0], snakemake.output[0])
