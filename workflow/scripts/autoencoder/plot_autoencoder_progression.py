"""Reconstructions of the fixed digits every few iterations of training (§1.3 step 6)."""

import numpy as np

from dlrepro.autoencoder.plots import reconstruction_progression
from dlrepro.io import setup_logging

setup_logging(snakemake.log[0])
run = np.load(snakemake.input.snapshots)
figure = reconstruction_progression(
    run["snapshot_iterations"], run["snapshots"], run["originals"], max_rows=snakemake.params.rows
)
figure.savefig(snakemake.output.figure)
