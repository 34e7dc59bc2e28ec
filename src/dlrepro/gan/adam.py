"""One Adam update of the GAN step without `torch.optim.Optimizer.step()`'s per-call overhead.

At batch 16 the GAN step is overhead-bound: `step()`'s bookkeeping (hooks, state look-up, list
building) costs about a tenth of a step on one CPU core. `update` computes the gradients of a loss
for one network's parameters only and, once a fused Adam has created its state, calls the same fused
kernel `step()` calls, on the optimiser's own state tensors (bit for bit the same update).
"""

from __future__ import annotations

import torch
from torch.optim.adam import adam as functional_adam

__all__ = ["update"]


def _fused_adam_state(optimizer: torch.optim.Optimizer, params: list[torch.Tensor]):
    """The per-parameter state lists of a fused, non-capturable `torch.optim.Adam` once its first step has
    created them; None where `optimizer.step()` must run instead (the first step, or other settings)."""
    group = optimizer.param_groups[0]
    if not (
        group.get("fused")
        and not group["capturable"]
        and not group["amsgrad"]
        and not group["differentiable"]
        and not group["maximize"]
        and isinstance(group["lr"], float)
        and len(optimizer.param_groups) == 1
    ):
        return None
    states = [optimizer.state.get(p) for p in params]
    if not all(states):
        return None
    return [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states], [s["step"] for s in states], group


def update(optimizer: torch.optim.Optimizer, params: list[torch.Tensor], loss: torch.Tensor) -> None:
    """Gradients of `loss` for `params` only (not for the other network), then one optimiser step.

    After the first step a fused Adam's update runs through the functional `torch.optim.adam.adam` on the
    optimiser's own state tensors: the same fused kernel that `optimizer.step()` calls (bit for bit the same
    update, and `state_dict()` still saves it), without `step()`'s per-call bookkeeping (hooks, state
    look-up, list building), which costs about a tenth of a batch-16 step on one CPU core.
    """
    grads = list(torch.autograd.grad(loss, params))
    state = _fused_adam_state(optimizer, params)
    if state is None:  # the first step (creates the state), or a CUDA-graph-capturable optimiser
        for p, g in zip(params, grads):
            p.grad = g
        optimizer.step()
        return
    exp_avgs, exp_avg_sqs, steps, group = state
    beta1, beta2 = group["betas"]
    with torch.no_grad():
        functional_adam(
            params,
            grads,
            exp_avgs,
            exp_avg_sqs,
            [],
            steps,
            fused=True,
            amsgrad=False,
            beta1=beta1,
            beta2=beta2,
            lr=group["lr"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=False,
        )
