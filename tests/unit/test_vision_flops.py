"""The vision study's compute axis: each run's counted training FLOPs against a hand count, and its curves."""

import numpy as np
import pytest
import torch

from dlrepro.curves import plot_curves, read_curves, write_curves
from dlrepro.vision.plots import tidy_ladder
from dlrepro.vision.settings import run_settings
from dlrepro.vision.study import vision_curves
from dlrepro.vision.training import TrainConfig
from dlrepro.vision.wsd import train_classifier
from tests.conftest import default_config

torch.set_num_threads(1)

CLASSES = 4
# 120 training images in batches of 16: 7 steps per pass (the incomplete 8th batch is dropped), and 1.3
# passes are round(1.3 x 7) = 9 steps, the last pass ending early: 9 x 16 = 144 images drawn
N_TRAIN, BATCH, EPOCHS, IMAGES = 120, 16, 1.3, 144


def _conv(side: int, c_in: int, c_out: int, k: int) -> int:
    """A convolution's products on a side x side output: 2 FLOPs per multiply-add."""
    return 2 * side * side * c_out * c_in * k * k


def _cnn_forward() -> int:
    """ResNet(widths=(4, 8), blocks=(1, 1)) on one 32x32 image, layer by layer (norms, ReLU, pooling: uncounted)."""
    stem = _conv(32, 3, 4, 3)
    block1 = _conv(32, 4, 4, 3) + _conv(32, 4, 4, 3)  # stride 1, same width: identity shortcut
    block2 = _conv(16, 4, 8, 3) + _conv(16, 8, 8, 3) + _conv(16, 4, 8, 1)  # stride 2, 1x1 shortcut convolution
    head = 2 * 8 * CLASSES
    return stem + block1 + block2 + head


def _vit_forward() -> int:
    """ViT(patch 8, dim 16, depth 1, 2 heads, MLP 32) on one 32x32 image: its matrix products by hand."""
    patches, dim, mlp = (32 // 8) ** 2, 16, 32
    tokens = patches + 1  # the class token
    patch_embedding = 2 * patches * (3 * 8 * 8) * dim
    qkv = 2 * tokens * dim * 3 * dim
    scores = 2 * tokens * tokens * dim  # Q K^T, summed over the heads (dim / heads each)
    mix = 2 * tokens * tokens * dim  # attention x values
    projection = 2 * tokens * dim * dim
    mlp_products = 2 * tokens * dim * mlp + 2 * tokens * mlp * dim
    head = 2 * dim * CLASSES
    return patch_embedding + qkv + scores + mix + projection + mlp_products + head


ARCH = {
    "cnn": ({"widths": (4, 8), "blocks": (1, 1)}, _cnn_forward),
    "vit": ({"patch_size": 8, "dim": 16, "depth": 1, "heads": 2, "mlp_ratio": 2.0, "dropout": 0.1}, _vit_forward),
}


def _cfg() -> TrainConfig:
    train = run_settings(default_config()["vision"], model="cnn", fraction=1.0)["train"]
    train.pop("images")  # the run's budget in images; the loop takes passes
    fast = {"data_on_device": False, "bf16": False, "channels_last": False, "compile": False, "checkpoint_every_s": 0.0}
    return TrainConfig(**{**train, **fast, "epochs": EPOCHS, "batch_size": BATCH, "eval_examples": 8})


def _data(n=N_TRAIN, n_test=16):
    rng = np.random.default_rng(0)
    y = rng.integers(0, CLASSES, n + n_test)
    x = rng.integers(0, 256, (n + n_test, 3, 32, 32), dtype=np.uint8)
    return {"x_train": x[:n], "y_train": y[:n], "x_test": x[n:], "y_test": y[n:]}


@pytest.mark.parametrize("kind", ["cnn", "vit"])
def test_a_runs_training_flops_are_three_forward_passes_of_every_image_drawn(kind):
    arch, hand_count = ARCH[kind]
    metrics, _, _ = train_classifier(
        kind, {**arch, "num_classes": CLASSES}, _cfg(), _data(), learning_rate=1e-3, weight_decay=0.0, seed=0
    )
    assert metrics["steps"] == 9 and metrics["train_images"] == IMAGES
    assert metrics["flops_per_image"] == metrics["forward_flops_per_example"] == hand_count()
    assert metrics["train_flops"] == 3 * hand_count() * IMAGES


def _runs():
    """Two seeds of each model at two fractions and two budgets; the ViT 5 points ahead at the full fraction."""
    runs = []
    for budget in (1, 2):
        for frac, lead in ((0.5, 0.01), (1.0, 0.05)):
            for seed, noise in ((0, -0.01), (1, 0.01)):
                for model, flops, acc in (("cnn", 100.0, 0.6), ("vit", 300.0, 0.6 + lead)):
                    runs.append(
                        {
                            "model": model,
                            "seed": seed,
                            "fraction": frac,
                            "budget": budget,
                            "test_accuracy": acc + noise,
                            "train_flops": flops * frac * budget * (1 + seed),
                        }
                    )
    return runs


def test_the_curves_put_accuracy_and_the_paired_gap_at_the_runs_mean_training_flops(tmp_path):
    rows = vision_curves(_runs())
    accuracy = {(r["series"], r["budget"]): r for r in rows if r["panel"] == "accuracy"}
    gap = {(r["series"], r["budget"]): r for r in rows if r["panel"] == "gap"}
    assert set(accuracy) == {(m, b) for m in ("CNN (ResNet)", "ViT") for b in (1.0, 2.0)}, "full fraction only"
    vit = accuracy[("ViT", 2.0)]
    assert vit["flops"] == 300.0 * 2 * 1.5 and vit["value"] == pytest.approx(65.0) and vit["n"] == 2
    assert vit["ci95"] == pytest.approx(12.706 * 1.0, rel=1e-3), "t(1) x sd 1.41 points / sqrt(2), in points"
    assert set(gap) == {(f"{p}% of the training set", b) for p in (50, 100) for b in (1.0, 2.0)}
    full = gap[("100% of the training set", 1.0)]
    assert full["value"] == pytest.approx(5.0) and full["ci95"] == pytest.approx(0.0, abs=1e-9), "paired by seed"
    assert full["flops"] == (100.0 + 300.0) * 1.5 / 2, "the mean over both models' runs"
    assert gap[("50% of the training set", 2.0)]["flops"] == (100.0 + 300.0) * 0.5 * 2 * 1.5 / 2
    path = tmp_path / "curves.csv"
    write_curves(path, rows)  # the curves contract's checks (fields, kind, FLOPs > 0)
    back = read_curves(path)
    assert [r["value"] for r in back] == pytest.approx([r["value"] for r in rows])
    fig = tidy_ladder(plot_curves({"this run": back}, [], panels=[("vision", "accuracy"), ("vision", "gap")]))
    assert [ax.get_xscale() for ax in fig.axes[:2]] == ["log", "log"]
    low, high = fig.axes[0].get_ylim()
    assert 0 <= low and high <= 100, "accuracy in percent: the axis stops at 0 and 100"


def test_the_curves_name_the_runs_that_have_no_training_flops():
    runs = _runs()
    del runs[-1]["train_flops"]
    with pytest.raises(ValueError, match="vit fraction 1.0 seed 1"):
        vision_curves(runs)
