"""Snakemake script of rule label_bias: see fairldp.pipeline.label_bias."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp import pipeline
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
inp, out, settings = snakemake.input[0], snakemake.output[0], snakemake.params.settings
pipeline.label_bias(snakemake.wildcards.dataset, inp, out, **settings)
