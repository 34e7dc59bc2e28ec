"""Task A: train one sequence model (rnn, lstm, transformer) as a sentence classifier for one budget and seed."""

from dlrepro.runner import run_job
from dlrepro.sequence.study import train_sentiment_job

run_job(snakemake, train_sentiment_job)
