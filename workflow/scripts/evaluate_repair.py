"""Snakemake script of rule evaluate_repair: see fairldp.repair.stages.evaluate_cell."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp.repair.stages import evaluate_cell
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
i = snakemake.input
evaluate_cell(
    snakemake.wildcards.dataset,
    i.represented,
    i.predictions,
    i.train,
    i.test,
    snakemake.output[0],
    snakemake.params.study,
)
