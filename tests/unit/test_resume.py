"""Resumable training: a run stopped after epoch 1 and started again ends exactly where an uninterrupted run ends."""

import numpy as np
import pytest
import torch

from dlrepro.autoencoder.numpy_training import NumpyAEConfig, train_numpy_autoencoder
from dlrepro.autoencoder.training import TorchAEConfig, train_autoencoder
from dlrepro.checkpoint import Checkpointer
from tests.conftest import numpy_ae_recipe, torch_ae_recipe

TIMING = {"seconds"}
# every TorchAEConfig field, as config/config.yaml's autoencoder.torch_ae sets it
TORCH_AE = torch_ae_recipe()
# every config-driven NumpyAEConfig field, as config/config.yaml's autoencoder.numpy_ae sets it (the paper's run)
NUMPY_AE = numpy_ae_recipe()


class Killed(Exception):
    """Stands in for SIGKILL: the process dies right after a checkpoint is written."""


def stopping_after(checkpointer_class, stop_epoch):
    class Stopping(checkpointer_class):
        def save(self, state, where=""):
            super().save(state, where)
            if where == f"epoch {stop_epoch}":
                raise Killed(where)

    return Stopping


def without_timing(rows):
    return [{k: v for k, v in row.items() if k not in TIMING} for row in rows]


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    x = rng.random((96, 784), dtype=np.float32) ** 3  # mostly dark, like digits
    return x[:64], x[64:], x[:4]


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


@pytest.mark.parametrize("name", ["conv", "denoising_mask", "vae"])
def test_torch_autoencoder_resumed_after_epoch_1_equals_an_uninterrupted_run(tmp_path, images, name, caplog):
    config = TorchAEConfig(**{**TORCH_AE, "epochs": 3, "batch_size": 16, "conv_channels": (2, 4), "vae_hidden": 16})
    run = dict(code_size=4, config=config, seed=3)
    metrics, history, arrays = train_autoencoder(name, *images, **run)

    path = tmp_path / ".checkpoint.pt"
    with pytest.raises(Killed):
        train_autoencoder(name, *images, **run, checkpoint=stopping_after(Checkpointer, 1)(path, {"run": name}))
    assert path.is_file()
    blob = torch.load(path, weights_only=True)  # only tensors and plain values
    assert blob["state"]["epoch"] == 1

    with caplog.at_level("INFO"):
        resumed, resumed_history, resumed_arrays = train_autoencoder(
            name, *images, **run, checkpoint=Checkpointer(path, {"run": name})
        )
    assert "resuming from checkpoint" in caplog.text and "epoch 1" in caplog.text
    assert without_timing([resumed]) == without_timing([metrics])
    assert without_timing(resumed_history) == without_timing(history) and len(history) == 3
    for key in arrays:
        np.testing.assert_array_equal(resumed_arrays[key], arrays[key], err_msg=key)


def test_torch_checkpoint_from_other_settings_is_not_resumed(tmp_path, images, caplog):
    config = TorchAEConfig(**{**TORCH_AE, "epochs": 2, "batch_size": 16})
    path = tmp_path / ".checkpoint.pt"
    with pytest.raises(Killed):
        train_autoencoder(
            "basic",
            *images,
            code_size=4,
            config=config,
            seed=0,
            checkpoint=stopping_after(Checkpointer, 1)(path, {"seed": 0}),
        )
    fresh, _, _ = train_autoencoder("basic", *images, code_size=4, config=config, seed=1)
    with caplog.at_level("INFO"):
        other, _, _ = train_autoencoder(
            "basic", *images, code_size=4, config=config, seed=1, checkpoint=Checkpointer(path, {"seed": 1})
        )
    assert "other settings" in caplog.text and "resuming" not in caplog.text
    assert without_timing([other]) == without_timing([fresh])


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_numpy_autoencoder_resumed_after_epoch_1_equals_an_uninterrupted_run(tmp_path, images, optimizer, caplog):
    config = NumpyAEConfig(
        **{
            **NUMPY_AE,
            "hidden_dim": 8,
            "epochs": 3,
            "batch_size": 16,
            "learning_rate": 1e-3,
            "loss_reduction": "mean",
            "snapshot_every": 3,
            "optimizer": optimizer,
        }
    )
    whole = train_numpy_autoencoder(*images, config=config, seed=5)

    path = tmp_path / ".checkpoint.npz"
    with pytest.raises(Killed):
        train_numpy_autoencoder(
            *images, config=config, seed=5, checkpoint=stopping_after(Checkpointer, 1)(path, {"run": 1})
        )
    with np.load(path, allow_pickle=False) as saved:  # plain arrays, no pickled objects
        assert int(saved["epoch"]) == 1

    with caplog.at_level("INFO"):
        resumed = train_numpy_autoencoder(*images, config=config, seed=5, checkpoint=Checkpointer(path, {"run": 1}))
    assert "resuming from checkpoint" in caplog.text and "epoch 1" in caplog.text
    assert without_timing(resumed.history) == without_timing(whole.history) and len(whole.history) == 3
    np.testing.assert_array_equal(resumed.snapshot_iterations, whole.snapshot_iterations)
    np.testing.assert_array_equal(resumed.snapshots, whole.snapshots)
    np.testing.assert_array_equal(resumed.reconstructions, whole.reconstructions)
