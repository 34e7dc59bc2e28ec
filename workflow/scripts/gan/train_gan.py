"""Train one GAN model (gan, lsgan, bigan) for one seed and score its samples after every epoch."""

from dlrepro.gan.study import train_job
from dlrepro.runner import run_job

run_job(snakemake, train_job)
