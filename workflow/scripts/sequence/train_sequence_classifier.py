"""Task A: train one sequence model (rnn, lstm, transformer) as a sentence classifier for one seed at every budget
of the ladder (one warm-up-stable-decay trunk, a cool-down branch per budget)."""

from dlrepro.runner import run_job
from dlrepro.sequence.study import train_sentiment_job

run_job(snakemake, train_sentiment_job)
