"""Small I/O helpers shared by the workflow scripts: atomic JSON/CSV writes and the log header."""

from __future__ import annotations

import csv
import json
import logging
import os
import platform
import sys
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "write_json", "read_json", "write_csv", "setup_logging", "log_header"]

log = logging.getLogger(__name__)


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary name beside `path`; once the block has written it, it replaces `path` in one
    step (os.replace), so a kill mid-write never leaves a half-written file under the real name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, obj) -> None:
    _atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, allow_nan=True) + "\n")


def read_json(path: str | os.PathLike):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_csv(path: str | os.PathLike, rows: list[dict], fieldnames: list[str] | None = None) -> None:
    """Rows as CSV; with `fieldnames`, an empty table is a header line (otherwise it is an error)."""
    if not rows and not fieldnames:
        raise ValueError(f"{path}: no rows to write")
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def setup_logging(log_path: str | os.PathLike) -> None:
    """Send stderr and the `logging` root to the rule's log file (line-buffered)."""
    sys.stderr = open(log_path, "w", buffering=1, encoding="utf-8")
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )


def log_header(**settings) -> None:
    """Record what a run used: its settings, and the versions of the libraries that matter."""
    import numpy

    from dlrepro.blas import blas_description
    from dlrepro.malloc import malloc_description

    log.info(
        "python %s, numpy %s, %s %s",
        platform.python_version(),
        numpy.__version__,
        platform.system(),
        platform.machine(),
    )
    log.info("NumPy's BLAS: %s", blas_description())
    log.info("malloc: %s", malloc_description())
    for key, value in settings.items():
        if isinstance(value, dict):  # one line per nested setting: a log a reader can grep
            for sub, inner in value.items():
                log.info("  %s.%s = %r", key, sub, inner)
        else:
            log.info("  %s = %r", key, value)
