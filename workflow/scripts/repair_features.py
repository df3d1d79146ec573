"""Snakemake script of rule repair_features: see fairldp.repair.stages.repair_cell."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp.repair.stages import repair_cell
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
w = snakemake.wildcards
repair_cell(
    w.dataset,
    snakemake.input[0],
    snakemake.output[0],
    method=w.method,
    groups=w.groups,
    amounts=snakemake.params.amounts,
    seeds=snakemake.params.seeds,
)
