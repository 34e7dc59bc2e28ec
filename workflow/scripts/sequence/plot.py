"""The sequence study's four figures: accuracy with CIs, bpc against context, throughput, learning curves."""

from pathlib import Path

import pandas as pd

from dlrepro.io import read_json, setup_logging
from dlrepro.sequence.plots import accuracy_figure, context_figure, learning_curves_figure, throughput_figure

setup_logging(snakemake.log[0])
inp, out = snakemake.input, snakemake.output
summary = read_json(inp.summary)
longest = summary["char_lm"]["contexts"][-1]
sentiment, char_lm = {}, {}
for path in inp.sentiment_histories:  # results/sequence/sentiment/{model}/seed{seed}/history.csv
    h = pd.read_csv(path)
    sentiment.setdefault(Path(path).parts[-3], []).append((h["epoch"].to_numpy(), h["val_accuracy"].to_numpy()))
for path in inp.char_lm_histories:  # results/sequence/char_lm/{model}/ctx{context}/seed{seed}/history.csv
    if Path(path).parts[-3] == f"ctx{longest}":
        h = pd.read_csv(path)
        char_lm.setdefault(Path(path).parts[-4], []).append((h["step"].to_numpy(), h["test_bpc"].to_numpy()))

accuracy_figure(summary).savefig(out.accuracy)
context_figure(summary).savefig(out.context)
throughput_figure(summary).savefig(out.throughput)
learning_curves_figure(sentiment, char_lm, target=summary["target_accuracy"], context=longest).savefig(out.curves)
