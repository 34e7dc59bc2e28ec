"""Training of the sequence study's character language models (Task B), their held-out score and samples.

The corpus stays one id tensor on the device; a batch is random windows sliced by indexing, their
starts drawn per evaluation interval from (seed, steps done), and no step calls `.item()`. The loop
saves a checkpoint every evaluation interval and resumes from it, ending with the same numbers.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass

import torch
from torch.nn import functional as F

from dlrepro.checkpoint import Checkpointer
from dlrepro.guards import FiniteGuard
from dlrepro.schedules import warmup_decay
from dlrepro.sequence.compute import lm_compute
from dlrepro.sequence.data import CharCorpus
from dlrepro.sequence.models import SeqModelConfig
from dlrepro.sequence.networks import SequenceModel, parameter_counts
from dlrepro.sequence.training import clock, from_dict, resume, save_state, sync

__all__ = ["LMConfig", "train_char_lm", "lm_step", "bits_per_char", "generate"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LMConfig:
    """The config's `sequence.char_lm.optim` block; no defaults here: the schema is their one home."""

    steps: int  # Adam steps per run (the same at every context length)
    tokens_per_step: int  # predicted characters per step: batch = tokens_per_step // context
    eval_every: int  # steps between held-out evaluations (and checkpoints)
    eval_tokens: int  # held-out characters scored (from the start of the held-out tail)
    learning_rate: float  # peak Adam step size, cosine-decayed to 10% over the run
    warmup_fraction: float  # share of the steps with a linear warm-up of the step size
    dropout: float  # dropout of the models on this task
    clip_norm: float  # gradient-norm clipping

    @classmethod
    def from_dict(cls, d: dict) -> LMConfig:
        return from_dict(cls, d, "character LM")


@torch.no_grad()
def bits_per_char(model, ids: torch.Tensor, context: int, max_tokens: int, batch_windows: int = 64) -> float:
    """Held-out bits per character over non-overlapping windows of `context` predictions each."""
    model.eval()
    n = min(max_tokens, len(ids) - 1) // context
    if n < 1:
        raise ValueError(f"held-out part too short for context {context}: {len(ids)} characters")
    starts = torch.arange(n, device=ids.device) * context
    offsets = torch.arange(context + 1, device=ids.device)
    total = torch.zeros((), device=ids.device, dtype=torch.float64)
    for i in range(0, n, batch_windows):
        w = ids[starts[i : i + batch_windows, None] + offsets]  # (b, context + 1)
        logits = model(w[:, :-1])  # (b, context, vocab)
        total += F.cross_entropy(logits.flatten(0, 1), w[:, 1:].flatten(), reduction="sum").double()
    return float(total) / (n * context) / math.log(2)


def lm_step(
    model, optimizer, ids: torch.Tensor, starts: torch.Tensor, offsets: torch.Tensor, clip_norm: float
) -> torch.Tensor:
    """One Adam step on the windows of `ids` that begin at `starts`; returns the loss (on the device)."""
    w = ids[starts[:, None] + offsets]  # (B, context + 1) random windows, sliced by indexing
    logits = model(w[:, :-1])  # (B, context, vocab)
    loss = F.cross_entropy(logits.flatten(0, 1), w[:, 1:].flatten())
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    optimizer.step()
    return loss.detach()


def _language_model(kind: str, vocab: int, *, model_config: SeqModelConfig, config: LMConfig, seed: int, device):
    """The seeded causal model (with the task's dropout) and its Adam optimizer."""
    torch.manual_seed(seed)
    mc = SeqModelConfig(**{**asdict(model_config), "dropout": config.dropout})
    model = SequenceModel(kind, vocab_size=vocab, n_outputs=vocab, config=mc, causal=True).to(device)
    return model, torch.optim.Adam(model.parameters(), lr=config.learning_rate)


def _interval(model, optimizer, train, starts, offsets, *, done: int, config: LMConfig, guard) -> torch.Tensor:
    """The steps done .. done + len(starts) - 1 on their windows; returns the summed loss (on the device).

    The step size rises linearly over the first `warmup_fraction` of the run's steps (at least one),
    then follows a cosine down to 10% of the peak."""
    warmup = max(1, int(config.warmup_fraction * config.steps))
    model.train()
    total = torch.zeros((), device=train.device)
    for k in range(len(starts)):
        for group in optimizer.param_groups:
            group["lr"] = warmup_decay(config.learning_rate, done + k, config.steps, warmup=warmup, floor=0.1)
        step_loss = lm_step(model, optimizer, train, starts[k], offsets, config.clip_norm)
        guard.observe(step_loss)
        total += step_loss
    return total


def train_char_lm(
    kind: str,
    corpus: CharCorpus,
    *,
    context: int,
    model_config: SeqModelConfig,
    config: LMConfig,
    seed: int,
    device: torch.device,
    checkpointer: Checkpointer | None = None,
    stop_after: int | None = None,
):
    """Train on random windows of the training part; held-out bpc every `eval_every` steps.

    Returns (metrics, history rows, model); `stop_after` ends after that many evaluation intervals
    of this call (for tests of resuming), returning (None, history, model).
    """
    checkpointer = checkpointer or Checkpointer(None)
    vocab = len(corpus.alphabet) + 1
    model, optimizer = _language_model(kind, vocab, model_config=model_config, config=config, seed=seed, device=device)
    train, test = torch.from_numpy(corpus.train).to(device), torch.from_numpy(corpus.test).to(device)
    batch = max(1, config.tokens_per_step // context)
    offsets = torch.arange(context + 1, device=device)
    history, done = resume(checkpointer, model, optimizer, "step")
    counts = parameter_counts(model)
    compute = lm_compute(model, context=context, steps=config.steps, batch_windows=batch)
    log.info("%s LM: %s parameters, context %d, batch %d windows, vocabulary %d", kind, counts, context, batch, vocab)
    log.info("%s LM: %.3g training FLOPs (counted)", kind, compute["train_flops"])
    elapsed, intervals, now = (history[-1]["seconds"] if history else 0.0), 0, clock(device)
    guard = FiniteGuard(what=f"{kind} LM", period="evaluation interval")
    while done < config.steps:
        n = min(config.eval_every, config.steps - done)
        gen = torch.Generator().manual_seed(seed * 1_000_003 + done)  # the windows of steps done..done+n
        starts = torch.randint(0, len(train) - context - 1, (n, batch), generator=gen).to(device)
        tic = now()
        total = _interval(model, optimizer, train, starts, offsets, done=done, config=config, guard=guard)
        guard.check(len(history) + 1, step_offset=done)  # names the interval and the global step
        loss = float(total) / n
        sync(device)
        elapsed += now() - tic
        done += n
        row = {"step": done, "train_bpc": loss / math.log(2)}
        row.update(test_bpc=bits_per_char(model, test, context, config.eval_tokens), seconds=elapsed)
        history.append(row)
        log.info("step %5d  train_bpc %.4f  test_bpc %.4f  %6.1f s", done, row["train_bpc"], row["test_bpc"], elapsed)
        save_state(checkpointer, model, optimizer, history, "step", done)
        intervals += 1
        if stop_after is not None and intervals >= stop_after and done < config.steps:
            return None, history, model
    metrics = {"model": kind, "seed": seed, "context": context, "test_bpc": history[-1]["test_bpc"]}
    metrics.update(steps=config.steps, batch_windows=batch, seconds=history[-1]["seconds"], parameters=counts)
    metrics.update(vocab_size=vocab, train_chars=len(corpus.train), test_chars=len(corpus.test), device=device.type)
    metrics.update(compute)  # forward_flops_per_example (one window), forward_flops_per_char, ..., train_flops
    return metrics, history, model


@torch.no_grad()
def generate(
    model, corpus: CharCorpus, *, prompt: str, length: int, context: int, temperature: float, seed: int
) -> str:
    """Sample `length` characters after `prompt`, each conditioned on the last `context` characters."""
    model.eval()
    device = next(model.parameters()).device
    lookup = {c: i + 1 for i, c in enumerate(corpus.alphabet)}
    ids = [lookup.get(c, 0) for c in prompt]
    gen = torch.Generator(device=device).manual_seed(seed)
    for _ in range(length):
        x = torch.tensor([ids[-context:]], device=device)  # (1, <= context)
        probs = torch.softmax(model(x)[0, -1] / temperature, dim=-1)
        ids.append(int(torch.multinomial(probs, 1, generator=gen)))
    return "".join(corpus.alphabet[i - 1] if i > 0 else "?" for i in ids[len(prompt) :])
