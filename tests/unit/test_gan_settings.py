"""The GAN study's per-job settings (dlrepro.gan.settings) and its jobs run through dlrepro.runner."""

import copy
import json

import numpy as np
import pytest
import torch

from dlrepro.data.synthetic import synthetic_digits
from dlrepro.gan.settings import classifier_settings, run_settings, summary_settings
from dlrepro.gan.study import train_classifier_job, train_job
from dlrepro.io import write_json
from dlrepro.runner import run_job
from tests.conftest import default_config, snakemake_job, with_setting

# the default config's gan block with tiny data, networks, runs and samples, on the CPU
_GAN = default_config()["gan"]
GAN = {
    **_GAN,
    "device": "cpu",
    "data": {**_GAN["data"], "train_examples": 64, "test_examples": 32},
    "model": {**_GAN["model"], "latent_dim": 4, "hidden": 8},
    "optim": {**_GAN["optim"], "epochs": 1},
    "eval": {
        "samples_per_epoch": 16,
        "final_samples": 32,
        "grid_samples": 4,
        "probe_train": 32,
        "probe_steps": 2,
        "reconstruction_digits": 3,
    },
    "classifier": {
        **_GAN["classifier"],
        "epochs": 1,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "channels": [2, 4],
        "hidden": 8,
        "bf16": False,
    },
    "budgets": [0.5, 1.0],
    "figures": {"evolution_epochs": [1]},
}


@pytest.mark.parametrize("model", ["gan", "lsgan", "bigan"])
def test_a_run_gets_what_it_reads_and_nothing_else(model):
    run = run_settings(GAN, model)
    assert set(run) == {"device", "cuda_graph", "data", "model", "optim", "eval", "classifier"}
    assert run["classifier"] == {"channels": [2, 4], "hidden": 8}, "only the architecture its weights load into"
    assert run["optim"] == GAN["optim"] and run["data"] == GAN["data"] and run["device"] == "cpu"
    probe = {"probe_train", "probe_steps", "reconstruction_digits"}
    assert (probe <= set(run["eval"])) is (model == "bigan"), "the probe settings only in the BiGAN's runs"


@pytest.mark.parametrize(
    "path, value",
    [
        ("claims.gap_closed", 0.5),
        ("budgets", [0.25, 0.5, 1.0]),
        ("models", ["gan", "lsgan", "bigan"][::-1]),
        ("figures.evolution_epochs", [1, 2]),
        ("classifier.learning_rate", 1e-3),  # reaches the runs through the classifier's weights file only
        ("classifier.min_accuracy", 0.5),
    ],
)
def test_settings_no_run_reads_leave_every_run_unchanged(path, value):
    for model in GAN["models"]:
        assert run_settings(with_setting(GAN, path, value), model) == run_settings(GAN, model), (path, model)


def test_the_bigan_probe_settings_rerun_only_the_bigan():
    changed = with_setting(GAN, "eval.probe_steps", 50)
    assert run_settings(changed, "gan") == run_settings(GAN, "gan")
    assert run_settings(changed, "lsgan") == run_settings(GAN, "lsgan")
    assert run_settings(changed, "bigan")["eval"]["probe_steps"] == 50


@pytest.mark.parametrize("path, value", [("optim.epochs", 5), ("model.hidden", 16), ("device", "auto")])
def test_a_training_setting_reaches_every_run(path, value):
    for model in GAN["models"]:
        assert run_settings(with_setting(GAN, path, value), model) != run_settings(GAN, model)


def test_the_classifier_and_the_summary_get_their_own_settings():
    cls = classifier_settings(GAN)
    assert cls == {
        "data": GAN["data"],
        "classifier": GAN["classifier"],
        "eval": {"samples_per_epoch": 16, "final_samples": 32},
    }
    assert classifier_settings(with_setting(GAN, "optim.learning_rate", 1.0)) == cls, "the GANs' training is not its"
    assert classifier_settings(with_setting(GAN, "eval.probe_steps", 50)) == cls
    summary = summary_settings(GAN)
    assert "figures" not in summary and "device" not in summary and summary["budgets"] == [0.5, 1.0]


def test_settings_share_nothing_with_the_config():
    block = copy.deepcopy(GAN)
    run = run_settings(block, "gan")
    run["optim"]["betas"][0] = 0.0
    run["classifier"]["channels"][0] = 99
    assert block == GAN


def test_an_unconfigured_model_is_refused():
    with pytest.raises(ValueError, match="'bigan' is not among the configured gan.models"):
        run_settings(with_setting(GAN, "models", ["gan"]), "bigan")


@pytest.fixture
def data_files(tmp_path):
    (x_train, y_train), (x_test, y_test) = synthetic_digits(64, 0), synthetic_digits(32, 1)
    cache = tmp_path / "mnist.npz"
    np.savez(cache, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    provenance = tmp_path / "provenance.json"
    write_json(provenance, {"status": "unverified copy"})
    return {"cache": cache, "provenance": provenance}


def test_the_classifier_and_a_bigan_run_go_through_the_runner(tmp_path, data_files):
    torch.set_num_threads(1)
    cls_out = {"weights": "cls/classifier.pt", "metrics": "cls/metrics.json", "reference": "cls/reference.npz"}
    smk = snakemake_job(
        tmp_path, "train_gan_classifier", classifier_settings(GAN), inputs=data_files, outputs=cls_out, out_dir=""
    )
    run_job(smk, train_classifier_job, checkpoint=None)
    cls = json.loads((tmp_path / "cls/metrics.json").read_text())
    assert cls["data_status"] == "unverified copy" and set(cls["fid_floor"]) == {"16", "32"}
    assert set(np.load(tmp_path / "cls/reference.npz").files) == {"mu", "cov"}

    inputs = {**data_files, "classifier": tmp_path / cls_out["weights"], "reference": tmp_path / cls_out["reference"]}
    outputs = {"metrics": "run/metrics.json", "history": "run/history.csv", "samples": "run/samples.npz"}
    wildcards = {"gan_model": "bigan", "seed": "1"}
    run = run_settings(GAN, "bigan")
    smk = snakemake_job(tmp_path, "train_gan", run, inputs=inputs, outputs=outputs, wildcards=wildcards, out_dir="")
    run_job(smk, train_job)
    metrics = json.loads((tmp_path / "run/metrics.json").read_text())
    assert metrics["model"] == "bigan" and metrics["seed"] == 1 and metrics["data_status"] == "unverified copy"
    assert metrics["config"]["hidden"] == 8 and metrics["device"] == "cpu" and "bigan" in metrics
    assert (tmp_path / "run/history.csv").read_text().startswith("epoch,")
    assert {"grids", "samples", "originals", "reconstructions"} <= set(np.load(tmp_path / "run/samples.npz").files)
    assert not (tmp_path / "run/.checkpoint.pt").exists(), "the runner removes the checkpoint"


def test_a_provenance_record_without_a_status_is_refused(tmp_path, data_files):
    write_json(data_files["provenance"], {"source": "somewhere"})
    cls_out = {"weights": "cls/classifier.pt", "metrics": "cls/metrics.json", "reference": "cls/reference.npz"}
    smk = snakemake_job(
        tmp_path, "train_gan_classifier", classifier_settings(GAN), inputs=data_files, outputs=cls_out, out_dir=""
    )
    with pytest.raises(ValueError, match="has no 'status'"):
        run_job(smk, train_classifier_job, checkpoint=None)
