"""The tiny config submitted to a real SLURM through `--profile profiles/slurm`, as a user would.

Overrides for the test cluster come on the command line: the first status check after 2 s instead of
the plugin's 40 s, and a job limit of the node's two cores.
"""

import json
import os
import re
import subprocess

import pytest

from dlrepro.data.synthetic import write_offline_dir
from tests.cluster.conftest import run_bounded, snakemake_cmd
from tests.conftest import REPO

pytestmark = [pytest.mark.cluster, pytest.mark.e2e]

PROFILE = REPO / "profiles" / "slurm"
TEST_OVERRIDES = ["--slurm-init-seconds-before-status-checks", "2", "--jobs", "2"]
TRAINING_TARGETS = [
    "results/autoencoder/basic/code16/seed0/metrics.json",
    "results/autoencoder/numpy_ae/sum/seed0/metrics.json",
]


def slurm_jobs(output: str) -> dict[str, str]:
    """SLURM job id -> rule, from the plugin's 'submitted with SLURM jobid' lines."""
    found = re.findall(r"submitted with SLURM jobid (\d+) \(log: \S*/rule_(\w+)/", output)
    return {job: rule for job, rule in found}


def sacct(job_ids, fields="JobID,JobName,State,ExitCode,AllocTRES") -> list[dict]:
    done = subprocess.run(
        ["sacct", "-X", "-n", "-P", "-j", ",".join(job_ids), "-o", fields], capture_output=True, text=True, timeout=30, check=True
    )
    names = fields.split(",")
    return [dict(zip(names, line.split("|"))) for line in done.stdout.splitlines() if line]


def test_tiny_autoencoder_jobs_run_through_slurm(slurm_cluster, tmp_path):
    data = write_offline_dir(tmp_path / "data")
    work = tmp_path / "work"
    done = run_bounded(
        snakemake_cmd(
            "--snakefile", REPO / "Snakefile", "--profile", PROFILE, "--directory", work, *TEST_OVERRIDES, *TRAINING_TARGETS,
            "--configfile", REPO / "config" / "tiny.yaml", "--config", f"data_dir={data}", "data_checksums=warn",
        ),
        timeout=180, env={**os.environ, "DLREPRO_DATA_DIR": ""},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:]

    # every job of the DAG went through sbatch, and SLURM's accounting saw each one complete
    jobs = slurm_jobs(done.stdout)
    assert sorted(jobs.values()) == ["download_idx_images", "prepare_dataset", "train_numpy_autoencoder", "train_torch_autoencoder"], done.stdout[-3000:]
    run_id = re.search(r"SLURM run ID: (\S+)", done.stdout).group(1)
    rows = sacct(jobs)
    assert {r["JobID"] for r in rows} == set(jobs)
    for row in rows:
        assert row["State"] == "COMPLETED" and row["ExitCode"] == "0:0", row
        assert row["JobName"] == run_id, "the plugin names every job after its run"
    by_rule = {jobs[r["JobID"]]: r for r in rows}
    assert "mem=2500M" in by_rule["train_torch_autoencoder"]["AllocTRES"], "the rule's mem_mb reached sbatch"
    assert "cpu=1," in by_rule["train_torch_autoencoder"]["AllocTRES"], "threads: 1 became one CPU"

    # the outputs are the real thing, not placeholders
    torch_metrics = json.loads((work / TRAINING_TARGETS[0]).read_text())
    assert torch_metrics["model"] == "basic" and torch_metrics["train_examples"] == 512
    assert 0 < torch_metrics["test_mse"] < 1 and torch_metrics["data_status"] == "unverified copy"
    numpy_metrics = json.loads((work / TRAINING_TARGETS[1]).read_text())
    assert numpy_metrics["loss_reduction"] == "sum" and 0 < numpy_metrics["test_mse"] < 1
    assert "epoch" in (work / "logs/train_numpy_autoencoder/sum/seed0.log").read_text()


@pytest.mark.parametrize(
    "request_as,overrides",
    [
        ("--gpus=1", []),  # the rule's own `gpu=1`
        ("--gres=gpu:1", ["--set-resources", "see_gpu:gpu=0", "see_gpu:gres='gpu:1'"]),  # README's alternative
    ],
)
def test_gpu_rule_gets_one_gpu_and_sees_cuda_visible_devices(slurm_cluster, tmp_path, request_as, overrides):
    done = run_bounded(
        snakemake_cmd(
            "--snakefile", REPO / "tests" / "cluster" / "gpu.smk", "--profile", PROFILE, "--directory", tmp_path, *TEST_OVERRIDES,
            *overrides, "--verbose",
        ),
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:]
    jobs = slurm_jobs(done.stdout)
    assert list(jobs.values()) == ["see_gpu"], done.stdout[-3000:]
    sbatch = [line for line in done.stdout.splitlines() if "sbatch call:" in line]
    assert sbatch and request_as in sbatch[0], sbatch
    assert ("--gpus" in sbatch[0]) != ("--gres" in sbatch[0]), f"one GPU request, not both forms: {sbatch[0]}"
    (row,) = sacct(jobs)
    assert row["State"] == "COMPLETED" and "gres/gpu=1" in row["AllocTRES"], row
    seen = (tmp_path / "gpu" / "visible.txt").read_text().split()
    assert seen == ["CUDA_VISIBLE_DEVICES=0", f"SLURM_JOB_ID={row['JobID']}"], "SLURM gave the job its one GPU"
