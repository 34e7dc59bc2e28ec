"""Figures, as pure functions of loaded results: each returns a matplotlib Figure; callers save it."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display: figures are only ever written to files
# embed fonts as TrueType (Type 42), not Type 3: searchable text and clean printing in the report
matplotlib.rcParams.update({"pdf.fonttype": 42, "ps.fonttype": 42})

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["image_rows", "image_grid", "ladder_figure", "plt"]


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


def _ladder_panel(ax, trend: dict, title: str, ylabel: str) -> None:
    series = trend.get("by_baseline") or {trend.get("against", ""): trend}
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, t) in enumerate(series.items()):
        budgets = t["budgets"]
        stats = [t["gap_by_budget"][str(b)] for b in budgets]
        y = np.array([s["mean"] for s in stats]) * t["scale"]
        err = np.array([s["ci95"] if np.isfinite(s["ci95"]) else 0.0 for s in stats]) * t["scale"]
        shift = 1.0 + 0.04 * (i - (len(series) - 1) / 2)  # side by side, so the intervals do not overlap
        ax.errorbar(
            np.array(budgets) * shift,
            y,
            yerr=err,
            fmt="o-",
            capsize=4,
            ms=5,
            color=cycle[i % len(cycle)],
            label=f"vs {name}" if name else None,
        )
    ax.axhline(0.0, color="0.3", lw=0.8)
    ax.set_xscale("log", base=2)
    budgets = trend["budgets"]
    ax.set_xticks(budgets, [f"x{b:g}" if trend.get("axis", "compute") == "compute" else f"{b:g}" for b in budgets])
    ax.minorticks_off()
    ax.set_title(title, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.grid(alpha=0.3)
    if len(series) > 1 or next(iter(series)):
        ax.legend(fontsize=7, frameon=False)


def ladder_figure(
    panels: list[tuple[str, str, dict]], *, xlabel: str = "compute budget (x base schedule, log scale)"
) -> plt.Figure:
    """Gap against compute: one panel per comparison, (title, y label, trend) each, the trend from
    `dlrepro.ladder.budget_trend` (its `by_baseline` series drawn side by side where it has them):
    the mean paired gap with its 95% CI over seeds at every budget, a log x axis and a zero line
    (above 0 favours the claim)."""
    panels = [p for p in panels if p[2] is not None]
    if not panels:
        fig, ax = plt.subplots(figsize=(4.0, 1.2))
        ax.axis("off")
        ax.text(0.5, 0.5, "one budget only: no ladder to draw", ha="center", va="center")
        return fig
    cols = min(len(panels), 2)
    rows = int(np.ceil(len(panels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.6 * rows), squeeze=False)
    for ax, (title, ylabel, trend) in zip(axes.flat, panels):
        _ladder_panel(ax, trend, title, ylabel)
        ax.set_xlabel(xlabel, fontsize=8)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig
