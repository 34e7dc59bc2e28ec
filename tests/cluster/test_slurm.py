"""The tiny config submitted to a real SLURM through `--profile profiles/slurm`, as a user would.

Overrides for the test cluster come on the command line: the first status check after 2 s instead of
the plugin's 40 s, and a job limit of the node's two cores. One training job is killed mid-training
(SIGKILL inside the SLURM job, as an out-of-memory kill or a node fault ends it); the profile's retry
resubmits it and it resumes. (`scancel` would be the obvious way, but plugin 2.8.0 compares sacct's
state exactly and never recognises "CANCELLED by <uid>", so it would wait for that job forever.)
"""

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from dlrepro.data.synthetic import write_offline_dir
from tests.cluster.conftest import run_bounded, snakemake_cmd
from tests.conftest import REPO

pytestmark = [pytest.mark.cluster, pytest.mark.e2e]

PROFILE = REPO / "profiles" / "slurm"
TEST_OVERRIDES = ["--slurm-init-seconds-before-status-checks", "2", "--jobs", "2"]
TORCH_RUN = "results/autoencoder/conv/code16/seed0"
TRAINING_TARGETS = [f"{TORCH_RUN}/metrics.json", "results/autoencoder/numpy_ae/sum/seed0/metrics.json"]
EPOCHS = 60


def slurm_jobs(output: str) -> dict[str, str]:
    """SLURM job id -> rule, from the plugin's 'submitted with SLURM jobid' lines."""
    found = re.findall(r"submitted with SLURM jobid (\d+) \(log: \S*/rule_(\w+)/", output)
    return {job: rule for job, rule in found}


def sacct(job_ids, fields="JobID,JobName,State,ExitCode,AllocTRES") -> list[dict]:
    done = subprocess.run(
        ["sacct", "-X", "-n", "-P", "-j", ",".join(job_ids), "-o", fields],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    names = fields.split(",")
    return [dict(zip(names, line.split("|"))) for line in done.stdout.splitlines() if line]


def training_processes(script: str, workdir: Path) -> list[int]:
    """Pids of the processes running workflow script `script` in `workdir` (Snakemake runs a copy from .snakemake/scripts/)."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(proc / "cwd")
        except OSError:  # ended meanwhile, or not ours to inspect
            continue
        if cwd == str(workdir) and any(a.endswith(f".{script}".encode()) and b".snakemake/scripts/" in a for a in args):
            pids.append(int(proc.name))
    return pids


def kill_when_checkpointed(proc, checkpoint, script, workdir, deadline_s=150) -> None:
    """Once `checkpoint` exists, SIGKILL the training process inside its SLURM job (the job then fails)."""
    deadline = time.monotonic() + deadline_s
    while not checkpoint.exists():
        assert proc.poll() is None, "snakemake ended before the training job wrote a checkpoint"
        assert time.monotonic() < deadline, f"no checkpoint after {deadline_s} s"
        time.sleep(0.02)
    (pid,) = training_processes(script, workdir)
    os.kill(pid, signal.SIGKILL)


def test_tiny_autoencoder_jobs_run_through_slurm_and_a_killed_one_resumes(slurm_cluster, tmp_path):
    data = write_offline_dir(tmp_path / "data")
    work = tmp_path / "work"
    more_epochs = tmp_path / "more_epochs.yaml"  # the tiny config's 1 epoch has no middle to cancel in
    more_epochs.write_text(json.dumps({"autoencoder": {"torch_ae": {"epochs": EPOCHS}}}))
    cmd = snakemake_cmd(
        "--snakefile",
        REPO / "Snakefile",
        "--profile",
        PROFILE,
        "--directory",
        work,
        *TEST_OVERRIDES,
        *TRAINING_TARGETS,
        "--configfile",
        REPO / "config" / "tiny.yaml",
        more_epochs,
        "--config",
        f"data_dir={data}",
        "data_checksums=warn",
    )
    with open(tmp_path / "snakemake.out", "w+") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            env={**os.environ, "DLREPRO_DATA_DIR": ""},
        )
        try:
            kill_when_checkpointed(proc, work / TORCH_RUN / ".checkpoint.pt", "train_torch_autoencoder.py", work)
            proc.wait(timeout=200)
        finally:
            if proc.poll() is None:  # a snakemake that never learns its jobs ended ignores SIGTERM
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        out.seek(0)
        output = out.read()
    assert proc.returncode == 0, output[-6000:]

    # every job went through sbatch, and SLURM's accounting saw each one end: the failed training
    # job was resubmitted once (the profile's retries) with twice the time limit and completed
    jobs = slurm_jobs(output)
    rules = [
        "download_idx_images",
        "prepare_dataset",
        "train_numpy_autoencoder",
        "train_torch_autoencoder",
        "train_torch_autoencoder",
    ]
    assert sorted(jobs.values()) == rules, output[-3000:]
    run_id = re.search(r"SLURM run ID: (\S+)", output).group(1)
    rows = {r["JobID"]: r for r in sacct(jobs, "JobID,JobName,State,ExitCode,AllocTRES,Timelimit")}
    assert set(rows) == set(jobs)
    first, retried = sorted((job for job, rule in jobs.items() if rule == "train_torch_autoencoder"), key=int)
    assert rows[first]["State"] == "FAILED" and rows[first]["Timelimit"] == "00:30:00", rows[first]
    for job, row in rows.items():
        assert row["JobName"] == run_id, "the plugin names every job after its run"
        if job != first:
            assert row["State"] == "COMPLETED" and row["ExitCode"] == "0:0", row
    assert rows[retried]["Timelimit"] == "01:00:00", "runtime=per_attempt(30): twice the time on the retry"
    assert "mem=2500M" in rows[retried]["AllocTRES"] and "cpu=1," in rows[retried]["AllocTRES"], (
        "the rule's mem_mb and threads reached sbatch"
    )

    # the retry continued the killed run rather than starting over
    log = (work / "logs/train_torch_autoencoder/conv/code16/seed0.log").read_text()
    resumed = re.search(r"resuming from checkpoint \S+ \(epoch (\d+)\)", log)
    assert resumed and 1 <= int(resumed.group(1)) < EPOCHS, log[-2000:]
    assert log.count(" train_loss ") == EPOCHS - int(resumed.group(1))
    assert not (work / TORCH_RUN / ".checkpoint.pt").exists()

    # the outputs are the real thing, not placeholders
    torch_metrics = json.loads((work / TRAINING_TARGETS[0]).read_text())
    assert torch_metrics["model"] == "conv" and torch_metrics["train_examples"] == 512
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
            "--snakefile",
            REPO / "tests" / "cluster" / "gpu.smk",
            "--profile",
            PROFILE,
            "--directory",
            tmp_path,
            *TEST_OVERRIDES,
            *overrides,
            "--verbose",
        ),
        timeout=120,
    )
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
