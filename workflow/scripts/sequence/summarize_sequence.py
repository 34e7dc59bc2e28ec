"""Means and CIs over seeds for the three tasks, the claims of §3.2 with their computed verdicts, and every
model's points against its counted training FLOPs (curves.csv, `dlrepro.sequence.curves`)."""

import pandas as pd

from dlrepro.curves import write_curves
from dlrepro.io import read_json, setup_logging, write_json
from dlrepro.ladder import budget_name
from dlrepro.sequence.claims import claims_json
from dlrepro.sequence.curves import sequence_curves
from dlrepro.sequence.summary import summarize_sequence

setup_logging(snakemake.log[0])
inp = snakemake.input
sentiment = [read_json(p) for p in inp.sentiment]
histories = {
    (m["model"], budget_name(m["budget"]), m["seed"]): pd.read_csv(p).to_dict("records")
    for m, p in zip(sentiment, inp.sentiment_histories)
}
char_lm = [read_json(p) for p in inp.char_lm]
baseline = [read_json(p) for p in inp.baseline]
lm_histories = {
    (m["model"], m["context"], budget_name(m["budget"]), m["seed"]): pd.read_csv(p).to_dict("records")
    for m, p in zip(char_lm, inp.char_lm_histories)
}
summary = summarize_sequence(
    sentiment,
    histories,
    char_lm,
    read_json(inp.throughput),
    target_accuracy=snakemake.params.target_accuracy,
    lm_histories=lm_histories,
    model_settings=snakemake.params.model,
    baseline=baseline,
    char_ngram=read_json(inp.char_ngram),
)
write_json(snakemake.output.summary, summary)
write_json(snakemake.output.claims, claims_json(summary))
write_curves(snakemake.output.curves, sequence_curves(sentiment, char_lm, baseline=baseline))
