"""Faults while fetching data: resets, full disks, killed and concurrent fetches.

The cases tests/unit/test_fetch.py already covers (404, 500, timeout, truncated body, checksum
mismatch, offline missing/corrupt) are not repeated here.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dlrepro.data import fetch, storage
from dlrepro.data.fetch import DownloadError, StorageError, download_file, fetch_dataset
from dlrepro.data.sources import DataFile, Dataset
from tests.conftest import REPO, md5, sha256, tarball

PAYLOAD = b"IDX-like payload " * 5000  # ~85 kB


def _file(urls, data=PAYLOAD, name="blob.gz"):
    return DataFile(name=name, urls=tuple(urls), offline_path=f"set/{name}", md5=md5(data), sha256=sha256(data))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


MEMBERS = {"pack/one.bin": os.urandom(40_000), "pack/two.bin": os.urandom(60_000)}
ARCHIVE = tarball(MEMBERS)


def _python(script: str, *args, **kwargs) -> subprocess.Popen:
    """A fresh Python process running `script` (with this checkout's package on the path)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


# a fetch of the test archive in another process: argv = url, md5, sha256, dest_dir
FETCH_ARCHIVE = """
    import sys
    from dlrepro.data.fetch import fetch_dataset
    from dlrepro.data.sources import DataFile, Dataset
    url, md5, sha256, dest = sys.argv[1:]
    archive = DataFile(name="pack.tar.gz", urls=(url,), offline_path="pack.tar.gz", md5=md5, sha256=sha256)
    print("started", flush=True)
    prov = fetch_dataset(Dataset(name="pack", description="t", files=(archive,), extract_dir="pack"), dest, retries=1)
    print(prov["status"], flush=True)
"""


# connection reset mid-body


def test_connection_reset_mid_body_is_retried_then_succeeds(faulty_server, tmp_path):
    url = faulty_server.route("/reset/blob.gz", ("reset", PAYLOAD), ("ok", PAYLOAD))
    record = download_file(_file([url]), tmp_path / "blob.gz", retries=2, backoff=0)
    assert faulty_server.hits("/reset/blob.gz") == 2
    assert record["status"] == "verified" and (tmp_path / "blob.gz").read_bytes() == PAYLOAD
    assert _leftovers(tmp_path) == ["blob.gz"]


def test_connection_reset_every_time_fails_cleanly_and_leaves_nothing(faulty_server, tmp_path):
    url = faulty_server.route("/reset/blob.gz", ("reset", PAYLOAD))
    with pytest.raises(DownloadError) as err:
        download_file(_file([url]), tmp_path / "blob.gz", retries=3, backoff=0)
    assert faulty_server.hits("/reset/blob.gz") == 3, "a reset is transient: every attempt is made"
    assert "(attempt 3/3)" in str(err.value) and (
        "reset" in str(err.value).lower() or "IncompleteRead" in str(err.value)
    )
    assert _leftovers(tmp_path) == []


# disk full while writing


class _FullDisk:
    """A file that accepts `room` bytes (really writing them), then fails like a full disk."""

    def __init__(self, path, mode, room):
        self.f, self.room = open(path, mode), room

    def write(self, data):
        if len(data) > self.room:
            self.f.write(data[: self.room])
            self.room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.f.write(data)

    def close(self):
        self.f.close()


def test_disk_full_during_download_stops_at_once_names_the_path_and_leaves_nothing(file_server, tmp_path, monkeypatch):
    url = file_server.route("/a/blob.gz", ("ok", PAYLOAD))
    mirror = file_server.route("/b/blob.gz", ("ok", PAYLOAD))
    monkeypatch.setattr(
        storage, "open", lambda path, mode: _FullDisk(path, mode, room=10_000), raising=False
    )  # where the sink opens
    with pytest.raises(StorageError) as err:
        download_file(_file([url, mirror]), tmp_path / "blob.gz", retries=3, backoff=0)
    assert err.value.errno == errno.ENOSPC
    assert f"cannot write {tmp_path / 'blob.gz'}: No space left on device (the disk is full" in str(err.value)
    assert file_server.hits("/a/blob.gz") == 1 and file_server.hits("/b/blob.gz") == 0, (
        "no retry, no mirror: the disk is the problem"
    )
    assert _leftovers(tmp_path) == [], "the partial temporary file is removed"


# a real size limit (RLIMIT_FSIZE; SIGXFSZ ignored, so writes fail with EFBIG) in a child process
WRITE_UNDER_LIMIT = """
    import json, resource, signal, sys
    from pathlib import Path
    what, arg, out = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
    from dlrepro.data.fetch import StorageError, copy_offline_file, download_file
    from dlrepro.data.prepare import prepare
    from dlrepro.data.sources import DataFile
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
    try:
        if what == "prepare":
            prepare("mnist", arg, out)
        else:
            file = DataFile(**arg, offline_path="set/blob.gz")
            if what == "download":
                download_file(file, out, retries=2, backoff=0)
            else:
                copy_offline_file(file, Path(out).parent.parent / "data", out)
    except StorageError as e:
        print(e)
        sys.exit(3)
"""


@pytest.mark.parametrize("what", ["download", "offline copy", "prepare"])
def test_file_size_limit_gives_a_clear_error_and_no_partial_file(file_server, tmp_path, what):
    from dlrepro.data.synthetic import write_mnist

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    checksums = {"name": "blob.gz", "md5": md5(PAYLOAD), "sha256": sha256(PAYLOAD)}
    if what == "download":
        arg, out = {**checksums, "urls": [file_server.route("/blob.gz", ("ok", PAYLOAD))]}, out_dir / "blob.gz"
    elif what == "offline copy":
        (tmp_path / "data" / "set").mkdir(parents=True)
        (tmp_path / "data" / "set" / "blob.gz").write_bytes(PAYLOAD)
        arg, out = {**checksums, "urls": ["http://x.invalid/blob.gz"]}, out_dir / "blob.gz"
    else:
        arg, out = str(write_mnist(tmp_path, n_train=200, n_test=20)), out_dir / "mnist.npz"
    child = _python(WRITE_UNDER_LIMIT, what, json.dumps(arg), out)
    stdout, stderr = child.communicate(timeout=120)
    assert child.returncode == 3, stdout + stderr
    assert f"cannot write {out}: File too large" in stdout
    assert _leftovers(out_dir) == [], "no partial or temporary file is left"


# an interrupted download, restarted


def test_download_killed_mid_transfer_is_restarted_cleanly(faulty_server, tmp_path):
    url = faulty_server.route("/blob.gz", ("hang", PAYLOAD), ("ok", PAYLOAD))
    script = """
        import sys
        from dlrepro.data.fetch import download_file
        from dlrepro.data.sources import DataFile
        url, md5, sha256, dest = sys.argv[1:]
        download_file(DataFile(name="blob.gz", urls=(url,), offline_path="b", md5=md5, sha256=sha256), dest, timeout=60)
    """
    child = _python(script, url, md5(PAYLOAD), sha256(PAYLOAD), tmp_path / "blob.gz")
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size > 0 for p in tmp_path.glob(".blob.gz.*.part")):
        assert child.poll() is None and time.monotonic() < deadline, "the download never started"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)  # mid-transfer: a third of the body is on disk
    child.communicate(timeout=30)
    assert [p for p in _leftovers(tmp_path) if p.endswith(".part")], "a killed fetch leaves its temporary file"

    record = download_file(_file([url]), tmp_path / "blob.gz", retries=1)
    assert record["status"] == "verified" and (tmp_path / "blob.gz").read_bytes() == PAYLOAD
    assert _leftovers(tmp_path) == ["blob.gz"], "the restart removes what the killed fetch left behind"


def test_extraction_left_by_a_killed_fetch_is_removed(file_server, tmp_path):
    url = file_server.route("/pack.tar.gz", ("ok", ARCHIVE))
    stale = tmp_path / ".extract-999999-deadbeef" / "pack"
    stale.mkdir(parents=True)
    (stale / "one.bin").write_bytes(b"half")
    ds = Dataset(name="pack", description="t", files=(_file([url], ARCHIVE, "pack.tar.gz"),), extract_dir="pack")
    fetch_dataset(ds, tmp_path, retries=1)
    assert _leftovers(tmp_path) == ["pack"]
    assert (tmp_path / "pack" / "one.bin").read_bytes() == MEMBERS["pack/one.bin"]


# two fetches of the same data set into the same place


def test_a_fetch_waits_while_another_holds_the_data_set(file_server, tmp_path):
    url = file_server.route("/pack.tar.gz", ("ok", ARCHIVE))
    with fetch._exclusive(tmp_path / ".fetch.lock"):
        child = _python(FETCH_ARCHIVE, url, md5(ARCHIVE), sha256(ARCHIVE), tmp_path)
        assert child.stdout.readline().strip() == "started"
        time.sleep(1.5)
        assert child.poll() is None and file_server.hits("/pack.tar.gz") == 0, "it must wait for the lock"
    stdout, stderr = child.communicate(timeout=60)
    assert child.returncode == 0 and stdout.strip() == "verified", stderr
    assert _leftovers(tmp_path) == ["pack"]


@pytest.mark.e2e
def test_two_processes_fetching_the_same_archive_both_end_with_verified_files(faulty_server, tmp_path):
    url = faulty_server.route("/pack.tar.gz", ("slow", ARCHIVE, 4, 0.2))
    children = [_python(FETCH_ARCHIVE, url, md5(ARCHIVE), sha256(ARCHIVE), tmp_path) for _ in range(2)]
    results = [child.communicate(timeout=120) for child in children]
    for child, (stdout, stderr) in zip(children, results):
        assert child.returncode == 0 and stdout.split() == ["started", "verified"], stderr
    assert faulty_server.hits("/pack.tar.gz") == 2
    assert _leftovers(tmp_path) == ["pack"], "no lock, temporary file or staging folder is left"
    for name, data in MEMBERS.items():
        assert (tmp_path / name).read_bytes() == data


def test_restart_removes_only_its_own_files_leftovers(file_server, tmp_path):
    """`data` and `data.gz` share a prefix: cleaning up after `data` must not touch `data.gz`'s live download."""
    other = fetch._temp_name(tmp_path / "data.gz")
    other.write_bytes(b"in progress")
    stale = fetch._temp_name(tmp_path / "data")
    stale.write_bytes(b"killed")
    url = file_server.route("/data", ("ok", PAYLOAD))
    download_file(_file([url], name="data"), tmp_path / "data", retries=1)
    assert _leftovers(tmp_path) == sorted(["data", other.name])
