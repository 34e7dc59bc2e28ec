"""The character LMs' learning-rate sweep (one model and context) on a held-out share of the training text."""

from dlrepro.runner import run_job
from dlrepro.sequence.tune import tune_char_lm_job

run_job(snakemake, tune_char_lm_job, checkpoint=None)
