"""Edge cases of fetching: every checksum is checked (sha256 too), a data set is verified only if every
file is, and the registry's entries are well formed."""

import re

import pytest

from dlrepro.data.fetch import ChecksumError, DownloadError, copy_offline_file, download_file, fetch_dataset
from dlrepro.data.sources import DATASETS, DataFile, Dataset
from tests.conftest import md5, sha256

PAYLOAD = b"published bytes " * 4000
OTHER = b"some other bytes"


def _file(urls=("http://example.invalid/blob.gz",), data=PAYLOAD, name="blob.gz", **checksums):
    sums = {"md5": md5(data), "sha256": sha256(data), **checksums}
    return DataFile(name=name, urls=tuple(urls), offline_path=f"set/{name}", **sums)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---- sha256 is checked, not only md5 -------------------------------------------------------------


def test_download_with_the_right_md5_but_a_wrong_sha256_fails(file_server, tmp_path):
    url = file_server.route("/a/blob.gz", ("ok", PAYLOAD))
    file = _file([url], sha256=sha256(OTHER))
    with pytest.raises(DownloadError, match="checksum mismatch: sha256 expected"):
        download_file(file, tmp_path / "blob.gz", retries=2, backoff=0)
    assert _leftovers(tmp_path) == [], "nothing that failed its sha256 may remain"


def test_download_with_a_wrong_md5_but_the_right_sha256_fails(file_server, tmp_path):
    url = file_server.route("/a/blob.gz", ("ok", PAYLOAD))
    with pytest.raises(DownloadError, match="checksum mismatch: md5 expected"):
        download_file(_file([url], md5=md5(OTHER)), tmp_path / "blob.gz", retries=2, backoff=0)


def test_download_checked_by_sha256_alone(file_server, tmp_path):
    url = file_server.route("/a/blob.gz", ("ok", PAYLOAD))
    only_sha = DataFile(name="blob.gz", urls=(url,), offline_path="set/blob.gz", sha256=sha256(OTHER))
    with pytest.raises(DownloadError, match="sha256"):
        download_file(only_sha, tmp_path / "blob.gz", retries=1, backoff=0)
    good = DataFile(name="blob.gz", urls=(url,), offline_path="set/blob.gz", sha256=sha256(PAYLOAD))
    assert download_file(good, tmp_path / "blob.gz", retries=1)["actual"] == {"sha256": sha256(PAYLOAD)}


def _offline(tmp_path, data=PAYLOAD, name="blob.gz"):
    (tmp_path / "data" / "set").mkdir(parents=True, exist_ok=True)
    (tmp_path / "data" / "set" / name).write_bytes(data)
    return tmp_path / "data"


def test_offline_copy_with_the_right_md5_but_a_wrong_sha256_fails_strict(tmp_path):
    data_dir = _offline(tmp_path)
    with pytest.raises(ChecksumError, match="sha256 expected"):
        copy_offline_file(_file(sha256=sha256(OTHER)), data_dir, tmp_path / "out" / "blob.gz")
    assert _leftovers(tmp_path / "out") == []


def test_offline_copy_with_a_wrong_sha256_is_unverified_under_warn(tmp_path):
    data_dir = _offline(tmp_path)
    record = copy_offline_file(_file(sha256=sha256(OTHER)), data_dir, tmp_path / "out" / "blob.gz", checksums="warn")
    assert record["status"] == "unverified copy" and "sha256" in record["reason"] and "md5" not in record["reason"]


# ---- a data set is verified only if ALL its files are --------------------------------------------


@pytest.mark.parametrize("bad_first", [False, True])
def test_dataset_with_one_bad_file_is_an_unverified_copy(tmp_path, bad_first):
    data_dir = _offline(tmp_path, PAYLOAD, "good.bin")
    _offline(tmp_path, b"corrupted", "bad.bin")
    good, bad = _file(name="good.bin"), _file(name="bad.bin")  # both published as PAYLOAD
    ds = Dataset(name="pair", description="test", files=(bad, good) if bad_first else (good, bad))
    with pytest.raises(ChecksumError):
        fetch_dataset(ds, tmp_path / "strict", data_dir=data_dir)
    prov = fetch_dataset(ds, tmp_path / "warn", data_dir=data_dir, checksums="warn")
    assert sorted(r["status"] for r in prov["files"]) == ["unverified copy", "verified"]
    assert prov["status"] == "unverified copy"


def test_dataset_with_every_file_good_is_verified(tmp_path):
    data_dir = _offline(tmp_path, PAYLOAD, "a.bin")
    _offline(tmp_path, PAYLOAD, "b.bin")
    ds = Dataset(name="pair", description="test", files=(_file(name="a.bin"), _file(name="b.bin")))
    prov = fetch_dataset(ds, tmp_path / "out", data_dir=data_dir, checksums="warn")
    assert prov["status"] == "verified" and prov["mode"] == "offline" and len(prov["files"]) == 2


# ---- the registry --------------------------------------------------------------------------------


def _all_files():
    return [(ds, f) for ds in DATASETS.values() for f in (*ds.files, *ds.members)]


@pytest.mark.parametrize("ds,file", _all_files(), ids=lambda x: getattr(x, "name", None))
def test_every_registered_file_has_wellformed_checksums_and_a_url(ds, file):
    assert file.md5 or file.sha256
    if file.md5 is not None:
        assert re.fullmatch(r"[0-9a-f]{32}", file.md5), f"{ds.name}/{file.name}: md5 {file.md5!r}"
    if file.sha256 is not None:
        assert re.fullmatch(r"[0-9a-f]{64}", file.sha256), f"{ds.name}/{file.name}: sha256 {file.sha256!r}"
    assert file.urls and all(re.match(r"https?://\S+$", u) for u in file.urls), file.urls
    assert file.offline_path and not file.offline_path.startswith("/") and ".." not in file.offline_path.split("/")


def test_names_and_offline_paths_are_unique_within_each_dataset():
    for name, ds in DATASETS.items():
        assert ds.name == name
        assert ds.files, name
        for group in (ds.files, ds.members):
            names = [f.name for f in group]
            assert len(names) == len(set(names)), f"{name}: duplicate file names {names}"
        paths = [f.offline_path for f in (*ds.files, *ds.members)]
        assert len(paths) == len(set(paths)), f"{name}: duplicate offline paths {paths}"
        assert bool(ds.members) <= bool(ds.extract_dir), f"{name}: members need an extract_dir"


def test_no_two_registered_files_share_a_checksum():
    sums = [s for _, f in _all_files() for s in (f.md5, f.sha256) if s]
    assert len(sums) == len(set(sums))
