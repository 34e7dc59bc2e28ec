"""Train the NumPy autoencoder for one seed: the paper's setting under one reading of "MSE"
(train_numpy_autoencoder) or the tuned setting (train_numpy_autoencoder_tuned).

Resumable: the state is saved every epoch to .checkpoint.npz beside the outputs (not an output, so
Snakemake keeps it when a killed job reruns) and removed once the outputs are written.
"""

from dlrepro.blas import configure_blas

configure_blas(snakemake.threads)  # before NumPy loads its BLAS

from dlrepro.autoencoder.study import train_numpy_job
from dlrepro.runner import run_job

run_job(snakemake, train_numpy_job, torch=False, checkpoint=".checkpoint.npz")
