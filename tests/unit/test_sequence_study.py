"""Sequence study: resumable training ends where an uninterrupted run ends, and the claims' verdicts."""

import math

import numpy as np
import pytest
import torch

from dlrepro.checkpoint import Checkpointer
from dlrepro.claims import combine_verdicts
from dlrepro.metrics import ci_verdict
from dlrepro.sequence.claims import sequence_claims
from dlrepro.sequence.report import sequence_tex
from dlrepro.sequence.study import run_char_lm, run_sentiment
from dlrepro.sequence.summary import steps_to_target
from tests.conftest import TINY_SEQUENCE_MODEL

torch.set_num_threads(1)
SENTIMENT = {
    "data": {
        "source": "rt_polarity",
        "csv": {"path": "", "text_column": "text", "label_column": "label"},
        "split": {"train": 0.6, "val": 0.2, "test": 0.2},
        "min_count": 1,
        "max_vocab": 100,
        "max_tokens": 8,
    },
    "optim": {"epochs": 6, "batch_size": 8, "learning_rate": 1e-2, "dropout": 0.1, "clip_norm": 1.0},
    "model": TINY_SEQUENCE_MODEL,
}
CHAR_LM = {
    "data": {"test_fraction": 0.2},
    "optim": {
        "steps": 6,
        "tokens_per_step": 64,
        "eval_every": 2,
        "eval_tokens": 64,
        "learning_rate": 1e-2,
        "warmup_fraction": 0.1,
        "dropout": 0.1,
        "clip_norm": 1.0,
    },
    "samples": {"prompt_chars": 4, "chars": 12, "temperature": 1.0},
    "model": TINY_SEQUENCE_MODEL,
}
UNTIMED = ("seconds", "seconds_to_best")


def _texts():
    rng = np.random.default_rng(0)
    pos, neg = "good fun great moving".split(), "bad dull awful boring".split()
    texts = [" ".join(rng.choice(pos if i % 2 else neg, size=5)) for i in range(60)]
    return texts, np.array([i % 2 for i in range(60)]), ["negative", "positive"]


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_sentiment_run_resumes_to_the_same_metrics(tmp_path, kind):
    texts, labels, classes = _texts()
    full, full_history = run_sentiment(texts, labels, classes, kind, SENTIMENT, seed=1)
    ckpt = Checkpointer(tmp_path / ".checkpoint.pt", {"kind": kind, **SENTIMENT})
    killed, _ = run_sentiment(texts, labels, classes, kind, SENTIMENT, seed=1, checkpoint=ckpt, stop_after=1)
    assert killed is None and ckpt.path.exists()
    resumed, history = run_sentiment(texts, labels, classes, kind, SENTIMENT, seed=1, checkpoint=ckpt)
    assert {k: v for k, v in resumed.items() if k not in UNTIMED} == {k: v for k, v in full.items() if k not in UNTIMED}
    assert [r["val_accuracy"] for r in history] == [r["val_accuracy"] for r in full_history]
    assert full["test_accuracy"] > 0.8, "the synthetic words separate the classes"


def test_char_lm_resumes_to_the_same_metrics_and_sample(tmp_path):
    text = np.frombuffer(b"to be or not to be, that is the question. " * 30, dtype=np.uint8)
    full, _, sample = run_char_lm(text, "lstm", CHAR_LM, context=8, seed=2)
    ckpt = Checkpointer(tmp_path / ".checkpoint.pt", CHAR_LM)
    assert run_char_lm(text, "lstm", CHAR_LM, context=8, seed=2, checkpoint=ckpt, stop_after=1)[0] is None
    resumed, history, resumed_sample = run_char_lm(text, "lstm", CHAR_LM, context=8, seed=2, checkpoint=ckpt)
    assert {k: v for k, v in resumed.items() if k != "seconds"} == {k: v for k, v in full.items() if k != "seconds"}
    assert resumed_sample == sample and len(sample) == 12 and [r["step"] for r in history] == [2, 4, 6]
    assert full["test_bpc"] < math.log2(full["vocab_size"]), "better than a uniform guess"


def test_ci_verdicts():
    assert ci_verdict({"mean": 0.05, "ci95": 0.02, "n": 3}) == "reproduced"
    assert ci_verdict({"mean": -0.05, "ci95": 0.02, "n": 3}) == "not reproduced"
    assert ci_verdict({"mean": 0.05, "ci95": 0.08, "n": 3}) == "inconclusive"
    assert ci_verdict({"mean": 0.05, "ci95": float("nan"), "n": 1}) == "inconclusive"
    assert ci_verdict({"mean": 1.5, "ci95": 0.2, "n": 3}, threshold=1.0) == "reproduced"
    assert combine_verdicts(["reproduced", "reproduced"]) == "reproduced"
    assert combine_verdicts(["reproduced", "not reproduced"]) == "not reproduced"
    assert combine_verdicts(["reproduced", "inconclusive"]) == "inconclusive"


def test_steps_to_target_are_those_of_the_first_epoch_reaching_it():
    rows = [
        {"val_accuracy": 0.6, "step": 10, "tokens": 100, "seconds": 9.0},
        {"val_accuracy": 0.72, "step": 20, "tokens": 200, "seconds": 1.0},
        {"val_accuracy": 0.8, "step": 30, "tokens": 300, "seconds": 2.0},
    ]
    assert steps_to_target(rows, 0.7) == (20, 200, True)
    assert steps_to_target(rows, 0.9) == (30, 300, False), "never reached: all its steps"


def _summary(transformer_acc, transformer_bpc, transformer_steps, transformer_step):
    """A made-up summary: three seeds; the recurrent models fixed, the Transformer's values given
    (steps to the target, and seconds per throughput step, which decide nothing)."""
    seeds = ["0", "1", "2"]
    ci = lambda v: {"mean": v, "ci95": 0.01, "n": 3}  # noqa: E731
    sent, lm, grid = {}, {}, {}
    for m, acc, bpc, sec, step in (
        ("rnn", 0.70, (2.6, 2.5), 300, 0.4),
        ("lstm", 0.74, (2.4, 2.2), 200, 0.2),
        ("transformer", transformer_acc, transformer_bpc, transformer_steps, transformer_step),
    ):
        jitter = [0.0, 0.002, -0.002]
        sent[m] = {
            "test_accuracy": ci(acc),
            "accuracy_by_seed": {s: acc + j for s, j in zip(seeds, jitter)},
            "steps_to_target_by_seed": {s: sec + int(1000 * j) for s, j in zip(seeds, jitter)},
            "reached_by_seed": {s: True for s in seeds},
            "reached_target": 3,
            "seeds": [0, 1, 2],
            "parameters": {"backbone": 1, "total": 2},
            "best_epoch": ci(3),
            "seconds_to_best": ci(1.0),
            "steps_to_target": ci(sec),
        }
        by = {
            "64": {s: bpc[0] + j for s, j in zip(seeds, jitter)},
            "256": {s: bpc[1] - j for s, j in zip(seeds, jitter)},
        }
        lm[m] = {
            "bpc_by_seed": by,
            "improvement_by_seed": {s: by["64"][s] - by["256"][s] for s in seeds},
            "improvement": ci(bpc[0] - bpc[1]),
            "contexts": {"64": {"test_bpc": ci(bpc[0])}, "256": {"test_bpc": ci(bpc[1])}},
            "parameters": {"backbone": 1, "total": 2},
        }
        grid[m] = {"1024": {"step_seconds_all": [step, step * 1.02, step * 0.98], "tokens_per_second": 8192 / step}}
    counted = {m: {"32": 32 + 1, "1024": 1024 + 1} for m in ("rnn", "lstm")} | {"transformer": {"32": 4, "1024": 4}}
    return {
        "sentiment": sent,
        "target_accuracy": 0.7,
        "char_lm": {"contexts": [64, 256], "models": lm},
        "throughput": {"device": "CPU", "lengths": [32, 1024], "models": grid, "crossover": None},
        "sequential_steps": counted,
        "data_status": ["verified"],
        "sentiment_examples": {"train_examples": 1, "val_examples": 1, "test_examples": 1, "vocab_size": 3},
        "sentiment_source": "rt_polarity",
        "lm_steps": 10,
    }


def test_claims_follow_the_fixed_criteria():
    better = {c["id"]: c["verdict"] for c in sequence_claims(_summary(0.80, (2.3, 1.9), 100, 0.1))}
    assert set(better.values()) == {"reproduced"}, better
    worse = {c["id"]: c["verdict"] for c in sequence_claims(_summary(0.72, (2.5, 2.45), 250, 0.3))}
    assert worse.pop("seq-parallel") == "reproduced", "counted from the architectures, whatever the timings say"
    assert set(worse.values()) == {"not reproduced"}, worse
    missed = _summary(0.80, (2.3, 1.9), 100, 0.1)
    missed["sentiment"]["transformer"]["reached_by_seed"]["1"] = False
    assert {c["id"]: c["verdict"] for c in sequence_claims(missed)}["seq-train-efficiently"] == "not reproduced"


def test_report_snippets_define_every_macro_the_section_uses():
    from tests.conftest import REPO

    summary = _summary(0.80, (2.3, 1.9), 100, 0.1)
    summary["claims"] = sequence_claims(summary)
    import yaml

    setting = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["sequence"]
    tex = sequence_tex(summary, setting, [0, 1, 2], {"lstm": ("ROMEO:\n", "What light\\end{verbatim} breaks")})
    section = (REPO / "workflow" / "report" / "sections" / "sequence.tex").read_text()
    import re

    used = set(re.findall(r"\\(seq[A-Za-z]+)", section))
    defined = set(re.findall(r"\\newcommand\{\\(seq[A-Za-z]+)\}", tex["values"]))
    assert used <= defined, f"undefined in the section: {sorted(used - defined)}"
    assert "\\end{verbatim} breaks" not in tex["samples"], "generated text cannot end the verbatim block early"
    assert "0.800 $\\pm$" in tex["accuracy"] or "0.80 $\\pm$" in tex["accuracy"]


def test_a_diverging_classifier_stops_naming_the_epoch_and_step():
    from dlrepro.guards import NonFiniteLossError

    texts, labels, classes = _texts()
    broken = {
        **SENTIMENT,
        "optim": {**SENTIMENT["optim"], "clip_norm": float("nan")},
    }  # NaN gradients, NaN weights after step 1
    with pytest.raises(NonFiniteLossError, match=r"lstm classifier: loss became nan at epoch 1, step 2 "):
        run_sentiment(texts, labels, classes, "lstm", broken, seed=1)


def test_a_diverging_language_model_stops_naming_the_global_step():
    from dlrepro.guards import NonFiniteLossError

    text = np.frombuffer(b"to be or not to be, that is the question. " * 30, dtype=np.uint8)
    broken = {**CHAR_LM, "optim": {**CHAR_LM["optim"], "clip_norm": float("nan")}}
    with pytest.raises(NonFiniteLossError, match=r"lstm LM: loss became nan at evaluation interval 1, step 2 "):
        run_char_lm(text, "lstm", broken, context=8, seed=2)


def test_a_language_model_is_still_improving_if_its_last_interval_cut_bpc_by_over_one_percent():
    from dlrepro.sequence.summary import lm_still_falling

    row = lambda bpc: {"step": 0, "train_bpc": bpc, "test_bpc": bpc, "seconds": 0.0}  # noqa: E731
    assert lm_still_falling([row(3.0), row(2.90), row(2.85)])  # -1.7%
    assert not lm_still_falling([row(3.0), row(2.90), row(2.89)])  # -0.3%: levelled off
    assert not lm_still_falling([row(2.90), row(2.95)])  # rising
    assert not lm_still_falling([row(2.9)])  # one evaluation: nothing to compare
