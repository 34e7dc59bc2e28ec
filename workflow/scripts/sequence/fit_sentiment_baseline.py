"""Task A's simple baselines: a bag-of-n-grams logistic regression, plain or NB-scaled (Wang & Manning 2012), for one seed."""

from dlrepro.runner import run_job
from dlrepro.sequence.study import fit_baseline_job

run_job(snakemake, fit_baseline_job, checkpoint=None)
