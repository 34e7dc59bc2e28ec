"""Train one image classifier (CNN or ViT) on one class-balanced fraction of the vision data set for one seed,
at every budget of the compute ladder: one warm-up-stable-decay trunk with a cool-down branch per budget."""

from dlrepro.runner import run_job
from dlrepro.vision.study import train_job

run_job(snakemake, train_job)
