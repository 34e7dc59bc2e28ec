"""Train the MNIST classifier whose features and softmax score generated digits; record its reference points."""

from dlrepro.gan.study import train_classifier_job
from dlrepro.runner import run_job

run_job(snakemake, train_classifier_job, checkpoint=None)
