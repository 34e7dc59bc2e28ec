"""Training of the sequence study's sentence classifier (Task A), and what every training loop shares.

Data stay in tensors on the device; a batch is an index (bucketed sentences), and no step calls
`.item()`. The loop saves a checkpoint every epoch through `dlrepro.checkpoint.Checkpointer` and
resumes from it; the randomness of epoch `e` is drawn from (seed, e), so a resumed run ends with
the same numbers. The character LM (Task B) is in `dlrepro.sequence.lm`, the throughput
measurement (Task C) in `dlrepro.sequence.throughput`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch.nn import functional as F

from dlrepro.checkpoint import Checkpointer, rng_state, set_rng_state
from dlrepro.config_errors import check_known_keys
from dlrepro.guards import FiniteGuard
from dlrepro.schedules import warmup_decay
from dlrepro.sequence.compute import classifier_compute
from dlrepro.sequence.data import PAD, SentenceSet, bucketed_batches, epoch_rng
from dlrepro.sequence.models import SeqModelConfig
from dlrepro.sequence.networks import SequenceModel, parameter_counts

__all__ = [
    "ClassifierConfig",
    "train_classifier",
    "classifier_epoch",
    "accuracy",
    "clock",
    "sync",
    "from_dict",
    "resume",
    "save_state",
]

log = logging.getLogger(__name__)


def from_dict(cls, d: dict, what: str):
    """The settings dataclass `cls` from a config block; an unknown key is an error naming it."""
    check_known_keys(cls, d, what)
    return cls(**d)


def sync(device: torch.device) -> None:
    """Wait for the device's queued work (a no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def clock(device: torch.device):
    """The timer of the study's seconds: the process's CPU time for a single-threaded CPU job, so that
    other jobs sharing the machine do not inflate it; wall time (after synchronising) on a GPU or with
    several threads."""
    if device.type == "cpu" and torch.get_num_threads() == 1:
        return time.process_time
    return time.perf_counter


def resume(checkpointer: Checkpointer, model, optimizer, counter: str) -> tuple[list[dict], int]:
    """(history, `counter` done) from the run's checkpoint, restoring the model, the optimizer and
    torch's random state; ([], 0) without one."""
    state = checkpointer.load(map_location="cpu")  # CPU tensors: the RNG state must stay on the CPU
    if state is None:
        return [], 0
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    set_rng_state(state["rng"])
    return state["history"], state[counter]


def save_state(checkpointer: Checkpointer, model, optimizer, history: list[dict], counter: str, done: int) -> None:
    """Checkpoint the run after `done` of its `counter` ("epoch", "step"), for `resume`."""
    checkpointer.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            counter: done,
            "history": history,
            "rng": rng_state(),
        },
        where=f"{counter} {done}",
    )


# ---- Task A: sentence classification ---------------------------------------------------------


@dataclass(frozen=True)
class ClassifierConfig:
    """The config's `sequence.sentiment.optim` block; no defaults here: the schema is their one home."""

    epochs: int  # passes over the training part (the base schedule, times the run's budget)
    batch_size: int  # sentences per Adam step
    learning_rate: float  # peak Adam step size, cosine-decayed to 0 over the run's own steps
    dropout: float  # dropout of the models on this task
    clip_norm: float  # gradient-norm clipping

    @classmethod
    def from_dict(cls, d: dict) -> ClassifierConfig:
        return from_dict(cls, d, "sentiment classifier")


_EPOCH_LOG = "epoch %3d  train_loss %.4f  val_acc %.4f  test_acc %.4f  %6.1f s"


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


def _classifier(kind: str, *, vocab_size: int, n_classes: int, model_config: SeqModelConfig, config, seed, device):
    """The seeded model (with the task's dropout) and its Adam optimizer."""
    torch.manual_seed(seed)
    mc = SeqModelConfig(**{**asdict(model_config), "dropout": config.dropout})
    model = SequenceModel(kind, vocab_size=vocab_size, n_outputs=n_classes, config=mc, causal=False).to(device)
    return model, torch.optim.Adam(model.parameters(), lr=config.learning_rate)


def _scheduled_epoch(model, train_data, optimizer, config, guard, *, seed: int, epoch: int, steps: tuple[int, int]):
    """Epoch `epoch` (1-based) of the run: its batches drawn from (seed, epoch), its step sizes from the
    cosine over all of the run's steps; `steps` is (steps per epoch, steps in all). Returns the mean loss."""
    per_epoch, total = steps
    done = (epoch - 1) * per_epoch
    return classifier_epoch(
        model,
        *train_data,
        optimizer=optimizer,
        batch_size=config.batch_size,
        clip_norm=config.clip_norm,
        rng=epoch_rng(seed, epoch),
        guard=guard,
        rate=lambda k: warmup_decay(config.learning_rate, done + k, total),
    )


def _classifier_metrics(
    kind: str, seed: int, history: list[dict], parts: dict, *, steps, sizes, parameters, compute, device
):
    """The run's result: the test accuracy at the epoch of the best validation accuracy (the first
    epoch reaching the maximum), what the summary and report read about the run, and its counted
    training FLOPs (`compute`, from `dlrepro.sequence.compute.classifier_compute`)."""
    best = max(history, key=lambda r: r["val_accuracy"])
    return {
        "model": kind,
        "seed": seed,
        "test_accuracy": best["test_accuracy"],
        "val_accuracy": best["val_accuracy"],
        "best_epoch": best["epoch"],
        "seconds_to_best": best["seconds"],
        "epochs_run": history[-1]["epoch"],
        "steps": steps,
        "seconds": history[-1]["seconds"],
        "parameters": parameters,
        **sizes,  # vocab_size, n_classes
        **{f"{name}_examples": len(s.labels) for name, s in parts.items()},
        **compute,  # forward_flops_per_example, forward_flops_per_token, train_positions, train_flops
        "device": device.type,
    }


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
    sizes = {"vocab_size": vocab_size, "n_classes": n_classes}
    model, optimizer = _classifier(kind, **sizes, model_config=model_config, config=config, seed=seed, device=device)
    parts = {"train": train, "val": val, "test": test}
    data = {name: (s, *_tensors(s, device)) for name, s in parts.items()}
    history, epochs_done = resume(checkpointer, model, optimizer, "epoch")
    counts = parameter_counts(model)
    compute = classifier_compute(model, train, batch_size=config.batch_size, seed=seed, epochs=config.epochs)
    log.info("%s classifier: %s parameters, %d classes, vocabulary %d", kind, counts, n_classes, vocab_size)
    log.info("%s classifier: %.3g training FLOPs (counted)", kind, compute["train_flops"])
    elapsed, now = (history[-1]["seconds"] if history else 0.0), clock(device)
    guard = FiniteGuard(what=f"{kind} classifier")
    per_epoch = len(bucketed_batches(train.lengths, config.batch_size, None))
    steps = (per_epoch, per_epoch * config.epochs)  # per epoch, in all
    real_tokens = int(np.minimum(train.lengths, train.ids.shape[1]).sum())  # non-pad tokens per pass
    for epoch in range(epochs_done + 1, config.epochs + 1):
        tic = now()
        loss = _scheduled_epoch(model, data["train"], optimizer, config, guard, seed=seed, epoch=epoch, steps=steps)
        guard.check(epoch)  # names the epoch and step of a NaN/inf loss
        val_acc = accuracy(model, *data["val"])
        sync(device)
        elapsed += now() - tic  # training + validation time, evaluation on the test part excluded
        row = {"epoch": epoch, "step": epoch * per_epoch, "tokens": epoch * real_tokens, "train_loss": loss}
        row.update(val_accuracy=val_acc, test_accuracy=accuracy(model, *data["test"]), seconds=elapsed)
        history.append(row)
        log.info(_EPOCH_LOG, epoch, loss, val_acc, row["test_accuracy"], elapsed)
        save_state(checkpointer, model, optimizer, history, "epoch", epoch)
        if stop_after is not None and epoch - epochs_done >= stop_after:
            return None, history
    metrics = _classifier_metrics(
        kind, seed, history, parts, steps=steps[1], sizes=sizes, parameters=counts, compute=compute, device=device
    )
    return metrics, history
