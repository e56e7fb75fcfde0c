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

import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeGuard

from detente.errors import StorageError
from detente.ledger.keyreg import BindingRow
from detente.ledger.storage import (
    TABLES,
    DuplicateEntryError,
    StoredCheckpoint,
    Within,
    active_log_keys,
    append_rows,
    frontier,
    interior,
    refuse_duplicates,
    refuse_stale_checkpoint,
    written_nodes,
)

__all__ = ["PostgresStorage", "is_postgres_url"]

_LOCK_KEY = 0x6465_7465_6E74_65  # "detente" as a 63-bit advisory lock key

_BEGIN_APPEND = (
    "BEGIN",
    f"SELECT pg_advisory_xact_lock({_LOCK_KEY})",
    "WITH s AS (SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM leaves) "
    "SELECT s.n, f.level, f.idx, COALESCE(nodes.hash, leaves.hash) FROM s LEFT JOIN LATERAL ("
    "SELECT l AS level, (s.n >> l) - 1 AS idx FROM generate_series(0, 62) AS l "
    "WHERE (s.n >> l) & 1 = 1) AS f ON true "
    "LEFT JOIN nodes ON f.level > 0 AND nodes.level = f.level AND nodes.idx = f.idx "
    "LEFT JOIN leaves ON f.level = 0 AND leaves.idx = f.idx",
    "SELECT vkey, action FROM log_keys ORDER BY n",
    "SELECT idx, actor, vkey, action, mediator FROM key_bindings ORDER BY n",
    "SELECT seq, size, root, note FROM checkpoints ORDER BY seq DESC LIMIT 1",
)
"""An append's first round trip: open the transaction, take the writers' lock, then read
the size and the hashes of the complete subtrees it is made of (RFC 9162 §2.1.1 split),
the log's keys, the key registrations and the last checkpoint, which the append's checks
and its checkpoint read next. Sent as one pipeline of prepared statements (psycopg's
pipeline mode: one network flush and one sync), so the server plans none of them again
after the first append: 0.4-0.45 ms a batch less than the same statements as one
simple-protocol string, which the server parsed and planned each time."""

_IDLE = 0
"""libpq's PQTRANS_IDLE: no transaction open."""

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
CREATE UNIQUE INDEX IF NOT EXISTS leaves_hash ON leaves(hash);
CREATE TABLE IF NOT EXISTS entry_keys(key TEXT PRIMARY KEY, idx BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS witness_keys(vkey TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS key_bindings(n BIGSERIAL PRIMARY KEY, idx BIGINT NOT NULL,
    actor TEXT NOT NULL, vkey TEXT NOT NULL, action TEXT NOT NULL, mediator BOOLEAN NOT NULL);
"""

_APPEND_ONLY_SRC = """
BEGIN
    RAISE EXCEPTION 'detente ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END """
_GAPLESS_SRC = """
DECLARE
    lo BIGINT;
    hi BIGINT;
    n BIGINT;
BEGIN
    SELECT MIN(idx), MAX(idx), COUNT(*) INTO lo, hi, n FROM new_leaves;
    IF n > 0 AND (
        lo <> (SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves WHERE idx < lo)
        OR hi - lo + 1 <> n
        OR EXISTS (SELECT 1 FROM leaves WHERE idx > hi)
    ) THEN
        RAISE EXCEPTION 'detente ledger: leaf index out of sequence';
    END IF;
    RETURN NULL;
END """
"""The gapless rule, checked once per statement on the rows it inserted (a transition
table): they are exactly the indexes that follow the last stored one. Before the statement
the indexes are 0..m-1 (the rule held, and rows are never deleted); the inserted set, free
of repeats by the primary key, must be m..m+n-1: its smallest is one past the largest
stored below it, it has no gap, and nothing is stored above it. Once per statement, not
once per row: a batch of 1,000 pays one index probe, not 1,000 (the per-row trigger was
10-17 µs of each entry's insert, more than the row itself)."""

_GAPLESS_ROW_SRC = """
BEGIN
    IF NEW.idx <> (SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves) THEN
        RAISE EXCEPTION 'detente ledger: leaf index out of sequence';
    END IF;
    RETURN NEW;
END """
"""The same rule as a per-row trigger, as ledgers made before the statement-level form have
it: still correct, and accepted by :meth:`PostgresStorage.health` in that form only."""

# pg_trigger.tgtype bits (PostgreSQL's catalog/pg_trigger.h): ROW 1, BEFORE 2, INSERT 4,
# DELETE 8, UPDATE 16, TRUNCATE 32.
_TG_APPEND_ONLY = 1 | 2 | 8 | 16
_TG_NO_TRUNCATE = 2 | 32
_TG_GAPLESS = 4  # AFTER INSERT, FOR EACH STATEMENT
_TG_GAPLESS_ROW = 1 | 2 | 4  # BEFORE INSERT, FOR EACH ROW

UNSAFE_FSYNC_ENV = "DETENTE_LEDGER_ALLOW_UNSAFE_FSYNC"
"""Set to ``1`` to accept a server with ``fsync=off`` (the test suite's throwaway servers
only: such a server loses acknowledged entries when its machine loses power)."""


def _expected_triggers() -> dict[str, tuple[str, str, int]]:
    """Trigger name -> (table, function, tgtype) as detente creates them."""
    out = {}
    for t in TABLES:
        out[f"{t}_append_only"] = (t, "detente_append_only", _TG_APPEND_ONLY)
        out[f"{t}_no_truncate"] = (t, "detente_append_only", _TG_NO_TRUNCATE)
    out["leaves_gapless"] = ("leaves", "detente_leaves_gapless", _TG_GAPLESS)
    return out


def _triggers() -> list[str]:
    out = []
    for t in TABLES:
        out.append(
            f"CREATE OR REPLACE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
            "FOR EACH ROW EXECUTE FUNCTION detente_append_only()"
        )
        out.append(
            f"CREATE OR REPLACE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
            "FOR EACH STATEMENT EXECUTE FUNCTION detente_append_only()"
        )
    out.append(
        "CREATE OR REPLACE TRIGGER leaves_gapless AFTER INSERT ON leaves "
        "REFERENCING NEW TABLE AS new_leaves "
        "FOR EACH STATEMENT EXECUTE FUNCTION detente_leaves_gapless()"
    )
    return out


def is_postgres_url(location: object) -> TypeGuard[str]:
    """Whether a ledger location names a PostgreSQL database rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def _redact(url: str) -> str:
    """The URL without its password (in the user info or a ``password=`` parameter)."""
    head, sep, rest = url.partition("://")
    userinfo, at, hostpart = rest.partition("@")
    if at and ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    out = head + sep + userinfo + at + hostpart if at else url
    return re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", out)


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
        self._depth = 0
        self._held_keys: list[Any] | None = None
        self._held_bindings: list[BindingRow] | None = None
        self._held_last: tuple[StoredCheckpoint | None] | None = None
        self._pipeline = bool(psycopg.Pipeline.is_supported())
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
            fsync = self._db.execute("SHOW fsync").fetchone()[0]
            if str(fsync).lower() == "off" and os.environ.get(UNSAFE_FSYNC_ENV) != "1":
                raise StorageError(
                    f"{self.path}: the server runs with fsync=off, so a power loss can lose "
                    "acknowledged entries; turn fsync on (throwaway test servers may set "
                    f"{UNSAFE_FSYNC_ENV}=1)"
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
                    for fn, src in (
                        ("detente_append_only", _APPEND_ONLY_SRC),
                        ("detente_leaves_gapless", _GAPLESS_SRC),
                    ):
                        self._db.execute(
                            f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger "
                            f"LANGUAGE plpgsql AS $${src}$$"
                        )
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

        Re-entrant: inside an append's ``within`` step it joins the open transaction.
        Any error rolls it back; a refusal by the server becomes a :class:`StorageError`
        naming ``what`` failed.
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            except self._errors as exc:
                raise StorageError(f"{self.path}: {what} failed: {_first_line(exc)}") from exc
            finally:
                self._depth -= 1
            return
        try:
            with self._db.transaction():
                self._lock()
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0
        except self._errors as exc:
            raise StorageError(f"{self.path}: {what} failed: {_first_line(exc)}") from exc

    @contextmanager
    def _appending(self) -> Iterator[tuple[int, dict[tuple[int, int], bytes]]]:
        """An append's transaction, opened in one round trip; yields ``(size, edge)``.

        ``BEGIN``, the writers' lock and the read of the size and of the tree's right edge
        (:func:`~detente.ledger.storage.frontier`) go to the server as one message; each
        statement still runs after the one before it, with its own snapshot (READ
        COMMITTED), so the size is read under the lock. Committed on leaving, rolled back
        on any error, as :meth:`_writing` does.
        """
        if self._depth:
            with self._writing("append"):
                first = self.size()
                yield first, self.nodes(frontier(first))
            return
        db = self._db
        try:
            if self._pipeline:
                with db.pipeline():
                    db.execute(_BEGIN_APPEND[0])
                    curs = [db.execute(sql, prepare=True) for sql in _BEGIN_APPEND[1:]]
                rows, keys, bindings, last = (cur.fetchall() for cur in curs[1:])
            else:  # libpq before 14: the same statements as one simple-protocol string
                cur = db.execute("; ".join(_BEGIN_APPEND))
                results = []
                while True:
                    if cur.description is not None:
                        results.append(cur.fetchall())
                    if not cur.nextset():
                        break
                rows, keys, bindings, last = results[-4:]
        except self._errors as exc:
            self._rollback()
            raise StorageError(f"{self.path}: append failed: {_first_line(exc)}") from exc
        first = int(rows[0][0])
        edge = {(int(r[1]), int(r[2])): bytes(r[3]) for r in rows if r[3] is not None}
        self._depth = 1
        # Read under the lock in this transaction; a write to either table drops its copy.
        self._held_keys, self._held_bindings = keys, _binding_rows(bindings)
        self._held_last = (_checkpoint(last[0]) if last else None,)
        try:
            yield first, edge
            db.execute("COMMIT")
        except self._errors as exc:
            self._rollback()
            raise StorageError(f"{self.path}: append failed: {_first_line(exc)}") from exc
        except BaseException:
            self._rollback()
            raise
        finally:
            self._depth = 0
            self._held_keys = self._held_bindings = None
            self._held_last = None

    def _rollback(self) -> None:
        """End a failed transaction (nothing of it is kept); a dead connection is let be."""
        try:
            if self._db.info.transaction_status != _IDLE:
                self._db.execute("ROLLBACK")
        except self._errors:
            pass

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
        """The number of entries (one more than the largest index)."""
        return int(self._one("SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves")[0])

    def leaf_count(self) -> int:
        """How many leaf rows are stored."""
        return int(self._one("SELECT COUNT(*) FROM leaves")[0])

    def append(self, entries: Sequence[bytes], within: Within | None = None) -> int:
        """Append in one transaction under the writers' lock; durable on return.

        Raises:
            DuplicateEntryError: if an entry is already stored (or repeated in the batch).
            StorageError: if the database refuses the write.
        """
        nested = self._depth > 0
        try:
            with self._appending() as (first, edge), self._db.cursor() as cur:
                leaves, nodes = append_rows(
                    first, entries, lambda lv, i: edge.get((lv, i)) or self.node(lv, i)
                )
                hashes = [h for _, _, h in leaves]
                upper = interior(nodes)
                # Binary parameters (%b): in text form every bytea is escaped in Python
                # (re.sub per element), which cost more than the inserts themselves.
                if nested:  # inside another transaction, which a refusal would abort
                    cur.execute("SELECT hash, idx FROM leaves WHERE hash = ANY(%b)", (hashes,))
                    found = {bytes(h): int(i) for h, i in cur.fetchall()}
                    refuse_duplicates(found, hashes, first)
                else:
                    # Repeats inside the batch here; one already stored is found by the
                    # unique index as the rows go in (no lookup round trip beforehand).
                    refuse_duplicates({}, hashes, first)
                # One statement for both tables (arrays unnested on the server), not one
                # per row; the gapless trigger checks the statement's rows as a set. A
                # data-modifying WITH runs to completion whether or not the outer statement
                # reads it.
                try:
                    cur.execute(
                        "WITH l AS (INSERT INTO leaves(idx, data, hash) "
                        "SELECT idx, data, hash FROM unnest(%b::bigint[], %b::bytea[], "
                        "%b::bytea[]) WITH ORDINALITY AS r(idx, data, hash, n) ORDER BY n "
                        "RETURNING 1) INSERT INTO nodes(level, idx, hash) "
                        "SELECT * FROM unnest(%b::integer[], %b::bigint[], %b::bytea[])",
                        (
                            [r[0] for r in leaves],
                            [r[1] for r in leaves],
                            [r[2] for r in leaves],
                            [r[0] for r in upper],
                            [r[1] for r in upper],
                            [r[2] for r in upper],
                        ),
                    )
                except self._errors as exc:
                    if (
                        getattr(getattr(exc, "diag", None), "constraint_name", None)
                        == "leaves_hash"
                    ):
                        raise _StoredDuplicate(hashes, first) from exc
                    raise
                if within is not None:
                    within(first, written_nodes(edge, nodes))
        except _StoredDuplicate as dup:  # the transaction was rolled back: say which
            rows = self._rows(
                "SELECT hash, idx FROM leaves WHERE hash = ANY(%b) AND idx < %s",
                (dup.hashes, dup.first),
            )
            refuse_duplicates({bytes(h): int(i) for h, i in rows}, dup.hashes, dup.first)
            raise StorageError(
                f"{self.path}: append failed: the unique index refused a leaf hash that is "
                "not stored (another writer's entry?); try again"
            ) from dup
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
        """``(index, data, stored leaf hash)`` in index order, read in chunks.

        A missing range does not end the iteration (fsck must see what lies beyond a gap).
        """
        stop = self.size() if end is None else end
        pos = start
        while pos < stop:
            rows = self._rows(
                "SELECT idx, data, hash FROM leaves WHERE idx >= %s AND idx < %s ORDER BY idx",
                (pos, min(stop, pos + 4096)),
            )
            for r in rows:
                yield int(r[0]), bytes(r[1]), bytes(r[2])
            pos = int(rows[-1][0]) + 1 if rows else pos + 4096

    def node(self, level: int, index: int) -> bytes:
        """The stored complete-subtree hash.

        Raises:
            StorageError: if it is missing (a corrupt or truncated ledger).
        """
        if level == 0:  # a leaf's hash is stored with the leaf
            row = self._one("SELECT hash FROM leaves WHERE idx = %s", (index,))
        else:
            row = self._one("SELECT hash FROM nodes WHERE level = %s AND idx = %s", (level, index))
        if row is None:
            raise StorageError(f"{self.path}: missing interior hash at level {level} index {index}")
        return bytes(row[0])

    def nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Several complete-subtree hashes in one query (a proof's worth).

        Level 0 is read from the leaves' own hashes, the levels above from ``nodes``.
        """
        unique = list(dict.fromkeys(keys))
        if not unique:
            return {}
        rows = self._rows(
            "SELECT v.level, v.idx, COALESCE(n.hash, l.hash) "
            "FROM unnest(%s::integer[], %s::bigint[]) AS v(level, idx) "
            "LEFT JOIN nodes AS n ON v.level > 0 AND n.level = v.level AND n.idx = v.idx "
            "LEFT JOIN leaves AS l ON v.level = 0 AND l.idx = v.idx",
            ([k[0] for k in unique], [k[1] for k in unique]),
        )
        return {(int(lv), int(ix)): bytes(h) for lv, ix, h in rows if h is not None}

    def node_count(self) -> int:
        """How many interior hashes (complete subtrees above the leaves) are stored."""
        return int(self._one("SELECT COUNT(*) FROM nodes WHERE level > 0")[0])

    # -- unique keys and key bindings ---------------------------------------------------
    def entry_key(self, key: str) -> int | None:
        """The index recorded for a unique entry key, or None."""
        row = self._one("SELECT idx FROM entry_keys WHERE key = %s", (key,))
        return None if row is None else int(row[0])

    def add_entry_keys(self, rows: Sequence[tuple[str, int]]) -> None:
        """Record unique entry keys (inside the append's transaction).

        Raises:
            DuplicateEntryError: if a key is already recorded.
        """
        with self._writing("append"):
            for key, idx in rows:
                old = self._db.execute(
                    "SELECT idx FROM entry_keys WHERE key = %s", (key,)
                ).fetchone()
                if old is not None:
                    raise DuplicateEntryError(
                        f"entry {idx}: {key} is already in the log at index {old[0]}; a "
                        "duplicate submission is refused",
                        int(old[0]),
                    )
                self._db.execute("INSERT INTO entry_keys(key, idx) VALUES (%s, %s)", (key, idx))

    def binding_rows(self) -> list[BindingRow]:
        """Every key registration event, in log order."""
        if self._held_bindings is not None:  # read by this append's first message
            return list(self._held_bindings)
        return _binding_rows(
            self._rows("SELECT idx, actor, vkey, action, mediator FROM key_bindings ORDER BY n")
        )

    def add_bindings(self, rows: Sequence[BindingRow]) -> None:
        """Record key registration events (inside the append's transaction)."""
        self._held_bindings = None
        with self._writing("append"), self._db.cursor() as cur:
            cur.executemany(
                "INSERT INTO key_bindings(idx, actor, vkey, action, mediator) "
                "VALUES (%s, %s, %s, %s, %s)",
                [(r["idx"], r["actor"], r["key"], r["action"], r["mediator"]) for r in rows],
            )

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
        self._held_keys = None
        self._write(
            "INSERT INTO log_keys(vkey, action, at) VALUES (%s, %s, %s)",
            (vkey, action, time.time()),
        )

    def log_keys(self, include_retired: bool = False) -> list[str]:
        """Active log keys (added, not since retired) in order of addition; or all of them."""
        rows = self._held_keys
        if rows is None:
            rows = self._rows("SELECT vkey, action FROM log_keys ORDER BY n")
        return active_log_keys(rows, include_retired)

    def add_checkpoint(self, size: int, root: bytes, note: str) -> int:
        """Store a signed checkpoint (durable); return its sequence number.

        Checked under the writers' lock: a checkpoint smaller than the last stored one, or
        of the same size with another root, is refused (another writer got there first).

        Raises:
            StaleCheckpointError: if the checkpoint would go backwards.
        """
        self._held_last = None
        with self._writing():
            # The check and the insert in one statement (one round trip): the row goes in
            # only if the last stored checkpoint does not forbid it, under the writers' lock.
            row = self._db.execute(
                "INSERT INTO checkpoints(size, root, note, created) "
                "SELECT %(size)s, %(root)b, %(note)s, %(at)s WHERE NOT EXISTS ("
                "SELECT 1 FROM (SELECT size, root FROM checkpoints ORDER BY seq DESC LIMIT 1) "
                "AS l WHERE l.size > %(size)s OR (l.size = %(size)s AND l.root <> %(root)b)) "
                "RETURNING seq",
                {"size": size, "root": root, "note": note, "at": time.time()},
            ).fetchone()
            if row is None:
                last = self._db.execute(
                    "SELECT size, root FROM checkpoints ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                refuse_stale_checkpoint(self.path, (int(last[0]), bytes(last[1])), size, root)
                raise StorageError(f"{self.path}: the checkpoint was not stored")
        return int(row[0])

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every stored checkpoint, oldest first."""
        rows = self._rows("SELECT seq, size, root, note FROM checkpoints ORDER BY seq")
        return [(int(r[0]), int(r[1]), bytes(r[2]), str(r[3])) for r in rows]

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The last stored checkpoint (one indexed read)."""
        if self._held_last is not None:  # read by this append's first message
            return self._held_last[0]
        r = self._one("SELECT seq, size, root, note FROM checkpoints ORDER BY seq DESC LIMIT 1")
        return None if r is None else _checkpoint(r)

    def checkpoint(self, seq: int) -> StoredCheckpoint | None:
        """The checkpoint with sequence number ``seq``, or None."""
        r = self._one("SELECT seq, size, root, note FROM checkpoints WHERE seq = %s", (seq,))
        return None if r is None else (int(r[0]), int(r[1]), bytes(r[2]), str(r[3]))

    def checkpoint_count(self) -> int:
        """How many checkpoints are stored."""
        return int(self._one("SELECT COUNT(*) FROM checkpoints")[0])

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

    def cosignature_seqs(self) -> list[int]:
        """Checkpoint sequence numbers that cosignature rows refer to (fsck)."""
        return [int(r[0]) for r in self._rows("SELECT DISTINCT seq FROM cosignatures ORDER BY seq")]

    def add_witness_key(self, vkey: str) -> None:
        """Remember a witness key (duplicates ignored)."""
        self._write("INSERT INTO witness_keys(vkey) VALUES (%s) ON CONFLICT DO NOTHING", (vkey,))

    def witness_keys(self) -> list[str]:
        """Remembered witness keys."""
        return [str(r[0]) for r in self._rows("SELECT vkey FROM witness_keys ORDER BY vkey")]

    # -- health -------------------------------------------------------------------------
    def health(self) -> list[str]:
        """Every detente trigger present, enabled and calling an unaltered function."""
        problems: list[str] = []
        rows = self._rows(
            "SELECT t.tgname, c.relname, p.proname, t.tgenabled, t.tgtype, t.tgnewtable "
            "FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
        )
        have = {str(r[0]): (str(r[1]), str(r[2]), str(r[3]), int(r[4]), r[5]) for r in rows}
        srcs = {
            str(r[0]): " ".join(str(r[1]).split())
            for r in self._rows(
                "SELECT proname, prosrc FROM pg_proc WHERE proname IN "
                "('detente_append_only', 'detente_leaves_gapless') "
                "AND pronamespace = current_schema()::regnamespace"
            )
        }
        expected = _expected_triggers()
        gapless = srcs.get("detente_leaves_gapless")
        if gapless == " ".join(_GAPLESS_ROW_SRC.split()):
            # A ledger made before the statement-level rule: the per-row form, as a whole.
            expected["leaves_gapless"] = ("leaves", "detente_leaves_gapless", _TG_GAPLESS_ROW)
            gapless = " ".join(_GAPLESS_SRC.split())
        for name, (table, fn, tgtype) in expected.items():
            got = have.get(name)
            if got is None:
                problems.append(f"trigger {name} is missing (the table is no longer append-only)")
            elif (got[0], got[1]) != (table, fn):
                problems.append(f"trigger {name} was altered (on {got[0]}, calls {got[1]})")
            elif got[3] != tgtype or got[4] != ("new_leaves" if tgtype == _TG_GAPLESS else None):
                problems.append(f"trigger {name} was altered (fires on other events or rows)")
            elif got[2] == "D":
                problems.append(f"trigger {name} is disabled (ALTER TABLE ... DISABLE TRIGGER)")
        for name in sorted(set(have) - set(expected)):
            problems.append(f"unexpected trigger {name}")
        for fn, src, now in (
            ("detente_append_only", _APPEND_ONLY_SRC, srcs.get("detente_append_only")),
            ("detente_leaves_gapless", _GAPLESS_SRC, gapless),
        ):
            if now is None:
                problems.append(f"function {fn} is missing")
            elif now != " ".join(src.split()):
                problems.append(f"function {fn} was altered")
        return problems

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


class _StoredDuplicate(Exception):
    """The unique leaf-hash index refused a batch: an entry is already stored (internal)."""

    def __init__(self, hashes: list[bytes], first: int) -> None:
        super().__init__("duplicate leaf hash")
        self.hashes, self.first = hashes, first


def _checkpoint(r: Sequence[Any]) -> StoredCheckpoint:
    return (int(r[0]), int(r[1]), bytes(r[2]), str(r[3]))


def _binding_rows(rows: Sequence[Any]) -> list[BindingRow]:
    return [
        BindingRow(
            idx=int(r[0]), actor=str(r[1]), key=str(r[2]), action=str(r[3]), mediator=bool(r[4])
        )
        for r in rows
    ]


def _first_line(exc: BaseException) -> str:
    """The server's message without libpq's CONTEXT lines."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
