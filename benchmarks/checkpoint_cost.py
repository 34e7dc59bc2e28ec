"""What a resume checkpoint costs the vision study: bytes and seconds per save of the CNN and the ViT
with their optimizer state (the config's family: AdamW in full.yaml), written with
`dlrepro.checkpoint.Checkpointer` from tensors on `--device` (on a GPU this includes copying them to
the host), and the share of a training run that saving after every epoch would take. It is why `config/full.yaml` sets `vision.fast.checkpoint_every_s`.

    python benchmarks/checkpoint_cost.py --device cuda --epoch-seconds 1.2
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from dlrepro.checkpoint import Checkpointer  # noqa: E402
from dlrepro.vision.models import build_model  # noqa: E402
from dlrepro.vision.study import model_settings  # noqa: E402
from dlrepro.vision.training import make_optimizer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--config",
        type=Path,
        default=REPO / "config" / "full.yaml",
        help="models as in this config (default: full.yaml)",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=5, help="timed saves per model (default: 5)")
    parser.add_argument(
        "--epoch-seconds",
        type=float,
        default=1.2,
        help="one epoch's training time to compare with (default: 1.2, a ResNet-18 epoch on an H100)",
    )
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: a temporary folder)")
    args = parser.parse_args()
    settings = yaml.safe_load(args.config.read_text())["vision"]  # as vision_full.py: full.yaml names every model key
    print(
        f"device {args.device}; models of {args.config.name}; {args.repeats} saves each; epoch {args.epoch_seconds:g} s"
    )
    print(f"{'model':<5} {'MB':>7} {'median s':>9} {'min s':>7} {'max s':>7} {'share of an epoch':>18}")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for kind in ("cnn", "vit"):
            arch, optim = model_settings(settings, kind)
            model = build_model(kind, **arch).to(args.device)
            optimizer = make_optimizer(model, momentum=settings["train"]["momentum"], **optim)  # the config's family
            model(torch.randn(2, 3, 32, 32, device=args.device)).sum().backward()
            optimizer.step()  # the AdamW moments exist only after a step
            ckpt = Checkpointer(Path(tmp) / f"{kind}.pt", {"kind": kind})
            times = []
            for epoch in range(args.repeats):
                if args.device.startswith("cuda"):
                    torch.cuda.synchronize()
                tic = time.perf_counter()
                ckpt.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch})
                times.append(time.perf_counter() - tic)
            size = ckpt.path.stat().st_size / 1e6
            med = statistics.median(times)
            print(
                f"{kind:<5} {size:7.1f} {med:9.3f} {min(times):7.3f} {max(times):7.3f} {100 * med / args.epoch_seconds:17.0f}%"
            )


if __name__ == "__main__":
    main()
