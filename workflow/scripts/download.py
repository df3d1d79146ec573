"""Snakemake script of rule download: see fairldp.pipeline.download."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp import pipeline
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
pipeline.download(
    snakemake.wildcards.file,
    snakemake.params.out_dir,
    lock=snakemake.params.lock,
    acs=snakemake.params.acs,
    **snakemake.params.settings,
)
