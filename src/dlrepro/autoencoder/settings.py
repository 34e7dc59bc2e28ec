"""The settings of one autoencoder job, built from the config's `autoencoder` block and the job's wildcards.

The workflow's training rules pass what these functions return as their one settings param
(``params: run=...``), so a job depends on exactly the settings its result depends on: Snakemake reruns
a job when they change and only then (another model's block, the list of runs to make or a summary's
criterion is no part of them). Every job gets the data settings it reads images with; the NumPy
autoencoder gets its model settings as `NumpyAEConfig` takes them, a torch autoencoder those
`TorchAEConfig` takes that its model uses. Keys come sorted: Snakemake compares params in order, and a
config merged from several files orders its keys by which file set them.

Imported by the Snakefile when it is parsed: plain Python, neither torch nor NumPy.
"""

from __future__ import annotations

from dlrepro.runner import canonical

__all__ = [
    "AE_MODELS",
    "numpy_ae_run_settings",
    "numpy_ae_tuned_run_settings",
    "torch_ae_run_settings",
    "ae_baselines_run_settings",
]

# model name -> (architecture, corruption of the training input or None)
AE_MODELS = {
    "basic": ("basic", None),
    "conv": ("conv", None),
    "denoising_gaussian": ("conv", "gaussian"),
    "denoising_mask": ("conv", "mask"),
    "vae": ("vae", None),
}
# the torch_ae keys every model trains with, and those only one architecture reads
_TORCH_TRAINING = ("epochs", "batch_size", "learning_rate", "bf16")
_ARCHITECTURE_KEYS = {"basic": (), "conv": ("conv_channels",), "vae": ("vae_hidden",)}
# the tuned run: the paper's architecture and init, with Adam on the per-pixel mean MSE
_TUNED = {"optimizer": "adam", "loss_reduction": "mean", "snapshot_every": 1000}


def _data(block: dict) -> dict:
    """The images a job reads: the data set, how many training and test images, the figure digits."""
    return dict(block["data"])


def numpy_ae_run_settings(block: dict, reduction: str) -> dict:
    """`train_numpy_autoencoder`: the paper's NumPy autoencoder (``numpy_ae``) under the reading of "MSE"
    `reduction` (the job's wildcard; neither the list of readings nor the default reading), and its data."""
    model = {k: v for k, v in block["numpy_ae"].items() if k != "loss_reductions"}
    model["loss_reduction"] = reduction
    return canonical({"model": model, "data": _data(block)})


def numpy_ae_tuned_run_settings(block: dict) -> dict:
    """`train_numpy_autoencoder_tuned`: the paper's architecture and init (``numpy_ae``'s hidden_dim and
    init_std), trained with Adam on the per-pixel mean MSE as ``numpy_ae_tuned`` says, and its data."""
    paper = block["numpy_ae"]
    model = {"hidden_dim": paper["hidden_dim"], "init_std": paper["init_std"], **_TUNED, **block["numpy_ae_tuned"]}
    return canonical({"model": model, "data": _data(block)})


def torch_ae_run_settings(block: dict, model: str) -> dict:
    """`train_torch_autoencoder` of `model` (the job's wildcard): the training settings every torch
    autoencoder shares, the ones its architecture reads (the conv channels, the VAE's hidden units) and
    its own noise level (the denoising models), and its data. Which models and code sizes are run is no
    part of it: the code size is the job's wildcard."""
    if model not in AE_MODELS:
        raise ValueError(f"unknown autoencoder {model!r}; known: {', '.join(AE_MODELS)}")
    torch_ae = block["torch_ae"]
    architecture, corruption = AE_MODELS[model]
    settings = {k: torch_ae[k] for k in (*_TORCH_TRAINING, *_ARCHITECTURE_KEYS[architecture])}
    if corruption is not None:
        settings["noise"] = {corruption: torch_ae["noise"][corruption]}
    return canonical({"model": settings, "data": _data(block)})


def ae_baselines_run_settings(block: dict) -> dict:
    """`fit_autoencoder_baselines`: the PCA code size, the code sizes of the compression curve (PCA at
    each), and the images (no figure digits: the baselines draw none)."""
    data = {k: v for k, v in block["data"].items() if k != "figure_digits"}
    baselines = {"pca_components": block["baselines"]["pca_components"], "code_sizes": block["torch_ae"]["code_sizes"]}
    return canonical({"baselines": baselines, "data": data})
