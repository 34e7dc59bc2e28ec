"""The GAN study as plain functions: the workflow's jobs (`train_classifier_job`, `train_job`, run by
`dlrepro.runner.run_job`) call them, and a notebook can too:

data = load_gan_data("resources/mnist/mnist.npz", train_examples=0, test_examples=0)
classifier, cls_metrics, reference = run_classifier(data, settings["classifier"], sample_sizes=[2000, 10000], seed=0)
metrics, history, arrays = run_gan(
    data, "gan", settings, seed=0, classifier=classifier, reference=reference, data_status="verified"
)

`settings` is the config's `gan` block; a job gets only the part it reads (`dlrepro.gan.settings`).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np
import torch

from dlrepro.checkpoint import Checkpointer
from dlrepro.data.prepare import load_cache
from dlrepro.device import resolve_bf16
from dlrepro.gan.classifier import reference_points, train_classifier
from dlrepro.gan.flops import classifier_flops, gan_flops
from dlrepro.gan.metrics import linear_probe, sample_quality
from dlrepro.gan.models import BiGAN, MnistClassifier
from dlrepro.gan.training import GanConfig, generate, train_gan
from dlrepro.runner import Job

__all__ = [
    "GanData",
    "load_gan_data",
    "gan_config",
    "reference_sizes",
    "run_classifier",
    "load_classifier",
    "run_gan",
    "history_rows",
    "train_classifier_job",
    "train_job",
]

log = logging.getLogger(__name__)

N_CLASSES = 10


@dataclass
class GanData:
    dataset: str  # the IDX image set's name (mnist, fashion_mnist, ...)
    x_train: np.ndarray  # (N, 784) float32 in [0, 1]: the Sigmoid generator's range
    y_train: np.ndarray  # (N,) int64
    x_test: np.ndarray  # (M, 784) float32 in [0, 1]
    y_test: np.ndarray  # (M,) int64


def load_gan_data(cache_path, *, train_examples: int, test_examples: int, dataset: str = "mnist") -> GanData:
    """The first `train_examples`/`test_examples` images of an IDX set (0 = all), flattened and scaled to [0, 1]."""
    cache = load_cache(cache_path)
    n_train = train_examples or len(cache["x_train"])
    n_test = test_examples or len(cache["x_test"])
    unit = lambda x: x.reshape(len(x), -1).astype(np.float32) / 255.0  # noqa: E731
    return GanData(
        dataset,
        unit(cache["x_train"][:n_train]),
        cache["y_train"][:n_train].astype(np.int64),
        unit(cache["x_test"][:n_test]),
        cache["y_test"][:n_test].astype(np.int64),
    )


def gan_config(kind: str, settings: dict) -> GanConfig:
    """The package config of one model from the config's `gan` block (its model/optim/eval sub-blocks)."""
    e = settings["eval"]
    return GanConfig.from_dict(
        {
            "kind": kind,
            **settings["model"],
            **settings["optim"],
            "cuda_graph": settings["cuda_graph"],
            "eval_samples": e["samples_per_epoch"],
            "final_samples": e["final_samples"],
            "grid_samples": e["grid_samples"],
        }
    )


def reference_sizes(settings: dict, data: GanData) -> list[int]:
    """Sample sizes the FID floor is computed at: the per-epoch and the final sample sizes."""
    e = settings["eval"]
    return sorted({min(e["samples_per_epoch"], len(data.x_train)), min(e["final_samples"], len(data.x_train))})


def run_classifier(data: GanData, settings: dict, *, sample_sizes: list[int], seed: int):
    """Train the metric classifier; returns (model, metrics incl. the reference points, reference stats)."""
    c = settings
    model, metrics = train_classifier(
        data.x_train,
        data.y_train,
        data.x_test,
        data.y_test,
        epochs=c["epochs"],
        batch_size=c["batch_size"],
        learning_rate=c["learning_rate"],
        channels=c["channels"],
        hidden=c["hidden"],
        seed=seed,
        bf16=resolve_bf16(c["bf16"]),
    )
    refs, stats = reference_points(model, data.x_train, data.x_test, sample_sizes=sample_sizes)
    metrics.update(refs, seed=seed, channels=list(c["channels"]), hidden=c["hidden"], dataset=data.dataset)
    metrics.update(classifier_flops(model, train_examples=len(data.x_train), epochs=c["epochs"]))
    metrics["meets_min_accuracy"] = metrics["test_accuracy"] >= c["min_accuracy"]
    if not metrics["meets_min_accuracy"]:
        log.warning(
            "classifier test accuracy %.4f is below the required %.4f", metrics["test_accuracy"], c["min_accuracy"]
        )
    return model, metrics, stats


def load_classifier(path, *, channels, hidden, device) -> MnistClassifier:
    model = MnistClassifier(channels=tuple(channels), hidden=hidden)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.to(device).eval()


def _to_uint8(x) -> np.ndarray:
    return np.rint(np.asarray(x) * 255).clip(0, 255).astype(np.uint8)


def bigan_extras(
    model: BiGAN, data: GanData, *, probe_train: int, probe_steps: int, digits: int, seed: int, device
) -> tuple[dict, dict]:
    """Reconstructions G(E(x)) and a linear probe of E(x) against raw pixels and a random-init encoder."""
    n = min(probe_train, len(data.x_train))
    x_tr = torch.as_tensor(data.x_train[:n], device=device)
    x_te = torch.as_tensor(data.x_test, device=device)
    y_tr, y_te = torch.as_tensor(data.y_train[:n]), torch.as_tensor(data.y_test)
    torch.manual_seed(seed + 7919)  # a fresh encoder of the same architecture, untrained
    random_encoder = BiGAN(latent_dim=model.latent_dim, hidden=model.encoder[0].out_features).encoder.to(device)
    model.eval()
    with torch.no_grad():
        feats = {
            "encoder": (model.encoder(x_tr), model.encoder(x_te)),
            "pixels": (x_tr, x_te),
            "random_encoder": (random_encoder(x_tr), random_encoder(x_te)),
        }
        recon = model.generator(model.encoder(x_te))
    probe = {name: linear_probe(a.cpu(), y_tr, b.cpu(), y_te, steps=probe_steps) for name, (a, b) in feats.items()}
    # the first test image of each class: the same digits in every figure
    idx = [int(np.flatnonzero(data.y_test == k)[0]) for k in range(N_CLASSES) if (data.y_test == k).any()][:digits]
    metrics = {
        "probe_accuracy": probe,
        "probe_train_examples": n,
        "reconstruction_mse": float((recon - x_te).square().mean()),
    }
    arrays = {"originals": _to_uint8(data.x_test[idx]), "reconstructions": _to_uint8(recon[idx].cpu())}
    return metrics, arrays


def run_gan(
    data: GanData,
    kind: str,
    settings: dict,
    *,
    seed: int,
    classifier: MnistClassifier,
    reference: dict,
    device="cpu",
    checkpointer: Checkpointer | None = None,
    data_status: str,
):
    """Train one model for one seed and score it; returns (metrics, history rows, arrays for figures).

    `checkpointer` keeps the run's state after every epoch (a rerun resumes from it); the caller removes
    it once the outputs are written. `data_status` is the data set's provenance status, recorded as is.
    """
    config = gan_config(kind, settings)
    device = torch.device(device)
    ref = (reference["mu"], reference["cov"])
    scorer = lambda images: sample_quality(classifier, images, ref)  # noqa: E731
    model, history, grids = train_gan(
        data.x_train, config=config, seed=seed, device=device, scorer=scorer, checkpointer=checkpointer
    )
    final_images = generate(model, config.final_samples, config, seed=2_000_003 * (seed + 1), device=device)
    final = scorer(final_images)
    train_seconds = sum(h["seconds"] for h in history)
    steps = (len(data.x_train) // config.batch_size) * config.epochs
    flops = gan_flops(model, config, train_examples=len(data.x_train), history=history)  # and per epoch in history
    metrics = {
        "model": kind,
        "seed": seed,
        "config": asdict(config),
        "device": str(device),
        "cuda_graph": bool(config.cuda_graph and device.type == "cuda"),
        "data_status": data_status,
        "dataset": data.dataset,
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_examples": len(data.x_train),
        "train_seconds": train_seconds,
        "steps_per_second": steps / train_seconds if train_seconds > 0 else float("nan"),
        **flops,  # train_flops and the counts it is made of
        "final": {**final, "samples": config.final_samples},
        "epoch1": {k: history[1][k] for k in ("fid", "inception_score", "coverage_kl")},
    }
    arrays = {"grids": _to_uint8(grids), "samples": _to_uint8(final_images[:64].cpu())}
    if kind == "bigan":
        e = settings["eval"]
        extra, extra_arrays = bigan_extras(
            model,
            data,
            probe_train=e["probe_train"],
            probe_steps=e["probe_steps"],
            digits=e["reconstruction_digits"],
            seed=seed,
            device=device,
        )
        metrics["bigan"] = extra
        arrays.update(extra_arrays)
    return metrics, history_rows(history), arrays


def history_rows(history: list[dict]) -> list[dict]:
    """Flat CSV rows: the class shares become share_0 .. share_9."""
    rows = []
    for h in history:
        row = {k: v for k, v in h.items() if k != "class_share"}
        row.update({f"share_{k}": s for k, s in enumerate(h.get("class_share", []))})
        rows.append(row)
    return rows


def train_classifier_job(job: Job) -> dict:
    """The `train_gan_classifier` rule (a `dlrepro.runner.Job`, CPU): train the metric classifier on the
    data set and record its reference points (the FID floor at the scores' sample sizes). Returns its
    weights (a state dict), its metrics (with the data set's provenance status) and the reference statistics."""
    run = job.run
    data = load_gan_data(job.input.cache, **run["data"])
    sizes = reference_sizes(run, data)
    model, metrics, reference = run_classifier(
        data, run["classifier"], sample_sizes=sizes, seed=run["classifier"]["seed"]
    )
    metrics["data_status"] = job.data_status()
    return {"weights": model.state_dict(), "metrics": metrics, "reference": reference}


def train_job(job: Job) -> dict:
    """The `train_gan` rule (a `dlrepro.runner.Job`): train model `gan_model` for one seed with the run's
    settings (`dlrepro.gan.settings.run_settings`), scoring it in the feature space of the trained metric
    classifier. Returns the metrics, the per-epoch history rows and the samples' arrays."""
    run, kind, seed = job.run, job.wildcards.gan_model, int(job.wildcards.seed)
    data = load_gan_data(job.input.cache, **run["data"])
    c = run["classifier"]
    classifier = load_classifier(job.input.classifier, channels=c["channels"], hidden=c["hidden"], device=job.device)
    reference = dict(np.load(job.input.reference))
    metrics, history, arrays = run_gan(
        data,
        kind,
        run,
        seed=seed,
        classifier=classifier,
        reference=reference,
        device=job.device,
        checkpointer=job.checkpoint,
        data_status=job.data_status(),
    )
    return {"metrics": metrics, "history": history, "samples": arrays}
