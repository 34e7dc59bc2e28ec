"""Training-step throughput of the paper's GAN at batch 16 (and LSGAN, BiGAN): ours against a naive loop.

Same model, same number of steps, in one run (the machines are shared: compare the ratio):
  naive  the loop most tutorials write: DataLoader(TensorDataset, shuffle=True, batch_size=16),
         `.to(device)` of every batch and latent, nn.BCELoss with fresh label tensors, zero_grad/backward
         for both networks, and `loss.item()` per step for the running loss
  ours   dlrepro's eager loop: images one tensor on the device, batches by indexing a permutation,
         both halves through D in one pass, gradients only for the network being updated, losses
         accumulated on the device (one sync per epoch)
  graph  (CUDA only) the same step captured once in a torch.cuda.CUDAGraph and replayed: batch from an
         on-device counter, z drawn inside the graph, Adam(capturable=True)
Targets (issue 9): ours >= 2x naive on CPU; graph >= 8x naive on a GPU.

    python benchmarks/gan_loops.py [--device cpu|cuda] [--steps 1000] [--repeats 3] [--threads 1] [--models gan lsgan bigan]

Printed: steps/s of each loop and its ratio to the naive loop (medians over the rounds).
"""

import argparse
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=1000, help="timed steps per loop (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed steps before each timing (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="alternating rounds; the median is printed (default: %(default)s)")
    parser.add_argument("--models", nargs="+", default=["gan"], choices=["gan", "lsgan", "bigan"], help="default: gan")
    args = parser.parse_args()

    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    from dlrepro.gan.models import BiGAN, build_gan
    from dlrepro.gan.training import CounterStep, GanConfig, GraphedLoop, adversarial_step, make_optimizers, train_epoch_eager

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    batch, latent = 16, 100
    n_images = 60000  # MNIST's training set; speed does not depend on the pixel values
    images = torch.rand(n_images, 784)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    def naive(kind, steps):
        torch.manual_seed(0)
        model = build_gan(kind, latent_dim=latent, hidden=256).to(device)
        g_params = [p for m in model.generator_modules() for p in m.parameters()]
        opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=2e-4)
        opt_g = torch.optim.Adam(g_params, lr=2e-4)
        criterion = nn.MSELoss() if kind == "lsgan" else nn.BCELoss()
        loader = DataLoader(TensorDataset(images), batch_size=batch, shuffle=True, drop_last=True)
        running, done = 0.0, 0
        while True:
            for (real,) in loader:
                real = real.to(device)
                z = torch.randn(real.size(0), latent).to(device)
                ones, zeros = torch.ones(real.size(0), 1).to(device), torch.zeros(real.size(0), 1).to(device)
                fake = model.generator(z)
                if isinstance(model, BiGAN):
                    real_in, fake_in = torch.cat([real, model.encoder(real)], 1), torch.cat([fake, z], 1)
                else:
                    real_in, fake_in = real, fake
                opt_d.zero_grad()
                d_loss = criterion(model.discriminator(real_in.detach()), ones) + criterion(model.discriminator(fake_in.detach()), zeros)
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
                if done == steps:
                    return running

    def ours(kind, steps, graph):
        torch.manual_seed(0)
        config = GanConfig(kind=kind)
        model = build_gan(kind, latent_dim=latent, hidden=256).to(device)
        opt_d, opt_g = make_optimizers(model, config, capturable=graph)
        data = images[: steps * batch].to(device)  # one epoch = `steps` steps

        def step(real, z):
            return adversarial_step(model, opt_d, opt_g, real, z, kind=kind, form="non_saturating")

        shape = dict(batch_size=batch, latent_dim=latent, distribution="normal")
        if graph:
            return GraphedLoop(CounterStep(step, data, **shape)).run_epoch().tolist()
        return train_epoch_eager(step, data, **shape).tolist()

    def timed(fn, *a):
        fn(*a[:1], args.warmup, *a[1:])  # warm-up: allocator, kernels, Adam state
        sync()
        start = time.perf_counter()
        fn(*a[:1], args.steps, *a[1:])
        sync()
        return args.steps / (time.perf_counter() - start)

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {args.threads} thread(s)"
    print(f"GAN training steps/s at batch {batch}, {args.steps} steps, {name}, torch {torch.__version__}")
    for kind in args.models:
        # alternate the loops round by round, so load changes on a shared machine hit both alike
        loops = {"naive": (naive, kind), "ours": (ours, kind, False)}
        if device.type == "cuda":
            if args.warmup <= 3:
                raise SystemExit("--warmup must exceed the graph's 3 warm-up steps")
            loops["graph"] = (ours, kind, True)
        rounds = [{name: timed(*call) for name, call in loops.items()} for _ in range(args.repeats)]
        median = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
        rate = {name: median([r[name] for r in rounds]) for name in loops}
        ratio = {name: median([r[name] / r["naive"] for r in rounds]) for name in loops}
        line = f"{kind:6s} naive {rate['naive']:8.1f}  ours {rate['ours']:8.1f}  ratio {ratio['ours']:5.2f}x"
        if "graph" in rate:
            line += f"  graph {rate['graph']:8.1f}  ratio {ratio['graph']:5.2f}x"
        print(line, flush=True)


if __name__ == "__main__":
    main()
