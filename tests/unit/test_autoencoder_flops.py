"""The autoencoders' training FLOPs: the NumPy model's hand count, the torch models' counted forward (the VAE's
with its sampled path) against hand counts, and each run's record (3 x forward x images x epochs)."""

import numpy as np
import pytest
import torch

from dlrepro.autoencoder.flops import numpy_ae_flops, torch_ae_flops
from dlrepro.autoencoder.models import BasicAutoencoder, ConvAutoencoder, VaeTrainingPass, VariationalAutoencoder
from dlrepro.autoencoder.study import AutoencoderData, run_numpy_ae
from dlrepro.autoencoder.training import AE_MODELS, TorchAEConfig, train_autoencoder
from dlrepro.flops import forward_flops, linear_flops
from tests.conftest import numpy_ae_recipe, torch_ae_recipe

torch.set_num_threads(1)


def test_the_numpy_autoencoders_hand_count():
    record = numpy_ae_flops(input_dim=784, hidden_dim=64, train_examples=1000, epochs=5)
    forward = 2 * 784 * 64 + 2 * 64 * 784  # two dense layers, 2 FLOPs per multiply-add
    assert record == {"forward_flops_per_example": forward, "train_flops": 3.0 * forward * 1000 * 5}
    twin = BasicAutoencoder(code_size=64)  # its torch twin (same layers), counted
    assert forward_flops(twin, torch.zeros(1, 784)) == forward


def test_the_vae_is_counted_along_its_sampled_training_path():
    hidden, code = 32, 4
    vae = VariationalAutoencoder(hidden_dim=hidden, code_size=code)
    # encoder, the mu and log-variance heads, decoder: z = mu + eps * sigma is element-wise
    training = linear_flops((784, hidden), (hidden, code), (hidden, code), (code, hidden), (hidden, 784))
    assert forward_flops(VaeTrainingPass(vae), torch.zeros(1, 784)) == training
    assert forward_flops(vae, torch.zeros(1, 784)) == training, "the sample itself adds no product"
    state = torch.random.get_rng_state()
    assert torch_ae_flops(vae, input_dim=784, train_examples=10, epochs=2)["forward_flops_per_example"] == training
    assert torch.equal(torch.random.get_rng_state(), state), "counting draws nothing from the training RNG"


def test_the_conv_autoencoder_counts_its_convolutions():
    c1, c2, code = 4, 8, 16
    model = ConvAutoencoder(code_size=code, channels=(c1, c2))
    encoder = 2 * (14 * 14 * c1) * 9 + 2 * (7 * 7 * c2) * (c1 * 9) + linear_flops((c2 * 49, code))
    # transposed convolutions: every input pixel times the kernel (7x7 -> 14x14, 14x14 -> 28x28)
    decoder = linear_flops((code, c2 * 49)) + 2 * (7 * 7 * c2) * (c1 * 9) + 2 * (14 * 14 * c1) * 9
    assert forward_flops(model, torch.zeros(1, 784)) == encoder + decoder


def _images(n, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((n, 4)) @ rng.random((4, 784)) > 1.0).astype(np.float32)


@pytest.mark.parametrize("name", list(AE_MODELS))
def test_every_torch_run_records_three_forwards_per_image_and_epoch(name):
    x = _images(90)
    recipe = torch_ae_recipe()
    settings = {**recipe, "epochs": 2, "batch_size": 32, "conv_channels": (4, 8), "vae_hidden": 32, "bf16": False}
    metrics, _, _ = train_autoencoder(
        name, x[:70], x[70:], x[:2], code_size=4, config=TorchAEConfig(**settings), seed=0
    )
    model = {"basic": BasicAutoencoder(code_size=4), "conv": ConvAutoencoder(code_size=4, channels=(4, 8))}.get(
        AE_MODELS[name][0], VaeTrainingPass(VariationalAutoencoder(hidden_dim=32, code_size=4))
    )
    forward = forward_flops(model, torch.zeros(1, 784))
    assert metrics["forward_flops_per_example"] == forward
    assert metrics["train_flops"] == 3.0 * forward * 70 * 2, "every image every epoch (the last batch has 6)"


def test_the_numpy_run_records_its_hand_count():
    x = _images(50)
    data = AutoencoderData("mnist", x[:40], x[40:], np.arange(2), x[40:42])
    settings = {**numpy_ae_recipe(), "hidden_dim": 8, "epochs": 2, "batch_size": 16}
    metrics, _, _ = run_numpy_ae(data, settings, seed=0, data_status="verified")
    forward = linear_flops((784, 8), (8, 784))
    assert metrics["forward_flops_per_example"] == forward and metrics["train_flops"] == 3.0 * forward * 40 * 2
