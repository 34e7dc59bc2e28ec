"""Training of the sequence study's sentence classifier (Task A), and what every training loop shares.

Data stay in tensors on the device; a batch is an index (bucketed sentences), and no step calls
`.item()`. One job trains every budget of the compute ladder on one warm-up-stable-decay trunk with a
cool-down branch per budget (`dlrepro.sequence.wsd`). The batches of epoch `e` are drawn from (seed, e),
so a branch, which may leave the trunk inside an epoch (at its place in that epoch's batch order), gives
the numbers of a standalone run of its budget, and a job resumed from its checkpoint ends with the same
numbers. The character LM (Task B) is in `dlrepro.sequence.lm`, the throughput measurement (Task C) in
`dlrepro.sequence.throughput`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch.nn import functional as F

from dlrepro.checkpoint import Checkpointer
from dlrepro.config_errors import check_known_keys
from dlrepro.guards import FiniteGuard
from dlrepro.ladder import scaled
from dlrepro.schedules import ladder_branches
from dlrepro.sequence.compute import classifier_compute, sentence_flops
from dlrepro.sequence.data import PAD, SentenceSet, bucketed_batches, epoch_rng
from dlrepro.sequence.models import SeqModelConfig
from dlrepro.sequence.networks import SequenceModel, parameter_counts
from dlrepro.sequence.wsd import LadderLoop, train_ladder

__all__ = [
    "ClassifierConfig",
    "train_classifier",
    "classifier_epoch",
    "classifier_steps",
    "accuracy",
    "clock",
    "sync",
    "from_dict",
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


# ---- Task A: sentence classification ---------------------------------------------------------


@dataclass(frozen=True)
class ClassifierConfig:
    """The config's `sequence.sentiment.optim` block; no defaults here: the schema is their one home."""

    epochs: int  # passes over the training part at budget x1 (times each budget of the ladder)
    batch_size: int  # sentences per Adam step
    learning_rate: float  # peak Adam step size: held, then a 1 - sqrt cool-down to 0 (WSD, no warm-up)
    dropout: float  # dropout of the models on this task
    clip_norm: float  # gradient-norm clipping
    cooldown_fraction: float  # share of each budget's steps in its cool-down

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


def classifier_steps(model, ids, labels, batches, *, optimizer, clip_norm, total, guard=None, rate=None) -> None:
    """One Adam step per batch of `batches` ((indices, padded length) pairs, in order), each loss added to
    `total` (a 0-dim tensor on the device, in place). `guard` (a FiniteGuard) records the first step whose
    loss is not finite, without a host sync; `rate(k)` gives the step size of the k-th step (None: the
    optimizer's own)."""
    model.train()
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


def classifier_epoch(
    model, s: SentenceSet, ids, labels, *, optimizer, batch_size, clip_norm, rng, guard=None, rate=None
) -> float:
    """One pass over `s` in bucketed batches (`classifier_steps`); returns the mean training loss."""
    total = torch.zeros((), device=ids.device)
    batches = bucketed_batches(s.lengths, batch_size, rng)
    classifier_steps(
        model, ids, labels, batches, optimizer=optimizer, clip_norm=clip_norm, total=total, guard=guard, rate=rate
    )
    return float(total) / len(batches)


def _classifier(kind: str, *, vocab_size: int, n_classes: int, model_config: SeqModelConfig, config, seed, device):
    """The seeded model (with the task's dropout) and its Adam optimizer."""
    torch.manual_seed(seed)
    mc = SeqModelConfig(**{**asdict(model_config), "dropout": config.dropout})
    model = SequenceModel(kind, vocab_size=vocab_size, n_outputs=n_classes, config=mc, causal=False).to(device)
    return model, torch.optim.Adam(model.parameters(), lr=config.learning_rate)


def _classifier_metrics(
    kind: str, seed: int, history: list[dict], parts: dict, *, steps, sizes, parameters, compute, device
):
    """A budget's result: the test accuracy at the epoch of the best validation accuracy (the first
    epoch reaching the maximum) in its own history, what the summary and report read about the run, and
    its counted training FLOPs (`compute`, from `dlrepro.sequence.compute.classifier_compute`)."""
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


class _ClassifierLoop(LadderLoop):
    """The classifier on a ladder (`wsd.train_ladder`): epoch `e`'s batches drawn from (seed, e), a span
    of steps starting or stopping anywhere in an epoch; at every epoch's end the validation accuracy
    (timed with the training) and the test accuracy (untimed)."""

    def __init__(self, model, optimizer, data: dict, config: ClassifierConfig, *, seed: int, device, run: dict):
        super().__init__(model, optimizer, device)
        self.data, self.config, self.seed, self.run = data, config, seed, run
        train = data["train"][0]
        self.per_epoch = len(bucketed_batches(train.lengths, config.batch_size, None))
        self.tokens = int(np.minimum(train.lengths, train.ids.shape[1]).sum())  # non-pad tokens per pass
        self.guard = FiniteGuard(what=f"{run['kind']} classifier")
        self.now = clock(device)

    def next_eval(self) -> int:
        return (self.done // self.per_epoch + 1) * self.per_epoch

    def train(self, stop: int, rate, *, end: bool) -> None:
        """The steps up to `stop`, step k at `rate(k)`; every budget's run ends at an epoch's end, where
        it is evaluated anyway (`end` asks nothing more)."""
        sentences, ids, labels = self.data["train"]
        while self.done < stop:
            epoch, first = self.done // self.per_epoch + 1, self.done % self.per_epoch
            last = min(self.per_epoch, first + stop - self.done)
            if first == 0:
                self.partial = torch.zeros((), device=self.device)  # the epoch's summed loss
            tic, start = self.now(), self.done
            batches = bucketed_batches(sentences.lengths, self.config.batch_size, epoch_rng(self.seed, epoch))
            classifier_steps(
                self.model,
                ids,
                labels,
                batches[first:last],
                optimizer=self.optimizer,
                clip_norm=self.config.clip_norm,
                total=self.partial,
                guard=self.guard,
                rate=lambda k, start=start: rate(start + k),
            )
            self.guard.check(epoch, step_offset=first)  # names the epoch and step of a NaN/inf loss
            self.done += last - first
            val_acc = accuracy(self.model, *self.data["val"]) if last == self.per_epoch else None
            sync(self.device)
            self.elapsed += self.now() - tic  # training + validation time, evaluation on the test part excluded
            if val_acc is not None:
                self._row(epoch, val_acc)

    def _row(self, epoch: int, val_acc: float) -> None:
        loss = float(self.partial) / self.per_epoch
        row = {"epoch": epoch, "step": epoch * self.per_epoch, "tokens": epoch * self.tokens, "train_loss": loss}
        row.update(val_accuracy=val_acc, test_accuracy=accuracy(self.model, *self.data["test"]), seconds=self.elapsed)
        self.history.append(row)
        log.info(_EPOCH_LOG, epoch, loss, val_acc, row["test_accuracy"], self.elapsed)

    def result(self, branch) -> tuple[dict, list[dict]]:
        """The budget's metrics and history: the trunk's rows up to its branch's start, then its own."""
        r = self.run
        metrics = _classifier_metrics(
            r["kind"],
            self.seed,
            self.history,
            r["parts"],
            steps=branch.total,
            sizes=r["sizes"],
            parameters=r["parameters"],
            compute=r["compute"][branch.budget],
            device=self.device,
        )
        return {**metrics, "budget": branch.budget}, [dict(row) for row in self.history]


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
    budgets=(1.0,),
    checkpointer: Checkpointer | None = None,
    stop_after: int | None = None,
):
    """Train for `config.epochs` x each of `budgets` epochs on one WSD trunk with a cool-down branch per
    budget (`dlrepro.sequence.wsd`: no warm-up, the peak rate, then 1 - sqrt to 0 over the last
    `config.cooldown_fraction` of the budget's steps). A budget's test accuracy is the one at the epoch of
    the best validation accuracy of its own run (model selection, not early stopping).

    Returns one (metrics, history rows) per budget, sorted by budget; `stop_after` ends the call after
    that many checkpoints (as a kill would; for tests of resuming), returning None.
    """
    sizes = {"vocab_size": vocab_size, "n_classes": n_classes}
    model, optimizer = _classifier(kind, **sizes, model_config=model_config, config=config, seed=seed, device=device)
    parts = {"train": train, "val": val, "test": test}
    data = {name: (s, *_tensors(s, device)) for name, s in parts.items()}
    per_epoch = len(bucketed_batches(train.lengths, config.batch_size, None))
    epochs = {float(b): scaled(config.epochs, b) for b in budgets}
    branches = ladder_branches({b: per_epoch * e for b, e in epochs.items()}, config.cooldown_fraction)
    counts = parameter_counts(model)
    per_example = sentence_flops(model, train.ids.shape[1])  # counted once for every budget
    kwargs = {"batch_size": config.batch_size, "seed": seed, "per_example": per_example}
    compute = {b: classifier_compute(model, train, epochs=e, **kwargs) for b, e in epochs.items()}
    log.info("%s classifier: %s parameters, %d classes, vocabulary %d", kind, counts, n_classes, vocab_size)
    for b in sorted(compute):
        log.info("%s classifier x%g: %.3g training FLOPs (counted)", kind, b, compute[b]["train_flops"])
    run = {"kind": kind, "parts": parts, "sizes": sizes, "parameters": counts, "compute": compute}
    loop = _ClassifierLoop(model, optimizer, data, config, seed=seed, device=device, run=run)
    return train_ladder(
        loop, branches, peak=config.learning_rate, warmup=0, checkpointer=checkpointer, stop_after=stop_after
    )
