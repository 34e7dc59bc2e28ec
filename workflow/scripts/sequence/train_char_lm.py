"""Task B: train one sequence model as a character LM (Tiny Shakespeare, or the configured text file) at one
context length and seed."""

from pathlib import Path

import torch

from dlrepro.data.prepare import load_cache
from dlrepro.device import pick_device, set_threads
from dlrepro.io import log_header, read_json, setup_logging, write_csv, write_json
from dlrepro.ladder import scaled
from dlrepro.sequence.data import read_text_corpus
from dlrepro.sequence.study import run_char_lm

setup_logging(snakemake.log[0])
set_threads(snakemake.threads)
wc, p = snakemake.wildcards, snakemake.params
device = pick_device(p.device)
log_header(
    model=wc.seq_model,
    context=wc.seq_context,
    seed=wc.seed,
    budget=p.budget,
    torch=torch.__version__,
    device=str(device),
    threads=snakemake.threads,
    model_settings=p.model,
    **p.char_lm,
)

data = p.char_lm["data"]
if data["source"] == "file":
    text = read_text_corpus(
        snakemake.input.text, longest_context=max(p.char_lm["contexts"]), test_fraction=data["test_fraction"]
    )
    status, source = f"user file ({Path(snakemake.input.text).name})", Path(snakemake.input.text).name
else:
    text = load_cache(snakemake.input.cache)["text"]
    status, source = read_json(snakemake.input.provenance)["status"], "tinyshakespeare"
settings = {k: v for k, v in p.char_lm.items() if k != "contexts"} | {"model": p.model}
settings["optim"] = {
    **settings["optim"],
    "steps": scaled(settings["optim"]["steps"], p.budget),
}  # the budget's share of the ladder
checkpoint = Path(snakemake.output.metrics).parent / ".checkpoint.pt"
metrics, history, sample = run_char_lm(
    text,
    wc.seq_model,
    settings,
    context=int(wc.seq_context),
    seed=int(wc.seed),
    device=str(device),
    checkpoint=checkpoint,
)
metrics.update(data_status=status, source=source, budget=p.budget)

write_json(snakemake.output.metrics, metrics)
write_csv(snakemake.output.history, history)
Path(snakemake.output.sample).write_text(sample, encoding="utf-8")
