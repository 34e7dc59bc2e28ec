"""The loop benchmarks run and print their comparison lines (a few steps each: these check that the
scripts work, never how fast anything is; the figures come from running them in full)."""

import json
import re
import subprocess
import sys

import numpy as np

from tests.conftest import REPO


def _run(*args, cwd=REPO, timeout=300):
    result = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _ratio_lines(out, names):
    lines = [ln for ln in out.splitlines() if ln.split() and ln.split()[0] in names]
    assert len(lines) == len(names), out
    for ln in lines:
        assert re.search(r"\d+\.\d\dx", ln), ln
    return lines


def test_gan_loops_on_noise_and_on_mnist_images(tmp_path):
    out = _run(
        str(REPO / "benchmarks/gan_loops.py"),
        "--steps",
        "4",
        "--warmup",
        "4",
        "--repeats",
        "1",
        "--models",
        "gan",
        "bigan",
    )
    assert "uniform-noise images" in out and "4 steps after 4" in out
    _ratio_lines(out, ["gan", "bigan"])
    cache = tmp_path / "mnist.npz"  # the pipeline's cache layout
    rng = np.random.default_rng(0)
    np.savez(
        cache,
        x_train=rng.integers(0, 256, (200, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, 200, dtype=np.uint8),
    )
    out = _run(
        str(REPO / "benchmarks/gan_loops.py"), "--mnist", str(cache), "--steps", "5", "--warmup", "7", "--repeats", "1"
    )
    assert f"MNIST ({cache})" in out and "5 steps after 10" in out, "warm-up rounds up to whole epochs"
    _ratio_lines(out, ["gan"])


def test_vision_loops_default_to_the_configs_fast_paths():
    out = _run(str(REPO / "benchmarks/vision_loops.py"), "--steps", "2", "--warmup", "1", "--batch-size", "8")
    from dlrepro.device import cpu_has_bf16

    assert f"'bf16': {cpu_has_bf16()}" in out, "the config's bf16: auto, on where the CPU computes bf16"
    assert "'channels_last': True" in out and "'compile': False" in out
    for line in _ratio_lines(out, ["cnn", "vit"]):
        assert len(re.findall(r"\d\.\d\dx", line)) == 2, "ratio and ceiling"
    out = _run(
        str(REPO / "benchmarks/vision_loops.py"),
        "--models",
        "vit",
        "--steps",
        "2",
        "--warmup",
        "1",
        "--batch-size",
        "8",
        "--no-bf16",
    )
    assert "'bf16': False" in out


def test_sequence_loops_print_both_ceilings(tmp_path):
    out = _run(
        str(REPO / "benchmarks/sequence_loops.py"), "--steps", "2", "--warmup", "1", "--models", "lstm", cwd=tmp_path
    )
    for line in _ratio_lines(out, ["sentiment", "char_lm"]):
        assert len(re.findall(r"\d\.\d\dx", line)) == 2, "ratio and ceiling"


def test_mnist_loops_cover_every_autoencoder_and_the_classifier(tmp_path):
    out = _run(str(REPO / "benchmarks/mnist_loops.py"), "--steps", "2", "--warmup", "1", cwd=tmp_path)
    assert "images: synthetic" in out
    for line in _ratio_lines(out, ["basic", "conv", "denoising_gaussian", "denoising_mask", "vae", "classifier"]):
        assert len(re.findall(r"\d\.\d\dx", line)) == 2, "ratio and ceiling"
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/mnist_loops.py"), "--models", "gan"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "unknown model 'gan'" in result.stderr


def test_numpy_autoencoder_names_its_blas_and_prints_the_torch_ratio():
    out = _run(str(REPO / "benchmarks/numpy_autoencoder.py"), "--steps", "2")
    assert "NumPy's BLAS: " in out.splitlines()[0], out
    assert out.splitlines()[1].startswith("malloc: "), "the pipeline's malloc settings, or what applies instead"
    assert re.search(r"torch / ours : \d+\.\d\dx", out) and re.search(r"ours / naive : \d+\.\d\dx", out), out


def test_flops_cost_checks_the_dags_job_counts_and_times_one_kind():
    out = _run(str(REPO / "benchmarks/flops_cost.py"), "--quick")
    assert "of them training (train_*)" in out and "the config's counts match" in out, out
    (row,) = [ln.split() for ln in out.splitlines() if ln.startswith("gan-classifier ")]
    assert row[1] == "1" and all(float(x) >= 0 for x in row[2:]), "jobs, then min/median seconds and job-seconds"
    assert re.search(r"cold \(upper bound\): \d+\.\d job-s / 2 cores = \d+\.\d s -> (within|OVER) the 60 s", out), out
    assert "after the optimizer in 1 of 1" in out, "creating the job's Adam loads torch._dynamo before the count"
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/flops_cost.py"), "--no-dag-check", "--kinds", "nope"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "unknown job kinds ['nope']" in result.stderr


def test_checkpoint_cost_prints_size_and_time_of_both_models():
    out = _run(
        str(REPO / "benchmarks/checkpoint_cost.py"), "--config", str(REPO / "config/config.yaml"), "--repeats", "1"
    )
    rows = [ln.split() for ln in out.splitlines() if ln.split() and ln.split()[0] in ("cnn", "vit")]
    assert [r[0] for r in rows] == ["cnn", "vit"], out
    assert all(float(r[1]) > 0 and float(r[2]) > 0 and r[-1].endswith("%") for r in rows), out


def test_vision_full_jpeg_probe_recompresses_and_reports_it(tmp_path):
    """`vision_full.py --jpeg-quality`: a pass at the quality an image already went through barely changes it,
    a harder one changes it more, and a tiny CPU run prints the distortion and writes it to the JSON."""
    sys.path.insert(0, str(REPO / "benchmarks" / "gpu"))
    from vision_full import distortion, jpeg_roundtrip

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:32, 0:32] / 32
    phase, freq = rng.uniform(0, 2 * np.pi, (2, 40, 1, 1, 1)), rng.uniform(0.5, 2, (2, 40, 1, 1, 1))
    tint = rng.uniform(
        -20, 20, (40, 3, 1, 1)
    )  # grey patterns, each image a little tinted: natural images carry little chroma
    smooth = (
        127.5 + tint + 90 * np.sin(freq[0] * 2 * np.pi * xx + phase[0]) * np.cos(freq[1] * 2 * np.pi * yy + phase[1])
    ).astype(np.uint8)
    once = jpeg_roundtrip(smooth, 75)
    assert once.shape == smooth.shape and once.dtype == np.uint8
    again, harder = distortion(once, jpeg_roundtrip(once, 75))[0], distortion(once, jpeg_roundtrip(once, 20))[0]
    assert again < harder and again < 0.5 * distortion(smooth, once)[0]
    assert distortion(once, once) == (0.0, float("inf"))

    cache = tmp_path / "cifar10.npz"
    np.savez(cache, x_train=smooth, y_train=np.arange(40) % 10, x_test=smooth[:20], y_test=np.arange(20) % 10)
    out_json = tmp_path / "r.json"
    out = _run(
        str(REPO / "benchmarks/gpu/vision_full.py"),
        "--cache",
        str(cache),
        "--device",
        "cpu",
        "--models",
        "cnn",
        "--images",
        "40",
        "--jpeg-quality",
        "30",
        "--set",
        "cnn.widths=[4]",
        "cnn.blocks=[1]",
        "train.batch_size=16",
        "--label",
        "probe",
        "--out",
        str(out_json),
    )
    assert re.search(r"JPEG quality 30 pass: training images RMSE \d+\.\d\d/255", out), out
    assert "probe cnn: test accuracy" in out and "last epoch's training loss" in out
    (run,) = json.loads(out_json.read_text())
    assert run["jpeg_quality"] == 30 and run["jpeg_rmse_train"] > 0 and run["final_train_loss"] > 0
    bad = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/gpu/vision_full.py"), "--cache", str(cache), "--jpeg-quality", "101"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "--jpeg-quality 101: use 1-100" in bad.stderr


def test_vision_recipe_trains_every_variant_and_pairs_it_with_base(tmp_path):
    from dlrepro.data.synthetic import write_cifar10

    raw = write_cifar10(tmp_path, n_per_batch=64).parent  # cifar10/ holding cifar-10-batches-py
    out = _run(
        "vision_recipe.py",
        *("--raw-dir", str(raw), "--seeds", "0", "--budget", "0.02", "--out", str(tmp_path / "runs.json")),
        cwd=REPO / "benchmarks",
    )
    runs = json.loads((tmp_path / "runs.json").read_text())
    expected = {("cnn", v) for v in ("base", "zero_init", "whiten", "whiten3x3")}
    expected |= {("vit", v) for v in ("base", "mean_pool", "conv_stem", "spt", "lsa")}
    assert {(r["model"], r["variant"]) for r in runs} == expected
    assert all(0 <= r["test_accuracy"] <= 1 and 0 <= r["tta_accuracy"] <= 1 for r in runs)
    assert "cnn  whiten     acc" in out and "vs base" in out


def test_lm_recurrent_runs_the_char_rnn_variants_on_a_text_file(tmp_path):
    corpus = tmp_path / "text.txt"
    corpus.write_text("To be, or not to be: that is the question.\n" * 400, encoding="utf-8")
    out = _run(
        "lm_recurrent.py",
        *("--corpus", str(corpus), "--seeds", "0", "--budget", "0.05", "--out", str(tmp_path / "runs.json")),
        cwd=REPO / "benchmarks",
    )
    runs = json.loads((tmp_path / "runs.json").read_text())
    assert {(r["model"], r["variant"]) for r in runs} == {
        ("lstm", "base"),
        ("lstm", "forget1"),
        ("lstm", "clip5"),
        ("rnn", "base"),
        ("rnn", "clip5"),
    }
    assert all(np.isfinite(r["test_bpc"]) for r in runs) and "vs base" in out
