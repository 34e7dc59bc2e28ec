"""Figures of the GAN study, as pure functions of loaded results (each returns a Figure; callers save)."""

from __future__ import annotations

import math

import numpy as np

from dlrepro.metrics import mean_ci
from dlrepro.plotting import _as_images, image_grid, image_rows, plt

__all__ = ["sample_grid", "evolution", "curves_with_bands", "coverage_bars", "reconstructions", "grid_gif"]


def sample_grid(images: np.ndarray) -> plt.Figure:
    """The fixed-latent samples as a square grid (the paper's Figure 2 is the 4 x 4 grid after epoch 1)."""
    side = int(math.ceil(math.sqrt(len(images))))
    return image_grid(images, columns=side, size=0.8)


def _tile(images: np.ndarray) -> np.ndarray:
    """(n, 784) -> one (side*28, side*28) mosaic with 1-pixel gaps."""
    imgs = _as_images(images)
    side = int(math.ceil(math.sqrt(len(imgs))))
    h = imgs.shape[1]
    out = np.ones((side * (h + 1) - 1, side * (h + 1) - 1), dtype=np.float32)
    for i, img in enumerate(imgs):
        r, c = divmod(i, side)
        out[r * (h + 1) : r * (h + 1) + h, c * (h + 1) : c * (h + 1) + h] = img
    return out


def evolution(grids: dict, *, title: str = "", panel_title: str = "epoch {}") -> plt.Figure:
    """Sample grids side by side, one panel per key (key -> (n, 784) samples), titled
    `panel_title.format(key)`: the fixed-latent grid at several epochs (the default), or, with
    `panel_title="{}"`, the grids of several models keyed by name."""
    fig, axes = plt.subplots(1, len(grids), figsize=(2.3 * len(grids), 2.6), squeeze=False)
    for ax, (key, images) in zip(axes[0], grids.items()):
        ax.imshow(_tile(images), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(panel_title.format(key), fontsize=11)
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def _band(ax, epochs: np.ndarray, runs: list[np.ndarray], color, label: str) -> None:
    stats = [mean_ci(col) for col in np.asarray(runs).T]
    mean = np.array([s["mean"] for s in stats])
    half = np.array([0.0 if math.isnan(s["ci95"]) else s["ci95"] for s in stats])
    ax.plot(epochs, mean, color=color, marker="o", ms=3, label=label)
    ax.fill_between(epochs, mean - half, mean + half, color=color, alpha=0.2, linewidth=0)


def curves_with_bands(
    panels: dict[str, dict[str, tuple[np.ndarray, list[np.ndarray]]]],
    *,
    references: dict[str, tuple[str, float]] | None = None,
    log_panels: tuple[str, ...] = (),
) -> plt.Figure:
    """One panel per metric (title -> {label: (epochs, per-seed values)}): mean line and 95% CI band
    over seeds; `references` draws a dashed line (label, value) in the panel of that title."""
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    for ax, (title, curves) in zip(axes[0], panels.items()):
        for i, (label, (epochs, runs)) in enumerate(curves.items()):
            _band(ax, epochs, runs, colors[i % len(colors)], label)
        if references and title in references:
            ref_label, value = references[title]
            ax.axhline(value, color="0.3", linestyle="--", linewidth=1, label=ref_label)
        if title in log_panels:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(title, fontsize=11)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def coverage_bars(shares: dict[str, list[float]], *, dataset: str = "MNIST") -> plt.Figure:
    """Share of samples per class (label -> 10 shares), grouped bars; uniform = 0.1 dashed."""
    fig, ax = plt.subplots(figsize=(7, 3.2))
    width = 0.8 / len(shares)
    for i, (label, share) in enumerate(shares.items()):
        ax.bar(np.arange(10) + (i - (len(shares) - 1) / 2) * width, share, width=width, label=label)
    ax.axhline(0.1, color="0.3", linestyle="--", linewidth=1, label="uniform")
    ax.set_xticks(range(10))
    ax.set_xlabel(f"{'digit class' if dataset == 'MNIST' else dataset + ' class'} (metric classifier's prediction)")
    ax.set_ylabel("share of samples")
    ax.legend(fontsize=8, ncol=len(shares) + 1)
    fig.tight_layout()
    return fig


def reconstructions(originals: np.ndarray, recons: np.ndarray) -> plt.Figure:
    return image_rows({"x": originals, "G(E(x))": recons})


def grid_gif(grids: np.ndarray, path, *, scale: int = 3, ms_per_frame: int = 600) -> None:
    """An animated GIF of the fixed-latent grid over the epochs (grids: (epochs + 1, n, 784))."""
    from PIL import Image

    frames = []
    for g in grids:
        tile = (_tile(g) * 255).round().astype(np.uint8)
        frames.append(Image.fromarray(tile).resize((tile.shape[1] * scale, tile.shape[0] * scale), Image.NEAREST))
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=ms_per_frame, loop=0)
