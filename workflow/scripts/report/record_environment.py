"""Record what the results were computed on (date, hardware, versions, git state), once they exist."""

from dlrepro.io import setup_logging, write_json
from dlrepro.provenance import environment

setup_logging(snakemake.log[0])
write_json(snakemake.output.environment, environment(snakemake.params.repo_dir))
