"""Images/s of our CNN and ViT training loops against a naive tutorial loop: same model, same steps.

Ours (dlrepro.vision.wsd.train_classifier): the images stay one uint8 tensor (on the GPU with
--data-on-device), a batch is a permutation slice augmented as a tensor, no host sync per step; the
fast paths are switches (--bf16, --channels-last, --compile; each defaults to what the config of
--size sets: config/config.yaml for `small`, config/full.yaml for `full`). Naive, as most tutorials write it: a
torchvision-style Dataset of PIL images with per-image RandomCrop(32, padding=4) +
RandomHorizontalFlip + ToTensor + Normalize, DataLoader(shuffle=True), `.to(device)` each step and
`loss.item()` each step, fp32. Both use the same model, AdamW and label smoothing.

    python benchmarks/vision_loops.py                        # CPU, 1 thread, the default config's models and fast paths
    python benchmarks/vision_loops.py --no-bf16 --no-channels-last   # ours in plain fp32
    python benchmarks/vision_loops.py --device cuda --size full --steps 200

Model only: the naive loop's model step (fp32) on one fixed batch, with no data handling at all: a loop
that keeps the model's arithmetic can at most remove the data handling, so `model only / naive` is the
ceiling of the ratio without the fast paths (printed as "ceiling").

Ours is timed on its second epoch (the first includes compilation); naive after --warmup steps.
Images are synthetic uint8 (speed does not depend on pixel values) unless --cache names a CIFAR-10 cache.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from defaults import study_defaults
from PIL import Image
from torch.nn import functional as F
from torchvision import transforms

from dlrepro.device import pick_device, resolve_bf16
from dlrepro.vision.data import CIFAR10_MEAN, CIFAR10_STD
from dlrepro.vision.models import build_model, parameter_count
from dlrepro.vision.settings import run_settings
from dlrepro.vision.training import TrainConfig, make_optimizer
from dlrepro.vision.wsd import train_classifier

# model sizes: `small` = config/config.yaml (CPU), `full` = config/full.yaml (ResNet-18, 6.3M-parameter ViT)
# and the fast paths each config turns on (its `vision.fast` block)
FAST = {
    "small": {"bf16": "auto", "channels_last": True, "compile": False},
    "full": {"bf16": True, "channels_last": True, "compile": True},
}
SIZES = {
    "small": {
        "cnn": {"widths": (16, 32, 64), "blocks": (1, 1, 1)},
        "vit": {"dim": 64, "depth": 4, "heads": 4, "mlp_ratio": 2.0},
    },
    "full": {
        "cnn": {"widths": (64, 128, 256, 512), "blocks": (2, 2, 2, 2)},
        "vit": {"dim": 256, "depth": 8, "heads": 8, "mlp_ratio": 4.0},
    },
}


class TutorialCIFAR(torch.utils.data.Dataset):
    """Like torchvision.datasets.CIFAR10: HWC uint8 arrays, a PIL image per item, per-image transforms."""

    def __init__(self, x_nchw: np.ndarray, y: np.ndarray):
        self.x, self.y = np.ascontiguousarray(x_nchw.transpose(0, 2, 3, 1)), y.astype(np.int64)
        self.transform = transforms.Compose(
            [
                transforms.RandomCrop(32, padding=4),
                transforms.RandomHorizontalFlip(),
                transforms.ToTensor(),
                transforms.Normalize(CIFAR10_MEAN, CIFAR10_STD),
            ]
        )

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.transform(Image.fromarray(self.x[i])), int(self.y[i])


def _tutorial_step(model, optimizer, images, labels):
    """One fp32 step as the tutorial writes it; returns the loss."""
    loss = F.cross_entropy(model(images), labels, label_smoothing=0.1)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


def naive_images_per_second(kind, arch, x, y, *, steps, warmup, batch_size, device, lr=2e-3) -> float:
    torch.manual_seed(0)
    model = build_model(kind, **arch).to(device)
    optimizer = make_optimizer(model, optimizer="adamw", momentum=0.9, learning_rate=lr, weight_decay=0.05)
    loader = torch.utils.data.DataLoader(TutorialCIFAR(x, y), batch_size=batch_size, shuffle=True, drop_last=True)
    model.train()
    running, done, tic = 0.0, 0, None
    while done < warmup + steps:
        for images, labels in loader:
            if done == warmup:
                tic = time.perf_counter()
            loss = _tutorial_step(model, optimizer, images.to(device), labels.to(device))
            running += loss.item()  # the tutorial's running loss: a host sync every step
            done += 1
            if done == warmup + steps:
                break
    return steps * batch_size / (time.perf_counter() - tic)


def model_only_images_per_second(kind, arch, x, y, *, steps, warmup, batch_size, device, lr=2e-3) -> float:
    torch.manual_seed(0)
    model = build_model(kind, **arch).to(device)
    optimizer = make_optimizer(model, optimizer="adamw", momentum=0.9, learning_rate=lr, weight_decay=0.05)
    loader = torch.utils.data.DataLoader(TutorialCIFAR(x, y), batch_size=batch_size, shuffle=True, drop_last=True)
    images, labels = (t.to(device) for t in next(iter(loader)))  # one batch, prepared once
    model.train()
    for i in range(warmup + steps):
        if i == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            tic = time.perf_counter()
        _tutorial_step(model, optimizer, images, labels)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return steps * batch_size / (time.perf_counter() - tic)


def recipe() -> dict:
    """The rest of our loop's recipe (TrainConfig has no defaults): config/config.yaml's `vision.train` as a run
    gets it, the naive loop's (AdamW, label smoothing, 4-pixel crop and flip, no mixing) with the configs'
    schedule; no checkpoints."""
    train = run_settings(study_defaults("vision"), model="cnn", fraction=1.0)["train"]
    train.pop("images")  # the run's budget; the loop gets its passes (`epochs`) below
    return {**train, "checkpoint_every_s": 0.0}


def ours_images_per_second(kind, arch, x, y, *, steps, batch_size, device, fast: dict) -> float:
    # two epochs of `steps` steps (the second timed) at the command line's batch size, scoring one batch
    per_run = {"epochs": 2, "batch_size": batch_size, "eval_examples": batch_size, "eval_batch_size": batch_size}
    cfg = TrainConfig(**{**recipe(), **per_run, **fast})
    data = {
        "x_train": x[: steps * batch_size],
        "y_train": y[: steps * batch_size],
        "x_test": x[:batch_size],
        "y_test": y[:batch_size],
    }
    _, history, _ = train_classifier(
        kind, arch, cfg, data, learning_rate=2e-3, weight_decay=0.05, seed=0, device=device
    )
    return steps * batch_size / (history[1]["train_seconds"] - history[0]["train_seconds"])  # the second epoch


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu", help="cpu | cuda | auto (default: cpu)")
    p.add_argument("--models", default="cnn,vit", help="comma-separated: cnn, vit (default: both)")
    p.add_argument(
        "--size", choices=sorted(SIZES), default="small", help="model sizes (default: small, the CPU config's)"
    )
    p.add_argument("--steps", type=int, default=30, help="timed steps of each loop (default: 30)")
    p.add_argument("--warmup", type=int, default=3, help="untimed first steps of the naive loop (default: 3)")
    p.add_argument("--batch-size", type=int, default=128, help="images per step (default: 128)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: 1)")
    p.add_argument(
        "--data-on-device", action="store_true", help="ours: images resident on the device (implied on cuda)"
    )
    p.add_argument(
        "--bf16", action=argparse.BooleanOptionalAction, help="ours: bfloat16 autocast (default: as the --size config)"
    )
    p.add_argument(
        "--channels-last",
        action=argparse.BooleanOptionalAction,
        help="ours: channels-last CNN (default: as the --size config)",
    )
    p.add_argument(
        "--compile", action=argparse.BooleanOptionalAction, help="ours: torch.compile (default: as the --size config)"
    )
    p.add_argument("--cache", default="", help="a CIFAR-10 cache (.npz) to take images from (default: synthetic)")
    return p.parse_args()


def images(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """Enough images and labels for every loop: from --cache, or synthetic uint8."""
    n = max(args.steps, args.warmup + args.steps) * args.batch_size
    if args.cache:
        z = np.load(args.cache)
        return z["x_train"][:n], z["y_train"][:n]
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8), rng.integers(0, 10, n)


def fast_paths(args: argparse.Namespace, device: torch.device) -> dict:
    """Our loop's fast paths: the --size config's, unless the command line says otherwise."""
    fast = {"data_on_device": args.data_on_device or device.type == "cuda"}
    for key, value in FAST[args.size].items():
        fast[key] = value if getattr(args, key) is None else getattr(args, key)
    fast["bf16"] = resolve_bf16(fast["bf16"], device)  # the config's `auto`: on where the device computes bf16
    return fast


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    x, y = images(args)
    fast = fast_paths(args, device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {args.threads} thread(s)"
    print(f"device: {name}; torch {torch.__version__}; batch {args.batch_size}, {args.steps} timed steps; ours: {fast}")
    print(
        f"{'model':<6} {'params':>10} {'naive img/s':>12} {'ours img/s':>12} {'ratio':>7} {'model only':>11} {'ceiling':>8}"
    )
    for kind in args.models.split(","):
        arch = SIZES[args.size][kind]
        naive = naive_images_per_second(
            kind, arch, x, y, steps=args.steps, warmup=args.warmup, batch_size=args.batch_size, device=device
        )
        ours = ours_images_per_second(
            kind, arch, x, y, steps=args.steps, batch_size=args.batch_size, device=device, fast=fast
        )
        only = model_only_images_per_second(
            kind, arch, x, y, steps=args.steps, warmup=args.warmup, batch_size=args.batch_size, device=device
        )
        params = parameter_count(build_model(kind, **arch))
        print(
            f"{kind:<6} {params:>10,} {naive:>12.0f} {ours:>12.0f} {ours / naive:>6.2f}x {only:>11.0f} {only / naive:>7.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
