"""Readers and writers of the raw formats: IDX (MNIST), CIFAR-10/100 python pickles, plain text.

The CIFAR reader uses a restricted unpickler that can only rebuild dicts, lists, strings, bytes and
NumPy arrays, so even a tampered batch file cannot run code when it is loaded.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import pickle
import struct
from pathlib import Path

import numpy as np

__all__ = [
    "FormatError",
    "read_idx",
    "write_idx",
    "read_pickle_dict",
    "read_cifar_batch",
    "write_cifar_batch",
    "read_text_lines",
]

log = logging.getLogger(__name__)

# IDX type codes (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT")
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class FormatError(ValueError):
    """A raw data file is not in the expected format."""


def _open(path: str | os.PathLike, mode: str = "rb"):
    return gzip.open(path, mode) if str(path).endswith(".gz") else open(path, mode)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into an array of its stored dtype and shape."""
    with _open(path) as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise FormatError(f"{path}: malformed IDX header (magic bytes {raw[:4].hex() or 'missing'})")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise FormatError(f"{path}: malformed IDX header (unknown type code 0x{code:02x})")
    if len(raw) < 4 + 4 * ndim:
        raise FormatError(f"{path}: malformed IDX header (truncated dimension list)")
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    body = raw[4 + 4 * ndim :]
    if len(body) != expected:
        raise FormatError(
            f"{path}: IDX header says shape {shape} ({expected} bytes) but the body has {len(body)} bytes"
        )
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write an array as an IDX file (gzipped if the name ends in .gz)."""
    array = np.asarray(array)
    codes = {v.newbyteorder(">") if v.itemsize > 1 else v: k for k, v in _IDX_DTYPES.items()}
    big = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    if big not in codes:
        raise FormatError(f"IDX cannot store dtype {array.dtype}")
    header = bytes([0, 0, codes[big], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with _open(path, "wb") as f:
        f.write(header + array.astype(big).tobytes())


class _RestrictedUnpickler(pickle.Unpickler):
    """Rebuilds only plain containers and NumPy arrays; refuses every other global."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 store bytes
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load global {module}.{name} from a data file")


def read_pickle_dict(path: str | os.PathLike, what: str) -> dict:
    """A CIFAR python pickle as a dict with str keys (restricted unpickling: no code runs)."""
    with open(path, "rb") as f:
        try:
            d = _RestrictedUnpickler(f, encoding="latin1").load()
        except (pickle.UnpicklingError, EOFError, ValueError) as e:
            raise FormatError(f"{path}: not a {what} ({e})") from e
    if not isinstance(d, dict):
        raise FormatError(f"{path}: not a {what} (top-level object is {type(d).__name__})")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in d.items()}


def read_cifar_batch(
    path: str | os.PathLike, *, label_key: str = "labels", n_classes: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR python batch: images (N, 3, 32, 32) uint8 and labels (N,) uint8. CIFAR-10 stores its
    labels under "labels"; CIFAR-100 under "fine_labels" (0..99) and "coarse_labels" (0..19)."""
    name = "CIFAR-10" if n_classes == 10 else f"CIFAR-{n_classes}"
    d = read_pickle_dict(path, f"{name} batch")
    if "data" not in d or label_key not in d:
        raise FormatError(f"{path}: {name} batch lacks 'data' or '{label_key}' (keys: {sorted(d)})")
    data = np.asarray(d["data"])
    labels = np.asarray(d[label_key])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise FormatError(f"{path}: {name} 'data' must be uint8 (N, 3072), got {data.dtype} {data.shape}")
    if labels.shape != (data.shape[0],) or labels.min(initial=0) < 0 or labels.max(initial=0) > n_classes - 1:
        raise FormatError(f"{path}: {name} '{label_key}' must be N={data.shape[0]} values in 0..{n_classes - 1}")
    return data.reshape(-1, 3, 32, 32), labels.astype(np.uint8)


def write_cifar_batch(
    path: str | os.PathLike,
    images: np.ndarray,
    labels,
    batch_label: str = "batch",
    *,
    label_key: str = "labels",
    extra: dict | None = None,
) -> None:
    """Write images (N, 3, 32, 32) uint8 and labels as a CIFAR python batch (labels under `label_key`,
    `extra` entries beside them, e.g. CIFAR-100's coarse_labels)."""
    images = np.asarray(images, dtype=np.uint8)
    d = {
        "batch_label": batch_label,
        label_key: [int(x) for x in labels],
        "data": images.reshape(len(images), -1),
        "filenames": [f"{batch_label}_{i:05d}.png" for i in range(len(images))],
        **(extra or {}),
    }
    with open(path, "wb") as f:
        pickle.dump(d, f, protocol=2)


def read_text_lines(path: str | os.PathLike) -> list[str]:
    """Read non-empty lines of a text file: UTF-8 (a byte-order mark is dropped), falling back to
    Windows-1252 (the Cornell original). A file with NUL bytes is binary, not text, and an error."""
    raw = Path(path).read_bytes()
    if b"\x00" in raw:
        raise FormatError(f"{path}: not a text file (it contains NUL bytes at offset {raw.index(0)})")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        log.warning("%s is not UTF-8; decoding it as Windows-1252", path)
        text = raw.decode("cp1252", errors="replace")
    lines = [line.strip() for line in io.StringIO(text)]
    return [line for line in lines if line]
