"""Turn a data set's verified raw files into its uint8 cache."""

from pathlib import Path

from dlrepro.data.prepare import prepare
from dlrepro.io import setup_logging

setup_logging(snakemake.log[0])
prepare(
    snakemake.wildcards.dataset,
    Path(snakemake.output.cache).parent,
    snakemake.output.cache,
    kind=snakemake.params.format,
)
