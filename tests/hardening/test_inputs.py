"""Bad input files: unverified pickles with code in them, empty, binary and non-UTF-8 text, empty IDX.

tests/unit/test_formats.py already covers a malformed IDX magic, a short IDX body, a CIFAR batch of
the wrong shape, the restricted unpickler on its own, unsafe tar members, the Windows-1252 fallback,
a one-class text set and a label-count mismatch.
"""

from __future__ import annotations

import gzip
import os
import pickle

import numpy as np
import pytest

from dlrepro.data.fetch import ChecksumError, fetch_dataset
from dlrepro.data.formats import FormatError, read_idx, read_text_lines
from dlrepro.data.prepare import decode_texts, load_cache, prepare
from dlrepro.data.sources import CIFAR10
from dlrepro.data.synthetic import write_cifar10, write_text


class _Payload:
    """Unpickling this runs a shell command that creates `marker`: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def _tampered_cifar(tmp_path):
    data = tmp_path / "data"
    batches = write_cifar10(data, n_per_batch=4)
    marker = tmp_path / "code-ran"
    with open(batches / "data_batch_1", "wb") as f:
        pickle.dump({"data": _Payload(marker), "labels": [0, 1, 2, 3]}, f, protocol=2)
    return data, marker


def test_pickle_with_a_bad_checksum_is_never_copied_or_unpickled_in_strict_mode(tmp_path):
    data, marker = _tampered_cifar(tmp_path)
    with pytest.raises(ChecksumError, match="data_batch_1: checksum differs"):
        fetch_dataset(CIFAR10, tmp_path / "out", data_dir=data)
    assert not list((tmp_path / "out").rglob("data_batch_*")), "nothing unverified reaches resources/"
    assert not marker.exists()


def test_unverified_pickle_used_in_warn_mode_is_refused_by_the_restricted_unpickler(tmp_path):
    data, marker = _tampered_cifar(tmp_path)
    prov = fetch_dataset(CIFAR10, tmp_path / "out", data_dir=data, checksums="warn")
    assert prov["status"] == "unverified copy"
    with pytest.raises(
        FormatError, match=r"data_batch_1: not a CIFAR-10 batch \(refusing to load global (posix|os)\.system"
    ):
        prepare("cifar10", tmp_path / "out", tmp_path / "cifar10.npz")
    assert not marker.exists(), "the payload must never run"
    assert not (tmp_path / "cifar10.npz").exists()


def _rt_dir(tmp_path):
    return write_text(tmp_path, n_per_class=5) / "rt_polarity"


def test_empty_text_files_are_an_error(tmp_path):
    rt = _rt_dir(tmp_path)
    for name in ("rt-polarity.pos", "rt-polarity.neg"):
        (rt / name).write_bytes(b"")
    with pytest.raises(FormatError, match="needs both positive and negative snippets"):
        prepare("rt_polarity", rt, tmp_path / "rt.npz")
    assert not (tmp_path / "rt.npz").exists()


def test_binary_file_in_place_of_text_is_an_error(tmp_path):
    rt = _rt_dir(tmp_path)
    (rt / "rt-polarity.pos").write_bytes(gzip.compress((rt / "rt-polarity.pos").read_bytes()))
    with pytest.raises(FormatError, match=r"rt-polarity.pos: not a text file \(it contains NUL bytes"):
        prepare("rt_polarity", rt, tmp_path / "rt.npz")


def test_text_with_bytes_undefined_in_windows_1252_is_read_with_replacements(tmp_path):
    # 0x81 is invalid UTF-8 and undefined in Windows-1252: it becomes U+FFFD, the rest survives
    (tmp_path / "t.txt").write_bytes(b"good \x81 film\nbad film\n")
    assert read_text_lines(tmp_path / "t.txt") == ["good \ufffd film", "bad film"]


def test_utf8_byte_order_mark_is_not_part_of_the_first_snippet(tmp_path):
    rt = _rt_dir(tmp_path)
    first = (rt / "rt-polarity.pos").read_text(encoding="utf-8").splitlines()[0]
    (rt / "rt-polarity.pos").write_bytes(b"\xef\xbb\xbf" + (rt / "rt-polarity.pos").read_bytes())
    prepare("rt_polarity", rt, tmp_path / "rt.npz")
    cache = load_cache(tmp_path / "rt.npz")
    assert decode_texts(cache["text"], cache["offsets"])[0] == first


def _corpus(tmp_path, raw: bytes):
    (tmp_path / "ts").mkdir()
    (tmp_path / "ts" / "input.txt").write_bytes(raw)
    return tmp_path / "ts"


def test_empty_character_corpus_is_an_error(tmp_path):
    with pytest.raises(FormatError, match="input.txt: empty corpus"):
        prepare("tiny_shakespeare", _corpus(tmp_path, b""), tmp_path / "ts.npz")
    assert not (tmp_path / "ts.npz").exists()


def test_non_utf8_character_corpus_is_an_error(tmp_path):
    corpus = _corpus(tmp_path, "Ros\xe9 speaks.\n".encode("latin-1"))
    with pytest.raises(FormatError, match="input.txt: not UTF-8 text"):
        prepare("tiny_shakespeare", corpus, tmp_path / "ts.npz")


def test_empty_idx_file_is_an_error(tmp_path):
    (tmp_path / "empty.gz").write_bytes(gzip.compress(b""))
    with pytest.raises(FormatError, match=r"malformed IDX header \(magic bytes missing\)"):
        read_idx(tmp_path / "empty.gz")


def test_idx_header_with_a_truncated_dimension_list_is_an_error(tmp_path):
    (tmp_path / "dims.idx").write_bytes(bytes([0, 0, 0x08, 3]) + np.uint32(5).byteswap().tobytes())
    with pytest.raises(FormatError, match="truncated dimension list"):
        read_idx(tmp_path / "dims.idx")
