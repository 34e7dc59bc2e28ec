"""Summarise the vision runs over seeds and fractions; write the claims, the curves against training FLOPs and
the report's generated LaTeX."""

from pathlib import Path

from dlrepro.curves import write_curves
from dlrepro.io import read_json, setup_logging, write_json
from dlrepro.vision.report import setting_rows, vision_claims, vision_tex
from dlrepro.vision.study import summarize_vision, vision_curves

setup_logging(snakemake.log[0])
runs = [read_json(p) for p in snakemake.input.runs]
baseline = [read_json(p) for p in snakemake.input.baseline]
summary = summarize_vision(runs, baseline)
claims = vision_claims(summary)
write_json(snakemake.output.summary, summary)
write_json(snakemake.output.claims, claims)
write_curves(snakemake.output.curves, vision_curves(runs, baseline))  # accuracy and gap against training FLOPs
tex = vision_tex(
    summary, claims, setting_rows(snakemake.params.settings, snakemake.params.seeds, bf16_used=summary["bf16"])
)
for name, text in tex.items():
    Path(snakemake.output[name]).write_text(text, encoding="utf-8")
