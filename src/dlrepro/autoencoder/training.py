"""Training and evaluation of the PyTorch autoencoders: the data stays in one tensor, batches are index slices.

`train_epoch` and `evaluate_mse` follow pytorch/examples' train()/test(); `train_autoencoder` runs
one configured model for one seed and returns its history and the arrays the figures need. Given a
`Checkpointer`, it saves its whole state after every epoch and resumes from it, so a run killed
mid-training and started again ends with the same numbers as one that never stopped.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from dlrepro.autoencoder.flops import torch_ae_flops
from dlrepro.autoencoder.models import (
    BasicAutoencoder,
    ConvAutoencoder,
    VariationalAutoencoder,
    parameter_count,
    vae_loss,
)
from dlrepro.autoencoder.settings import AE_MODELS  # model name -> (architecture, corruption or None)
from dlrepro.checkpoint import Checkpointer, rng_state, set_rng_state
from dlrepro.config_errors import check_known_keys, check_required_keys
from dlrepro.guards import FiniteGuard

__all__ = ["AE_MODELS", "TorchAEConfig", "corruption", "corrupt", "train_epoch", "evaluate_mse", "train_autoencoder"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TorchAEConfig:
    """One torch autoencoder's recipe: the config's `autoencoder.torch_ae` block as
    `dlrepro.autoencoder.settings.torch_ae_run_settings` passes it. The schema
    (workflow/schemas/autoencoder.schema.yaml) is the one home of the defaults: the training settings
    have none here. The architecture settings and the noise levels are passed only to the models that
    read them (conv_channels to the convolutional ones, vae_hidden to the VAE, noise to the denoising
    ones), so they default to None, "not this model's"; a model that needs one it was not given is refused."""

    epochs: int  # passes over the training set
    batch_size: int  # images per Adam step
    learning_rate: float  # Adam step size
    bf16: bool  # train under CPU bf16 autocast (conv weights channels-last); scored in fp32
    conv_channels: tuple[int, int] | None = None  # channels of the two stride-2 convolutions (conv models only)
    vae_hidden: int | None = None  # hidden units of the VAE's encoder and decoder (the VAE only)
    noise: dict | None = None  # corruption levels {kind: level} (the denoising models only)

    @classmethod
    def from_dict(cls, d: dict) -> TorchAEConfig:
        """The recipe from one run's settings; an unknown or a missing key is an error naming it."""
        check_known_keys(cls, d, "torch autoencoders")
        check_required_keys(cls, d, "torch autoencoders")
        d = dict(d)
        if "conv_channels" in d:
            d["conv_channels"] = tuple(d["conv_channels"])
        return cls(**d)

    def needs(self, name: str, model: str):
        """Setting `name` of model `model`, which reads it; a ValueError when it was not given."""
        value = getattr(self, name)
        if value is None:
            raise ValueError(f"autoencoder {model!r} needs the setting {name!r}, which its config lacks")
        return value


def corruption(name: str, config: TorchAEConfig) -> tuple[str | None, float]:
    """(kind, level) of the corruption model `name` trains on: (None, 0.0) for the clean-input models."""
    _, kind = AE_MODELS[name]
    return kind, config.needs("noise", name)[kind] if kind else 0.0


def corrupt(x: torch.Tensor, kind: str | None, level: float, generator: torch.Generator) -> torch.Tensor:
    """Gaussian noise of std `level` (clipped to [0, 1]), or zero a random fraction `level` of pixels."""
    if kind is None:
        return x
    if kind == "gaussian":
        return (x + level * torch.randn(x.shape, generator=generator)).clamp_(0, 1)
    if kind == "mask":
        return x * (torch.rand(x.shape, generator=generator) >= level)
    raise ValueError(f"unknown corruption {kind!r}; use 'gaussian' or 'mask'")


def build_model(name: str, *, code_size: int, config: TorchAEConfig) -> torch.nn.Module:
    """Model `name`, its convolution weights channels-last when `config.bf16` (oneDNN's fast bf16 layout)."""
    arch, _ = AE_MODELS[name]
    if arch == "basic":
        model = BasicAutoencoder(code_size=code_size)
    elif arch == "conv":
        model = ConvAutoencoder(code_size=code_size, channels=config.needs("conv_channels", name))
    else:
        model = VariationalAutoencoder(hidden_dim=config.needs("vae_hidden", name), code_size=code_size)
    return model.to(memory_format=torch.channels_last) if config.bf16 else model


def _loss(model, inputs, targets, generator):
    if isinstance(model, VariationalAutoencoder):
        return vae_loss(model, targets, generator)
    return F.mse_loss(model(inputs), targets)


def train_epoch(model, x, *, batch_size, optimizer, generator, noise=(None, 0.0), guard=None, bf16=False) -> float:
    """One pass over `x` in shuffled minibatches; the mean training loss. `guard` (a FiniteGuard)
    records the first step whose loss is not finite, without a host sync. `bf16`: the forward pass
    under CPU bfloat16 autocast (weights, gradients and Adam's state stay float32)."""
    model.train()
    perm = torch.randperm(len(x), generator=generator)
    total, n = 0.0, 0
    for i in range(0, len(x), batch_size):
        clean = x[perm[i : i + batch_size]]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = _loss(model, corrupt(clean, noise[0], noise[1], generator), clean, generator)
        if guard is not None:
            guard.observe(loss)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total, n = total + loss.detach(), n + 1  # no .item() per step
    return float(total) / n


@torch.no_grad()
def evaluate_mse(model, x, inputs=None, batch_size: int = 2000) -> float:
    """Test MSE per pixel of reconstructing `x` from `inputs` (default: `x` itself)."""
    model.eval()
    inputs = x if inputs is None else inputs
    total = sum(
        F.mse_loss(model(inputs[i : i + batch_size]), x[i : i + batch_size], reduction="sum")
        for i in range(0, len(x), batch_size)
    )
    return float(total) / x.numel()


@torch.no_grad()
def negative_elbo(model: VariationalAutoencoder, x, generator, batch_size: int = 2000) -> float:
    """Test negative ELBO per image in nats (one latent sample per image)."""
    model.eval()
    total = sum(
        vae_loss(model, x[i : i + batch_size], generator) * len(x[i : i + batch_size])
        for i in range(0, len(x), batch_size)
    )
    return float(total) / len(x)


def _training_state(model, optimizer, generator, epoch: int, history: list[dict], seconds: float) -> dict:
    """Everything the next epoch depends on, as tensors and plain values (loadable with weights_only)."""
    return {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "generator": generator.get_state(),
        "rng": rng_state(),
        "epoch": epoch,
        "history": history,
        "seconds": seconds,
    }


def _resume(checkpoint: Checkpointer, model, optimizer, generator) -> tuple[list[dict], int, float]:
    """Load a saved state (same settings) into the model, optimizer and RNGs; return (history, the last
    epoch done, seconds already spent), or a fresh start's ([], 0, 0.0)."""
    if (state := checkpoint.load()) is None:
        return [], 0, 0.0
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    generator.set_state(state["generator"])
    set_rng_state(state["rng"])
    return state["history"], state["epoch"], state["seconds"]


def _to_uint8(t: torch.Tensor) -> np.ndarray:
    return np.clip(np.rint(t.numpy() * 255), 0, 255).astype(np.uint8)


@torch.no_grad()
def _figure_arrays(model, x_test, digits, noise, *, code_size: int, seed: int) -> tuple[dict, dict]:
    """The figures' arrays (the fixed digits as the model gets them and its reconstructions; for the VAE
    prior samples and latent interpolations between pairs of digits) and the VAE's test negative ELBO
    (an empty dict for the other models), each from its own seeded generator."""
    model.eval()
    digit_inputs = corrupt(digits, *noise, torch.Generator().manual_seed(20_000 + seed))
    arrays = {"inputs": _to_uint8(digit_inputs), "reconstructions": _to_uint8(model(digit_inputs))}
    if not isinstance(model, VariationalAutoencoder):
        return arrays, {}
    extra = {"test_neg_elbo": negative_elbo(model, x_test, torch.Generator().manual_seed(30_000 + seed))}
    z = torch.randn(64, code_size, generator=torch.Generator().manual_seed(40_000 + seed))
    arrays["prior_samples"] = _to_uint8(torch.sigmoid(model.decode_logits(z)))
    mu, _ = model.encode(digits[: 2 * (len(digits) // 2)])
    steps = torch.linspace(0, 1, 10)[None, :, None]  # (1, 10, 1)
    a, b = mu[0::2, None, :], mu[1::2, None, :]  # pairs of fixed digits
    path = (1 - steps) * a + steps * b  # (pairs, 10, code)
    arrays["interpolation"] = _to_uint8(torch.sigmoid(model.decode_logits(path.reshape(-1, code_size))))
    return arrays, extra


def _seeded_start(name: str, x_test: torch.Tensor, *, code_size: int, config: TorchAEConfig, seed: int):
    """A run's starting point, its random numbers drawn in this order: torch's global seed, the training
    generator, the model's initial weights, then the corrupted test inputs from a generator of their own.
    Return (model, its Adam optimizer, the training generator, the corruption (kind, level), test inputs)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    model = build_model(name, code_size=code_size, config=config)
    noise = corruption(name, config)
    test_inputs = corrupt(x_test, *noise, torch.Generator().manual_seed(10_000 + seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    return model, optimizer, gen, noise, test_inputs


def _run_epoch(model, x_train, test, epoch: int, config: TorchAEConfig, *, optimizer, generator, noise, guard, start):
    """Epoch `epoch`: one training pass (`guard` stops a NaN/inf loss, naming the epoch and step), then
    the test MSE of reconstructing `test` = (clean images, the model's inputs); return its history row
    (`seconds` since `start`), logged."""
    train_loss = train_epoch(
        model,
        x_train,
        batch_size=config.batch_size,
        optimizer=optimizer,
        generator=generator,
        noise=noise,
        guard=guard,
        bf16=config.bf16,
    )
    guard.check(epoch)  # names the epoch and step of a NaN/inf loss
    row = {
        "epoch": epoch,
        "train_loss": train_loss,
        "test_mse": evaluate_mse(model, *test),
        "seconds": time.perf_counter() - start,
    }
    log.info("epoch %3d  train_loss %10.5f  test_mse %.6f  %6.1f s", epoch, train_loss, row["test_mse"], row["seconds"])
    return row


def train_autoencoder(
    name: str,
    x_train: np.ndarray,
    x_test: np.ndarray,
    digits: np.ndarray,
    *,
    code_size: int,
    config: TorchAEConfig,
    seed: int,
    checkpoint: Checkpointer | None = None,
):
    """Train model `name` for one seed; return (metrics, history rows, arrays for the figures).

    With `checkpoint`, the state is saved after every epoch and a saved state (same settings) is
    resumed from; whoever made the checkpoint removes it once the outputs are written.
    """
    if name not in AE_MODELS:
        raise ValueError(f"unknown autoencoder {name!r}; known: {', '.join(AE_MODELS)}")
    checkpoint = checkpoint or Checkpointer(None)
    start = time.perf_counter()
    xt, xv, xd = map(torch.from_numpy, (x_train, x_test, digits))
    model, optimizer, gen, noise, test_inputs = _seeded_start(name, xv, code_size=code_size, config=config, seed=seed)
    history, done, seconds = _resume(checkpoint, model, optimizer, gen)
    start -= seconds  # wall time counts the interrupted run too
    log.info("%s: %d parameters, code size %d", name, parameter_count(model), code_size)
    guard = FiniteGuard(what=name)
    for epoch in range(done + 1, config.epochs + 1):
        row = _run_epoch(
            model,
            xt,
            (xv, test_inputs),
            epoch,
            config,
            optimizer=optimizer,
            generator=gen,
            noise=noise,
            guard=guard,
            start=start,
        )
        history.append(row)
        checkpoint.save(_training_state(model, optimizer, gen, epoch, history, row["seconds"]), where=f"epoch {epoch}")
    metrics = {
        "model": name,
        "seed": seed,
        "code_size": code_size,
        "parameters": parameter_count(model),
        "test_mse": history[-1]["test_mse"],
        "seconds": time.perf_counter() - start,
        "train_examples": len(x_train),
        "test_examples": len(x_test),
        "bf16": config.bf16,
        # counted once per run on one image (dlrepro.autoencoder.flops): forward_flops_per_example, train_flops
        **torch_ae_flops(model, input_dim=x_train.shape[1], train_examples=len(x_train), epochs=config.epochs),
    }
    arrays, extra = _figure_arrays(model, xv, xd, noise, code_size=code_size, seed=seed)
    metrics.update(extra)
    return metrics, history, arrays
