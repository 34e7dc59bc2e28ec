"""Counted FLOPs (dlrepro.flops) against hand counts, one small model of each kind: MLP, conv, recurrent,
attention; and the training rule (3 x forward x examples)."""

import pytest
import torch

from dlrepro.flops import BACKWARD_FACTOR, forward_flops, linear_flops, training_flops


def test_an_mlp_counts_two_flops_per_multiply_add():
    mlp = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 784))
    assert forward_flops(mlp, torch.randn(1, 784)) == linear_flops((784, 64), (64, 784)) == 2 * 784 * 64 * 2


def test_a_convolution_counts_every_output_pixel():
    conv = torch.nn.Conv2d(3, 4, 3, padding=1)
    assert forward_flops(conv, torch.randn(1, 3, 8, 8)) == 2 * (8 * 8 * 4) * (3 * 3 * 3)


@pytest.mark.parametrize("cell,gates", [(torch.nn.RNN, 1), (torch.nn.LSTM, 4)])
def test_recurrent_layers_count_input_and_hidden_products_at_every_step(cell, gates):
    """An LSTM's fused CPU kernel hides its products from the counter: the count runs with it off."""
    layers, length, n_in, hidden = 2, 10, 8, 16
    model = cell(n_in, hidden, num_layers=layers, batch_first=True)
    first = n_in * gates * hidden + hidden * gates * hidden
    second = hidden * gates * hidden + hidden * gates * hidden
    assert forward_flops(model, torch.randn(1, length, n_in)) == 2 * length * (first + second)


def test_attention_counts_projections_scores_values_and_mlp():
    """A Transformer encoder block: also in eval mode, where PyTorch's fused fast path would hide the products."""
    t, d, ff = 10, 16, 32
    block = torch.nn.TransformerEncoderLayer(d, 2, ff, batch_first=True)
    qkv, scores, values, out = 2 * t * d * 3 * d, 2 * t * t * d, 2 * t * t * d, 2 * t * d * d
    mlp = 2 * t * d * ff * 2
    assert forward_flops(block, torch.randn(1, t, d)) == qkv + scores + values + out + mlp


def test_the_count_leaves_the_model_as_it_was():
    model = torch.nn.Linear(4, 2).train()
    forward_flops(model, torch.randn(1, 4))
    assert model.training and next(model.parameters()).device.type == "cpu"


def test_training_flops_are_three_forward_passes_per_example():
    assert BACKWARD_FACTOR == 3
    assert training_flops(1_000, 50_000) == 3 * 1_000 * 50_000
