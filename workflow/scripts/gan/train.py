"""Train one GAN model (gan, lsgan, bigan) for one seed and score its samples after every epoch."""

from pathlib import Path

import numpy as np
import torch

from dlrepro.checkpoint import Checkpointer
from dlrepro.device import pick_device, set_threads
from dlrepro.gan.study import load_classifier, load_gan_data, run_gan
from dlrepro.io import log_header, read_json, setup_logging, write_csv, write_json

setup_logging(snakemake.log[0])
set_threads(snakemake.threads)
settings = snakemake.params.settings
kind, seed = snakemake.wildcards.gan_model, int(snakemake.wildcards.seed)
device = pick_device(settings["device"])
log_header(
    gan_model=kind,
    seed=seed,
    torch=torch.__version__,
    resolved_device=str(device),
    threads=snakemake.threads,
    **settings,
)

data = load_gan_data(snakemake.input.cache, **settings["data"])
c = settings["classifier"]
classifier = load_classifier(snakemake.input.classifier, channels=c["channels"], hidden=c["hidden"], device=device)
reference = dict(np.load(snakemake.input.reference))
checkpoint = Path(snakemake.output.metrics).parent / ".checkpoint.pt"
status = read_json(snakemake.input.provenance)["status"]
metrics, history, arrays = run_gan(
    data,
    kind,
    settings,
    seed=seed,
    classifier=classifier,
    reference=reference,
    device=device,
    checkpoint_path=checkpoint,
    data_status=status,
)

write_json(snakemake.output.metrics, metrics)
write_csv(snakemake.output.history, history)
np.savez_compressed(snakemake.output.samples, **arrays)
Checkpointer(checkpoint).remove()
