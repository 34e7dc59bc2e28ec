"""Train one PyTorch autoencoder (basic, conv, denoising, VAE) for one code size and seed.

Resumable: the state is saved every epoch to .checkpoint.pt beside the outputs (not an output, so
Snakemake keeps it when a killed job reruns) and removed once the outputs are written.
"""

from pathlib import Path

import numpy as np
import torch

from dlrepro.autoencoder.study import load_autoencoder_data, remove_checkpoint, run_torch_ae
from dlrepro.device import set_threads
from dlrepro.io import log_header, read_json, setup_logging, write_csv, write_json

setup_logging(snakemake.log[0])
set_threads(snakemake.threads)
checkpoint = Path(snakemake.output.metrics).parent / ".checkpoint.pt"
wc = snakemake.wildcards
seed, code = int(wc.seed), int(wc.code)
log_header(
    model=wc.model,
    code_size=code,
    seed=seed,
    torch=torch.__version__,
    device="cpu",
    threads=snakemake.threads,
    **snakemake.params.model,
    **snakemake.params.data,
)

data = load_autoencoder_data(snakemake.input.cache, **snakemake.params.data)
status = read_json(snakemake.input.provenance)["status"]
metrics, history, arrays = run_torch_ae(
    data, wc.model, snakemake.params.model, code_size=code, seed=seed, data_status=status, checkpoint_path=checkpoint
)

write_json(snakemake.output.metrics, metrics)
write_csv(snakemake.output.history, history)
np.savez_compressed(snakemake.output.samples, **arrays)
remove_checkpoint(checkpoint)
