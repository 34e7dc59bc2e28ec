"""Measurements of a classifier: its predictions and accuracy (batched, in the training's precision and
memory format), the final score on the test set, FLOPs per image and the run's training FLOPs (counted by
`dlrepro.flops`: its counting rule), confusion matrix, attention rollout.

`cfg` is the run's `dlrepro.vision.training.TrainConfig` (read: `eval_batch_size`, `tta_flip`, `channels_last`, `bf16`).
"""

from __future__ import annotations

import contextlib
import time

import numpy as np
import torch

from dlrepro.flops import forward_flops, training_flops
from dlrepro.vision.data import normalize
from dlrepro.vision.models import parameter_count

__all__ = [
    "model_input",
    "autocast",
    "predict",
    "accuracy",
    "score_model",
    "attention_rollout_arrays",
    "flops_per_image",
    "confusion_matrix",
    "attention_rollout",
]


def flops_per_image(model: torch.nn.Module, image_shape: tuple[int, ...]) -> int:
    """Forward-pass FLOPs for one image (a multiply-add counts 2): `dlrepro.flops.forward_flops` on one
    zero image, counted on a CPU copy of the model in eval mode, whatever device the model is on."""
    return forward_flops(model, torch.zeros((1, *image_shape)))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """counts[i, j] = test images of true class i predicted as class j."""
    return np.bincount(n_classes * np.asarray(y_true) + np.asarray(y_pred), minlength=n_classes * n_classes).reshape(
        n_classes, n_classes
    )


@torch.no_grad()
def attention_rollout(model, x: torch.Tensor) -> torch.Tensor:
    """Attention rollout (Abnar & Zuidema, 2020) of a ViT: how much each patch flows into the pooled output.

    Per block, the heads' mean attention plus the identity (the residual path), rows renormalised;
    the product over blocks gives token-to-token flow. The map is the class token's row over the
    patches (`pool="cls"`), or the mean of the patch tokens' rows (`pool="mean"`). Returns (B, H/p, W/p).
    """
    weights = model.attention_weights(x)  # per block (B, heads, T, T), T = 1 + patches
    t = weights[0].shape[-1]
    eye = torch.eye(t, device=x.device)
    flow = eye.expand(len(x), t, t)
    for w in weights:
        a = 0.5 * w.float().mean(dim=1) + 0.5 * eye  # (B, T, T)
        a = a / a.sum(dim=-1, keepdim=True)
        flow = a @ flow
    rows = flow[:, 0, 1:] if model.pool == "cls" else flow[:, 1:, 1:].mean(dim=1)  # (B, patches)
    side = int(round((t - 1) ** 0.5))
    rows = rows / rows.amax(dim=1, keepdim=True)
    return rows.view(len(x), side, side)


@torch.no_grad()
def predict(model, x_uint8: torch.Tensor, *, cfg, device, mean, std) -> torch.Tensor:
    """Predicted classes of uint8 images (N, 3, 32, 32), in batches of cfg.eval_batch_size; with
    `cfg.tta_flip` from the summed logits of each image and its horizontal mirror (flip test-time
    augmentation, as airbench scores)."""
    model.eval()
    preds = []
    for i in range(0, len(x_uint8), cfg.eval_batch_size):
        batch = x_uint8[i : i + cfg.eval_batch_size].to(device, non_blocking=True)
        with autocast(device, cfg):
            logits = model(model_input(batch, mean, std, cfg)).float()
            if cfg.tta_flip:
                logits = logits + model(model_input(batch.flip(3), mean, std, cfg)).float()
        preds.append(logits.argmax(dim=1))
    return torch.cat(preds)


def model_input(xb, mean, std, cfg):
    """A uint8 batch as the model takes it: normalised, in channels-last memory where `cfg.channels_last`."""
    xb = normalize(xb, mean, std)
    return xb.contiguous(memory_format=torch.channels_last) if cfg.channels_last else xb


def autocast(device, cfg):
    """bfloat16 autocast on `device` where `cfg.bf16`, else a context that does nothing."""
    if not cfg.bf16:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16)


def accuracy(model, x, y, *, cfg, device, mean, std) -> float:
    """The share of the uint8 images `x` whose predicted class is their label in `y`."""
    return float((predict(model, x, cfg=cfg, device=device, mean=mean, std=std).cpu() == y).double().mean())


def score_model(model, x_test, y_test, run: dict, *, cfg, device, mean, std) -> tuple[dict, dict]:
    """The trained model on the whole test set: `run`'s metrics (model, seed, training size, steps, the
    images the training loop drew (`train_images`), timing) completed with the FLOPs per image and the
    run's training FLOPs (3 x FLOPs per image x images drawn: `dlrepro.flops`), and the arrays of the
    figures (the confusion matrix; the ViT's attention rollout)."""
    tic = time.perf_counter()
    pred = predict(model, x_test, cfg=cfg, device=device, mean=mean, std=std).cpu()
    test_seconds = time.perf_counter() - tic
    cm = confusion_matrix(y_test.numpy(), pred.numpy(), n_classes=model.head.out_features)  # the model's classes
    per_image = flops_per_image(model, tuple(x_test.shape[1:]))  # counted once per run, on one image
    metrics = {
        "model": run["model"],
        "seed": run["seed"],
        "parameters": parameter_count(model),
        "flops_per_image": per_image,
        "forward_flops_per_example": per_image,
        "train_images": run["train_images"],
        "train_flops": training_flops(per_image, run["train_images"]),
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
