"""Baselines that give the autoencoder's error a scale: the mean image, and PCA of the same code size."""

from dlrepro.blas import configure_blas

configure_blas(snakemake.threads)  # before NumPy loads its BLAS

from dlrepro.autoencoder.study import fit_baselines_job
from dlrepro.runner import run_job

run_job(snakemake, fit_baselines_job, torch=False, checkpoint=None)
