"""Task C: seconds per training step and tokens/s against sequence length, for every model, on the device."""

from dlrepro.runner import run_job
from dlrepro.sequence.study import measure_throughput_job

run_job(snakemake, measure_throughput_job, checkpoint=None)
