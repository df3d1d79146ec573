"""Snakemake script of rule provenance: writes the record computed at DAG build."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp.provenance import write_provenance
from fairldp.runlog import setup_logging

setup_logging(snakemake.log[0])
write_provenance(snakemake.params.record, snakemake.output.json, snakemake.output.html)
