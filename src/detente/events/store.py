"""Events in the ledger's database: detente's own tables beside the log's.

The events of an import live in ``events_rows`` and the import itself in
``events_imports``, keyed by the ledger index of the signed dataset record that vouches for
them (:mod:`detente.events.records`). The tables are created and written through this
module's own connection (SQLite by default, PostgreSQL by ``postgresql://`` URL, like the
ledger), and one import is one transaction: an interrupted import leaves them as they were.

An import appears in ``events_imports`` only in the same transaction that stored its rows,
so readers never see half an import.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from detente.errors import StorageError
from detente.events.model import FIELDS, EventColumns
from detente.ledger.postgres import is_postgres_url

__all__ = ["EventStore", "StoredImport"]

_COLS = [f for f in FIELDS if f != "raw"]

_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS events_imports(record_index INTEGER PRIMARY KEY,
    dataset TEXT NOT NULL, version TEXT NOT NULL, kind TEXT NOT NULL, sha256 TEXT NOT NULL,
    file TEXT NOT NULL, rows INTEGER NOT NULL, coverage_start TEXT, coverage_end TEXT,
    header TEXT NOT NULL, UNIQUE(dataset, version));
CREATE TABLE IF NOT EXISTS events_rows(id INTEGER PRIMARY KEY, record_index INTEGER NOT NULL,
    n INTEGER NOT NULL, event_id TEXT NOT NULL, line INTEGER NOT NULL, date_start INTEGER NOT NULL,
    date_end INTEGER NOT NULL, side_a TEXT NOT NULL, side_b TEXT NOT NULL, dyad TEXT NOT NULL,
    assoc TEXT NOT NULL,
    event_class TEXT NOT NULL, sub_class TEXT NOT NULL, country TEXT NOT NULL,
    admin1 TEXT NOT NULL, admin2 TEXT NOT NULL, latitude REAL, longitude REAL,
    place_precision INTEGER NOT NULL, date_precision INTEGER NOT NULL, clear INTEGER NOT NULL,
    fatalities_low REAL NOT NULL, fatalities_best REAL NOT NULL, fatalities_high REAL NOT NULL,
    raw TEXT NOT NULL);
"""
# SQLite keys each row by its rowid, (record index << 32) | row number: appending in key
# order to the table's own b-tree is the cheapest insert there is (no second index).

_PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS events_imports(record_index BIGINT PRIMARY KEY,
    dataset TEXT NOT NULL, version TEXT NOT NULL, kind TEXT NOT NULL, sha256 TEXT NOT NULL,
    file TEXT NOT NULL, rows BIGINT NOT NULL, coverage_start TEXT, coverage_end TEXT,
    header TEXT NOT NULL, UNIQUE(dataset, version));
CREATE TABLE IF NOT EXISTS events_rows(record_index BIGINT NOT NULL, n BIGINT NOT NULL,
    event_id TEXT NOT NULL, line BIGINT NOT NULL, date_start BIGINT NOT NULL,
    date_end BIGINT NOT NULL, side_a TEXT NOT NULL, side_b TEXT NOT NULL, dyad TEXT NOT NULL,
    assoc TEXT NOT NULL,
    event_class TEXT NOT NULL, sub_class TEXT NOT NULL, country TEXT NOT NULL,
    admin1 TEXT NOT NULL, admin2 TEXT NOT NULL, latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION, place_precision INTEGER NOT NULL,
    date_precision INTEGER NOT NULL, clear INTEGER NOT NULL,
    fatalities_low DOUBLE PRECISION NOT NULL, fatalities_best DOUBLE PRECISION NOT NULL,
    fatalities_high DOUBLE PRECISION NOT NULL, raw TEXT NOT NULL,
    PRIMARY KEY(record_index, n));
"""


class StoredImport(BaseModel):
    """One import as stored: its dataset record's ledger index and what it holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_index: int
    dataset: str
    version: str
    kind: str
    sha256: str
    file: str
    rows: int
    coverage_start: dt.date | None
    coverage_end: dt.date | None


class EventStore:
    """The events tables of one ledger database.

    Args:
        location: The ledger's SQLite file or ``postgresql://`` URL.
    """

    def __init__(self, location: str | Path) -> None:
        self.pg = is_postgres_url(location)
        self.location = str(location)
        if self.pg:
            from detente.ledger.postgres import _psycopg

            psycopg = _psycopg()
            self._errors: tuple[type[Exception], ...] = (psycopg.Error,)
            try:
                self._db: Any = psycopg.connect(self.location, autocommit=True)
                with self._db.transaction():
                    self._db.execute(_PG_SCHEMA)
            except psycopg.Error as exc:
                raise StorageError(f"events store: cannot open: {exc}") from exc
            self._ph = "%s"
        else:
            self._errors = (sqlite3.Error,)
            try:
                self._db = sqlite3.connect(self.location, isolation_level=None, timeout=60)
                self._db.execute("PRAGMA busy_timeout=60000")
                self._db.execute("PRAGMA synchronous=FULL")
                self._db.executescript(_SQLITE_SCHEMA)
            except sqlite3.Error as exc:
                raise StorageError(f"{self.location}: cannot open events tables: {exc}") from exc
            self._ph = "?"

    def close(self) -> None:
        """Release the connection."""
        self._db.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        try:
            if self.pg:
                with self._db.transaction(), self._db.cursor() as cur:
                    yield cur
            else:
                cur = self._db.cursor()
                cur.execute("BEGIN IMMEDIATE")
                try:
                    yield cur
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
        except self._errors as exc:
            raise StorageError(f"events store: write failed, nothing stored: {exc}") from exc

    def _query(self, sql: str, args: Sequence[object] = ()) -> list[Any]:
        try:
            return list(self._db.execute(sql.replace("?", self._ph), args).fetchall())
        except self._errors as exc:
            raise StorageError(f"events store: read failed: {exc}") from exc

    def imports(self) -> list[StoredImport]:
        """Every complete import, in ledger order."""
        rows = self._query(
            "SELECT record_index, dataset, version, kind, sha256, file, rows, coverage_start, "
            "coverage_end FROM events_imports ORDER BY record_index"
        )
        keys = list(StoredImport.model_fields)
        return [StoredImport.model_validate(dict(zip(keys, r, strict=True))) for r in rows]

    def find(self, dataset: str, version: str) -> StoredImport | None:
        """The import of ``dataset`` at ``version``, if any."""
        for imp in self.imports():
            if imp.dataset == dataset and imp.version == version:
                return imp
        return None

    def store(
        self, record_index: int, dataset: str, version: str, sha256: str, file: str,
        events: EventColumns, coverage: tuple[dt.date, dt.date] | None = None,
    ) -> None:  # fmt: skip
        """Store an import's events in one transaction.

        ``coverage`` defaults to the span of the events' dates.

        Raises:
            StorageError: if the database refuses (nothing is stored then).
        """
        cov = coverage or events.coverage()
        meta = (
            record_index,
            dataset,
            version,
            events.kind,
            sha256,
            file,
            len(events),
            cov[0].isoformat() if cov else None,
            cov[1].isoformat() if cov else None,
            json.dumps(events.header, ensure_ascii=False),
        )
        cols = ", ".join(["record_index", "n", *_COLS, "raw"])
        columns = [
            [int(x) for x in events.clear] if f == "clear" else getattr(events, f) for f in _COLS
        ]
        raw = events.raw
        n = len(events)
        with self._transaction() as cur:
            if self.pg:
                with cur.copy(f"COPY events_rows ({cols}) FROM STDIN") as copy:
                    for k, row in enumerate(zip(*columns, raw, strict=True)):
                        copy.write_row((record_index, k, *row))
            else:
                if n >= 1 << 32:
                    raise StorageError(f"{n} events in one import is more than SQLite keys allow")
                marks = ", ".join("?" * (len(_COLS) + 4))
                base = record_index << 32
                cur.executemany(
                    f"INSERT INTO events_rows (id, {cols}) VALUES ({marks})",
                    (
                        (base + k, record_index, k, *row)
                        for k, row in enumerate(zip(*columns, raw, strict=True))
                    ),
                )
            cur.execute(
                "INSERT INTO events_imports(record_index, dataset, version, kind, sha256, file, "
                "rows, coverage_start, coverage_end, header) VALUES "
                f"({', '.join([self._ph] * 10)})",
                meta,
            )

    def load(self, record_index: int, with_raw: bool = True) -> EventColumns:
        """The events of one import, in file order (raw rows left empty unless asked)."""
        imp = [i for i in self.imports() if i.record_index == record_index]
        if not imp:
            raise StorageError(f"no complete import with dataset record {record_index}")
        header = self._query(
            "SELECT header FROM events_imports WHERE record_index = ?", (record_index,)
        )[0][0]
        out = EventColumns(
            kind=imp[0].kind,
            header=json.loads(header),
            dataset=imp[0].dataset,
            version=imp[0].version,
        )
        names = [*_COLS, "raw"] if with_raw else list(_COLS)
        if self.pg:
            rows = self._query(
                f"SELECT {', '.join(names)} FROM events_rows WHERE record_index = ? ORDER BY n",
                (record_index,),
            )
        else:
            rows = self._query(
                f"SELECT {', '.join(names)} FROM events_rows WHERE id >= ? AND id < ? ORDER BY id",
                (record_index << 32, (record_index + 1) << 32),
            )
        if not with_raw:
            out.raw = [""] * len(rows)
        if rows:
            for name, values in zip(names, zip(*rows, strict=True), strict=True):
                vals = list(values)
                if name == "clear":
                    vals = [bool(v) for v in vals]
                elif name in ("latitude", "longitude"):
                    vals = [float("nan") if v is None else float(v) for v in vals]
                setattr(out, name, vals)
        return out
