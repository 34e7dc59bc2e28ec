"""The learning-rate schedule of the compute ladders: warm-up-stable-decay with cool-down branches.

**Warm-up-stable-decay (WSD)** (Hägele et al. 2024, "Scaling Laws and Compute-Optimal Training Beyond
Fixed Training Durations", arXiv:2405.18392): the step size rises linearly over a fixed number of
warm-up steps, stays at the peak, and decays over the last share of the run (the cool-down) along
1 - sqrt(progress), the shape that paper found best. The stable phase does not depend on the run's
length, so one run (the *trunk*) serves every budget of a ladder: at each budget's cool-down start a
copy of the run branches off, cools down and is scored, and the trunk goes on at the peak. The trunk
runs to the largest budget's cool-down start; with a cool-down of 20% a ladder of x1, x2, x4 costs
0.8 x 4 + 0.2 x (1 + 2 + 4) = 4.6 base runs instead of 7, and each budget's result is the one a
separate WSD run of that length gives (the data each step draws depend on the step only).
`ladder_branches` plans the branches, `warmup_stable_decay` gives a step's size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Branch", "ladder_branches", "warmup_stable_decay"]


@dataclass(frozen=True)
class Branch:
    """One budget's run on a WSD trunk: `total` steps, the last `total - start` of them its cool-down."""

    budget: float  # the budget (a multiple of the base schedule)
    total: int  # the run's optimizer steps at this budget
    start: int  # its first cool-down step: the trunk's step count where it branches off

    @property
    def cooldown(self) -> int:
        return self.total - self.start


def ladder_branches(totals: dict, cooldown_fraction: float) -> list[Branch]:
    """The branches of a ladder: `totals` maps each budget to its run's steps; each cools down over
    round(`cooldown_fraction` x steps) of them (at least one where the fraction is above 0). Sorted by
    budget; the trunk trains to the last branch's `start`."""
    if not 0 <= cooldown_fraction <= 1:
        raise ValueError(f"cooldown_fraction must lie in [0, 1], got {cooldown_fraction!r}")
    branches = []
    for budget in sorted(totals, key=float):
        total = int(totals[budget])
        if total < 1:
            raise ValueError(f"budget {budget}: a run needs at least one step, got {total}")
        cooldown = max(1, round(cooldown_fraction * total)) if cooldown_fraction > 0 else 0
        branches.append(Branch(float(budget), total, total - cooldown))
    starts = [b.start for b in branches]
    if starts != sorted(starts):
        raise ValueError(f"cool-down starts must grow with the budget, got {starts} for totals {totals}")
    return branches


def warmup_stable_decay(peak: float, step: int, total: int, *, warmup: int = 0, cooldown: int = 0) -> float:
    """The step size of optimizer step `step` (0-based) of a WSD run of `total` steps.

    Step k < `warmup` is scaled by (k + 1) / warmup; the last `cooldown` steps by
    1 - sqrt((j + 1) / (cooldown + 1)) for their j = 0, 1, ... (even a one-step cool-down lowers the rate;
    the last step stays just above 0, so none is spent at rate 0); the rest take `peak`. The
    warm-up does not depend on `total`, so every budget's run shares the trunk's first steps; a
    cool-down that starts inside the warm-up multiplies both factors."""
    warm = min(1.0, (step + 1) / warmup) if warmup > 0 else 1.0
    start = total - cooldown
    decay = 1.0 if step < start else max(0.0, 1.0 - math.sqrt((step - start + 1) / (cooldown + 1)))
    return peak * warm * decay
