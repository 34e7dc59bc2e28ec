"""Every autoencoder side by side, the compression-fidelity curve, and the §1.5 verdicts."""

from dlrepro.autoencoder.report import summarize_autoencoder_models
from dlrepro.io import read_json, setup_logging, write_json

setup_logging(snakemake.log[0])
summary = summarize_autoencoder_models(
    [read_json(p) for p in snakemake.input.torch_runs],
    [read_json(p) for p in snakemake.input.tuned_runs],
    read_json(snakemake.input.paper),
    code_size=snakemake.params.code_size,
)
write_json(snakemake.output.summary, summary)
