"""A training job killed with SIGKILL mid-training resumes from its checkpoint when rerun, and ends as an uninterrupted run.

The real command line on the real Snakefile: one torch autoencoder of the tiny config (more epochs, so
there is a middle to kill it in), run once without interruption, then forced to run again, killed
(snakemake and the job together, as when a node dies) once the checkpoint of an epoch appears, and
rerun as a user would after such a kill (`--unlock`, then the same command with `--rerun-incomplete`).
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from dlrepro.data.synthetic import write_offline_dir
from tests.conftest import REPO

pytestmark = pytest.mark.e2e

RUN = "results/autoencoder/conv/code16/seed0"
EPOCHS = 12
TIMING = {"seconds"}


def command(work, data, *args):
    more_epochs = work.parent / "more_epochs.yaml"  # the tiny config's 1 epoch has no middle
    more_epochs.write_text(json.dumps({"autoencoder": {"torch_ae": {"epochs": EPOCHS}}}))
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(work),
        "--cores",
        "1",
        *args,
        "--configfile",
        str(REPO / "config" / "tiny.yaml"),
        str(more_epochs),
        "--config",
        f"data_dir={data}",
        "data_checksums=warn",
    ]


def run(work, data, *args):
    done = subprocess.run(
        command(work, data, *args),
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DLREPRO_DATA_DIR": ""},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done


def outputs(work):
    metrics = json.loads((work / RUN / "metrics.json").read_text())
    with open(work / RUN / "history.csv") as f:
        history = list(csv.DictReader(f))
    strip = lambda row: {k: v for k, v in row.items() if k not in TIMING}  # noqa: E731
    return strip(metrics), [strip(row) for row in history]


def test_killed_training_job_resumes_and_matches_an_uninterrupted_run(tmp_path):
    data = write_offline_dir(tmp_path / "data")
    work = tmp_path / "work"
    checkpoint = work / RUN / ".checkpoint.pt"
    target = f"{RUN}/metrics.json"

    run(work, data, target)  # the reference: never interrupted
    reference = outputs(work)
    assert not checkpoint.exists(), "a finished job removes its checkpoint"
    assert len(reference[1]) == EPOCHS

    # the same job again, killed with SIGKILL as soon as an epoch's checkpoint is on disk
    proc = subprocess.Popen(
        command(work, data, target, "--forcerun", "train_torch_autoencoder"),  # --forcerun takes every name after it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "DLREPRO_DATA_DIR": ""},
    )
    try:
        deadline = time.monotonic() + 120
        while not checkpoint.exists():
            assert proc.poll() is None, "the job ended before writing a checkpoint"
            assert time.monotonic() < deadline, "no checkpoint after 120 s"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert not (work / target).exists(), "killed mid-training: the job had not written its outputs"

    run(work, data, "--unlock", target)
    run(work, data, "--rerun-incomplete", target)
    log = (work / "logs/train_torch_autoencoder/conv/code16/seed0.log").read_text()
    assert "resuming from checkpoint" in log and str(checkpoint.name) in log, log[-2000:]
    resumed_epochs = [
        int(line.split()[-1].rstrip(")")) for line in log.splitlines() if "resuming from checkpoint" in line
    ]
    assert resumed_epochs and 1 <= resumed_epochs[0] < EPOCHS, "resumed from an epoch in the middle of training"
    assert log.count(" train_loss ") == EPOCHS - resumed_epochs[0], "only the remaining epochs were trained again"

    assert outputs(work) == reference, "the resumed run ends with the same metrics and history as the uninterrupted one"
    assert not checkpoint.exists()
