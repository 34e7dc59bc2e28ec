"""The sequence study's figures: accuracy with CIs, bpc against context, throughput, learning curves, and the
compute ladder (each model's score and the paired gaps against counted training FLOPs, published points as stars)."""

from pathlib import Path

import pandas as pd

from dlrepro.anchors import load_anchors
from dlrepro.curves import plot_curves, read_curves
from dlrepro.io import read_json, setup_logging
from dlrepro.sequence.curves import curve_panels
from dlrepro.sequence.plots import accuracy_figure, context_figure, learning_curves_figure, throughput_figure

setup_logging(snakemake.log[0])
inp, out = snakemake.input, snakemake.output
summary = read_json(inp.summary)
longest = summary["char_lm"]["contexts"][-1]
sentiment, char_lm = {}, {}
top = (
    f"budget{summary['sentiment_budget']}",
    f"budget{summary['char_lm']['budget']}",
)  # the curves of the largest budget
for path in inp.sentiment_histories:  # results/sequence/sentiment/{model}/budget{b}/seed{seed}/history.csv
    if Path(path).parts[-3] == top[0]:
        h = pd.read_csv(path)
        sentiment.setdefault(Path(path).parts[-4], []).append((h["epoch"].to_numpy(), h["val_accuracy"].to_numpy()))
for path in inp.char_lm_histories:  # results/sequence/char_lm/{model}/ctx{context}/budget{b}/seed{seed}/history.csv
    if Path(path).parts[-4] == f"ctx{longest}" and Path(path).parts[-3] == top[1]:
        h = pd.read_csv(path)
        char_lm.setdefault(Path(path).parts[-5], []).append((h["step"].to_numpy(), h["test_bpc"].to_numpy()))

accuracy_figure(summary).savefig(out.accuracy)
context_figure(summary).savefig(out.context)
throughput_figure(summary).savefig(out.throughput)
learning_curves_figure(sentiment, char_lm, target=summary["target_accuracy"], context=longest).savefig(out.curves)
# the compute ladder on one FLOP axis (log): sentiment accuracy, bpc per context, and the paired gaps
curves = read_curves(inp.curves)
plot_curves({"this run": curves}, load_anchors(inp.anchors), panels=curve_panels(curves)).savefig(out.ladder)
