"""Train one PyTorch autoencoder (basic, conv, denoising, VAE) for one code size and seed.

Resumable: the state is saved every epoch to .checkpoint.pt beside the outputs (not an output, so
Snakemake keeps it when a killed job reruns) and removed once the outputs are written.
"""

from dlrepro.autoencoder.study import train_torch_job
from dlrepro.runner import run_job

run_job(snakemake, train_torch_job)
