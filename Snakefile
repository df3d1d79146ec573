# fairldp: one DAG from vendored data to figures. See README.md and config/README.md.
from snakemake.utils import min_version

min_version("9.0")


report: "workflow/report/workflow.rst"


# The default study, unless a study is given with --configfile (which then stands alone: a study
# file is complete, and merging it into the default would inherit the default's optional parts).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"



include: "workflow/rules/common.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/perturb.smk"
include: "workflow/rules/represent.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/fair.smk"
include: "workflow/rules/repair.smk"
include: "workflow/rules/provenance.smk"


rule all:
    input:
        all_outputs(),
    default_target: True
