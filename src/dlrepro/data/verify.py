"""Is a local file the published one? Checked first by its own checksums, then by its contents.

A mirror or a distribution package may re-gzip a published file: the `.gz` bytes then differ (another
compression level, another header time stamp) although the data inside are the same bytes. So a file
whose compressed checksums differ from the published ones is checked again by what it holds:

- a single gzip stream (MNIST's IDX files): the sha256 of its decompressed bytes against the pinned
  `DataFile.content_sha256`;
- a gzipped tar archive whose members are pinned (CIFAR-10): every pinned member's checksums, read
  from the archive.

Both are streamed (one chunk in memory at a time, nothing written). A match is **verified by contents**;
a mismatch stays a mismatch and names both checksums. A stream that cannot be decompressed (truncated,
damaged, not gzip at all) is a `CorruptFileError`: no checksum mode accepts it, since nothing downstream
could parse it.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
import zlib
from dataclasses import dataclass

from dlrepro.data.sources import DataFile

__all__ = [
    "ChecksumError",
    "CorruptFileError",
    "BY_FILE",
    "BY_CONTENTS",
    "Check",
    "hash_file",
    "gzip_content_sha256",
    "check_file",
    "combined_status",
]

BY_FILE = "file checksum"
BY_CONTENTS = "contents"
_CHUNK = 1 << 20
# what a damaged gzip stream raises: EOFError (truncated), BadGzipFile (an OSError: bad magic or CRC),
# zlib.error (a damaged deflate stream), tarfile.ReadError (a damaged tar inside the gzip)
_CORRUPT = (EOFError, OSError, zlib.error, tarfile.ReadError)


class ChecksumError(RuntimeError):
    """A file's checksum differs from the published value."""


class CorruptFileError(ChecksumError):
    """A compressed file cannot be decompressed: truncated or damaged."""


@dataclass(frozen=True)
class Check:
    """The outcome of checking one file: `ok`, how (`by`), what it hashed to, and what differs."""

    ok: bool
    by: str | None  # BY_FILE, BY_CONTENTS, or None when it failed
    actual: dict[str, str]
    problem: str | None  # the mismatches, also kept when the contents match (as a note)


def hash_file(path: str | os.PathLike, algorithms=("md5", "sha256")) -> dict[str, str]:
    hashers = {alg: hashlib.new(alg) for alg in algorithms}
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            for h in hashers.values():
                h.update(chunk)
    return {alg: h.hexdigest() for alg, h in hashers.items()}


def mismatch(expected: dict[str, str], actual: dict[str, str]) -> str | None:
    bad = [f"{alg} expected {v}, got {actual[alg]}" for alg, v in expected.items() if actual[alg] != v]
    return "; ".join(bad) or None


def gzip_content_sha256(path: str | os.PathLike) -> str:
    """The sha256 of the decompressed bytes of the gzip file at `path`, streamed."""
    h = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    except _CORRUPT as e:
        raise CorruptFileError(f"{path}: not a complete gzip stream ({e}); the file is truncated or damaged") from e
    return h.hexdigest()


def _tar_members_problem(path: str | os.PathLike, members: dict[str, DataFile]) -> str | None:
    """Read the gzipped tar at `path` as a stream; what differs between it and the pinned `members`."""
    seen: dict[str, dict[str, str]] = {}
    try:
        with tarfile.open(path, mode="r|gz") as tar:
            for info in tar:
                if info.name not in members or not info.isfile():
                    continue
                hashers = {alg: hashlib.new(alg) for alg in members[info.name].checksums}
                f = tar.extractfile(info)
                while chunk := f.read(_CHUNK):
                    for h in hashers.values():
                        h.update(chunk)
                seen[info.name] = {alg: h.hexdigest() for alg, h in hashers.items()}
    except _CORRUPT as e:
        raise CorruptFileError(
            f"{path}: not a complete gzipped tar archive ({e}); the file is truncated or damaged"
        ) from e
    problems = []
    for name, member in members.items():
        if name not in seen:
            problems.append(f"member {name} missing")
        elif bad := mismatch(member.checksums, seen[name]):
            problems.append(f"member {name}: {bad}")
    return "; ".join(problems) or None


def combined_status(statuses) -> str:
    """One data status for results that rest on several runs: "verified" if all are, "unverified copy" if
    any is, else the other status they carry (e.g. "user folder (name)", which has no published checksum)."""
    statuses = set(statuses) or {"verified"}
    if statuses == {"verified"}:
        return "verified"
    if "unverified copy" in statuses:
        return "unverified copy"
    return sorted(statuses - {"verified"})[0]


def check_file(
    path: str | os.PathLike,
    file: DataFile,
    *,
    members: dict[str, DataFile] | None = None,
    actual: dict[str, str] | None = None,
) -> Check:
    """Check the local `path` against `file` as published: its own checksums, else its contents.

    `members` maps archive paths to the pinned members of a tar archive (for an archive only);
    `actual` are the file's checksums when already computed (while it streamed in).
    Raises `CorruptFileError` when the contents have to be read and cannot be decompressed.
    """
    actual = actual or hash_file(path, tuple(file.checksums))
    problem = mismatch(file.checksums, actual)
    if problem is None:
        return Check(True, BY_FILE, actual, None)
    if file.content_sha256:
        try:
            content = gzip_content_sha256(path)
        except CorruptFileError as e:
            raise CorruptFileError(f"{e}: {problem}") from e
        actual = {**actual, "content_sha256": content}
        if content == file.content_sha256:
            return Check(True, BY_CONTENTS, actual, problem)
        return Check(
            False,
            None,
            actual,
            f"{problem}; decompressed contents sha256 expected {file.content_sha256}, got {content}",
        )
    if members:
        try:
            members_problem = _tar_members_problem(path, members)
        except CorruptFileError as e:
            raise CorruptFileError(f"{e}: {problem}") from e
        if members_problem is None:
            return Check(True, BY_CONTENTS, actual, problem)
        return Check(False, None, actual, f"{problem}; archive contents: {members_problem}")
    return Check(False, None, actual, problem)
