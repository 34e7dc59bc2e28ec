"""Training-step throughput of the paper's NumPy autoencoder (784 -> 64 -> 784, batch 1024).

Compares, in one run and on the same batches:
  ours   dlrepro's NumPy step (hand-written forward/backward, tanh-form sigmoid)
  naive  the same step written the usual way (exp-based sigmoid with np.where, float64 loss sum)
  torch  the same model and plain SGD step in PyTorch on the CPU (autograd)
Target (issue 9): ours within 1.2x of torch. The header names NumPy's BLAS kernel: the NumPy steps are
as fast as it is. OpenBLAS picks it from the CPU unless OPENBLAS_CORETYPE names one; compare kernels
with e.g. `OPENBLAS_CORETYPE=Haswell python benchmarks/numpy_autoencoder.py` and
`env -u OPENBLAS_CORETYPE python benchmarks/numpy_autoencoder.py`. The NumPy steps are also as fast as
fresh memory is: the run applies the pipeline's malloc settings (dlrepro.malloc: freed blocks stay in
the process, no page faults on reuse), `--glibc-defaults` times glibc's own instead.

    python benchmarks/numpy_autoencoder.py [--steps 100] [--threads 1] [--glibc-defaults]
"""

import argparse
import time


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100, help="timed steps per variant (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads (default: %(default)s)")
    parser.add_argument(
        "--glibc-defaults", action="store_true", help="keep glibc's malloc thresholds (the pipeline's jobs do not)"
    )
    return parser.parse_args()


def make_ours_step():
    """dlrepro's NumPy training step, on a fresh model (seed 0)."""
    from dlrepro.autoencoder.numpy_model import NumpyAutoencoder, mse_loss

    model = NumpyAutoencoder(seed=0)

    def ours(x):
        _, grad = mse_loss(model(x), x, "sum")
        model.backward(grad)
        model.sgd_step(1e-4)

    return ours


def make_naive_step():
    """The same step written the usual way, on a fresh model with the same weights (seed 0)."""
    import numpy as np

    from dlrepro.autoencoder.numpy_model import NumpyAutoencoder

    naive_model = NumpyAutoencoder(seed=0)
    w1, b1 = naive_model.layers[0].weight, naive_model.layers[0].bias
    w2, b2 = naive_model.layers[2].weight, naive_model.layers[2].bias

    def naive(x):
        h_pre = x @ w1 + b1
        h = np.where(h_pre > 0, h_pre, 0)
        o_pre = h @ w2 + b2
        e = np.exp(-np.abs(o_pre))
        y = np.where(o_pre >= 0, 1 / (1 + e), e / (1 + e)).astype(np.float32)
        d = y - x
        _ = float(np.sum(d * d, dtype=np.float64))
        g = 2 * d * y * (1 - y)
        gw2, gb2 = h.T @ g, g.sum(0)
        gh = (g @ w2.T) * (h_pre > 0)
        gw1, gb1 = x.T @ gh, gh.sum(0)
        for p, gp in ((w1, gw1), (b1, gb1), (w2, gw2), (b2, gb2)):
            p -= np.float32(1e-4) * gp

    return naive


def make_torch_step():
    """The same model and plain SGD step in PyTorch (autograd)."""
    import torch

    net = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 784), torch.nn.Sigmoid())
    opt = torch.optim.SGD(net.parameters(), lr=1e-4)

    def step(x):
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(net(x), x, reduction="sum")
        loss.backward()
        opt.step()

    return step


def steps_per_second(step, data, steps):
    """5 untimed warm-up steps, then `steps` timed ones, cycling through the batches in `data`."""
    for i in range(5):  # warm-up
        step(data[i % len(data)])
    t = time.perf_counter()
    for i in range(steps):
        step(data[i % len(data)])
    return steps / (time.perf_counter() - t)


def report(args, results):
    from dlrepro.blas import blas_description
    from dlrepro.malloc import malloc_description

    print(f"threads={args.threads}, batch 1024, {args.steps} steps each; NumPy's BLAS: {blas_description()}")
    print(f"malloc: {malloc_description()}")
    for name, rate in results.items():
        print(f"  {name:6s} {rate:8.1f} steps/s")
    print(f"ours / naive : {results['ours'] / results['naive']:.2f}x")
    print(f"torch / ours : {results['torch'] / results['ours']:.2f}x (target <= 1.2)")


def main():
    args = parse_args()
    from dlrepro.blas import configure_blas
    from dlrepro.malloc import tune_malloc

    configure_blas(args.threads)  # before NumPy loads its BLAS, as the pipeline's NumPy jobs do
    if not args.glibc_defaults:
        tune_malloc()  # what the workflow's jobs start with (set_job_environment)

    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    batches = [rng.random((1024, 784), dtype=np.float32) for _ in range(8)]
    ours, naive, torch_step = make_ours_step(), make_naive_step(), make_torch_step()
    tbatches = [torch.from_numpy(b) for b in batches]

    results = {}
    for name, step, data in (("ours", ours, batches), ("naive", naive, batches), ("torch", torch_step, tbatches)):
        results[name] = steps_per_second(step, data, args.steps)
    report(args, results)


if __name__ == "__main__":
    main()
