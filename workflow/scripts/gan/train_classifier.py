"""Train the MNIST classifier whose features and softmax score generated digits; record its reference points."""

import numpy as np
import torch

from dlrepro.device import set_threads
from dlrepro.gan.study import load_gan_data, reference_sizes, run_classifier
from dlrepro.io import log_header, read_json, setup_logging, write_json

setup_logging(snakemake.log[0])
set_threads(snakemake.threads)
p = snakemake.params
log_header(torch=torch.__version__, device="cpu", threads=snakemake.threads, **p.classifier, **p.data)

data = load_gan_data(snakemake.input.cache, **p.data)
sizes = reference_sizes({"eval": p.eval}, data)
model, metrics, reference = run_classifier(data, p.classifier, sample_sizes=sizes, seed=p.classifier["seed"])
metrics["data_status"] = read_json(snakemake.input.provenance)["status"]

torch.save(model.state_dict(), snakemake.output.weights)
np.savez(snakemake.output.reference, **reference)
write_json(snakemake.output.metrics, metrics)
