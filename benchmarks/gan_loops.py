"""Training-step throughput of the paper's GAN at batch 16 (and LSGAN, BiGAN): ours against a naive loop.

Same model, same number of steps, in one run (the machines are shared: compare the ratio):
  naive  the loop most tutorials write: DataLoader(TensorDataset, shuffle=True, batch_size=16),
         `.to(device)` of every batch and latent, nn.BCELoss with fresh label tensors, zero_grad/backward
         for both networks, and `loss.item()` per step for the running loss
  ours   dlrepro's eager loop: images one tensor on the device, batches by indexing a permutation,
         both halves through D in one pass, gradients only for the network being updated, losses
         accumulated on the device (one sync per epoch), Adam's fused kernel called without
         Optimizer.step's bookkeeping, subnormal floats flushed to zero (dlrepro.device.flush_denormals)
  graph  (CUDA only) the same step captured once in a torch.cuda.CUDAGraph and replayed: batch from an
         on-device counter, z drawn inside the graph, Adam(capturable=True)
Targets (issue 9): ours >= 2x naive on CPU; graph >= 8x naive on a GPU.

The images matter on a CPU: on MNIST the border pixels are 0 in every real image and nearly 0 in generated ones, so the
discriminator's first-layer gradients for them are tiny (or 0), and Adam's moment estimates of those
weights (12% of them after 2,000 steps) decay into subnormal floats, which x86 CPUs process many
times slower. Our loop flushes them to zero, a tutorial loop does not. So give the real training
images (`--mnist`: the pipeline's cache resources/mnist/mnist.npz, or train-images-idx3-ubyte[.gz])
and time a later stage of training (`--warmup` steps first, rounded up to whole epochs of `--steps`
steps); without `--mnist` the images are uniform noise.

    python benchmarks/gan_loops.py --mnist resources/mnist/mnist.npz --warmup 2000 --steps 1000 --models gan lsgan bigan
    python benchmarks/gan_loops.py [--device cpu|cuda] [--steps 1000] [--repeats 3] [--threads 1] [--models ...]

Printed: steps/s of each loop and its ratio to the naive loop (medians over the rounds).
"""

import argparse
import contextlib
import dataclasses
import time


@dataclasses.dataclass
class Bench:
    """What every loop shares: the device, the training images (on the host, (N, 784) floats in [0, 1]) and the shapes."""

    device: object  # torch.device
    images: object  # torch.Tensor
    batch: int = 16
    latent: int = 100


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=1000, help="timed steps per loop (default: %(default)s)")
    parser.add_argument(
        "--warmup", type=int, default=50, help="untimed training steps before the timed ones (default: %(default)s)"
    )
    parser.add_argument(
        "--mnist", help="MNIST training images: the pipeline's mnist.npz cache or an idx file (default: uniform noise)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: %(default)s)")
    parser.add_argument(
        "--repeats", type=int, default=3, help="alternating rounds; the median is printed (default: %(default)s)"
    )
    parser.add_argument("--models", nargs="+", default=["gan"], choices=["gan", "lsgan", "bigan"], help="default: gan")
    return parser.parse_args()


def load_images(mnist):
    """The MNIST training images at `mnist` (npz cache or idx file) scaled to [0, 1], else uniform noise."""
    import numpy as np
    import torch

    from dlrepro.data.formats import read_idx

    if mnist:
        raw = np.load(mnist)["x_train"] if mnist.endswith(".npz") else read_idx(mnist)
        return torch.from_numpy(raw.reshape(len(raw), 784).astype(np.float32) / 255)  # as the pipeline scales them
    return torch.rand(60000, 784)  # MNIST's size; no subnormals arise from noise


def sync(device):
    if device.type == "cuda":
        import torch

        torch.cuda.synchronize()


def naive(bench, kind, warmup, steps):
    """Trains `warmup + steps` steps; returns the steps/s of the last `steps`."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    from dlrepro.gan.models import BiGAN, build_gan

    device, batch, latent = bench.device, bench.batch, bench.latent
    torch.manual_seed(0)
    model = build_gan(kind, latent_dim=latent, hidden=256).to(device)
    g_params = [p for m in model.generator_modules() for p in m.parameters()]
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=2e-4)
    opt_g = torch.optim.Adam(g_params, lr=2e-4)
    criterion = nn.MSELoss() if kind == "lsgan" else nn.BCELoss()
    loader = DataLoader(TensorDataset(bench.images), batch_size=batch, shuffle=True, drop_last=True)
    running, done = 0.0, 0
    while True:
        for (real,) in loader:
            if done == warmup:
                sync(device)
                start = time.perf_counter()
            real = real.to(device)
            z = torch.randn(real.size(0), latent).to(device)
            ones, zeros = torch.ones(real.size(0), 1).to(device), torch.zeros(real.size(0), 1).to(device)
            fake = model.generator(z)
            if isinstance(model, BiGAN):
                real_in, fake_in = torch.cat([real, model.encoder(real)], 1), torch.cat([fake, z], 1)
            else:
                real_in, fake_in = real, fake
            opt_d.zero_grad()
            d_loss = criterion(model.discriminator(real_in.detach()), ones) + criterion(
                model.discriminator(fake_in.detach()), zeros
            )
            d_loss.backward()
            opt_d.step()
            opt_g.zero_grad()
            g_loss = criterion(model.discriminator(fake_in), ones)
            if isinstance(model, BiGAN):
                g_loss = g_loss + criterion(model.discriminator(real_in), zeros)
            g_loss.backward()
            opt_g.step()
            running += d_loss.item() + g_loss.item()  # the usual running-loss bookkeeping
            done += 1
            if done == warmup + steps:
                sync(device)
                return steps / (time.perf_counter() - start)


def ours(bench, kind, warmup, steps, graph):
    """The same: epochs of `steps` steps over a random subset of the images, `warmup // steps` of
    them untimed, then one timed (a CUDA graph is captured once, in the first epoch)."""
    import torch
    from defaults import study_defaults

    from dlrepro.device import flush_denormals
    from dlrepro.gan.models import build_gan
    from dlrepro.gan.settings import run_settings
    from dlrepro.gan.study import gan_config
    from dlrepro.gan.training import CounterStep, GraphedLoop, adversarial_step, make_optimizers, train_epoch_eager

    device, batch, latent = bench.device, bench.batch, bench.latent
    torch.manual_seed(0)
    # the recipe timed: config/config.yaml's gan block (the paper's, §2.2-2.7) as the pipeline's run of `kind`
    # gets it; make_optimizers reads its learning rate and betas
    config = gan_config(kind, run_settings(study_defaults("gan"), kind))
    model = build_gan(kind, latent_dim=latent, hidden=256).to(device)
    opt_d, opt_g = make_optimizers(model, config, capturable=graph)
    subset = bench.images[torch.randperm(len(bench.images))[: steps * batch]].to(device)

    def step(real, z):
        return adversarial_step(model, opt_d, opt_g, real, z, kind=kind, form="non_saturating")

    shape = dict(batch_size=batch, latent_dim=latent, distribution="normal")
    if graph:
        run_epoch = GraphedLoop(CounterStep(step, subset, **shape)).run_epoch
    else:
        run_epoch = lambda: train_epoch_eager(step, subset, **shape)  # noqa: E731
    with flush_denormals() if device.type == "cpu" else contextlib.nullcontext():
        for _ in range(warmup // steps):
            run_epoch().tolist()
        sync(device)
        start = time.perf_counter()
        run_epoch().tolist()
        sync(device)
    return steps / (time.perf_counter() - start)


def median(xs):
    return sorted(xs)[len(xs) // 2]


def compare(bench, kind, warmup, steps, repeats):
    """Times the loops on model `kind` in `repeats` alternating rounds; returns the printed line (medians)."""
    # alternate the loops round by round, so load changes on a shared machine hit both alike
    loops = {"naive": (naive,), "ours": (ours, False)}
    if bench.device.type == "cuda":
        if warmup == 0:
            raise SystemExit("--warmup must be positive on a GPU (the first epoch captures the graph)")
        loops["graph"] = (ours, True)
    rounds = [
        {name: fn(bench, kind, warmup, steps, *rest) for name, (fn, *rest) in loops.items()} for _ in range(repeats)
    ]
    rate = {name: median([r[name] for r in rounds]) for name in loops}
    ratio = {name: median([r[name] / r["naive"] for r in rounds]) for name in loops}
    line = f"{kind:6s} naive {rate['naive']:8.1f}  ours {rate['ours']:8.1f}  ratio {ratio['ours']:5.2f}x"
    if "graph" in rate:
        line += f"  graph {rate['graph']:8.1f}  ratio {ratio['graph']:5.2f}x"
    return line


def main():
    args = parse_args()
    import torch

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    bench = Bench(device=device, images=load_images(args.mnist))
    warmup = -(-args.warmup // args.steps) * args.steps  # whole epochs of `steps` steps
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {args.threads} thread(s)"
    source = f"MNIST ({args.mnist})" if args.mnist else "uniform-noise images"
    print(
        f"GAN training steps/s at batch {bench.batch}: {args.steps} steps after {warmup}, {source}, {name}, torch {torch.__version__}"
    )
    for kind in args.models:
        print(compare(bench, kind, warmup, args.steps, args.repeats), flush=True)


if __name__ == "__main__":
    main()
