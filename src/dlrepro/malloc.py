"""glibc's malloc in the jobs: keep freed memory in the process instead of handing it back to the OS.

A training step allocates and frees arrays of the same sizes every step: the NumPy autoencoder's
activations and gradients are 1024 x 784 float32, 3.1 MiB each, about eight of them per step. By
default glibc serves a block that large with fresh pages from mmap and unmaps it when it is freed (its
mmap threshold starts at 128 KiB and only rises as blocks are freed), and it gives the top of its heap
back to the OS once more than its trim threshold is free. Whether a new array then lands on pages
the process no longer owns (one page fault per 4 KiB) depends on the order of allocations and frees,
so the same step can run at two speeds. On a virtual machine a page fault is dear: on this project's
2-core machine (an AMD EPYC in a Firecracker VM), the NumPy autoencoder's step in
benchmarks/numpy_autoencoder.py (eight batches reused in turn) caused 990,000 minor page faults in
200 steps and ran 69 steps/s; with the settings below 23,000 faults and 159 steps/s (one OpenBLAS
thread). The pipeline's own training loop (a fresh batch each step) faulted less to begin with: 3
epochs 66,000 faults and 1.51 s with glibc's defaults, 7,200 faults and 1.33 s with the settings.
The torch jobs change less: the vision runs 2-8% faster, the GAN, the autoencoders and the
character LM within noise (PyTorch's tensors fault far less).

The settings: blocks up to 32 MiB come from the heap (`MALLOC_MMAP_THRESHOLD_`, glibc's largest
default ceiling for it), and up to 256 MiB of freed heap stays in the process (`MALLOC_TRIM_THRESHOLD_`).
The cost is memory a process has freed staying counted in its resident size, bounded by the trim
threshold: the peak of the default config's ViT run rose from 1.01-1.19 GiB to 1.27-1.28 GiB.

- The workflow puts them into the environment every job starts with (`set_job_environment`, called
  by the Snakefile); glibc reads them when a process starts. A value the environment already has is
  kept (as are glibc tunables a user set in GLIBC_TUNABLES). Other C libraries (macOS, musl) ignore them.
- `tune_malloc` applies the same settings to a process that is already running, through mallopt(3):
  the benchmarks use it to time what the pipeline runs.
- `malloc_description` says which applies, for every job's log and the report's environment.
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform

__all__ = ["MALLOC_SETTINGS", "set_job_environment", "tune_malloc", "malloc_description"]

log = logging.getLogger(__name__)

MALLOC_SETTINGS = {"MALLOC_MMAP_THRESHOLD_": 32 * 2**20, "MALLOC_TRIM_THRESHOLD_": 256 * 2**20}
_MALLOPT_PARAM = {"MALLOC_MMAP_THRESHOLD_": -3, "MALLOC_TRIM_THRESHOLD_": -1}  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
_applied_here = False  # set by tune_malloc


def _glibc_version() -> str | None:
    lib, version = platform.libc_ver()
    return version if lib == "glibc" and version else None


def _user_chose(environ=os.environ) -> bool:
    """The environment already says how malloc should behave: leave it alone."""
    return any(var in environ for var in MALLOC_SETTINGS) or "glibc.malloc." in environ.get("GLIBC_TUNABLES", "")


def set_job_environment(environ=os.environ) -> dict[str, str]:
    """Put the settings into `environ` (default: this process's, which the jobs inherit) unless it
    already has a malloc setting; returns what it set ({} when it kept the user's)."""
    if _user_chose(environ):
        return {}
    values = {var: str(value) for var, value in MALLOC_SETTINGS.items()}
    environ.update(values)
    return values


def tune_malloc() -> bool:
    """Apply the settings to this process through mallopt(3); True when glibc took them. Does nothing
    where the environment already has a malloc setting (glibc read it at start-up) or the C library
    is not glibc."""
    global _applied_here
    if _user_chose() or _glibc_version() is None:
        return False
    libc = ctypes.CDLL("libc.so.6")  # glibc's soname on every Linux
    ok = all(libc.mallopt(_MALLOPT_PARAM[var], value) == 1 for var, value in MALLOC_SETTINGS.items())
    if not ok:
        log.warning("mallopt refused the malloc settings %s: glibc's defaults stay", MALLOC_SETTINGS)
    _applied_here = _applied_here or ok
    return ok


def _thresholds(values: dict) -> str:
    """{'MALLOC_MMAP_THRESHOLD_': '33554432', ...} -> 'mmap threshold 32 MiB, ...' (a value that is no number: quoted)."""

    def mib(value) -> str:
        try:
            return f"{int(value) / 2**20:g} MiB"
        except ValueError:
            return repr(value)

    return ", ".join(f"{var.split('_')[1].lower()} threshold {mib(value)}" for var, value in values.items())


def malloc_description() -> str:
    """e.g. 'glibc 2.36, mmap threshold 32 MiB, trim threshold 256 MiB (MALLOC_*_ environment)'."""
    version = _glibc_version()
    if version is None:
        return f"the C library's own ({platform.system()}; not glibc, the MALLOC_*_ settings do not apply)"
    named = {var: os.environ[var] for var in MALLOC_SETTINGS if var in os.environ}
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if named:
        return f"glibc {version}, {_thresholds(named)} (MALLOC_*_ environment)"
    if "glibc.malloc." in tunables:
        return f"glibc {version}, GLIBC_TUNABLES={tunables}"
    if _applied_here:
        return f"glibc {version}, {_thresholds(MALLOC_SETTINGS)} (mallopt)"
    return f"glibc {version}, its default thresholds (freed large blocks go back to the OS)"
