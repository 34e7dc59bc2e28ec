"""The sequence study's jobs: one run of each task, as plain functions and as the rules' training jobs.

The rules' scripts hand the `*_job` functions to `dlrepro.runner.run_job`, which gives them the run's
settings (`dlrepro.sequence.settings`), device and checkpointer and writes what they return. A training
job trains every budget of the compute ladder on one warm-up-stable-decay trunk (`dlrepro.sequence.wsd`)
and returns one result per budget. The `run_*` functions are the same runs on data already in memory::

    texts, labels, classes = load_labelled_texts(source="rt_polarity", cache="resources/rt_polarity/rt_polarity.npz")
    for metrics, history in run_sentiment(texts, labels, classes, "lstm", settings, seed=0): ...

Summaries over seeds are in `dlrepro.sequence.summary`, the claims in `dlrepro.sequence.claims`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlrepro.checkpoint import Checkpointer
from dlrepro.sequence.data import (
    build_vocab,
    char_corpus,
    load_labelled_texts,
    make_sentence_set,
    read_text_corpus,
    stratified_split,
    tokenize,
    validation_corpus,
)

__all__ = [
    "split_sentences",
    "run_sentiment",
    "run_char_lm",
    "run_throughput",
    "job_texts",
    "job_corpus",
    "train_sentiment_job",
    "fit_baseline_job",
    "fit_char_ngram_job",
    "train_char_lm_job",
    "measure_throughput_job",
]


def split_sentences(texts, labels, *, split: dict, min_count: int, max_vocab: int, max_tokens: int, seed: int):
    """The seeded stratified split, the vocabulary of its training part, and the three encoded parts."""
    parts = stratified_split(np.asarray(labels), split, seed)
    vocab = build_vocab((tokenize(texts[i]) for i in parts["train"]), min_count=min_count, max_size=max_vocab)
    sets = {
        name: make_sentence_set([texts[i] for i in idx], np.asarray(labels)[idx], vocab, max_tokens)
        for name, idx in parts.items()
    }
    return sets, vocab


def run_sentiment(
    texts,
    labels,
    classes,
    kind: str,
    settings: dict,
    *,
    seed: int,
    device: str = "cpu",
    checkpoint: Checkpointer | None = None,
    stop_after=None,
    validation_only: bool = False,
):
    """Task A for one model and seed at every budget of the ladder: one (metrics, history) per budget,
    sorted (None where `stop_after` ended the call). `settings` holds the job's `data`, `optim` (the base
    epochs and the cool-down share), `model` blocks and its `budgets` (`settings.sentiment_run_settings`).
    `checkpoint` saves the trunk at every epoch and each budget's result, and resumes a killed run; whoever
    made it removes it. With `validation_only` (a tuning run) the test part is never given to the
    training: the validation part stands in for it, so every "test" number is a validation number."""
    import torch

    from dlrepro.sequence.models import SeqModelConfig
    from dlrepro.sequence.training import ClassifierConfig, train_classifier

    data = settings["data"]
    sets, vocab = split_sentences(
        texts,
        labels,
        split=data["split"],
        min_count=data["min_count"],
        max_vocab=data["max_vocab"],
        max_tokens=data["max_tokens"],
        seed=seed,
    )
    runs = train_classifier(
        kind,
        sets["train"],
        sets["val"],
        sets["val"] if validation_only else sets["test"],
        vocab_size=len(vocab),
        n_classes=len(classes),
        model_config=SeqModelConfig.from_dict(settings["model"]),
        config=ClassifierConfig.from_dict(settings["optim"]),
        seed=seed,
        device=torch.device(device),
        budgets=settings["budgets"],
        checkpointer=checkpoint,
        stop_after=stop_after,
    )
    for metrics, _ in runs or []:
        metrics["classes"] = list(classes)
    return runs


def run_char_lm(
    text: np.ndarray | str,
    kind: str,
    settings: dict,
    *,
    context: int,
    seed: int,
    device: str = "cpu",
    checkpoint: Checkpointer | None = None,
    stop_after=None,
    validation_fraction: float | None = None,
):
    """Task B for one model, context length and seed at every budget of the ladder: one (metrics, history,
    generated sample) per budget, sorted (None where `stop_after` ended the call). `settings` holds the
    job's `data`, `optim` (the base steps, warm-up and cool-down shares), `samples` and `model` blocks and
    its `budgets` (`settings.char_lm_run_settings`). `checkpoint` as in `run_sentiment`. With
    `validation_fraction` (a tuning run) the held-out tail is never used: the last share of the training
    part is held out in its place (`data.validation_corpus`), and "test" numbers are validation numbers."""
    import torch

    from dlrepro.sequence.lm import LMConfig, generate, train_char_lm
    from dlrepro.sequence.models import SeqModelConfig

    corpus = char_corpus(text, test_fraction=settings["data"]["test_fraction"])
    if validation_fraction is not None:
        corpus = validation_corpus(corpus, validation_fraction)
    s = settings["samples"]
    prompt = "".join(corpus.alphabet[i - 1] for i in corpus.test[: s["prompt_chars"]] if i > 0)

    def sample(model) -> str:  # each budget's text, generated from its final model
        return generate(
            model, corpus, prompt=prompt, length=s["chars"], context=context, temperature=s["temperature"], seed=seed
        )

    runs, _ = train_char_lm(
        kind,
        corpus,
        context=context,
        model_config=SeqModelConfig.from_dict(settings["model"]),
        config=LMConfig.from_dict(settings["optim"]),
        seed=seed,
        device=torch.device(device),
        budgets=settings["budgets"],
        checkpointer=checkpoint,
        stop_after=stop_after,
        sample=sample,
    )
    for metrics, _, _ in runs or []:
        metrics.update(
            sample_prompt=prompt, alphabet_size=len(corpus.alphabet), unknown_test_chars=corpus.unknown_test_chars
        )
    return runs


def run_throughput(settings: dict, model_settings: dict, *, kinds, device: str = "cpu") -> list[dict]:
    """Task C: seconds per training step and tokens/s against sequence length for every model."""
    import torch

    from dlrepro.sequence.models import SeqModelConfig
    from dlrepro.sequence.throughput import measure_throughput

    return measure_throughput(
        kinds,
        settings["lengths"],
        tokens_per_step=settings["tokens_per_step"],
        warmup=settings["warmup"],
        repeats=settings["repeats"],
        vocab_size=settings["vocab_size"],
        model_config=SeqModelConfig.from_dict(model_settings),
        device=torch.device(device),
    )


# ---- the rules' jobs (dlrepro.runner.run_job) -------------------------------------------------


def job_texts(job) -> tuple[list[str], np.ndarray, list[str], str]:
    """The sentiment job's texts, labels and classes, and their data status: the rt_polarity cache's
    provenance status, or "user CSV (<file>)" for the configured CSV file."""
    data = job.run["data"]
    if data["source"] == "csv":
        texts, labels, classes = load_labelled_texts(source="csv", csv_spec={**data["csv"], "path": job.input.csv})
        return texts, labels, classes, f"user CSV ({Path(job.input.csv).name})"
    status = job.data_status()  # first: a record without a status stops the job before any work
    texts, labels, classes = load_labelled_texts(source="rt_polarity", cache=job.input.cache)
    return texts, labels, classes, status


def train_sentiment_job(job) -> dict:
    """The `train_sequence_classifier` rule: Task A for the job's model and seed at every budget of the
    ladder, one WSD trunk with a cool-down branch per budget; each output a list in the budgets' order."""
    texts, labels, classes, status = job_texts(job)
    runs = run_sentiment(
        texts,
        labels,
        classes,
        job.wildcards.seq_model,
        job.run,
        seed=int(job.wildcards.seed),
        device=job.device,
        checkpoint=job.checkpoint,
    )
    for metrics, _ in runs:
        # the rate the run trained with: the configured one, or the tuning choice the runner put in its settings
        metrics.update(data_status=status, source=job.run["data"]["source"])
        metrics.update(learning_rate=job.run["optim"]["learning_rate"])
    return {"metrics": [m for m, _ in runs], "history": [h for _, h in runs]}


def fit_baseline_job(job) -> dict:
    """The `fit_sentiment_baseline` rule: the job's bag-of-n-grams baseline (bow or nblr) for its seed
    (`dlrepro.sequence.baseline`), on the models' split."""
    from dlrepro.sequence.baseline import run_sentiment_baseline

    texts, labels, classes, status = job_texts(job)
    metrics = run_sentiment_baseline(texts, labels, classes, job.run, seed=int(job.wildcards.seed))
    metrics.update(data_status=status, source=job.run["data"]["source"])
    return {"metrics": metrics}


def job_corpus(job, longest_context: int) -> tuple[np.ndarray | str, str, str]:
    """The language-model job's corpus, its data status and its source: the Tiny Shakespeare cache (its
    provenance status), or the configured text file ("user file (<file>)", checked again for the context)."""
    from dlrepro.data.prepare import load_cache

    data = job.run["data"]
    if data["source"] == "file":
        name = Path(job.input.text).name
        text = read_text_corpus(job.input.text, longest_context=longest_context, test_fraction=data["test_fraction"])
        return text, f"user file ({name})", name
    status = job.data_status()  # first: a record without a status stops the job before any work
    return load_cache(job.input.cache)["text"], status, "tinyshakespeare"


def train_char_lm_job(job) -> dict:
    """The `train_char_language_model` rule: Task B for the job's model, context and seed at every budget
    of the ladder, one WSD trunk with a cool-down branch per budget; each output a list in the budgets' order."""
    text, status, source = job_corpus(job, job.run["context"])
    runs = run_char_lm(
        text,
        job.wildcards.seq_model,
        job.run,
        context=job.run["context"],
        seed=int(job.wildcards.seed),
        device=job.device,
        checkpoint=job.checkpoint,
    )
    for metrics, _, _ in runs:
        metrics.update(data_status=status, source=source)
        metrics.update(learning_rate=job.run["optim"]["learning_rate"])  # configured or tuned
    return {"metrics": [r[0] for r in runs], "history": [r[1] for r in runs], "sample": [r[2] for r in runs]}


def fit_char_ngram_job(job) -> dict:
    """The `fit_char_ngram` rule: the interpolated Kneser-Ney character model (`dlrepro.sequence.ngram`)
    on the models' training part, scored on their held-out windows at every context."""
    from dlrepro.sequence.ngram import run_char_ngram

    text, status, source = job_corpus(job, max(job.run["contexts"]))
    metrics = run_char_ngram(text, job.run)
    metrics.update(data_status=status, source=source)
    return {"metrics": metrics}


def measure_throughput_job(job) -> dict:
    """The `measure_sequence_throughput` rule: Task C for every model on the job's device, which it names
    (a single CPU thread is timed in process CPU time, see `training.clock`)."""
    import torch

    device = torch.device(job.device)
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = f"CPU, {job.threads} threads" if job.threads > 1 else "CPU, 1 thread, CPU time"
    run = job.run
    rows = run_throughput(run["throughput"], run["model"], kinds=run["models"], device=job.device)
    return {"throughput": {"device": name, "rows": rows}}
