# dlrepro: reproduce the survey in ../shared/paper/paper.txt end to end.
#   snakemake --cores all                                   # the paper's settings
#   snakemake --cores 2 --configfile config/tiny.yaml       # the same DAG in a minute or two
# See README.md for the offline option and how to build one figure or one study.

from snakemake.utils import min_version

min_version("9.0")


configfile: workflow.source_path("config/config.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/autoencoder.smk"
include: "workflow/rules/gan.smk"
include: "workflow/rules/sequence.smk"
include: "workflow/rules/vision.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        rules.build_report.output.pdf,
