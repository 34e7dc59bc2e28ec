"""NumPy's BLAS in a job: its thread count, and which kernel it runs (for the logs and the report).

The NumPy autoencoder's step is three matrix products, so its speed is the BLAS kernel's. NumPy's
wheels (and conda-forge's) bundle OpenBLAS built for many CPUs; it picks its kernel when the library
loads, from the CPU, unless the environment names one (OPENBLAS_CORETYPE). That choice matters: on an
AMD EPYC (Zen 5) whose environment set OPENBLAS_CORETYPE=Haswell, the autoencoder's step ran 92-117
steps/s against 120-166 with OpenBLAS's own choice there, SkylakeX (benchmarks/numpy_autoencoder.py,
interleaved). The pipeline keeps what the environment says (a fixed
kernel gives the same float32 results on different CPUs) and names the kernel in every job's log and
in the report's environment, so a slow run can be told apart from a slow machine. (On that machine
the larger cost was elsewhere: page faults from glibc's malloc, see dlrepro.malloc.)

`configure_blas` must run before NumPy is first imported (OpenBLAS reads its variables once, when it
loads), so this module imports nothing heavy at the top.
"""

from __future__ import annotations

import logging
import os
import sys

__all__ = ["configure_blas", "blas_description"]

log = logging.getLogger(__name__)

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def configure_blas(threads: int) -> dict[str, str]:
    """Give NumPy's BLAS (OpenBLAS, MKL or OpenMP builds) exactly `threads` threads; returns what it set.

    Call it before `import numpy` (a job script's first lines). Called after, it still sets the
    variables, which then do nothing in this process; it says so in the log.
    """
    value = str(max(1, int(threads)))
    for var in _THREAD_VARIABLES:
        os.environ[var] = value
    if "numpy" in sys.modules:
        log.warning("configure_blas ran after NumPy was imported: its thread count takes effect only in new processes")
    return dict.fromkeys(_THREAD_VARIABLES, value)


def blas_description(*, threads: bool = True) -> str:
    """The BLAS NumPy has loaded: library, version, kernel and (`threads`) its thread count, from
    threadpoolctl, e.g. 'openblas 0.3.31 SkylakeX, 1 thread', and '(OPENBLAS_CORETYPE=Haswell)' when
    the environment chose the kernel; 'unknown' where threadpoolctl cannot tell."""
    try:
        import numpy  # noqa: F401  (loads the BLAS, so threadpoolctl sees it)
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl is not installed)"
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not blas:
        return "unknown"
    text = "; ".join(
        f"{i.get('internal_api', '?')} {i.get('version') or '?'}"
        + (f" {i['architecture']}" if i.get("architecture") else "")
        + (f", {i.get('num_threads', '?')} thread{'' if i.get('num_threads') == 1 else 's'}" if threads else "")
        for i in blas
    )
    forced = os.environ.get("OPENBLAS_CORETYPE")
    return f"{text} (OPENBLAS_CORETYPE={forced})" if forced else text
