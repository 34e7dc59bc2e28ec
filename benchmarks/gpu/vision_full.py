"""Run the vision study's models at 100% of CIFAR-10 with the settings of config/full.yaml on one
device, outside Snakemake (the GPU machines here have torch but not snakemake), and print test
accuracy, wall time and images per second of each run.

    python benchmarks/gpu/vision_full.py --cache resources/cifar10/cifar10.npz --out results.json

`--images`, `--train-examples` and `--test-examples` shrink the run for a smoke test on a CPU.
Each run records the data status of the provenance record beside the cache (`provenance.json`, as
the workflow's prepare rules write it), or "no provenance record" where there is none.
`--jpeg-quality Q` passes every training and test image through JPEG once more (Pillow, quality Q,
4:2:0 chroma) before training: a dose-response probe of how much the JPEG-decoded copy in
`../shared/data` (quality 75) can cost in accuracy. It prints the RMSE/PSNR the extra pass adds.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))

from dlrepro.runner import data_status  # noqa: E402
from dlrepro.vision.study import load_vision_data, run_vision  # noqa: E402


def _jpeg_chunk(x: np.ndarray, quality: int) -> np.ndarray:
    from PIL import Image

    out = np.empty_like(x)
    for i, img in enumerate(x.transpose(0, 2, 3, 1)):
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=quality)
        out[i] = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB")).transpose(2, 0, 1)
    return out


def jpeg_roundtrip(x: np.ndarray, quality: int) -> np.ndarray:
    """(N, 3, 32, 32) uint8 -> the same images after one JPEG encode/decode at `quality` (Pillow's defaults
    otherwise: 4:2:0 chroma, the standard tables), in chunks on every core."""
    chunks = np.array_split(x, max(1, len(x) // 2000))
    with ProcessPoolExecutor(max_workers=min(len(chunks), os.cpu_count() or 1)) as pool:
        return np.concatenate(list(pool.map(_jpeg_chunk, chunks, [quality] * len(chunks))))


def distortion(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """RMSE (in 0-255 units) and PSNR (dB) between two uint8 arrays."""
    rmse = float(np.sqrt(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)))
    return rmse, 20 * np.log10(255 / rmse) if rmse > 0 else float("inf")


def parse_args() -> tuple[argparse.Namespace, dict]:
    """The command line, and the vision settings it selects (the config's, with its overrides applied)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=REPO / "config" / "full.yaml")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--models", nargs="+", default=["cnn", "vit"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fraction", type=float, default=1.0)
    parser.add_argument(
        "--images",
        type=int,
        default=0,
        help="override the config's vision.train.images, the training images drawn (0: keep)",
    )
    parser.add_argument("--train-examples", type=int, default=0)
    parser.add_argument("--test-examples", type=int, default=0)
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="override vision settings, e.g. train.cutmix_alpha=1.0 vit.drop_path=0.1 (values read as YAML)",
    )
    parser.add_argument(
        "--jpeg-quality", type=int, default=0, help="re-encode every image as JPEG at this quality first (0: off)"
    )
    parser.add_argument("--label", default="", help="a name for this variant in the printout and the JSON")
    parser.add_argument("--out", type=Path, default=None, help="write every run's metrics (JSON)")
    args = parser.parse_args()
    if not 0 <= args.jpeg_quality <= 100:
        parser.error(f"--jpeg-quality {args.jpeg_quality}: use 1-100 (Pillow's scale), or 0 for no extra pass")
    return args, vision_settings(args, parser)


def vision_settings(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict:
    """The config's `vision` block with `--set`, `--images` and `--no-compile` applied (a bad `--set` is a usage
    error), for one run at the base budget."""
    settings = copy.deepcopy(yaml.safe_load(args.config.read_text())["vision"])
    for item in args.set:
        key, _, value = item.partition("=")
        block, _, field = key.partition(".")
        if block not in settings or not isinstance(settings[block], dict) or not field:
            parser.error(
                f"--set {item!r}: use BLOCK.KEY=VALUE with BLOCK one of {sorted(k for k, v in settings.items() if isinstance(v, dict))}"
            )
        settings[block][field] = yaml.safe_load(value)
    if args.images:
        settings["train"]["images"] = args.images
    settings["budgets"] = [1]  # one run of train.images (its own WSD warm-up and cool-down), not the config's ladder
    if args.no_compile or args.device == "cpu":
        settings["fast"]["compile"] = False
    return settings


def jpeg_pass(data: dict, quality: int) -> dict:
    """Replaces the training and test images in `data` by their JPEG round trip at `quality`, prints the
    distortion, and returns it: {"x_train": (rmse, psnr), "x_test": (rmse, psnr)}."""
    jpeg = {}
    tic = time.perf_counter()
    for part in ("x_train", "x_test"):
        again = jpeg_roundtrip(data[part], quality)
        jpeg[part] = distortion(data[part], again)
        data[part] = again
    rmse, psnr = jpeg["x_train"]
    print(
        f"JPEG quality {quality} pass: training images RMSE {rmse:.2f}/255, PSNR {psnr:.1f} dB; test images RMSE "
        f"{jpeg['x_test'][0]:.2f}/255 ({time.perf_counter() - tic:.1f} s)",
        flush=True,
    )
    return jpeg


def cache_status(cache: Path) -> str:
    """The status in the provenance record beside `cache`, or "no provenance record" where there is none."""
    provenance = cache.parent / "provenance.json"
    return data_status(provenance) if provenance.is_file() else "no provenance record"


def run_one(data: dict, kind: str, settings: dict, args: argparse.Namespace, jpeg: dict) -> dict:
    """Trains and scores model `kind`, prints its accuracy, throughput and where the wall time went, and
    returns the run's record for the JSON."""
    start = time.perf_counter()
    ((metrics, history, _),) = run_vision(
        data,
        kind,
        settings,
        seed=args.seed,
        fraction=args.fraction,
        device=args.device,
        data_status=cache_status(args.cache),
    )
    wall = time.perf_counter() - start
    images = metrics["train_images"]
    final_loss = history[-1]["train_loss"]
    print(
        f"{args.label + ' ' if args.label else ''}{kind}: test accuracy {metrics['test_accuracy']:.4f}; last epoch's training loss {final_loss:.4f}; training {metrics['images_per_second']:,.0f} img/s; {wall:.1f} s wall incl. compile and eval = "
        f"{images / wall:,.0f} training img/s overall; parameters {metrics.get('parameters')}",
        flush=True,
    )
    print(
        f"  where the wall time went: training {metrics['train_seconds']:.1f} s (first epoch {history[0]['train_seconds']:.1f} s, "
        f"compiling included), setup {metrics['setup_seconds']:.1f} s, per-epoch scoring {metrics['eval_seconds']:.1f} s, "
        f"final scoring + FLOPs + figures {metrics['finish_seconds']:.1f} s, outside train_classifier "
        f"{wall - metrics['train_seconds'] - metrics['setup_seconds'] - metrics['eval_seconds'] - metrics['checkpoint_seconds'] - metrics['finish_seconds']:.1f} s",
        flush=True,
    )
    return {
        "kind": kind,
        "label": args.label,
        "overrides": args.set,
        "wall_seconds": wall,
        "final_train_loss": final_loss,
        "jpeg_quality": args.jpeg_quality,
        "jpeg_rmse_train": jpeg.get("x_train", (0.0,))[0],
        **{k: v for k, v in metrics.items() if not isinstance(v, (list, dict))},
    }


def main() -> None:
    args, settings = parse_args()
    data = load_vision_data(
        args.cache,
        fraction=args.fraction,
        seed=args.seed,
        train_examples=args.train_examples,
        test_examples=args.test_examples,
    )
    jpeg = jpeg_pass(data, args.jpeg_quality) if args.jpeg_quality else {}
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu"
    print(
        f"device {name}; torch {torch.__version__}; {len(data['x_train'])} training images; {settings['train']['images']} drawn",
        flush=True,
    )
    results = [run_one(data, kind, settings, args, jpeg) for kind in args.models]
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
