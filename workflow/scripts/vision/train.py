"""Train one image classifier (CNN or ViT) on one class-balanced fraction of the vision data set for one seed."""

from pathlib import Path

import numpy as np
import torch

from dlrepro.checkpoint import Checkpointer
from dlrepro.device import pick_device, set_threads
from dlrepro.io import log_header, read_json, setup_logging, write_csv, write_json
from dlrepro.vision.study import load_vision_data, run_vision

setup_logging(snakemake.log[0])
set_threads(snakemake.threads)
wc, p = snakemake.wildcards, snakemake.params
seed, fraction, device = int(wc.seed), p.fraction, pick_device(p.device)
settings = {
    **p.settings,
    "train": {**p.settings["train"], "epochs": p.settings["train"]["epochs"] * p.budget},
}  # this budget's epochs (may be fractional)
log_header(
    model=wc.vis_model,
    fraction=fraction,
    budget=p.budget,
    seed=seed,
    torch=torch.__version__,
    device=str(device),
    threads=snakemake.threads,
    **settings,
    **p.data,
)

d = p.data
data = load_vision_data(
    snakemake.input.cache,
    fraction=fraction,
    seed=seed,
    train_examples=d["train_examples"],
    test_examples=d["test_examples"],
    dataset=d["dataset"],
)
status = read_json(snakemake.input.provenance)["status"]
checkpoint = Checkpointer(
    Path(snakemake.output.metrics).parent / ".checkpoint.pt",
    {"model": wc.vis_model, "fraction": fraction, "seed": seed, "device": str(device), **settings, **p.data},
)
metrics, history, arrays = run_vision(
    data, wc.vis_model, settings, seed=seed, fraction=fraction, device=device, checkpoint=checkpoint, data_status=status
)

metrics["budget"] = p.budget
write_json(snakemake.output.metrics, metrics)
write_csv(snakemake.output.history, history)
np.savez_compressed(snakemake.output.arrays, **arrays)
checkpoint.remove()
