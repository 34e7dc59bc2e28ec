"""Generate the sequence section's macros, tables and generated-text blocks from the results."""

from pathlib import Path

from dlrepro.io import read_json, setup_logging
from dlrepro.sequence.report import sequence_tex

setup_logging(snakemake.log[0])
out = snakemake.output
summary = read_json(snakemake.input.summary)
samples = {}
for path, metrics_path in zip(snakemake.input.samples, snakemake.input.sample_metrics):  # one per model
    metrics = read_json(metrics_path)
    samples[metrics["model"]] = (metrics["sample_prompt"], Path(path).read_text(encoding="utf-8"))
tex = sequence_tex(summary, snakemake.params.setting, snakemake.params.seeds, samples)
for key in ("values", "setting", "accuracy", "bpc", "samples"):
    Path(getattr(out, key)).write_text(tex[key], encoding="utf-8")
