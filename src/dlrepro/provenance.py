"""What a run ran on: date, hardware, library versions and the git state of the workflow."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from importlib import metadata

from dlrepro.blas import blas_description
from dlrepro.malloc import malloc_description

__all__ = ["environment"]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git(repo_dir: str, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", repo_dir, *args], capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _gpu() -> str | None:
    """The GPU torch would use, if any (torch is imported only here, and only if installed)."""
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    return f"{torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda})"


def environment(repo_dir: str) -> dict:
    commit = _git(repo_dir, "rev-parse", "--short=12", "HEAD")
    dirty = _git(repo_dir, "status", "--porcelain", "--untracked-files=no")
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "gpu": _gpu(),
        "blas": blas_description(threads=False),  # the kernel; each job sets its own thread count
        "malloc": malloc_description(),  # the jobs' malloc settings (this job inherits them like every job)
        "python": platform.python_version(),
        "versions": {p: _version(p) for p in ("numpy", "snakemake", "torch", "torchvision", "dlrepro")},
        "git_commit": commit or "unknown (not a git checkout)",
        "git_clean": None if dirty is None else dirty == "",
    }
