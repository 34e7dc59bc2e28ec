"""The vision figures: accuracy against training-set size, confusion matrices, ViT attention rollout."""

import numpy as np

from dlrepro.io import read_json, setup_logging
from dlrepro.vision.plots import CLASSES, attention_figure, confusion_figure, trend_figure
from dlrepro.vision.study import MODEL_NAMES

setup_logging(snakemake.log[0])
summary = read_json(snakemake.input.summary)
runs = [read_json(p) for p in snakemake.input.runs]
trend_figure(summary, runs).savefig(snakemake.output.trend)

# confusion matrices summed over the seeds at the largest fraction; attention of the first ViT seed
arrays = {path: np.load(path) for path in snakemake.input.arrays}
matrices = {MODEL_NAMES[m]: sum(a["confusion"] for p, a in arrays.items() if f"/{m}/" in p) for m in ("cnn", "vit")}
vit = next(a for p, a in arrays.items() if "/vit/" in p)
names = tuple(vit["class_names"]) if "class_names" in vit else CLASSES  # CIFAR-10's when the run stored none
confusion_figure(matrices, names).savefig(snakemake.output.confusion)
attention_figure(vit["attention_images"], vit["attention_maps"], vit["attention_labels"], vit["attention_predictions"], names).savefig(
    snakemake.output.attention
)
