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


# --- bf16: auto ------------------------------------------------------------------------------------

import pytest  # noqa: E402

from dlrepro.device import cpu_has_bf16, resolve_bf16  # noqa: E402

FLAGS = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 avx512f avx512bw {extra}\n"


def _cpuinfo(tmp_path, extra):
    path = tmp_path / "cpuinfo"
    path.write_text(FLAGS.format(extra=extra))
    return str(path)


@pytest.mark.parametrize(
    ("extra", "expected"), [("avx512_bf16", True), ("amx_bf16 amx_tile", True), ("avx512_vnni", False)]
)
def test_cpu_has_bf16_reads_the_bf16_instruction_flags(tmp_path, monkeypatch, extra, expected):
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    assert cpu_has_bf16(_cpuinfo(tmp_path, extra)) is expected


def test_cpu_has_bf16_is_false_where_it_cannot_tell_or_onednn_is_limited_below_bf16(tmp_path, monkeypatch):
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    assert cpu_has_bf16(str(tmp_path / "no-such-file")) is False
    path = _cpuinfo(tmp_path, "avx512_bf16")
    for limit, expected in (
        ("AVX2", False),
        ("avx512_core", False),
        ("AVX512_CORE_BF16", True),
        ("AVX512_CORE_AMX", True),
        ("ALL", True),
    ):
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", limit)
        assert cpu_has_bf16(path) is expected, limit


def test_resolve_bf16_keeps_true_and_false_and_asks_the_hardware_for_auto(monkeypatch):
    assert resolve_bf16(True) is True and resolve_bf16(False, "cuda") is False, "no GPU needed to switch it off"
    monkeypatch.setattr("dlrepro.device.cpu_has_bf16", lambda: True)
    assert resolve_bf16("auto") is True and resolve_bf16("auto", torch.device("cpu")) is True
    monkeypatch.setattr("dlrepro.device.cpu_has_bf16", lambda: False)
    assert resolve_bf16("auto", "cpu") is False
    if not torch.cuda.is_available():
        assert resolve_bf16("auto", "cuda") is False
    for bad in ("yes", "on", 1, None):
        with pytest.raises(ValueError, match="true, false or auto"):
            resolve_bf16(bad)
