"""One job's settings in the sequence study: exactly what its result depends on, the budget applied.

workflow/rules/sequence.smk passes each training rule one settings param built here from the
config's `sequence` block and the job's wildcard values::

    params:
        run=lambda w: sentiment_run_settings(SEQ, budget=SEQ_BUDGETS[w.seq_budget]),

Snakemake reruns a job whose params changed, so a setting belongs here only if the job reads it:
not another task's block, not the lists of all models, contexts or budgets, not the criteria that
only the summary reads (`sentiment.target_accuracy`), and not a user file's settings while the
built-in data set is the source. Imported when the workflow is parsed: pure Python, no torch.
"""

from __future__ import annotations

from dlrepro.ladder import scaled
from dlrepro.runner import canonical

__all__ = [
    "sentiment_run_settings",
    "sentiment_baseline_settings",
    "char_lm_run_settings",
    "char_ngram_settings",
    "sentiment_tune_settings",
    "char_lm_tune_settings",
    "throughput_run_settings",
]


def _data(data: dict, user_source: str, user_key: str) -> dict:
    """The task's data block, without the user file's settings (`user_key`) unless `user_source` is the source."""
    return {k: v for k, v in data.items() if k != user_key or data["source"] == user_source}


def _optim(optim: dict, key: str, budget: float) -> dict:
    """The task's optim block with its schedule length `key` scaled by the budget (`ladder.scaled`)."""
    return {**optim, key: scaled(optim[key], budget)}


def sentiment_run_settings(seq: dict, *, budget: float) -> dict:
    """A sentiment classifier job's settings (Task A; any model and seed): the data and its split, the
    optimizer with its epochs scaled by `budget`, the shared architecture, the device and the budget."""
    block = seq["sentiment"]
    return canonical(
        {
            "data": _data(block["data"], "csv", "csv"),
            "optim": _optim(block["optim"], "epochs", budget),
            "model": seq["model"],
            "device": seq["device"],
            "budget": float(budget),
        }
    )


def sentiment_baseline_settings(seq: dict, *, kind: str) -> dict:
    """A sentiment baseline's settings (one job per baseline kind and seed): the data and its split, and
    the baseline block with this job's `kind` in place of the list of kinds (`nb_alpha` for nblr only);
    not the models' word-vocabulary thresholds (the baseline has its own).
    No model, optimizer, device or budget: the bag-of-n-grams fit runs on the CPU, outside the ladder."""
    block = seq["sentiment"]
    baseline = {k: v for k, v in block["baseline"].items() if k != "kinds" and (k != "nb_alpha" or kind == "nblr")}
    data = {k: v for k, v in _data(block["data"], "csv", "csv").items() if k not in ("min_count", "max_vocab")}
    return canonical({"data": data, "baseline": {**baseline, "kind": kind}})


def char_lm_run_settings(seq: dict, *, context: int, budget: float) -> dict:
    """A character-LM job's settings (Task B; any model and seed): the corpus's held-out fraction, the
    optimizer with its steps scaled by `budget`, the samples, the shared architecture, the device, the
    budget and this job's context length.

    The longest of the configured contexts is not among them: the text file's check against it runs
    when the workflow is parsed (`data.read_text_corpus`) and changes no job's numbers."""
    block = seq["char_lm"]
    return canonical(
        {
            "data": _data(block["data"], "file", "path"),
            "optim": _optim(block["optim"], "steps", budget),
            "samples": block["samples"],
            "model": seq["model"],
            "device": seq["device"],
            "budget": float(budget),
            "context": int(context),
        }
    )


def char_ngram_settings(seq: dict) -> dict:
    """The character n-gram baseline's settings (one job): the corpus's held-out fraction, the baseline
    block, the held-out characters scored and every context it is scored at (the models' windows).
    No model, optimizer, device, budget or seed: counting is deterministic and runs on the CPU."""
    block = seq["char_lm"]
    return canonical(
        {
            "data": _data(block["data"], "file", "path"),
            "baseline": block["baseline"],
            "eval_tokens": block["optim"]["eval_tokens"],
            "contexts": sorted(int(c) for c in block["contexts"]),
        }
    )


def sentiment_tune_settings(seq: dict) -> dict:
    """A sentiment tuning job's settings (one per model and seed): a run's at the base budget (the
    smallest of the ladder) and the task's `tune` block (the grid of factors of the configured rate)."""
    block = seq["sentiment"]
    return canonical({**sentiment_run_settings(seq, budget=min(seq["budgets"])), "tune": block["tune"]})


def char_lm_tune_settings(seq: dict, *, context: int) -> dict:
    """A character-LM tuning job's settings (one per model and context): a run's at the base budget and
    the task's `tune` block (grid, seed, the training part's share held out for validation)."""
    block = seq["char_lm"]
    run = char_lm_run_settings(seq, context=context, budget=min(seq["budgets"]))
    return canonical({**run, "tune": block["tune"]})


def throughput_run_settings(seq: dict) -> dict:
    """The throughput job's settings (Task C, one job for every model): the lengths and step sizes
    measured, the models, their shared architecture and the device."""
    return canonical(
        {
            "throughput": seq["throughput"],
            "models": list(seq["models"]),
            "model": seq["model"],
            "device": seq["device"],
        }
    )
