"""Counted training FLOPs of the sequence study's runs: `dlrepro.flops`'s rule applied to both tasks.

Each job counts one example's forward pass once, before it trains (a fraction of a second; never per
step; a ladder job once for all of its budgets): `dlrepro.flops.forward_flops` records the matrix
products and attention products of a CPU copy of the model in eval mode, 2 FLOPs per multiply-add. It multiplies that by what it processes in
training; the backward pass counts twice the forward (`dlrepro.flops.training_flops`: 3 x forward).
Evaluation passes are not counted.

- **Sentiment (Task A)**: the forward FLOPs of one full-length example (`max_tokens` tokens, all of
  them valid) divided by `max_tokens` are the FLOPs per position; the training FLOPs are 3 x that x
  the positions the training forward passes process: each batch's sentences times its padded length
  (a batch is trimmed to its longest sentence; the padding left is computed, so it is counted),
  summed over every step of the run. The batches are drawn again from (seed, epoch) as the training
  loop draws them (`data.epoch_rng`), so the positions are exact and a resumed run gets the same
  number. Per position, the recurrent models and the Transformer's dense layers cost the same at
  every length, but the Transformer's attention products grow with it (4 x length x width per
  position and block): counted at `max_tokens`, they are overstated for shorter batches, so the
  Transformer's count is an upper bound (with the default config, attention is 20% of its FLOPs per
  position at 64 tokens, and the count exceeds the exact one by 12-16% at batch lengths of 20-30
  tokens), the same rule for every run of a config.
- **Character LM (Task B)**: the forward FLOPs of one window of the run's context (`context`
  characters in, one prediction per character) divided by `context` are the FLOPs per predicted
  character (a Transformer's attention products counted in full, as torch counts them: the causal
  mask does not halve them); the training FLOPs are 3 x that x the characters predicted in training,
  steps x windows per step x context (= steps x `tokens_per_step` where the context divides it).

Every run's metrics.json records `forward_flops_per_example` (one sentence of `max_tokens` tokens, or
one window), the per-position or per-character count, what training processed and `train_flops`.
"""

from __future__ import annotations

import torch

from dlrepro.flops import forward_flops, training_flops
from dlrepro.sequence.data import SentenceSet, bucketed_batches, epoch_rng

__all__ = ["sentence_flops", "window_flops", "trained_positions", "classifier_compute", "lm_compute"]


def sentence_flops(model, max_tokens: int) -> int:
    """Forward FLOPs of the classifier on one sentence of `max_tokens` valid tokens."""
    tokens = torch.ones((1, max_tokens), dtype=torch.long)
    return forward_flops(model, tokens, torch.ones((1, max_tokens), dtype=torch.bool))


def window_flops(model, context: int) -> int:
    """Forward FLOPs of the language model on one window of `context` characters (`context` predictions)."""
    return forward_flops(model, torch.ones((1, context), dtype=torch.long))


def trained_positions(lengths, batch_size: int, *, seed: int, epochs: int) -> int:
    """Positions the training forward passes of `epochs` epochs process: each batch's sentences x its
    padded length, over the batches the training loop draws from (seed, epoch)."""
    return sum(
        len(idx) * length
        for epoch in range(1, epochs + 1)
        for idx, length in bucketed_batches(lengths, batch_size, epoch_rng(seed, epoch))
    )


def classifier_compute(
    model, train: SentenceSet, *, batch_size: int, seed: int, epochs: int, per_example: int | None = None
) -> dict:
    """A sentiment run's counted FLOPs (the module's rule): per full-length example, per position, the
    positions trained and the training FLOPs. `per_example`: the forward FLOPs of one full-length example
    where already counted (a ladder job counts them once for all of its budgets)."""
    max_tokens = train.ids.shape[1]
    per_example = sentence_flops(model, max_tokens) if per_example is None else per_example
    positions = trained_positions(train.lengths, batch_size, seed=seed, epochs=epochs)
    return {
        "forward_flops_per_example": per_example,
        "forward_flops_per_token": per_example / max_tokens,
        "train_positions": int(positions),
        "train_flops": training_flops(per_example / max_tokens, positions),
    }


def lm_compute(model, *, context: int, steps: int, batch_windows: int, per_window: int | None = None) -> dict:
    """A character-LM run's counted FLOPs (the module's rule): per window, per predicted character, the
    characters predicted in training and the training FLOPs. `per_window`: the forward FLOPs of one window
    where already counted (a ladder job counts them once for all of its budgets)."""
    per_window = window_flops(model, context) if per_window is None else per_window
    predicted = steps * batch_windows * context
    return {
        "forward_flops_per_example": per_window,
        "forward_flops_per_char": per_window / context,
        "train_chars_predicted": int(predicted),
        "train_flops": training_flops(per_window / context, predicted),
    }
