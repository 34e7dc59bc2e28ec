"""Mean and 95% CI over seeds of every NumPy-AE reading, next to the baselines."""

from dlrepro.autoencoder.report import summarize_autoencoder
from dlrepro.io import read_json, setup_logging, write_json

setup_logging(snakemake.log[0])
runs = [read_json(path) for path in snakemake.input.runs]
summary = summarize_autoencoder(
    runs, read_json(snakemake.input.baselines), default_reduction=snakemake.params.default_reduction
)
write_json(snakemake.output.summary, summary)
