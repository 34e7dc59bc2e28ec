"""The PyTorch autoencoders: the NumPy cross-check, shapes, corruption, training, and the study summary."""

import numpy as np
import pytest
import torch

from dlrepro.autoencoder.models import (
    BasicAutoencoder,
    ConvAutoencoder,
    VariationalAutoencoder,
    parameter_count,
    vae_loss,
)
from dlrepro.autoencoder.numpy_model import NumpyAutoencoder, mse_loss
from dlrepro.autoencoder.numpy_training import NumpyAEConfig, train_numpy_autoencoder
from dlrepro.autoencoder.report import autoencoder_models_tex, summarize_autoencoder_models
from dlrepro.autoencoder.training import AE_MODELS, TorchAEConfig, corrupt, train_autoencoder
from tests.conftest import numpy_ae_recipe, torch_ae_recipe

# every TorchAEConfig field, as config/config.yaml's autoencoder.torch_ae sets it
TORCH_AE = torch_ae_recipe()
# every config-driven NumpyAEConfig field, as config/config.yaml's autoencoder.numpy_ae sets it (the paper's run)
NUMPY_AE = numpy_ae_recipe()


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_torch_and_numpy_give_the_same_loss_curve(reduction):
    """Same initial weights, same batches, plain SGD: the two implementations agree step by step."""
    rng = np.random.default_rng(0)
    batches = [rng.random((32, 784), dtype=np.float32) for _ in range(6)]
    lr = 1e-4 if reduction == "sum" else 1.0
    numpy_model = NumpyAutoencoder(seed=0, init_std=0.05)
    torch_model = BasicAutoencoder().load_numpy(numpy_model)
    opt = torch.optim.SGD(torch_model.parameters(), lr=lr)
    numpy_losses, torch_losses = [], []
    for x in batches:
        loss, grad = mse_loss(numpy_model(x), x, reduction)
        numpy_model.backward(grad)
        numpy_model.sgd_step(lr)
        numpy_losses.append(loss)
        xt = torch.from_numpy(x)
        t_loss = torch.nn.functional.mse_loss(torch_model(xt), xt, reduction=reduction)
        torch_losses.append(t_loss.item())
        opt.zero_grad()
        t_loss.backward()
        opt.step()
    np.testing.assert_allclose(numpy_losses, torch_losses, rtol=2e-5)
    assert numpy_losses[-1] < numpy_losses[0], "the curve must move, or the comparison says nothing"


def test_numpy_adam_learns_faster_than_the_papers_step():
    rng = np.random.default_rng(1)
    basis = rng.random((4, 64))
    x = (rng.random((512, 4)) @ basis > 1.0).astype(np.float32)
    common = {**NUMPY_AE, "hidden_dim": 8, "epochs": 3, "batch_size": 64, "snapshot_every": 1000}
    sgd = train_numpy_autoencoder(
        x, x, x[:2], config=NumpyAEConfig(**{**common, "learning_rate": 1e-4, "loss_reduction": "mean"}), seed=0
    )
    adam = NumpyAEConfig(**{**common, "learning_rate": 1e-2, "loss_reduction": "mean", "optimizer": "adam"})
    adam = train_numpy_autoencoder(x, x, x[:2], config=adam, seed=0)
    assert adam.history[-1]["test_mse"] < 0.7 * sgd.history[-1]["test_mse"]


@pytest.mark.parametrize(
    "model",
    [
        BasicAutoencoder(code_size=8),
        ConvAutoencoder(code_size=8, channels=(4, 8)),
        VariationalAutoencoder(code_size=3, hidden_dim=16),
    ],
)
def test_models_map_images_to_images(model):
    x = torch.rand(5, 784)
    with torch.no_grad():
        y = model(x)
    assert y.shape == (5, 784), f"{type(model).__name__} changed the shape to {tuple(y.shape)}"
    assert float(y.min()) >= 0 and float(y.max()) <= 1


def test_conv_parameter_count_is_documented():
    assert parameter_count(ConvAutoencoder()) == 211_905
    assert parameter_count(BasicAutoencoder()) == 101_200


def test_vae_loss_is_finite_and_positive():
    model = VariationalAutoencoder(code_size=2, hidden_dim=8)
    loss = vae_loss(model, torch.rand(4, 784), torch.Generator().manual_seed(0)).detach()
    assert torch.isfinite(loss) and loss.item() > 0


def test_corruptions():
    x = torch.full((100, 784), 0.5)
    gen = torch.Generator().manual_seed(0)
    masked = corrupt(x, "mask", 0.3, gen)
    assert abs(float((masked == 0).float().mean()) - 0.3) < 0.02
    noisy = corrupt(x, "gaussian", 0.2, gen)
    assert float(noisy.min()) >= 0 and float(noisy.max()) <= 1 and abs(float(noisy.std()) - 0.2) < 0.02
    assert corrupt(x, None, 0.0, gen) is x
    with pytest.raises(ValueError, match="unknown corruption"):
        corrupt(x, "salt", 0.1, gen)


@pytest.mark.parametrize("name", list(AE_MODELS))
def test_every_model_trains_and_returns_its_figure_arrays(name):
    rng = np.random.default_rng(0)
    x = (rng.random((256, 4)) @ rng.random((4, 784)) > 1.0).astype(np.float32)
    config = TorchAEConfig(
        **{**TORCH_AE, "epochs": 2, "batch_size": 32, "learning_rate": 3e-3, "conv_channels": (4, 8), "vae_hidden": 32}
    )
    metrics, history, arrays = train_autoencoder(name, x[:224], x[224:], x[:4], code_size=4, config=config, seed=0)
    assert len(history) == 2 and 0 < metrics["test_mse"] < 0.5
    assert arrays["reconstructions"].shape == (4, 784) and arrays["reconstructions"].dtype == np.uint8
    if name == "vae":
        assert metrics["test_neg_elbo"] > 0 and arrays["prior_samples"].shape == (64, 784)
        assert arrays["interpolation"].shape == (20, 784)
    if name.startswith("denoising"):
        assert not np.array_equal(arrays["inputs"], np.rint(x[:4] * 255).astype(np.uint8)), "inputs are corrupted"


def test_torch_config_rejects_unknown_and_missing_keys():
    with pytest.raises(ValueError, match="'epoch'"):
        TorchAEConfig.from_dict({**TORCH_AE, "epoch": 3})
    with pytest.raises(ValueError, match="Missing config key for the torch autoencoders: 'learning_rate'"):
        TorchAEConfig.from_dict({k: v for k, v in TORCH_AE.items() if k != "learning_rate"})


def test_a_model_without_its_architecture_or_noise_setting_is_refused():
    """Each model gets only the settings it reads (dlrepro.autoencoder.settings): the basic one none of
    conv_channels, vae_hidden and noise; a model that reads one it was not given must fail, not guess."""
    from dlrepro.autoencoder.training import build_model, corruption

    training = {k: TORCH_AE[k] for k in ("epochs", "batch_size", "learning_rate", "bf16")}
    bare = TorchAEConfig.from_dict(training)
    assert corruption("basic", bare) == (None, 0.0)
    assert isinstance(build_model("basic", code_size=4, config=bare), BasicAutoencoder)
    with pytest.raises(ValueError, match="'conv' needs the setting 'conv_channels'"):
        build_model("conv", code_size=4, config=bare)
    with pytest.raises(ValueError, match="'vae' needs the setting 'vae_hidden'"):
        build_model("vae", code_size=4, config=bare)
    with pytest.raises(ValueError, match="'denoising_mask' needs the setting 'noise'"):
        corruption("denoising_mask", bare)
    assert corruption("denoising_mask", TorchAEConfig.from_dict({**training, "noise": {"mask": 0.3}})) == ("mask", 0.3)


def _run(model, code, seed, mse):
    return {
        "model": model,
        "code_size": code,
        "seed": seed,
        "test_mse": mse,
        "psnr": 10.0,
        "seconds": 1.0,
        "parameters": 10,
    }


def test_models_summary_verdicts():
    runs = [_run("basic", c, s, 0.04 / c + 0.001 * s) for c in (8, 16) for s in (0, 1, 2)]
    runs += [_run("conv", c, s, 0.03 / c + 0.001 * s) for c in (8, 16) for s in (0, 1, 2)]
    tuned = [{"seed": s, "test_mse": 0.005, "psnr": 23.0, "seconds": 2.0, "hidden_dim": 16} for s in (0, 1, 2)]
    stat = {"mean": 0.01, "ci95": 0.001, "n": 3}
    paper = {
        "default_reduction": "sum",
        "readings": {"sum": {"test_mse": stat, "psnr": stat, "seconds": stat}},
        "baselines": {"pca_sweep": {"8": 0.004, "16": 0.002}},
    }
    summary = summarize_autoencoder_models(runs, tuned, paper, code_size=16)
    assert summary["claims"]["conv_better"]["holds"] and summary["claims"]["conv_better"]["code_sizes_won"] == "2 of 2"
    assert summary["claims"]["tradeoff"]["holds"]
    tex = autoencoder_models_tex(summary)
    assert "\\newcommand{\\aeConvVerdict}{reproduced}" in tex["values"]
    assert "\\newcommand{\\aeTorchPrecision}{in float32}" in tex["values"]
    bf16_runs = [dict(r, bf16=True) for r in runs]
    assert (
        "{under bfloat16 autocast"
        in autoencoder_models_tex(summarize_autoencoder_models(bf16_runs, tuned, paper, code_size=16))["values"]
    )
    worse = [dict(r, test_mse=r["test_mse"] * 3) if r["model"] == "conv" else r for r in runs]
    assert summarize_autoencoder_models(worse, tuned, paper, code_size=16)["claims"]["conv_better"]["holds"] is False
    # a paired difference whose CI contains zero, or a single seed, decides nothing: inconclusive
    mixed = [
        dict(
            r,
            test_mse=next(
                b["test_mse"]
                for b in runs
                if b["model"] == "basic" and b["code_size"] == r["code_size"] and b["seed"] == r["seed"]
            )
            + (0.002 if r["seed"] == 1 else -0.001),
        )
        if r["model"] == "conv"
        else r
        for r in runs
    ]
    straddles = summarize_autoencoder_models(mixed, tuned, paper, code_size=16)
    assert straddles["claims"]["conv_better"]["holds"] is None
    assert "\\newcommand{\\aeConvVerdict}{inconclusive}" in autoencoder_models_tex(straddles)["values"]
    one_seed = [r for r in runs if r["seed"] == 0]
    assert summarize_autoencoder_models(one_seed, tuned, paper, code_size=16)["claims"]["conv_better"]["holds"] is None


def test_a_nan_loss_stops_training_naming_the_epoch_and_step():
    import numpy as np

    from dlrepro.autoencoder.training import TorchAEConfig, train_autoencoder
    from dlrepro.guards import NonFiniteLossError

    rng = np.random.default_rng(0)
    x = rng.random((64, 784), dtype=np.float32)
    x[40] = np.nan  # one poisoned image: the first batch that holds it gives a NaN loss
    config = TorchAEConfig(**{**TORCH_AE, "epochs": 2, "batch_size": 16, "learning_rate": 1e-3})
    with pytest.raises(NonFiniteLossError, match=r"epoch 1, step \d+"):
        train_autoencoder("basic", x, x[:16], x[:4], config=config, code_size=8, seed=0)


@pytest.mark.parametrize("name", ["conv", "vae"])
def test_bf16_training_computes_in_bf16_and_learns_as_fp32_does(name):
    """bf16: the forward pass runs in bfloat16 (its losses differ from fp32's in the low digits), the
    weights stay float32, and the test error after training is close to the fp32 run's."""
    rng = np.random.default_rng(0)
    x = (rng.random((512, 4)) @ rng.random((4, 784)) > 1.0).astype(np.float32)
    common = {
        **TORCH_AE,
        "epochs": 3,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "conv_channels": (4, 8),
        "vae_hidden": 32,
    }
    runs = {}
    for bf16 in (False, True):
        config = TorchAEConfig(**{**common, "bf16": bf16})
        runs[bf16] = train_autoencoder(name, x[:448], x[448:], x[:4], code_size=4, config=config, seed=0)
    (fp32, fp32_history, _), (bf16, bf16_history, _) = runs[False], runs[True]
    assert bf16["bf16"] and not fp32["bf16"]
    assert bf16_history[0]["train_loss"] != fp32_history[0]["train_loss"], "the bf16 run did not compute in bf16"
    assert bf16_history[-1]["train_loss"] < bf16_history[0]["train_loss"]
    assert bf16["test_mse"] == pytest.approx(fp32["test_mse"], rel=0.15)


def test_bf16_conv_model_is_channels_last_with_float32_weights():
    from dlrepro.autoencoder.training import build_model

    model = build_model(
        "conv", code_size=8, config=TorchAEConfig(**{**TORCH_AE, "conv_channels": (4, 8), "bf16": True})
    )
    conv = model.encoder[0].weight
    assert conv.dtype == torch.float32 and conv.is_contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model.encoder[0](torch.rand(2, 1, 28, 28)).dtype == torch.bfloat16
