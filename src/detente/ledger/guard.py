"""The equivocation guard: the last checkpoint a log key signed, kept outside the database.

A log must never sign two different trees of the same size, or a tree that does not extend
one it signed (C2SP tlog-checkpoint §Signatures, RFC 9162 §2.1.4). Checking the new tree
against the checkpoints stored *in the database* is not enough: someone with write access to
the database and no key can drop the triggers, delete the checkpoint rows, change an entry
and recompute the hashes, and the operator's next checkpoint would sign the forged tree.

So the signer keeps its own record, as Sunlight keeps its latest checkpoint in a separate
lock backend updated by compare-and-swap: a small JSON state file per log, outside the
database, written atomically (temporary file, fsync, rename, folder fsync) under an
exclusive ``flock``. Before signing, the new tree must be consistent with the state
(an RFC 9162 consistency proof from the state's size to the new one, computed from the
database and verified against the state's root); after the database commit, the state
advances. A crash between the two leaves the state behind the database, which is safe: the
next checkpoint is still checked against the older state.

The state folder is ``$DETENTE_LEDGER_STATE`` or ``~/.detente/state``; the file is named
after the log's origin and location, so two ledgers never share one.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from detente.errors import StorageError, VerificationError
from detente.ledger._files import write_atomic

__all__ = ["STATE_ENV", "CheckpointGuard", "EquivocationError", "GuardState", "default_state_dir"]

STATE_ENV = "DETENTE_LEDGER_STATE"


class EquivocationError(VerificationError):
    """Signing the requested checkpoint would contradict one this log already signed."""


@dataclass(frozen=True)
class GuardState:
    """The last checkpoint signed: size, root and the signed note."""

    size: int
    root: bytes
    note: str


def default_state_dir() -> Path:
    """``$DETENTE_LEDGER_STATE`` or ``~/.detente/state``."""
    env = os.environ.get(STATE_ENV)
    return Path(env) if env else Path.home() / ".detente" / "state"


class CheckpointGuard:
    """The state file of one log.

    Args:
        origin: The log's origin.
        location: Where the database is (absolute path, or the URL without password).
        state_dir: The folder (default: :func:`default_state_dir`).
    """

    def __init__(self, origin: str, location: str, state_dir: Path | None = None) -> None:
        self.origin = origin
        self.location = location
        folder = state_dir or default_state_dir()
        digest = hashlib.sha256(f"{origin}\n{location}".encode()).hexdigest()[:32]
        self.path = folder / f"{digest}.checkpoint.json"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the state's exclusive lock (one signer at a time on this machine)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StorageError(
                f"cannot open the checkpoint state {self.path}: {exc.strerror or exc}"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def read(self) -> GuardState | None:
        """The last signed checkpoint recorded, or None if this log never signed here.

        Raises:
            StorageError: if the state file exists but cannot be read.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot read checkpoint state {self.path}: {exc}") from exc
        try:
            doc = json.loads(raw)
            if doc.get("origin") != self.origin:
                raise ValueError(f"state is for origin {doc.get('origin')!r}")
            size, note = int(doc["size"]), str(doc["note"])
            root = base64.b64decode(str(doc["root"]), validate=True)
            if size < 0 or len(root) != 32:
                raise ValueError("bad size or root")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise StorageError(
                f"checkpoint state {self.path} is damaged ({exc}); refusing to sign until it "
                "is restored from a backup"
            ) from exc
        return GuardState(size, root, note)

    def advance(self, size: int, root: bytes, note: str) -> None:
        """Record a newly signed checkpoint (call under :meth:`locked`, after the commit).

        Never moves backwards: a state already at or beyond ``size`` is kept.
        """
        cur = self.read()
        if cur is not None and cur.size >= size:
            return
        doc = {
            "format": "detente.checkpoint-state/v1",
            "origin": self.origin,
            "location": self.location,
            "size": size,
            "root": base64.b64encode(root).decode("ascii"),
            "note": note,
        }
        write_atomic(self.path, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))
