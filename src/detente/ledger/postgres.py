"""Ledger storage on PostgreSQL: the :class:`~detente.ledger.storage.LogStorage` of a server.

One ledger per database, named by a libpq URL (``postgresql://user@host:5432/dbname``, or
``postgresql:///dbname?host=/run/postgresql`` for a Unix socket). The tables mirror the
SQLite backend's (:mod:`detente.ledger.storage`); what differs is how the same guarantees
are kept on a server that many clients share:

* **Serialised writers.** Every write transaction first takes a transaction-scoped
  advisory lock (``pg_advisory_xact_lock``), so appenders in any number of processes or
  machines take turns, as ``BEGIN IMMEDIATE`` makes them do on SQLite; the lock is
  released by COMMIT or ROLLBACK, never left behind by a client that died.
* **Durability.** A commit returns once the server has flushed its write-ahead log
  (PostgreSQL's default ``synchronous_commit = on``); the backend refuses to open a
  database whose session has it off.
* **Append-only.** Triggers refuse UPDATE, DELETE and TRUNCATE on every table and any leaf
  inserted out of sequence, for every client of the database, not only for detente. An
  owner can drop triggers; offline verification (:mod:`detente.ledger.receipt`) is what
  protects readers from an operator who does.

PostgreSQL is optional: ``pip install 'detente[postgres]'`` brings the driver (psycopg 3).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeGuard

from detente.errors import StorageError
from detente.ledger.storage import (
    StoredCheckpoint,
    active_log_keys,
    append_rows,
    refuse_stale_checkpoint,
)

__all__ = ["PostgresStorage", "is_postgres_url"]

_LOCK_KEY = 0x6465_7465_6E74_65  # "detente" as a 63-bit advisory lock key

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leaves(idx BIGINT PRIMARY KEY, data BYTEA NOT NULL,
    hash BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS nodes(level INTEGER NOT NULL, idx BIGINT NOT NULL,
    hash BYTEA NOT NULL, PRIMARY KEY(level, idx));
CREATE TABLE IF NOT EXISTS checkpoints(seq BIGSERIAL PRIMARY KEY, size BIGINT NOT NULL,
    root BYTEA NOT NULL, note TEXT NOT NULL, created DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS cosignatures(n BIGSERIAL, seq BIGINT NOT NULL
    REFERENCES checkpoints(seq), line TEXT NOT NULL, PRIMARY KEY(seq, line));
CREATE TABLE IF NOT EXISTS log_keys(n BIGSERIAL PRIMARY KEY, vkey TEXT NOT NULL,
    action TEXT NOT NULL CHECK(action IN ('add', 'retire')), at DOUBLE PRECISION NOT NULL);
CREATE OR REPLACE FUNCTION detente_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'detente ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END $$;
CREATE OR REPLACE FUNCTION detente_leaves_gapless() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.idx <> (SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves) THEN
        RAISE EXCEPTION 'detente ledger: leaf index out of sequence';
    END IF;
    RETURN NEW;
END $$;
"""

_TABLES = ("meta", "leaves", "nodes", "checkpoints", "cosignatures", "log_keys")


def _triggers() -> list[str]:
    out = []
    for t in _TABLES:
        out.append(
            f"CREATE OR REPLACE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
            "FOR EACH ROW EXECUTE FUNCTION detente_append_only()"
        )
        out.append(
            f"CREATE OR REPLACE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
            "FOR EACH STATEMENT EXECUTE FUNCTION detente_append_only()"
        )
    out.append(
        "CREATE OR REPLACE TRIGGER leaves_gapless BEFORE INSERT ON leaves "
        "FOR EACH ROW EXECUTE FUNCTION detente_leaves_gapless()"
    )
    return out


def is_postgres_url(location: object) -> TypeGuard[str]:
    """Whether a ledger location names a PostgreSQL database rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    head, sep, rest = url.partition("://")
    userinfo, at, hostpart = rest.partition("@")
    if at and ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    return head + sep + userinfo + at + hostpart if at else url


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise StorageError(
            "PostgreSQL ledgers need the psycopg driver: pip install 'detente[postgres]'"
        ) from None
    return psycopg


class PostgresStorage:
    """One ledger in one PostgreSQL database.

    Args:
        url: A libpq connection URL (``postgresql://...``).
        create: Create the tables and triggers when they are missing (``detente ledger
            init``); otherwise a database without them is refused.

    Raises:
        StorageError: if the server cannot be reached, the database is not a detente
            ledger (``create=False``), or its commits would not be durable.
    """

    def __init__(self, url: str, create: bool = False) -> None:
        psycopg = _psycopg()
        self.url = url
        self.path = _redact(url)  # the name used in messages, like SQLiteStorage.path
        self._errors: type[Exception] = psycopg.Error
        try:
            self._db = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise StorageError(f"{self.path}: cannot connect: {_first_line(exc)}") from exc
        try:
            sync = self._db.execute("SHOW synchronous_commit").fetchone()[0]
            if str(sync).lower() in ("off", "local"):
                raise StorageError(
                    f"{self.path}: synchronous_commit is {sync}; a ledger needs commits that "
                    "are flushed before they return (set it to on)"
                )
            has = self._db.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]
            if not has and not create:
                raise StorageError(
                    f"{self.path} is not a detente ledger (no meta table); create one with "
                    "`detente ledger init`"
                )
            if create:
                with self._db.transaction():
                    self._lock()
                    self._db.execute(_SCHEMA)
                    for sql in _triggers():
                        self._db.execute(sql)
        except psycopg.Error as exc:
            self._db.close()
            raise StorageError(f"{self.path}: cannot open ledger: {_first_line(exc)}") from exc
        except StorageError:
            self._db.close()
            raise

    def _lock(self) -> None:
        self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))

    @contextmanager
    def _writing(self, what: str = "write") -> Iterator[None]:
        """A transaction under the writers' lock, committed on leaving.

        Any error rolls it back; a refusal by the server becomes a :class:`StorageError`
        naming ``what`` failed.
        """
        try:
            with self._db.transaction():
                self._lock()
                yield
        except self._errors as exc:
            raise StorageError(f"{self.path}: {what} failed: {_first_line(exc)}") from exc

    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[Any]:
        try:
            rows: list[Any] = self._db.execute(sql, args).fetchall()
        except self._errors as exc:
            raise StorageError(f"{self.path}: read failed: {_first_line(exc)}") from exc
        return rows

    def _one(self, sql: str, args: Sequence[object] = ()) -> Any:
        rows = self._rows(sql, args)
        return rows[0] if rows else None

    # -- entries and nodes -------------------------------------------------------------
    def size(self) -> int:
        """The number of entries."""
        return int(self._one("SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves")[0])

    def append(self, entries: Sequence[bytes]) -> int:
        """Append in one transaction under the writers' lock; durable on return.

        Raises:
            StorageError: if the database refuses the write.
        """
        with self._writing("append"), self._db.cursor() as cur:
            first = self.size()
            leaves, nodes = append_rows(first, entries, self.node)
            cur.executemany("INSERT INTO leaves(idx, data, hash) VALUES (%s, %s, %s)", leaves)
            cur.executemany("INSERT INTO nodes(level, idx, hash) VALUES (%s, %s, %s)", nodes)
        return first

    def entry(self, index: int) -> tuple[bytes, bytes]:
        """``(data, stored leaf hash)``.

        Raises:
            StorageError: if there is no such entry.
        """
        row = self._one("SELECT data, hash FROM leaves WHERE idx = %s", (index,))
        if row is None:
            raise StorageError(f"no entry {index} in {self.path} (size {self.size()})")
        return bytes(row[0]), bytes(row[1])

    def iter_entries(
        self, start: int = 0, end: int | None = None
    ) -> Iterator[tuple[int, bytes, bytes]]:
        """``(index, data, stored leaf hash)`` in index order, read in chunks."""
        stop = self.size() if end is None else end
        pos = start
        while pos < stop:
            rows = self._rows(
                "SELECT idx, data, hash FROM leaves WHERE idx >= %s AND idx < %s ORDER BY idx",
                (pos, min(stop, pos + 4096)),
            )
            if not rows:
                return
            for r in rows:
                yield int(r[0]), bytes(r[1]), bytes(r[2])
            pos = int(rows[-1][0]) + 1

    def node(self, level: int, index: int) -> bytes:
        """The stored complete-subtree hash.

        Raises:
            StorageError: if it is missing (a corrupt or truncated ledger).
        """
        row = self._one("SELECT hash FROM nodes WHERE level = %s AND idx = %s", (level, index))
        if row is None:
            raise StorageError(f"{self.path}: missing interior hash at level {level} index {index}")
        return bytes(row[0])

    def nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Several complete-subtree hashes in one query (a proof's worth)."""
        unique = list(dict.fromkeys(keys))
        if not unique:
            return {}
        rows = self._rows(
            "SELECT n.level, n.idx, n.hash FROM unnest(%s::integer[], %s::bigint[]) "
            "AS v(level, idx) JOIN nodes AS n ON n.level = v.level AND n.idx = v.idx",
            ([k[0] for k in unique], [k[1] for k in unique]),
        )
        return {(int(lv), int(ix)): bytes(h) for lv, ix, h in rows}

    def node_count(self) -> int:
        """How many complete-subtree hashes are stored."""
        return int(self._one("SELECT COUNT(*) FROM nodes")[0])

    # -- settings, keys, checkpoints ----------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A setting, or None."""
        row = self._one("SELECT value FROM meta WHERE key = %s", (key,))
        return None if row is None else str(row[0])

    def put_meta(self, key: str, value: str) -> None:
        """Store a setting once.

        Raises:
            StorageError: if it is already set to another value.
        """
        with self._writing():
            old = self.get_meta(key)
            if old == value:
                return
            if old is not None:
                raise StorageError(
                    f"{self.path}: setting {key!r} is already {old!r}; it never changes"
                )
            self._db.execute("INSERT INTO meta(key, value) VALUES (%s, %s)", (key, value))

    def add_log_key(self, vkey: str, action: str) -> None:
        """Record a log key being added or retired."""
        self._write(
            "INSERT INTO log_keys(vkey, action, at) VALUES (%s, %s, %s)",
            (vkey, action, time.time()),
        )

    def log_keys(self, include_retired: bool = False) -> list[str]:
        """Active log keys (added, not since retired) in order of addition; or all of them."""
        rows = self._rows("SELECT vkey, action FROM log_keys ORDER BY n")
        return active_log_keys(rows, include_retired)

    def add_checkpoint(self, size: int, root: bytes, note: str) -> int:
        """Store a signed checkpoint (durable); return its sequence number.

        Checked under the writers' lock: a checkpoint smaller than the last stored one, or
        of the same size with another root, is refused (another writer got there first).

        Raises:
            StaleCheckpointError: if the checkpoint would go backwards.
        """
        with self._writing():
            last = self._db.execute(
                "SELECT size, root FROM checkpoints ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            refuse_stale_checkpoint(
                self.path, None if last is None else (int(last[0]), bytes(last[1])), size, root
            )
            row = self._db.execute(
                "INSERT INTO checkpoints(size, root, note, created) VALUES (%s, %s, %s, %s) "
                "RETURNING seq",
                (size, root, note, time.time()),
            ).fetchone()
        return int(row[0])

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every stored checkpoint, oldest first."""
        rows = self._rows("SELECT seq, size, root, note FROM checkpoints ORDER BY seq")
        return [(int(r[0]), int(r[1]), bytes(r[2]), str(r[3])) for r in rows]

    def add_cosignature(self, seq: int, line: str) -> None:
        """Attach a cosignature line to checkpoint ``seq`` (duplicates ignored)."""
        self._write(
            "INSERT INTO cosignatures(seq, line) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (seq, line),
        )

    def cosignatures(self, seq: int) -> list[str]:
        """Cosignature lines of checkpoint ``seq``."""
        rows = self._rows("SELECT line FROM cosignatures WHERE seq = %s ORDER BY n", (seq,))
        return [str(r[0]) for r in rows]

    def _write(self, sql: str, args: tuple[object, ...]) -> None:
        with self._writing():
            self._db.execute(sql, args)

    def execute_raw(self, sql: str, args: tuple[object, ...] = ()) -> None:
        """Run raw SQL (tests use it to show the triggers refusing tampering).

        Raises:
            StorageError: with the database's refusal.
        """
        try:
            self._db.execute(sql, args)
        except self._errors as exc:
            raise StorageError(f"{self.path}: {_first_line(exc)}") from exc

    def close(self) -> None:
        """Close the connection."""
        self._db.close()


def _first_line(exc: BaseException) -> str:
    """The server's message without libpq's CONTEXT lines."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
