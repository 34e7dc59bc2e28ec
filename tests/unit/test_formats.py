"""Raw formats, safe archive extraction, and the caches built from synthetic files in the real formats."""

import gzip
import io
import os
import pickle
import tarfile

import numpy as np
import pytest

from dlrepro.data.archives import UnsafeArchiveError, safe_extract_tar
from dlrepro.data.formats import FormatError, read_cifar_batch, read_idx, read_text_lines, write_cifar_batch, write_idx
from dlrepro.data.prepare import decode_texts, load_cache, prepare
from dlrepro.data.synthetic import write_cifar10, write_mnist, write_text


@pytest.mark.parametrize("shape", [(5, 28, 28), (7,)])
def test_idx_roundtrip(tmp_path, shape):
    a = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape)
    write_idx(tmp_path / "a.idx.gz", a)
    b = read_idx(tmp_path / "a.idx.gz")
    assert b.dtype == np.uint8 and b.shape == shape and np.array_equal(a, b)


def test_idx_big_endian_int32_roundtrip(tmp_path):
    a = np.array([[1, -2], [70000, 3]], dtype=np.int32)
    write_idx(tmp_path / "a.idx", a)
    assert np.array_equal(read_idx(tmp_path / "a.idx"), a)


def test_idx_malformed_magic(tmp_path):
    (tmp_path / "bad.gz").write_bytes(gzip.compress(b"\x01\x02\x08\x01" + b"\x00" * 8))
    with pytest.raises(FormatError, match="malformed IDX header"):
        read_idx(tmp_path / "bad.gz")


def test_idx_body_shorter_than_header_says(tmp_path):
    (tmp_path / "short.idx").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x0a" + b"\x00" * 3)
    with pytest.raises(FormatError, match="body has 3 bytes"):
        read_idx(tmp_path / "short.idx")


def test_cifar_batch_roundtrip(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (4, 3, 32, 32), dtype=np.uint8)
    write_cifar_batch(tmp_path / "b", images, [0, 1, 2, 9])
    x, y = read_cifar_batch(tmp_path / "b")
    assert np.array_equal(x, images) and y.tolist() == [0, 1, 2, 9]


def test_cifar_batch_with_wrong_shape(tmp_path):
    with open(tmp_path / "b", "wb") as f:
        pickle.dump({"data": np.zeros((2, 100), np.uint8), "labels": [0, 1]}, f, protocol=2)
    with pytest.raises(FormatError, match="3072"):
        read_cifar_batch(tmp_path / "b")


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_cifar_reader_refuses_code_in_pickles(tmp_path):
    with open(tmp_path / "b", "wb") as f:
        pickle.dump({"data": _Evil(), "labels": []}, f, protocol=2)
    with pytest.raises(FormatError, match="refusing to load global"):
        read_cifar_batch(tmp_path / "b")


def _tar_with(tmp_path, name, data=b"x", kind=tarfile.REGTYPE, linkname=""):
    path = tmp_path / "a.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind, linkname
        info.size = len(data) if kind == tarfile.REGTYPE else 0
        tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return path


@pytest.mark.parametrize(
    "name,kind,link",
    [
        ("../escape.txt", tarfile.REGTYPE, ""),
        ("/abs/escape.txt", tarfile.REGTYPE, ""),
        ("link", tarfile.SYMTYPE, "/etc/passwd"),
    ],
)
def test_unsafe_tar_members_are_refused_before_writing(tmp_path, name, kind, link):
    archive = _tar_with(tmp_path, name, kind=kind, linkname=link)
    out = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError):
        safe_extract_tar(archive, out)
    assert not (tmp_path / "escape.txt").exists()
    assert list(out.iterdir()) == []


def test_safe_tar_extracts_plain_members(tmp_path):
    archive = _tar_with(tmp_path, "folder/file.txt", b"hello")
    assert safe_extract_tar(archive, tmp_path / "out") == ["folder/file.txt"]
    assert (tmp_path / "out" / "folder" / "file.txt").read_bytes() == b"hello"


def test_text_falls_back_to_windows_1252(tmp_path):
    (tmp_path / "t.txt").write_bytes("caf\xe9 noir\n\n".encode("cp1252"))
    assert read_text_lines(tmp_path / "t.txt") == ["café noir"]


def test_prepare_mnist_cache(tmp_path):
    raw = write_mnist(tmp_path, n_train=40, n_test=10)
    shapes = prepare("mnist", raw, tmp_path / "mnist.npz")
    assert shapes["x_train"] == (40, 28, 28) and shapes["y_test"] == (10,)
    cache = load_cache(tmp_path / "mnist.npz")
    assert cache["x_train"].dtype == np.uint8 and cache["y_train"].max() <= 9


def test_prepare_mnist_rejects_label_count_mismatch(tmp_path):
    raw = write_mnist(tmp_path, n_train=40, n_test=10)
    write_idx(raw / "train-labels-idx1-ubyte.gz", np.zeros(39, np.uint8))
    with pytest.raises(FormatError, match="40 images but 39 labels"):
        prepare("mnist", raw, tmp_path / "mnist.npz")
    assert not (tmp_path / "mnist.npz").exists()


def test_prepare_cifar10_cache(tmp_path):
    raw = write_cifar10(tmp_path, n_per_batch=6)
    shapes = prepare("cifar10", raw.parent, tmp_path / "cifar10.npz")
    assert shapes == {"x_train": (30, 3, 32, 32), "y_train": (30,), "x_test": (6, 3, 32, 32), "y_test": (6,)}


def test_prepare_text_caches(tmp_path):
    text_dir = write_text(tmp_path, n_per_class=5)
    prepare("rt_polarity", text_dir / "rt_polarity", tmp_path / "rt.npz")
    rt = load_cache(tmp_path / "rt.npz")
    texts = decode_texts(rt["text"], rt["offsets"])
    assert len(texts) == 10 and rt["labels"].tolist() == [1] * 5 + [0] * 5
    assert texts[0] == (text_dir / "rt_polarity" / "rt-polarity.pos").read_text().splitlines()[0]
    shakespeare = tmp_path / "ts"
    shakespeare.mkdir()
    (shakespeare / "input.txt").write_bytes((text_dir / "char_corpora" / "tinyshakespeare.txt").read_bytes())
    prepare("tiny_shakespeare", shakespeare, tmp_path / "ts.npz")
    assert load_cache(tmp_path / "ts.npz")["text"].tobytes().startswith(b"First Citizen")


def test_prepare_one_class_text_is_an_error(tmp_path):
    text_dir = write_text(tmp_path, n_per_class=5)
    (text_dir / "rt_polarity" / "rt-polarity.neg").write_text("\n")
    with pytest.raises(FormatError, match="both positive and negative"):
        prepare("rt_polarity", text_dir / "rt_polarity", tmp_path / "rt.npz")
