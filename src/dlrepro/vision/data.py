"""CIFAR-10 as tensors: class-balanced seeded subsets, normalisation, and augmentation on whole batches.

The images stay one uint8 tensor (on the training device when asked); a batch is an index slice,
augmented with a few tensor operations and no per-image Python.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

__all__ = ["CIFAR10_MEAN", "CIFAR10_STD", "balanced_subset", "mix_batch", "normalize", "random_crop_flip"]

# per-channel mean and std of the CIFAR-10 training images in [0, 1] (the usual published values)
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


def balanced_subset(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Sorted indices of round(fraction * n_c) images of every class c, drawn with `seed`.

    For one seed the subsets are nested: a smaller fraction takes a prefix of the same per-class
    order, so 10% of the data is contained in 25%, 50% and 100%.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    rng = np.random.default_rng(seed)
    picks = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        order = members[rng.permutation(len(members))]
        picks.append(order[: max(1, round(fraction * len(members)))])
    return np.sort(np.concatenate(picks))


def normalize(x_uint8: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, dtype=torch.float32) -> torch.Tensor:
    """uint8 (B, 3, H, W) -> standardised floats; `mean`/`std` are (1, 3, 1, 1) tensors on x's device."""
    return ((x_uint8.to(dtype) / 255.0) - mean) / std


def random_crop_flip(x: torch.Tensor, *, padding: int, flip: bool, generator: torch.Generator) -> torch.Tensor:
    """Random crop of the original size from the zero-padded batch, and a horizontal flip of half the images.

    x: (B, C, H, W), any dtype, on any device; the random numbers come from `generator` (on x's device).
    """
    b, _, h, w = x.shape
    if padding > 0:
        padded = F.pad(x, (padding, padding, padding, padding))  # (B, C, H + 2p, W + 2p)
        dy = torch.randint(0, 2 * padding + 1, (b, 1, 1), generator=generator, device=x.device)
        dx = torch.randint(0, 2 * padding + 1, (b, 1, 1), generator=generator, device=x.device)
        rows = (dy + torch.arange(h, device=x.device).view(1, h, 1)).expand(b, h, w)  # (B, H, W)
        cols = (dx + torch.arange(w, device=x.device).view(1, 1, w)).expand(b, h, w)  # (B, H, W)
        if flip:  # reading the columns backwards flips the crop: no second pass over the batch
            mirror = torch.rand(b, 1, 1, generator=generator, device=x.device) < 0.5
            cols = torch.where(mirror, cols.flip(2), cols)
        index = (rows * (w + 2 * padding) + cols).view(b, 1, h * w).expand(-1, x.shape[1], -1)  # (B, C, H*W)
        return padded.flatten(2).gather(2, index).view_as(x)
    if flip:
        mirror = torch.rand(b, 1, 1, 1, generator=generator, device=x.device) < 0.5
        return torch.where(mirror, x.flip(3), x)
    return x


def mix_batch(x: torch.Tensor, *, mixup_alpha: float, cutmix_alpha: float, rng: np.random.Generator):
    """MixUp (Zhang et al. 2018) or CutMix (Yun et al. 2019) of a whole batch with its own roll by one image.

    x: (B, C, H, W) floats. Returns (mixed x, lam, box): image i becomes lam * x[i] + (1 - lam) * x[i - 1]
    (MixUp) or x[i] with the box (y0, y1, x0, x1) cut from x[i - 1] (CutMix, lam = the share of x[i]
    that is left), so the loss is lam * CE(y) + (1 - lam) * CE(y.roll(1)). One lam per batch, drawn
    from Beta(alpha, alpha) with `rng` on the host: no device synchronisation. With both alphas > 0,
    each batch takes one of the two at random (as timm does); with both 0, x is returned unmixed (lam 1).
    """
    use_cutmix = cutmix_alpha > 0 and (mixup_alpha <= 0 or rng.random() < 0.5)
    if use_cutmix:
        lam = float(rng.beta(cutmix_alpha, cutmix_alpha))
        h, w = x.shape[-2:]
        cut_h, cut_w = round(h * math.sqrt(1 - lam)), round(w * math.sqrt(1 - lam))
        cy, cx = int(rng.integers(h)), int(rng.integers(w))
        y0, y1 = max(cy - cut_h // 2, 0), min(cy + cut_h - cut_h // 2, h)
        x0, x1 = max(cx - cut_w // 2, 0), min(cx + cut_w - cut_w // 2, w)
        x = x.clone()
        x[..., y0:y1, x0:x1] = x.roll(1, dims=0)[..., y0:y1, x0:x1]
        return x, 1 - (y1 - y0) * (x1 - x0) / (h * w), (y0, y1, x0, x1)
    if mixup_alpha > 0:
        lam = float(rng.beta(mixup_alpha, mixup_alpha))
        return x.mul(lam).add_(x.roll(1, dims=0), alpha=1 - lam), lam, None
    return x, 1.0, None
