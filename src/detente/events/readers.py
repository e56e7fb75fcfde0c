"""Readers for conflict-event data: UCDP GED (CSV and API JSON), ACLED exports, plain CSV.

Each reader checks the header first (unknown or missing columns), then every row, and
reports every problem at once as located :class:`~detente.errors.Diagnostic` records
(``file:line:column``, what was expected). A row that cannot be used is never dropped
silently: the read fails, or, when the caller asks to skip bad rows, the summary counts
each skipped row and says why.

Column meanings follow the producers' codebooks:

* UCDP GED: Högbladh, S. (2023). *UCDP GED Codebook version 23.1*. Uppsala University.
  ``where_prec`` 1-7 (1 exact location ... 6 country only, 7 international waters or
  airspace), ``date_prec`` 1-5 (1 exact day ... 5 only the year known), ``event_clarity``
  1-2 (2: low clarity, e.g. aggregated reports), ``type_of_violence`` 1-3 (state-based,
  non-state, one-sided); ``low``/``best``/``high`` fatality estimates.
* ACLED: *ACLED Codebook* (Armed Conflict Location & Event Data). ``time_precision`` 1-3
  (1 the actual day; 2 a specific week, coded to a day of it; 3 only the month, coded to a
  day of it), ``geo_precision`` 1-3 (1 the town, 2 near a town or part of a region, 3 a
  larger region). ACLED forbids redistributing its rows: users bring their own export.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from detente import boundedjson
from detente.errors import CaseError, Diagnostic
from detente.events.model import EventColumns, ReadSummary, SkippedRow
from detente.inputs import check_regular_file, read_bounded

__all__ = [
    "ACLED_COLUMNS",
    "MAX_CSV_EVENTS_BYTES",
    "MAX_JSON_EVENTS_BYTES",
    "check_events_file",
    "ACLED_REQUIRED",
    "GED_COLUMNS",
    "PLAIN_COLUMNS",
    "PLAIN_REQUIRED",
    "detect_kind",
    "read_events",
]

GED_COLUMNS: tuple[str, ...] = (
    "id", "relid", "year", "active_year", "code_status", "type_of_violence",
    "conflict_dset_id", "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id",
    "dyad_name", "side_a_dset_id", "side_a_new_id", "side_a", "side_b_dset_id",
    "side_b_new_id", "side_b", "number_of_sources", "source_article", "source_office",
    "source_date", "source_headline", "source_original", "where_prec", "where_coordinates",
    "where_description", "adm_1", "adm_2", "latitude", "longitude", "geom_wkt",
    "priogrid_gid", "country", "country_id", "region", "event_clarity", "date_prec",
    "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown",
    "best", "high", "low", "gwnoa", "gwnob",
)  # fmt: skip
"""The 49 columns of UCDP GED 23.1 (and later releases), in the codebook's order."""

ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty", "event_id_no_cnty", "data_id", "iso", "iso3", "event_date", "year",
    "time_precision", "disorder_type", "event_type", "sub_event_type", "actor1",
    "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
    "civilian_targeting", "region", "country", "admin1", "admin2", "admin3", "location",
    "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
    "fatalities", "tags", "timestamp",
)  # fmt: skip
"""ACLED export columns (current and pre-2023 exports); any order, any case."""

ACLED_REQUIRED: tuple[str, ...] = (
    "event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type",
    "actor1", "actor2", "country", "admin1", "latitude", "longitude", "geo_precision",
    "fatalities",
)  # fmt: skip

PLAIN_COLUMNS: tuple[str, ...] = (
    "id", "date_start", "date_end", "side_a", "side_b", "event_class", "country", "admin1",
    "admin2", "latitude", "longitude", "where_prec", "clear", "fatalities",
    "fatalities_low", "fatalities_best", "fatalities_high",
)  # fmt: skip
"""Columns of the plain events CSV; extra columns must start with ``x_`` (kept raw)."""

PLAIN_REQUIRED: tuple[str, ...] = ("id", "date_start", "side_a", "country")

MAX_DIAGNOSTICS = 200
"""Problems listed in full; the rest are counted (a hostile file stays a short report)."""

_MONTHS = {
    m: k
    for k, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"],
        start=1,
    )
}  # fmt: skip
_DMY = re.compile(r"^(\d{1,2})[ -]([A-Za-z]+)[ -](\d{4})$")


class _RowError(Exception):
    """A problem with one field of one row."""

    def __init__(self, column: str, message: str, expected: str, code: str) -> None:
        super().__init__(message)
        self.column = column
        self.expected = expected
        self.code = code


def _date(text: str, column: str) -> dt.date:
    """``YYYY-MM-DD``, optionally followed by a time (`` HH:MM:SS`` or ``T...``)."""
    s = text.strip()
    if len(s) >= 10 and (len(s) == 10 or s[10] in " T"):
        try:
            return dt.date.fromisoformat(s[:10])
        except ValueError:
            pass
    raise _RowError(column, f"{column} {text!r} is not a date", "YYYY-MM-DD", "bad-date")


def _acled_date(text: str, column: str) -> dt.date:
    """ACLED ``event_date``: ISO ``YYYY-MM-DD`` or ``14 March 2023`` (spreadsheet exports)."""
    s = text.strip()
    m = _DMY.match(s)
    if m and m.group(2).lower() in _MONTHS:
        try:
            return dt.date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
        except ValueError:
            pass
    elif len(s) == 10:
        try:
            return dt.date.fromisoformat(s)
        except ValueError:
            pass
    raise _RowError(
        column, f"{column} {text!r} is not a date", "YYYY-MM-DD or '14 March 2023'", "bad-date"
    )


def _code(text: str, column: str, low: int, high: int) -> int:
    try:
        v = int(text)
    except ValueError:
        v = None
    if v is None or not low <= v <= high:
        raise _RowError(
            column,
            f"{column} {text!r} is outside the codebook",
            f"an integer code {low} to {high}",
            "bad-precision-code" if "prec" in column else "bad-code",
        )
    return v


def _count(text: str, column: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not math.isfinite(v) or v < 0:
        raise _RowError(column, f"{column} {text!r} is not a count", "a number >= 0", "bad-count")
    return v


def _coord(text: str, column: str, limit: float) -> float:
    if not text.strip():
        return math.nan
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not math.isfinite(v) or abs(v) > limit:
        raise _RowError(
            column,
            f"{column} {text!r} is not a coordinate",
            f"degrees between -{limit:g} and {limit:g}",
            "bad-coordinate",
        )
    return v


def _text(text: str, column: str) -> str:
    if not text.strip():
        raise _RowError(column, f"{column} is empty", "a value", "missing-value")
    return text


Converter = Callable[[Sequence[str], Counter[str]], tuple[Any, ...]]


def _ged_converter(index: dict[str, int]) -> Converter:
    """Row -> internal fields for a GED row (fields by the header's index)."""
    i = index

    def convert(r: Sequence[str], warn: Counter[str]) -> tuple[Any, ...]:
        ds = _date(r[i["date_start"]], "date_start")
        de = _date(r[i["date_end"]], "date_end")
        if de < ds:
            raise _RowError(
                "date_end", "date_end is before date_start", "date_end >= date_start", "bad-range"
            )
        _code(r[i["type_of_violence"]], "type_of_violence", 1, 3)
        lo = _count(r[i["low"]], "low")
        best = _count(r[i["best"]], "best")
        hi = _count(r[i["high"]], "high")
        if not lo <= best <= hi:
            # Real GED rows exist with low > best or best > high: keep the event and widen
            # the interval to cover every estimate rather than trust one ordering.
            warn["fatality-estimates-out-of-order"] += 1
            lo, hi = min(lo, best, hi), max(lo, best, hi)
        return (
            _text(r[i["id"]], "id"),
            ds.toordinal(),
            de.toordinal(),
            _text(r[i["side_a"]], "side_a"),
            _text(r[i["side_b"]], "side_b"),
            r[i["dyad_name"]],
            "",
            r[i["type_of_violence"]].strip(),
            "",
            _text(r[i["country"]], "country"),
            r[i["adm_1"]],
            r[i["adm_2"]],
            _coord(r[i["latitude"]], "latitude", 90),
            _coord(r[i["longitude"]], "longitude", 180),
            _code(r[i["where_prec"]], "where_prec", 1, 7),
            _code(r[i["date_prec"]], "date_prec", 1, 5),
            _code(r[i["event_clarity"]], "event_clarity", 1, 2) == 1,
            lo,
            best,
            hi,
        )

    return convert


def _acled_converter(index: dict[str, int]) -> Converter:
    i = index
    a1 = i.get("assoc_actor_1")
    a2 = i.get("assoc_actor_2")
    adm2 = i.get("admin2")

    def convert(r: Sequence[str], warn: Counter[str]) -> tuple[Any, ...]:
        d = _acled_date(r[i["event_date"]], "event_date")
        tp = _code(r[i["time_precision"]], "time_precision", 1, 3)
        if tp == 1:
            ds = de = d
        elif tp == 2:  # a specific week, coded to one of its days: +-3 days covers it
            ds, de = d - dt.timedelta(days=3), d + dt.timedelta(days=3)
        else:  # only the month is known
            ds = d.replace(day=1)
            nxt = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
            de = nxt - dt.timedelta(days=1)
        fat = _count(r[i["fatalities"]], "fatalities")
        assoc = ";".join(x for x in ((r[a1] if a1 is not None else ""), r[a2] if a2 else "") if x)
        return (
            _text(r[i["event_id_cnty"]], "event_id_cnty"),
            ds.toordinal(),
            de.toordinal(),
            _text(r[i["actor1"]], "actor1"),
            r[i["actor2"]],
            f"{r[i['actor1']]} - {r[i['actor2']]}" if r[i["actor2"]] else r[i["actor1"]],
            assoc,
            _text(r[i["event_type"]], "event_type"),
            r[i["sub_event_type"]],
            _text(r[i["country"]], "country"),
            r[i["admin1"]],
            r[adm2] if adm2 is not None else "",
            _coord(r[i["latitude"]], "latitude", 90),
            _coord(r[i["longitude"]], "longitude", 180),
            _code(r[i["geo_precision"]], "geo_precision", 1, 3),
            tp,
            True,
            fat,
            fat,
            fat,
        )

    return convert


def _plain_converter(index: dict[str, int]) -> Converter:
    i = index

    def get(r: Sequence[str], col: str, default: str = "") -> str:
        k = i.get(col)
        return r[k] if k is not None and r[k].strip() else default

    def convert(r: Sequence[str], warn: Counter[str]) -> tuple[Any, ...]:
        ds = _date(r[i["date_start"]], "date_start")
        de = _date(get(r, "date_end"), "date_end") if get(r, "date_end") else ds
        if de < ds:
            raise _RowError(
                "date_end", "date_end is before date_start", "date_end >= date_start", "bad-range"
            )
        single = get(r, "fatalities", "0")
        best = _count(get(r, "fatalities_best", single), "fatalities_best")
        lo = _count(get(r, "fatalities_low", str(best)), "fatalities_low")
        hi = _count(get(r, "fatalities_high", str(best)), "fatalities_high")
        if not lo <= best <= hi:
            raise _RowError(
                "fatalities_best",
                "fatality estimates are not ordered low <= best <= high",
                "fatalities_low <= fatalities_best <= fatalities_high",
                "bad-range",
            )
        return (
            _text(r[i["id"]], "id"),
            ds.toordinal(),
            de.toordinal(),
            _text(r[i["side_a"]], "side_a"),
            get(r, "side_b"),
            f"{r[i['side_a']]} - {get(r, 'side_b')}" if get(r, "side_b") else r[i["side_a"]],
            "",
            get(r, "event_class"),
            "",
            _text(r[i["country"]], "country"),
            get(r, "admin1"),
            get(r, "admin2"),
            _coord(get(r, "latitude"), "latitude", 90),
            _coord(get(r, "longitude"), "longitude", 180),
            _code(get(r, "where_prec", "1"), "where_prec", 1, 7),
            1 if ds == de else 2,
            _code(get(r, "clear", "1"), "clear", 0, 1) == 1,
            lo,
            best,
            hi,
        )

    return convert


def _header_problems(
    header: list[str], known: Sequence[str], required: Sequence[str], file: str, kind: str,
    extra_prefix: str | None = None,
) -> list[Diagnostic]:  # fmt: skip
    out: list[Diagnostic] = []
    seen: set[str] = set()
    for col_no, name in enumerate(header, start=1):
        if name in seen:
            out.append(
                Diagnostic(
                    f"column {name!r} appears twice", file, 1, col_no, code="duplicate-column"
                )
            )
        seen.add(name)
        if name not in known and not (extra_prefix and name.startswith(extra_prefix)):
            out.append(
                Diagnostic(
                    f"unknown column {name!r} (not a {kind} column)",
                    file,
                    1,
                    col_no,
                    expected=f"one of the {kind} columns (docs/formats/events.md)",
                    hint=f"extra columns must start with {extra_prefix!r}"
                    if extra_prefix
                    else None,
                    code="unknown-column",
                )
            )
    for name in required:
        if name not in seen:
            out.append(
                Diagnostic(
                    f"missing required column {name!r}",
                    file,
                    1,
                    None,
                    expected=", ".join(required)
                    if len(required) <= 15
                    else f"all {len(required)} columns of the {kind} format",
                    code="missing-column",
                )
            )
    return out


def detect_kind(header: Sequence[str]) -> str:
    """The reader for a CSV header: ``ucdp-ged``, ``acled`` or ``plain``."""
    names = {h.strip().lower() for h in header}
    # A majority of a format's columns decides, so a header with a misspelt or missing
    # column is still read (and reported) as the format it nearly is.
    if len(names & set(GED_COLUMNS)) >= len(GED_COLUMNS) // 2:
        return "ucdp-ged"
    if len(names & set(ACLED_REQUIRED)) >= len(ACLED_REQUIRED) // 2:
        return "acled"
    return "plain"


def _rows(path: Path) -> Iterator[tuple[int, list[str], str]]:
    """``(first line number, fields, record text)`` per CSV record.

    Raises:
        CaseError: on broken CSV or text that is not UTF-8.
    """
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise CaseError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with fh:
        consumed: list[str] = []

        def feed() -> Iterator[str]:
            for text in fh:
                consumed.append(text)
                yield text

        reader = csv.reader(feed(), strict=True)
        line = 1
        try:
            for row in reader:
                # The record's exact text (its lines as read) is the raw row kept beside it.
                raw = "".join(consumed).rstrip("\r\n")
                consumed.clear()
                yield line, row, raw
                line = reader.line_num + 1
        except csv.Error as exc:
            raise CaseError(
                f"{path}: not a readable CSV file",
                [Diagnostic(f"CSV syntax: {exc}", str(path), line, None, code="bad-csv")],
            ) from exc
        except UnicodeDecodeError as exc:
            raise CaseError(
                f"{path}: not UTF-8 text",
                [Diagnostic(f"cannot decode: {exc.reason}", str(path), line, None, code="bad-csv")],
            ) from exc


_STORED = (
    "event_id", "date_start", "date_end", "side_a", "side_b", "dyad", "assoc", "event_class",
    "sub_class", "country", "admin1", "admin2", "latitude", "longitude", "place_precision",
    "date_precision", "clear", "fatalities_low", "fatalities_best", "fatalities_high",
)  # fmt: skip


class _Collector:
    """Accumulates events, problems and counts while a reader walks a file."""

    def __init__(self, file: str, kind: str, skip_bad: bool) -> None:
        self.file = file
        self.skip_bad = skip_bad
        self.cols = EventColumns(kind=kind)
        self.lists = [getattr(self.cols, f) for f in _STORED]
        self.problems: list[Diagnostic] = []
        self.n_problems = 0
        self.skipped: list[SkippedRow] = []
        self.by_reason: Counter[str] = Counter()
        self.warn: Counter[str] = Counter()
        self.read = 0

    def bad(self, line: int | None, column: int | None, exc: _RowError, where: str = "") -> None:
        self.n_problems += 1
        self.by_reason[exc.code] += 1
        if len(self.problems) < MAX_DIAGNOSTICS:
            self.problems.append(
                Diagnostic(
                    f"{where}{exc}", self.file, line, column, expected=exc.expected, code=exc.code
                )
            )
        if self.skip_bad and len(self.skipped) < 100:
            self.skipped.append(SkippedRow(line=line or 0, reason=f"{exc.code}: {exc}"))

    def finish(self) -> tuple[EventColumns, ReadSummary]:
        if self.n_problems and not self.skip_bad:
            more = self.n_problems - len(self.problems)
            tail = f" ({more} more not listed)" if more > 0 else ""
            raise CaseError(
                f"{self.file}: {self.n_problems} problem(s) in {self.read} row(s){tail}; "
                "nothing was read",
                self.problems,
            )
        summary = ReadSummary(
            file=self.file,
            kind=self.cols.kind,
            rows_read=self.read,
            rows_kept=len(self.cols),
            rows_skipped=self.n_problems,
            skipped=self.skipped,
            skipped_by_reason=dict(self.by_reason),
            warnings=dict(self.warn),
        )
        return self.cols, summary


def _read_csv(
    path: Path, kind: str, skip_bad: bool, columnwise: bool = True
) -> tuple[EventColumns, ReadSummary]:
    file = str(path)
    rows = _rows(path)
    first = next(rows, None)
    if first is None:
        raise CaseError(
            f"{file}: empty file",
            [Diagnostic("no header row", file, 1, None, code="missing-column")],
        )
    header = first[1]
    if kind == "ucdp-ged":
        norm = header
        problems = _header_problems(header, GED_COLUMNS, GED_COLUMNS, file, "UCDP GED")
        conv_factory: Callable[[dict[str, int]], Converter] = _ged_converter
    elif kind == "acled":
        norm = [h.strip().lower() for h in header]  # older exports use upper-case names
        problems = _header_problems(norm, ACLED_COLUMNS, ACLED_REQUIRED, file, "ACLED")
        conv_factory = _acled_converter
    else:
        norm = header
        problems = _header_problems(
            header, PLAIN_COLUMNS, PLAIN_REQUIRED, file, "plain events", extra_prefix="x_"
        )
        conv_factory = _plain_converter
    if any(p.code != "unknown-column" for p in problems):
        raise CaseError(f"{file}: the header does not fit the {kind} format", problems)
    if kind == "ucdp-ged" and not problems and columnwise:
        fast = _read_ged_columnwise(path, header)
        if fast is not None:
            return fast
    index = {name: k for k, name in enumerate(norm)}
    col_of = {name: k + 1 for k, name in enumerate(norm)}
    convert = conv_factory(index)
    c = _Collector(file, kind, skip_bad)
    c.cols.header = list(header)
    if problems:  # unknown columns: still check every row, then refuse the file
        c.problems += problems
        c.n_problems += len(problems)
        c.by_reason["unknown-column"] += len(problems)
        c.skip_bad = False
    width = len(header)
    lists = c.lists
    lines, raws = c.cols.line, c.cols.raw
    warn = c.warn
    for line, row, raw in rows:
        c.read += 1
        if len(row) != width:
            if not row:  # a blank line between records is not a row
                c.read -= 1
                continue
            c.bad(
                line,
                None,
                _RowError(
                    "", f"row has {len(row)} fields", f"{width} fields like the header", "bad-row"
                ),
            )
            continue
        try:
            values = convert(row, warn)
        except _RowError as exc:
            c.bad(line, col_of.get(exc.column), exc)
            continue
        for lst, v in zip(lists, values, strict=True):
            lst.append(v)
        lines.append(line)
        raws.append(raw)
    return c.finish()


_GED_NEEDED = (
    "id", "type_of_violence", "dyad_name", "side_a", "side_b", "where_prec", "adm_1", "adm_2",
    "latitude", "longitude", "country", "event_clarity", "date_prec", "date_start", "date_end",
    "best", "high", "low",
)  # fmt: skip
_SIMPLE_DECIMAL = r"^-?[0-9]{1,3}(\.[0-9]{1,15})?$"


_GED_REQUIRED_TEXT = ("id", "side_a", "side_b", "country")


def _checked_text(text: str, column: str) -> str:
    return _text(text, column)


def _read_ged_columnwise(path: Path, header: list[str]) -> tuple[EventColumns, ReadSummary] | None:
    """A UCDP GED CSV read column-wise with pyarrow's C parser, or None to read it row by row.

    The fast path accepts a file only when it can prove the result equals the row-by-row
    reader's: every record is one physical line (so its raw text is that line), pyarrow's
    fields equal :mod:`csv`'s wherever a line holds a quote, and every field converts.
    Fields are checked on each column's distinct values with the very functions the
    row-by-row reader applies (coordinates, nearly all distinct, are parsed by pyarrow when
    they are plain decimals). Anything else (a problem, a multi-line record, a blank line,
    no pyarrow) returns None: the row-by-row reader then reads the file and locates every
    problem exactly as before.
    """
    try:  # optional engine (the ``parquet`` extra); without it every file is read row by row
        pa: Any = importlib.import_module("pyarrow")
        pc: Any = importlib.import_module("pyarrow.compute")
        pacsv: Any = importlib.import_module("pyarrow.csv")
    except ImportError:  # pragma: no cover - pyarrow is in the lock file
        return None
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None  # a bare CR ends a line for csv: leave such files to it
    lines = text.split("\n")
    del text
    if lines[-1] == "":
        lines.pop()
    # A newline ends a record unless it is inside quotes, i.e. unless an odd number of
    # quote characters precedes it (RFC 4180 quoting, as csv and pyarrow both read it).
    octets = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(octets == 34)
    newlines = np.flatnonzero(octets == 10)
    del octets
    before = np.searchsorted(quotes, newlines)  # quotes before each newline
    ends = np.flatnonzero(before % 2 == 0)  # index of each record's last line
    if len(ends) == 0 or ends[-1] != len(lines) - 1:
        if len(newlines) == len(lines) or len(quotes) % 2:  # unclosed quote at the end
            return None
        ends = np.append(ends, len(lines) - 1)  # the last record has no final newline
    starts = np.concatenate([[0], ends[:-1] + 1])
    multi = np.flatnonzero(ends > starts)
    quoted_lines = np.unique(np.searchsorted(newlines, quotes))
    del quotes, newlines, before
    records = lines
    if len(multi):
        records = list(lines[s] for s in starts.tolist())
        for k in multi.tolist():
            records[k] = "\n".join(lines[starts[k] : ends[k] + 1])
    del lines
    if b"\r" in data:
        records = [r[:-1] if r.endswith("\r") else r for r in records]
    n = len(records) - 1
    if n < 1 or not all(records):
        return None  # a blank line is no record for csv: leave such files to it
    # Data-row index of every record holding a quote (it may start on an earlier line).
    rec_of_line = np.searchsorted(ends, quoted_lines)
    quoted = (np.unique(rec_of_line[rec_of_line > 0]) - 1).tolist()
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            parse_options=pacsv.ParseOptions(newlines_in_values=bool(len(multi))),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                include_columns=list(_GED_NEEDED),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError, KeyError):
        return None
    if table.num_rows != n or table.column_names != list(_GED_NEEDED):
        return None
    cols = {c: pa.concat_arrays(table.column(c).chunks) for c in _GED_NEEDED}
    del table
    # Records with a quote are the only ones two CSV parsers could split differently:
    # parse them with the csv module too and require the same fields.
    if quoted:
        pos = {c: header.index(c) for c in _GED_NEEDED}
        try:
            text = "\n".join(records[k + 1] for k in quoted) + "\n"
            ref = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        except csv.Error:
            return None
        if len(ref) != len(quoted):
            return None
        take = pa.array(quoted, type=pa.int64())
        mine = {c: cols[c].take(take).to_pylist() for c in _GED_NEEDED}
        for j, row in enumerate(ref):
            if len(row) != len(header) or any(row[pos[c]] != mine[c][j] for c in _GED_NEEDED):
                return None

    def per_unique(name: str, fn: Callable[[str], Any], dtype: Any = object) -> Any:
        enc = cols[name].dictionary_encode()
        try:
            vals = np.asarray([fn(u) for u in enc.dictionary.to_pylist()], dtype=dtype)
        except _RowError:
            return None
        return vals[enc.indices.to_numpy(zero_copy_only=False)]

    def coord(name: str, limit: float) -> Any:
        arr = cols[name]
        simple = pc.match_substring_regex(arr, _SIMPLE_DECIMAL)
        mask = simple.to_numpy(zero_copy_only=False)
        out = np.full(n, np.nan)
        out[mask] = pc.cast(arr.filter(simple), pa.float64()).to_numpy()
        if np.abs(out[mask]).max(initial=0.0) > limit:
            return None
        if not mask.all():
            rest = np.flatnonzero(~mask)
            got = per_unique_list(
                arr.take(pa.array(rest)).to_pylist(), lambda t: _coord(t, name, limit)
            )
            if got is None:
                return None
            out[rest] = got
        return out

    def per_unique_list(values: list[str], fn: Callable[[str], float]) -> list[float] | None:
        memo: dict[str, float] = {}
        try:
            return [memo[v] if v in memo else memo.setdefault(v, fn(v)) for v in values]
        except _RowError:
            return None

    ds = per_unique("date_start", lambda t: _date(t, "date_start").toordinal(), np.int64)
    de = per_unique("date_end", lambda t: _date(t, "date_end").toordinal(), np.int64)
    tov = per_unique(
        "type_of_violence", lambda t: (_code(t, "type_of_violence", 1, 3), t.strip())[1]
    )
    lo = per_unique("low", lambda t: _count(t, "low"), np.float64)
    best = per_unique("best", lambda t: _count(t, "best"), np.float64)
    hi = per_unique("high", lambda t: _count(t, "high"), np.float64)
    wprec = per_unique("where_prec", lambda t: _code(t, "where_prec", 1, 7), np.int64)
    dprec = per_unique("date_prec", lambda t: _code(t, "date_prec", 1, 5), np.int64)
    clear = per_unique("event_clarity", lambda t: _code(t, "event_clarity", 1, 2) == 1, bool)
    texts = {c: per_unique(c, partial(_checked_text, column=c)) for c in _GED_REQUIRED_TEXT[1:]}
    # Ids are all distinct: test them in one C-level pass; an empty one goes to the row reader.
    ids = cols["id"].to_pylist()
    texts["id"] = ids if all(map(str.strip, ids)) else None
    plain = {c: per_unique(c, lambda t: t) for c in ("dyad_name", "adm_1", "adm_2")}
    lat, lon = coord("latitude", 90), coord("longitude", 180)
    parts = [ds, de, tov, lo, best, hi, wprec, dprec, clear, lat, lon, *texts.values()]
    if any(p is None for p in parts) or bool((de < ds).any()):
        return None
    warn: Counter[str] = Counter()
    disordered = ~((lo <= best) & (best <= hi))
    if disordered.any():
        # As the row-by-row reader: widen the interval to cover every estimate.
        warn["fatality-estimates-out-of-order"] += int(disordered.sum())
        lo, hi = np.minimum(np.minimum(lo, best), hi), np.maximum(np.maximum(lo, best), hi)
    empty = [""] * n
    out = EventColumns(
        kind="ucdp-ged",
        header=list(header),
        event_id=texts["id"],
        line=(starts[1:] + 1).tolist(),
        date_start=ds.tolist(),
        date_end=de.tolist(),
        side_a=texts["side_a"].tolist(),
        side_b=texts["side_b"].tolist(),
        dyad=plain["dyad_name"].tolist(),
        assoc=empty,
        event_class=tov.tolist(),
        sub_class=list(empty),
        country=texts["country"].tolist(),
        admin1=plain["adm_1"].tolist(),
        admin2=plain["adm_2"].tolist(),
        latitude=lat.tolist(),
        longitude=lon.tolist(),
        place_precision=wprec.tolist(),
        date_precision=dprec.tolist(),
        clear=clear.tolist(),
        fatalities_low=lo.tolist(),
        fatalities_best=best.tolist(),
        fatalities_high=hi.tolist(),
        raw=records[1:],
    )
    summary = ReadSummary(
        file=str(path), kind="ucdp-ged", rows_read=n, rows_kept=n, rows_skipped=0,
        warnings=dict(warn),
    )  # fmt: skip
    return out, summary


def _api_value(v: Any) -> str:
    """A UCDP API JSON value as the CSV writes it."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


MAX_JSON_EVENTS_BYTES = 512 * 1024 * 1024
"""Largest UCDP API JSON file read (512 MiB): parsed whole, it peaks near 5x its size
(180 MB took 864 MB)."""

MAX_CSV_EVENTS_BYTES = 2 * 1024 * 1024 * 1024
"""Largest events CSV read (2 GiB; the whole GED 23.1 is about 0.4 GB). The readers keep
every row's columns: peak memory is about 7x the file (108 MB took 770 MB)."""


def _read_ucdp_json(path: Path, skip_bad: bool) -> tuple[EventColumns, ReadSummary]:
    """UCDP API pages: ``{"Result": [...], ...}`` or a bare list of GED records."""
    file = str(path)
    try:
        raw = read_bounded(
            path,
            MAX_JSON_EVENTS_BYTES,
            "JSON events file",
            hint="a UCDP API page is about 1 MB; import the GED CSV download instead",
        )
        text = raw.decode("utf-8")
        del raw  # the parse holds the text and the records, not the bytes as well
        doc = boundedjson.loads(text)
        del text
    except ValueError as exc:
        raise CaseError(
            f"{file}: not a JSON file",
            [
                Diagnostic(
                    f"cannot parse JSON: {exc}",
                    file,
                    getattr(exc, "lineno", None),
                    getattr(exc, "colno", None),
                    code="bad-json",
                )
            ],  # noqa: E501
        ) from exc
    records = doc.get("Result") if isinstance(doc, dict) else doc
    if not isinstance(records, list):
        raise CaseError(
            f"{file}: expected UCDP API JSON",
            [Diagnostic("no 'Result' list", file, code="bad-json", expected='{"Result": [...]}')],
        )
    index = {name: k for k, name in enumerate(GED_COLUMNS)}
    convert = _ged_converter(index)
    c = _Collector(file, "ucdp-ged", skip_bad)
    c.cols.header = list(GED_COLUMNS)
    known = set(GED_COLUMNS)
    for n, rec in enumerate(records):
        c.read += 1
        where = f"Result[{n}]: "
        if not isinstance(rec, dict):
            c.bad(None, None, _RowError("", "not an object", "a GED record", "bad-row"), where)
            continue
        unknown = sorted(set(rec) - known)
        missing = [k for k in GED_COLUMNS if k not in rec]
        if unknown or missing:
            what = (f"unknown fields {unknown}" if unknown else "") + (
                f"{'; ' if unknown else ''}missing fields {missing}" if missing else ""
            )
            code = "unknown-column" if unknown else "missing-column"
            c.bad(None, None, _RowError("", what, "the 49 GED fields", code), where)
            continue
        row = [_api_value(rec[k]) for k in GED_COLUMNS]
        try:
            values = convert(row, c.warn)
        except _RowError as exc:
            c.bad(None, None, exc, where)
            continue
        for lst, v in zip(c.lists, values, strict=True):
            lst.append(v)
        c.cols.line.append(0)
        c.cols.raw.append(json.dumps(rec, ensure_ascii=False, sort_keys=True))
    return c.finish()


def check_events_file(path: Path) -> None:
    """Refuse a device, a pipe or a file over the limits before anything reads it.

    The readers read a CSV twice (the column-wise reader, then row by row if it declines)
    and line by line, and an import hashes the file first: ``/dev/zero`` would never end.

    Raises:
        CaseError: ``not-a-file``, ``too-large`` or ``no-file``.
    """
    if path.suffix.lower() == ".json":
        hint = "a UCDP API page is about 1 MB; import the GED CSV download instead"
        check_regular_file(path, MAX_JSON_EVENTS_BYTES, "JSON events file", hint=hint)
    else:
        hint = "split it (by year or by country)"
        check_regular_file(path, MAX_CSV_EVENTS_BYTES, "events file", hint=hint)


def read_events(
    path: str | Path, kind: str | None = None, *, skip_bad: bool = False, columnwise: bool = True
) -> tuple[EventColumns, ReadSummary]:
    """Read an events file into the internal record.

    Args:
        path: A UCDP GED CSV, a UCDP API JSON page (``.json``), an ACLED export CSV or a
            plain events CSV.
        kind: ``ucdp-ged``, ``acled`` or ``plain``; detected from the header when None.
        skip_bad: Leave out rows that cannot be used (counted, with reasons, in the
            summary) instead of refusing the file.
        columnwise: Try the column-wise reader first for UCDP GED CSV files (pyarrow's
            C parser; same result, several times faster); False reads row by row.

    Returns:
        The events and a summary of rows read, kept and skipped.

    Raises:
        CaseError: every problem found, located, when the file (or, without
            ``skip_bad``, any row) cannot be used.
    """
    p = Path(path)
    check_events_file(p)
    if p.suffix.lower() == ".json":
        if kind not in (None, "ucdp-ged"):
            raise CaseError(f"{p}: JSON events files are UCDP API pages; got kind {kind!r}")
        return _read_ucdp_json(p, skip_bad)
    if kind is None:
        first = next(_rows(p), None)
        kind = detect_kind(first[1] if first else [])
    if kind not in ("ucdp-ged", "acled", "plain"):
        raise CaseError(f"unknown events reader {kind!r}; use ucdp-ged, acled or plain")
    return _read_csv(p, kind, skip_bad, columnwise)
