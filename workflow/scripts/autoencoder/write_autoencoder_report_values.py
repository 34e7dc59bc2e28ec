"""The autoencoder section's generated values, tables and run description, from its summaries (no typed numbers)."""

from pathlib import Path

from dlrepro.autoencoder.report import autoencoder_models_tex, autoencoder_setting_rows, autoencoder_tex
from dlrepro.io import read_json, setup_logging

setup_logging(snakemake.log[0])
out = snakemake.output
summary = read_json(snakemake.input.autoencoder)

ae = autoencoder_tex(summary, autoencoder_setting_rows(snakemake.params.setting, summary["baselines"]))
Path(out.ae_values).write_text(ae["values"])
Path(out.ae_setting).write_text(ae["setting_table"])
Path(out.ae_metrics).write_text(ae["metrics_table"])
models = autoencoder_models_tex(read_json(snakemake.input.autoencoder_models))
Path(out.ae_models_values).write_text(models["values"])
Path(out.ae_models).write_text(models["models_table"])
Path(out.ae_compression).write_text(models["compression_table"])
