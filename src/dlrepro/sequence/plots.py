"""The sequence study's figures, as pure functions of loaded results (each returns a Figure)."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from dlrepro.plotting import plt
from dlrepro.sequence.models import LABELS, SEQ_MODELS

__all__ = ["accuracy_figure", "context_figure", "throughput_figure", "learning_curves_figure"]


def _colors() -> dict[str, str]:
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {m: cycle[i] for i, m in enumerate(SEQ_MODELS)}


def _in_order(d: dict) -> list[tuple[str, object]]:
    """(model, value) in the models' reading order (JSON files sort their keys)."""
    return [(m, d[m]) for m in SEQ_MODELS if m in d]


def _err(stat: dict) -> float:
    return stat["ci95"] if np.isfinite(stat["ci95"]) else 0.0


def accuracy_figure(summary: dict) -> plt.Figure:
    """Test accuracy per model (mean, 95% CI, and each seed), with the target validation accuracy."""
    sent, colors = summary["sentiment"], _colors()
    fig, ax = plt.subplots(figsize=(5.0, 3.2))
    for i, (m, s) in enumerate(_in_order(sent)):
        ax.errorbar(
            i, s["test_accuracy"]["mean"], yerr=_err(s["test_accuracy"]), fmt="o", color=colors[m], capsize=5, ms=7
        )
        ax.scatter(
            np.full(len(s["accuracy_by_seed"]), i + 0.15),
            list(s["accuracy_by_seed"].values()),
            color=colors[m],
            s=12,
            alpha=0.6,
        )
    ax.axhline(summary["target_accuracy"], color="0.4", ls="--", lw=1, label="target (validation)")
    ax.set_xticks(range(len(sent)), [LABELS[m] for m, _ in _in_order(sent)])
    ax.set_ylabel("test accuracy")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def context_figure(summary: dict) -> plt.Figure:
    """Held-out bits per character against context length, one line per model (95% CI bars), the
    character n-gram baseline dashed."""
    lm, colors = summary["char_lm"], _colors()
    fig, ax = plt.subplots(figsize=(5.0, 3.4))
    for m, d in _in_order(lm["models"]):
        stats = [d["contexts"][str(c)]["test_bpc"] for c in lm["contexts"]]
        ax.errorbar(
            lm["contexts"],
            [s["mean"] for s in stats],
            yerr=[_err(s) for s in stats],
            marker="o",
            capsize=4,
            color=colors[m],
            label=LABELS[m],
        )
    base = lm.get("baseline")
    if base:
        bpc = [base["test_bpc_by_context"][str(c)] for c in lm["contexts"]]
        ax.plot(lm["contexts"], bpc, ls="--", color="0.4", marker="x", label=f"Kneser-Ney {base['order']}-gram")
    ax.set_xscale("log", base=2)
    ax.set_xticks(lm["contexts"], [str(c) for c in lm["contexts"]])
    ax.set_xlabel("context length (characters)")
    ax.set_ylabel("held-out bits per character")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best", framealpha=0.9)  # a white box: the baseline's line may run beneath it
    fig.tight_layout()
    return fig


def throughput_figure(summary: dict) -> plt.Figure:
    """Training tokens/s and seconds per step against sequence length (constant tokens per step)."""
    tp, colors = summary["throughput"], _colors()
    fig, (a, b) = plt.subplots(1, 2, figsize=(8.5, 3.4))
    for m, grid in _in_order(tp["models"]):
        lengths = sorted(int(k) for k in grid)
        a.plot(
            lengths, [grid[str(n)]["tokens_per_second"] for n in lengths], marker="o", color=colors[m], label=LABELS[m]
        )
        b.plot(lengths, [grid[str(n)]["step_seconds"] for n in lengths], marker="o", color=colors[m], label=LABELS[m])
    for ax, label in ((a, "training tokens per second"), (b, "seconds per training step")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length (tokens)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, which="both")
    if tp["crossover"]:
        a.axvline(tp["crossover"], color="0.4", ls=":", lw=1)
    a.legend(fontsize=8, frameon=False)
    a.set_title(tp["device"], fontsize=9)
    fig.tight_layout()
    return fig


def learning_curves_figure(sentiment: dict, char_lm: dict, *, target: float, context: int) -> plt.Figure:
    """Left: validation accuracy per epoch (sentiment). Right: held-out bpc per step (LM at `context`).

    `sentiment` maps model -> list of (epochs, val_accuracy); `char_lm` maps model -> list of (steps, bpc).
    """
    colors = _colors()
    fig, (a, b) = plt.subplots(1, 2, figsize=(8.5, 3.4))
    for ax, curves in ((a, sentiment), (b, char_lm)):
        for m, runs in _in_order(curves):
            for j, (x, y) in enumerate(runs):
                ax.plot(x, y, color=colors[m], alpha=0.8, marker="o", ms=3, label=LABELS[m] if j == 0 else None)
        ax.grid(alpha=0.3)
    a.axhline(target, color="0.4", ls="--", lw=1, label="target")
    a.xaxis.set_major_locator(MaxNLocator(integer=True))
    a.set_xlabel("epoch")
    a.set_ylabel("validation accuracy (sentiment)")
    b.set_xlabel("training step")
    b.set_ylabel(f"held-out bits per character (context {context})")
    a.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
