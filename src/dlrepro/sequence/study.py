"""The sequence study as plain functions: one run of each task, summaries over seeds, claims and verdicts.

    texts, labels, classes = load_labelled_texts(source="rt_polarity", cache="resources/rt_polarity/rt_polarity.npz")
    metrics, history = run_sentiment(texts, labels, classes, "lstm", settings, seed=0)
"""

from __future__ import annotations

import logging

import numpy as np

from dlrepro.metrics import ci_verdict, has_interval, mean_ci
from dlrepro.report import fmt_pm
from dlrepro.sequence.data import build_vocab, char_corpus, make_sentence_set, stratified_split, tokenize

__all__ = ["split_sentences", "run_sentiment", "run_char_lm", "run_throughput"]

log = logging.getLogger(__name__)


def split_sentences(texts, labels, *, split: dict, min_count: int, max_vocab: int, max_tokens: int, seed: int):
    """The seeded stratified split, the vocabulary of its training part, and the three encoded parts."""
    parts = stratified_split(np.asarray(labels), split, seed)
    vocab = build_vocab((tokenize(texts[i]) for i in parts["train"]), min_count=min_count, max_size=max_vocab)
    sets = {name: make_sentence_set([texts[i] for i in idx], np.asarray(labels)[idx], vocab, max_tokens) for name, idx in parts.items()}
    return sets, vocab


def run_sentiment(texts, labels, classes, kind: str, settings: dict, *, seed: int, device: str = "cpu", checkpoint=None, stop_after=None):
    """Task A for one model and seed: (metrics, history). `settings` is the config's sentiment block."""
    import torch

    from dlrepro.checkpoint import Checkpointer
    from dlrepro.sequence.models import SeqModelConfig
    from dlrepro.sequence.training import ClassifierConfig, train_classifier

    data = settings["data"]
    sets, vocab = split_sentences(texts, labels, split=data["split"], min_count=data["min_count"], max_vocab=data["max_vocab"],
                                  max_tokens=data["max_tokens"], seed=seed)  # fmt: skip
    model_config = SeqModelConfig.from_dict(settings["model"])
    config = ClassifierConfig.from_dict(settings["optim"])
    ckpt = Checkpointer(checkpoint, {"task": "sentiment", "kind": kind, "seed": seed, **settings})
    metrics, history = train_classifier(kind, sets["train"], sets["val"], sets["test"], vocab_size=len(vocab), n_classes=len(classes),
                                        model_config=model_config, config=config, seed=seed, device=torch.device(device),
                                        checkpointer=ckpt, stop_after=stop_after)  # fmt: skip
    if metrics is not None:
        metrics["classes"] = list(classes)
        ckpt.remove()
    return metrics, history


def run_char_lm(text: np.ndarray, kind: str, settings: dict, *, context: int, seed: int, device: str = "cpu", checkpoint=None, stop_after=None):
    """Task B for one model, context length and seed: (metrics, history, generated sample)."""
    import torch

    from dlrepro.checkpoint import Checkpointer
    from dlrepro.sequence.models import SeqModelConfig
    from dlrepro.sequence.training import LMConfig, generate, train_char_lm

    corpus = char_corpus(text, test_fraction=settings["data"]["test_fraction"])
    model_config = SeqModelConfig.from_dict(settings["model"])
    config = LMConfig.from_dict(settings["optim"])
    ckpt = Checkpointer(checkpoint, {"task": "char_lm", "kind": kind, "seed": seed, "context": context, **settings})
    metrics, history, model = train_char_lm(kind, corpus, context=context, model_config=model_config, config=config, seed=seed,
                                            device=torch.device(device), checkpointer=ckpt, stop_after=stop_after)  # fmt: skip
    if metrics is None:
        return None, history, None
    s = settings["samples"]
    prompt = bytes(corpus.alphabet[i - 1] for i in corpus.test[: s["prompt_chars"]] if i > 0)
    sample = generate(model, corpus, prompt=prompt, length=s["chars"], context=context, temperature=s["temperature"], seed=seed)
    metrics["sample_prompt"] = prompt.decode("utf-8", errors="replace")
    ckpt.remove()
    return metrics, history, sample


def run_throughput(settings: dict, model_settings: dict, *, kinds, device: str = "cpu") -> list[dict]:
    """Task C: seconds per training step and tokens/s against sequence length for every model."""
    import torch

    from dlrepro.sequence.models import SeqModelConfig
    from dlrepro.sequence.training import measure_throughput

    return measure_throughput(kinds, settings["lengths"], tokens_per_step=settings["tokens_per_step"], warmup=settings["warmup"],
                              repeats=settings["repeats"], vocab_size=settings["vocab_size"],
                              model_config=SeqModelConfig.from_dict(model_settings), device=torch.device(device))  # fmt: skip


# ---- summaries over seeds ----------------------------------------------------------------------

RECURRENT = ("rnn", "lstm")
LABELS = {"rnn": "vanilla RNN (tanh)", "lstm": "LSTM", "transformer": "Transformer (pre-norm)"}


def time_to_target(history: list[dict], target: float) -> tuple[float, bool]:
    """Training seconds until the validation accuracy first reaches `target`; (total seconds, False) if never."""
    for row in history:
        if row["val_accuracy"] >= target:
            return float(row["seconds"]), True
    return float(history[-1]["seconds"]), False


def _ordered(models) -> list[str]:
    present = set(models)
    return [m for m in ("rnn", "lstm", "transformer") if m in present]


LM_STILL_FALLING = 0.01  # a held-out bpc that fell by more than 1% over the last evaluation interval


def lm_still_falling(history: list[dict]) -> bool:
    """Whether a language model was still improving when training stopped: its held-out bpc fell by
    more than `LM_STILL_FALLING` (relative) between the last two evaluations."""
    if len(history) < 2:
        return False
    before, last = history[-2]["test_bpc"], history[-1]["test_bpc"]
    return last < before * (1 - LM_STILL_FALLING)


def summarize_sequence(sentiment: list[dict], histories: dict, char_lm: list[dict], throughput: dict, *, target_accuracy: float,
                       lm_histories: dict | None = None) -> dict:  # fmt: skip
    """Means and 95% CIs over seeds per model, the bpc curve, the throughput grid, and the claims.

    `histories` maps (model, seed) to the sentiment run's per-epoch rows, `lm_histories` (model,
    context, seed) to the language model's per-evaluation rows (for how many were still improving).
    """
    stat = lambda rs, k: mean_ci(r[k] for r in rs)  # noqa: E731
    sent = {}
    for m in _ordered(r["model"] for r in sentiment):
        runs = sorted((r for r in sentiment if r["model"] == m), key=lambda r: r["seed"])
        timed = [time_to_target(histories[(m, r["seed"])], target_accuracy) for r in runs]
        sent[m] = {k: stat(runs, k) for k in ("test_accuracy", "val_accuracy", "best_epoch", "seconds_to_best", "epochs_run", "seconds")}
        sent[m].update(
            time_to_target=mean_ci(t for t, _ in timed), reached_target=sum(ok for _, ok in timed),
            time_to_target_by_seed={str(r["seed"]): t for r, (t, _) in zip(runs, timed)},
            reached_by_seed={str(r["seed"]): ok for r, (_, ok) in zip(runs, timed)},
            accuracy_by_seed={str(r["seed"]): r["test_accuracy"] for r in runs},
            seeds=[r["seed"] for r in runs], parameters=runs[0]["parameters"],
            still_improving=sum(r["best_epoch"] == r["epochs_run"] for r in runs),  # early stopping never triggered
        )  # fmt: skip
    contexts = sorted({r["context"] for r in char_lm})
    lm = {}
    for m in _ordered(r["model"] for r in char_lm):
        runs = [r for r in char_lm if r["model"] == m]
        by = {(r["context"], r["seed"]): r["test_bpc"] for r in runs}
        lm[m] = {
            "contexts": {str(c): {k: stat([r for r in runs if r["context"] == c], k) for k in ("test_bpc", "seconds")} for c in contexts},
            "bpc_by_seed": {str(c): {str(s): v for (cc, s), v in by.items() if cc == c} for c in contexts},
            "parameters": runs[0]["parameters"],
        }
        seeds = sorted({s for c, s in by if (contexts[0], s) in by and (contexts[-1], s) in by})
        lm[m]["improvement"] = mean_ci(by[(contexts[0], s)] - by[(contexts[-1], s)] for s in seeds) if seeds else None
        lm[m]["improvement_by_seed"] = {str(s): by[(contexts[0], s)] - by[(contexts[-1], s)] for s in seeds}
    grid = {}
    for row in throughput["rows"]:
        grid.setdefault(row["model"], {})[str(row["length"])] = {k: row[k] for k in ("batch", "step_seconds", "tokens_per_second", "step_seconds_all")}
    lengths = sorted({row["length"] for row in throughput["rows"]})
    crossover = None
    if "transformer" in grid:
        for length in lengths:
            rec = [grid[m][str(length)]["tokens_per_second"] for m in RECURRENT if m in grid]
            if rec and grid["transformer"][str(length)]["tokens_per_second"] > max(rec):
                crossover = length
                break
    statuses = {r.get("data_status", "verified") for r in [*sentiment, *char_lm]}
    summary = {
        "sentiment": sent, "target_accuracy": target_accuracy,
        "char_lm": {"contexts": contexts, "models": lm,
                    "still_falling": sum(map(lm_still_falling, lm_histories.values())) if lm_histories else None,
                    "runs": len(char_lm)},
        "throughput": {"device": throughput["device"], "lengths": lengths, "models": grid, "crossover": crossover},
        "data_status": sorted(statuses),
        "sentiment_examples": {k: sentiment[0][k] for k in ("train_examples", "val_examples", "test_examples", "vocab_size", "n_classes")},
        "sentiment_source": sentiment[0].get("source", "rt_polarity"),
        "lm_steps": char_lm[0]["steps"], "lm_chars": {k: char_lm[0][k] for k in ("train_chars", "test_chars")},
    }  # fmt: skip
    summary["claims"] = sequence_claims(summary)
    return summary


# ---- the claims of §3.2: criteria fixed before looking, verdicts computed ------------------------


def combine_verdicts(verdicts) -> str:
    """A claim against both recurrent models holds if it holds against each; one clear failure refutes it."""
    verdicts = list(verdicts)
    if not verdicts:
        return "inconclusive"
    if all(v == "reproduced" for v in verdicts):
        return "reproduced"
    if any(v == "not reproduced" for v in verdicts):
        return "not reproduced"
    return "inconclusive"


def _paired(a: dict, b: dict) -> dict | None:
    """Mean and 95% CI of a[s] - b[s] over the seeds both have."""
    seeds = sorted(set(a) & set(b))
    return mean_ci(a[s] - b[s] for s in seeds) if seeds else None


def _pm(stat: dict | None, digits: int = 3) -> str:
    if stat is None:
        return "n/a"
    if not has_interval(stat):
        return f"{stat['mean']:+.{digits}f} (1 seed, no CI)"
    return f"{stat['mean']:+.{digits}f} +- {stat['ci95']:.{digits}f}"


def sequence_claims(summary: dict) -> list[dict]:
    """One row per claim of §3.2; each criterion is stated in the row and applied here."""
    sent, lm, tp = summary["sentiment"], summary["char_lm"]["models"], summary["throughput"]
    rec = lambda d: [m for m in RECURRENT if m in d]  # noqa: E731
    rows = []

    # (1) outperform on text, Task A: test accuracy of the Transformer minus each recurrent model, paired by seed.
    diffs = {m: _paired(sent["transformer"]["accuracy_by_seed"], sent[m]["accuracy_by_seed"]) for m in rec(sent)} if "transformer" in sent else {}
    rows.append({
        "id": "seq-outperform-sentiment", "section": "3.2",
        "claim": "Transformers outperform RNNs (vanilla RNN, LSTM) on text: sentence sentiment classification.",
        "metric": "test accuracy, Transformer minus each recurrent model, paired by seed",
        "criterion": "the 95% CI of the difference lies above 0 against both recurrent models (reproduced); below 0 against either (not reproduced); otherwise inconclusive",
        "measured": "; ".join(f"transformer - {m}: {_pm(d)}" for m, d in diffs.items()) or "not run",
        "verdict": combine_verdicts(ci_verdict(d) for d in diffs.values()),
        "values": diffs,
    })  # fmt: skip

    # (2) outperform on text, Task B: held-out bpc of each recurrent model minus the Transformer's at the longest context.
    longest, shortest = str(summary["char_lm"]["contexts"][-1]), str(summary["char_lm"]["contexts"][0])
    diffs = {m: _paired(lm[m]["bpc_by_seed"][longest], lm["transformer"]["bpc_by_seed"][longest]) for m in rec(lm)} if "transformer" in lm else {}
    rows.append({
        "id": "seq-outperform-charlm", "section": "3.2",
        "claim": "Transformers outperform RNNs (vanilla RNN, LSTM) on text: character-level language modelling.",
        "metric": f"held-out bits per character at context {longest}, each recurrent model minus the Transformer, paired by seed",
        "criterion": "the 95% CI of the difference lies above 0 against both recurrent models (reproduced); below 0 against either (not reproduced); otherwise inconclusive",
        "measured": "; ".join(f"{m} - transformer: {_pm(d)} bpc" for m, d in diffs.items()) or "not run",
        "verdict": combine_verdicts(ci_verdict(d) for d in diffs.values()),
        "values": diffs,
    })  # fmt: skip

    # (3) longer contexts: the bpc gained from the shortest to the longest context, Transformer minus each recurrent model.
    diffs = {m: _paired(lm["transformer"]["improvement_by_seed"], lm[m]["improvement_by_seed"]) for m in rec(lm)} if "transformer" in lm else {}
    gains = {m: lm[m]["improvement"] for m in lm}
    rows.append({
        "id": "seq-longer-context", "section": "3.2",
        "claim": "Transformers handle longer contexts than recurrent models.",
        "metric": f"bpc improvement from context {shortest} to {longest} (bpc at {shortest} minus bpc at {longest}), Transformer minus each recurrent model, paired by seed",
        "criterion": "the 95% CI of the difference in improvement lies above 0 against both recurrent models (reproduced); below 0 against either (not reproduced); otherwise inconclusive",
        "measured": "; ".join(f"improvement {m}: {_pm(g)} bpc" for m, g in gains.items()) + "; "
                    + "; ".join(f"transformer - {m}: {_pm(d)}" for m, d in diffs.items()),
        "verdict": combine_verdicts(ci_verdict(d) for d in diffs.values()),
        "values": diffs,
    })  # fmt: skip

    # (4) parallelism: per timed step, recurrent step time / Transformer step time at the longest length (same tokens per step).
    length = str(tp["lengths"][-1])
    grid = tp["models"]
    ratios = {}
    if "transformer" in grid:
        t_tr = grid["transformer"][length]["step_seconds_all"]
        ratios = {m: mean_ci(a / b for a, b in zip(grid[m][length]["step_seconds_all"], t_tr)) for m in rec(grid)}
    rows.append({
        "id": "seq-parallel", "section": "3.2",
        "claim": "Recurrence is a bottleneck for parallel computation; self-attention allows parallel processing (tested as: Transformers train faster per token on the run's device).",
        "metric": f"training throughput at sequence length {length} on {tp['device']}: recurrent step time / Transformer step time (tokens/s ratio), per timed step",
        "criterion": "the 95% CI of the ratio lies above 1 against both recurrent models (reproduced); below 1 against either (not reproduced); otherwise inconclusive",
        "measured": "; ".join(f"{m}: {fmt_pm(r, 3)}" if has_interval(r) else f"{m}: {r['mean']:.3g} (one timed step)" for m, r in ratios.items())
                    + (f"; Transformer fastest from length {tp['crossover']}" if tp["crossover"] else "; Transformer never fastest"),
        "verdict": combine_verdicts(ci_verdict(r, 1.0) for r in ratios.values()),
        "values": ratios,
    })  # fmt: skip

    # (5) efficiency in training: seconds to the target validation accuracy, each recurrent model minus the Transformer.
    target = summary["target_accuracy"]
    diffs, verdict = {}, "inconclusive"
    if "transformer" in sent:
        tr = sent["transformer"]
        diffs = {m: _paired(sent[m]["time_to_target_by_seed"], tr["time_to_target_by_seed"]) for m in rec(sent)}
        all_reached = all(tr["reached_by_seed"].values())
        verdict = combine_verdicts(ci_verdict(d) for d in diffs.values()) if all_reached else "not reproduced"
    rows.append({
        "id": "seq-train-efficiently", "section": "3.2",
        "claim": "Transformers train more efficiently than recurrent models on large datasets (tested on the sentiment task's small one).",
        "metric": f"training seconds until the validation accuracy first reaches {target:g} (sentiment), each recurrent model minus the Transformer, paired by seed; a recurrent run that never reaches it counts with its whole training time",
        "criterion": "the Transformer reaches the target in every seed and the 95% CI of the difference lies above 0 against both recurrent models (reproduced); the Transformer misses the target in a seed or the CI lies below 0 against either (not reproduced); otherwise inconclusive",
        "measured": "; ".join(f"{m} - transformer: {_pm(d, 1)} s" for m, d in diffs.items())
                    + "; reached: " + ", ".join(f"{m} {sent[m]['reached_target']}/{len(sent[m]['seeds'])}" for m in sent),
        "verdict": verdict,
        "values": diffs,
    })  # fmt: skip
    return rows


def claims_json(summary: dict) -> list[dict]:
    """The claims file's rows (the report's claims-vs-evidence table): the contract's keys only."""
    keys = ("id", "section", "claim", "metric", "criterion", "measured", "verdict")
    return [{k: row[k] for k in keys} for row in summary["claims"]]
