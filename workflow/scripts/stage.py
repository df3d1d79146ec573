"""Snakemake script of every rule: runs the stage of the rule (fairldp.stages.STAGES; the param
``stage`` when several rules share one) with the rule's named inputs, outputs and params as
keyword arguments."""

import _src  # noqa: F401  (fairldp from src/ when not installed)

from fairldp import stages
from fairldp.runlog import setup_logging


def _plain(value):
    """Snakemake's named lists as plain lists (a single path stays a string)."""
    return list(value) if isinstance(value, list) else value


setup_logging(snakemake.log[0])
kwargs = {
    **{k: _plain(v) for k, v in snakemake.input.items()},
    **{k: v for k, v in snakemake.params.items() if k not in ("code", "plugins", "stage")},
}
if not snakemake.params.get("stage"):  # a rule per figure has its outputs in params.files
    kwargs.update({k: _plain(v) for k, v in snakemake.output.items()})
stages.run(
    snakemake.params.get("stage", snakemake.rule),
    plugins=snakemake.params.get("plugins", ()),
    threads=snakemake.threads,
    **kwargs,
)
