"""Baselines that give the autoencoder's error a scale: the mean image, and PCA of the same code size."""

from dlrepro.blas import configure_blas

configure_blas(snakemake.threads)  # before NumPy loads its BLAS

from dlrepro.autoencoder.study import fit_baselines, load_autoencoder_data
from dlrepro.io import log_header, read_json, setup_logging, write_json

setup_logging(snakemake.log[0])
log_header(**snakemake.params.data, **snakemake.params.baselines)

data = load_autoencoder_data(snakemake.input.cache, **snakemake.params.data)
status = read_json(snakemake.input.provenance)["status"]
write_json(snakemake.output.metrics, fit_baselines(data, **snakemake.params.baselines, data_status=status))
