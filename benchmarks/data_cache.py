"""Loading the prepared MNIST cache vs parsing the raw IDX .gz files (the reason for prepare rules).

python benchmarks/data_cache.py [--raw-dir resources/mnist] [--repeats 5]
"""

import argparse
import tempfile
import time
from pathlib import Path

from dlrepro.data.prepare import load_cache, prepare, prepare_mnist
from dlrepro.data.synthetic import write_mnist


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--raw-dir", default="resources/mnist", help="folder with the 4 MNIST .gz files (default: %(default)s)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="best of N timings (default: %(default)s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(args.raw_dir)
        if not (raw / "train-images-idx3-ubyte.gz").is_file():
            print(f"{raw} has no MNIST files: using synthetic files of the real size")
            raw = write_mnist(tmp, n_train=60000, n_test=10000)
        cache = Path(tmp) / "mnist.npz"
        prepare("mnist", raw, cache)
        t_raw = best_of(lambda: prepare_mnist(raw), args.repeats)
        t_cache = best_of(lambda: load_cache(cache), args.repeats)
    print(f"parse raw IDX .gz : {t_raw * 1e3:8.1f} ms")
    print(f"load .npz cache   : {t_cache * 1e3:8.1f} ms")
    print(f"ratio             : {t_raw / t_cache:8.1f}x faster from the cache")


if __name__ == "__main__":
    main()
