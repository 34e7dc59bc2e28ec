"""The autoencoder study (§1): data selection, one run of either kind, the baselines, and the workflow's jobs.

The workflow's training scripts hand the `*_job` functions to `dlrepro.runner.run_job`; the plain
functions serve a notebook too:

    data = load_autoencoder_data("resources/mnist/mnist.npz", train_examples=0, test_examples=0, figure_digits=10)
    run = numpy_ae_run_settings(config["autoencoder"], "sum")  # dlrepro.autoencoder.settings: every key
    metrics, history, arrays = run_numpy_ae(data, run["model"], seed=0, data_status="verified")
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from dlrepro.autoencoder.flops import numpy_ae_flops
from dlrepro.autoencoder.numpy_training import (
    NumpyAEConfig,
    fixed_digit_indices,
    to_unit_float,
    train_numpy_autoencoder,
)
from dlrepro.checkpoint import Checkpointer
from dlrepro.data.prepare import load_cache
from dlrepro.metrics import mean_image_mse, pca_mse, psnr
from dlrepro.runner import Job

__all__ = [
    "AutoencoderData",
    "load_autoencoder_data",
    "run_numpy_ae",
    "run_torch_ae",
    "fit_baselines",
    "train_numpy_job",
    "train_torch_job",
    "fit_baselines_job",
]


@dataclass
class AutoencoderData:
    dataset: str  # name of the image set (mnist, fashion_mnist, ...)
    x_train: np.ndarray  # (N, 784) float32 in [0, 1]
    x_test: np.ndarray  # (M, 784) float32 in [0, 1]
    digit_indices: np.ndarray  # indices into the test set of the fixed figure digits
    digits: np.ndarray  # (n_digits, 784) float32


def load_autoencoder_data(
    cache_path, *, train_examples: int, test_examples: int, figure_digits: int, dataset: str = "mnist"
) -> AutoencoderData:
    """The first `train_examples`/`test_examples` images of an IDX set's cache (0 = all) and the fixed figure digits."""
    cache = load_cache(cache_path)
    n_train = train_examples or len(cache["x_train"])
    n_test = test_examples or len(cache["x_test"])
    x_train = to_unit_float(cache["x_train"][:n_train])
    x_test = to_unit_float(cache["x_test"][:n_test])
    idx = fixed_digit_indices(cache["y_test"][:n_test], figure_digits)
    return AutoencoderData(dataset, x_train, x_test, idx, x_test[idx])


def run_torch_ae(
    data: AutoencoderData,
    name: str,
    settings: dict,
    *,
    code_size: int,
    seed: int,
    data_status: str,
    checkpoint: Checkpointer | None = None,
):
    """Train one PyTorch autoencoder; return (metrics, per-epoch history, arrays for the figures).

    With `checkpoint` (a torch `Checkpointer`), training saves its state there every epoch and resumes
    from it; whoever made it removes it once the outputs are written (`dlrepro.runner` does).
    """
    from dlrepro.autoencoder.training import TorchAEConfig, train_autoencoder  # torch loads only when needed
    from dlrepro.device import resolve_bf16

    config = TorchAEConfig.from_dict({**settings, "bf16": resolve_bf16(settings["bf16"])})
    metrics, history, arrays = train_autoencoder(
        name,
        data.x_train,
        data.x_test,
        data.digits,
        code_size=code_size,
        config=config,
        seed=seed,
        checkpoint=checkpoint,
    )
    metrics.update(dataset=data.dataset, psnr=psnr(metrics["test_mse"]), data_status=data_status)
    arrays["originals"] = np.rint(data.digits * 255).astype(np.uint8)
    return metrics, history, arrays


def run_numpy_ae(
    data: AutoencoderData, settings: dict, *, seed: int, data_status: str, checkpoint: Checkpointer | None = None
):
    """Train one NumPy autoencoder; return (metrics, per-epoch history, arrays for the figures).

    With `checkpoint` (a `Checkpointer` of an .npz file), training saves its state there every epoch and
    resumes from it; whoever made it removes it once the outputs are written (`dlrepro.runner` does).
    """
    config = NumpyAEConfig.from_dict(settings)
    result = train_numpy_autoencoder(
        data.x_train, data.x_test, data.digits, config=config, seed=seed, checkpoint=checkpoint
    )
    last = result.history[-1]
    metrics = {
        "model": "numpy_ae",
        "seed": seed,
        **asdict(config),
        "dataset": data.dataset,
        "train_examples": len(data.x_train),
        "test_examples": len(data.x_test),
        "test_mse": last["test_mse"],
        "psnr": psnr(last["test_mse"]),
        "final_train_loss": last["train_loss"],
        "seconds": result.seconds,
        "data_status": data_status,
        **numpy_ae_flops(  # by hand: no torch model (dlrepro.autoencoder.flops)
            input_dim=data.x_train.shape[1],
            hidden_dim=config.hidden_dim,
            train_examples=len(data.x_train),
            epochs=config.epochs,
        ),
    }
    arrays = {
        "digit_indices": data.digit_indices,
        "originals": np.rint(data.digits * 255).astype(np.uint8),
        "snapshot_iterations": result.snapshot_iterations,
        "snapshots": result.snapshots,
        "reconstructions": np.clip(np.rint(result.reconstructions * 255), 0, 255).astype(np.uint8),
    }
    return metrics, result.history, arrays


def fit_baselines(data: AutoencoderData, *, pca_components: int, code_sizes=(), data_status: str) -> dict:
    """Reference errors: the mean training image, and PCA (the optimal linear code) at each code size.
    Fitted, not trained: no training FLOPs are recorded (`dlrepro.autoencoder.flops`)."""
    mean_mse = mean_image_mse(data.x_train, data.x_test)
    pca = pca_mse(data.x_train, data.x_test, pca_components)
    sweep = {str(k): pca_mse(data.x_train, data.x_test, k) for k in sorted(set(code_sizes))}
    return {
        "dataset": data.dataset,
        "mean_image_mse": mean_mse,
        "mean_image_psnr": psnr(mean_mse),
        "pca_components": pca_components,
        "pca_mse": pca,
        "pca_psnr": psnr(pca),
        "pca_sweep": sweep,  # code size -> test MSE per pixel
        "train_examples": len(data.x_train),
        "test_examples": len(data.x_test),
        "data_status": data_status,
    }


# ---- the workflow's jobs: each takes the runner's `Job` and returns {output name: value} ----


def train_numpy_job(job: Job) -> dict:
    """Rules `train_numpy_autoencoder` (the paper's setting, one reading of "MSE") and
    `train_numpy_autoencoder_tuned`: one NumPy autoencoder for seed `{seed}`, from ``job.run``'s model and
    data settings, resumable from the job's .npz checkpoint."""
    status = job.data_status()
    data = load_autoencoder_data(job.input.cache, **job.run["data"])
    metrics, history, arrays = run_numpy_ae(
        data, job.run["model"], seed=int(job.wildcards.seed), data_status=status, checkpoint=job.checkpoint
    )
    return {"metrics": metrics, "history": history, "snapshots": arrays}


def train_torch_job(job: Job) -> dict:
    """Rule `train_torch_autoencoder`: model `{ae_model}` at code size `{ae_code}` for seed `{seed}`, from
    ``job.run``'s training and data settings, resumable from the job's checkpoint."""
    wildcards, status = job.wildcards, job.data_status()
    data = load_autoencoder_data(job.input.cache, **job.run["data"])
    metrics, history, arrays = run_torch_ae(
        data,
        wildcards.ae_model,
        job.run["model"],
        code_size=int(wildcards.ae_code),
        seed=int(wildcards.seed),
        data_status=status,
        checkpoint=job.checkpoint,
    )
    return {"metrics": metrics, "history": history, "samples": arrays}


def fit_baselines_job(job: Job) -> dict:
    """Rule `fit_autoencoder_baselines`: the mean image and PCA on the study's images (``job.run``)."""
    status = job.data_status()
    data = load_autoencoder_data(job.input.cache, **job.run["data"], figure_digits=0)  # the baselines draw none
    return {"metrics": fit_baselines(data, **job.run["baselines"], data_status=status)}
