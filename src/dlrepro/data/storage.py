"""Writing fetched files safely: temporary names beside the destination, atomic renames, an exclusive
`flock` per file and per data set folder, clean-up after killed fetches, and local write errors as
`StorageError`s that name the path (never retried: no mirror can fix a full disk)."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import re
import secrets
from pathlib import Path

# the underscored helpers are the data package's own (fetch uses them), not part of its API
__all__ = ["StorageError", "storage_error"]

log = logging.getLogger(__name__)


class StorageError(OSError):
    """A file could not be written locally (disk full, read-only or missing folder, no permission)."""


def storage_error(path: str | os.PathLike, e: OSError) -> StorageError:
    """`e`, raised while writing `path`, as a `StorageError` that names the path and the likely cause."""
    hint = {
        errno.ENOSPC: "the disk is full; free space there",
        errno.EDQUOT: "the disk quota is exhausted; free space there",
        errno.EFBIG: "the file is larger than this system allows",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
    }.get(e.errno, "")
    reason = e.strerror or str(e)
    return StorageError(e.errno, f"cannot write {path}: {reason}" + (f" ({hint})" if hint else ""))


def _temp_name(dest: Path) -> Path:
    """A temporary name beside `dest`, unique per process and call (threads of one process too)."""
    return dest.with_name(f".{dest.name}.{os.getpid()}-{secrets.token_hex(4)}.part")


@contextlib.contextmanager
def _exclusive(lock_path: Path):
    """Hold an exclusive flock on `lock_path` (created, and removed on exit) against other fetches."""
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise storage_error(lock_path, e) from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # the previous holder removes the file on exit: a lock on a removed file guards nothing
            if os.path.exists(lock_path) and os.path.samestat(os.stat(lock_path), os.fstat(fd)):
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock_path)
        os.close(fd)  # releases the lock


def _remove_stale_temps(dest: Path) -> None:
    """Remove what killed fetches of `dest` left behind (call while holding its lock)."""
    own = re.compile(rf"\.{re.escape(dest.name)}\.\d+-[0-9a-f]{{8}}\.part")  # `_temp_name`s of dest only
    for stale in dest.parent.glob(f".{dest.name}.*.part"):
        if own.fullmatch(stale.name):
            log.warning("removing %s, left behind by an interrupted fetch", stale)
            stale.unlink(missing_ok=True)


class _Sink:
    """A temporary file whose write errors become `StorageError`s (never retried: no mirror fixes them)."""

    def __init__(self, tmp: Path, dest: Path):
        self.tmp, self.dest = tmp, dest
        try:
            self.file = open(tmp, "wb")
        except OSError as e:
            raise storage_error(dest, e) from e

    def write(self, chunk: bytes) -> None:
        try:
            self.file.write(chunk)
        except OSError as e:
            raise storage_error(self.dest, e) from e

    def close(self) -> None:
        try:
            self.file.close()  # flushes: a full disk can show up only here
        except OSError as e:
            raise storage_error(self.dest, e) from e

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.close()
        else:
            with contextlib.suppress(OSError):
                self.file.close()


def _replace(tmp: Path, dest: Path) -> None:
    try:
        os.replace(tmp, dest)
    except OSError as e:
        raise storage_error(dest, e) from e


def _mkdir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise storage_error(folder, e) from e
