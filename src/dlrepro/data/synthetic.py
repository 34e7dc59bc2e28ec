"""Small data sets in the real on-disk formats, for tests and quick dry runs (like torchvision's FakeData).

`write_offline_dir(root)` lays out a folder like the project's shared data folder (mnist/, cifar10/,
text/...) with a few hundred synthetic examples, so the whole pipeline can run with
`data_dir=root data_checksums=warn` and no network. The digits are class-dependent strokes on a
28x28 canvas, so an autoencoder or classifier has something real to learn.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

from dlrepro.data.formats import write_cifar_batch, write_idx

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

__all__ = [
    "synthetic_digits",
    "write_mnist",
    "write_cifar10",
    "write_cifar100",
    "write_image_folder",
    "write_text",
    "write_offline_dir",
]


def synthetic_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n` uint8 images (n, 28, 28) of class-dependent strokes, and their labels 0..9."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    yy, xx = np.mgrid[0:28, 0:28].astype(np.float32)
    images = np.zeros((n, 28, 28), dtype=np.float32)
    for i, k in enumerate(labels):
        cy, cx = 14 + rng.normal(0, 1.0), 14 + rng.normal(0, 1.0)
        angle = np.pi * k / 10 + rng.normal(0, 0.05)
        # a bar at a class-specific angle, plus a ring for even classes
        dist = np.abs((xx - cx) * np.sin(angle) - (yy - cy) * np.cos(angle))
        along = np.abs((xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle))
        stroke = np.clip(1.5 - dist, 0, 1) * (along < 9)
        if k % 2 == 0:
            r = np.hypot(xx - cx, yy - cy)
            stroke = np.maximum(stroke, np.clip(1.5 - np.abs(r - 3 - k / 3), 0, 1))
        images[i] = stroke
    return (np.clip(images, 0, 1) * 255).astype(np.uint8), labels


def write_mnist(root: str | os.PathLike, n_train: int = 512, n_test: int = 128, seed: int = 0) -> Path:
    out = Path(root) / "mnist"
    out.mkdir(parents=True, exist_ok=True)
    for prefix, n, s in (("train", n_train, seed), ("t10k", n_test, seed + 1)):
        x, y = synthetic_digits(n, s)
        write_idx(out / f"{prefix}-images-idx3-ubyte.gz", x)
        write_idx(out / f"{prefix}-labels-idx1-ubyte.gz", y)
    return out


def write_cifar10(root: str | os.PathLike, n_per_batch: int = 50, seed: int = 0) -> Path:
    out = Path(root) / "cifar10" / "cifar-10-batches-py"
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = rng.integers(0, 10, size=n_per_batch)
        # class-dependent mean colour plus noise
        base = (labels[:, None] * 25).astype(np.float32)
        images = np.clip(base[:, :, None, None] + rng.normal(0, 30, (n_per_batch, 3, 32, 32)), 0, 255)
        write_cifar_batch(out / name, images.astype(np.uint8), labels, batch_label=name)
    meta = {"label_names": list(CIFAR10_CLASSES), "num_cases_per_batch": n_per_batch, "num_vis": 3072}
    with open(out / "batches.meta", "wb") as f:
        pickle.dump(meta, f, protocol=2)
    return out


def write_cifar100(root: str | os.PathLike, n_train: int = 300, n_test: int = 100, seed: int = 0) -> Path:
    """CIFAR-100's python layout (train, test, meta; fine and coarse labels), small and class-coloured."""
    out = Path(root) / "cifar100" / "cifar-100-python"
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for name, n in (("train", n_train), ("test", n_test)):
        fine = rng.integers(0, 100, size=n)
        base = (fine[:, None] * 2.5).astype(np.float32)
        images = np.clip(base[:, :, None, None] + rng.normal(0, 20, (n, 3, 32, 32)), 0, 255).astype(np.uint8)
        write_cifar_batch(
            out / name,
            images,
            fine,
            batch_label=name,
            label_key="fine_labels",
            extra={"coarse_labels": [int(x) // 5 for x in fine]},
        )
    meta = {
        "fine_label_names": [f"class_{i:02d}" for i in range(100)],
        "coarse_label_names": [f"group_{i:02d}" for i in range(20)],
    }
    with open(out / "meta", "wb") as f:
        pickle.dump(meta, f, protocol=2)
    return out


def write_image_folder(
    root: str | os.PathLike, classes=("cat", "dog", "owl"), n_train: int = 12, n_test: int = 4, seed: int = 0
) -> Path:
    """An ImageFolder tree (train/<class>/*.png, test/<class>/*.png) of 40x30 images, one colour per class."""
    from PIL import Image

    root = Path(root)
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("test", n_test)):
        for k, name in enumerate(classes):
            (root / split / name).mkdir(parents=True, exist_ok=True)
            for i in range(n):
                colour = np.array([60 * k, 255 - 60 * k, 120], dtype=np.float32)
                pixels = np.clip(colour + rng.normal(0, 25, (30, 40, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(root / split / name / f"{i:03d}.png")
    return root


_WORDS_POS = "a moving , funny and beautifully acted film that delights".split()
_WORDS_NEG = "a dull , lifeless and badly written mess that bores".split()


def write_text(root: str | os.PathLike, n_per_class: int = 60, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    rt = Path(root) / "text" / "rt_polarity"
    rt.mkdir(parents=True, exist_ok=True)
    for suffix, words in (("pos", _WORDS_POS), ("neg", _WORDS_NEG)):
        lines = [" ".join(rng.choice(words, size=rng.integers(4, 12))) for _ in range(n_per_class)]
        (rt / f"rt-polarity.{suffix}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    chars = Path(root) / "text" / "char_corpora"
    chars.mkdir(parents=True, exist_ok=True)
    verse = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
    (chars / "tinyshakespeare.txt").write_text(verse * 40, encoding="utf-8")
    return Path(root) / "text"


def write_offline_dir(root: str | os.PathLike, seed: int = 0) -> Path:
    """A complete offline data folder of synthetic files, laid out like the shared data folder."""
    root = Path(root)
    write_mnist(root, seed=seed)
    write_cifar10(root, seed=seed)
    write_cifar100(root, seed=seed)
    write_text(root, seed=seed)
    return root
