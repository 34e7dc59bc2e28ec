"""Fetch one data set (download or offline copy), verify it, and record its provenance."""

from dlrepro.data.fetch import fetch_dataset
from dlrepro.data.sources import dataset_from_spec
from dlrepro.io import log_header, setup_logging, write_json

setup_logging(snakemake.log[0])
fetch = dict(snakemake.params.fetch)
data_dir = fetch.pop("data_dir") or None
log_header(dataset=snakemake.params.dataset, data_dir=data_dir, **fetch)

name, spec = snakemake.params.dataset, snakemake.params.spec
dataset = dataset_from_spec(name, spec) if spec else name
provenance = fetch_dataset(
    dataset,
    dest_dir=snakemake.output.provenance.rsplit("/", 1)[0],
    data_dir=data_dir,
    checksums=fetch["checksums"],
    timeout=fetch["timeout"],
    retries=fetch["retries"],
    backoff=fetch["backoff"],
)
write_json(snakemake.output.provenance, provenance)
