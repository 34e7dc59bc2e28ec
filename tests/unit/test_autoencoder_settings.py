"""The settings of one autoencoder job (dlrepro.autoencoder.settings): exactly what its result depends on,
so a config change reruns the jobs it touches and no other; and the jobs that run on them through
dlrepro.runner."""

import json
import sys

import numpy as np
import pytest

from dlrepro.autoencoder.numpy_training import NumpyAEConfig
from dlrepro.autoencoder.settings import (
    AE_MODELS,
    ae_baselines_run_settings,
    numpy_ae_run_settings,
    numpy_ae_tuned_run_settings,
    torch_ae_run_settings,
)
from dlrepro.autoencoder.study import fit_baselines_job, train_numpy_job, train_torch_job
from dlrepro.data.prepare import prepare
from dlrepro.data.synthetic import write_mnist
from dlrepro.io import write_json
from dlrepro.runner import run_job
from tests.conftest import default_config, snakemake_job, with_setting


@pytest.fixture
def block():
    return default_config()["autoencoder"]


def test_the_paper_run_gets_its_reading_and_not_the_list_of_readings(block):
    run = numpy_ae_run_settings(block, "mean")
    assert run["model"]["loss_reduction"] == "mean" and "loss_reductions" not in run["model"]
    assert run["data"] == block["data"]
    NumpyAEConfig.from_dict(run["model"])  # exactly the keys the NumPy autoencoder takes
    assert {k: v for k, v in run["model"].items() if k != "loss_reduction"} == {
        k: v for k, v in block["numpy_ae"].items() if k not in ("loss_reduction", "loss_reductions")
    }


@pytest.mark.parametrize(
    "path,value",
    [
        (("numpy_ae", "loss_reductions"), ["sum"]),
        (("numpy_ae", "loss_reduction"), "mean"),  # the default reading picks figures, not settings
        (("numpy_ae_tuned", "epochs"), 99),
        (("torch_ae", "epochs"), 99),
        (("baselines", "pca_components"), 3),
        (("figures", "progression_rows"), 3),
    ],
)
def test_the_paper_run_ignores_the_other_blocks_and_the_picks(block, path, value):
    assert numpy_ae_run_settings(with_setting(block, path, value), "sum") == numpy_ae_run_settings(block, "sum")


def test_the_tuned_run_takes_the_papers_architecture_and_its_own_training(block):
    run = numpy_ae_tuned_run_settings(block)
    NumpyAEConfig.from_dict(run["model"])
    assert run["model"] == {
        "hidden_dim": block["numpy_ae"]["hidden_dim"],
        "init_std": block["numpy_ae"]["init_std"],
        "optimizer": "adam",
        "loss_reduction": "mean",
        "snapshot_every": 1000,
        **block["numpy_ae_tuned"],
    }
    assert numpy_ae_tuned_run_settings(with_setting(block, ("numpy_ae", "epochs"), 99)) == run
    assert numpy_ae_tuned_run_settings(with_setting(block, ("numpy_ae", "hidden_dim"), 8)) != run


@pytest.mark.parametrize("model", list(AE_MODELS))
def test_a_torch_run_is_valid_for_its_model_and_shares_the_training_settings(block, model):
    pytest.importorskip("torch")
    from dlrepro.autoencoder.training import TorchAEConfig

    run = torch_ae_run_settings(block, model)
    config = TorchAEConfig.from_dict(run["model"])
    for key in ("epochs", "batch_size", "learning_rate"):
        assert getattr(config, key) == block["torch_ae"][key]
    assert run["data"] == block["data"]
    for pick in ("models", "code_size", "code_sizes", "vae_code_size"):
        assert pick not in run["model"]


@pytest.mark.parametrize(
    "path,value,changes",
    [
        (("torch_ae", "vae_hidden"), 7, {"vae"}),
        (("torch_ae", "conv_channels"), [3, 5], {"conv", "denoising_gaussian", "denoising_mask"}),
        (("torch_ae", "noise", "mask"), 0.1, {"denoising_mask"}),
        (("torch_ae", "noise", "gaussian"), 0.1, {"denoising_gaussian"}),
        (("torch_ae", "epochs"), 9, set(AE_MODELS)),
        (("torch_ae", "bf16"), "auto", set(AE_MODELS)),
        (("data", "train_examples"), 100, set(AE_MODELS)),
        (("torch_ae", "models"), ["basic"], set()),
        (("torch_ae", "code_size"), 8, set()),
        (("torch_ae", "code_sizes"), [8, 64], set()),
        (("torch_ae", "vae_code_size"), 2, set()),
        (("numpy_ae", "epochs"), 99, set()),
    ],
)
def test_a_torch_setting_reaches_only_the_models_that_read_it(block, path, value, changes):
    other = with_setting(block, path, value)
    changed = {m for m in AE_MODELS if torch_ae_run_settings(other, m) != torch_ae_run_settings(block, m)}
    assert changed == changes


def test_an_unknown_torch_model_is_refused(block):
    with pytest.raises(ValueError, match="unknown autoencoder 'transformer'"):
        torch_ae_run_settings(block, "transformer")


def test_the_baselines_get_the_code_sizes_and_no_figure_settings(block):
    run = ae_baselines_run_settings(block)
    assert run["baselines"] == {
        "pca_components": block["baselines"]["pca_components"],
        "code_sizes": block["torch_ae"]["code_sizes"],
    }
    assert "figure_digits" not in run["data"] and run["data"]["dataset"] == block["data"]["dataset"]
    for path, value in [(("data", "figure_digits"), 3), (("torch_ae", "epochs"), 9), (("numpy_ae", "epochs"), 9)]:
        assert ae_baselines_run_settings(with_setting(block, path, value)) == run


def test_the_settings_are_plain_data_that_do_not_alias_the_config(block):
    run = numpy_ae_run_settings(block, "sum")
    run["data"]["train_examples"] = -1
    run["model"]["epochs"] = -1
    assert block["data"]["train_examples"] != -1 and block["numpy_ae"]["epochs"] != -1


def _reversed(value):
    if isinstance(value, dict):
        return {k: _reversed(value[k]) for k in reversed(list(value))}
    return value


@pytest.mark.parametrize(
    "build",
    [
        lambda b: numpy_ae_run_settings(b, "sum"),
        numpy_ae_tuned_run_settings,
        lambda b: torch_ae_run_settings(b, "denoising_mask"),
        lambda b: torch_ae_run_settings(b, "vae"),
        ae_baselines_run_settings,
    ],
)
def test_the_order_in_which_config_files_set_the_keys_is_no_setting(block, build):
    """Snakemake compares params in order; a config merged from an overlay orders its keys differently."""
    run, other = build(block), build(_reversed(block))
    assert json.dumps(run) == json.dumps(other)


def test_the_module_imports_neither_torch_nor_numpy():
    """The Snakefile imports it when it is parsed."""
    import ast
    import inspect

    from dlrepro.autoencoder import settings

    tree = ast.parse(inspect.getsource(settings))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not {n for n in names if n.split(".")[0] in ("torch", "numpy")}, names
    assert "dlrepro.autoencoder.settings" in sys.modules


# ---- the jobs: the settings above, run through dlrepro.runner as the workflow's scripts run them ----


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp("ae_jobs")
    prepare("mnist", write_mnist(root, n_train=96, n_test=32, seed=1), root / "mnist.npz")
    write_json(root / "provenance.json", {"status": "unverified copy"})
    return {"cache": str(root / "mnist.npz"), "provenance": str(root / "provenance.json")}


@pytest.fixture
def small(block):
    block = with_setting(
        block, ("data",), {"dataset": "mnist", "train_examples": 64, "test_examples": 32, "figure_digits": 4}
    )
    block["numpy_ae"].update(hidden_dim=8, epochs=1, batch_size=32, snapshot_every=1)
    block["numpy_ae_tuned"].update(epochs=1, batch_size=32)
    block["torch_ae"].update(epochs=1, batch_size=32, conv_channels=[2, 4], vae_hidden=8, code_sizes=[4, 8])
    block["baselines"]["pca_components"] = 4
    return block


def test_the_numpy_job_writes_its_outputs_with_the_data_status_and_removes_its_checkpoint(tmp_path, images, small):
    outputs = {"metrics": "metrics.json", "history": "history.csv", "snapshots": "snapshots.npz"}
    run = numpy_ae_run_settings(small, "mean")
    wildcards = {"ae_reduction": "mean", "seed": "3"}
    smk = snakemake_job(tmp_path, "train_numpy_autoencoder", run, inputs=images, wildcards=wildcards, outputs=outputs)
    run_job(smk, train_numpy_job, torch=False, checkpoint=".checkpoint.npz")
    out = tmp_path / "out"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data_status"] == "unverified copy" and metrics["seed"] == 3 and metrics["loss_reduction"] == "mean"
    assert metrics["train_examples"] == 64 and metrics["hidden_dim"] == 8 and metrics["optimizer"] == "sgd"
    assert len(np.load(out / "snapshots.npz")["originals"]) == 4
    assert not (out / ".checkpoint.npz").exists()


def test_the_torch_job_and_the_baselines_job(tmp_path, images, small):
    pytest.importorskip("torch")
    outputs = {"metrics": "metrics.json", "history": "history.csv", "samples": "samples.npz"}
    wildcards = {"ae_model": "denoising_mask", "ae_code": "8", "seed": "0"}
    run = torch_ae_run_settings(small, "denoising_mask")
    smk = snakemake_job(tmp_path, "train_torch_autoencoder", run, inputs=images, wildcards=wildcards, outputs=outputs)
    run_job(smk, train_torch_job)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert (
        metrics["model"] == "denoising_mask"
        and metrics["code_size"] == 8
        and metrics["data_status"] == "unverified copy"
    )
    assert not (tmp_path / "out" / ".checkpoint.pt").exists()

    base = tmp_path / "base"
    base.mkdir()
    run, outputs = ae_baselines_run_settings(small), {"metrics": "b.json"}
    smk = snakemake_job(base, "fit_autoencoder_baselines", run, inputs=images, outputs=outputs)
    run_job(smk, fit_baselines_job, torch=False, checkpoint=None)
    baselines = json.loads((base / "out" / "b.json").read_text())
    assert set(baselines["pca_sweep"]) == {"4", "8"} and baselines["pca_components"] == 4
    assert baselines["data_status"] == "unverified copy" and baselines["test_examples"] == 32


def test_a_provenance_record_without_a_status_stops_the_job(tmp_path, images, small):
    write_json(tmp_path / "provenance.json", {"source": "somewhere"})
    inputs = {**images, "provenance": str(tmp_path / "provenance.json")}
    outputs = {"metrics": "metrics.json", "history": "history.csv", "snapshots": "snapshots.npz"}
    run = numpy_ae_tuned_run_settings(small)
    smk = snakemake_job(
        tmp_path, "train_numpy_autoencoder_tuned", run, inputs=inputs, wildcards={"seed": "0"}, outputs=outputs
    )
    with pytest.raises(ValueError, match="no 'status'"):
        run_job(smk, train_numpy_job, torch=False, checkpoint=".checkpoint.npz")
