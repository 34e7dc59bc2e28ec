"""The sentiment models' learning-rate sweep (one model) on the validation part."""

from dlrepro.runner import run_job
from dlrepro.sequence.tune import tune_sentiment_job

run_job(snakemake, tune_sentiment_job, checkpoint=None)
