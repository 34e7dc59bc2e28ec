"""The one learning-rate schedule of every study: a linear warm-up, then a cosine (or linear) decay.

Each study keeps its own shape through the parameters: the sentiment classifiers a cosine from the
peak to 0 without warm-up, the character LMs a warm-up then a cosine to 10% of the peak (nanoGPT's
`min_lr = learning_rate / 10`), the vision models a warm-up then a cosine or linear decay to 0 (as a
factor of the peak, for `LambdaLR`).
"""

from __future__ import annotations

import math

__all__ = ["warmup_decay"]


def warmup_decay(
    peak: float, step: int, total: int, *, warmup: int = 0, floor: float = 0.0, shape: str = "cosine"
) -> float:
    """The step size of optimizer step `step` (0-based) of `total`.

    The first `warmup` steps rise linearly to `peak` (step k gives peak * (k + 1) / warmup); the rest
    decay from `peak` to `floor * peak`, along half a cosine (`shape="cosine"`) or a straight line
    (`"linear"`). `peak=1` gives a multiplier of the optimizer's own rate.
    """
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    if shape == "cosine":
        # the operations in the order of each study's former formula: the same floats, no result moved
        angle = math.pi * progress if warmup else math.pi * step / max(1, total)
        cosine = math.cos(angle)
        if not floor:
            return peak * 0.5 * (1 + cosine)
        return peak * ((1 + floor) / 2 + (1 - floor) / 2 * cosine)
    if shape == "linear":
        return peak * (1 - (1 - floor) * progress)
    raise ValueError(f"schedule shape must be cosine or linear, got {shape!r}")
