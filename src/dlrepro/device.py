"""Choosing the torch device and thread count a training job runs on."""

from __future__ import annotations

import contextlib
import logging
import os

import torch

__all__ = ["pick_device", "set_threads", "flush_denormals", "cpu_has_bf16", "resolve_bf16"]

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


# oneDNN's ISA names (ONEDNN_MAX_CPU_ISA) that include bfloat16 arithmetic: AVX512_CORE_BF16 and later
_BF16_ISA_WORDS = ("BF16", "AMX", "FP16", "AVX10", "ALL", "DEFAULT")


def cpu_has_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether this CPU computes bfloat16 in hardware: an x86 CPU with AVX512-BF16 or AMX-BF16 (Linux's
    /proc/cpuinfo flags), and oneDNN not limited below them (ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA).

    False elsewhere, also where it cannot tell (other systems, Arm CPUs, whose bf16 speed no one here has
    measured): bf16 autocast is then off under `auto`, which is always correct, only maybe slower.
    """
    limit = (os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or "").upper()
    if limit and not any(word in limit for word in _BF16_ISA_WORDS):
        return False
    try:
        with open(cpuinfo, encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.partition(":")[2].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def resolve_bf16(value, device="cpu") -> bool:
    """A config's `bf16` switch for this device: true, false, or `auto`, which turns bf16 autocast on where
    it pays: a GPU that computes bf16 (torch.cuda.is_bf16_supported), or a CPU that does (`cpu_has_bf16`).

    Where a CPU has no bf16 instructions, bf16 autocast is emulated and slow: with the AVX-512 and BF16
    instructions hidden from torch and oneDNN (ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2), the
    vision study's CNN and ViT loops ran 7-9x slower under it than in float32 (benchmarks/vision_loops.py).
    """
    if isinstance(value, bool):
        return value
    if value != "auto":
        raise ValueError(f"bf16 must be true, false or auto, got {value!r}")
    device = torch.device(device)
    if device.type == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    return cpu_has_bf16()
