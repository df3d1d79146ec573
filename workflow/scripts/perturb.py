"""Snakemake script of rule perturb: see fairldp.pipeline.perturb."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp import pipeline
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
pipeline.perturb(
    snakemake.wildcards.dataset,
    snakemake.input.train,
    snakemake.output[0],
    protocol=snakemake.wildcards.protocol,
    epsilon=snakemake.params.epsilon,
    budget_splits=snakemake.params.budget_splits,
    seeds=snakemake.params.seeds,
)
