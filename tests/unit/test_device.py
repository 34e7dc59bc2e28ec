"""dlrepro.device: the subnormal-float switch that the CPU training loops run under."""

import torch

from dlrepro.device import flush_denormals

SUBNORMAL = 1e-40  # below float32's smallest normal number (about 1.18e-38)


def _product() -> float:
    return float(torch.tensor([SUBNORMAL], dtype=torch.float32) * torch.tensor([1.0]))


def test_flush_denormals_zeroes_subnormals_inside_the_block_only():
    assert _product() > 0, "outside the block subnormals are kept (the default)"
    with flush_denormals() as supported:
        inside = _product()
    assert _product() > 0, "the setting is restored after the block"
    if supported:  # every x86 CPU with SSE3; torch reports False where the CPU cannot
        assert inside == 0.0


def test_flush_denormals_restores_the_setting_after_an_error():
    try:
        with flush_denormals():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert _product() > 0
