"""Task A: train one sequence model (rnn, lstm, transformer) as a sentence classifier for one seed."""

from pathlib import Path

import torch

from dlrepro.device import pick_device, set_threads
from dlrepro.io import log_header, read_json, setup_logging, write_csv, write_json
from dlrepro.ladder import scaled
from dlrepro.sequence.data import load_labelled_texts
from dlrepro.sequence.study import run_sentiment

setup_logging(snakemake.log[0])
set_threads(snakemake.threads)
wc, p, inp = snakemake.wildcards, snakemake.params, snakemake.input
device = pick_device(p.device)
log_header(
    model=wc.seq_model,
    seed=wc.seed,
    budget=p.budget,
    torch=torch.__version__,
    device=str(device),
    threads=snakemake.threads,
    model_settings=p.model,
    **p.sentiment,
)

data = p.sentiment["data"]
if data["source"] == "csv":
    texts, labels, classes = load_labelled_texts(source="csv", csv_spec={**data["csv"], "path": inp.csv})
    status = f"user CSV ({Path(inp.csv).name})"
else:
    texts, labels, classes = load_labelled_texts(source="rt_polarity", cache=inp.cache)
    status = read_json(inp.provenance)["status"]
settings = {k: v for k, v in p.sentiment.items() if k != "target_accuracy"} | {"model": p.model}
settings["optim"] = {
    **settings["optim"],
    "epochs": scaled(settings["optim"]["epochs"], p.budget),
}  # the budget's share of the ladder
checkpoint = Path(snakemake.output.metrics).parent / ".checkpoint.pt"
metrics, history = run_sentiment(
    texts, labels, classes, wc.seq_model, settings, seed=int(wc.seed), device=str(device), checkpoint=checkpoint
)
metrics.update(data_status=status, source=data["source"], budget=p.budget)

write_json(snakemake.output.metrics, metrics)
write_csv(snakemake.output.history, history)
