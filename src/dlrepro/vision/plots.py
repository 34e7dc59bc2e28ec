"""The vision figures, as pure functions of loaded results (each returns a matplotlib Figure); the compute
ladder's figure is `dlrepro.curves.plot_curves`, finished by `tidy_ladder`."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from dlrepro.vision.study import MODEL_NAMES  # noqa: E402

__all__ = ["trend_figure", "confusion_figure", "attention_figure", "tidy_ladder"]

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def trend_figure(summary: dict, runs: list[dict]) -> plt.Figure:
    """Left: test accuracy against training images (log scale), mean +- 95% CI with a dot per seed beside it.
    Right: the ViT-minus-CNN accuracy gap (paired by seed) with its 95% CI."""
    fig, (ax, ax_gap) = plt.subplots(1, 2, figsize=(9, 3.6))
    fractions = summary["fractions"]
    for i, m in enumerate(summary["models"]):
        rows = [summary["table"][m][str(f)] for f in fractions]
        n = [r["train_examples"] for r in rows]
        mean = [100 * r["test_accuracy"]["mean"] for r in rows]
        ci = [100 * np.nan_to_num(r["test_accuracy"]["ci95"]) for r in rows]
        ax.errorbar(n, mean, yerr=ci, marker="o", capsize=3, color=f"C{i}", label=MODEL_NAMES[m])
        # the seeds' own accuracies just right of their mean (on top of it they would hide under its marker)
        pts = [(r["train_examples"] * 1.07, 100 * r["test_accuracy"]) for r in runs if r["model"] == m]
        ax.scatter(*zip(*pts), s=10, color=f"C{i}", alpha=0.6, linewidths=0, zorder=3)
    sizes = [summary["table"][summary["models"][0]][str(f)]["train_examples"] for f in fractions]
    for a in (ax, ax_gap):
        a.set_xscale("log")
        a.minorticks_off()
        a.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.set_xlabel("training images")
    ax.set_ylabel("test accuracy (%)")
    ax.legend()
    if summary["gap"]:
        n = [summary["table"]["cnn"][str(f)]["train_examples"] for f in fractions]
        gap = [100 * summary["gap"][str(f)]["mean"] for f in fractions]
        ci = [100 * np.nan_to_num(summary["gap"][str(f)]["ci95"]) for f in fractions]
        ax_gap.errorbar(n, gap, yerr=ci, marker="o", capsize=3, color="C2")
        ax_gap.axhline(0, color="0.3", lw=1, ls="--")
    ax_gap.set_xlabel("training images")
    ax_gap.set_ylabel("ViT $-$ CNN accuracy (points)")
    fig.tight_layout()
    return fig


def tidy_ladder(fig: plt.Figure) -> plt.Figure:
    """The ladder figure's panels (accuracy in %, then the gap in points) clipped to the values they can take
    (a 95% CI of two seeds can reach past them)."""
    for ax, (low, high) in zip(fig.axes, ((0.0, 100.0), (-100.0, 100.0))):
        bottom, top = ax.get_ylim()
        ax.set_ylim(max(bottom, low), min(top, high))
    return fig


def confusion_figure(matrices: dict[str, np.ndarray], names=CLASSES) -> plt.Figure:
    """Row-normalised confusion matrices (percent of each true class), one panel per model; cells are
    numbered and classes named up to 20 classes (CIFAR-100's 100 are a heat map with every tenth tick)."""
    fig, axes = plt.subplots(1, len(matrices), figsize=(5.2 * len(matrices), 4.6), squeeze=False)
    for ax, (label, cm) in zip(axes[0], matrices.items()):
        pct = 100 * cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        ax.imshow(pct, cmap="Blues", vmin=0, vmax=100)
        k = len(cm)
        if k > 20:
            ax.set_xticks(range(0, k, 10))
            ax.set_yticks(range(0, k, 10))
        else:
            for i in range(k):
                for j in range(k):
                    ax.text(
                        j,
                        i,
                        f"{pct[i, j]:.0f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if pct[i, j] > 50 else "black",
                    )
            labels = list(names)[:k] if len(names) >= k else range(k)
            ax.set_xticks(range(k), labels, rotation=60, ha="right", fontsize=8)
            ax.set_yticks(range(k), labels, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(label)
    fig.tight_layout()
    return fig


def attention_figure(
    images: np.ndarray, maps: np.ndarray, labels: np.ndarray, predictions: np.ndarray, names=CLASSES
) -> plt.Figure:
    """Each test image (top) next to its attention-rollout map over the image (bottom)."""
    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(1.4 * n, 3.3), squeeze=False)
    side = images.shape[-1]
    for c in range(n):
        img = np.transpose(images[c], (1, 2, 0))  # (H, W, 3) uint8
        heat = np.kron(maps[c], np.ones((side // maps.shape[-1],) * 2))  # patch map -> pixels
        axes[0, c].imshow(img, interpolation="nearest")
        axes[1, c].imshow(img, interpolation="nearest")
        axes[1, c].imshow(heat, cmap="inferno", alpha=0.6, vmin=0, vmax=1, interpolation="nearest")
        name = lambda i: str(names[i]) if i < len(names) else str(i)  # noqa: E731
        axes[0, c].set_title(f"{name(labels[c])}\n(pred. {name(predictions[c])})", fontsize=8)
        for ax in axes[:, c]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("image", fontsize=9)
    axes[1, 0].set_ylabel("rollout", fontsize=9)
    fig.tight_layout()
    return fig
