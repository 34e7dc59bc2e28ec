"""The GAN study's figures: Figure 2, the evolution of the fixed grid, the compute ladder on the FLOP axis,
losses, FID/IS curves, coverage, BiGAN."""

import numpy as np
import pandas as pd

from dlrepro.anchors import load_anchors
from dlrepro.curves import plot_curves, read_curves
from dlrepro.data.sources import title
from dlrepro.gan.plots import coverage_bars, curves_with_bands, evolution, grid_gif, reconstructions, sample_grid
from dlrepro.gan.report import MODEL_LABELS
from dlrepro.io import read_json, setup_logging
from dlrepro.plotting import plt

setup_logging(snakemake.log[0])
p, out = snakemake.params, snakemake.output
runs = [(m, s) for m in p.models for s in p.seeds]  # the order of GAN_RUNS in gan.smk
histories = {run: pd.read_csv(path) for run, path in zip(runs, snakemake.input.histories)}
samples = {run: dict(np.load(path)) for run, path in zip(runs, snakemake.input.samples)}
summary = read_json(snakemake.input.summary)
first = (p.models[0], p.seeds[0])  # Figure 2 and the evolution: the paper's model (listed first), first seed
picks = [e for e in p.evolution_epochs if e < p.epochs] + [p.epochs]


def save(fig, path):
    fig.savefig(path)
    plt.close(fig)


grids = samples[first]["grids"]
save(sample_grid(grids[1]), out.figure2)
save(evolution({e: grids[e] for e in picks}, title=MODEL_LABELS[first[0]]), out.evolution)
variants = {f"{MODEL_LABELS[m]}": samples[(m, p.seeds[0])]["grids"][p.epochs] for m in p.models}
save(evolution(variants, panel_title="{}"), out.variants)
grid_gif(grids, out.gif)
# the compute ladder on the FLOP axis: each model's instability and the paired gap (no published GAN anchors)
curves = read_curves(snakemake.input.curves)
if curves:
    ladder = plot_curves(
        {"this run": curves},
        load_anchors(snakemake.input.anchors),
        panels=[("gan", "instability"), ("gan", "instability_gap")],
    )
else:  # the GAN or LSGAN not configured, or fewer than 3 epochs (the criterion needs two differences)
    ladder = plt.figure(figsize=(6.5, 1.2))
    ladder.text(0.5, 0.5, "no ladder point: the criterion needs the GAN, LSGAN and 3+ epochs", ha="center", va="center")
save(ladder, out.ladder)


def panel(column, skip_first=False):
    return {
        MODEL_LABELS[m]: (
            histories[(m, p.seeds[0])]["epoch"].to_numpy()[int(skip_first) :],
            [histories[(m, s)][column].to_numpy()[int(skip_first) :] for s in p.seeds],
        )
        for m in p.models
    }


save(
    curves_with_bands({"discriminator loss": panel("loss_d", True), "generator loss": panel("loss_g", True)}),
    out.losses,
)
cls = summary["classifier"]
refs = {
    "FID (log scale)": ("train vs test", summary["floor_epoch"]),
    "Inception Score": ("test set", cls["test_inception_score"]),
}
save(
    curves_with_bands(
        {"FID (log scale)": panel("fid"), "Inception Score": panel("inception_score")},
        references=refs,
        log_panels=("FID (log scale)",),
    ),
    out.quality,
)
shares = {MODEL_LABELS[m]: summary["models"][m]["class_share"] for m in p.models}  # the configured order
shares["test set"] = cls["test_class_share"]
save(coverage_bars(shares, dataset=title(summary.get("dataset", "mnist"))), out.coverage)
if "bigan" in p.models:
    bigan = samples[("bigan", p.seeds[0])]
    save(reconstructions(bigan["originals"], bigan["reconstructions"]), out.reconstructions)
else:
    fig = plt.figure(figsize=(4, 1))
    fig.text(0.5, 0.5, "BiGAN not among the configured models", ha="center", va="center")
    save(fig, out.reconstructions)
