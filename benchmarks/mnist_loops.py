"""Training-loop throughput of the MNIST models outside the GAN: the four PyTorch autoencoders of §1.2
(basic, convolutional, denoising with Gaussian noise and with masking, variational) and the GAN study's
metric classifier, ours against a tutorial loop, same model, same optimiser, same number of steps.

  ours        the package's loops: the images one float tensor in memory, a batch by indexing a
              permutation, corruption drawn for the whole batch, no host sync per step
              (dlrepro.autoencoder.training.train_epoch; dlrepro.gan.classifier.train_classifier), with bf16
              autocast and channels-last as config/config.yaml sets them (--[no-]ae-bf16,
              --[no-]classifier-bf16 override it)
  naive       the loop most tutorials write: a torchvision-style Dataset that turns each uint8 image
              into a PIL image and then a tensor (transforms.ToTensor, per image), DataLoader(shuffle=True),
              `.to(device)` and `loss.item()` every step, the corruption drawn per batch
  model only  the naive loop's model step on one fixed batch with no data handling at all: a loop that
              keeps the model's arithmetic can at most remove the data handling, so `model only / naive`
              is the ceiling of the ratio (printed as "ceiling")

Steps are timed in the process's CPU time (one thread: other load on a shared machine does not
enter). Target (issue 9): ours >= 2x naive on the CPU.

    python benchmarks/mnist_loops.py [--mnist resources/mnist/mnist.npz] [--steps 100] [--models basic,conv,...]

Images: `--mnist` (the pipeline's cache, or train-images-idx3-ubyte[.gz]), else resources/mnist/mnist.npz
under the working directory when the pipeline has made it, else synthetic uint8 images.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

MODELS = ("basic", "conv", "denoising_gaussian", "denoising_mask", "vae", "classifier")
CLASSIFIER_BATCH, CLASSIFIER_LR = 64, 1e-3  # config/config.yaml's gan.classifier
DEFAULT_CACHE = Path("resources/mnist/mnist.npz")


@dataclasses.dataclass
class Bench:
    """What every loop shares: the step counts, the training settings and the images."""

    warmup: int
    steps: int
    ae: object  # TorchAEConfig: config/config.yaml's (batch 128, Adam 1e-3, its noise levels), fp32
    ours_ae: object  # the same with ours' bf16 setting
    classifier_bf16: bool
    source: str | None  # where the images came from (None: synthetic)
    raw: object  # (n, 28, 28) uint8 images, as the tutorial's Dataset holds them
    labels: object  # (n,) int64
    x: object  # ours: (n, 784) float tensor in [0, 1], as the pipeline holds the images
    y: object  # (n,) int64 tensor
    device: object  # torch.device


def parse_args():
    """The command line, and the models it names (a name not in MODELS is a usage error)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100, help="timed steps per loop (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps before (default: %(default)s)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated, from: " + ", ".join(MODELS))
    parser.add_argument(
        "--classifier-bf16",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="ours: train the classifier under bf16 autocast + channels-last (default: as the config's "
        "auto, on where the CPU computes bf16)",
    )
    parser.add_argument(
        "--ae-bf16",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="ours: train the autoencoders under bf16 autocast + channels-last (default: off, as the config)",
    )
    parser.add_argument(
        "--mnist", help="MNIST training images (default: resources/mnist/mnist.npz if present, else synthetic)"
    )
    args = parser.parse_args()
    models = args.models.split(",")
    for m in models:
        if m not in MODELS:
            parser.error(f"unknown model {m!r}; choose from {', '.join(MODELS)}")
    return args, models


def load_images(source, n):
    """The first `n` images and labels of `source` (npz cache, or an idx file with labels 0), else `n` synthetic ones."""
    import numpy as np

    from dlrepro.data.formats import read_idx

    if source:
        raw = np.load(source)["x_train"] if source.endswith(".npz") else read_idx(source)
        labels = np.load(source)["y_train"] if source.endswith(".npz") else np.zeros(len(raw), np.int64)
        return raw[:n], labels[:n].astype(np.int64)
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n)


def setup(args):
    """One torch thread, the training settings (resolving --classifier-bf16's default in `args`) and the images."""
    import numpy as np
    import torch
    from defaults import study_defaults

    from dlrepro.autoencoder.settings import AE_MODELS, torch_ae_run_settings
    from dlrepro.autoencoder.training import TorchAEConfig
    from dlrepro.device import resolve_bf16

    if args.classifier_bf16 is None:
        args.classifier_bf16 = resolve_bf16("auto")  # as config/config.yaml's gan.classifier.bf16

    torch.set_num_threads(1)
    # The autoencoders' recipe timed: every TorchAEConfig field as config/config.yaml's autoencoder.torch_ae
    # sets it, what torch_ae_run_settings passes each model, merged (epochs unused: the loops run --warmup and
    # --steps steps). bf16 off whatever the config says: the tutorial loops run in fp32 (the config has it off
    # too); ours' loop follows --ae-bf16.
    runs = [torch_ae_run_settings(study_defaults("autoencoder"), name)["model"] for name in AE_MODELS]
    noise = {kind: level for run in runs for kind, level in run.get("noise", {}).items()}
    ae = TorchAEConfig.from_dict({**{k: v for run in runs for k, v in run.items()}, "noise": noise, "bf16": False})
    source = args.mnist or (str(DEFAULT_CACHE) if DEFAULT_CACHE.exists() else None)
    n = (args.warmup + args.steps) * max(ae.batch_size, CLASSIFIER_BATCH)
    raw, labels = load_images(source, n)
    x = torch.from_numpy(
        raw.reshape(len(raw), 784).astype(np.float32) / 255
    )  # ours: one tensor, as the pipeline holds it
    return Bench(
        warmup=args.warmup,
        steps=args.steps,
        ae=ae,
        ours_ae=dataclasses.replace(ae, bf16=args.ae_bf16),
        classifier_bf16=args.classifier_bf16,
        source=source,
        raw=raw,
        labels=labels,
        x=x,
        y=torch.from_numpy(labels),
        device=torch.device("cpu"),
    )


def tutorial_dataset(raw, labels):
    """The tutorial's Dataset over `raw` images and their `labels`."""
    from PIL import Image
    from torch.utils.data import Dataset
    from torchvision import transforms

    class TutorialMNIST(Dataset):
        """Like torchvision.datasets.MNIST(transform=ToTensor()): a PIL image per item, converted per image."""

        def __init__(self):
            self.to_tensor = transforms.ToTensor()

        def __len__(self):
            return len(raw)

        def __getitem__(self, i):
            return self.to_tensor(Image.fromarray(raw[i], mode="L")).view(784), int(labels[i])

    return TutorialMNIST()


def fresh(bench, name, config=None):
    """Model `name` (seed 0) and its Adam optimiser; the autoencoders built with `config` (default: bench.ae)."""
    import torch

    from dlrepro.autoencoder.training import build_model
    from dlrepro.gan.models import MnistClassifier

    if config is None:
        config = bench.ae
    torch.manual_seed(0)
    model = (
        MnistClassifier(channels=(32, 64), hidden=128)
        if name == "classifier"
        else build_model(name, code_size=64, config=config)
    )
    return model, torch.optim.Adam(
        model.parameters(), lr=CLASSIFIER_LR if name == "classifier" else bench.ae.learning_rate
    )


def make_tutorial_step(bench, name):
    """The tutorial's step for model `name`: step(model, opt, images, targets, gen) trains on one batch
    (corruption drawn for the batch, as tutorials do) and returns the loss."""
    import torch.nn.functional as F

    from dlrepro.autoencoder.models import VariationalAutoencoder, vae_loss
    from dlrepro.autoencoder.training import corrupt, corruption

    ae = bench.ae

    def step(model, opt, images, targets, gen):
        if name == "classifier":
            loss = F.cross_entropy(model(images), targets)
        elif isinstance(model, VariationalAutoencoder):
            loss = vae_loss(model, images, gen)
        else:
            loss = F.mse_loss(model(corrupt(images, *corruption(name, ae), gen)), images)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


def naive(bench, name):
    import torch
    from torch.utils.data import DataLoader

    model, opt = fresh(bench, name)
    batch = CLASSIFIER_BATCH if name == "classifier" else bench.ae.batch_size
    loader = DataLoader(tutorial_dataset(bench.raw, bench.labels), batch_size=batch, shuffle=True, drop_last=True)
    gen = torch.Generator().manual_seed(1)
    step = make_tutorial_step(bench, name)
    model.train()
    running, done = 0.0, 0
    while True:
        for images, targets in loader:
            if done == bench.warmup:
                tic = time.process_time()
            loss = step(model, opt, images.to(bench.device), targets.to(bench.device), gen)
            running += loss.item()  # the tutorial's running loss: a host sync per step
            done += 1
            if done == bench.warmup + bench.steps:
                return bench.steps / (time.process_time() - tic)


def model_only(bench, name):
    import torch

    model, opt = fresh(bench, name)
    batch = CLASSIFIER_BATCH if name == "classifier" else bench.ae.batch_size
    images, targets = bench.x[:batch].clone(), bench.y[:batch].clone()
    gen = torch.Generator().manual_seed(1)
    step = make_tutorial_step(bench, name)
    model.train()
    for i in range(bench.warmup + bench.steps):
        if i == bench.warmup:
            tic = time.process_time()
        step(model, opt, images, targets, gen)
    return bench.steps / (time.process_time() - tic)


def ours_classifier(bench):
    """The package's whole training call, timed on a second call (warm allocator)."""
    from dlrepro.gan.classifier import train_classifier

    x, y, warmup, steps = bench.x, bench.y, bench.warmup, bench.steps
    kw = dict(
        epochs=1,
        batch_size=CLASSIFIER_BATCH,
        learning_rate=CLASSIFIER_LR,
        channels=[32, 64],
        hidden=128,
        seed=0,
        bf16=bench.classifier_bf16,
    )
    small = x[:CLASSIFIER_BATCH], y[:CLASSIFIER_BATCH]
    train_classifier(x[: warmup * CLASSIFIER_BATCH].numpy(), y[: warmup * CLASSIFIER_BATCH].numpy(), *small, **kw)
    tic = time.process_time()
    train_classifier(x[: steps * CLASSIFIER_BATCH].numpy(), y[: steps * CLASSIFIER_BATCH].numpy(), *small, **kw)
    return steps / (time.process_time() - tic)


def ours(bench, name):
    import torch

    from dlrepro.autoencoder.training import corruption, train_epoch

    if name == "classifier":
        return ours_classifier(bench)
    ae, ours_ae = bench.ae, bench.ours_ae
    model, opt = fresh(bench, name, ours_ae)
    kw = dict(
        batch_size=ae.batch_size,
        optimizer=opt,
        generator=torch.Generator().manual_seed(1),
        noise=corruption(name, ae),
        bf16=ours_ae.bf16,
    )
    train_epoch(model, bench.x[: bench.warmup * ae.batch_size], **kw)
    tic = time.process_time()
    train_epoch(model, bench.x[: bench.steps * ae.batch_size], **kw)
    return bench.steps / (time.process_time() - tic)


def main():
    args, models = parse_args()
    bench = setup(args)
    import torch

    print(
        f"CPU, 1 thread, torch {torch.__version__}; images: {bench.source or 'synthetic'}; {args.steps} timed steps after {args.warmup}; "
        f"autoencoders bf16: {args.ae_bf16}; classifier bf16: {args.classifier_bf16}"
    )
    print(f"{'model':<20} {'ours steps/s':>13} {'naive steps/s':>14} {'ratio':>7} {'model only':>11} {'ceiling':>8}")
    for name in models:
        a, b, c = ours(bench, name), naive(bench, name), model_only(bench, name)
        print(f"{name:<20} {a:13.1f} {b:14.1f} {a / b:6.2f}x {c:11.1f} {c / b:7.2f}x", flush=True)


if __name__ == "__main__":
    main()
