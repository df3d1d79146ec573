"""Snakemake script of rule split_dataset: see fairldp.pipeline.split."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp import pipeline
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
pipeline.split(
    snakemake.wildcards.dataset,
    snakemake.input[0],
    seeds=snakemake.params.seeds,
    test_size=snakemake.params.test_size,
    out_train=snakemake.output.train,
    out_test=snakemake.output.test,
)
