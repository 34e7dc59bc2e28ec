"""An image folder in torchvision's `ImageFolder` layout as a CIFAR-shaped cache.

    <train>/<class name>/<image file>      (any format Pillow reads: PNG, JPEG, ...)
    <test>/<class name>/<image file>

Classes are the training folder's sub-folders in sorted order (label = rank); the test folder may hold
a subset of them. Every image is converted to RGB and resized to `size` x `size` (bilinear), so the
cache has the arrays of the CIFAR caches: x_train (N, 3, size, size) uint8, y_train, x_test, y_test,
and class_names. There is no published checksum: `manifest_sha256` fingerprints the files (their
relative paths and contents), so a changed folder is seen as another data set.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from dlrepro.data.formats import FormatError

__all__ = ["IMAGE_SUFFIXES", "scan_image_folder", "read_image_folder", "manifest_sha256"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def scan_image_folder(root: str | Path, *, key: str, classes: list[str] | None = None) -> list[tuple[Path, str]]:
    """(image path, class name) of every image under `root`, sorted; errors name `key` and the folder."""
    root = Path(root)
    if not root.is_dir():
        raise FormatError(f"{key}: {root} is not a folder")
    found = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if classes is None and len(found) < 2:
        raise FormatError(
            f"{key}: {root} has {len(found)} class folder(s) ({', '.join(found) or 'none'}); a classifier needs at least 2"
        )
    unknown = sorted(set(found) - set(classes or found))
    if unknown:
        raise FormatError(f"{key}: {root} has classes the training folder lacks: {', '.join(unknown)}")
    items = []
    for name in found:
        files = sorted(p for p in (root / name).rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise FormatError(f"{key}: {root / name} holds no image files ({', '.join(IMAGE_SUFFIXES)})")
        items.extend((p, name) for p in files)
    return items


def _load(path: Path, size: int, key: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im = im.convert("RGB").resize((size, size), Image.BILINEAR)
            return np.asarray(im, dtype=np.uint8).transpose(2, 0, 1)
    except (UnidentifiedImageError, OSError) as e:
        raise FormatError(f"{key}: {path} is not an image Pillow can read ({e})") from None


def read_image_folder(
    train: str | Path, test: str | Path, *, size: int = 32, key: str = "vision.data.folder"
) -> dict[str, np.ndarray]:
    """The two folders as a CIFAR-shaped cache (see the module's docstring)."""
    train_items = scan_image_folder(train, key=f"{key}.train")
    classes = sorted({c for _, c in train_items})
    test_items = scan_image_folder(test, key=f"{key}.test", classes=classes)
    label = {c: i for i, c in enumerate(classes)}
    out = {"class_names": np.array(classes)}
    for split, items, k in (("train", train_items, f"{key}.train"), ("test", test_items, f"{key}.test")):
        out[f"x_{split}"] = np.stack([_load(p, size, k) for p, _ in items])
        out[f"y_{split}"] = np.array([label[c] for _, c in items], dtype=np.uint8 if len(classes) <= 256 else np.int64)
    return out


def manifest_sha256(*roots: str | Path) -> str:
    """sha256 over every image's path (relative to its root) and contents, in sorted order."""
    h = hashlib.sha256()
    for i, root in enumerate(roots):
        root = Path(root)
        for p in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES):
            h.update(f"{i}/{p.relative_to(root)}\0".encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()
