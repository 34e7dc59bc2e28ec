"""Training and evaluation of the NumPy autoencoder, exactly as §1.3 describes it.

Plain minibatch gradient descent over shuffled MNIST, images flattened to 784 values in [0, 1].
Every `snapshot_every` iterations the reconstructions of a fixed set of test digits are kept
(§1.3 step 6), so the progression of training can be drawn afterwards.

Given a `dlrepro.checkpoint.Checkpointer` of an .npz file, training saves its whole state (weights,
Adam moments, the shuffling RNG, history, snapshots) after every epoch and resumes from it: a run
killed mid-training and started again ends with the same numbers as one that never stopped. The
file is written atomically and read with `allow_pickle=False`, so this needs no torch and runs no
pickled code.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass

import numpy as np

from dlrepro.autoencoder.numpy_model import LOSS_REDUCTIONS, NumpyAutoencoder, mse_loss
from dlrepro.checkpoint import Checkpointer
from dlrepro.config_errors import check_known_keys, check_required_keys

__all__ = [
    "NumpyAEConfig",
    "NumpyAEResult",
    "to_unit_float",
    "fixed_digit_indices",
    "evaluate_mse",
    "train_numpy_autoencoder",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NumpyAEConfig:
    """One NumPy autoencoder's recipe: the config's `autoencoder.numpy_ae` block (the paper's run) or its
    architecture with `autoencoder.numpy_ae_tuned` (the tuned run), as `dlrepro.autoencoder.settings`
    passes them. The schema (workflow/schemas/autoencoder.schema.yaml) is the one home of the defaults:
    no config-driven field has one here. `optimizer` is no config key: the paper's run does not pass it
    (plain gradient descent, §1.3) and the tuned run sets "adam" in code, so it keeps its default."""

    hidden_dim: int  # code size (§1.3 step 2)
    init_std: float  # std of the normal weight init (§1.3 step 2)
    epochs: int  # passes over the training set (§1.3 step 5)
    batch_size: int  # images per gradient step (§1.3 step 5)
    learning_rate: float  # plain gradient-descent step (§1.3 step 5)
    loss_reduction: str  # reading of "MSE": one of LOSS_REDUCTIONS
    snapshot_every: int  # iterations between reconstruction snapshots (§1.3 step 6)
    optimizer: str = "sgd"  # "sgd" (the paper: plain gradient descent) or "adam" (the tuned run)

    @classmethod
    def from_dict(cls, d: dict) -> NumpyAEConfig:
        """The recipe from one run's settings; an unknown or a missing key is an error naming it."""
        check_known_keys(cls, d, "NumPy autoencoder")
        check_required_keys(cls, d, "NumPy autoencoder")
        return cls(**d)

    def __post_init__(self):
        if self.loss_reduction not in LOSS_REDUCTIONS:
            raise ValueError(f"loss_reduction must be one of {LOSS_REDUCTIONS}, got {self.loss_reduction!r}")
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {self.optimizer!r}")
        for name in ("hidden_dim", "epochs", "batch_size", "snapshot_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.learning_rate > 0 or not self.init_std > 0:
            raise ValueError("learning_rate and init_std must be > 0")


@dataclass
class NumpyAEResult:
    history: list[dict]  # one row per epoch
    snapshot_iterations: np.ndarray  # (S,)
    snapshots: np.ndarray  # (S, n_digits, 784) uint8 reconstructions of the fixed digits
    reconstructions: np.ndarray  # (n_digits, 784) float32 after training
    model: NumpyAutoencoder
    seconds: float


def to_unit_float(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, 28, 28) -> float32 (N, 784) in [0, 1] (§1.3 step 1)."""
    return images.reshape(len(images), -1).astype(np.float32) / np.float32(255)


def fixed_digit_indices(labels: np.ndarray, n: int) -> np.ndarray:
    """Indices of `n` test images: the first of class 0, 1, ..., 9, then the second of each, ..."""
    order = []
    per_class = [np.flatnonzero(labels == k) for k in range(10)]
    rank = 0
    while len(order) < n and rank < max((len(p) for p in per_class), default=0):
        order += [int(p[rank]) for p in per_class if rank < len(p)]
        rank += 1
    return np.array(order[:n], dtype=np.int64)


def evaluate_mse(model: NumpyAutoencoder, x: np.ndarray, batch_size: int = 2048) -> float:
    """Mean squared error per pixel over a data set."""
    total = 0.0
    for i in range(0, len(x), batch_size):
        d = (model(x[i : i + batch_size]) - x[i : i + batch_size]).ravel()
        total += float(np.dot(d, d))
    return total / x.size


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 255), 0, 255).astype(np.uint8)


def _training_state(
    model, adam_state, order_rng, epoch, iteration, history, snap_iters, snaps, seconds
) -> dict[str, np.ndarray]:
    """Everything the next epoch depends on, as arrays (RNG state and history as JSON text)."""
    state = {f"param{i}": p for i, (p, _) in enumerate(model.parameters())}
    for (moment, i), value in ((k, v) for k, v in adam_state.items() if k != "t"):  # keys ("m", i), ("v", i)
        state[f"adam_{moment}{i}"] = value
    return {
        **state,
        "adam_t": np.array(adam_state.get("t", 0)),
        "order_rng": np.array(json.dumps(order_rng.bit_generator.state)),
        "epoch": np.array(epoch),
        "iteration": np.array(iteration),
        "history": np.array(json.dumps(history)),
        "snapshot_iterations": np.array(snap_iters),
        "snapshots": np.stack(snaps),
        "seconds": np.array(seconds),
    }


def _restore(state: dict[str, np.ndarray], model, order_rng) -> tuple:
    """Put a saved state back into `model` and `order_rng`; return the training loop's other variables."""
    params = model.parameters()
    for i, (p, _) in enumerate(params):
        p[...] = state[f"param{i}"]
    order_rng.bit_generator.state = json.loads(str(state["order_rng"]))
    adam_state = {}
    if "adam_m0" in state:  # Adam has stepped (the plain-SGD runs have no moments)
        adam_state = {"t": int(state["adam_t"])}
        adam_state.update({(m, i): state[f"adam_{m}{i}"].copy() for m in "mv" for i in range(len(params))})
    history = json.loads(str(state["history"]))
    snap_iters = [int(i) for i in state["snapshot_iterations"]]
    return (
        adam_state,
        int(state["epoch"]),
        int(state["iteration"]),
        history,
        snap_iters,
        list(state["snapshots"]),
        float(state["seconds"]),
    )


def _train_epoch(model, x_train, digits, order_rng, adam_state, config, epoch, iteration, snap_iters, snaps):
    """One shuffled pass over `x_train`, snapshotting the reconstructions of `digits` every
    `config.snapshot_every` iterations (appended to `snap_iters`, `snaps`); return (mean training loss,
    the iteration count after the pass)."""
    perm = order_rng.permutation(len(x_train))
    loss_sum, n_batches = 0.0, 0
    for step, i in enumerate(range(0, len(x_train), config.batch_size), start=1):
        batch = x_train[perm[i : i + config.batch_size]]
        loss, grad = mse_loss(model(batch), batch, config.loss_reduction)
        if not math.isfinite(loss):
            raise FloatingPointError(f"loss is {loss} at epoch {epoch}, step {step}; lower the learning rate")
        model.backward(grad)
        if config.optimizer == "adam":
            model.adam_step(config.learning_rate, adam_state)
        else:
            model.sgd_step(config.learning_rate)
        loss_sum, n_batches, iteration = loss_sum + loss, n_batches + 1, iteration + 1
        if iteration % config.snapshot_every == 0:
            snap_iters.append(iteration)
            snaps.append(_to_uint8(model(digits)))
    return loss_sum / n_batches, iteration


def train_numpy_autoencoder(
    x_train: np.ndarray,
    x_test: np.ndarray,
    digits: np.ndarray,
    *,
    config: NumpyAEConfig,
    seed: int,
    checkpoint: Checkpointer | None = None,
) -> NumpyAEResult:
    """Train on `x_train` (N, 784) float32; score on `x_test`; snapshot reconstructions of `digits`.

    With `checkpoint` (a `Checkpointer` of an .npz file), the state is saved after every epoch and a
    saved state (same settings) is resumed from; whoever made it removes it once the outputs are written.
    """
    checkpoint = checkpoint or Checkpointer(None)
    start = time.perf_counter()
    model = NumpyAutoencoder(
        input_dim=x_train.shape[1], hidden_dim=config.hidden_dim, init_std=config.init_std, seed=seed
    )
    order_rng = np.random.default_rng([seed, 1])  # a stream apart from the weight init
    history, snap_iters, snaps = [], [0], [_to_uint8(model(digits))]
    adam_state: dict = {}
    iteration, done = 0, 0
    if (state := checkpoint.load()) is not None:
        adam_state, done, iteration, history, snap_iters, snaps, seconds = _restore(state, model, order_rng)
        start -= seconds  # wall time counts the interrupted run too
    log.info("%5s %12s %14s %14s %8s", "epoch", "iterations", "train_loss", "test_mse", "seconds")
    for epoch in range(done + 1, config.epochs + 1):
        train_loss, iteration = _train_epoch(
            model, x_train, digits, order_rng, adam_state, config, epoch, iteration, snap_iters, snaps
        )
        row = {
            "epoch": epoch,
            "iterations": iteration,
            "train_loss": train_loss,
            "test_mse": evaluate_mse(model, x_test),
            "seconds": time.perf_counter() - start,
        }
        history.append(row)
        log.info("%5d %12d %14.6g %14.6f %8.2f", epoch, iteration, row["train_loss"], row["test_mse"], row["seconds"])
        state = _training_state(
            model, adam_state, order_rng, epoch, iteration, history, snap_iters, snaps, row["seconds"]
        )
        checkpoint.save(state, where=f"epoch {epoch}")
    return NumpyAEResult(
        history=history,
        snapshot_iterations=np.array(snap_iters),
        snapshots=np.stack(snaps),
        reconstructions=model(digits),
        model=model,
        seconds=time.perf_counter() - start,
    )
