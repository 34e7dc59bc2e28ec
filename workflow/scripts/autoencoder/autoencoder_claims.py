"""The claims of the paper's §1 with their computed verdicts (results/autoencoder/claims.json)."""

from dlrepro.autoencoder.report import autoencoder_claims
from dlrepro.io import read_json, setup_logging, write_json

setup_logging(snakemake.log[0])
rows = autoencoder_claims(read_json(snakemake.input.summary), read_json(snakemake.input.models))
write_json(snakemake.output.claims, rows)
