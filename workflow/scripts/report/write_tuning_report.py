"""Every tuned model's learning-rate sweep for the report's appendix: a figure and a table (dlrepro.tuning)."""

from pathlib import Path

from dlrepro.io import read_json, setup_logging
from dlrepro.tuning import plot_sweeps, sweeps_table

setup_logging(snakemake.log[0])
records = [read_json(p) for p in snakemake.input.sweeps]
plot_sweeps(records).savefig(snakemake.output.figure)
Path(snakemake.output.table).write_text(sweeps_table(records))
