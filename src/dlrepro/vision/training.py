"""Training one image classifier for one seed: the loop, its schedule, checkpoints, and fast paths.

The data stay one uint8 tensor (on the GPU with `data_on_device`); every step slices a permutation,
augments the batch as a tensor (crop, flip, and MixUp/CutMix when switched on), and never synchronises
with the host (no `.item()`). The fast paths are switches of `TrainConfig`: bf16 autocast,
channels-last memory for the CNN, `torch.compile`.
Each epoch ends with a checkpoint (the caller's `dlrepro.checkpoint.Checkpointer`; with
`checkpoint_every_s` only the epochs that end that long after the last one), so a killed job resumes
where it stopped and ends with the same metrics as an uninterrupted run (on CPU). Scoring (predictions,
the final metrics, the figures' arrays) is in `dlrepro.vision.measure`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch.nn import functional as F

from dlrepro.checkpoint import Checkpointer, rng_state, set_rng_state
from dlrepro.config_errors import check_known_keys
from dlrepro.guards import FiniteGuard
from dlrepro.schedules import warmup_decay
from dlrepro.vision.data import CIFAR10_MEAN, CIFAR10_STD, mix_batch, random_crop_flip
from dlrepro.vision.measure import accuracy, autocast, model_input, score_model
from dlrepro.vision.models import build_model, parameter_count

__all__ = ["TrainConfig", "make_optimizer", "train_classifier"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """The recipe both models share (their own learning rate and weight decay are arguments): the config's
    `vision.train` and `vision.fast` blocks. No field has a default: the schema
    (workflow/schemas/vision.schema.yaml) is the one home of the defaults, and code that builds a
    config of its own names every field."""

    epochs: float  # passes over the (subset of the) training set; a fraction ends the last pass early
    batch_size: int  # images per optimizer step
    optimizer: str  # adamw | sgd (SGD with Nesterov momentum)
    momentum: float  # SGD momentum (adamw: beta1)
    label_smoothing: float  # cross-entropy label smoothing
    warmup_fraction: float  # share of all steps with a linear learning-rate warm-up from 0
    schedule: str  # cosine | linear: decay from the peak to 0 after the warm-up
    crop_padding: int  # zero padding (pixels) before the random 32x32 crop; 0 = no crop
    flip: bool  # random horizontal flip of half the images
    mixup_alpha: float  # MixUp of each batch with Beta(alpha, alpha) weights; 0 = off
    cutmix_alpha: float  # CutMix of each batch, box area from Beta(alpha, alpha); 0 = off (both on: one per batch)
    eval_examples: int  # test images scored after each epoch (0 = all); the final score uses all
    eval_batch_size: int  # images per forward pass when scoring
    data_on_device: bool  # keep the training images on the training device (GPU) for the whole run
    bf16: bool  # bfloat16 autocast for forward passes (CPU or GPU)
    channels_last: bool  # channels-last memory format (CNN only)
    compile: bool  # torch.compile the model for training
    checkpoint_every_s: float  # resume checkpoint at most every N seconds (0: after every epoch)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """The recipe from the merged `train` and `fast` blocks; unknown, missing or bad keys are errors."""
        check_known_keys(cls, d, "vision training")
        if missing := sorted(set(cls.__dataclass_fields__) - set(d)):
            raise ValueError(f"Missing config key for the vision training: {', '.join(map(repr, missing))}")
        cfg = cls(**d)
        if cfg.optimizer not in ("adamw", "sgd"):
            raise ValueError(f"optimizer must be adamw or sgd, got {cfg.optimizer!r}")
        if cfg.schedule not in ("cosine", "linear"):
            raise ValueError(f"schedule must be cosine or linear, got {cfg.schedule!r}")
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


@dataclass
class _Run:
    """One run's fixed parts, built once by `_setup` and shared by its epochs: the model, the function that
    runs it (compiled or not), its optimizer and learning-rate schedule; the training images and labels on
    their store (the device, or the host) and the test set on the host; the seeded generators of the
    batch order and augmentation (`gen`) and of the MixUp/CutMix draws (`mix_rng`); the channel
    statistics; the recipe (`cfg_run`: the settings the model runs with) and its steps (`plan`: `_schedule`)."""

    kind: str
    device: torch.device
    model: torch.nn.Module
    forward: Callable
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
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
    plan: tuple[int, int, int, int, int, int]  # images, batch, steps per pass, steps, warm-up steps, passes

    def parts(self) -> dict:
        """The parts whose states a checkpoint holds (`_save`, `_resume`)."""
        return {
            "model": self.model,
            "optimizer": self.optimizer,
            "scheduler": self.scheduler,
            "generator": self.gen,
            "mix_rng": self.mix_rng,
        }


def train_classifier(
    kind: str,
    arch: dict,
    cfg: TrainConfig,
    data: dict,
    *,
    learning_rate: float,
    weight_decay: float,
    seed: int,
    device="cpu",
    checkpoint: Checkpointer | None = None,
    stop_after_epoch: int | None = None,
):
    """Train a `kind` ("cnn" | "vit") model on data["x_train"]/["y_train"] (uint8 NCHW, int labels) for one seed.

    `checkpoint` (a `Checkpointer`; None: none) is resumed from and saved to, never removed: its owner
    removes it once the outputs are written. Returns (metrics, per-epoch history, arrays for the
    figures), or None when `stop_after_epoch` stops the run early (as a killed job would; tests use it
    to check resuming).
    """
    setup_tic = time.perf_counter()
    checkpoint = checkpoint or Checkpointer(None)
    run = _setup(
        kind,
        arch,
        cfg,
        data,
        seed=seed,
        device=torch.device(device),
        learning_rate=learning_rate,
        weight_decay=weight_decay,
    )
    start_epoch, history, train_seconds = _resume(checkpoint, run.parts())

    # where the wall time outside the training steps goes (this process only, not a resumed run's earlier part)
    overhead = {"setup_seconds": time.perf_counter() - setup_tic, "eval_seconds": 0.0, "checkpoint_seconds": 0.0}
    n, batch, _, total, _, _ = run.plan
    log.info("%s: %d parameters, %d training images, %d steps of %d", kind, parameter_count(run.model), n, total, batch)
    train_seconds = _train_epochs(
        run,
        checkpoint,
        start_epoch=start_epoch,
        history=history,
        train_seconds=train_seconds,
        overhead=overhead,
        stop_after_epoch=stop_after_epoch,
    )
    if train_seconds is None:
        return None
    metrics, arrays = _finish(run, seed=seed, train_seconds=train_seconds, overhead=overhead, history=history)
    return metrics, history, arrays


def _finish(run: _Run, *, seed: int, train_seconds: float, overhead: dict, history: list[dict]) -> tuple[dict, dict]:
    """The trained model on the whole test set: the run's metrics, with where the wall time outside the
    training steps went (`overhead`, and this final scoring), and the arrays of the figures."""
    finish_tic = time.perf_counter()
    n, batch, _, total, _, _ = run.plan
    record = {
        "model": run.kind,
        "seed": seed,
        "train_examples": n,
        "epochs": run.cfg.epochs,
        "steps": total,
        "train_images": total * batch,  # every step draws a full batch (the last incomplete one is dropped)
        "train_seconds": train_seconds,
        "images_per_second": total * batch / train_seconds if train_seconds > 0 else float("nan"),
    }
    metrics, arrays = score_model(
        run.model, run.x_test, run.y_test, record, cfg=run.cfg_run, device=run.device, mean=run.mean, std=run.std
    )
    metrics.update(overhead, finish_seconds=time.perf_counter() - finish_tic)  # final scoring, FLOP count, rollout
    _log_overhead(run.kind, metrics, history)
    return metrics, arrays


def _setup(
    kind: str, arch: dict, cfg: TrainConfig, data: dict, *, seed: int, device, learning_rate: float, weight_decay: float
) -> _Run:
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
    optimizer = make_optimizer(
        model, optimizer=cfg.optimizer, momentum=cfg.momentum, learning_rate=learning_rate, weight_decay=weight_decay
    )
    plan = _schedule(len(x_train), cfg)
    _, _, _, total, warmup, _ = plan
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: warmup_decay(1.0, s, total, warmup=warmup, shape=cfg.schedule)
    )
    return _Run(
        kind=kind,
        device=device,
        model=model,
        forward=forward,
        optimizer=optimizer,
        scheduler=scheduler,
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
        plan=plan,
    )


def _train_epochs(
    run: _Run,
    checkpoint: Checkpointer,
    *,
    start_epoch: int,
    history: list[dict],
    train_seconds: float,
    overhead: dict,
    stop_after_epoch: int | None,
) -> float | None:
    """The epochs from `start_epoch` on, each trained, scored on the first `eval_examples` test images,
    appended to `history` and checkpointed when due; `overhead` adds up the scoring and checkpoint
    seconds. Returns the training seconds, or None once `stop_after_epoch` stopped the run (after a save)."""
    _, _, steps_per_epoch, total, _, passes = run.plan
    n_eval = run.cfg.eval_examples or len(run.x_test)
    guard = FiniteGuard(what=run.kind, device=run.device)  # NaN/inf losses recorded on the device, checked per epoch
    for epoch in range(start_epoch, passes + 1):
        run.model.train()
        tic = time.perf_counter()
        steps = min(steps_per_epoch, total - (epoch - 1) * steps_per_epoch)  # the last pass may be partial
        train_loss = _train_epoch(run, guard, steps)
        train_seconds += time.perf_counter() - tic
        guard.check(epoch)  # names the epoch and step of a NaN/inf loss
        tic = time.perf_counter()
        x_eval, y_eval = run.x_test[:n_eval], run.y_test[:n_eval]
        eval_acc = accuracy(run.model, x_eval, y_eval, cfg=run.cfg_run, device=run.device, mean=run.mean, std=run.std)
        overhead["eval_seconds"] += time.perf_counter() - tic
        lr = run.scheduler.get_last_lr()[0]
        history.append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                "eval_accuracy": eval_acc,
                "lr": lr,
                "train_seconds": train_seconds,
            }
        )
        log.info(
            "epoch %3d  train_loss %.4f  eval_acc(%d) %.4f  %7.1f s", epoch, train_loss, n_eval, eval_acc, train_seconds
        )
        stopping = stop_after_epoch is not None and epoch >= stop_after_epoch and epoch < passes
        if checkpoint.due(run.cfg.checkpoint_every_s) or stopping:
            tic = time.perf_counter()
            _save(checkpoint, run.parts(), epoch=epoch, history=history, train_seconds=train_seconds)
            overhead["checkpoint_seconds"] += time.perf_counter() - tic
        if stopping:
            return None
    return train_seconds


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


def _resume(checkpoint: Checkpointer, parts: dict) -> tuple[int, list[dict], float]:
    """Load a checkpoint's states into `parts` (model, optimizer, scheduler, generator, mix_rng), if there is one;
    return the epoch to start at, the history so far and the training seconds so far."""
    state = checkpoint.load(map_location="cpu")  # RNG states must stay on the CPU; load_state_dict moves the rest
    if state is None:
        return 1, [], 0.0
    for key in ("model", "optimizer", "scheduler"):
        parts[key].load_state_dict(state[key])
    set_rng_state(state["rng"])
    parts["generator"].set_state(state["generator"])
    parts["mix_rng"].bit_generator.state = state["mix_rng"]
    return state["epoch"] + 1, state["history"], state["train_seconds"]


def _save(checkpoint: Checkpointer, parts: dict, *, epoch: int, history: list[dict], train_seconds: float) -> None:
    checkpoint.save(
        {
            "model": parts["model"].state_dict(),
            "optimizer": parts["optimizer"].state_dict(),
            "scheduler": parts["scheduler"].state_dict(),
            "rng": rng_state(),
            "generator": parts["generator"].get_state(),
            "mix_rng": parts["mix_rng"].bit_generator.state,
            "epoch": epoch,
            "history": history,
            "train_seconds": train_seconds,
        },
        where=f"epoch {epoch}",
    )


def _schedule(n: int, cfg: TrainConfig) -> tuple[int, int, int, int, int, int]:
    """Images, batch, steps per pass (the last incomplete batch dropped: static shapes for compile), the
    run's steps (`epochs` passes, a fraction ending the last early), warm-up steps, and passes."""
    batch = min(cfg.batch_size, n)
    steps_per_epoch = n // batch
    total = max(1, round(cfg.epochs * steps_per_epoch))  # the run's own length: warm-up and decay span it
    return n, batch, steps_per_epoch, total, round(cfg.warmup_fraction * total), math.ceil(total / steps_per_epoch)


def _train_epoch(run: _Run, guard: FiniteGuard, steps: int) -> float:
    """One epoch of `steps` minibatches in a seeded order, augmented (and mixed) on the fly; its mean loss."""
    cfg, device, batch = run.cfg, run.mean.device, run.plan[1]
    mixing = cfg.mixup_alpha > 0 or cfg.cutmix_alpha > 0
    perm = torch.randperm(len(run.x_train), generator=run.gen, device=run.x_train.device)
    loss_sum = torch.zeros((), device=device)
    for i in range(steps):
        idx = perm[i * batch : (i + 1) * batch]
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
        run.scheduler.step()
        loss_sum += loss.detach()  # no host sync per step
    return float(loss_sum) / steps  # one sync per epoch
