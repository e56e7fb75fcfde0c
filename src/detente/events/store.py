"""Events in the ledger's database: detente's own tables beside the log's.

The events of an import live in ``events_columns`` (column-wise, in parts) and the import itself in
``events_imports``, keyed by the ledger index of the signed dataset record that vouches for
them (:mod:`detente.events.records`). The tables are created and written through this
module's own connection (SQLite by default, PostgreSQL by ``postgresql://`` URL, like the
ledger), and one import is one transaction: an interrupted import leaves them as they were.

An import appears in ``events_imports`` only in the same transaction that stored its rows,
so readers never see half an import.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from detente.errors import StorageError
from detente.events.model import FIELDS, EventColumns
from detente.ledger.postgres import is_postgres_url

__all__ = ["EventStore", "StoredImport"]

_COLS = [f for f in FIELDS if f != "raw"]

_INTS = {"line", "date_start", "date_end", "place_precision", "date_precision", "clear"}
_FLOATS = {"latitude", "longitude", "fatalities_low", "fatalities_best", "fatalities_high"}
PART_ROWS = 1 << 16
"""Events per stored part: each column of each part is one value in ``events_columns``."""

_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS events_imports(record_index INTEGER PRIMARY KEY,
    dataset TEXT NOT NULL, version TEXT NOT NULL, kind TEXT NOT NULL, sha256 TEXT NOT NULL,
    file TEXT NOT NULL, rows INTEGER NOT NULL, coverage_start TEXT, coverage_end TEXT,
    header TEXT NOT NULL, UNIQUE(dataset, version));
CREATE TABLE IF NOT EXISTS events_columns(record_index INTEGER NOT NULL, part INTEGER NOT NULL,
    name TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY(record_index, part, name));
"""
# Events are stored column-wise in parts of PART_ROWS rows, each column of a part one
# value: numbers as little-endian int64/float64 arrays, text as the strings' lengths then
# their UTF-8 (repeated text as its distinct strings and a code per event). A million
# events is a few hundred values instead of 25 million bound parameters, for SQLite and
# PostgreSQL alike (so both backends store and return exactly the same bytes).

_PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS events_imports(record_index BIGINT PRIMARY KEY,
    dataset TEXT NOT NULL, version TEXT NOT NULL, kind TEXT NOT NULL, sha256 TEXT NOT NULL,
    file TEXT NOT NULL, rows BIGINT NOT NULL, coverage_start TEXT, coverage_end TEXT,
    header TEXT NOT NULL, UNIQUE(dataset, version));
CREATE TABLE IF NOT EXISTS events_columns(record_index BIGINT NOT NULL, part BIGINT NOT NULL,
    name TEXT NOT NULL, data BYTEA NOT NULL, PRIMARY KEY(record_index, part, name));
"""


def _encode(name: str, values: Sequence[Any]) -> bytes:
    if name in _INTS:
        return bytes(np.asarray(values, dtype="<i8").tobytes())
    if name in _FLOATS:
        return bytes(np.asarray(values, dtype="<f8").tobytes())
    # Text repeats (sides, countries, admin units): few distinct strings and a code per
    # event ("D"); text that does not repeat (ids, raw rows) as it is ("T").
    head = values[:4096]
    if len(set(head)) * 2 <= len(head):  # a look at the first values decides cheaply
        uniques, codes = _factorize(values)
        return b"D" + _text(uniques) + bytes(codes.astype("<i4").tobytes())
    return b"T" + _text(values)


def _factorize(values: Sequence[str]) -> tuple[list[str], Any]:
    """Distinct strings in order of first appearance, and each value's code."""
    try:  # optional engine: pyarrow's hash table in C is ~10x the dict below
        pa: Any = importlib.import_module("pyarrow")
        enc = pa.array(values, type=pa.string()).dictionary_encode()
        return enc.dictionary.to_pylist(), enc.indices.to_numpy(zero_copy_only=False)
    except (ImportError, UnicodeError, ValueError):  # no pyarrow, or a lone surrogate
        index: dict[str, int] = {}
        codes = [index.setdefault(v, len(index)) for v in values]
        return list(index), np.asarray(codes, dtype=np.int64)


def _text(values: Sequence[str]) -> bytes:
    """The count, the UTF-8 size, each string's length in code points, then the UTF-8.

    surrogatepass: a JSON API record may carry a lone surrogate; it must come back as read.
    """
    blob = "".join(values).encode("utf-8", "surrogatepass")
    lengths = np.fromiter(map(len, values), dtype="<i8", count=len(values))
    return np.asarray([len(values), len(blob)], dtype="<i8").tobytes() + lengths.tobytes() + blob


def _untext(data: bytes) -> tuple[list[str], int]:
    """Strings encoded by :func:`_text` at the start of ``data``, and the bytes they took."""
    n, size = np.frombuffer(data[:16], dtype="<i8").tolist()
    ends = np.cumsum(np.frombuffer(data[16 : 16 + 8 * n], dtype="<i8")).tolist()
    start = 16 + 8 * n
    text = data[start : start + size].decode("utf-8", "surrogatepass")
    return [text[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)], start + size


def _decode(name: str, data: bytes) -> list[Any]:
    values: list[Any]
    if name == "clear":
        values = np.frombuffer(data, dtype="<i8").astype(bool).tolist()
        return values
    if name in _INTS:
        values = np.frombuffer(data, dtype="<i8").tolist()
        return values
    if name in _FLOATS:
        values = np.frombuffer(data, dtype="<f8").tolist()
        return values
    if data[:1] == b"D":
        uniques, used = _untext(data[1:])
        codes = np.frombuffer(data[1 + used :], dtype="<i4")
        out: list[Any] = np.asarray(uniques, dtype=object)[codes].tolist()
        return out
    return _untext(data[1:])[0]


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
        n = len(events)
        with self._transaction() as cur:
            rows = (
                (
                    record_index,
                    part,
                    name,
                    _encode(name, getattr(events, name)[lo : lo + PART_ROWS]),
                )
                for part, lo in enumerate(range(0, n, PART_ROWS))
                for name in FIELDS
            )
            cur.executemany(
                "INSERT INTO events_columns(record_index, part, name, data) VALUES "
                f"({', '.join([self._ph] * 4)})",
                rows,
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
        names = list(FIELDS) if with_raw else list(_COLS)
        got: dict[str, list[Any]] = {name: [] for name in names}
        for name, data in self._query(
            "SELECT name, data FROM events_columns WHERE record_index = ? "
            f"AND name IN ({', '.join('?' * len(names))}) ORDER BY part",
            (record_index, *names),
        ):
            got[name] += _decode(name, bytes(data))
        for name, values in got.items():
            setattr(out, name, values)
        if not with_raw:
            out.raw = [""] * len(out.line)
        if len(out.line) != imp[0].rows:
            raise StorageError(
                f"import {record_index}: {len(out.line)} events stored, {imp[0].rows} recorded"
            )
        return out
