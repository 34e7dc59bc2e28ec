"""Probes of a trained character LM for benchmarks/lm_context.py: held-out bpc by position inside the
window, and where its attention goes (the model records its attention probabilities when `probe` is set)."""

import math

import numpy as np


def _torch():
    import torch

    return torch


def per_position_bpc(model, ids, context: int, max_tokens: int, batch_windows: int = 64) -> np.ndarray:
    """(context,) held-out bits per character at each position inside the window; the same windows as
    `bits_per_char` (non-overlapping, from the start of `ids`), so their mean is its number."""
    torch = _torch()
    from torch.nn import functional as F

    model.eval()
    n = min(max_tokens, len(ids) - 1) // context
    starts = torch.arange(n) * context
    offsets = torch.arange(context + 1)
    total = torch.zeros(context, dtype=torch.float64)
    with torch.no_grad():
        for i in range(0, n, batch_windows):
            w = ids[starts[i : i + batch_windows, None] + offsets]
            logits = model(w[:, :-1])
            nll = F.cross_entropy(logits.transpose(1, 2), w[:, 1:], reduction="none")  # (b, context)
            total += nll.double().sum(0)
    return (total / n / math.log(2)).numpy()


def attention_locality(model, ids, context: int, windows: int = 64) -> dict:
    """Where the trained model attends, on `windows` held-out windows, queries at positions 16-63 (both
    contexts have them): per layer, the largest (over heads) mean weight on the previous character, the
    mean (over heads) weight on the last 4 characters (distances 0-3), and the mean attended distance;
    a head that attends uniformly puts 4 / (i + 1) on the last 4 (0.11 on average over 16-63)."""
    torch = _torch()
    n = min(windows, (len(ids) - 1) // context)
    w = ids[(torch.arange(n) * context)[:, None] + torch.arange(context)]
    model.eval()
    model.probe = True
    with torch.no_grad():
        model(w)
    model.probe = False
    i = torch.arange(context)
    dist = (i[:, None] - i[None, :]).float().clamp_min(0)  # (T, T)
    out = {}
    for layer, p in enumerate(model.probs):
        p = p[:, 16:64]  # (H, 48 queries, T)
        d = dist[16:64]
        prev = torch.stack([p[:, r, r + 16 - 1] for r in range(p.shape[1])], 1).mean(1)  # (H,)
        near = (p * (d <= 3)).sum(-1).mean()
        mean_dist = (p * d).sum(-1).mean()
        out[f"L{layer}"] = {"prev_max": float(prev.max()), "last4": float(near), "mean_dist": float(mean_dist)}
    model.probs = []
    return out
