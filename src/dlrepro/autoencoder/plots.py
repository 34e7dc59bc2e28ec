"""The autoencoder study's figures, as pure functions of loaded results: each returns a Figure."""

from __future__ import annotations

import numpy as np

from dlrepro.plotting import image_rows, plt

__all__ = ["reconstruction_progression", "learning_curves", "compression_curve"]


def reconstruction_progression(
    iterations: np.ndarray, snapshots: np.ndarray, originals: np.ndarray, *, max_rows: int = 10
) -> plt.Figure:
    """Originals on top, then reconstructions at up to `max_rows` evenly spaced snapshot iterations."""
    picks = np.unique(np.linspace(0, len(iterations) - 1, num=min(max_rows, len(iterations))).round().astype(int))
    rows = {"original": originals}
    rows.update({f"iter {int(iterations[i])}": snapshots[i] for i in picks})
    return image_rows(rows)


def learning_curves(curves: dict[str, list[tuple[np.ndarray, np.ndarray]]], baselines: dict[str, float]) -> plt.Figure:
    """Test MSE per pixel against epoch: one colour per label (a line per seed), baselines dashed."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, runs) in enumerate(curves.items()):
        for j, (epochs, mse) in enumerate(runs):
            ax.plot(
                epochs,
                mse,
                color=colors[i % len(colors)],
                alpha=0.85,
                marker="o",
                ms=3,
                label=label if j == 0 else None,
            )
    for k, (label, value) in enumerate(baselines.items()):
        ax.axhline(value, color="0.3", ls=("--", ":", "-.")[k % 3], lw=1, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test MSE per pixel")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig


def compression_curve(sweep: dict[str, dict[str, dict]], labels: dict[str, str]) -> plt.Figure:
    """Test MSE against code size, one line per model, error bars = 95% CI over seeds."""
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for model, curve in sweep.items():
        codes = sorted(curve, key=int)
        mean = [curve[c]["mean"] for c in codes]
        err = [0 if not np.isfinite(curve[c]["ci95"]) else curve[c]["ci95"] for c in codes]
        ax.errorbar(
            [int(c) for c in codes], mean, yerr=err, marker="o", ms=4, capsize=3, label=labels.get(model, model)
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("code size (units)")
    ax.set_ylabel("test MSE per pixel")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
