"""The autoencoder comparison figures: every model on the same digits, the compression curve,
denoising (noisy / denoised / clean), and the VAE's prior samples and latent interpolations."""

import matplotlib.pyplot as plt
import numpy as np

from dlrepro.autoencoder.plots import compression_curve
from dlrepro.autoencoder.report import MODEL_LABELS
from dlrepro.io import read_json, setup_logging
from dlrepro.plotting import image_grid, image_rows

setup_logging(snakemake.log[0])
paper, tuned = np.load(snakemake.input.paper), np.load(snakemake.input.tuned)
runs = {m: np.load(p) for m, p in zip(snakemake.params.models, snakemake.input.torch)}

rows = {
    "original": paper["originals"],
    "NumPy, paper": paper["reconstructions"],
    "NumPy, tuned": tuned["reconstructions"],
}
rows.update({m: r["reconstructions"] for m, r in runs.items() if not m.startswith("denoising")})
image_rows(rows).savefig(snakemake.output.models)

summary = read_json(snakemake.input.summary)
compression_curve(summary["sweep"], {**MODEL_LABELS, "pca": "PCA (optimal linear)"}).savefig(
    snakemake.output.compression
)

noisy = {}
for m in (m for m in runs if m.startswith("denoising")):
    kind = m.split("_", 1)[1]
    noisy.update({f"{kind}: input": runs[m]["inputs"], f"{kind}: denoised": runs[m]["reconstructions"]})
if noisy:
    image_rows({**noisy, "clean": paper["originals"]}).savefig(snakemake.output.denoising)
else:
    plt.figure().savefig(snakemake.output.denoising)  # model not configured: an empty page

if "vae" in runs:
    vae = runs["vae"]
    samples, path = vae["prior_samples"], vae["interpolation"]
    pairs = len(path) // 10
    grid = np.concatenate([samples[:30], path[: pairs * 10]])  # 3 rows of prior samples, then one row per pair
    image_grid(grid, columns=10).savefig(snakemake.output.vae)
else:
    plt.figure().savefig(snakemake.output.vae)
