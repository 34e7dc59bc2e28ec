"""One job's settings in the sequence study: exactly what its result depends on.

workflow/rules/sequence.smk passes each training rule one settings param built here from the
config's `sequence` block and the job's wildcard values::

    params:
        run=lambda w: sentiment_run_settings(SEQ),

A training job trains every budget of the compute ladder on one warm-up-stable-decay trunk
(`dlrepro.sequence.wsd`), so its settings carry the ladder's budgets, sorted, with the base schedule
(sentiment epochs, LM steps at budget x1) and the cool-down share; a tuning job's ladder is the smallest
budget alone. Snakemake reruns a job whose params changed, so a setting belongs here only if the job
reads it: not another task's block, not the lists of all models or contexts, not the criteria that only
the summary reads (`sentiment.target_accuracy`), and not a user file's settings while the built-in data
set is the source. Imported when the workflow is parsed: pure Python, no torch.
"""

from __future__ import annotations

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


def _budgets(seq: dict, budgets) -> list[float]:
    """The job's ladder: `budgets` (the config's where None), as sorted numbers."""
    return sorted(float(b) for b in (seq["budgets"] if budgets is None else budgets))


def sentiment_run_settings(seq: dict, *, budgets=None) -> dict:
    """A sentiment classifier job's settings (Task A; any model and seed): the data and its split, the
    optimizer (base epochs, cool-down share), the shared architecture, the device and the ladder's
    `budgets` (the config's where None), sorted: the job trains every one of them."""
    block = seq["sentiment"]
    return canonical(
        {
            "data": _data(block["data"], "csv", "csv"),
            "optim": block["optim"],
            "model": seq["model"],
            "device": seq["device"],
            "budgets": _budgets(seq, budgets),
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


def char_lm_run_settings(seq: dict, *, context: int, budgets=None) -> dict:
    """A character-LM job's settings (Task B; any model and seed): the corpus's held-out fraction, the
    optimizer (base steps, warm-up and cool-down shares), the samples, the shared architecture, the
    device, the ladder's `budgets` (the config's where None), sorted, and this job's context length.

    The longest of the configured contexts is not among them: the text file's check against it runs
    when the workflow is parsed (`data.read_text_corpus`) and changes no job's numbers."""
    block = seq["char_lm"]
    return canonical(
        {
            "data": _data(block["data"], "file", "path"),
            "optim": block["optim"],
            "samples": block["samples"],
            "model": seq["model"],
            "device": seq["device"],
            "budgets": _budgets(seq, budgets),
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
    """A sentiment tuning job's settings (one per model and seed): a ladder job's with the base budget (the
    smallest of the ladder) alone, and the task's `tune` block (the grid of factors of the configured rate)."""
    block = seq["sentiment"]
    return canonical({**sentiment_run_settings(seq, budgets=[min(seq["budgets"])]), "tune": block["tune"]})


def char_lm_tune_settings(seq: dict, *, context: int) -> dict:
    """A character-LM tuning job's settings (one per model and context): a ladder job's with the base
    budget alone, and the task's `tune` block (grid, seed, the training part's share held out for validation)."""
    block = seq["char_lm"]
    run = char_lm_run_settings(seq, context=context, budgets=[min(seq["budgets"])])
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
