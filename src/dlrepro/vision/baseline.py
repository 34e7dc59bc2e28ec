"""The vision study's simple baseline: a linear classifier on pixels, beside the CNN and the ViT.

Multinomial logistic regression on the raw pixels (3 x 32 x 32 = 3,072 inputs per image, each channel
standardised with the run's mean and std), fitted by full-batch L-BFGS (`dlrepro.linear.fit_logistic`)
on the same class-balanced, seeded training subset the networks train on (`study.load_vision_data`).
A seeded `val_fraction` of that subset is held out to choose the L2 strength from `l2_grid`; the model
fitted on the rest with the chosen strength is scored on the test images, which choose nothing. The
field's reference figure for this baseline on CIFAR-10 is about 39-41% test accuracy (a softmax
classifier on pixels, e.g. Stanford's CS231n assignment 1), and it shows what the networks' features
add over a template per class.

FLOPs (the `dlrepro.flops` rule): a forward pass is `flops.linear_flops((3072, classes))` per image,
a training evaluation (loss and gradient) `BACKWARD_FACTOR` times that over every fitted image, and
every L-BFGS evaluation of every grid fit counts.
"""

from __future__ import annotations

import time

import numpy as np

from dlrepro.flops import linear_flops, training_flops
from dlrepro.linear import choose_l2, fit_logistic

__all__ = ["pixel_features", "held_out", "run_pixel_baseline"]


def pixel_features(x: np.ndarray, mean, std):
    """(N, 3, H, W) uint8 images -> (N, 3 H W) float32 torch tensor, each channel standardised."""
    import torch

    m = np.asarray(mean, dtype=np.float32)[None, :, None, None]
    s = np.asarray(std, dtype=np.float32)[None, :, None, None]
    return torch.from_numpy(((x.astype(np.float32) / 255.0 - m) / s).reshape(len(x), -1))


def held_out(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded (fit, validation) index split of n training images; at least one image in each."""
    order = np.random.default_rng(seed + 10_000).permutation(n)
    n_val = min(max(1, round(fraction * n)), n - 1)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def run_pixel_baseline(data: dict, settings: dict, *, seed: int) -> dict:
    """The baseline's metrics for one training subset and seed; `data` as `study.load_vision_data` returns
    it, `settings` the config's `vision.baseline` block."""
    import torch

    start = time.perf_counter()
    x = pixel_features(data["x_train"], data["mean"], data["std"])
    y = torch.as_tensor(np.asarray(data["y_train"], dtype=np.int64))
    fit_idx, val_idx = held_out(len(y), settings["val_fraction"], seed)
    n_classes, evaluations = int(data.get("n_classes", 10)), 0

    def fit(l2):
        nonlocal evaluations
        w, b, n = fit_logistic(x[fit_idx], y[fit_idx], n_classes, l2=l2, max_iter=settings["max_iter"])
        evaluations += n
        return w, b

    def accuracy(model, xs, ys) -> float:
        return float(((xs @ model[0] + model[1]).argmax(1) == ys).float().mean())

    best, fits = choose_l2(fit, lambda m: accuracy(m, x[val_idx], y[val_idx]), settings["l2_grid"])
    val_accuracy, l2, model = fits[best]
    x_test = pixel_features(data["x_test"], data["mean"], data["std"])
    y_test = torch.as_tensor(np.asarray(data["y_test"], dtype=np.int64))
    forward = linear_flops((x.shape[1], n_classes))
    return {
        "model": "linear",
        "seed": seed,
        "recipe": "multinomial logistic regression on standardised pixels",
        "test_accuracy": accuracy(model, x_test, y_test),
        "val_accuracy": val_accuracy,
        "l2": l2,
        "val_accuracy_by_l2": {f"{g:g}": acc for acc, g, _ in fits},
        "lbfgs_evaluations": evaluations,
        "parameters": (x.shape[1] + 1) * n_classes,
        "flops_per_image": forward,
        "train_flops": training_flops(forward, len(fit_idx) * evaluations),
        "train_examples": len(fit_idx),
        "val_examples": len(val_idx),
        "test_examples": len(y_test),
        "n_classes": n_classes,
        "seconds": time.perf_counter() - start,
    }
