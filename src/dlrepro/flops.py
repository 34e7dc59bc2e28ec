"""Counted FLOPs: the one compute axis of every study (a run's training FLOPs, drawn on a log axis).

The counting rule, the same for every model:

- **Forward FLOPs** are counted, not estimated: torch's `FlopCounterMode` records every matrix
  product, convolution and attention product of one forward pass (a multiply-add counts 2 FLOPs).
  Element-wise work (activations, norms, softmax, the loss) is not counted: it is a few percent of
  these models' products. The count runs on a CPU copy of the model in eval mode with oneDNN's fused
  recurrent kernels off, so that an LSTM's products are seen as products (its fused kernel is
  invisible to the counter) and the count does not depend on the device a run trained on. Autograd
  stays on during the count: without it PyTorch's fused Transformer fast path would hide its products.
  The NumPy autoencoder, which has no torch model, is counted by hand the same way (its products).
  A linear model on sparse features (the sentiment baseline's bag of n-grams) is counted by hand too:
  2 FLOPs per nonzero feature and class (`sparse_linear_flops`); the zeros are never multiplied.
- **Training FLOPs** = 3 x forward FLOPs per example x examples processed: the backward pass costs
  about twice the forward (a gradient for the inputs and one for the weights; Kaplan et al. 2020,
  "Scaling laws for neural language models", section 2.1). Evaluation passes are not training FLOPs.
"""

from __future__ import annotations

import contextlib
import copy
import warnings

__all__ = ["BACKWARD_FACTOR", "forward_flops", "training_flops", "linear_flops", "sparse_linear_flops"]

# training FLOPs per forward FLOP: the forward pass and a backward pass of twice its cost
BACKWARD_FACTOR = 3


def training_flops(forward_per_example: float, examples: float) -> float:
    """Training FLOPs of `examples` examples (or tokens, for a language model's per-token count)."""
    return float(BACKWARD_FACTOR * forward_per_example * examples)


def linear_flops(*layer_shapes: tuple[int, int]) -> int:
    """Forward FLOPs of one example through dense layers of (inputs, outputs) each: 2 per multiply-add."""
    return sum(2 * n_in * n_out for n_in, n_out in layer_shapes)


def sparse_linear_flops(nonzeros: int, outputs: int) -> int:
    """Forward FLOPs of a linear layer on sparse inputs: 2 per multiply-add of each of the `nonzeros`
    stored input values with each of the `outputs` (summed over whatever examples hold those nonzeros)."""
    return 2 * int(nonzeros) * int(outputs)


def _sdpa_flops(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs) -> int:
    from torch.utils.flop_counter import sdpa_flop_count

    return sdpa_flop_count(query_shape, key_shape, value_shape)


def _custom_formulas() -> dict:
    """Operators the counter does not know: the CPU's fused attention kernel (PyTorch 2.x)."""
    import torch

    found = {}
    op = getattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu", None)
    if op is not None:
        found[op] = _sdpa_flops
    return found


def forward_flops(model, *inputs, **kwargs) -> int:
    """Forward FLOPs of `model(*inputs, **kwargs)`, counted on a CPU copy in eval mode (see the rule above).

    Pass inputs of one example (batch 1) for a per-example count; tensors are moved to the CPU.
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    def cpu(value):
        return value.detach().cpu() if isinstance(value, torch.Tensor) else value

    replica = copy.deepcopy(model).cpu().float().eval()
    with contextlib.ExitStack() as stack:
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")  # oneDNN's TF32 notice when its flags are set
        stack.enter_context(torch.backends.mkldnn.flags(enabled=False))
        stack.enter_context(torch.enable_grad())
        counter = stack.enter_context(FlopCounterMode(display=False, custom_mapping=_custom_formulas()))
        replica(*(cpu(x) for x in inputs), **{k: cpu(v) for k, v in kwargs.items()})
    return int(counter.get_total_flops())
