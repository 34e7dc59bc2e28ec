"""A recompressed copy of the published data is verified by its decompressed contents; a changed byte
inside, or a gzip stream that cannot be decompressed, is not. On the loopback server and offline."""

import gzip
import hashlib
import os
import tracemalloc
from pathlib import Path

import pytest

from dlrepro.data.fetch import (
    ChecksumError,
    CorruptFileError,
    DownloadError,
    copy_offline_file,
    download_file,
    fetch_dataset,
)
from dlrepro.data.sources import DATASETS, IDX_FILES, DataFile, Dataset, dataset_from_spec
from dlrepro.data.verify import check_file, gzip_content_sha256
from dlrepro.report import provenance_tex
from tests.conftest import md5, sha256, tarball

RAW = bytes(range(256)) * 400 + b"IDX payload" * 3000  # ~136 kB decompressed
PUBLISHED = gzip.compress(RAW, compresslevel=9, mtime=848331386)
RECOMPRESSED = gzip.compress(RAW, compresslevel=1, mtime=1591347900)  # as a mirror or a distro would
CHANGED = gzip.compress(RAW[:5000] + bytes([RAW[5000] ^ 1]) + RAW[5001:], compresslevel=9, mtime=848331386)
TRUNCATED = PUBLISHED[: len(PUBLISHED) // 2]


def _file(urls=("http://example.invalid/blob.gz",), name="blob.gz"):
    return DataFile(
        name=name,
        urls=tuple(urls),
        offline_path=f"set/{name}",
        md5=md5(PUBLISHED),
        sha256=sha256(PUBLISHED),
        content_sha256=sha256(RAW),
    )


def _offline(tmp_path, data: bytes) -> Path:
    (tmp_path / "data" / "set").mkdir(parents=True, exist_ok=True)
    (tmp_path / "data" / "set" / "blob.gz").write_bytes(data)
    return tmp_path / "data"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_the_fixture_really_is_recompressed():
    assert RECOMPRESSED != PUBLISHED and gzip.decompress(RECOMPRESSED) == RAW


# ---- offline --------------------------------------------------------------------------------------


def test_offline_recompressed_copy_is_verified_by_contents_in_strict_mode(tmp_path):
    record = copy_offline_file(_file(), _offline(tmp_path, RECOMPRESSED), tmp_path / "out" / "blob.gz")
    assert record["status"] == "verified" and record["verified_by"] == "contents"
    assert record["actual"]["content_sha256"] == sha256(RAW) == record["expected"]["content_sha256"]
    assert md5(PUBLISHED) in record["note"] and md5(RECOMPRESSED) in record["note"]
    assert (tmp_path / "out" / "blob.gz").read_bytes() == RECOMPRESSED, "the copy is used as it is"


def test_offline_published_copy_is_verified_by_its_checksum_without_decompressing(tmp_path, monkeypatch):
    import dlrepro.data.verify as verify

    monkeypatch.setattr(verify, "gzip_content_sha256", lambda path: pytest.fail("decompressed a matching file"))
    record = copy_offline_file(_file(), _offline(tmp_path, PUBLISHED), tmp_path / "out" / "blob.gz")
    assert record["verified_by"] == "file checksum" and "content_sha256" not in record["actual"]


def test_offline_one_changed_byte_is_refused_in_strict_mode_naming_both_checksums(tmp_path):
    with pytest.raises(ChecksumError) as err:
        copy_offline_file(_file(), _offline(tmp_path, CHANGED), tmp_path / "out" / "blob.gz")
    msg = str(err.value)
    assert md5(PUBLISHED) in msg and md5(CHANGED) in msg, "the compressed checksums, expected and got"
    changed_raw = gzip.decompress(CHANGED)
    assert sha256(RAW) in msg and sha256(changed_raw) in msg, "the contents' checksums, expected and got"
    assert _leftovers(tmp_path / "out") == []


def test_offline_one_changed_byte_is_an_unverified_copy_under_warn(tmp_path):
    record = copy_offline_file(_file(), _offline(tmp_path, CHANGED), tmp_path / "out" / "blob.gz", checksums="warn")
    assert record["status"] == "unverified copy" and record["verified_by"] is None
    assert "decompressed contents sha256 expected" in record["reason"]


@pytest.mark.parametrize("mode", ["strict", "warn"])
@pytest.mark.parametrize(
    "data", [TRUNCATED, b"not gzip at all", PUBLISHED[:-4] + b"\0\0\0\0"], ids=["truncated", "not-gzip", "bad-size"]
)
def test_offline_undecompressible_gzip_is_a_clear_error_in_either_mode(tmp_path, mode, data):
    with pytest.raises(CorruptFileError, match="not a complete gzip stream.*truncated or damaged") as err:
        copy_offline_file(_file(), _offline(tmp_path, data), tmp_path / "out" / "blob.gz", checksums=mode)
    assert str(tmp_path / "data" / "set" / "blob.gz") in str(err.value)
    assert md5(PUBLISHED) in str(err.value), "it says the file differs from the published one"
    assert _leftovers(tmp_path / "out") == [], "nothing left behind"


# ---- downloads ------------------------------------------------------------------------------------


def test_download_of_a_recompressed_copy_is_verified_by_contents(file_server, tmp_path):
    url = file_server.route("/m/blob.gz", ("ok", RECOMPRESSED))
    record = download_file(_file([url]), tmp_path / "blob.gz", retries=1)
    assert record["status"] == "verified" and record["verified_by"] == "contents" and record["source"] == url
    assert (tmp_path / "blob.gz").read_bytes() == RECOMPRESSED and _leftovers(tmp_path) == ["blob.gz"]


def test_download_with_a_changed_byte_moves_on_and_leaves_nothing(file_server, tmp_path):
    bad = file_server.route("/bad/blob.gz", ("ok", CHANGED))
    with pytest.raises(DownloadError, match="decompressed contents sha256 expected") as err:
        download_file(_file([bad]), tmp_path / "blob.gz", retries=3, backoff=0)
    assert sha256(gzip.decompress(CHANGED)) in str(err.value)
    assert file_server.hits("/bad/blob.gz") == 1, "a content mismatch is permanent: no retry"
    assert _leftovers(tmp_path) == []


def test_download_of_a_truncated_gzip_tries_the_next_mirror(file_server, tmp_path):
    cut = file_server.route("/cut/blob.gz", ("ok", TRUNCATED))  # a complete HTTP body holding half a stream
    good = file_server.route("/good/blob.gz", ("ok", PUBLISHED))
    record = download_file(_file([cut, good]), tmp_path / "blob.gz", retries=2, backoff=0)
    assert record["source"] == good and record["verified_by"] == "file checksum"
    assert file_server.hits("/cut/blob.gz") == 1 and _leftovers(tmp_path) == ["blob.gz"]


def test_download_of_only_a_truncated_gzip_fails_clearly_and_leaves_nothing(file_server, tmp_path):
    cut = file_server.route("/cut/blob.gz", ("ok", TRUNCATED))
    with pytest.raises(DownloadError, match="not a complete gzip stream"):
        download_file(_file([cut]), tmp_path / "blob.gz", retries=2, backoff=0)
    assert _leftovers(tmp_path) == []


# ---- archives: a recompressed tarball is verified by its pinned members ----------------------------


MEMBERS = {"pack/one.bin": b"1" * 5000, "pack/two.bin": bytes(range(256)) * 30}


def _pack(url: str) -> Dataset:
    published = tarball(MEMBERS, level=9)
    return Dataset(
        name="pack",
        description="test",
        extract_dir="pack",
        files=(DataFile(name="pack.tar.gz", urls=(url,), offline_path="pack/pack.tar.gz", md5=md5(published)),),
        members=tuple(
            DataFile(name=Path(n).name, urls=(url,), offline_path=f"pack/{n}", md5=md5(d)) for n, d in MEMBERS.items()
        ),
    )


def test_recompressed_archive_with_the_published_members_is_verified_by_contents(file_server, tmp_path):
    url = file_server.route("/pack.tar.gz", ("ok", tarball(MEMBERS, level=1)))
    prov = fetch_dataset(_pack(url), tmp_path, retries=1)
    assert prov["status"] == "verified" and prov["files"][0]["verified_by"] == "contents"
    assert (tmp_path / "pack" / "two.bin").read_bytes() == MEMBERS["pack/two.bin"]
    assert "1 of 1 files by their decompressed contents" in provenance_tex([prov])


def test_recompressed_archive_with_a_changed_member_is_refused(file_server, tmp_path):
    changed = {**MEMBERS, "pack/one.bin": b"1" * 4999 + b"2"}
    url = file_server.route("/pack.tar.gz", ("ok", tarball(changed, level=1)))
    with pytest.raises(DownloadError, match="member pack/one.bin: md5 expected"):
        fetch_dataset(_pack(url), tmp_path, retries=1)
    assert _leftovers(tmp_path / "pack") == [] and not (tmp_path / "pack.tar.gz").exists()


def test_offline_recompressed_archive_missing_a_member_is_refused_in_strict_mode(tmp_path):
    (tmp_path / "data" / "pack").mkdir(parents=True)
    (tmp_path / "data" / "pack" / "pack.tar.gz").write_bytes(
        tarball({"pack/one.bin": MEMBERS["pack/one.bin"]}, level=1)
    )
    with pytest.raises(ChecksumError, match="member pack/two.bin missing"):
        fetch_dataset(_pack("http://example.invalid/pack.tar.gz"), tmp_path / "out", data_dir=tmp_path / "data")


# ---- streaming, and the registry ------------------------------------------------------------------


def test_contents_are_hashed_as_a_stream_not_read_whole(tmp_path):
    raw = os.urandom(1 << 16) * 400  # 26 MB decompressed, like Fashion-MNIST's training images
    path = tmp_path / "big.gz"
    path.write_bytes(gzip.compress(raw, compresslevel=1))
    tracemalloc.start()
    try:
        digest = gzip_content_sha256(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert digest == hashlib.sha256(raw).hexdigest()
    assert peak < len(raw) / 4, f"peak {peak / 1e6:.1f} MB for {len(raw) / 1e6:.0f} MB of contents"


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_every_registered_idx_file_pins_its_contents(name):
    for f in DATASETS[name].files:
        assert f.content_sha256 and len(f.content_sha256) == 64 and f.content_sha256 != f.sha256, f.name


def test_config_declared_idx_set_may_pin_contents_and_rejects_unknown_file_names():
    spec = {"base_urls": ["https://example.org/x/"], "md5": {f: "0" * 32 for f in IDX_FILES}}
    ds = dataset_from_spec("extra", {**spec, "content_sha256": {IDX_FILES[0]: "a" * 64}})
    assert ds.files[0].content_sha256 == "a" * 64 and ds.files[1].content_sha256 is None
    with pytest.raises(ValueError, match="content_sha256 for unknown files train-images.gz"):
        dataset_from_spec("extra", {**spec, "content_sha256": {"train-images.gz": "a" * 64}})


def _real_copy(folder: Path, name: str):
    if not all((folder / f).is_file() for f in IDX_FILES):
        pytest.skip(f"no copy of {name} in {folder}")
    return {f: check_file(folder / f, next(d for d in DATASETS[name].files if d.name == f)) for f in IDX_FILES}


def test_shared_mnist_copy_matches_the_pinned_contents():
    """The project's copy of the published MNIST files: both checks must agree on it."""
    folder = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"
    for f, check in _real_copy(folder, "mnist").items():
        assert check.ok and check.by == "file checksum", f
        assert gzip_content_sha256(folder / f) == next(d for d in DATASETS["mnist"].files if d.name == f).content_sha256


def test_debian_fashion_mnist_package_is_verified_by_contents():
    """Debian's dataset-fashion-mnist recompresses the published files (`apt-get install dataset-fashion-mnist`)."""
    for f, check in _real_copy(Path("/usr/share/datasets/fashion-mnist"), "fashion_mnist").items():
        assert check.ok and check.by == "contents", (f, check.problem)
