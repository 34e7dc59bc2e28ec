"""Ablation of small-budget recipes for the vision study's CNN and ViT, at the study's base budget.

Each variant is trained on CIFAR-10 (the training images drawn: `vision.train.images` x --budget, 20,000
at x1) under the study's recipe: AdamW, label smoothing, random crop + flip, bf16 autocast where the CPU
has it, and the pipeline's warm-up-stable-decay schedule (`dlrepro.schedules`: warm-up 10% of the steps,
1 - sqrt cool-down over the last 20%). The loop is this script's own, a plain version of the study's
(the same data order for every variant of a seed), so that a change is measured alone. Each run is
scored on all 10,000 test images, plain and with flip test-time augmentation (the mean of the logits of
an image and its mirror: `tta`; the study sums them, the same argmax).

Variants (sources named; ideas and numbers from them, the code here):
  CNN (the study's 78k-parameter ResNet, widths 16/32/64):
    base        the study's model with a plain 3x3 stem (`stem: conv`)
    zero_init   the last BatchNorm scale of every residual block starts at 0, so each block starts as the
                identity (Goyal et al. 2017, "Accurate, large minibatch SGD", §5.1)
    whiten      the study's `stem: whiten`: a frozen first layer that whitens 2x2 patches (the
                eigenvectors of their covariance on 5,000 training images, each with its sign flipped
                too: 24 channels), then a 1x1 convolution to the stem's width in place of the 3x3 one,
                about the base model's FLOPs (Keller Jordan's airbench, 2024; Page's "How to train
                your ResNet", 2018)
    whiten3x3   the same whitening layer followed by the study's 3x3 stem convolution (27% more time)
  ViT (the study's ViT: 4x4 patches, width 64, 4 blocks):
    base        the study's model with the plain patch embedding (`stem: patch`, 142k parameters)
    mean_pool   the head reads the mean patch token, not a class token (Beyer et al. 2022, "Better
                plain ViT baselines for ImageNet-1k")
    conv_stem   the study's `stem: conv`: the patch embedding replaced by two stride-2 3x3 convolutions
                (+BN, ReLU) and a 1x1 to the width: the same 8x8 tokens (Xiao et al. 2021, "Early
                convolutions help transformers see better")
    spt         shifted-patch tokenization: each image concatenated with its four diagonal shifts by
                half a patch before the patch embedding (Lee et al. 2021, "Vision Transformer for
                Small-Size Datasets")
    lsa         locality self-attention: a learned temperature per block and no attention of a token
                to itself (Lee et al. 2021)

    nice -n 5 python3 benchmarks/vision_recipe.py --raw-dir ../shared/data/cifar10 --seeds 0 1 \
        --models cnn --variants base zero_init whiten

It prints, per run, the test accuracy, with flip TTA, the counted forward FLOPs per image, parameters
and the process CPU seconds; then each variant's mean over seeds and its paired difference to `base`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from defaults import study_defaults
from torch import nn
from torch.nn import functional as F

from dlrepro.data.prepare import prepare_cifar10
from dlrepro.device import resolve_bf16
from dlrepro.schedules import ladder_branches, warmup_stable_decay
from dlrepro.vision.data import CIFAR10_MEAN, CIFAR10_STD, normalize, random_crop_flip
from dlrepro.vision.measure import flops_per_image
from dlrepro.vision.models import build_model, fit_whitening, parameter_count
from dlrepro.vision.study import model_settings
from dlrepro.vision.training import make_optimizer

VARIANTS = {
    "cnn": ("base", "zero_init", "whiten", "whiten3x3"),
    "vit": ("base", "mean_pool", "conv_stem", "spt", "lsa"),
}


class ShiftedPatches(nn.Module):
    """The image and its four diagonal shifts by `shift` pixels (zeros filled in), then the patch embedding."""

    def __init__(self, embed: nn.Conv2d, shift: int):
        super().__init__()
        self.shift = shift
        self.embed = nn.Conv2d(5 * embed.in_channels, embed.out_channels, embed.kernel_size, stride=embed.stride)

    def forward(self, x):
        s, (h, w) = self.shift, x.shape[-2:]
        padded = F.pad(x, (s, s, s, s))
        views = [x] + [padded[..., s + dy : s + dy + h, s + dx : s + dx + w] for dy in (-s, s) for dx in (-s, s)]
        return self.embed(torch.cat(views, dim=1))


class LocalityAttention(nn.Module):
    """An `Attention`'s projections with a learned temperature and the diagonal masked (Lee et al. 2021)."""

    def __init__(self, attn: nn.Module):
        super().__init__()
        self.heads, self.qkv, self.proj = attn.heads, attn.qkv, attn.proj
        self.log_scale = nn.Parameter(torch.tensor(-0.5 * np.log(attn.qkv.out_features // 3 // attn.heads)))

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        scores = (q @ k.transpose(-2, -1)) * self.log_scale.exp()
        scores = scores.masked_fill(torch.eye(n, dtype=torch.bool, device=x.device), float("-inf"))
        return self.proj((torch.softmax(scores, dim=-1) @ v).transpose(1, 2).flatten(2))


def build_variant(kind: str, variant: str, arch: dict, x_train: torch.Tensor, mean, std) -> nn.Module:
    """The study's model of `kind` with `variant`'s change (see the module's docstring)."""
    stems = {"whiten": "whiten", "whiten3x3": "whiten", "conv_stem": "conv"}
    plain = {"cnn": "conv", "vit": "patch"}[kind]  # the models before the study took the kept stems
    arch = dict(arch, stem=stems.get(variant, plain), **({"pool": "mean"} if variant == "mean_pool" else {}))
    model = build_model(kind, **arch)
    if variant == "whiten3x3":
        model.stem[1] = nn.Conv2d(model.stem[1].in_channels, model.stem[1].out_channels, 3, padding=1, bias=False)
    fit_whitening(model, normalize(x_train[:5000], mean, std))  # the study's: its first 5,000 training images
    if variant == "zero_init":
        for block in model.stages:
            nn.init.zeros_(block.bn2.weight)
    elif variant == "spt":
        model.patch = ShiftedPatches(model.patch, shift=model.patch.kernel_size[0] // 2)
    elif variant == "lsa":
        for block in model.blocks:
            block.attn = LocalityAttention(block.attn)
    elif variant not in ("base", "mean_pool", *stems):
        raise ValueError(f"unknown variant {variant!r} for {kind}")
    return model


@torch.no_grad()
def test_accuracy(model, x, y, mean, std, bf16: bool) -> tuple[float, float]:
    """Accuracy on uint8 images `x`, plain and with flip TTA (mean logits of each image and its mirror)."""
    model.eval()
    plain = tta = 0
    for i in range(0, len(x), 1000):
        xb = normalize(x[i : i + 1000], mean, std)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits, mirrored = model(xb).float(), model(xb.flip(3)).float()
        plain += int((logits.argmax(1) == y[i : i + 1000]).sum())
        tta += int(((logits + mirrored).argmax(1) == y[i : i + 1000]).sum())
    return plain / len(x), tta / len(x)


def train_run(kind: str, variant: str, data: dict, block: dict, *, seed: int, budget: float) -> dict:
    """One variant trained for one seed; its accuracies, FLOPs, parameters and CPU seconds."""
    tic = time.process_time()
    train = block["train"]
    arch, optim = model_settings(block, kind)
    mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in (CIFAR10_MEAN, CIFAR10_STD))
    x_train, y_train = data["x_train"], data["y_train"]
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    model = build_variant(kind, variant, arch, x_train, mean, std)
    opt = make_optimizer(model, momentum=train["momentum"], **optim)  # the study's: no decay on norms, biases
    batch, bf16 = train["batch_size"], resolve_bf16(block["fast"]["bf16"], "cpu")
    total = max(1, round(train["images"] * budget / batch))
    (branch,) = ladder_branches({budget: total}, train["cooldown_fraction"])
    warmup, cooldown = round(train["warmup_fraction"] * total), branch.cooldown
    per_pass, perm = len(x_train) // batch, None
    model.train()
    for step in range(total):
        if step % per_pass == 0:
            perm = torch.randperm(len(x_train), generator=gen)
        idx = perm[(step % per_pass) * batch : (step % per_pass + 1) * batch]
        xb = random_crop_flip(x_train[idx], padding=train["crop_padding"], flip=train["flip"], generator=gen)
        for group in opt.param_groups:
            group["lr"] = warmup_stable_decay(optim["learning_rate"], step, total, warmup=warmup, cooldown=cooldown)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(
                model(normalize(xb, mean, std)), y_train[idx], label_smoothing=train["label_smoothing"]
            )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    plain, tta = test_accuracy(model, data["x_test"], data["y_test"], mean, std, bf16)
    return {
        "model": kind,
        "variant": variant,
        "seed": seed,
        "steps": total,
        "test_accuracy": plain,
        "tta_accuracy": tta,
        "flops_per_image": flops_per_image(model.eval(), (3, 32, 32)),
        "parameters": parameter_count(model),
        "cpu_seconds": time.process_time() - tic,
    }


def summarize(runs: list[dict]) -> None:
    """Each variant's mean over seeds, and its paired difference to `base` (points)."""
    for kind in sorted({r["model"] for r in runs}):
        base = {r["seed"]: r for r in runs if r["model"] == kind and r["variant"] == "base"}
        for variant in dict.fromkeys(r["variant"] for r in runs if r["model"] == kind):
            rs = [r for r in runs if r["model"] == kind and r["variant"] == variant]
            acc, tta = (100 * np.mean([r[k] for r in rs]) for k in ("test_accuracy", "tta_accuracy"))
            diffs = [100 * (r["test_accuracy"] - base[r["seed"]]["test_accuracy"]) for r in rs if r["seed"] in base]
            paired = f"{np.mean(diffs):+.2f} (seeds {' '.join(f'{d:+.2f}' for d in diffs)})" if diffs else "-"
            print(f"{kind:4s} {variant:10s} acc {acc:6.2f}  tta {tta:6.2f}  vs base {paired}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-dir", type=Path, required=True, help="the folder holding cifar-10-batches-py")
    parser.add_argument("--models", nargs="+", default=["cnn", "vit"], choices=["cnn", "vit"])
    parser.add_argument("--variants", nargs="+", default=None, help="default: every variant of each model")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--budget", type=float, default=1.0, help="a multiple of vision.train.images")
    parser.add_argument("--train-examples", type=int, default=0, help="first N training images (0: all)")
    parser.add_argument("--test-examples", type=int, default=0, help="first N test images (0: all)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="write every run's numbers (JSON)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    raw = prepare_cifar10(args.raw_dir)
    n_train, n_test = args.train_examples or len(raw["x_train"]), args.test_examples or len(raw["x_test"])
    data = {
        "x_train": torch.from_numpy(raw["x_train"][:n_train]),
        "y_train": torch.from_numpy(raw["y_train"][:n_train].astype(np.int64)),
        "x_test": torch.from_numpy(raw["x_test"][:n_test]),
        "y_test": torch.from_numpy(raw["y_test"][:n_test].astype(np.int64)),
    }
    block, runs = study_defaults("vision"), []
    for kind in args.models:
        for variant in args.variants or VARIANTS[kind]:
            for seed in args.seeds:
                run = train_run(kind, variant, data, block, seed=seed, budget=args.budget)
                runs.append(run)
                print(
                    f"{kind:4s} {variant:10s} seed {seed}  acc {100 * run['test_accuracy']:6.2f}  tta "
                    f"{100 * run['tta_accuracy']:6.2f}  {run['flops_per_image'] / 1e6:6.1f} MFLOPs  "
                    f"{run['parameters']:7d} params  {run['cpu_seconds']:6.1f} cpu_s",
                    flush=True,
                )
    summarize(runs)
    if args.out:
        args.out.write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
