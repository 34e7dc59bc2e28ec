"""The sequence study's counted training FLOPs (`dlrepro.sequence.compute`) against hand counts, and its points
against them (`dlrepro.sequence.curves`)."""

import numpy as np
import pytest
import torch

from dlrepro import curves
from dlrepro.sequence import compute
from dlrepro.sequence.compute import sentence_flops, trained_positions, window_flops
from dlrepro.sequence.curves import PANELS, curve_panels, sequence_curves
from dlrepro.sequence.models import SeqModelConfig
from dlrepro.sequence.networks import SequenceModel
from dlrepro.sequence.study import run_char_lm, run_sentiment
from tests.unit.test_sequence_study import CHAR_LM, SENTIMENT, _texts

torch.set_num_threads(1)
# two layers of each kind, widths that differ, so that a wrong shape in the hand count shows
SMALL = SeqModelConfig(
    width=8, rnn_layers=2, rnn_hidden=6, lstm_layers=2, lstm_hidden=5, transformer_layers=2, heads=2, ff_width=12
)


def _backbone(kind: str, c: SeqModelConfig, length: int) -> tuple[int, int]:
    """Hand count of the backbone's products over `length` positions (2 FLOPs per multiply-add; biases,
    activations, norms and softmax are not counted), and its output width."""
    if kind == "transformer":
        w = c.width
        dense = 2 * (w * 3 * w + w * w + w * c.ff_width + c.ff_width * w)  # qkv, projection, feed-forward
        attention = 2 * 2 * length * length * w  # q k^T and (weights) v, all heads: counted in full
        return c.transformer_layers * (length * dense + attention), w
    layers, h = (c.rnn_layers, c.rnn_hidden) if kind == "rnn" else (c.lstm_layers, c.lstm_hidden)
    gates = 1 if kind == "rnn" else 4  # an LSTM cell computes 4 gates from the input and the hidden state
    per_step = sum(2 * gates * h * ((c.width if layer == 0 else h) + h) for layer in range(layers))
    return length * per_step, h


def hand_window(kind: str, c: SeqModelConfig, vocab: int, context: int) -> int:
    """A language model's forward FLOPs on one window: the backbone, then the head at every position."""
    backbone, out = _backbone(kind, c, context)
    return backbone + context * 2 * out * vocab


def hand_sentence(kind: str, c: SeqModelConfig, classes: int, length: int) -> int:
    """A classifier's forward FLOPs on one sentence: the backbone, then the head once (on the mean)."""
    backbone, out = _backbone(kind, c, length)
    return backbone + 2 * out * classes


@pytest.mark.parametrize("kind", ["rnn", "lstm", "transformer"])
def test_a_window_of_each_language_model_counts_as_by_hand(kind):
    for context in (1, 7, 16):
        model = SequenceModel(kind, vocab_size=11, n_outputs=11, config=SMALL, causal=True)
        assert window_flops(model, context) == hand_window(kind, SMALL, 11, context), (kind, context)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "transformer"])
def test_a_sentence_of_each_classifier_counts_as_by_hand(kind):
    model = SequenceModel(kind, vocab_size=30, n_outputs=3, config=SMALL, causal=False)
    assert sentence_flops(model, 9) == hand_sentence(kind, SMALL, 3, 9)


@pytest.fixture
def count_calls(monkeypatch):
    """How often a run counts a forward pass (once per run, never per step)."""
    calls = []
    real = compute.forward_flops

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(compute, "forward_flops", counted)
    return calls


@pytest.mark.parametrize("kind", ["rnn", "lstm", "transformer"])
@pytest.mark.parametrize("context", [8, 12])  # 64 tokens per step: 8 windows of 8, or 5 windows of 12 (60)
def test_a_language_model_run_trains_3_x_forward_per_char_x_chars_predicted(kind, context, count_calls):
    text = np.frombuffer(b"to be or not to be, that is the question. " * 12, dtype=np.uint8)
    settings = {**CHAR_LM, "model": SMALL.__dict__, "budgets": [1.0, 2.0]}
    runs = run_char_lm(text, kind, settings, context=context, seed=0)
    assert count_calls == [1], "one count per job, for every budget of its ladder"
    for budget, (metrics, _, _) in zip(settings["budgets"], runs):
        steps, windows = CHAR_LM["optim"]["steps"] * budget, CHAR_LM["optim"]["tokens_per_step"] // context
        assert metrics["batch_windows"] == windows
        assert metrics["forward_flops_per_example"] == hand_window(kind, SMALL, metrics["vocab_size"], context)
        assert metrics["forward_flops_per_char"] == metrics["forward_flops_per_example"] / context
        assert metrics["train_chars_predicted"] == steps * windows * context
        assert metrics["train_flops"] == pytest.approx(
            3 * metrics["forward_flops_per_example"] / context * steps * windows * context, rel=1e-12
        )


@pytest.fixture
def trained_shapes():
    """The (batch, length) of every forward pass a SequenceModel makes in training mode."""
    shapes = []

    def hook(module, args):
        if isinstance(module, SequenceModel) and module.training:
            shapes.append(tuple(args[0].shape))

    handle = torch.nn.modules.module.register_module_forward_pre_hook(hook)
    yield shapes
    handle.remove()


@pytest.mark.parametrize("kind", ["rnn", "lstm", "transformer"])
def test_a_sentiment_run_trains_3_x_forward_per_token_x_positions_processed(kind, trained_shapes, count_calls):
    texts, labels, classes = _texts()
    texts = [" ".join(t.split()[: 1 + i % 5]) for i, t in enumerate(texts)]  # lengths 1..5: batches of mixed length
    settings = {**SENTIMENT, "model": SMALL.__dict__}
    ((metrics, _),) = run_sentiment(texts, labels, classes, kind, settings, seed=3)
    max_tokens = SENTIMENT["data"]["max_tokens"]
    assert count_calls == [1], "one count per run"
    assert metrics["forward_flops_per_example"] == hand_sentence(kind, SMALL, len(classes), max_tokens)
    assert metrics["forward_flops_per_token"] == metrics["forward_flops_per_example"] / max_tokens
    assert len(trained_shapes) == metrics["steps"], "one training forward pass per step"
    positions = sum(b * n for b, n in trained_shapes)  # what the loop's forward passes processed
    assert positions < metrics["train_examples"] * SENTIMENT["optim"]["epochs"] * max_tokens, "batches are trimmed"
    assert metrics["train_positions"] == positions
    assert metrics["train_flops"] == pytest.approx(3 * metrics["forward_flops_per_token"] * positions, rel=1e-12)


def test_trained_positions_follow_the_seed_and_the_epochs():
    lengths = np.random.default_rng(0).integers(1, 30, size=500)
    one = trained_positions(lengths, 16, seed=1, epochs=1)
    assert lengths.sum() <= one < 30 * len(lengths)
    assert trained_positions(lengths, 16, seed=1, epochs=3) > 2 * one
    assert trained_positions(lengths, 16, seed=1, epochs=2) == trained_positions(lengths, 16, seed=1, epochs=2)


def _runs(scores: dict, *, context: int | None = None) -> list[dict]:
    """Runs of (model, budget) -> per-seed scores, with FLOPs that double with the budget."""
    key = "test_accuracy" if context is None else "test_bpc"
    base = {"rnn": 1e9, "lstm": 2e9, "transformer": 4e9}
    runs = []
    for (model, budget), values in scores.items():
        for seed, value in enumerate(values):
            run = {"model": model, "seed": seed, "budget": budget, key: value, "train_flops": base[model] * budget}
            runs.append(run if context is None else {**run, "context": context})
    return runs


def test_curves_hold_every_panel_with_gaps_paired_by_seed_and_oriented_for_the_transformer(tmp_path):
    sentiment = _runs(
        {
            ("lstm", 1.0): [0.70, 0.72],
            ("lstm", 2.0): [0.74, 0.74],
            ("transformer", 1.0): [0.75, 0.73],
            ("transformer", 2.0): [0.76, 0.78],
        }
    )
    char_lm = _runs({("lstm", 1.0): [2.5, 2.6], ("transformer", 1.0): [2.4, 2.3]}, context=64)
    char_lm += _runs({("lstm", 1.0): [2.4, 2.4], ("transformer", 1.0): [2.5, 2.6]}, context=256)
    rows = sequence_curves(sentiment, char_lm)
    path = tmp_path / "curves.csv"
    curves.write_curves(path, rows)  # every row passes the curves contract
    back = {(r["panel"], r["series"], r["budget"]): r for r in curves.read_curves(path)}
    assert curve_panels(rows) == [("sequence", p) for p in PANELS]
    acc = back[("sentiment", "LSTM", 2.0)]
    assert acc["value"] == pytest.approx(74.0) and acc["ci95"] == 0.0 and acc["n"] == 2 and acc["flops"] == 4e9
    gap = back[("sentiment_gap", "Transformer - LSTM", 1.0)]
    assert gap["value"] == pytest.approx(3.0) and gap["flops"] == pytest.approx(3e9) and gap["better"] == "higher"
    assert back[("char_lm", "LSTM, context 256", 1.0)]["better"] == "lower"
    lm_gap = {c: back[("char_lm_gap", f"LSTM - Transformer, context {c}", 1.0)] for c in (64, 256)}
    assert lm_gap[64]["value"] == pytest.approx(0.2) and lm_gap[256]["value"] == pytest.approx(-0.15)
    assert lm_gap[64]["kind"] == "gap" and lm_gap[64]["better"] == "higher", "above 0 favours the Transformer"
    one_seed = sequence_curves([r for r in sentiment if r["seed"] == 0], [])
    assert all(r["n"] == 1 and r["ci95"] == 0.0 for r in one_seed), "one seed: no interval, drawn without a bar"
    fig = curves.plot_curves({"this run": list(back.values())}, [], panels=curve_panels(rows))
    assert all(ax.get_xscale() == "log" for ax in fig.axes if ax.get_visible())


def test_a_run_without_counted_flops_is_named():
    runs = _runs({("lstm", 1.0): [0.7]})
    del runs[0]["train_flops"]
    with pytest.raises(ValueError, match=r"lstm seed 0 budget 1.0 has no counted train_flops.*run it again"):
        sequence_curves(runs, [])
