"""Durable small files: write to a unique temporary name, fsync, rename, fsync the folder.

A rename is atomic, but only the folder's fsync makes it survive a power loss (otherwise
the folder entry may roll back to the old file); a unique temporary name means a write
killed half-way never leaves a file that blocks the next one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from detente.errors import StorageError

__all__ = ["fsync_dir", "write_atomic"]


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename in it) to disk."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` atomically and durably.

    Raises:
        StorageError: if the folder cannot be written (full disk, permissions).
    """
    folder = path.parent
    tmp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        tmp = None
        fsync_dir(folder)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
