"""The vision study's simple baseline: a linear classifier on pixels, on one fraction for one seed."""

from dlrepro.runner import run_job
from dlrepro.vision.study import fit_baseline_job

run_job(snakemake, fit_baseline_job, checkpoint=None)
