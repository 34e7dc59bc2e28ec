"""The sequence study's results over seeds: means and 95% CIs per model and budget, and the claims.

`summarize_sequence` turns every run's metrics (and histories) into the summary the claims, the
report and the figures read; its `claims` are `dlrepro.sequence.claims.sequence_claims` of it.
"""

from __future__ import annotations

from dlrepro.ladder import budget_name
from dlrepro.metrics import mean_ci
from dlrepro.sequence.claims import sequence_claims
from dlrepro.sequence.models import BASELINES, RECURRENT, SEQ_MODELS, SeqModelConfig, sequential_steps

__all__ = ["summarize_sequence", "steps_to_target", "lm_still_falling"]


def steps_to_target(history: list[dict], target: float) -> tuple[int, int, bool]:
    """Optimizer steps and training tokens until the validation accuracy first reaches `target` (evaluated
    after every epoch); (all steps, all tokens, False) if it never does."""
    for row in history:
        if row["val_accuracy"] >= target:
            return int(row["step"]), int(row["tokens"]), True
    return int(history[-1]["step"]), int(history[-1]["tokens"]), False


def _ordered(models) -> list[str]:
    present = set(models)
    return [m for m in SEQ_MODELS if m in present]


LM_STILL_FALLING = 0.01  # a held-out bpc that fell by more than 1% over the last evaluation interval


def lm_still_falling(history: list[dict]) -> bool:
    """Whether a language model was still improving when training stopped: its held-out bpc fell by
    more than `LM_STILL_FALLING` (relative) between the last two evaluations."""
    if len(history) < 2:
        return False
    before, last = history[-2]["test_bpc"], history[-1]["test_bpc"]
    return last < before * (1 - LM_STILL_FALLING)


def _throughput_grid(throughput: dict) -> dict:
    """Step times by model and length, and the first length at which the Transformer is fastest (None: never)."""
    grid = {}
    for row in throughput["rows"]:
        grid.setdefault(row["model"], {})[str(row["length"])] = {
            k: row[k] for k in ("batch", "step_seconds", "tokens_per_second", "step_seconds_all")
        }
    lengths = sorted({row["length"] for row in throughput["rows"]})
    crossover = None
    if "transformer" in grid:
        for length in lengths:
            rec = [grid[m][str(length)]["tokens_per_second"] for m in RECURRENT if m in grid]
            if rec and grid["transformer"][str(length)]["tokens_per_second"] > max(rec):
                crossover = length
                break
    return {"device": throughput["device"], "lengths": lengths, "models": grid, "crossover": crossover}


def _budget(run: dict) -> str:
    return budget_name(run.get("budget", 1.0))


def _sentiment_stats(sentiment: list[dict], histories: dict, target_accuracy: float) -> dict:
    """Per model at one budget: means and CIs over seeds, and the per-seed values the claims pair."""
    stat = lambda rs, k: mean_ci(r[k] for r in rs)  # noqa: E731
    sent = {}
    for m in _ordered(r["model"] for r in sentiment):
        runs = sorted((r for r in sentiment if r["model"] == m), key=lambda r: r["seed"])
        reach = [steps_to_target(histories[(m, _budget(r), r["seed"])], target_accuracy) for r in runs]
        sent[m] = {
            k: stat(runs, k)
            for k in ("test_accuracy", "val_accuracy", "best_epoch", "seconds_to_best", "epochs_run", "seconds")
        }
        sent[m].update(
            steps_to_target=mean_ci(n for n, _, _ in reach),
            tokens_to_target=mean_ci(t for _, t, _ in reach),
            reached_target=sum(ok for _, _, ok in reach),
            steps_to_target_by_seed={str(r["seed"]): n for r, (n, _, _) in zip(runs, reach)},
            reached_by_seed={str(r["seed"]): ok for r, (_, _, ok) in zip(runs, reach)},
            accuracy_by_seed={str(r["seed"]): r["test_accuracy"] for r in runs},
            seeds=[r["seed"] for r in runs],
            parameters=runs[0]["parameters"],
            steps=runs[0].get("steps"),
            still_improving=sum(r["best_epoch"] == r["epochs_run"] for r in runs),  # best validation at the last epoch
        )
    return sent


def _baseline_stats(baseline: list[dict] | None) -> dict:
    """The bag-of-n-grams baselines over seeds (`dlrepro.sequence.baseline`), by kind (bow, nblr): test
    and validation accuracy (mean and 95% CI), the chosen L2 and accuracy per seed, the vocabulary, the
    weights and the training FLOPs; empty if none ran."""
    stats = {}
    for kind in (k for k in BASELINES if any(r["model"] == k for r in baseline or [])):
        runs = sorted((r for r in baseline if r["model"] == kind), key=lambda r: r["seed"])
        stats[kind] = {
            "test_accuracy": mean_ci(r["test_accuracy"] for r in runs),
            "val_accuracy": mean_ci(r["val_accuracy"] for r in runs),
            "train_flops": mean_ci(r["train_flops"] for r in runs),
            "vocab_size": mean_ci(r["vocab_size"] for r in runs),
            "parameters": mean_ci(r["parameters"] for r in runs),
            "accuracy_by_seed": {str(r["seed"]): r["test_accuracy"] for r in runs},
            "l2_by_seed": {str(r["seed"]): r["l2"] for r in runs},
            "seeds": [r["seed"] for r in runs],
            "ngrams": runs[0]["ngrams"],
            "recipe": runs[0]["recipe"],
        }
    return stats


def _ngram_stats(run: dict | None) -> dict | None:
    """The character n-gram baseline's held-out bpc per context and with its full history; None if not run."""
    if not run:
        return None
    keys = ("order", "recipe", "test_bpc_by_context", "test_bpc_full_history", "ngrams_by_order", "seconds")
    return {k: run[k] for k in keys}


def _lm_stats(char_lm: list[dict]) -> tuple[list[int], dict]:
    """The contexts, and per model at one budget: bpc by context and seed, and the gain from the shortest to the longest."""
    stat = lambda rs, k: mean_ci(r[k] for r in rs)  # noqa: E731
    contexts = sorted({r["context"] for r in char_lm})
    lm = {}
    for m in _ordered(r["model"] for r in char_lm):
        runs = [r for r in char_lm if r["model"] == m]
        by = {(r["context"], r["seed"]): r["test_bpc"] for r in runs}
        lm[m] = {
            "contexts": {
                str(c): {k: stat([r for r in runs if r["context"] == c], k) for k in ("test_bpc", "seconds")}
                for c in contexts
            },
            "bpc_by_seed": {str(c): {str(s): v for (cc, s), v in by.items() if cc == c} for c in contexts},
            "parameters": runs[0]["parameters"],
            "steps": runs[0]["steps"],
        }
        seeds = sorted({s for c, s in by if (contexts[0], s) in by and (contexts[-1], s) in by})
        lm[m]["improvement"] = mean_ci(by[(contexts[0], s)] - by[(contexts[-1], s)] for s in seeds) if seeds else None
        lm[m]["improvement_by_seed"] = {str(s): by[(contexts[0], s)] - by[(contexts[-1], s)] for s in seeds}
    return contexts, lm


def _sequential(throughput: dict, model_settings: dict) -> dict:
    """Counted dependent steps per forward pass, by model and measured length (`models.sequential_steps`)."""
    config = SeqModelConfig.from_dict(model_settings)
    lengths = sorted({row["length"] for row in throughput["rows"]})
    kinds = _ordered(row["model"] for row in throughput["rows"])
    return {m: {str(n): sequential_steps(m, config, n) for n in lengths} for m in kinds}


def _ladder(runs: list[dict]) -> list[str]:
    return [budget_name(b) for b in sorted({float(r.get("budget", 1.0)) for r in runs})]


def _char_lm_block(char_lm: list[dict], lm_histories: dict | None, top: str, char_ngram: dict | None) -> dict:
    """Task B at the largest budget `top`: bpc per model and context, the runs still improving at their
    end, and the n-gram baseline."""
    contexts, lm = _lm_stats([r for r in char_lm if _budget(r) == top])
    top_histories = {k: h for k, h in (lm_histories or {}).items() if k[2] == top}
    return {
        "contexts": contexts,
        "models": lm,
        "budget": top,
        "still_falling": sum(map(lm_still_falling, top_histories.values())) if top_histories else None,
        "still_falling_runs": sorted(
            "/".join(map(str, k[:2])) for k, h in top_histories.items() if lm_still_falling(h)
        ),
        "runs": sum(_budget(r) == top for r in char_lm),
        "baseline": _ngram_stats(char_ngram),
    }


def summarize_sequence(
    sentiment: list[dict],
    histories: dict,
    char_lm: list[dict],
    throughput: dict,
    *,
    target_accuracy: float,
    model_settings: dict,
    lm_histories: dict | None = None,
    baseline: list[dict] | None = None,
    char_ngram: dict | None = None,
) -> dict:
    """Means and 95% CIs over seeds per model and budget, the bpc curve, the throughput grid, and the claims.

    Every run carries its `data_status` (a run without one is an error, never "verified" by default)
    and its `budget` (1 where absent); `model_settings` is the config's `sequence.model` block (for the
    counted sequential steps). `histories` maps (model, budget name, seed) to the
    sentiment run's per-epoch rows, `lm_histories` (model, context, budget name, seed) to the language
    model's per-evaluation rows (for how many were still improving at the largest budget). The tables
    read the largest budget; `sentiment_ladder` and `char_lm_ladder` hold every budget for the trends;
    `sentiment_baselines` the bag-of-n-grams `baseline` runs (one per kind and seed) over seeds, by kind;
    `char_lm.baseline` the character n-gram model's bpc (`char_ngram`, `dlrepro.sequence.ngram`)."""
    sent_budgets, lm_budgets = _ladder(sentiment), _ladder(char_lm)
    sent_ladder = {
        b: _sentiment_stats([r for r in sentiment if _budget(r) == b], histories, target_accuracy) for b in sent_budgets
    }
    lm_ladder = {b: _lm_stats([r for r in char_lm if _budget(r) == b])[1] for b in lm_budgets}
    sent, top_lm = sent_ladder[sent_budgets[-1]], lm_budgets[-1]
    statuses = {
        r["data_status"] for r in [*sentiment, *char_lm, *(baseline or []), *([char_ngram] if char_ngram else [])]
    }
    summary = {
        "sentiment": sent,
        "sentiment_baselines": _baseline_stats(baseline),
        "target_accuracy": target_accuracy,
        "sentiment_ladder": sent_ladder,
        "lm_ladder": lm_ladder,
        "char_lm": _char_lm_block(char_lm, lm_histories, top_lm, char_ngram),
        "sentiment_budget": sent_budgets[-1],
        "throughput": _throughput_grid(throughput),
        "sequential_steps": _sequential(throughput, model_settings),
        "data_status": sorted(statuses),
        "sentiment_examples": {
            k: sentiment[0][k] for k in ("train_examples", "val_examples", "test_examples", "vocab_size", "n_classes")
        },
        "sentiment_source": sentiment[0].get("source", "rt_polarity"),
        "lm_source": char_lm[0].get("source", "tinyshakespeare"),
        "lm_unknown_test_chars": char_lm[0].get("unknown_test_chars", 0),
        "lm_chars": {k: char_lm[0][k] for k in ("train_chars", "test_chars")},
    }
    summary["lm_steps"] = next(iter(summary["char_lm"]["models"].values()))["steps"]
    summary["claims"] = sequence_claims(summary)
    return summary
