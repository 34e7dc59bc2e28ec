"""Move the prepared CIFAR-10 cache to a GPU machine in parts small enough for one transfer each.

The cache (`resources/cifar10/cifar10.npz`, uint8, about 180 MB) barely compresses as raw bytes,
but lossless WebP of 100x100-image mosaics halves it, and lossless means the pixels that arrive
are exactly the ones that left (checked on unpacking with a SHA-256 per part).

    python benchmarks/gpu/cifar_transfer.py pack   --cache resources/cifar10/cifar10.npz --out gpu-data --parts 2
    python benchmarks/gpu/cifar_transfer.py unpack --src gpu-data --cache resources/cifar10/cifar10.npz
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

TILE = 100  # images per mosaic side: 100 x 100 images of 32 x 32 pixels


def _mosaics(x: np.ndarray) -> list[bytes]:
    """(N, 3, 32, 32) uint8, the cache's layout -> lossless WebP mosaics of TILE x TILE images (the last one zero-padded)."""
    x = x.transpose(0, 2, 3, 1)  # (N, 32, 32, 3): neighbouring pixels side by side, which is what compresses
    per = TILE * TILE
    out = []
    for start in range(0, len(x), per):
        chunk = x[start : start + per]
        if len(chunk) < per:
            chunk = np.concatenate([chunk, np.zeros((per - len(chunk), *x.shape[1:]), np.uint8)])
        m = chunk.reshape(TILE, TILE, 32, 32, 3).transpose(0, 2, 1, 3, 4).reshape(TILE * 32, TILE * 32, 3)
        buf = io.BytesIO()
        Image.fromarray(m).save(buf, "WEBP", lossless=True, quality=100, method=4)
        out.append(buf.getvalue())
    return out


def _unmosaic(blob: bytes) -> np.ndarray:
    m = np.asarray(Image.open(io.BytesIO(blob)).convert("RGB"))
    x = m.reshape(TILE, 32, TILE, 32, 3).transpose(0, 2, 1, 3, 4).reshape(TILE * TILE, 32, 32, 3)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))  # back to the cache's (N, 3, 32, 32)


def pack(cache: Path, out: Path, parts: int) -> None:
    data = np.load(cache)
    out.mkdir(parents=True, exist_ok=True)
    pieces = [("train", i) for i in range(0, len(data["x_train"]), TILE * TILE)] + [
        ("test", i) for i in range(0, len(data["x_test"]), TILE * TILE)
    ]
    for p in range(parts):
        mine = pieces[p::parts]
        record = {}
        for split, start in mine:
            x = data[f"x_{split}"][start : start + TILE * TILE]
            (blob,) = _mosaics(x)
            key = f"{split}_{start}"
            record[key] = {
                "n": len(x),
                "sha256": hashlib.sha256(x.tobytes()).hexdigest(),
                "labels": data[f"y_{split}"][start : start + TILE * TILE].tolist(),
            }
            (out / f"part{p}").mkdir(exist_ok=True)
            (out / f"part{p}" / f"{key}.webp").write_bytes(blob)
        (out / f"part{p}" / "index.json").write_text(json.dumps(record))
        size = sum(f.stat().st_size for f in (out / f"part{p}").iterdir()) / 2**20
        print(f"part{p}: {len(mine)} mosaics, {size:.1f} MiB")


def unpack(src: Path, cache: Path) -> None:
    arrays = {"train": {}, "test": {}}
    labels = {"train": {}, "test": {}}
    for index in sorted(src.glob("part*/index.json")):
        for key, rec in json.loads(index.read_text()).items():
            split, start = key.split("_")
            x = _unmosaic((index.parent / f"{key}.webp").read_bytes())[: rec["n"]]
            if hashlib.sha256(x.tobytes()).hexdigest() != rec["sha256"]:
                raise ValueError(f"{index.parent / key}.webp: pixels differ from the packed ones")
            arrays[split][int(start)] = x
            labels[split][int(start)] = np.asarray(rec["labels"], np.uint8)
    out = {}
    for split in ("train", "test"):
        starts = sorted(arrays[split])
        out[f"x_{split}"] = np.concatenate([arrays[split][s] for s in starts])
        out[f"y_{split}"] = np.concatenate([labels[split][s] for s in starts])
        print(f"{split}: {out[f'x_{split}'].shape}")
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["pack", "unpack"])
    parser.add_argument("--cache", type=Path, default=Path("resources/cifar10/cifar10.npz"))
    parser.add_argument("--out", type=Path, default=Path("gpu-data"))
    parser.add_argument("--src", type=Path, default=Path("gpu-data"))
    parser.add_argument("--parts", type=int, default=2)
    args = parser.parse_args()
    pack(args.cache, args.out, args.parts) if args.action == "pack" else unpack(args.src, args.cache)


if __name__ == "__main__":
    main()
