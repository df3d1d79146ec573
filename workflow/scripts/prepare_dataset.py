"""Snakemake script of rule prepare_dataset: see fairldp.pipeline.prepare."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp import pipeline
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
pipeline.prepare(
    snakemake.wildcards.dataset,
    snakemake.params.raw_dir,
    snakemake.output[0],
    download_dir=snakemake.params.download_dir,
    lock=snakemake.params.lock,
    params=snakemake.params.generator,
    acs=snakemake.params.acs,
)
