"""Figure 1 (originals above the default reading's reconstructions) and the same digits under every reading."""

import numpy as np

from dlrepro.io import setup_logging
from dlrepro.plotting import image_rows

setup_logging(snakemake.log[0])
runs = {r: np.load(path) for r, path in zip(snakemake.params.readings, snakemake.input.snapshots)}
default = runs[snakemake.params.default_reduction]

image_rows({"original": default["originals"], "reconstructed": default["reconstructions"]}).savefig(
    snakemake.output.figure1
)
rows = {"original": default["originals"]}
rows.update({f"MSE: {r}": run["reconstructions"] for r, run in runs.items()})
image_rows(rows).savefig(snakemake.output.readings)
