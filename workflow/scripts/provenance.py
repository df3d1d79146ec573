"""Snakemake script of rule provenance: writes the record computed at DAG build."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp import pipeline

pipeline.setup_logging(snakemake.log[0])
pipeline.write_provenance(snakemake.params.record, snakemake.output.json, snakemake.output.html)
