"""Measurements of a trained classifier: FLOPs per image, confusion matrix, attention rollout."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

__all__ = ["flops_per_image", "confusion_matrix", "attention_rollout"]


def _sdpa_flops(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs) -> int:
    return sdpa_flop_count(query_shape, key_shape, value_shape)


# torch counts the CUDA attention kernels itself; the CPU kernel of F.scaled_dot_product_attention
# has no formula, so it is added here (same formula: 2 matrix products of the attention)
_CUSTOM = {torch.ops.aten._scaled_dot_product_flash_attention_for_cpu: _sdpa_flops}


@torch.no_grad()
def flops_per_image(model: torch.nn.Module, image_shape: tuple[int, ...], device="cpu") -> int:
    """Forward-pass FLOPs for one image (a multiply-add counts 2), counted by FlopCounterMode in eval mode."""
    was_training = model.training
    model.eval()
    x = torch.zeros((1, *image_shape), device=device)
    with FlopCounterMode(display=False, custom_mapping=_CUSTOM) as counter:
        model(x)
    model.train(was_training)
    return int(counter.get_total_flops())


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
