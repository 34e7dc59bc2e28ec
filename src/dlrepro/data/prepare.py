"""Raw files -> compact caches (uncompressed `.npz` of uint8 arrays) that training loads in milliseconds.

| data set          | cache arrays                                                          |
|-------------------|-----------------------------------------------------------------------|
| mnist             | x_train (60000, 28, 28), y_train, x_test (10000, 28, 28), y_test      |
| cifar10           | x_train (50000, 3, 32, 32), y_train, x_test (10000, 3, 32, 32), y_test|
| cifar100          | as cifar10 (labels 0..99, the fine classes), and class_names          |
| image folder      | as cifar10 (resized to 32x32, classes from folder names), class_names  |
| rt_polarity       | text (UTF-8 bytes of all snippets), offsets (N+1,), labels (1 = positive)|
| tiny_shakespeare  | text (UTF-8 bytes)                                                    |
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from dlrepro.data.fetch import storage_error
from dlrepro.data.formats import (
    FormatError,
    read_cifar_batch,
    read_idx,
    read_pickle_dict,
    read_text_lines,
)

__all__ = ["PREPARERS", "prepare", "write_cache", "load_cache", "decode_texts"]

log = logging.getLogger(__name__)


def _check_labels(path_hint: str, images: np.ndarray, labels: np.ndarray, n_classes: int = 10) -> None:
    if len(images) != len(labels):
        raise FormatError(f"{path_hint}: {len(images)} images but {len(labels)} labels")
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise FormatError(f"{path_hint}: labels outside 0..{n_classes - 1}")


def prepare_mnist(raw_dir: Path) -> dict[str, np.ndarray]:
    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        x = read_idx(raw_dir / f"{prefix}-images-idx3-ubyte.gz")
        y = read_idx(raw_dir / f"{prefix}-labels-idx1-ubyte.gz")
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
            raise FormatError(f"{raw_dir}: MNIST {split} images must be uint8 (N, 28, 28), got {x.dtype} {x.shape}")
        _check_labels(f"{raw_dir} ({split})", x, y)
        out[f"x_{split}"], out[f"y_{split}"] = x, y.astype(np.uint8)
    return out


def prepare_cifar10(raw_dir: Path) -> dict[str, np.ndarray]:
    batches = raw_dir / "cifar-10-batches-py"
    train = [read_cifar_batch(batches / f"data_batch_{i}") for i in range(1, 6)]
    x_test, y_test = read_cifar_batch(batches / "test_batch")
    return {
        "x_train": np.concatenate([x for x, _ in train]),
        "y_train": np.concatenate([y for _, y in train]),
        "x_test": x_test,
        "y_test": y_test,
    }


def prepare_cifar100(raw_dir: Path) -> dict[str, np.ndarray]:
    """CIFAR-100 with its 100 fine labels, and their names from `meta`."""
    folder = raw_dir / "cifar-100-python"
    x_train, y_train = read_cifar_batch(folder / "train", label_key="fine_labels", n_classes=100)
    x_test, y_test = read_cifar_batch(folder / "test", label_key="fine_labels", n_classes=100)
    names = read_pickle_dict(folder / "meta", "CIFAR-100 meta file").get("fine_label_names")
    if not isinstance(names, list) or len(names) != 100:
        raise FormatError(f"{folder / 'meta'}: CIFAR-100 meta file lacks the 100 'fine_label_names'")
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test, "class_names": np.array(names)}


def _pack_texts(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in encoded])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def decode_texts(text: np.ndarray, offsets: np.ndarray) -> list[str]:
    """Inverse of the packing used in the rt_polarity cache."""
    buf = text.tobytes()
    return [buf[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:])]


def prepare_rt_polarity(raw_dir: Path) -> dict[str, np.ndarray]:
    pos = read_text_lines(raw_dir / "rt-polarity.pos")
    neg = read_text_lines(raw_dir / "rt-polarity.neg")
    if not pos or not neg:
        raise FormatError(f"{raw_dir}: rt-polarity needs both positive and negative snippets")
    text, offsets = _pack_texts(pos + neg)
    labels = np.concatenate([np.ones(len(pos), np.uint8), np.zeros(len(neg), np.uint8)])
    return {"text": text, "offsets": offsets, "labels": labels}


def prepare_tiny_shakespeare(raw_dir: Path) -> dict[str, np.ndarray]:
    raw = (raw_dir / "input.txt").read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FormatError(f"{raw_dir / 'input.txt'}: not UTF-8 text ({e})") from e
    if not raw:
        raise FormatError(f"{raw_dir / 'input.txt'}: empty corpus")
    return {"text": np.frombuffer(raw, dtype=np.uint8)}


PREPARERS = {
    "idx_images": prepare_mnist,  # any image set in MNIST's layout (MNIST, Fashion-MNIST, ...)
    "mnist": prepare_mnist,
    "cifar10": prepare_cifar10,
    "cifar100": prepare_cifar100,
    "rt_polarity": prepare_rt_polarity,
    "tiny_shakespeare": prepare_tiny_shakespeare,
}


def write_cache(arrays: dict[str, np.ndarray], out_path: str | os.PathLike) -> None:
    """Write a cache atomically: a temporary name beside it, renamed once complete."""
    out_path = Path(out_path)
    tmp = out_path.with_name(f".{out_path.stem}.{os.getpid()}.tmp.npz")
    try:
        np.savez(tmp, **arrays)  # uncompressed: loading is a plain read
        os.replace(tmp, out_path)
    except OSError as e:  # disk full, read-only folder: say where, leave no partial cache
        raise storage_error(out_path, e) from e
    finally:
        tmp.unlink(missing_ok=True)


def prepare(
    name: str, raw_dir: str | os.PathLike, out_path: str | os.PathLike, *, kind: str | None = None
) -> dict[str, tuple]:
    """Build the cache of data set `name` (of format `kind`, default: its name) from its raw folder."""
    kind = kind or name
    if kind not in PREPARERS:
        raise ValueError(f"no preparer for data set {name!r} (format {kind!r}); known: {', '.join(sorted(PREPARERS))}")
    arrays = PREPARERS[kind](Path(raw_dir))
    write_cache(arrays, out_path)
    shapes = {k: v.shape for k, v in arrays.items()}
    log.info("%s cache written to %s: %s", name, out_path, shapes)
    return shapes


def load_cache(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Load a cache written by `prepare` (never unpickles anything)."""
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}
