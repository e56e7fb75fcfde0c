"""Ledger storage: a small interface and its SQLite (WAL) implementation.

The log logic (:mod:`detente.ledger.log`) talks only to :class:`LogStorage`; the other
implementation is PostgreSQL's (:mod:`detente.ledger.postgres`). A backend keeps, append-only:

* the entries (leaf data and leaf hash, indexes 0, 1, 2, ... without gaps);
* the hash of every *complete* subtree (RFC 9162 §2.1.1 MTH of an aligned power-of-two
  range), so any proof is a few dozen point reads instead of a recomputation;
* signed checkpoints, cosignatures, the log's keys, and a few settings.

The SQLite backend uses one file per ledger in WAL mode with ``synchronous=FULL`` (each
commit is fsynced before :meth:`SQLiteStorage.append` returns), ``BEGIN IMMEDIATE`` so that
appenders in several processes are serialised, and triggers that refuse UPDATE and DELETE on
every table and any INSERT that would leave a gap in the leaf indexes.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from detente.errors import StorageError, VerificationError
from detente.ledger.keyreg import BindingRow
from detente.ledger.merkle import leaf_hash, node_hash

__all__ = [
    "TABLES",
    "DuplicateEntryError",
    "LogStorage",
    "SQLiteStorage",
    "StaleCheckpointError",
    "StoredCheckpoint",
    "Within",
    "active_log_keys",
    "append_rows",
    "interior",
    "new_nodes",
    "refuse_stale_checkpoint",
    "written_nodes",
]

StoredCheckpoint = tuple[int, int, bytes, str]
"""``(seq, size, root, note)`` of a stored signed checkpoint."""

Within = Callable[[int, Mapping[tuple[int, int], bytes]], None]
"""The step an append runs in its own transaction: ``within(first, known nodes)``."""


def new_nodes(
    size: int,
    leaf_hashes: Sequence[bytes],
    node: dict[tuple[int, int], bytes] | None,
    fetch: Callable[[int, int], bytes] | None = None,
) -> list[tuple[int, int, bytes]]:
    """Complete-subtree hashes created by appending ``leaf_hashes`` to a tree of ``size``.

    Args:
        size: Tree size before the append.
        leaf_hashes: The new leaves' hashes, in order.
        node: Known hashes by ``(level, index)``; updated in place.
        fetch: A callable ``(level, index) -> bytes`` for hashes not in ``node``.

    Returns:
        ``(level, index, hash)`` for every new node, level 0 (the leaves) included.
    """
    known = node if node is not None else {}
    out: list[tuple[int, int, bytes]] = []
    for k, h in enumerate(leaf_hashes):
        idx, level = size + k, 0
        known[(0, idx)] = h
        out.append((0, idx, h))
        while idx & 1:
            left = known.get((level, idx - 1))
            if left is None:
                if fetch is None:
                    raise StorageError(f"missing node ({level}, {idx - 1})")
                left = fetch(level, idx - 1)
            h = node_hash(left, h)
            level += 1
            idx >>= 1
            known[(level, idx)] = h
            out.append((level, idx, h))
    return out


def interior(nodes: Sequence[tuple[int, int, bytes]]) -> list[tuple[int, int, bytes]]:
    """The rows of ``nodes`` above level 0: a leaf's hash is stored with the leaf only."""
    return [n for n in nodes if n[0]]


def append_rows(
    first: int, entries: Sequence[bytes], fetch: Callable[[int, int], bytes]
) -> tuple[list[tuple[int, bytes, bytes]], list[tuple[int, int, bytes]]]:
    """The rows an append writes: ``(idx, data, leaf hash)`` per entry, and the new nodes.

    Args:
        first: The tree size before the append (the first new index).
        entries: The new entries' data.
        fetch: Reads a stored complete-subtree hash (see :func:`new_nodes`).
    """
    hashes = [leaf_hash(e) for e in entries]
    leaves = [
        (first + k, bytes(e), h) for k, (e, h) in enumerate(zip(entries, hashes, strict=True))
    ]
    return leaves, new_nodes(first, hashes, {}, fetch)


def written_nodes(
    edge: Mapping[tuple[int, int], bytes], nodes: Sequence[tuple[int, int, bytes]]
) -> dict[tuple[int, int], bytes]:
    """The hashes an append read (``edge``) and wrote (``nodes``), by ``(level, index)``."""
    known = dict(edge)
    for level, idx, h in nodes:
        known[(level, idx)] = h
    return known


def frontier(size: int) -> list[tuple[int, int]]:
    """The complete subtrees a tree of ``size`` leaves is made of (RFC 9162 §2.1.1 split).

    Appending reads exactly these as left siblings, so a backend fetches them in one
    round trip instead of one query per level.
    """
    return [(level, (size >> level) - 1) for level in range(size.bit_length()) if size >> level & 1]


class StaleCheckpointError(StorageError):
    """A newer checkpoint was stored by another process in the meantime."""


class DuplicateEntryError(VerificationError):
    """The entry (or the commitment it records) is already in the log.

    Attributes:
        index: The index of the entry already there.
    """

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


def refuse_duplicates(found: dict[bytes, int], hashes: Sequence[bytes], first: int) -> None:
    """Raise :class:`DuplicateEntryError` if a new leaf hash is stored or repeated in the batch.

    Args:
        found: Leaf hashes already stored, with their index.
        hashes: The batch's leaf hashes, in order.
        first: The index the batch starts at.
    """
    seen: dict[bytes, int] = {}
    for k, h in enumerate(hashes):
        old = found.get(h, seen.get(h))
        if old is not None:
            raise DuplicateEntryError(
                f"entry {first + k} is already in the log at index {old}: a duplicate "
                "submission is refused",
                old,
            )
        seen[h] = first + k


def refuse_stale_checkpoint(
    where: object, last: tuple[int, bytes] | None, size: int, root: bytes
) -> None:
    """Raise unless a checkpoint at ``size``/``root`` may follow the last stored one.

    Called under the writers' lock by every backend: a checkpoint smaller than the last,
    or of the same size with another root, means another writer got there first.

    Raises:
        StaleCheckpointError: if the checkpoint would go backwards.
    """
    if last is not None and (last[0] > size or (last[0] == size and last[1] != root)):
        raise StaleCheckpointError(
            f"{where}: a checkpoint at size {last[0]} was stored meanwhile; "
            f"refusing to store one at size {size}"
        )


def active_log_keys(rows: Iterable[tuple[str, str]], include_retired: bool) -> list[str]:
    """Reduce ``(vkey, action)`` rows, oldest first, to the keys in force (or all of them)."""
    active: dict[str, None] = {}
    for vkey, action in rows:
        if action == "add" or include_retired:
            active[str(vkey)] = None
        else:
            active.pop(str(vkey), None)
    return list(active)


def _blob(value: object) -> bytes:
    """A BLOB column as bytes (a tampered row may hold TEXT; fsck must still read it)."""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


@runtime_checkable
class LogStorage(Protocol):
    """What the log needs from a storage backend."""

    def size(self) -> int:
        """The number of entries."""
        ...

    def append(self, entries: Sequence[bytes], within: Within | None = None) -> int:
        """Durably append ``entries`` with their nodes; return the first new index.

        ``within(first, known)`` runs inside the same transaction, after the rows are written
        and under the writers' lock: the log checks key bindings and signs the checkpoint
        there, so a batch and its checkpoint are committed (and fsynced) once. ``known``
        holds the complete-subtree hashes the append read (the old tree's right edge) and
        wrote (every new node), by ``(level, index)``, so the checkpoint step need not read
        back what the batch just wrote. If it raises, nothing is written.
        """
        ...

    def leaf_count(self) -> int:
        """How many leaf rows are stored (fsck compares it with the size)."""
        ...

    def entry_key(self, key: str) -> int | None:
        """The index recorded for a unique entry key (e.g. a commitment id), or None."""
        ...

    def add_entry_keys(self, rows: Sequence[tuple[str, int]]) -> None:
        """Record unique entry keys; a key already recorded is a :class:`DuplicateEntryError`."""
        ...

    def binding_rows(self) -> list[BindingRow]:
        """Every key registration event, in log order."""
        ...

    def add_bindings(self, rows: Sequence[BindingRow]) -> None:
        """Record key registration events (written with their entries)."""
        ...

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The last stored checkpoint, read in O(1)."""
        ...

    def checkpoint_count(self) -> int:
        """How many checkpoints are stored."""
        ...

    def health(self) -> list[str]:
        """Problems the database itself can see: integrity checks, missing or disabled triggers."""
        ...

    def entry(self, index: int) -> tuple[bytes, bytes]:
        """``(data, stored leaf hash)`` of entry ``index``."""
        ...

    def iter_entries(
        self, start: int = 0, end: int | None = None
    ) -> Iterator[tuple[int, bytes, bytes]]:
        """``(index, data, stored leaf hash)`` in index order."""
        ...

    def node(self, level: int, index: int) -> bytes:
        """The stored hash of complete subtree ``(level, index)``."""
        ...

    def nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Several complete-subtree hashes in one round trip (missing ones are left out)."""
        ...

    def node_count(self) -> int:
        """How many interior hashes (complete subtrees above the leaves) are stored."""
        ...

    def get_meta(self, key: str) -> str | None:
        """A setting, or None."""
        ...

    def put_meta(self, key: str, value: str) -> None:
        """Store a setting once (settings are never changed)."""
        ...

    def add_log_key(self, vkey: str, action: str) -> None:
        """Record that a log verifier key was added or retired."""
        ...

    def log_keys(self, include_retired: bool = False) -> list[str]:
        """The active log verifier keys (and the retired ones, if asked)."""
        ...

    def add_checkpoint(self, size: int, root: bytes, note: str) -> int:
        """Store a signed checkpoint; return its sequence number."""
        ...

    def checkpoint(self, seq: int) -> StoredCheckpoint | None:
        """The checkpoint with sequence number ``seq``, or None."""
        ...

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every stored checkpoint, oldest first."""
        ...

    def add_cosignature(self, seq: int, line: str) -> None:
        """Attach a witness cosignature line to checkpoint ``seq``."""
        ...

    def cosignatures(self, seq: int) -> list[str]:
        """Cosignature lines attached to checkpoint ``seq``."""
        ...

    def cosignature_seqs(self) -> list[int]:
        """Checkpoint sequence numbers that cosignature rows refer to."""
        ...

    def add_witness_key(self, vkey: str) -> None:
        """Remember a witness key a stored cosignature verified against (fsck re-checks)."""
        ...

    def witness_keys(self) -> list[str]:
        """Witness keys remembered by :meth:`add_witness_key`."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leaves(idx INTEGER PRIMARY KEY, data BLOB NOT NULL, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS nodes(level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
    PRIMARY KEY(level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints(seq INTEGER PRIMARY KEY, size INTEGER NOT NULL,
    root BLOB NOT NULL, note TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS cosignatures(seq INTEGER NOT NULL REFERENCES checkpoints(seq),
    line TEXT NOT NULL, PRIMARY KEY(seq, line));
CREATE TABLE IF NOT EXISTS log_keys(n INTEGER PRIMARY KEY, vkey TEXT NOT NULL,
    action TEXT NOT NULL CHECK(action IN ('add', 'retire')), at REAL NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS leaves_hash ON leaves(hash);
CREATE TABLE IF NOT EXISTS entry_keys(key TEXT PRIMARY KEY, idx INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS witness_keys(vkey TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_bindings(n INTEGER PRIMARY KEY, idx INTEGER NOT NULL,
    actor TEXT NOT NULL, vkey TEXT NOT NULL, action TEXT NOT NULL, mediator INTEGER NOT NULL);
"""

_GAPLESS = """CREATE TRIGGER IF NOT EXISTS leaves_gapless BEFORE INSERT ON leaves
    WHEN NEW.idx != (SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves)
    BEGIN SELECT RAISE(ABORT, 'detente ledger: leaf index out of sequence'); END;"""

TABLES = (
    "meta",
    "leaves",
    "nodes",
    "checkpoints",
    "cosignatures",
    "log_keys",
    "entry_keys",
    "key_bindings",
    "witness_keys",
)
"""Every table of a ledger database (both backends)."""


def _triggers(tables: tuple[str, ...] = TABLES) -> str:
    parts = []
    if "leaves" in tables:
        parts.append(_GAPLESS)
    for t in tables:
        for op in ("UPDATE", "DELETE"):
            parts.append(
                f"CREATE TRIGGER IF NOT EXISTS {t}_no_{op.lower()} BEFORE {op} ON {t} "
                f"BEGIN SELECT RAISE(ABORT, 'detente ledger is append-only: {op} on {t} "
                "refused'); END;"
            )
    return "\n".join(parts)


@functools.lru_cache(maxsize=1)
def expected_sqlite_triggers() -> dict[str, str]:
    """Trigger name -> the SQL SQLite stores for it, from a scratch in-memory database.

    fsck compares a ledger's triggers with these, so a dropped or rewritten trigger shows.
    """
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(_SCHEMA + _triggers())
        rows = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    finally:
        db.close()
    return {str(n): str(q) for n, q in rows}


class SQLiteStorage:
    """One ledger in one SQLite file (WAL mode, fsync on commit).

    Args:
        path: The database file; created with its schema when missing.
        busy_timeout_ms: How long a writer waits for another process's transaction.
        readonly: Open without writing anything (``fsck`` on a read-only file, or on a
            file that may not be a ledger: no schema is ever added to it).
    """

    def __init__(
        self, path: str | Path, busy_timeout_ms: int = 60_000, readonly: bool = False
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._depth = 0
        try:
            if readonly:
                uri = f"file:{self.path.resolve()}?mode=ro"
                self._db = sqlite3.connect(
                    uri, uri=True, isolation_level=None, timeout=busy_timeout_ms / 1000
                )
                self._db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
                self._db.execute("PRAGMA query_only=ON")
                return
            self._db = sqlite3.connect(
                str(self.path), isolation_level=None, timeout=busy_timeout_ms / 1000
            )
            self._db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError(f"{self.path}: could not switch to WAL mode (got {mode})")
            self._db.execute("PRAGMA synchronous=FULL")
            # Proof reads are random point lookups: keep hot pages in memory.
            self._db.execute("PRAGMA cache_size=-65536")
            self._db.execute("PRAGMA mmap_size=1073741824")
            before = {
                str(r[0])
                for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            self._db.executescript(_SCHEMA)
            # Triggers go on tables created now only: re-creating them on every open would
            # silently repair (and hide) triggers an attacker dropped; fsck reports those.
            self._db.executescript(_triggers(tuple(t for t in TABLES if t not in before)))
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self.path}: cannot open ledger database: {exc}") from exc

    def _q(self, sql: str, args: Sequence[object] = ()) -> list[Any]:
        """Rows of a read; a database error becomes a :class:`StorageError`."""
        try:
            return self._db.execute(sql, tuple(args)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self.path}: read failed: {exc}") from exc

    # -- entries and nodes -------------------------------------------------------------
    def size(self) -> int:
        """The number of entries (one more than the largest index)."""
        return int(self._q("SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves")[0][0])

    def leaf_count(self) -> int:
        """How many leaf rows are stored."""
        return int(self._q("SELECT COUNT(*) FROM leaves")[0][0])

    def append(self, entries: Sequence[bytes], within: Within | None = None) -> int:
        """Append in one ``BEGIN IMMEDIATE`` transaction, committed and fsynced on return.

        Raises:
            DuplicateEntryError: if an entry is already stored (or repeated in the batch).
            StorageError: if the database refuses the write.
        """
        with self._immediate("append") as db:
            first = self.size()
            edge = self.nodes(frontier(first))
            leaves, nodes = append_rows(
                first, entries, lambda lv, i: edge.get((lv, i)) or self.node(lv, i)
            )
            try:
                # The unique index on the leaf hash finds a duplicate as the rows go in: no
                # lookup of every new hash beforehand (the insert makes the same lookups).
                db.executemany("INSERT INTO leaves(idx, data, hash) VALUES (?, ?, ?)", leaves)
            except sqlite3.IntegrityError as exc:
                if "leaves.hash" not in str(exc):
                    raise
                self._refuse_duplicates(db, [h for _, _, h in leaves], first)
                raise
            db.executemany("INSERT INTO nodes(level, idx, hash) VALUES (?, ?, ?)", interior(nodes))
            if within is not None:
                within(first, written_nodes(edge, nodes))
        return first

    @staticmethod
    def _refuse_duplicates(db: sqlite3.Connection, hashes: Sequence[bytes], first: int) -> None:
        """After the unique index refused a batch: say which entry repeats which.

        Rows of this batch inserted before the refusal are still in the (doomed)
        transaction, so only rows stored before it (``idx < first``) count as found.
        """
        found: dict[bytes, int] = {}
        for start in range(0, len(hashes), 500):
            part = hashes[start : start + 500]
            sql = (
                f"SELECT hash, idx FROM leaves WHERE hash IN ({','.join('?' * len(part))}) "
                "AND idx < ?"
            )
            found.update((_blob(h), int(i)) for h, i in db.execute(sql, [*part, first]))
        refuse_duplicates(found, hashes, first)

    def entry(self, index: int) -> tuple[bytes, bytes]:
        """``(data, stored leaf hash)``.

        Raises:
            StorageError: if there is no such entry.
        """
        rows = self._q("SELECT data, hash FROM leaves WHERE idx = ?", (index,))
        if not rows:
            raise StorageError(f"no entry {index} in {self.path} (size {self.size()})")
        return _blob(rows[0][0]), _blob(rows[0][1])

    def iter_entries(
        self, start: int = 0, end: int | None = None
    ) -> Iterator[tuple[int, bytes, bytes]]:
        """``(index, data, stored leaf hash)`` in index order, read in chunks.

        A missing range does not end the iteration (fsck must see what lies beyond a gap).
        """
        stop = self.size() if end is None else end
        pos = start
        while pos < stop:
            rows = self._q(
                "SELECT idx, data, hash FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
                (pos, min(stop, pos + 4096)),
            )
            for r in rows:
                yield int(r[0]), _blob(r[1]), _blob(r[2])
            pos = int(rows[-1][0]) + 1 if rows else pos + 4096

    def node(self, level: int, index: int) -> bytes:
        """The stored complete-subtree hash.

        Raises:
            StorageError: if it is missing (a corrupt or truncated ledger).
        """
        if level == 0:  # a leaf's hash is stored with the leaf
            rows = self._q("SELECT hash FROM leaves WHERE idx = ?", (index,))
        else:
            rows = self._q("SELECT hash FROM nodes WHERE level = ? AND idx = ?", (level, index))
        if not rows:
            raise StorageError(f"{self.path}: missing interior hash at level {level} index {index}")
        return _blob(rows[0][0])

    def nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Several complete-subtree hashes in one query (a proof's worth).

        Level 0 is read from the leaves' own hashes, the levels above from ``nodes``.
        """
        unique = list(dict.fromkeys(keys))
        out: dict[tuple[int, int], bytes] = {}
        for start in range(0, len(unique), 400):
            part = unique[start : start + 400]
            sql = (
                "SELECT v.column1, v.column2, COALESCE(n.hash, l.hash) FROM (VALUES "
                + ",".join(["(?, ?)"] * len(part))
                + ") AS v LEFT JOIN nodes AS n ON v.column1 > 0 AND n.level = v.column1 AND "
                "n.idx = v.column2 LEFT JOIN leaves AS l ON v.column1 = 0 AND l.idx = v.column2"
            )
            args = [x for k in part for x in k]
            for level, idx, h in self._q(sql, args):
                if h is not None:
                    out[(int(level), int(idx))] = _blob(h)
        return out

    def node_count(self) -> int:
        """How many interior hashes (complete subtrees above the leaves) are stored."""
        return int(self._q("SELECT COUNT(*) FROM nodes WHERE level > 0")[0][0])

    # -- unique keys and key bindings ---------------------------------------------------
    def entry_key(self, key: str) -> int | None:
        """The index recorded for a unique entry key, or None."""
        rows = self._q("SELECT idx FROM entry_keys WHERE key = ?", (key,))
        return int(rows[0][0]) if rows else None

    def add_entry_keys(self, rows: Sequence[tuple[str, int]]) -> None:
        """Record unique entry keys (inside the append's transaction).

        Raises:
            DuplicateEntryError: if a key is already recorded.
        """
        with self._immediate("append") as db:
            for key, idx in rows:
                old = db.execute("SELECT idx FROM entry_keys WHERE key = ?", (key,)).fetchone()
                if old is not None:
                    raise DuplicateEntryError(
                        f"entry {idx}: {key} is already in the log at index {old[0]}; a "
                        "duplicate submission is refused",
                        int(old[0]),
                    )
                db.execute("INSERT INTO entry_keys(key, idx) VALUES (?, ?)", (key, idx))

    def binding_rows(self) -> list[BindingRow]:
        """Every key registration event, in log order."""
        return [
            BindingRow(
                idx=int(r[0]), actor=str(r[1]), key=str(r[2]), action=str(r[3]), mediator=bool(r[4])
            )
            for r in self._q(
                "SELECT idx, actor, vkey, action, mediator FROM key_bindings ORDER BY n"
            )
        ]

    def add_bindings(self, rows: Sequence[BindingRow]) -> None:
        """Record key registration events (inside the append's transaction)."""
        with self._immediate("append") as db:
            db.executemany(
                "INSERT INTO key_bindings(idx, actor, vkey, action, mediator) "
                "VALUES (?, ?, ?, ?, ?)",
                [(r["idx"], r["actor"], r["key"], r["action"], int(r["mediator"])) for r in rows],
            )

    # -- settings, keys, checkpoints ----------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A setting, or None."""
        rows = self._q("SELECT value FROM meta WHERE key = ?", (key,))
        return None if not rows else str(rows[0][0])

    def put_meta(self, key: str, value: str) -> None:
        """Store a setting once.

        Raises:
            StorageError: if it is already set to another value.
        """
        old = self.get_meta(key)
        if old == value:
            return
        if old is not None:
            raise StorageError(f"{self.path}: setting {key!r} is already {old!r}; it never changes")
        self._write("INSERT INTO meta(key, value) VALUES (?, ?)", (key, value))

    def add_log_key(self, vkey: str, action: str) -> None:
        """Record a log key being added or retired."""
        self._write(
            "INSERT INTO log_keys(vkey, action, at) VALUES (?, ?, ?)", (vkey, action, time.time())
        )

    def log_keys(self, include_retired: bool = False) -> list[str]:
        """Active log keys (added, not since retired) in order of addition; or all of them."""
        rows = self._q("SELECT vkey, action FROM log_keys ORDER BY n")
        return active_log_keys(rows, include_retired)

    def add_checkpoint(self, size: int, root: bytes, note: str) -> int:
        """Store a signed checkpoint (fsynced); return its sequence number.

        Checked under the write lock: a checkpoint smaller than the last stored one, or of
        the same size with another root, is refused (another process got there first).

        Raises:
            StaleCheckpointError: if the checkpoint would go backwards.
        """
        with self._immediate("write") as db:
            last = db.execute(
                "SELECT size, root FROM checkpoints ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            refuse_stale_checkpoint(
                self.path, None if last is None else (int(last[0]), _blob(last[1])), size, root
            )
            cur = db.execute(
                "INSERT INTO checkpoints(size, root, note, created) VALUES (?, ?, ?, ?)",
                (size, root, note, time.time()),
            )
        return int(cur.lastrowid or 0)

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every stored checkpoint, oldest first."""
        return [
            (int(r[0]), int(r[1]), _blob(r[2]), str(r[3]))
            for r in self._q("SELECT seq, size, root, note FROM checkpoints ORDER BY seq")
        ]

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The last stored checkpoint (one indexed read)."""
        rows = self._q("SELECT seq, size, root, note FROM checkpoints ORDER BY seq DESC LIMIT 1")
        return (
            None
            if not rows
            else (int(rows[0][0]), int(rows[0][1]), _blob(rows[0][2]), str(rows[0][3]))
        )

    def checkpoint(self, seq: int) -> StoredCheckpoint | None:
        """The checkpoint with sequence number ``seq``, or None."""
        rows = self._q("SELECT seq, size, root, note FROM checkpoints WHERE seq = ?", (seq,))
        return (
            None
            if not rows
            else (int(rows[0][0]), int(rows[0][1]), _blob(rows[0][2]), str(rows[0][3]))
        )

    def checkpoint_count(self) -> int:
        """How many checkpoints are stored."""
        return int(self._q("SELECT COUNT(*) FROM checkpoints")[0][0])

    def add_cosignature(self, seq: int, line: str) -> None:
        """Attach a cosignature line to checkpoint ``seq`` (duplicates ignored)."""
        self._write("INSERT OR IGNORE INTO cosignatures(seq, line) VALUES (?, ?)", (seq, line))

    def cosignatures(self, seq: int) -> list[str]:
        """Cosignature lines of checkpoint ``seq``."""
        return [
            str(r[0])
            for r in self._q("SELECT line FROM cosignatures WHERE seq = ? ORDER BY rowid", (seq,))
        ]

    def cosignature_seqs(self) -> list[int]:
        """Checkpoint sequence numbers that cosignature rows refer to (fsck)."""
        return [int(r[0]) for r in self._q("SELECT DISTINCT seq FROM cosignatures ORDER BY seq")]

    def add_witness_key(self, vkey: str) -> None:
        """Remember a witness key (duplicates ignored)."""
        self._write("INSERT OR IGNORE INTO witness_keys(vkey) VALUES (?)", (vkey,))

    def witness_keys(self) -> list[str]:
        """Remembered witness keys."""
        return [str(r[0]) for r in self._q("SELECT vkey FROM witness_keys ORDER BY vkey")]

    # -- health -------------------------------------------------------------------------
    def health(self) -> list[str]:
        """SQLite's own ``quick_check``, then every detente trigger present and unaltered."""
        problems = [
            f"sqlite quick_check: {r[0]}"
            for r in self._q("PRAGMA quick_check")
            if str(r[0]).lower() != "ok"
        ]
        have = {
            str(n): str(q)
            for n, q in self._q("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        }
        for name, sql in expected_sqlite_triggers().items():
            if name not in have:
                problems.append(f"trigger {name} is missing (the table is no longer append-only)")
            elif " ".join(have[name].split()) != " ".join(sql.split()):
                problems.append(f"trigger {name} was altered")
        for name in sorted(set(have) - set(expected_sqlite_triggers())):
            problems.append(f"unexpected trigger {name}")
        return problems

    def _write(self, sql: str, args: tuple[object, ...]) -> int:
        with self._immediate("write") as db:
            cur = db.execute(sql, args)
        return int(cur.lastrowid or 0)

    @contextmanager
    def _immediate(self, what: str) -> Iterator[sqlite3.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction, committed (and fsynced) on leaving.

        Re-entrant: inside an open transaction (an append's ``within`` step) it joins it,
        so everything the step writes commits with the batch. Any error rolls it back; a
        refusal by the database becomes a :class:`StorageError` naming ``what`` failed.
        """
        db = self._db
        if self.readonly:
            raise StorageError(f"{self.path}: opened read-only; {what} refused")
        if self._depth:
            self._depth += 1
            try:
                yield db
            except sqlite3.DatabaseError as exc:
                raise StorageError(f"{self.path}: {what} failed: {exc}") from exc
            finally:
                self._depth -= 1
            return
        try:
            db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self.path}: {what} failed: {exc}") from exc

    def execute_raw(self, sql: str, args: tuple[object, ...] = ()) -> None:
        """Run raw SQL (tests use it to show the triggers refusing tampering).

        Raises:
            StorageError: with the database's refusal.
        """
        try:
            self._db.execute(sql, args)
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self.path}: {exc}") from exc

    def close(self) -> None:
        """Close the connection."""
        self._db.close()


def backup_sqlite(src: Path, out: Path) -> int:
    """Copy a SQLite ledger with SQLite's online backup API; return its entry count.

    The backup is a consistent snapshot that includes what is still in the ``-wal`` file
    (copying the main file alone can miss every acknowledged entry since the last WAL
    checkpoint). It is written to a temporary file beside ``out``, fsynced, then renamed.

    Raises:
        StorageError: if the source is not a ledger or the copy cannot be written.
    """
    import os
    import tempfile

    from detente.ledger._files import fsync_dir

    if out.exists():
        raise StorageError(f"{out} exists; a backup never overwrites a file")
    try:
        source = sqlite3.connect(f"file:{src.resolve()}?mode=ro", uri=True)
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{src}: cannot open: {exc}") from exc
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        os.close(fd)
        dest = sqlite3.connect(tmp)
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")
            n = int(dest.execute("SELECT COUNT(*) FROM leaves").fetchone()[0])
        finally:
            dest.close()
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.link(tmp, out)
        fsync_dir(out.parent)
        return n
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{src}: backup failed: {exc}") from exc
    except OSError as exc:
        raise StorageError(f"cannot write backup {out}: {exc.strerror or exc}") from exc
    finally:
        source.close()
        if tmp is not None:
            with suppress(OSError):
                os.unlink(tmp)
