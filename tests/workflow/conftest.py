"""Workflow-test fixtures: the real `snakemake` command line, and one tiny end-to-end run shared by the
tests that inspect a complete results tree (built once per session: it runs every study)."""

import os
import subprocess
import sys

import pytest

from dlrepro.data.synthetic import write_offline_dir
from tests.conftest import REPO

SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]


def snakemake(workdir, *args, check=True, timeout=900):
    env = {**os.environ, "DLREPRO_DATA_DIR": ""}
    done = subprocess.run(
        [*SNAKEMAKE, "--directory", str(workdir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    if check and done.returncode != 0:
        pytest.fail(
            f"snakemake {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-6000:]}"
        )
    return done


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """One complete run of the tiny config on a synthetic offline data folder; (workdir, args)."""
    root = tmp_path_factory.mktemp("tiny")
    data = write_offline_dir(root / "data")
    work = root / "work"
    args = ["--configfile", str(REPO / "config" / "tiny.yaml"), "--config", f"data_dir={data}", "data_checksums=warn"]
    snakemake(work, "--cores", "2", "--show-failed-logs", *args)
    return work, args
