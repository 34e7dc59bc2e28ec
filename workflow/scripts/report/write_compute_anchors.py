"""The published reference points (anchors.yaml) for the report's appendix, and this run's points beside them."""

from pathlib import Path

from dlrepro.anchors import anchors_tex, load_anchors, placement_tex
from dlrepro.curves import read_curves
from dlrepro.io import setup_logging

setup_logging(snakemake.log[0])
anchors = load_anchors(snakemake.input.anchors)
rows = [row for path in snakemake.input.curves for row in read_curves(path)]
Path(snakemake.output.anchors).write_text(anchors_tex(anchors))
Path(snakemake.output.placement).write_text(placement_tex(rows, anchors))
