"""dlrepro.malloc: the jobs' glibc malloc settings, and what they spare the NumPy steps (page faults)."""

import os
import platform
import subprocess
import sys

import pytest

from dlrepro.malloc import MALLOC_SETTINGS, malloc_description, set_job_environment

GLIBC = platform.libc_ver()[0] == "glibc"


def test_set_job_environment_sets_both_thresholds():
    environ = {"PATH": "/bin"}
    assert set_job_environment(environ) == {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "268435456"}
    assert (
        environ["MALLOC_TRIM_THRESHOLD_"] == str(MALLOC_SETTINGS["MALLOC_TRIM_THRESHOLD_"])
        and environ["PATH"] == "/bin"
    )


@pytest.mark.parametrize(
    "user",
    [
        {"MALLOC_MMAP_THRESHOLD_": "131072"},
        {"MALLOC_TRIM_THRESHOLD_": "0"},
        {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=65536"},
    ],
)
def test_a_malloc_setting_the_user_made_wins(user):
    environ = dict(user)
    assert set_job_environment(environ) == {} and environ == user


def _job(code, extra_env):
    """A new process, as a job starts: with the given malloc environment and none inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    env.update(extra_env, OPENBLAS_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.skipif(not GLIBC, reason="the settings are glibc's")
def test_the_description_says_which_settings_a_job_runs_with():
    code = "from dlrepro.malloc import malloc_description as d, tune_malloc as t; print(d()); print(t()); print(d())"
    default, applied, tuned = _job(code, {}).splitlines()
    assert default.endswith("its default thresholds (freed large blocks go back to the OS)"), default
    assert applied == "True" and tuned.endswith("mmap threshold 32 MiB, trim threshold 256 MiB (mallopt)"), tuned
    inherited = _job("from dlrepro.malloc import malloc_description as d; print(d())", set_job_environment({}))
    assert inherited.endswith("mmap threshold 32 MiB, trim threshold 256 MiB (MALLOC_*_ environment)"), inherited
    user = _job(code, {"MALLOC_TRIM_THRESHOLD_": "0"}).splitlines()
    assert user[1] == "False" and "trim threshold 0 MiB (MALLOC_*_ environment)" in user[2], user


NUMPY_STEPS = """
import resource
import numpy as np
from dlrepro.malloc import tune_malloc
from dlrepro.autoencoder.numpy_model import NumpyAutoencoder, mse_loss
if {tune}:
    assert tune_malloc()
x = np.random.default_rng(0).random((1024, 784), dtype=np.float32)
model = NumpyAutoencoder(seed=0)
def step():
    _, grad = mse_loss(model(x), x, "sum")
    model.backward(grad)
    model.sgd_step(1e-4)
for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not GLIBC, reason="the settings are glibc's")
@pytest.mark.parametrize("how", ["mallopt", "environment"])
def test_the_settings_spare_the_numpy_autoencoder_its_page_faults(how):
    """The reason for the module: with glibc's defaults each step's 3 MiB arrays come back as fresh
    pages (hundreds of faults each); with the settings they are reused (counts, not times)."""
    default = int(_job(NUMPY_STEPS.format(tune=False), {}))
    if how == "mallopt":
        tuned = int(_job(NUMPY_STEPS.format(tune=True), {}))
    else:
        tuned = int(_job(NUMPY_STEPS.format(tune=False), set_job_environment({})))
    assert default > 20 * 250, f"{default} page faults in 20 steps with glibc's defaults"
    assert tuned * 20 < default, f"{tuned} page faults with the settings against {default} without"


def test_malloc_description_is_one_line():
    text = malloc_description()
    assert text and "\n" not in text
