"""The GAN study end to end on the tiny config and synthetic MNIST: its targets, and what they contain."""

import json

import numpy as np
import pytest

TARGETS = [
    "results/gan/claims.json",
    "results/report/figures/gan_figure2.pdf",
    "results/report/generated/gan_values.tex",
]


@pytest.fixture(scope="module")
def gan_run(tiny_run):
    """The shared complete tiny run (synthetic offline data) holds the GAN study's targets too."""
    work, _ = tiny_run
    for target in TARGETS:
        assert (work / target).is_file(), f"{target} missing from the tiny run"
    return work


@pytest.mark.e2e
def test_gan_study_runs_every_model_and_seed_and_scores_it(gan_run):
    for kind in ("gan", "lsgan", "bigan"):
        for seed in (0, 1):
            run = gan_run / f"results/gan/{kind}/seed{seed}"
            metrics = json.loads((run / "metrics.json").read_text())
            assert metrics["data_status"] == "unverified copy"
            assert np.isfinite(metrics["final"]["fid"]) and metrics["final"]["fid"] >= 0
            assert 1.0 <= metrics["final"]["inception_score"] <= 10.0
            assert abs(sum(metrics["final"]["class_share"]) - 1) < 1e-9
            rows = (run / "history.csv").read_text().splitlines()
            assert rows[0].startswith("epoch,loss_d,loss_g,seconds,fid") and len(rows) == 1 + 3, "epochs 0, 1, 2"
            samples = np.load(run / "samples.npz")
            assert samples["grids"].shape == (3, 16, 784) and samples["grids"].dtype == np.uint8
            assert not (run / ".checkpoint.pt").exists(), "the checkpoint is removed once the outputs exist"
    bigan = json.loads((gan_run / "results/gan/bigan/seed0/metrics.json").read_text())["bigan"]
    assert set(bigan["probe_accuracy"]) == {"encoder", "pixels", "random_encoder"}
    classifier = json.loads((gan_run / "results/gan/classifier/metrics.json").read_text())
    assert classifier["test_accuracy"] > 0.3, "the tiny classifier learns the synthetic digits"


@pytest.mark.e2e
def test_gan_claims_figures_and_report_values(gan_run):
    claims = json.loads((gan_run / "results/gan/claims.json").read_text())
    assert [c["id"] for c in claims] == ["gan-resemble", "gan-improves", "lsgan-stability", "bigan-encoder"]
    assert all(c["verdict"] in ("reproduced", "not reproduced", "inconclusive") for c in claims)
    for name in ("figure2", "evolution", "variants", "losses", "quality", "coverage", "bigan_reconstructions"):
        assert (gan_run / f"results/report/figures/gan_{name}.pdf").read_bytes().startswith(b"%PDF")
    assert (gan_run / "results/gan/gan_evolution.gif").read_bytes().startswith(b"GIF8")
    values = (gan_run / "results/report/generated/gan_values.tex").read_text()
    assert "\\newcommand{\\ganVerdictResemble}" in values and "\\newcommand{\\ganFidGan}" in values


@pytest.mark.e2e
def test_gan_and_autoencoder_studies_on_fashion_mnist_in_one_command(tmp_path):
    """The built-in Fashion-MNIST (here: small files in its IDX format, an offline copy) replaces MNIST in both
    image studies; the GAN's metric classifier is trained on it, and the report says which data it was."""
    from dlrepro.data.synthetic import write_mnist
    from tests.conftest import REPO
    from tests.workflow.conftest import snakemake

    data = tmp_path / "data"
    raw = write_mnist(data, n_train=256, n_test=128, seed=7)
    raw.rename(data / "fashion_mnist")
    config = tmp_path / "fashion.yaml"
    config.write_text(
        json.dumps(
            {
                "seeds": [0],
                "gan": {"models": ["gan"], "data": {"dataset": "fashion_mnist"}},
                "autoencoder": {"data": {"dataset": "fashion_mnist"}},
            }
        )
    )
    work = tmp_path / "work"
    targets = [
        "results/gan/claims.json",
        "results/report/generated/gan_values.tex",
        "results/report/figures/gan_coverage.pdf",
        "results/autoencoder/claims.json",
    ]
    snakemake(
        work,
        *targets,
        "--cores",
        "2",
        "--show-failed-logs",
        "--configfile",
        str(REPO / "config" / "tiny.yaml"),
        str(config),
        "--config",
        f"data_dir={data}",
        "data_checksums=warn",
    )
    assert not (work / "resources" / "mnist").exists(), "MNIST is neither fetched nor used"
    assert json.loads((work / "results/gan/classifier/metrics.json").read_text())["dataset"] == "fashion_mnist"
    assert json.loads((work / "results/gan/gan/seed0/metrics.json").read_text())["dataset"] == "fashion_mnist"
    claims = {c["id"]: c for c in json.loads((work / "results/gan/claims.json").read_text())}
    assert (
        claims["gan-resemble"]["claim"] == "The GAN learns to generate new images that resemble Fashion-MNIST images."
    )
    assert "\\newcommand{\\ganDataset}{Fashion-MNIST}" in (work / "results/report/generated/gan_values.tex").read_text()
    assert (
        json.loads((work / "results/autoencoder/summary.json").read_text())["baselines"]["dataset"] == "fashion_mnist"
    )
