"""dlrepro.blas: NumPy's BLAS threads, and naming the kernel it runs."""

import os
import platform
import subprocess
import sys

import pytest

from dlrepro.blas import blas_description, configure_blas

VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def test_configure_blas_sets_every_thread_variable_to_at_least_one(monkeypatch):
    for var in VARIABLES:
        monkeypatch.setenv(var, "7")
    assert configure_blas(2) == dict.fromkeys(VARIABLES, "2")
    assert [os.environ[v] for v in VARIABLES] == ["2"] * 3
    configure_blas(0)
    assert [os.environ[v] for v in VARIABLES] == ["1"] * 3


def test_configure_blas_warns_when_numpy_is_already_loaded(monkeypatch, caplog):
    import numpy  # noqa: F401

    for var in VARIABLES:
        monkeypatch.setenv(var, "1")
    configure_blas(1)
    assert "after NumPy was imported" in caplog.text


def _in_a_new_process(threads, coretype=None):
    """What a job script does: configure_blas first, then NumPy; the description it would log."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    code = f"from dlrepro.blas import configure_blas, blas_description; configure_blas({threads}); print(blas_description())"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_job_log_names_the_threads_and_a_kernel_the_environment_chose():
    if not blas_description().startswith("openblas") or platform.machine() != "x86_64":
        pytest.skip("NumPy here does not use OpenBLAS on x86-64")
    own = _in_a_new_process(2)
    assert own.startswith("openblas ") and own.endswith(", 2 threads"), own
    forced = _in_a_new_process(1, "Haswell")  # an AVX2 kernel, which every x86-64 CPU this runs on has
    assert " Haswell, 1 thread (OPENBLAS_CORETYPE=Haswell)" in forced, forced


def test_blas_description_names_library_and_threads():
    text = blas_description()
    assert text.startswith("unknown") or (
        "thread" in text and text.split()[0] in {"openblas", "mkl", "blis", "flexiblas"}
    ), text
