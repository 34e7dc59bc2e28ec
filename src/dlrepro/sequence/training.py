"""Training loops of the sequence study: sentiment classifier (Task A), character LM (Task B), throughput (Task C).

Data stay in tensors on the device; a batch is an index (bucketed sentences, or random LM windows
sliced by indexing), and no step calls `.item()`. Each loop saves a checkpoint every epoch (LM:
every evaluation interval) through `dlrepro.checkpoint.Checkpointer` and resumes from it; the
randomness of epoch `e` is drawn from (seed, e), so a resumed run ends with the same numbers.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch.nn import functional as F

from dlrepro.checkpoint import Checkpointer, rng_state, set_rng_state
from dlrepro.config_errors import check_known_keys
from dlrepro.guards import FiniteGuard
from dlrepro.sequence.data import PAD, CharCorpus, SentenceSet, bucketed_batches
from dlrepro.sequence.models import SeqModelConfig, SequenceModel, parameter_counts

__all__ = [
    "ClassifierConfig",
    "LMConfig",
    "train_classifier",
    "train_char_lm",
    "bits_per_char",
    "generate",
    "measure_throughput",
]

log = logging.getLogger(__name__)


def _from_dict(cls, d: dict, what: str):
    check_known_keys(cls, d, what)
    return cls(**d)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def clock(device: torch.device):
    """The timer of the study's seconds: the process's CPU time for a single-threaded CPU job, so that
    other jobs sharing the machine do not inflate it; wall time (after synchronising) on a GPU or with
    several threads."""
    if device.type == "cpu" and torch.get_num_threads() == 1:
        return time.process_time
    return time.perf_counter


# ---- Task A: sentence classification ---------------------------------------------------------


@dataclass(frozen=True)
class ClassifierConfig:
    epochs: int = 8  # passes over the training part (the base schedule, times the run's budget)
    batch_size: int = 64  # sentences per Adam step
    learning_rate: float = 2e-3  # peak Adam step size, cosine-decayed to 0 over the run's own steps
    dropout: float = 0.2  # dropout of the models on this task
    clip_norm: float = 1.0  # gradient-norm clipping

    @classmethod
    def from_dict(cls, d: dict) -> ClassifierConfig:
        return _from_dict(cls, d, "sentiment classifier")


def _tensors(s: SentenceSet, device):
    return (torch.from_numpy(s.ids).to(device), torch.from_numpy(s.labels).to(device))


@torch.no_grad()
def accuracy(model, s: SentenceSet, ids, labels, batch_size: int = 512) -> float:
    model.eval()
    correct = torch.zeros((), dtype=torch.long, device=ids.device)
    for idx, length in bucketed_batches(s.lengths, batch_size, None):
        i = torch.from_numpy(idx).to(ids.device)
        x = ids[i, :length]  # (B, L)
        correct += (model(x, x != PAD).argmax(dim=1) == labels[i]).sum()
    return float(correct) / len(s.labels)


def cosine_rate(peak: float, step: int, total: int) -> float:
    """The step size of optimizer step `step` (0-based) of `total`: a cosine from `peak` to 0."""
    return peak * 0.5 * (1.0 + math.cos(math.pi * step / max(1, total)))


def classifier_epoch(
    model, s: SentenceSet, ids, labels, *, optimizer, batch_size, clip_norm, rng, guard=None, rate=None
) -> float:
    """One pass over `s` in bucketed batches; returns the mean training loss. `guard` (a FiniteGuard)
    records the first step whose loss is not finite, without a host sync; `rate(k)` gives the step
    size of this epoch's k-th step (None: the optimizer's own)."""
    model.train()
    total = torch.zeros((), device=ids.device)
    batches = bucketed_batches(s.lengths, batch_size, rng)
    for k, (idx, length) in enumerate(batches):
        if rate is not None:
            for group in optimizer.param_groups:
                group["lr"] = rate(k)
        i = torch.from_numpy(idx).to(ids.device, non_blocking=True)
        x = ids[i, :length]  # (B, L): this batch's padded length only
        loss = F.cross_entropy(model(x, x != PAD), labels[i])
        if guard is not None:
            guard.observe(loss)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        optimizer.step()
        total += loss.detach()
    return float(total) / len(batches)


def train_classifier(
    kind: str,
    train: SentenceSet,
    val: SentenceSet,
    test: SentenceSet,
    *,
    vocab_size: int,
    n_classes: int,
    model_config: SeqModelConfig,
    config: ClassifierConfig,
    seed: int,
    device: torch.device,
    checkpointer: Checkpointer | None = None,
    stop_after: int | None = None,
):
    """Train for `config.epochs` under a cosine schedule over all of the run's steps; the test accuracy
    is the one at the epoch of the best validation accuracy (model selection, not early stopping).

    Returns (metrics, history rows). `stop_after` ends the run after that many epochs of this call
    (as a kill would; for tests of resuming), returning (None, history).
    """
    checkpointer = checkpointer or Checkpointer(None)
    torch.manual_seed(seed)
    mc = SeqModelConfig(**{**asdict(model_config), "dropout": config.dropout})
    model = SequenceModel(kind, vocab_size=vocab_size, n_outputs=n_classes, config=mc, causal=False).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    data = {name: (s, *_tensors(s, device)) for name, s in (("train", train), ("val", val), ("test", test))}
    history, start_epoch = [], 1
    state = checkpointer.load(map_location="cpu")  # CPU tensors: the RNG state must stay on the CPU
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        history, start_epoch = state["history"], state["epoch"] + 1
        set_rng_state(state["rng"])
    counts = parameter_counts(model)
    log.info("%s classifier: %s parameters, %d classes, vocabulary %d", kind, counts, n_classes, vocab_size)
    elapsed, now = (history[-1]["seconds"] if history else 0.0), clock(device)
    guard = FiniteGuard(what=f"{kind} classifier")
    per_epoch = len(bucketed_batches(train.lengths, config.batch_size, None))
    total_steps = per_epoch * config.epochs
    real_tokens = int(np.minimum(train.lengths, train.ids.shape[1]).sum())  # non-pad tokens per pass
    for epoch in range(start_epoch, config.epochs + 1):
        tic = now()
        rng = np.random.default_rng([seed, epoch])
        done = (epoch - 1) * per_epoch
        loss = classifier_epoch(
            model,
            *data["train"],
            optimizer=optimizer,
            batch_size=config.batch_size,
            clip_norm=config.clip_norm,
            rng=rng,
            guard=guard,
            rate=lambda k, done=done: cosine_rate(config.learning_rate, done + k, total_steps),
        )
        guard.check(epoch)  # names the epoch and step of a NaN/inf loss
        val_acc = accuracy(model, *data["val"])
        _sync(device)
        elapsed += now() - tic  # training + validation time, evaluation on the test part excluded
        row = {
            "epoch": epoch,
            "step": epoch * per_epoch,
            "tokens": epoch * real_tokens,
            "train_loss": loss,
            "val_accuracy": val_acc,
            "test_accuracy": accuracy(model, *data["test"]),
            "seconds": elapsed,
        }
        history.append(row)
        log.info(
            "epoch %3d  train_loss %.4f  val_acc %.4f  test_acc %.4f  %6.1f s",
            epoch,
            loss,
            val_acc,
            row["test_accuracy"],
            elapsed,
        )
        checkpointer.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "epoch": epoch,
                "history": history,
                "rng": rng_state(),
            },
            where=f"epoch {epoch}",
        )
        if stop_after is not None and epoch - start_epoch + 1 >= stop_after:
            return None, history
    best = max(history, key=lambda r: r["val_accuracy"])  # the first epoch reaching the maximum
    metrics = {
        "model": kind,
        "seed": seed,
        "test_accuracy": best["test_accuracy"],
        "val_accuracy": best["val_accuracy"],
        "best_epoch": best["epoch"],
        "seconds_to_best": best["seconds"],
        "epochs_run": history[-1]["epoch"],
        "steps": total_steps,
        "seconds": history[-1]["seconds"],
        "parameters": counts,
        "vocab_size": vocab_size,
        "n_classes": n_classes,
        "train_examples": len(train.labels),
        "val_examples": len(val.labels),
        "test_examples": len(test.labels),
        "device": device.type,
    }
    return metrics, history


# ---- Task B: character language model --------------------------------------------------------


@dataclass(frozen=True)
class LMConfig:
    steps: int = 400  # Adam steps per run (the same at every context length)
    tokens_per_step: int = 4096  # predicted characters per step: batch = tokens_per_step // context
    eval_every: int = 100  # steps between held-out evaluations (and checkpoints)
    eval_tokens: int = 32768  # held-out characters scored (from the start of the held-out tail)
    learning_rate: float = 3e-3  # peak Adam step size, cosine-decayed to 10% over the run
    warmup_fraction: float = 0.1  # share of the steps with a linear warm-up of the step size
    dropout: float = 0.0  # dropout of the models on this task
    clip_norm: float = 1.0  # gradient-norm clipping

    @classmethod
    def from_dict(cls, d: dict) -> LMConfig:
        return _from_dict(cls, d, "character LM")


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


def lm_learning_rate(step: int, config: LMConfig) -> float:
    """Linear warm-up over the first `warmup_fraction` of the steps, then cosine decay to 10% of the peak."""
    warmup = max(1, int(config.warmup_fraction * config.steps))
    if step < warmup:
        return config.learning_rate * (step + 1) / warmup
    progress = (step - warmup) / max(1, config.steps - warmup)
    return config.learning_rate * (0.55 + 0.45 * math.cos(math.pi * progress))


def lm_step(
    model, optimizer, ids: torch.Tensor, starts: torch.Tensor, offsets: torch.Tensor, clip_norm: float
) -> torch.Tensor:
    w = ids[starts[:, None] + offsets]  # (B, context + 1) random windows, sliced by indexing
    logits = model(w[:, :-1])  # (B, context, vocab)
    loss = F.cross_entropy(logits.flatten(0, 1), w[:, 1:].flatten())
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    optimizer.step()
    return loss.detach()


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
    torch.manual_seed(seed)
    vocab = len(corpus.alphabet) + 1
    mc = SeqModelConfig(**{**asdict(model_config), "dropout": config.dropout})
    model = SequenceModel(kind, vocab_size=vocab, n_outputs=vocab, config=mc, causal=True).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    train, test = torch.from_numpy(corpus.train).to(device), torch.from_numpy(corpus.test).to(device)
    batch = max(1, config.tokens_per_step // context)
    offsets = torch.arange(context + 1, device=device)
    history, done = [], 0
    state = checkpointer.load(map_location="cpu")  # CPU tensors: the RNG state must stay on the CPU
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        history, done = state["history"], state["step"]
        set_rng_state(state["rng"])
    counts = parameter_counts(model)
    log.info("%s LM: %s parameters, context %d, batch %d windows, vocabulary %d", kind, counts, context, batch, vocab)
    elapsed, intervals, now = (history[-1]["seconds"] if history else 0.0), 0, clock(device)
    guard = FiniteGuard(what=f"{kind} LM", period="evaluation interval")
    while done < config.steps:
        n = min(config.eval_every, config.steps - done)
        gen = torch.Generator().manual_seed(seed * 1_000_003 + done)  # the windows of steps done..done+n
        starts = torch.randint(0, len(train) - context - 1, (n, batch), generator=gen).to(device)
        tic = now()
        model.train()
        total = torch.zeros((), device=device)
        for k in range(n):
            for group in optimizer.param_groups:
                group["lr"] = lm_learning_rate(done + k, config)
            step_loss = lm_step(model, optimizer, train, starts[k], offsets, config.clip_norm)
            guard.observe(step_loss)
            total += step_loss
        guard.check(len(history) + 1, step_offset=done)  # names the interval and the global step
        loss = float(total) / n
        _sync(device)
        elapsed += now() - tic
        done += n
        row = {
            "step": done,
            "train_bpc": loss / math.log(2),
            "test_bpc": bits_per_char(model, test, context, config.eval_tokens),
            "seconds": elapsed,
        }
        history.append(row)
        log.info("step %5d  train_bpc %.4f  test_bpc %.4f  %6.1f s", done, row["train_bpc"], row["test_bpc"], elapsed)
        checkpointer.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "step": done,
                "history": history,
                "rng": rng_state(),
            },
            where=f"step {done}",
        )
        intervals += 1
        if stop_after is not None and intervals >= stop_after and done < config.steps:
            return None, history, model
    metrics = {
        "model": kind,
        "seed": seed,
        "context": context,
        "test_bpc": history[-1]["test_bpc"],
        "steps": config.steps,
        "batch_windows": batch,
        "seconds": history[-1]["seconds"],
        "parameters": counts,
        "vocab_size": vocab,
        "train_chars": len(corpus.train),
        "test_chars": len(corpus.test),
        "device": device.type,
    }
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


# ---- Task C: throughput against sequence length ----------------------------------------------


def measure_throughput(
    kinds,
    lengths,
    *,
    tokens_per_step: int,
    warmup: int,
    repeats: int,
    vocab_size: int,
    model_config: SeqModelConfig,
    device: torch.device,
    seed: int = 0,
) -> list[dict]:
    """Seconds per LM training step at a fixed number of tokens per step, for each model and length.

    The batch shrinks as the sequence grows (batch = tokens_per_step // length), so the work per
    step is constant for the recurrent models while their sequential depth grows with the length.
    Models are interleaved within each length, so a load change on a shared machine hits all three,
    and a single-threaded CPU step is timed in process CPU time (see `clock`).
    """
    rows = []
    for length in lengths:
        batch = max(1, tokens_per_step // length)
        offsets = torch.arange(length + 1, device=device)
        setups = {}
        for kind in kinds:
            torch.manual_seed(seed)
            model = SequenceModel(
                kind, vocab_size=vocab_size, n_outputs=vocab_size, config=model_config, causal=True
            ).to(device)
            ids = torch.randint(1, vocab_size, (batch * (length + 1) * 4,), device=device)
            setups[kind] = (model, torch.optim.Adam(model.parameters()), ids)
        times, now = {kind: [] for kind in kinds}, clock(device)
        for r in range(warmup + repeats):
            for kind, (model, optimizer, ids) in setups.items():
                starts = torch.randint(0, len(ids) - length - 1, (batch,), device=device)
                _sync(device)
                tic = now()
                lm_step(model, optimizer, ids, starts, offsets, 1.0)
                _sync(device)
                if r >= warmup:
                    times[kind].append(now() - tic)
        for kind in kinds:
            t = float(np.median(times[kind]))
            rows.append(
                {
                    "model": kind,
                    "length": length,
                    "batch": batch,
                    "step_seconds": t,
                    "tokens_per_second": batch * length / t,
                    "step_seconds_all": times[kind],
                    "device": device.type,
                }
            )
            log.info(
                "%-11s length %5d  batch %4d  %.4f s/step  %10.0f tokens/s", kind, length, batch, t, batch * length / t
            )
    return rows
