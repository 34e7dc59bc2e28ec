"""Task B: train one sequence model as a character LM (Tiny Shakespeare, or the configured text file) at one
context length and seed, at every budget of the ladder (one warm-up-stable-decay trunk, a cool-down branch per
budget)."""

from dlrepro.runner import run_job
from dlrepro.sequence.study import train_char_lm_job

run_job(snakemake, train_char_lm_job)
