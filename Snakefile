# fairldp: one chain of stages from data to figures; a study file says which variants run.
# See README.md and config/README.md.
from snakemake.utils import min_version

min_version("9.0")


report: "workflow/report/workflow.rst"


# The default study, unless a study is given with --configfile (which then stands alone: a study
# file is complete, and merging it into the default would inherit the default's variants).
if not workflow.overwrite_configfiles:

    configfile: "config/studies/default.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/chain.smk"
include: "workflow/rules/results.smk"


rule all:
    default_target: True
    input:
        all_outputs(),
