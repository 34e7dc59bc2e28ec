"""Summarise the GAN runs over seeds; write the claims (verdicts computed), the report's LaTeX snippets and
the compute ladder's curves on the FLOP axis (results/gan/curves.csv)."""

import csv

from dlrepro.curves import write_curves
from dlrepro.gan.curves import ladder_curves
from dlrepro.gan.report import gan_claims, gan_tex, summarize_gan
from dlrepro.io import read_json, setup_logging, write_json

setup_logging(snakemake.log[0])
settings, seeds = snakemake.params.settings, snakemake.params.seeds


def read_history(path):
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


runs = [read_json(p) for p in snakemake.input.runs]
histories = {(r["model"], r["seed"]): read_history(p) for r, p in zip(runs, snakemake.input.histories)}
classifier = read_json(snakemake.input.classifier)
per_epoch = str(min(settings["eval"]["samples_per_epoch"], classifier["train_examples"]))
summary = summarize_gan(
    runs,
    histories,
    classifier,
    samples_per_epoch=int(per_epoch),
    claims=settings["claims"],
    budgets=settings["budgets"],
)
claims = gan_claims(summary)
tex = gan_tex(summary, claims, settings, seeds)

write_json(snakemake.output.summary, summary)
write_json(snakemake.output.claims, claims)
write_curves(snakemake.output.curves, ladder_curves(histories, summary["ladder_epochs"]))
for key in ("values", "settings", "metrics", "probe"):
    name = {"settings": "setting_table", "metrics": "metrics_table", "probe": "probe_table"}.get(key, key)
    with open(snakemake.output[key], "w") as f:
        f.write(tex[name])
