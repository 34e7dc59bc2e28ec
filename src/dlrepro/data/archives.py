"""Safe extraction of tar archives: no member may land outside the target folder."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

__all__ = ["UnsafeArchiveError", "safe_extract_tar"]


class UnsafeArchiveError(RuntimeError):
    """An archive member would be written outside the target folder, or is not a plain file/folder."""


def safe_extract_tar(archive: str | os.PathLike, dest: str | os.PathLike) -> list[str]:
    """Extract `archive` into `dest` after checking every member; return the member names.

    Refuses absolute paths, `..` components that escape `dest`, links and device files, before
    anything is written.
    """
    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for m in members:
            if os.path.isabs(m.name) or m.name.startswith(("/", "\\")):
                raise UnsafeArchiveError(f"{archive}: member {m.name!r} has an absolute path")
            target = (dest / m.name).resolve()
            if target != dest and dest not in target.parents:
                raise UnsafeArchiveError(f"{archive}: member {m.name!r} would be written outside {dest}")
            if not (m.isfile() or m.isdir()):
                raise UnsafeArchiveError(f"{archive}: member {m.name!r} is a link or special file")
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 / 3.10.12: a second line of defence
            tar.extractall(dest, members=members, filter="data")
        else:  # pragma: no cover - older Pythons; members were checked above
            tar.extractall(dest, members=members)
    return [m.name for m in members]
