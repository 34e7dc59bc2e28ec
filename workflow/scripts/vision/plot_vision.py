"""The vision figures: accuracy against training-set size, accuracy and gap against training FLOPs (the
compute ladder, with published reference points), confusion matrices, ViT attention rollout."""

import numpy as np

import dlrepro.plotting  # noqa: F401  (the report's figure settings: embedded TrueType fonts)
from dlrepro.anchors import load_anchors
from dlrepro.curves import plot_curves, read_curves
from dlrepro.io import read_json, setup_logging
from dlrepro.ladder import budget_name
from dlrepro.vision.plots import CLASSES, attention_figure, confusion_figure, tidy_ladder, trend_figure
from dlrepro.vision.study import MODEL_NAMES

setup_logging(snakemake.log[0])
summary = read_json(snakemake.input.summary)
runs = [
    r for r in map(read_json, snakemake.input.runs) if budget_name(r.get("budget", 1.0)) == summary["budget"]
]  # the largest budget
trend_figure(summary, runs).savefig(snakemake.output.trend)
# the compute ladder on one FLOP axis: each model's accuracy (published points as stars) and the paired gap
anchors = load_anchors(snakemake.input.anchors)
ladder = plot_curves(
    {"this run": read_curves(snakemake.input.curves)}, anchors, panels=[("vision", "accuracy"), ("vision", "gap")]
)
tidy_ladder(ladder).savefig(snakemake.output.ladder)

# confusion matrices summed over the seeds at the largest fraction; attention of the first ViT seed
arrays = {path: np.load(path) for path in snakemake.input.arrays}
matrices = {MODEL_NAMES[m]: sum(a["confusion"] for p, a in arrays.items() if f"/{m}/" in p) for m in ("cnn", "vit")}
vit = next(a for p, a in arrays.items() if "/vit/" in p)
names = tuple(vit["class_names"]) if "class_names" in vit else CLASSES  # CIFAR-10's when the run stored none
confusion_figure(matrices, names).savefig(snakemake.output.confusion)
attention_figure(
    vit["attention_images"], vit["attention_maps"], vit["attention_labels"], vit["attention_predictions"], names
).savefig(snakemake.output.attention)
