"""Time full GAN trainings on one device: the paper's setting (batch 16, 10 epochs on all 60,000
MNIST images) for each model, with the CUDA-graph path and, for comparison, the eager path.

    python benchmarks/gpu/gan_epochs.py --mnist-dir DIR_WITH_THE_FOUR_IDX_GZ --device cuda

No quality scoring here (the pipeline's `train_gan` rule does that): this measures training time
and checks that the losses stay finite and the graph and eager runs train alike.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: the shared `defaults`

from defaults import study_defaults  # noqa: E402

from dlrepro.data.prepare import prepare_mnist  # noqa: E402
from dlrepro.gan.settings import run_settings  # noqa: E402
from dlrepro.gan.study import gan_config  # noqa: E402
from dlrepro.gan.training import train_gan  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist-dir", type=Path, required=True)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--models", nargs="+", default=["gan", "lsgan", "bigan"])
    parser.add_argument("--examples", type=int, default=0, help="training images used (0: all; small for a smoke test)")
    parser.add_argument("--eager-epochs", type=int, default=1, help="epochs of the eager path, for the ratio")
    args = parser.parse_args()
    x = prepare_mnist(args.mnist_dir)["x_train"].reshape(-1, 784).astype("float32") / 255.0
    x = x[: args.examples] if args.examples else x
    gan = study_defaults("gan")
    print(
        f"device {args.device}: {torch.cuda.get_device_name() if args.device.startswith('cuda') else 'cpu'}; torch {torch.__version__}"
    )
    for kind in args.models:
        for graph, epochs in ((True, args.epochs), (False, args.eager_epochs)):
            if epochs == 0:
                continue
            # the recipe timed: config/config.yaml's gan block (the paper's, §2.2-2.7) as the pipeline's run of
            # `kind` gets it, with this run's epochs and path (CUDA graph or eager)
            config = dataclasses.replace(gan_config(kind, run_settings(gan, kind)), epochs=epochs, cuda_graph=graph)
            start = time.perf_counter()
            _, history, _ = train_gan(x, config=config, seed=0, device=args.device)
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            seconds = time.perf_counter() - start
            steps = epochs * (len(x) // config.batch_size)
            last = history[-1]
            print(
                f"{kind:6s} {'graph' if graph else 'eager'}: {epochs} epochs in {seconds:7.1f} s = {steps / seconds:8.0f} steps/s; "
                f"last loss_d {last['loss_d']:.4f} loss_g {last['loss_g']:.4f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
