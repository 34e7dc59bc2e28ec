"""Test MSE per epoch for every reading of "MSE" and seed, with the baselines as reference lines."""

import pandas as pd

from dlrepro.autoencoder.plots import learning_curves
from dlrepro.io import read_json, setup_logging

setup_logging(snakemake.log[0])
n_seeds = len(snakemake.params.seeds)
curves = {}
for i, reading in enumerate(snakemake.params.readings):  # inputs are ordered reading-major, then seed
    paths = snakemake.input.histories[i * n_seeds : (i + 1) * n_seeds]
    curves[f"NumPy AE, MSE: {reading}"] = [
        (h["epoch"].to_numpy(), h["test_mse"].to_numpy()) for h in map(pd.read_csv, paths)
    ]
base = read_json(snakemake.input.baselines)
baselines = {"mean image": base["mean_image_mse"], f"PCA-{base['pca_components']}": base["pca_mse"]}
learning_curves(curves, baselines).savefig(snakemake.output.figure)
