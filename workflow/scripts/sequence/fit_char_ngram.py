"""Task B's simple baseline: an interpolated Kneser-Ney character n-gram model (Chen & Goodman 1998)."""

from dlrepro.runner import run_job
from dlrepro.sequence.study import fit_char_ngram_job

run_job(snakemake, fit_char_ngram_job, torch=False, checkpoint=None)
