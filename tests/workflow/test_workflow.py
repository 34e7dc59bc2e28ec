"""The pipeline as a user runs it: the real `snakemake` command line on the real Snakefile."""

import json
import os
import platform
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.workflow.conftest import SNAKEMAKE, snakemake  # noqa: F401 (studies' tests import them from here too)


def test_dry_run_of_the_default_config(tmp_path):
    out = snakemake(tmp_path, "-n", "--quiet", "rules").stdout
    for rule in (
        "download_idx_images",
        "prepare_dataset",
        "train_numpy_autoencoder",
        "train_torch_autoencoder",
        "build_report",
    ):
        assert rule in out, f"{rule} missing from the default DAG"


def test_dry_run_of_all_data_rules(tmp_path):
    out = snakemake(tmp_path, "prepare_all_data", "-n", "--quiet", "rules").stdout
    for rule in ("download_idx_images", "download_cifar10", "download_rt_polarity", "download_tiny_shakespeare"):
        assert rule in out


def test_lint(tmp_path):
    done = snakemake(tmp_path, "--lint", check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_snakefmt():
    files = [str(REPO / "Snakefile"), *map(str, sorted((REPO / "workflow" / "rules").glob("*.smk")))]
    done = subprocess.run([sys.executable, "-m", "snakefmt", "--check", *files], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    "override,message",
    [
        (["autoencoder={'numpy_ae': {'hiden_dim': 3}}"], "'hiden_dim' was unexpected"),
        (["seeds=[]"], "seeds"),
        (["data_checksums=lenient"], "'lenient' is not one of ['strict', 'warn']"),
        (["autoencoder={'numpy_ae': {'loss_reduction': 'sum', 'loss_reductions': ['mean']}}"], "loss_reduction"),
        (["autoencoder={'numpy_ae': {'learning_rate': -0.1}}"], "learning_rate"),
    ],
)
def test_bad_config_fails_before_any_job_and_names_the_key(tmp_path, override, message):
    done = snakemake(tmp_path, "-n", "--config", *override, check=False)
    assert done.returncode != 0
    assert message in done.stdout + done.stderr
    assert not (tmp_path / "results").exists()


def test_a_mistyped_key_is_explained_in_a_few_lines_with_the_keys_allowed_there(tmp_path):
    done = snakemake(tmp_path, "-n", "--config", "autoencoder={'torch_ae': {'epoch': 3}}", check=False)
    out = done.stdout + done.stderr
    assert done.returncode != 0 and "'epoch' was unexpected" in out
    assert "at autoencoder.torch_ae" in out and "keys allowed here: models, code_size" in out and "epochs" in out
    assert "workflow/schemas/autoencoder.schema.yaml" in out
    assert len(out.splitlines()) < 25, f"the schema and config are not dumped ({len(out.splitlines())} lines)"


def test_more_gan_samples_than_training_images_is_refused_before_any_job(tmp_path):
    small = tmp_path / "small.yaml"
    small.write_text("gan:\n  data:\n    train_examples: 100\n")
    done = snakemake(tmp_path, "-n", "--configfile", str(small), check=False)
    out = done.stdout + done.stderr
    assert done.returncode != 0 and "gan.eval.samples_per_epoch (2000) exceeds the training images" in out


def test_missing_offline_data_names_the_file(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    done = snakemake(
        tmp_path,
        "--cores",
        "1",
        "resources/mnist/provenance.json",
        "--configfile",
        str(REPO / "config" / "tiny.yaml"),
        "--config",
        f"data_dir={empty}",
        check=False,  # no --show-failed-logs: the
        # workflow's default profile (profiles/default) prints the failed job's log, which holds the reason
    )
    assert done.returncode != 0
    text = done.stdout + done.stderr
    assert "train-images-idx3-ubyte.gz: not found in the offline data directory" in text
    assert "yann.lecun.com" in text
    assert not (tmp_path / "resources" / "mnist" / "provenance.json").exists()


@pytest.mark.e2e
def test_tiny_config_end_to_end(tiny_run):
    work, args = tiny_run
    pdf = work / "results" / "report" / "report.pdf"
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    metrics = json.loads((work / "results/autoencoder/numpy_ae/sum/seed0/metrics.json").read_text())
    assert metrics["data_status"] == "unverified copy", "synthetic data cannot match the published checksums"
    assert 0 < metrics["test_mse"] < 1 and metrics["train_examples"] == 512
    summary = json.loads((work / "results/autoencoder/summary.json").read_text())
    assert set(summary["readings"]) == {"mean", "sum"} and summary["readings"]["sum"]["test_mse"]["n"] == 2
    assert "unverified copy" in (work / "results/report/generated/provenance.tex").read_text()
    models = json.loads((work / "results/autoencoder/models_summary.json").read_text())
    assert set(models["rows"]) >= {"numpy_ae_paper", "numpy_ae_tuned", "basic", "conv", "vae", "denoising_mask"}
    assert set(models["sweep"]) == {"basic", "conv", "pca"} and set(models["sweep"]["conv"]) == {"8", "16"}
    for figure in (
        "ae_reconstructions",
        "ae_loss_readings",
        "ae_progression",
        "ae_learning_curves",
        "ae_models",
        "ae_compression",
        "ae_denoising",
        "ae_vae",
    ):
        assert (work / "results/report/figures" / f"{figure}.pdf").stat().st_size > 1000
    assert list((work / "benchmarks-out" / "train_numpy_autoencoder").rglob("*.tsv"))
    numpy_log = (work / "logs/train_numpy_autoencoder/sum/seed0.log").read_text()
    assert numpy_log.count("epoch") >= 1
    if platform.libc_ver()[0] == "glibc":  # the workflow's malloc settings reach the jobs (dlrepro.malloc)
        assert "mmap threshold 32 MiB, trim threshold 256 MiB (MALLOC_*_ environment)" in numpy_log, numpy_log

    # a complete results tree: nothing to do
    again = snakemake(work, "-n", *args)
    assert "Nothing to be done" in again.stdout + again.stderr

    # editing only the report template reruns only the report build
    template = REPO / "workflow" / "report" / "report.tex"
    stamp = template.stat().st_mtime
    try:
        os.utime(template, None)
        plan = snakemake(work, "-n", "--quiet", "rules", *args).stdout
    finally:
        os.utime(template, (stamp, stamp))
    assert "build_report" in plan
    assert "train_numpy_autoencoder" not in plan and "write_autoencoder_report_values" not in plan


@pytest.mark.e2e
def test_report_rule_names_the_latex_packages_when_latexmk_is_missing(tiny_run, tmp_path):
    done_work, args = tiny_run
    work = tmp_path / "work"  # a copy, so the shared run stays complete
    shutil.copytree(done_work, work, symlinks=True)
    (work / "results" / "report" / "report.pdf").unlink()
    bin_dir = tmp_path / "bin"  # a PATH with python and a shell but without latexmk
    bin_dir.mkdir()
    for tool in ("python", "python3", "git", "bash", "sh", "which", "env"):
        if shutil.which(tool):
            os.symlink(shutil.which(tool), bin_dir / tool)
    env = {**os.environ, "PATH": str(bin_dir)}
    done = subprocess.run(
        [*SNAKEMAKE, "--directory", str(work), "--cores", "2", *args, "--show-failed-logs"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode != 0
    assert (
        "latexmk is not installed" in done.stdout + done.stderr
        and "texlive-latex-recommended" in done.stdout + done.stderr
    )


def test_unknown_autoencoder_dataset_names_the_allowed_ones(tmp_path):
    done = snakemake(tmp_path, "-n", "--config", "autoencoder={'data': {'dataset': 'kmnist'}}", check=False)
    assert done.returncode != 0
    assert "kmnist" in done.stdout + done.stderr and "fashion_mnist" in done.stdout + done.stderr


@pytest.mark.e2e
def test_autoencoder_study_on_another_idx_dataset_by_config_only(tmp_path):
    """A declared IDX set (here: small generated files served as an offline copy) replaces MNIST."""
    import hashlib

    from dlrepro.data.sources import IDX_FILES
    from dlrepro.data.synthetic import write_mnist

    data = tmp_path / "data"
    raw = write_mnist(data, n_train=256, n_test=64, seed=5)
    (data / "my_digits").mkdir()
    md5 = {}
    for name in IDX_FILES:
        (raw / name).rename(data / "my_digits" / name)
        md5[name] = hashlib.md5((data / "my_digits" / name).read_bytes()).hexdigest()
    config = tmp_path / "extra.yaml"
    config.write_text(
        json.dumps(
            {
                "idx_datasets": {
                    "my_digits": {"base_urls": ["http://127.0.0.1:9/none/"], "md5": md5, "description": "test set"}
                },
                "autoencoder": {"data": {"dataset": "my_digits"}},
            }
        )
    )
    work = tmp_path / "work"
    args = ["--configfile", str(REPO / "config" / "tiny.yaml"), str(config), "--config", f"data_dir={data}"]
    # the autoencoder study alone (the other studies need their own data sets)
    targets = ["results/autoencoder/claims.json", "results/report/figures/ae_models.pdf"]
    snakemake(work, *targets, "--cores", "2", "--show-failed-logs", *args)
    prov = json.loads((work / "resources/my_digits/provenance.json").read_text())
    assert prov["status"] == "verified", "checksums given in the config are verified like the built-in ones"
    metrics = json.loads((work / "results/autoencoder/conv/code16/seed0/metrics.json").read_text())
    assert metrics["dataset"] == "my_digits" and metrics["train_examples"] == 256
    assert json.loads((work / "results/autoencoder/claims.json").read_text())[0]["id"] == "ae-recognisable"
    assert (work / "results/report/figures/ae_models.pdf").stat().st_size > 1000
