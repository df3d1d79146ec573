"""Snakemake script of rule figures: see fairldp.plotting.plot_metric_grid."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp import pipeline
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
pipeline.figures(
    snakemake.input[0],
    snakemake.wildcards.dataset,
    models=snakemake.params.models,
    groups={"fairness": snakemake.params.fairness, "utility": snakemake.params.utility},
    outputs=dict(snakemake.output.items()),
)
