"""Training one image classifier for one seed: the loop, its schedule, checkpoints, and fast paths.

The data stay one uint8 tensor (on the GPU with `data_on_device`); every step slices a permutation,
augments the batch as a tensor (crop, flip, and MixUp/CutMix when switched on), and never synchronises
with the host (no `.item()`). The fast paths are switches of `TrainConfig`: bf16 autocast,
channels-last memory for the CNN, `torch.compile`.
Each epoch ends with a checkpoint (`dlrepro.checkpoint`; with `checkpoint_every_s` only the epochs
that end that long after the last one), so a killed job resumes where it stopped and ends with the
same metrics as an uninterrupted run (on CPU).
"""

from __future__ import annotations

import contextlib
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
from dlrepro.vision.data import (
    CIFAR10_MEAN,
    CIFAR10_STD,
    mix_batch,
    normalize,
    random_crop_flip,
)
from dlrepro.vision.measure import attention_rollout, confusion_matrix, flops_per_image
from dlrepro.vision.models import build_model, parameter_count

__all__ = ["TrainConfig", "make_optimizer", "lr_factor", "train_classifier"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """The recipe both models share (their own learning rate and weight decay are arguments)."""

    epochs: float = 10  # passes over the (subset of the) training set; a fraction ends the last pass early
    batch_size: int = 256  # images per optimizer step
    optimizer: str = "adamw"  # adamw | sgd (SGD with Nesterov momentum)
    momentum: float = 0.9  # SGD momentum (adamw: beta1)
    label_smoothing: float = 0.1  # cross-entropy label smoothing
    warmup_fraction: float = 0.1  # share of all steps with a linear learning-rate warm-up from 0
    schedule: str = "cosine"  # cosine | linear: decay from the peak to 0 after the warm-up
    crop_padding: int = 4  # zero padding (pixels) before the random 32x32 crop; 0 = no crop
    flip: bool = True  # random horizontal flip of half the images
    mixup_alpha: float = 0.0  # MixUp of each batch with Beta(alpha, alpha) weights; 0 = off
    cutmix_alpha: float = (
        0.0  # CutMix of each batch, box area from Beta(alpha, alpha); 0 = off (both on: one per batch)
    )
    eval_examples: int = 2000  # test images scored after each epoch (0 = all); the final score uses all
    eval_batch_size: int = 1000  # images per forward pass when scoring
    data_on_device: bool = False  # keep the training images on the training device (GPU) for the whole run
    bf16: bool = False  # bfloat16 autocast for forward passes (CPU or GPU)
    channels_last: bool = False  # channels-last memory format (CNN only)
    compile: bool = False  # torch.compile the model for training
    checkpoint_every_s: float = 0.0  # resume checkpoint at most every N seconds (0: after every epoch)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        check_known_keys(cls, d, "vision training")
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


def make_optimizer(model, cfg: TrainConfig, *, learning_rate: float, weight_decay: float):
    """Weight decay on weight matrices and kernels only: not on biases, norms, the class token and positions."""
    params = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    decay = [p for name, p in params if p.ndim >= 2 and name not in ("cls", "pos")]
    rest = [p for name, p in params if not (p.ndim >= 2 and name not in ("cls", "pos"))]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=learning_rate, momentum=cfg.momentum, nesterov=True)
    return torch.optim.AdamW(groups, lr=learning_rate, betas=(cfg.momentum, 0.999))


def lr_factor(step: int, *, total: int, warmup: int, schedule: str) -> float:
    """Multiplier of the peak learning rate at `step` (0-based): linear warm-up, then cosine/linear to 0."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * progress)) if schedule == "cosine" else 1 - progress


@torch.no_grad()
def predict(model, x_uint8: torch.Tensor, *, cfg: TrainConfig, device, mean, std) -> torch.Tensor:
    """Predicted classes of uint8 images (N, 3, 32, 32), in batches of cfg.eval_batch_size."""
    model.eval()
    preds = []
    for i in range(0, len(x_uint8), cfg.eval_batch_size):
        xb = _prepare(x_uint8[i : i + cfg.eval_batch_size].to(device, non_blocking=True), mean, std, cfg)
        with _autocast(device, cfg):
            preds.append(model(xb).argmax(dim=1))
    return torch.cat(preds)


def _prepare(xb, mean, std, cfg):
    xb = normalize(xb, mean, std)
    return xb.contiguous(memory_format=torch.channels_last) if cfg.channels_last else xb


def _autocast(device, cfg):
    if not cfg.bf16:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16)


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

    Returns (metrics, per-epoch history, arrays for the figures), or None when `stop_after_epoch`
    stops the run early (as a killed job would; tests use it to check resuming).
    """
    setup_tic = time.perf_counter()
    device = torch.device(device)
    checkpoint = checkpoint or Checkpointer(None)
    torch.manual_seed(seed)
    store = device if cfg.data_on_device else torch.device("cpu")
    gen = torch.Generator(device=store).manual_seed(seed + 1)
    mix_rng = np.random.default_rng(seed + 2)  # MixUp/CutMix draws, on the host: no device sync
    x_train, y_train, x_test, y_test = _tensors(data, store)
    channel_stats = (data.get("mean", CIFAR10_MEAN), data.get("std", CIFAR10_STD))  # of the data set's training images
    mean, std = (torch.tensor(v, device=device).view(1, 3, 1, 1) for v in channel_stats)
    model, forward, cfg_run = _build(kind, arch, cfg, device)
    optimizer = make_optimizer(model, cfg, learning_rate=learning_rate, weight_decay=weight_decay)
    n, batch, steps_per_epoch, total, warmup, passes = _schedule(len(x_train), cfg)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: lr_factor(s, total=total, warmup=warmup, schedule=cfg.schedule)
    )
    n_eval = cfg.eval_examples or len(x_test)
    parts = {"model": model, "optimizer": optimizer, "scheduler": scheduler, "generator": gen, "mix_rng": mix_rng}
    start_epoch, history, train_seconds = _resume(checkpoint, parts)

    # where the wall time outside the training steps goes (this process only, not a resumed run's earlier part)
    overhead = {"setup_seconds": time.perf_counter() - setup_tic, "eval_seconds": 0.0, "checkpoint_seconds": 0.0}
    log.info("%s: %d parameters, %d training images, %d steps of %d", kind, parameter_count(model), n, total, batch)
    guard = FiniteGuard(what=kind, device=device)  # NaN/inf losses recorded on the device, checked once per epoch
    for epoch in range(start_epoch, passes + 1):
        model.train()
        tic = time.perf_counter()
        train_loss = _train_epoch(
            forward,
            optimizer,
            scheduler,
            guard,
            x_train,
            y_train,
            gen=gen,
            mix_rng=mix_rng,
            batch=batch,
            steps=min(steps_per_epoch, total - (epoch - 1) * steps_per_epoch),  # the last pass may be partial
            cfg=cfg,
            cfg_run=cfg_run,
            mean=mean,
            std=std,
        )
        train_seconds += time.perf_counter() - tic
        guard.check(epoch)  # names the epoch and step of a NaN/inf loss
        tic = time.perf_counter()
        eval_acc = _accuracy(model, x_test[:n_eval], y_test[:n_eval], cfg=cfg_run, device=device, mean=mean, std=std)
        overhead["eval_seconds"] += time.perf_counter() - tic
        history.append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                "eval_accuracy": eval_acc,
                "lr": scheduler.get_last_lr()[0],
                "train_seconds": train_seconds,
            }
        )
        log.info(
            "epoch %3d  train_loss %.4f  eval_acc(%d) %.4f  %7.1f s", epoch, train_loss, n_eval, eval_acc, train_seconds
        )
        stopping = stop_after_epoch is not None and epoch >= stop_after_epoch and epoch < passes
        if checkpoint.due(cfg.checkpoint_every_s) or stopping:
            tic = time.perf_counter()
            _save(checkpoint, parts, epoch=epoch, history=history, train_seconds=train_seconds)
            overhead["checkpoint_seconds"] += time.perf_counter() - tic
        if stopping:
            return None

    finish_tic = time.perf_counter()
    run = {
        "model": kind,
        "seed": seed,
        "train_examples": n,
        "epochs": cfg.epochs,
        "steps": total,
        "train_seconds": train_seconds,
        "images_per_second": total * batch / train_seconds if train_seconds > 0 else float("nan"),
    }
    metrics, arrays = _score(model, x_test, y_test, run, cfg=cfg_run, device=device, mean=mean, std=std)
    metrics.update(overhead, finish_seconds=time.perf_counter() - finish_tic)  # final scoring, FLOP count, rollout
    _log_overhead(kind, metrics, history)
    return metrics, history, arrays


def _build(kind: str, arch: dict, cfg: TrainConfig, device) -> tuple[torch.nn.Module, Callable, TrainConfig]:
    """The model on `device`, the function that runs it (compiled or not), and the settings it runs with
    (channels-last memory only for the CNN)."""
    model = build_model(kind, **arch).to(device)
    if cfg.channels_last and kind == "cnn":
        model = model.to(memory_format=torch.channels_last)
    cfg_run = cfg if kind == "cnn" else TrainConfig(**{**asdict(cfg), "channels_last": False})
    return model, torch.compile(model) if cfg.compile else model, cfg_run


def _accuracy(model, x, y, *, cfg: TrainConfig, device, mean, std) -> float:
    return float((predict(model, x, cfg=cfg, device=device, mean=mean, std=std).cpu() == y).double().mean())


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


def _train_epoch(
    forward,
    optimizer,
    scheduler,
    guard,
    x_train,
    y_train,
    *,
    gen,
    mix_rng,
    batch: int,
    steps: int,
    cfg: TrainConfig,
    cfg_run: TrainConfig,
    mean,
    std,
) -> float:
    """One epoch of `steps` minibatches in a seeded order, augmented (and mixed) on the fly; its mean loss."""
    device = mean.device
    mixing = cfg.mixup_alpha > 0 or cfg.cutmix_alpha > 0
    perm = torch.randperm(len(x_train), generator=gen, device=x_train.device)
    loss_sum = torch.zeros((), device=device)
    for i in range(steps):
        idx = perm[i * batch : (i + 1) * batch]
        xb = random_crop_flip(x_train[idx], padding=cfg.crop_padding, flip=cfg.flip, generator=gen)
        xb = _prepare(xb.to(device, non_blocking=True), mean, std, cfg_run)
        yb = y_train[idx].to(device, non_blocking=True)
        if mixing:
            xb, lam, _ = mix_batch(xb, mixup_alpha=cfg.mixup_alpha, cutmix_alpha=cfg.cutmix_alpha, rng=mix_rng)
        with _autocast(device, cfg):
            logits = forward(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=cfg.label_smoothing)
            if mixing:  # lam * CE(own labels) + (1 - lam) * CE(the labels of the images mixed in)
                loss = lam * loss + (1 - lam) * F.cross_entropy(logits, yb.roll(1), label_smoothing=cfg.label_smoothing)
        guard.observe(loss)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        loss_sum += loss.detach()  # no host sync per step
    return float(loss_sum) / steps  # one sync per epoch


def _score(model, x_test, y_test, run: dict, *, cfg: TrainConfig, device, mean, std) -> tuple[dict, dict]:
    """The trained model on the whole test set: `run`'s metrics completed, and the arrays of the figures."""
    tic = time.perf_counter()
    pred = predict(model, x_test, cfg=cfg, device=device, mean=mean, std=std).cpu()
    test_seconds = time.perf_counter() - tic
    cm = confusion_matrix(y_test.numpy(), pred.numpy(), n_classes=int(y_test.max()) + 1)
    metrics = {
        "model": run["model"],
        "seed": run["seed"],
        "parameters": parameter_count(model),
        "flops_per_image": flops_per_image(model, tuple(x_test.shape[1:]), device=device),
        "test_accuracy": float(np.trace(cm) / cm.sum()),
        "test_examples": len(x_test),
        "train_examples": run["train_examples"],
        "epochs": run["epochs"],
        "steps": run["steps"],
        "train_seconds": run["train_seconds"],
        "images_per_second": run["images_per_second"],
        "test_images_per_second": len(x_test) / test_seconds,
        "device": str(device),
    }
    arrays = {"confusion": cm}
    if run["model"] == "vit":
        arrays.update(attention_rollout_arrays(model, x_test, y_test, pred, mean=mean, std=std, device=device))
    return metrics, arrays


def attention_rollout_arrays(model, x_test, y_test, pred, *, mean, std, device, n_images: int = 10) -> dict:
    """Rollout maps of the first test image of each of the first `n_images` classes (CIFAR-10: all), with the images."""
    y = y_test.numpy()
    pick = np.array([np.flatnonzero(y == c)[0] for c in np.unique(y)[:n_images]])
    model.eval()
    maps = attention_rollout(model, normalize(x_test[pick].to(device), mean, std))
    return {
        "attention_images": x_test[pick].numpy(),
        "attention_maps": maps.cpu().numpy(),
        "attention_labels": y[pick],
        "attention_predictions": pred.numpy()[pick],
    }
