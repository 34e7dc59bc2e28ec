"""Choosing the torch device and thread count a training job runs on."""

from __future__ import annotations

import contextlib
import logging

import torch

__all__ = ["pick_device", "set_threads", "flush_denormals"]

log = logging.getLogger(__name__)


def pick_device(name: str = "auto") -> torch.device:
    """`auto` is the first visible GPU when there is one (honouring CUDA_VISIBLE_DEVICES), else CPU.

    `cuda` without a GPU is an error rather than a silent fall-back to CPU.
    """
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {name!r} was asked for, but torch sees no GPU (CUDA_VISIBLE_DEVICES, drivers?)")
    if name not in ("cpu",) and not name.startswith("cuda"):
        raise ValueError(f"device must be auto, cpu or cuda[:N], got {name!r}")
    device = torch.device(name)
    if device.type == "cuda":
        log.info("GPU: %s", torch.cuda.get_device_name(device))
    return device


def set_threads(threads: int) -> None:
    """Use exactly the cores the scheduler gave the job (Snakemake's `threads:`)."""
    torch.set_num_threads(max(1, int(threads)))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set once in this process
        pass


@contextlib.contextmanager
def flush_denormals():
    """Inside the block the CPU treats subnormal floats (below about 1.2e-38) as zero (FTZ/DAZ).

    Arithmetic on subnormals is many times slower on x86 CPUs, and training creates them: Adam's
    moment estimates of weights whose gradients are tiny or 0 (the GAN discriminator's weights for
    MNIST's always-black border pixels, dead ReLU units) decay into that range. The paper's GAN trains
    about 1.35x faster on MNIST with them flushed (benchmarks/gan_loops.py); values that small are
    far below anything the losses resolve. No effect on GPU kernels. Yields whether the CPU supports it.
    """
    supported = torch.set_flush_denormal(True)
    try:
        yield supported
    finally:
        if supported:
            torch.set_flush_denormal(False)
