"""The equivocation guard: the last checkpoint a log key signed, kept outside the database.

A log must never sign two different trees of the same size, or a tree that does not extend
one it signed (C2SP tlog-checkpoint §Signatures, RFC 9162 §2.1.4). Checking the new tree
against the checkpoints stored *in the database* is not enough: someone with write access to
the database and no key can drop the triggers, delete the checkpoint rows, change an entry
and recompute the hashes, and the operator's next checkpoint would sign the forged tree.

So the signer keeps its own record, as Sunlight keeps its latest checkpoint in a separate
lock backend updated by compare-and-swap: a small state file per log, outside the database,
changed only under an exclusive ``flock``. The file has two fixed-size slots, each a
sequence number, the state as JSON and its SHA-256; an update overwrites the older slot
in place and ``fdatasync``s it (one flush per checkpoint, no rename). A write torn by a
power loss spoils only the slot being written, and the other still holds the previous
state, which is safe to fall back to (see below). The file is created once, with a
folder fsync. Before signing, the new tree must be consistent with the state
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


_NOATIME = getattr(os, "O_NOATIME", 0)


def _read_noatime(path: Path) -> bytes:
    """The file's bytes, read without updating its access time where the system allows.

    The state file is rewritten at every checkpoint, so under ``relatime`` each read after
    a write would also write its access time. In an append (ext4, docs/performance.md, run
    K) a read took 72-80 µs with the access time and 41-44 µs without it, against 5 µs
    measured alone. ``O_NOATIME`` needs the file's owner; anyone else reads it as usual.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _NOATIME)
    except PermissionError:
        if not _NOATIME:
            raise
        fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


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
        # The slots as read under the lock: nobody else can change the file while it is
        # held, so one read serves the check before signing and the advance after it.
        self._held: list[tuple[int, dict[str, object]]] | None = None
        self._locked = False

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the state's exclusive lock (one signer at a time on this machine)."""
        lock = self.path.with_suffix(".lock")
        try:
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
            except FileNotFoundError:  # the first time: make the folder (not every time:
                # right after a commit's flush a mkdir of an existing folder took 0.1 ms)
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StorageError(
                f"cannot open the checkpoint state {self.path}: {exc.strerror or exc}"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._held, self._locked = None, True
            yield
        finally:
            self._held, self._locked = None, False
            os.close(fd)

    def _slots(self) -> list[tuple[int, dict[str, object]]]:
        """The valid slots as ``(seq, document)`` (read once per hold of the lock)."""
        if self._held is not None:
            return self._held
        try:
            raw = _read_noatime(self.path)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StorageError(f"cannot read checkpoint state {self.path}: {exc}") from exc
        out = []
        for k in range(2):
            slot = raw[k * _SLOT : (k + 1) * _SLOT]
            head, _, rest = slot.partition(b"\n")
            body, _, digest = rest.partition(b"\n")
            if head != _MAGIC or hashlib.sha256(body).hexdigest().encode() != digest[:64]:
                continue
            try:
                doc = json.loads(body)
                out.append((int(doc["seq"]), doc))
            except (ValueError, TypeError, KeyError):
                continue
        if not out:
            raise StorageError(
                f"checkpoint state {self.path} is damaged (no valid slot); refusing to sign "
                "until it is restored from a backup"
            )
        if self._locked:
            self._held = out
        return out

    def read(self) -> GuardState | None:
        """The last signed checkpoint recorded, or None if this log never signed here.

        Raises:
            StorageError: if the state file exists but no slot of it can be read.
        """
        slots = self._slots()
        if not slots:
            return None
        _, doc = max(slots, key=lambda s: s[0])
        try:
            if doc.get("origin") != self.origin:
                raise ValueError(f"state is for origin {doc.get('origin')!r}")
            size, note = int(str(doc["size"])), str(doc["note"])
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

        Raises:
            StorageError: if the state cannot be written (the checkpoint is then stored in
                the database but not yet guarded; the next one is checked against the
                older state, which is safe).
        """
        slots = self._slots()
        cur = self.read() if slots else None
        if cur is not None and cur.size >= size:
            return
        seq = max((s for s, _ in slots), default=0) + 1
        body = json.dumps(
            {
                "format": "detente.checkpoint-state/v1",
                "seq": seq,
                "origin": self.origin,
                "location": self.location,
                "size": size,
                "root": base64.b64encode(root).decode("ascii"),
                "note": note,
            },
            separators=(",", ":"),
        ).encode("utf-8")
        record = _MAGIC + b"\n" + body + b"\n" + hashlib.sha256(body).hexdigest().encode()
        if len(record) > _SLOT:
            raise StorageError(f"checkpoint note too long for the state file ({len(record)} bytes)")
        record += b"\0" * (_SLOT - len(record))
        self._held = None  # the file changes now: the next read under this lock rereads it
        try:
            if not slots:
                # First checkpoint: the file is made once, both slots, then the folder flush.
                # seq 1 goes in slot 1, so the next update (seq 2, slot 0) keeps it intact.
                write_atomic(self.path, b"\0" * _SLOT + record)
                return
            fd = os.open(self.path, os.O_WRONLY)
            try:
                os.pwrite(fd, record, (seq % 2) * _SLOT)
                os.fdatasync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise StorageError(
                f"cannot write checkpoint state {self.path}: {exc.strerror or exc}"
            ) from exc


_SLOT = 8192
_MAGIC = b"detente-checkpoint-state/v1"
