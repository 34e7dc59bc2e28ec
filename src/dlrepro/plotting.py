"""Figures, as pure functions of loaded results: each returns a matplotlib Figure; callers save it."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display: figures are only ever written to files
# embed fonts as TrueType (Type 42), not Type 3: searchable text and clean printing in the report
matplotlib.rcParams.update({"pdf.fonttype": 42, "ps.fonttype": 42})

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["image_rows", "image_grid", "plt"]


def _as_images(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    side = int(round(np.sqrt(x.shape[-1])))
    return x.reshape(len(x), side, side)


def image_rows(rows: dict[str, np.ndarray], *, scale: float = 0.8) -> plt.Figure:
    """One row of images per entry (label -> (n, 784) array in [0, 1] or uint8), labelled on the left."""
    labels = list(rows)
    n = max(len(v) for v in rows.values())
    margin = 0.2 + 0.09 * max(len(label) for label in labels)  # inches for the row labels
    fig, axes = plt.subplots(len(labels), n, figsize=(scale * n + margin, scale * len(labels)), squeeze=False)
    for r, label in enumerate(labels):
        images = _as_images(rows[label])
        for c in range(n):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if c < len(images):
                ax.imshow(images[c], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=11)
    fig.subplots_adjust(left=margin / (scale * n + margin), right=0.99, top=0.98, bottom=0.02, wspace=0.05, hspace=0.08)
    return fig


def image_grid(images: np.ndarray, *, columns: int = 8, size: float = 0.6) -> plt.Figure:
    """A plain grid of images (e.g. samples from a generative model), no labels."""
    rows = int(np.ceil(len(images) / columns))
    imgs = _as_images(images)
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns, size * rows), squeeze=False)
    for ax, i in zip(axes.flat, range(rows * columns)):
        ax.axis("off")
        if i < len(imgs):
            ax.imshow(imgs[i], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01, wspace=0.05, hspace=0.05)
    return fig
