"""Fetch a data set into a local folder: stream from the official URL or a mirror, or copy from an
offline directory, and verify every file's checksum before anything downstream parses it.

A download streams into a temporary name next to its destination and is renamed only once the
checksum matches, so a failed, truncated or mismatching download leaves nothing behind. Transient
failures (timeouts, resets, HTTP 5xx/429, truncated bodies) are retried with exponential backoff;
permanent ones (HTTP 4xx, checksum mismatch) move on to the next mirror at once. A local write
that fails (disk full, read-only folder) is neither: it stops at once with a `StorageError` naming
the path, since no mirror can fix it.

Processes that fetch into the same place at once take turns: each file, and each data set folder,
is guarded by an exclusive `flock` on a lock file beside it (removed when done). Whoever holds the
lock first removes temporary files that a killed fetch left behind, so an interrupted download is
simply restarted. Archives are extracted into a temporary folder and each member is then renamed
into place, so a reader never sees a half-written member.

A file whose checksums differ is checked again by its contents (`dlrepro.data.verify`): a
recompressed copy of the published data is "verified" with `verified_by: contents`.

`fetch_dataset` returns a provenance record (what came from where, and whether it matched the
published checksums) that training results and the report carry along.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import secrets
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

from dlrepro.data.archives import safe_extract_tar
from dlrepro.data.sources import DataFile, Dataset, get_dataset
from dlrepro.data.storage import (
    StorageError,
    _exclusive,
    _mkdir,
    _remove_stale_temps,
    _replace,
    _Sink,
    _temp_name,
    storage_error,
)
from dlrepro.data.verify import (
    BY_CONTENTS,
    Check,
    ChecksumError,
    CorruptFileError,
    check_file,
    hash_file,
)

__all__ = [
    "ChecksumError",
    "CorruptFileError",
    "DownloadError",
    "OfflineDataError",
    "StorageError",
    "storage_error",
    "CHECKSUM_MODES",
    "hash_file",
    "download_file",
    "copy_offline_file",
    "fetch_dataset",
]

log = logging.getLogger(__name__)

CHECKSUM_MODES = ("strict", "warn")
VERIFIED = "verified"
UNVERIFIED = "unverified copy"
_CHUNK = 1 << 20  # bytes read per step while streaming
_USER_AGENT = "dlrepro/0.1 (+reproduction pipeline)"


class DownloadError(RuntimeError):
    """No URL of a file gave the expected bytes."""


class OfflineDataError(FileNotFoundError):
    """A file is missing from the offline data directory."""


class _Transient(Exception):
    """A failure worth retrying on the same URL."""


class _Permanent(Exception):
    """A failure that retrying the same URL will not fix."""


def _stream(url: str, dest: Path, file: DataFile, members: dict | None, timeout: float) -> Check:
    """Stream one URL to `dest` (via a temporary name); return how what arrived was verified."""
    tmp = _temp_name(dest)
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                length = response.headers.get("Content-Length")
                total = int(length) if length is not None else None
                hashers = {alg: hashlib.new(alg) for alg in file.checksums}
                received, next_report = 0, 0.1
                read = getattr(
                    response, "read1", response.read
                )  # read1: what has arrived, without waiting for a full chunk
                with _Sink(tmp, dest) as out:
                    while chunk := read(_CHUNK):
                        out.write(chunk)
                        for h in hashers.values():
                            h.update(chunk)
                        received += len(chunk)
                        if total and received / total >= next_report:
                            log.info("  %s: %3.0f%% of %.1f MB", dest.name, 100 * received / total, total / 1e6)
                            next_report += 0.1
        except StorageError:  # before OSError: it is a subclass, and no retry fixes it
            raise
        except urllib.error.HTTPError as e:  # before URLError: it is a subclass
            if e.code >= 500 or e.code == 429:
                raise _Transient(f"HTTP {e.code} {e.reason}") from e
            raise _Permanent(f"HTTP {e.code} {e.reason}") from e
        except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
            # timeouts, refused or reset connections, truncated bodies (IncompleteRead)
            raise _Transient(f"{type(e).__name__}: {e}") from e
        if total is not None and received != total:
            raise _Transient(f"truncated body: got {received} of {total} bytes")
        actual = {alg: h.hexdigest() for alg, h in hashers.items()}
        try:
            check = check_file(tmp, file, members=members, actual=actual)
        except CorruptFileError as e:
            raise _Permanent(str(e).replace(f"{tmp}: ", "")) from e  # names the URL, not the temporary file
        if not check.ok:
            raise _Permanent(f"checksum mismatch: {check.problem}")
        _replace(tmp, dest)
        return check
    finally:
        tmp.unlink(missing_ok=True)


def download_file(
    file: DataFile,
    dest: str | os.PathLike,
    *,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 2.0,
    members: dict[str, DataFile] | None = None,
) -> dict:
    """Download `file` to `dest`, trying each URL up to `retries` times; return its provenance.

    `members` (archive path -> pinned member) lets a recompressed archive verify by its contents.
    """
    dest = Path(dest)
    _mkdir(dest.parent)
    with _exclusive(dest.with_name(f".{dest.name}.lock")):
        _remove_stale_temps(dest)
        return _download(file, dest, members, timeout=timeout, retries=retries, backoff=backoff)


def _download(file: DataFile, dest: Path, members, *, timeout: float, retries: int, backoff: float) -> dict:
    failures = []
    for url in file.urls:
        for attempt in range(1, retries + 1):
            log.info("downloading %s from %s (attempt %d/%d)", file.name, url, attempt, retries)
            try:
                check = _stream(url, dest, file, members, timeout)
            except _Permanent as e:
                failures.append(f"{url}: {e}")
                log.warning("%s: %s; trying the next URL", url, e)
                break
            except _Transient as e:
                failures.append(f"{url} (attempt {attempt}/{retries}): {e}")
                if attempt < retries:
                    wait = backoff * 2 ** (attempt - 1)
                    log.warning("%s: %s; retrying in %.1f s", url, e, wait)
                    time.sleep(wait)
            else:
                _log_verified(file, check)
                return _record(file, url, check)
    raise DownloadError(f"could not download {file.name}; every URL failed:\n  " + "\n  ".join(failures))


def copy_offline_file(
    file: DataFile,
    data_dir: str | os.PathLike,
    dest: str | os.PathLike,
    *,
    checksums: str = "strict",
    members: dict[str, DataFile] | None = None,
) -> dict:
    """Verify the offline copy of `file` under `data_dir` and copy it to `dest`.

    A copy that cannot be decompressed where its contents must be read raises `CorruptFileError`
    in either mode; `members` as for `download_file`.
    """
    _check_mode(checksums)
    src = Path(data_dir) / file.offline_path
    if not src.is_file():
        raise OfflineDataError(
            f"{file.name}: not found in the offline data directory; looked for {src}. "
            f"Fetch it from {file.urls[0] if file.urls else 'the data set archive'} and put it there, "
            f"or run without data_dir to download it."
        )
    check = check_file(src, file, members=members)
    if not check.ok and checksums == "strict":
        raise ChecksumError(
            f"{src}: checksum differs from the published value ({check.problem}). "
            "If this copy is known to differ (e.g. a re-encoded copy), set data_checksums=warn to use it; "
            "results will then be marked 'unverified copy'."
        )
    if not check.ok:
        log.warning("%s: checksum differs (%s); using it as an unverified copy", src, check.problem)
    else:
        _log_verified(file, check)
    dest = Path(dest)
    _mkdir(dest.parent)
    with _exclusive(dest.with_name(f".{dest.name}.lock")):
        _remove_stale_temps(dest)
        tmp = _temp_name(dest)
        try:
            try:
                shutil.copyfile(src, tmp)
            except OSError as e:
                raise storage_error(dest, e) from e
            _replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
    return _record(file, str(src.resolve()), check)


def _log_verified(file: DataFile, check: Check) -> None:
    sums = ", ".join(f"{k} {v}" for k, v in check.actual.items())
    if check.by == BY_CONTENTS:
        log.info("%s: verified by its contents (%s); the compressed file differs (%s)", file.name, sums, check.problem)
    else:
        log.info("%s: checksum ok (%s)", file.name, sums)


def _record(file: DataFile, source: str, check: Check) -> dict:
    expected = dict(file.checksums)
    if file.content_sha256:
        expected["content_sha256"] = file.content_sha256
    record = {
        "name": file.name,
        "source": source,
        "expected": expected,
        "actual": check.actual,
        "status": VERIFIED if check.ok else UNVERIFIED,
        "verified_by": check.by,
    }
    if check.by == BY_CONTENTS:
        record["note"] = f"verified by contents; the compressed file differs from the published one: {check.problem}"
    elif not check.ok:
        record["reason"] = f"checksum differs from the published value: {check.problem}"
    return record


def _check_mode(mode: str) -> None:
    if mode not in CHECKSUM_MODES:
        raise ValueError(f"data_checksums must be one of {CHECKSUM_MODES}, got {mode!r}")


def fetch_dataset(
    name: str | Dataset,
    dest_dir: str | os.PathLike,
    *,
    data_dir: str | os.PathLike | None = None,
    checksums: str = "strict",
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 2.0,
) -> dict:
    """Fetch every file of a data set into `dest_dir`; return its provenance record.

    With `data_dir`, files come from that offline directory instead of the network. Archives are
    extracted safely into `dest_dir/<extract_dir>` and then removed. An offline directory may hold
    either the archive or its extracted members.
    """
    _check_mode(checksums)
    dataset = name if isinstance(name, Dataset) else get_dataset(name)
    dest_dir = Path(dest_dir)
    _mkdir(dest_dir)
    with _exclusive(dest_dir / ".fetch.lock"):
        records = _fetch_files(
            dataset, dest_dir, data_dir, checksums, timeout=timeout, retries=retries, backoff=backoff
        )
    status = VERIFIED if all(r["status"] == VERIFIED for r in records) else UNVERIFIED
    return {
        "dataset": dataset.name,
        "description": dataset.description,
        "mode": "offline" if data_dir else "download",
        "data_dir": str(Path(data_dir).resolve()) if data_dir else None,
        "checksums": checksums,
        "status": status,
        "files": records,
    }


def _fetch_files(dataset: Dataset, dest_dir: Path, data_dir, checksums: str, **download) -> list[dict]:
    for stale in dest_dir.glob(".extract-*"):  # left behind by a killed extraction
        log.warning("removing %s, left behind by an interrupted extraction", stale)
        shutil.rmtree(stale, ignore_errors=True)
    records = []
    for file in dataset.files:
        dest = dest_dir / file.name
        if data_dir and dataset.members and not (Path(data_dir) / file.offline_path).is_file():
            records.extend(_copy_offline_members(dataset, data_dir, dest_dir, checksums, file))
            continue
        members = {f"{dataset.extract_dir}/{m.name}": m for m in dataset.members} or None
        if data_dir:
            records.append(copy_offline_file(file, data_dir, dest, checksums=checksums, members=members))
        else:
            records.append(download_file(file, dest, members=members, **download))
        if dataset.extract_dir:
            log.info("extracting %s", dest.name)
            _extract_into_place(dest, dest_dir)
            dest.unlink()
    return records


def _extract_into_place(archive: Path, dest_dir: Path) -> None:
    """Extract safely into a temporary folder, then rename each member into `dest_dir`."""
    staging = dest_dir / f".extract-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        try:
            safe_extract_tar(archive, staging)
        except OSError as e:
            raise storage_error(dest_dir / archive.name.split(".")[0], e) from e
        for path in sorted(staging.rglob("*")):
            target = dest_dir / path.relative_to(staging)
            if path.is_dir():
                _mkdir(target)
            else:
                _replace(path, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _copy_offline_members(dataset: Dataset, data_dir, dest_dir: Path, checksums: str, archive: DataFile):
    first = Path(data_dir) / dataset.members[0].offline_path
    if not first.is_file():
        raise OfflineDataError(
            f"{dataset.name}: neither the archive {Path(data_dir) / archive.offline_path} nor its extracted "
            f"members (e.g. {first}) are in the offline data directory. "
            f"Fetch {archive.urls[0]} and put it (or its extracted folder) there, "
            "or run without data_dir to download it."
        )
    out = dest_dir / dataset.extract_dir
    return [copy_offline_file(m, data_dir, out / m.name, checksums=checksums) for m in dataset.members]
