"""A real single-node SLURM (slurmdbd + MariaDB accounting) for the cluster tests, started and stopped here.

The daemons are started by `.ci/slurm-setup.sh start` (the same script README tells users to run) and
stopped by `.ci/slurm-setup.sh stop` when the module's tests end, also when they fail. The tests are
skipped, with the reason, where SLURM cannot run: no slurm binaries, not root (the config must be
at /etc/slurm), the executor plugin missing, or a /etc/slurm/slurm.conf that belongs to a real cluster.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys

import pytest

from tests.conftest import REPO

SETUP = REPO / ".ci" / "slurm-setup.sh"
DAEMONS = ("slurmctld", "slurmd", "slurmdbd", "munged", "mariadbd", "sbatch", "sacct")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "cluster: starts a single-node SLURM and submits jobs to it (needs root and Debian's slurm packages)"
    )


def _skip_reason() -> str | None:
    missing = [tool for tool in DAEMONS if shutil.which(tool) is None]
    if missing:
        return f"SLURM is not installed (missing {', '.join(missing)}; run .ci/slurm-setup.sh install)"
    if os.geteuid() != 0:
        return "the test cluster needs root (its config must be at /etc/slurm/slurm.conf)"
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return "snakemake-executor-plugin-slurm is not installed"
    return None


def run_bounded(cmd, *, timeout: float, cwd=None, env=None) -> subprocess.CompletedProcess:
    """Run `cmd` in its own process group; past `timeout` seconds kill the whole group and fail.

    A snakemake that never learns its jobs ended waits forever and ignores SIGTERM, hence SIGKILL.
    """
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(
            f"{' '.join(map(str, cmd[:4]))} ... still running after {timeout} s; killed. Output:\n{out[-6000:]}"
        )
    return subprocess.CompletedProcess(cmd, proc.returncode, out, "")


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running test cluster (node `dlrepro`, partition `main`); its daemons stop after the tests."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    started = subprocess.run(["bash", str(SETUP), "start"], capture_output=True, text=True, timeout=120)
    try:
        if started.returncode == 3:  # a real cluster's config is in /etc/slurm: leave it alone
            pytest.skip(started.stderr.strip())
        assert started.returncode == 0, f"the test cluster did not start:\n{started.stdout}\n{started.stderr}"
        yield
    finally:
        if started.returncode != 3:
            subprocess.run(["bash", str(SETUP), "stop"], capture_output=True, text=True, timeout=60)


def snakemake_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "snakemake", *map(str, args)]
