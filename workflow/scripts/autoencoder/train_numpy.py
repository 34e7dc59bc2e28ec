"""Train the NumPy autoencoder (the paper's setting for one loss reading, or the tuned setting) for one seed.

Resumable: the state is saved every epoch to .checkpoint.npz beside the outputs (not an output, so
Snakemake keeps it when a killed job reruns) and removed once the outputs are written.
"""

from pathlib import Path

from dlrepro.blas import configure_blas

configure_blas(snakemake.threads)  # before NumPy loads its BLAS

import numpy as np

from dlrepro.autoencoder.study import load_autoencoder_data, remove_checkpoint, run_numpy_ae
from dlrepro.io import log_header, read_json, setup_logging, write_csv, write_json

setup_logging(snakemake.log[0])
seed = int(snakemake.wildcards.seed)
checkpoint = Path(snakemake.output.metrics).parent / ".checkpoint.npz"
log_header(
    seed=seed, threads=snakemake.threads, device="cpu (NumPy)", **snakemake.params.model, **snakemake.params.data
)

data = load_autoencoder_data(snakemake.input.cache, **snakemake.params.data)
status = read_json(snakemake.input.provenance)["status"]
metrics, history, arrays = run_numpy_ae(
    data, snakemake.params.model, seed=seed, data_status=status, checkpoint_path=checkpoint
)

write_json(snakemake.output.metrics, metrics)
write_csv(snakemake.output.history, history)
np.savez_compressed(snakemake.output.snapshots, **arrays)
remove_checkpoint(checkpoint)
