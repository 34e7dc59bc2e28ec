"""Same config and seed on CPU -> the same metrics.json, history and figure arrays.

The NumPy autoencoder is compared bit for bit (also across processes); the PyTorch autoencoders with
deterministic algorithms on. `seconds` (wall time) is the only timing field and is left out.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest
import torch

from dlrepro.autoencoder.study import load_autoencoder_data, run_numpy_ae, run_torch_ae
from dlrepro.data.prepare import prepare
from dlrepro.data.synthetic import write_mnist
from dlrepro.io import write_json
from tests.conftest import REPO

TIMING = {"seconds"}
# every key a run's settings carry (dlrepro.autoencoder.settings), small sizes for speed
NUMPY_SETTINGS = {
    "hidden_dim": 16,
    "init_std": 0.01,
    "epochs": 2,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "loss_reduction": "sum",
    "snapshot_every": 2,
}
TORCH_SETTINGS = {
    "epochs": 2,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "bf16": False,
    "conv_channels": [2, 4],
    "vae_hidden": 16,
    "noise": {"gaussian": 0.5, "mask": 0.5},
}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("determinism")
    prepare("mnist", write_mnist(root, n_train=128, n_test=40, seed=3), root / "mnist.npz")
    return root / "mnist.npz"


def _data(cache):
    return load_autoencoder_data(cache, train_examples=0, test_examples=0, figure_digits=10)


def _disturb_global_rngs():
    """Whatever global random state other code left behind must not matter."""
    random.seed(os.getpid())
    np.random.seed(12345)
    np.random.rand(7)
    torch.manual_seed(999)
    torch.rand(13)


def _metrics_json(metrics, path):
    timing = TIMING & set(metrics)
    assert timing == TIMING, f"expected exactly the timing fields {TIMING}, found {timing}"
    write_json(path, {k: v for k, v in metrics.items() if k not in TIMING})
    return path.read_bytes()


def _without_timing(rows):
    return [{k: v for k, v in row.items() if k not in TIMING} for row in rows]


def test_numpy_autoencoder_is_bitwise_reproducible(cache, tmp_path):
    runs = []
    for i in range(2):
        _disturb_global_rngs()
        metrics, history, arrays = run_numpy_ae(_data(cache), NUMPY_SETTINGS, seed=7, data_status="verified")
        runs.append((_metrics_json(metrics, tmp_path / f"m{i}.json"), _without_timing(history), arrays))
    (a_json, a_hist, a_arr), (b_json, b_hist, b_arr) = runs
    assert a_json == b_json, "metrics.json (without timing) must be byte-identical"
    assert a_hist == b_hist, "every per-epoch loss must be bitwise equal"
    assert a_arr.keys() == b_arr.keys() and all(np.array_equal(a_arr[k], b_arr[k]) for k in a_arr)
    other, _, _ = run_numpy_ae(_data(cache), NUMPY_SETTINGS, seed=8, data_status="verified")
    assert other["test_mse"] != json.loads(a_json)["test_mse"], "another seed must give another run"


def test_numpy_autoencoder_is_bitwise_reproducible_in_a_fresh_process(cache, tmp_path):
    script = (
        "import sys, json\n"
        "from dlrepro.autoencoder.study import load_autoencoder_data, run_numpy_ae\n"
        "data = load_autoencoder_data(sys.argv[1], train_examples=0, test_examples=0, figure_digits=10)\n"
        "metrics, _, _ = run_numpy_ae(data, json.loads(sys.argv[2]), seed=7, data_status='verified')\n"
        "metrics.pop('seconds')\n"
        "from dlrepro.io import write_json; write_json(sys.argv[3], metrics)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]), "OMP_NUM_THREADS": "1"}
    subprocess.run(
        [sys.executable, "-c", script, str(cache), json.dumps(NUMPY_SETTINGS), str(tmp_path / "child.json")],
        env=env,
        check=True,
        timeout=300,
    )
    metrics, _, _ = run_numpy_ae(_data(cache), NUMPY_SETTINGS, seed=7, data_status="verified")
    assert _metrics_json(metrics, tmp_path / "here.json") == (tmp_path / "child.json").read_bytes()


@pytest.fixture
def deterministic_torch():
    before = torch.are_deterministic_algorithms_enabled(), torch.get_num_threads()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    yield
    torch.use_deterministic_algorithms(before[0])
    torch.set_num_threads(before[1])


@pytest.mark.parametrize("name", ["denoising_gaussian", "vae"])
def test_torch_autoencoder_is_reproducible_with_deterministic_algorithms(cache, tmp_path, deterministic_torch, name):
    runs = []
    for i in range(2):
        _disturb_global_rngs()
        metrics, history, arrays = run_torch_ae(
            _data(cache), name, TORCH_SETTINGS, code_size=4, seed=5, data_status="verified"
        )
        runs.append((_metrics_json(metrics, tmp_path / f"m{i}.json"), _without_timing(history), arrays))
    (a_json, a_hist, a_arr), (b_json, b_hist, b_arr) = runs
    assert a_json == b_json, "metrics.json (without timing) must be byte-identical"
    assert a_hist == b_hist
    assert a_arr.keys() == b_arr.keys() and all(np.array_equal(a_arr[k], b_arr[k]) for k in a_arr)
