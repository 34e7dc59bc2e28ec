"""Sequence study: a ladder job killed at any of its checkpoints and resumed ends where an uninterrupted one
ends, and the claims' verdicts."""

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
    "optim": {
        "epochs": 6,
        "batch_size": 8,
        "learning_rate": 1e-2,
        "dropout": 0.1,
        "clip_norm": 1.0,
        "cooldown_fraction": 0.2,
    },
    "model": TINY_SEQUENCE_MODEL,
    "budgets": [1.0],
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
        "cooldown_fraction": 0.2,
    },
    "samples": {"prompt_chars": 4, "chars": 12, "temperature": 1.0},
    "model": TINY_SEQUENCE_MODEL,
    "budgets": [1.0],
}
UNTIMED = ("seconds", "seconds_to_best")


def _texts():
    rng = np.random.default_rng(0)
    pos, neg = "good fun great moving".split(), "bad dull awful boring".split()
    texts = [" ".join(rng.choice(pos if i % 2 else neg, size=5)) for i in range(60)]
    return texts, np.array([i % 2 for i in range(60)]), ["negative", "positive"]


def _untimed(runs):
    """A ladder's results without what the clock measured."""
    drop = lambda d: {k: v for k, v in d.items() if k not in UNTIMED}  # noqa: E731
    return [(drop(run[0]), [drop(row) for row in run[1]], *run[2:]) for run in runs]


def _killed_and_resumed(tmp_path, run, settings):
    """`run(settings, checkpoint=..., stop_after=k)` killed after its k-th checkpoint, for every k until
    one run finishes, each then resumed from its checkpoint: the resumed ladders' results."""
    resumed = []
    for k in range(1, 50):
        ckpt = Checkpointer(tmp_path / f"kill{k}" / ".checkpoint.pt", settings)
        if run(settings, checkpoint=ckpt, stop_after=k) is not None:
            return resumed  # no k-th checkpoint: every kill point has been tried
        assert ckpt.path.exists()
        resumed.append(run(settings, checkpoint=ckpt))
    raise AssertionError("the run never finished")


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_a_sentiment_ladder_resumes_to_the_same_metrics_from_every_checkpoint(tmp_path, kind):
    texts, labels, classes = _texts()
    settings = {**SENTIMENT, "optim": {**SENTIMENT["optim"], "epochs": 3}, "budgets": [1.0, 2.0]}
    run = lambda s, **kw: run_sentiment(texts, labels, classes, kind, s, seed=1, **kw)  # noqa: E731
    full = run(settings)
    resumed = _killed_and_resumed(tmp_path, run, settings)
    # 5 batches per epoch: x1 (15 steps) branches at step 12, x2 (30) at 24, inside epochs 3 and 5; checkpoints
    # at steps 5, 10, 12 (x1's start), after x1's branch, at 15, 20 and 24 (x2's start)
    assert len(resumed) == 7
    assert all(_untimed(r) == _untimed(full) for r in resumed)
    assert [[row["epoch"] for row in history] for _, history in full] == [[1, 2, 3], [1, 2, 3, 4, 5, 6]]
    assert full[-1][0]["test_accuracy"] > 0.8, "the synthetic words separate the classes"


def test_a_language_model_ladder_resumes_to_the_same_metrics_and_samples_from_every_checkpoint(tmp_path):
    text = np.frombuffer(b"to be or not to be, that is the question. " * 30, dtype=np.uint8)
    settings = {**CHAR_LM, "budgets": [1.0, 2.0]}
    run = lambda s, **kw: run_char_lm(text, "lstm", s, context=8, seed=2, **kw)  # noqa: E731
    full = run(settings)
    resumed = _killed_and_resumed(tmp_path, run, settings)
    # x1 (6 steps) branches at step 5, x2 (12) at 10; checkpoints at steps 2, 4, 5, after x1's branch, at 6, 8, 10
    assert len(resumed) == 7
    assert all(_untimed(r) == _untimed(full) for r in resumed)
    assert [[row["step"] for row in history] for _, history, _ in full] == [[2, 4, 6], [2, 4, 6, 8, 10, 12]]
    assert all(len(sample) == 12 for _, _, sample in full) and full[0][2] != full[1][2]
    assert full[1][0]["test_bpc"] < math.log2(full[1][0]["vocab_size"]), "better than a uniform guess"


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
