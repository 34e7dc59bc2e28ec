"""Training one image classifier for one seed: the recipe, the run's parts, its steps, and their scoring.

The data stay one uint8 tensor (on the GPU with `data_on_device`); every step slices the pass's
permutation, augments the batch as a tensor (crop, flip, and MixUp/CutMix when switched on), and never
synchronises with the host (no `.item()`). The fast paths are switches of `TrainConfig`: bf16 autocast,
channels-last memory for the CNN, `torch.compile`. A run is a ladder of budgets trained as one
warm-up-stable-decay trunk with a cool-down branch per budget (`ladder_plan`; the driver, its
checkpoints and resuming are in `dlrepro.vision.wsd`). The random draws of a step (the pass's order,
the crops and flips, the mixing, dropout) come from generators that only steps advance, so they
depend on the step's position alone, not on the budget. Scoring (predictions, the final metrics,
the figures' arrays) is in `dlrepro.vision.measure`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from dlrepro.config_errors import check_known_keys
from dlrepro.guards import FiniteGuard
from dlrepro.schedules import Branch, ladder_branches
from dlrepro.vision.data import CIFAR10_MEAN, CIFAR10_STD, mix_batch, normalize, random_crop_flip
from dlrepro.vision.measure import accuracy, autocast, model_input, score_model
from dlrepro.vision.models import build_model, fit_whitening

__all__ = ["TrainConfig", "Plan", "Position", "make_optimizer", "ladder_plan", "setup_run", "train_steps", "finish"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """The recipe both models share (their own learning rate and weight decay are arguments): the config's
    `vision.train` and `vision.fast` blocks. No field has a default: the schema
    (workflow/schemas/vision.schema.yaml) is the one home of the defaults, and code that builds a
    config of its own names every field."""

    epochs: tuple[
        float, ...
    ]  # passes of each budget's run, ascending (a number: one run); a fraction ends a pass early
    batch_size: int  # images per optimizer step
    optimizer: str  # adamw | sgd (SGD with Nesterov momentum)
    momentum: float  # SGD momentum (adamw: beta1)
    label_smoothing: float  # cross-entropy label smoothing
    warmup_fraction: float  # linear learning-rate warm-up from 0 over this share of the base (first) run's steps
    cooldown_fraction: float  # share of each run's steps that cool down (1 - sqrt) from the peak towards 0
    crop_padding: int  # zero padding (pixels) before the random 32x32 crop; 0 = no crop
    flip: bool  # random horizontal flip of half the images
    mixup_alpha: float  # MixUp of each batch with Beta(alpha, alpha) weights; 0 = off
    cutmix_alpha: float  # CutMix of each batch, box area from Beta(alpha, alpha); 0 = off (both on: one per batch)
    eval_examples: int  # test images scored after each epoch (0 = all); the final score uses all
    eval_batch_size: int  # images per forward pass when scoring
    tta_flip: bool  # score each image by the summed logits of it and its mirror (flip test-time augmentation)
    data_on_device: bool  # keep the training images on the training device (GPU) for the whole run
    bf16: bool  # bfloat16 autocast for forward passes (CPU or GPU)
    channels_last: bool  # channels-last memory format (CNN only)
    compile: bool  # torch.compile the model for training
    checkpoint_every_s: float  # resume checkpoint at most every N seconds (0: at every chance)

    def __post_init__(self):
        """One run's passes may be given as a number: they become a ladder of one."""
        passes = self.epochs if isinstance(self.epochs, (list, tuple)) else (self.epochs,)
        object.__setattr__(self, "epochs", tuple(float(p) for p in passes))

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """The recipe from the merged `train` and `fast` blocks; unknown, missing or bad keys are errors."""
        check_known_keys(cls, d, "vision training")
        if missing := sorted(set(cls.__dataclass_fields__) - set(d)):
            raise ValueError(f"Missing config key for the vision training: {', '.join(map(repr, missing))}")
        cfg = cls(**d)
        if cfg.optimizer not in ("adamw", "sgd"):
            raise ValueError(f"optimizer must be adamw or sgd, got {cfg.optimizer!r}")
        if not cfg.epochs or list(cfg.epochs) != sorted(cfg.epochs) or cfg.epochs[0] <= 0:
            raise ValueError(f"epochs must be positive passes in ascending order (one per budget), got {cfg.epochs}")
        if not 0 <= cfg.cooldown_fraction <= 1:
            raise ValueError(f"cooldown_fraction must lie in [0, 1], got {cfg.cooldown_fraction}")
        if cfg.mixup_alpha < 0 or cfg.cutmix_alpha < 0:
            raise ValueError(
                f"mixup_alpha and cutmix_alpha must be >= 0 (0 = off), got {cfg.mixup_alpha}, {cfg.cutmix_alpha}"
            )
        return cfg


def make_optimizer(model, *, optimizer: str, momentum: float, learning_rate: float, weight_decay: float):
    """AdamW (`momentum` its beta1) or SGD with Nesterov `momentum` (`optimizer`: adamw | sgd), with weight
    decay on weight matrices and kernels only: not on biases, norms, the class token and positions."""
    params = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    decay = [p for name, p in params if p.ndim >= 2 and name not in ("cls", "pos")]
    rest = [p for name, p in params if not (p.ndim >= 2 and name not in ("cls", "pos"))]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]
    if optimizer == "sgd":
        return torch.optim.SGD(groups, lr=learning_rate, momentum=momentum, nesterov=True)
    return torch.optim.AdamW(groups, lr=learning_rate, betas=(momentum, 0.999))


@dataclass(frozen=True)
class Plan:
    """A ladder's steps: the training images, the batch, the steps per pass (the last incomplete batch
    dropped: static shapes for compile), the warm-up steps (`warmup_fraction` x the base run's steps)
    and one `Branch` per entry of `epochs` (its run's steps, and the trunk step where its cool-down starts)."""

    images: int
    batch: int
    steps_per_pass: int
    warmup: int
    branches: tuple[Branch, ...]


def ladder_plan(n: int, cfg: TrainConfig) -> Plan:
    """The `Plan` of a ladder on `n` training images: each run takes round(passes x steps per pass) steps
    (at least one; a fraction ends its last pass early) and cools down over `cooldown_fraction` of them."""
    batch = min(cfg.batch_size, n)
    steps_per_pass = n // batch
    totals = {i: max(1, round(p * steps_per_pass)) for i, p in enumerate(cfg.epochs)}
    branches = tuple(ladder_branches(totals, cfg.cooldown_fraction))
    return Plan(n, batch, steps_per_pass, round(cfg.warmup_fraction * branches[0].total), branches)


@dataclass
class Position:
    """Where a run stands: the steps done, the current pass's order of the training images and summed
    losses (on the device), the rate of the last step, the training seconds, the per-epoch history so
    far and the step of its last row. A cool-down branch trains on from a `copy` of the trunk's."""

    step: int = 0
    perm: torch.Tensor | None = None
    loss_sum: torch.Tensor | None = None
    lr: float = 0.0
    train_seconds: float = 0.0
    history: list[dict] = field(default_factory=list)
    row_at: int = 0

    def copy(self) -> Position:
        loss_sum = None if self.loss_sum is None else self.loss_sum.clone()
        return Position(self.step, self.perm, loss_sum, self.lr, self.train_seconds, list(self.history), self.row_at)

    def state(self) -> dict:
        """For a checkpoint: tensors, numbers and lists only."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class Run:
    """One run's fixed parts, built once by `setup_run`: the model, the function that runs it (compiled or
    not), its optimizer and peak learning rate; the training images and labels on their store (the
    device, or the host) and the test set on the host; the seeded generators of the batch order and
    augmentation (`gen`) and of the MixUp/CutMix draws (`mix_rng`); the channel statistics; the recipe
    (`cfg_run`: the settings the model runs with) and its steps (`plan`: `ladder_plan`)."""

    kind: str
    device: torch.device
    model: torch.nn.Module
    forward: Callable
    optimizer: torch.optim.Optimizer
    peak: float
    gen: torch.Generator
    mix_rng: np.random.Generator
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor
    cfg: TrainConfig
    cfg_run: TrainConfig
    plan: Plan


def setup_run(
    kind: str, arch: dict, cfg: TrainConfig, data: dict, *, seed: int, device, learning_rate: float, weight_decay: float
) -> Run:
    """Seed the run and build its parts. The random draws come in a fixed order: the global seed, the
    generator of the batch order, that of the mixing draws, then the model's initial weights."""
    torch.manual_seed(seed)
    store = device if cfg.data_on_device else torch.device("cpu")
    gen = torch.Generator(device=store).manual_seed(seed + 1)
    mix_rng = np.random.default_rng(seed + 2)  # MixUp/CutMix draws, on the host: no device sync
    x_train, y_train, x_test, y_test = _tensors(data, store)
    channel_stats = (data.get("mean", CIFAR10_MEAN), data.get("std", CIFAR10_STD))  # of the data set's training images
    mean, std = (torch.tensor(v, device=device).view(1, 3, 1, 1) for v in channel_stats)
    model, forward, cfg_run = _build(kind, arch, cfg, device)
    # a whitening stem's filters from the subset's first 5,000 training images (no random draw)
    fit_whitening(model, normalize(x_train[:5000].to(device), mean, std))
    optimizer = make_optimizer(
        model, optimizer=cfg.optimizer, momentum=cfg.momentum, learning_rate=learning_rate, weight_decay=weight_decay
    )
    return Run(
        kind=kind,
        device=device,
        model=model,
        forward=forward,
        optimizer=optimizer,
        peak=learning_rate,
        gen=gen,
        mix_rng=mix_rng,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        mean=mean,
        std=std,
        cfg=cfg,
        cfg_run=cfg_run,
        plan=ladder_plan(len(x_train), cfg),
    )


def train_steps(run: Run, pos: Position, stop: int, rate: Callable[[int], float], guard: FiniteGuard) -> None:
    """The optimizer steps from `pos.step` to `stop` (within one pass), step k at learning rate `rate(k)`:
    a pass's first step draws its order of the images, each step its crops and flips (and mixing) and
    adds its loss to the pass's sum, on the device (no host sync per step)."""
    cfg, device, batch, per_pass = run.cfg, run.mean.device, run.plan.batch, run.plan.steps_per_pass
    mixing = cfg.mixup_alpha > 0 or cfg.cutmix_alpha > 0
    run.model.train()
    for step in range(pos.step, stop):
        i = step % per_pass
        if i == 0:
            pos.perm = torch.randperm(len(run.x_train), generator=run.gen, device=run.x_train.device)
            pos.loss_sum = torch.zeros((), device=device)
        pos.lr = rate(step)
        for group in run.optimizer.param_groups:
            group["lr"] = pos.lr
        idx = pos.perm[i * batch : (i + 1) * batch]
        xb = random_crop_flip(run.x_train[idx], padding=cfg.crop_padding, flip=cfg.flip, generator=run.gen)
        xb = model_input(xb.to(device, non_blocking=True), run.mean, run.std, run.cfg_run)
        yb = run.y_train[idx].to(device, non_blocking=True)
        if mixing:
            xb, lam, _ = mix_batch(xb, mixup_alpha=cfg.mixup_alpha, cutmix_alpha=cfg.cutmix_alpha, rng=run.mix_rng)
        with autocast(device, cfg):
            logits = run.forward(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=cfg.label_smoothing)
            if mixing:  # lam * CE(own labels) + (1 - lam) * CE(the labels of the images mixed in)
                loss = lam * loss + (1 - lam) * F.cross_entropy(logits, yb.roll(1), label_smoothing=cfg.label_smoothing)
        guard.observe(loss)
        run.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        run.optimizer.step()
        pos.loss_sum += loss.detach()
    pos.step = max(pos.step, stop)


def history_row(run: Run, pos: Position, epoch: int, overhead: dict) -> dict:
    """The row of the pass that ends at `pos.step` (or is cut short there): its mean loss, the accuracy on
    the first `eval_examples` test images (their seconds added to `overhead`), the rate of its last step
    and the training seconds so far."""
    tic = time.perf_counter()
    n_eval = run.cfg.eval_examples or len(run.x_test)
    x_eval, y_eval = run.x_test[:n_eval], run.y_test[:n_eval]
    eval_acc = accuracy(run.model, x_eval, y_eval, cfg=run.cfg_run, device=run.device, mean=run.mean, std=run.std)
    overhead["eval_seconds"] += time.perf_counter() - tic
    steps = pos.step - (epoch - 1) * run.plan.steps_per_pass
    train_loss = float(pos.loss_sum) / steps
    log.info(
        "epoch %3d  train_loss %.4f  eval_acc(%d) %.4f  %7.1f s", epoch, train_loss, n_eval, eval_acc, pos.train_seconds
    )
    pos.row_at = pos.step
    return {
        "epoch": epoch,
        "train_loss": train_loss,
        "eval_accuracy": eval_acc,
        "lr": pos.lr,
        "train_seconds": pos.train_seconds,
    }


def finish(run: Run, pos: Position, index: int, *, seed: int, overhead: dict) -> tuple[dict, list[dict], dict]:
    """The model at the end of branch `index` on the whole test set: that run's metrics (its steps, passes,
    images drawn and training seconds; where the wall time outside the training steps went, `overhead`,
    and this final scoring), its per-epoch history and the arrays of the figures."""
    tic = time.perf_counter()
    total, batch = run.plan.branches[index].total, run.plan.batch
    record = {
        "model": run.kind,
        "seed": seed,
        "train_examples": run.plan.images,
        "epochs": run.cfg.epochs[index],
        "steps": total,
        "train_images": total * batch,  # every step draws a full batch (the last incomplete one is dropped)
        "train_seconds": pos.train_seconds,
        "images_per_second": total * batch / pos.train_seconds if pos.train_seconds > 0 else float("nan"),
    }
    metrics, arrays = score_model(
        run.model, run.x_test, run.y_test, record, cfg=run.cfg_run, device=run.device, mean=run.mean, std=run.std
    )
    metrics.update(overhead, finish_seconds=time.perf_counter() - tic)  # final scoring, FLOP count, rollout
    _log_overhead(run.kind, metrics, pos.history)
    return metrics, list(pos.history), arrays


def _build(kind: str, arch: dict, cfg: TrainConfig, device) -> tuple[torch.nn.Module, Callable, TrainConfig]:
    """The model on `device`, the function that runs it (compiled or not), and the settings it runs with
    (channels-last memory only for the CNN)."""
    model = build_model(kind, **arch).to(device)
    if cfg.channels_last and kind == "cnn":
        model = model.to(memory_format=torch.channels_last)
    cfg_run = cfg if kind == "cnn" else TrainConfig(**{**asdict(cfg), "channels_last": False})
    return model, torch.compile(model) if cfg.compile else model, cfg_run


def _tensors(data: dict, store) -> tuple[torch.Tensor, ...]:
    """Training images and labels on `store` (the device, or the host), the test set on the host."""
    x_train = torch.from_numpy(data["x_train"]).to(store)
    y_train = torch.from_numpy(data["y_train"].astype(np.int64)).to(store)
    return x_train, y_train, torch.from_numpy(data["x_test"]), torch.from_numpy(data["y_test"].astype(np.int64))


def _log_overhead(kind: str, metrics: dict, history: list[dict]) -> None:
    log.info(
        "%s: %.1f s training (first epoch %.1f s, compiling included), outside it: setup %.1f s, per-epoch scoring %.1f s, "
        "checkpoints %.1f s, final scoring + FLOPs + figures %.1f s",
        kind,
        metrics["train_seconds"],
        history[0]["train_seconds"],
        metrics["setup_seconds"],
        metrics["eval_seconds"],
        metrics["checkpoint_seconds"],
        metrics["finish_seconds"],
    )
