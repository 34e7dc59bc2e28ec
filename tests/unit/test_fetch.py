"""Downloads against a real HTTP server on 127.0.0.1, and the offline path."""

import pytest

from dlrepro.data.fetch import (
    ChecksumError,
    DownloadError,
    OfflineDataError,
    copy_offline_file,
    download_file,
    fetch_dataset,
)
from dlrepro.data.sources import CIFAR10, DataFile, Dataset
from dlrepro.data.synthetic import write_cifar10
from tests.conftest import md5, sha256, tarball

PAYLOAD = b"IDX-like payload " * 5000  # ~85 kB: several reads


def _file(urls, data=PAYLOAD, name="blob.gz"):
    return DataFile(name=name, urls=tuple(urls), offline_path=f"set/{name}", md5=md5(data), sha256=sha256(data))


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


def test_download_success_records_checksums(file_server, tmp_path):
    url = file_server.route("/a/blob.gz", ("ok", PAYLOAD))
    record = download_file(_file([url]), tmp_path / "blob.gz", retries=1)
    assert (tmp_path / "blob.gz").read_bytes() == PAYLOAD
    assert record["status"] == "verified" and record["source"] == url
    assert record["actual"] == {"md5": md5(PAYLOAD), "sha256": sha256(PAYLOAD)}
    assert _leftovers(tmp_path) == ["blob.gz"], "no temporary file may remain"


def test_404_moves_to_next_mirror_without_retrying(file_server, tmp_path):
    dead = file_server.route("/dead/blob.gz", ("status", 404))
    good = file_server.route("/good/blob.gz", ("ok", PAYLOAD))
    record = download_file(_file([dead, good]), tmp_path / "blob.gz", retries=3, backoff=0)
    assert record["source"] == good
    assert file_server.hits("/dead/blob.gz") == 1, "a 404 is permanent: no retry"


def test_500_is_retried_then_succeeds(file_server, tmp_path):
    url = file_server.route("/flaky/blob.gz", ("status", 500), ("status", 503), ("ok", PAYLOAD))
    download_file(_file([url]), tmp_path / "blob.gz", retries=3, backoff=0)
    assert file_server.hits("/flaky/blob.gz") == 3
    assert (tmp_path / "blob.gz").read_bytes() == PAYLOAD


def test_truncated_body_is_retried(file_server, tmp_path):
    url = file_server.route("/cut/blob.gz", ("truncate", PAYLOAD), ("ok", PAYLOAD))
    download_file(_file([url]), tmp_path / "blob.gz", retries=2, backoff=0)
    assert file_server.hits("/cut/blob.gz") == 2
    assert (tmp_path / "blob.gz").read_bytes() == PAYLOAD


def test_always_truncated_fails_and_leaves_nothing(file_server, tmp_path):
    url = file_server.route("/cut/blob.gz", ("truncate", PAYLOAD))
    with pytest.raises(DownloadError, match="truncated|IncompleteRead"):
        download_file(_file([url]), tmp_path / "blob.gz", retries=2, backoff=0)
    assert _leftovers(tmp_path) == []


def test_checksum_mismatch_fails_and_leaves_nothing(file_server, tmp_path):
    url = file_server.route("/evil/blob.gz", ("ok", b"not the published bytes"))
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download_file(_file([url]), tmp_path / "blob.gz", retries=3, backoff=0)
    assert file_server.hits("/evil/blob.gz") == 1, "a mismatch is permanent: no retry of the same URL"
    assert _leftovers(tmp_path) == []


def test_timeout_is_retried(file_server, tmp_path):
    url = file_server.route("/slow/blob.gz", ("stall", PAYLOAD, 2.0), ("ok", PAYLOAD))
    download_file(_file([url]), tmp_path / "blob.gz", retries=2, backoff=0, timeout=0.5)
    assert (tmp_path / "blob.gz").read_bytes() == PAYLOAD


def test_error_names_every_url_that_failed(file_server, tmp_path):
    a = file_server.route("/a/blob.gz", ("status", 404))
    b = file_server.route("/b/blob.gz", ("status", 500))
    with pytest.raises(DownloadError) as err:
        download_file(_file([a, b]), tmp_path / "blob.gz", retries=2, backoff=0)
    assert a in str(err.value) and b in str(err.value) and "HTTP 500" in str(err.value)


def test_fetch_dataset_downloads_and_extracts_an_archive(file_server, tmp_path):
    archive = tarball({"pack/one.bin": b"1" * 10, "pack/two.bin": b"2" * 20})
    url = file_server.route("/pack.tar.gz", ("ok", archive))
    ds = Dataset(name="pack", description="test", files=(_file([url], archive, "pack.tar.gz"),), extract_dir="pack")
    prov = fetch_dataset(ds, tmp_path, retries=1)
    assert prov["status"] == "verified" and prov["mode"] == "download"
    assert (tmp_path / "pack" / "two.bin").read_bytes() == b"2" * 20
    assert not (tmp_path / "pack.tar.gz").exists(), "the archive is removed after extraction"


# offline


def test_offline_present_is_verified_and_copied(tmp_path):
    (tmp_path / "data" / "set").mkdir(parents=True)
    (tmp_path / "data" / "set" / "blob.gz").write_bytes(PAYLOAD)
    record = copy_offline_file(
        _file(["http://example.invalid/blob.gz"]), tmp_path / "data", tmp_path / "out" / "blob.gz"
    )
    assert record["status"] == "verified"
    assert (tmp_path / "out" / "blob.gz").read_bytes() == PAYLOAD


def test_offline_missing_names_file_place_and_url(tmp_path):
    with pytest.raises(OfflineDataError) as err:
        copy_offline_file(_file(["http://example.invalid/blob.gz"]), tmp_path, tmp_path / "out" / "blob.gz")
    msg = str(err.value)
    assert "blob.gz" in msg and str(tmp_path / "set" / "blob.gz") in msg and "http://example.invalid/blob.gz" in msg


def test_offline_corrupt_strict_fails_and_copies_nothing(tmp_path):
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "blob.gz").write_bytes(b"corrupt")
    with pytest.raises(ChecksumError, match="data_checksums=warn"):
        copy_offline_file(_file(["http://x.invalid/b"]), tmp_path, tmp_path / "out" / "blob.gz")
    assert not (tmp_path / "out" / "blob.gz").exists()


def test_offline_corrupt_warn_is_used_and_marked_unverified(tmp_path):
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "blob.gz").write_bytes(b"corrupt")
    record = copy_offline_file(_file(["http://x.invalid/b"]), tmp_path, tmp_path / "out" / "blob.gz", checksums="warn")
    assert record["status"] == "unverified copy" and "checksum differs" in record["reason"]
    assert (tmp_path / "out" / "blob.gz").read_bytes() == b"corrupt"


def test_offline_extracted_cifar_members(tmp_path):
    write_cifar10(tmp_path / "data", n_per_batch=4)
    with pytest.raises(ChecksumError):  # synthetic batches are not the published ones
        fetch_dataset(CIFAR10, tmp_path / "strict", data_dir=tmp_path / "data")
    prov = fetch_dataset(CIFAR10, tmp_path / "warn", data_dir=tmp_path / "data", checksums="warn")
    assert prov["status"] == "unverified copy" and len(prov["files"]) == 7
    assert (tmp_path / "warn" / "cifar-10-batches-py" / "test_batch").is_file()


def test_offline_cifar_missing_names_archive_and_members(tmp_path):
    with pytest.raises(OfflineDataError, match="cifar-10-python.tar.gz"):
        fetch_dataset(CIFAR10, tmp_path / "out", data_dir=tmp_path)


def test_unknown_checksum_mode_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="strict"):
        fetch_dataset("mnist", tmp_path, data_dir=tmp_path, checksums="lenient")
