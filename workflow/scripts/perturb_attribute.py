"""Snakemake script of rule perturb_attribute: see fairldp.fair.stages.perturb_attribute."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp.fair.stages import perturb_attribute
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
perturb_attribute(
    snakemake.wildcards.dataset,
    snakemake.input.train,
    snakemake.input.test,
    snakemake.output[0],
    protocol=snakemake.wildcards.protocol,
    epsilon=snakemake.params.epsilon,
    seeds=snakemake.params.seeds,
    attribute=snakemake.params.attribute,
)
