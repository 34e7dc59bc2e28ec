"""The vision models' learning-rate sweep (one model) on held-out training images."""

from dlrepro.runner import run_job
from dlrepro.vision.tune import tune_job

run_job(snakemake, tune_job, checkpoint=None)
