"""The workspace database: accounts, cases, runs, drafts, evidence and pending signatures.

Accounts, sessions, tokens and the audit trail; case versions, runs, commitment drafts;
metrics and statements files, events datasets per case, pending signatures.

One small SQL layer over two backends: a SQLite file (WAL mode, one connection guarded by
a lock, so the server's threads take turns) or a PostgreSQL database named by a
``postgresql://`` URL (psycopg 3). Queries are written with ``?`` placeholders and
translated for psycopg. Every table is prefixed ``web_`` so the workspace's ledger
(:mod:`detente.ledger`, whose tables are ``meta``, ``leaves``...) can share a PostgreSQL
database with it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from detente.errors import StorageError

__all__ = ["Database", "is_postgres_url"]

SCHEMA_VERSION = "1"

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS web_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS web_users(name TEXT PRIMARY KEY, pw_hash TEXT NOT NULL,
        is_admin INTEGER NOT NULL, created DOUBLE PRECISION NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS web_roles(username TEXT NOT NULL, case_id TEXT NOT NULL,
        role TEXT NOT NULL, PRIMARY KEY(username, case_id, role))""",
    """CREATE TABLE IF NOT EXISTS web_sessions(token_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL, csrf TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
        expires DOUBLE PRECISION NOT NULL, revoked INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS web_tokens(id TEXT PRIMARY KEY, token_hash TEXT NOT NULL,
        username TEXT NOT NULL, name TEXT NOT NULL, scope TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL, revoked INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS web_audit(id TEXT PRIMARY KEY, at DOUBLE PRECISION NOT NULL,
        username TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
        detail TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS web_cases(id TEXT PRIMARY KEY, title TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL, author TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS web_case_versions(case_id TEXT NOT NULL,
        version INTEGER NOT NULL, text TEXT NOT NULL, author TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL, summary TEXT NOT NULL,
        PRIMARY KEY(case_id, version))""",
    """CREATE TABLE IF NOT EXISTS web_runs(id TEXT PRIMARY KEY, case_id TEXT NOT NULL,
        version INTEGER NOT NULL, kind TEXT NOT NULL, params TEXT NOT NULL,
        status TEXT NOT NULL, done INTEGER NOT NULL, total INTEGER NOT NULL,
        result TEXT, error TEXT, author TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
        finished DOUBLE PRECISION)""",
    """CREATE TABLE IF NOT EXISTS web_keys(username TEXT NOT NULL, case_id TEXT NOT NULL,
        actor TEXT NOT NULL, vkey TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
        PRIMARY KEY(username, case_id, actor, vkey))""",
    """CREATE TABLE IF NOT EXISTS web_drafts(id TEXT PRIMARY KEY, case_id TEXT NOT NULL,
        data TEXT NOT NULL, author TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
        ledger_index INTEGER)""",
    """CREATE TABLE IF NOT EXISTS web_metrics(id TEXT PRIMARY KEY, case_id TEXT NOT NULL,
        filename TEXT NOT NULL, text TEXT NOT NULL, author TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS web_datasets(case_id TEXT NOT NULL,
        record_index BIGINT NOT NULL, author TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
        PRIMARY KEY(case_id, record_index))""",
    """CREATE TABLE IF NOT EXISTS web_statements(id TEXT PRIMARY KEY, case_id TEXT NOT NULL,
        filename TEXT NOT NULL, text TEXT NOT NULL, author TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS web_reviews(case_id TEXT NOT NULL, set_id TEXT NOT NULL,
        statement_id TEXT NOT NULL, ledger_index BIGINT PRIMARY KEY,
        created DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS web_pending(id TEXT PRIMARY KEY, case_id TEXT NOT NULL,
        kind TEXT NOT NULL, actor TEXT NOT NULL, vkey TEXT NOT NULL, title TEXT NOT NULL,
        body TEXT NOT NULL, messages TEXT NOT NULL, author TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL, result TEXT)""",
    """CREATE TABLE IF NOT EXISTS web_entries(ledger_index BIGINT PRIMARY KEY,
        case_id TEXT NOT NULL, kind TEXT NOT NULL)""",
]


def is_postgres_url(location: str | Path) -> bool:
    """True for ``postgresql://`` and ``postgres://`` URLs."""
    text = str(location)
    return text.startswith("postgresql://") or text.startswith("postgres://")


class Database:
    """A lock-guarded connection to the workspace database (SQLite or PostgreSQL).

    Args:
        location: A SQLite file path or a ``postgresql://`` URL.
    """

    def __init__(self, location: str | Path) -> None:
        self.location = str(location)
        self.postgres = is_postgres_url(location)
        self._lock = threading.RLock()
        self._conn: Any
        if self.postgres:
            try:
                import psycopg
            except ImportError as exc:  # optional engine
                raise StorageError(
                    "a postgresql:// workspace needs psycopg: pip install 'detente[postgres]'"
                ) from exc
            try:
                self._conn = psycopg.connect(self.location, autocommit=False)
            except psycopg.Error as exc:
                raise StorageError(f"cannot connect to the workspace database: {exc}") from exc
        else:
            try:
                self._conn = sqlite3.connect(
                    self.location, check_same_thread=False, isolation_level=None, timeout=30
                )
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=FULL")
            except sqlite3.Error as exc:
                raise StorageError(f"{self.location}: not a usable SQLite file: {exc}") from exc
        with self.transaction() as tx:
            for stmt in _SCHEMA:
                tx.execute(stmt)
            tx.execute(
                "INSERT INTO web_meta(key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                ("schema_version", SCHEMA_VERSION),
            )

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[_Tx]:
        """One transaction: committed on success, rolled back on any error.

        SQLite write transactions start ``BEGIN IMMEDIATE`` (they take the write lock at
        once, so two servers on one file cannot deadlock on an upgrade); reads start a
        deferred one.
        """
        with self._lock:
            if not self.postgres:
                self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield _Tx(self)
            except BaseException:
                self._conn.rollback() if self.postgres else self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.commit() if self.postgres else self._conn.execute("COMMIT")

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only query."""
        with self.transaction(write=False) as tx:
            return tx.query(sql, args)

    def one(self, sql: str, args: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """The first row of a query, or None."""
        rows = self.query(sql, args)
        return rows[0] if rows else None

    def execute(self, sql: str, args: Sequence[Any] = ()) -> None:
        """Run one write statement in its own transaction."""
        with self.transaction() as tx:
            tx.execute(sql, args)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


class _Tx:
    """The statements of one open transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def execute(self, sql: str, args: Sequence[Any] = ()) -> None:
        try:
            self.db._conn.execute(self.db._sql(sql), tuple(args))
        except Exception as exc:
            # sqlite3.IntegrityError or psycopg.IntegrityError (a duplicate key, a race lost)
            if "IntegrityError" in {c.__name__ for c in type(exc).__mro__}:
                raise StorageError(f"the workspace database refused a write: {exc}") from exc
            raise

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self.db._conn.execute(self.db._sql(sql), tuple(args))
        return [tuple(r) for r in cur.fetchall()]
