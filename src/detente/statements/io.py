"""Reading statements: YAML, CSV, JSON statements files and PLOVER-shaped JSON arrays.

Every problem in a file is reported at once, located (file, line, column where known),
through :class:`detente.errors.CaseError`. Files are bounded (:data:`MAX_FILE_BYTES`), must be
UTF-8, and every text is bounded (:data:`detente.statements.model.MAX_TEXT_CHARS`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from detente import boundedjson
from detente.case.loader import load_yaml, locate
from detente.case.model import Case
from detente.errors import CaseError, Diagnostic
from detente.inputs import decode_utf8, read_bounded
from detente.statements.model import MAX_STATEMENTS, MAX_TEXT_CHARS, Statement, StatementsFile

__all__ = [
    "CSV_COLUMNS",
    "MAX_FILE_BYTES",
    "CodingInput",
    "check_against_case",
    "coding_inputs",
    "read_coding_inputs",
    "read_statements",
]

MAX_FILE_BYTES = 50 * 1024 * 1024
"""Largest statements file read (bytes)."""

CSV_COLUMNS = (
    "id",
    "speaker_actor",
    "speaker_outlet",
    "speaker_person",
    "date",
    "medium",
    "url",
    "citation",
    "language",
    "text",
    "quote",
    "recorded_by",
    "reported_by",
    "partisan",
    "side",
    "target",
    "issue",
    "note",
)
"""Columns of the CSV form (``target``: actor ids separated by ``;``)."""


@dataclass(frozen=True)
class CodingInput:
    """What the coder needs from a statement, whatever file it came from."""

    id: str
    text: str
    language: str = "en"
    source: str | None = None
    target: tuple[str, ...] = ()
    date: str | None = None
    issue: str | None = None
    gold: str | None = None  # a PLOVER gold category, when the file carries one
    gold_mode: str | None = None


@dataclass
class _Problems:
    file: str
    items: list[Diagnostic] = field(default_factory=list)

    def add(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        code: str = "bad-statement",
        expected: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.items.append(
            Diagnostic(message, self.file, line, column, expected=expected, hint=hint, code=code)
        )

    def raise_if_any(self, what: str) -> None:
        if self.items:
            n = len(self.items)
            raise CaseError(f"{self.file}: {n} problem{'s' if n > 1 else ''} in {what}", self.items)


def _read_text(path: Path) -> str:
    raw = read_bounded(path, MAX_FILE_BYTES, "statements file", hint="split it")
    return decode_utf8(raw, str(path), code="not-utf8")


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _validate(data: Any, root: Any, problems: _Problems) -> StatementsFile | None:
    try:
        return StatementsFile.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = [p for p in err["loc"] if isinstance(p, str | int)]
            line, col = locate(root, loc) if root is not None else (None, None)
            where = ".".join(str(p) for p in loc)
            problems.add(f"{where}: {err['msg']}", line, col, code="statement-schema")
        return None


def _from_yaml(text: str, file: str) -> StatementsFile:
    # The case loader's YAML: YAML 1.2, bounded nesting and alias expansion, duplicate
    # keys refused, timestamps left as text (so a bad date is located by the schema), and
    # one located diagnostic for a syntax error.
    root = load_yaml(text, file)
    if not isinstance(root, Mapping):
        raise CaseError(f"{file}: a statements file is a mapping with a `statements` list")
    problems = _Problems(file)
    sf = _validate(_plain(root), root, problems)
    problems.raise_if_any("the statements file")
    assert sf is not None
    return sf


def _from_json(doc: Any, file: str) -> StatementsFile:
    problems = _Problems(file)
    sf = _validate(doc, None, problems)
    problems.raise_if_any("the statements file")
    assert sf is not None
    return sf


def _csv_error(exc: csv.Error, file: str, line: int) -> CaseError:
    return CaseError(
        f"{file}: not a readable CSV file",
        [
            Diagnostic(
                f"CSV: {exc}",
                file,
                max(line, 1),
                expected=f"a header row of {', '.join(CSV_COLUMNS)}, then one row per statement",
                code="csv-syntax",
            )
        ],
    )


def _csv_rows(reader: csv.DictReader[str], file: str) -> Iterator[dict[str, str]]:
    """The reader's rows, each a located :class:`CaseError` where the csv module fails.

    It fails on a field over its size limit (``csv.field_size_limit()``), for one.
    """
    try:
        yield from reader
    except csv.Error as exc:
        raise _csv_error(exc, file, reader.line_num) from None


def _from_csv(text: str, file: str) -> StatementsFile:
    problems = _Problems(file)
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise _csv_error(exc, file, reader.line_num) from None
    unknown = [c for c in header if c not in CSV_COLUMNS]
    missing = [c for c in ("id", "date", "medium", "text", "recorded_by") if c not in header]
    if unknown or missing:
        msg = []
        if unknown:
            msg.append(f"unknown columns {unknown}")
        if missing:
            msg.append(f"missing columns {missing}")
        problems.add("; ".join(msg), 1, 1, code="csv-columns", expected=", ".join(CSV_COLUMNS))
        problems.raise_if_any("the CSV header")
    statements: list[Statement] = []
    for row in _csv_rows(reader, file):
        line = reader.line_num
        if len(statements) >= MAX_STATEMENTS:
            problems.add(f"more than {MAX_STATEMENTS} statements", line, code="too-many")
            break
        r = {k: (v if v != "" else None) for k, v in row.items() if k is not None}
        speaker = {
            k: v
            for k, v in (
                ("actor", r.get("speaker_actor")),
                ("outlet", r.get("speaker_outlet")),
                ("person", r.get("speaker_person")),
            )
            if v is not None
        }
        reported = None
        if r.get("reported_by"):
            reported = {
                "source": r["reported_by"],
                "partisan": (r.get("partisan") or "").lower() in ("true", "yes", "1"),
                "side": r.get("side"),
            }
        data = {
            "id": r.get("id"),
            "speaker": speaker,
            "date": r.get("date"),
            "medium": r.get("medium"),
            "url": r.get("url"),
            "citation": r.get("citation"),
            "language": r.get("language") or "en",
            "text": r.get("text") or "",
            "quote": r.get("quote"),
            "recorded_by": r.get("recorded_by"),
            "reported_by": reported,
            "target": [t.strip() for t in (r.get("target") or "").split(";") if t.strip()],
            "issue": r.get("issue"),
            "note": r.get("note"),
        }
        try:
            statements.append(Statement.model_validate(data))
        except ValidationError as exc:
            for err in exc.errors():
                loc = [str(p) for p in err["loc"]]
                column = loc[0] if loc else None
                col = header.index(column) + 1 if column in header else None
                problems.add(f"{'.'.join(loc)}: {err['msg']}", line, col, code="statement-schema")
    problems.raise_if_any("the statements CSV")
    return StatementsFile(statements=statements)


def _is_plover_array(doc: Any) -> bool:
    return isinstance(doc, list)


def read_statements(path: str | Path) -> StatementsFile:
    """Read a statements file (``.yaml``/``.yml``, ``.json`` or ``.csv``).

    Raises:
        CaseError: with every located problem.
    """
    p = Path(path)
    text = _read_text(p)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return _from_csv(text, str(p))
    if suffix == ".json":
        try:
            doc = boundedjson.loads(text)
        except json.JSONDecodeError as exc:
            raise CaseError(
                f"{p}: not valid JSON",
                [
                    Diagnostic(
                        exc.msg, str(p), exc.lineno, exc.colno, code=boundedjson.error_code(exc)
                    )
                ],
            ) from None
        if _is_plover_array(doc):
            raise CaseError(
                f"{p}: a JSON array of PLOVER-shaped records is input to `statements code`, "
                "not a statements file (which is an object with `statements`)"
            )
        return _from_json(doc, str(p))
    return _from_yaml(text, str(p))


def check_against_case(sf: StatementsFile, case: Case, file: str = "<statements>") -> None:
    """Check every actor, outlet and issue a statements file names against the case.

    Raises:
        CaseError: listing every unknown actor, outlet or issue.
    """
    problems = _Problems(file)
    actors = {a.id for a in case.actors}
    issues = {i.id for i in case.issues}
    outlets = {o.id for o in sf.outlets}
    for a in sf.aliases:
        if a not in actors:
            problems.add(f"aliases: unknown actor '{a}'", code="unknown-actor")
    for o in sf.outlets:
        if o.linked_actor is not None and o.linked_actor not in actors:
            problems.add(f"outlet {o.id}: unknown actor '{o.linked_actor}'", code="unknown-actor")
    seen: set[str] = set()
    for s in sf.statements:
        where = f"statement {s.id}"
        if s.id in seen:
            problems.add(f"{where}: duplicate id", code="duplicate-id")
        seen.add(s.id)
        if s.speaker.actor is not None and s.speaker.actor not in actors:
            problems.add(
                f"{where}: unknown speaker actor '{s.speaker.actor}'",
                code="unknown-actor",
                expected=", ".join(sorted(actors)),
            )
        if s.speaker.outlet is not None and s.speaker.outlet not in outlets:
            problems.add(f"{where}: unknown outlet '{s.speaker.outlet}'", code="unknown-outlet")
        for t in s.target:
            if t not in actors:
                problems.add(
                    f"{where}: unknown target actor '{t}'",
                    code="unknown-actor",
                    expected=", ".join(sorted(actors)),
                )
        if s.issue is not None and s.issue not in issues:
            problems.add(
                f"{where}: unknown issue '{s.issue}'",
                code="unknown-issue",
                expected=", ".join(sorted(issues)),
            )
        if s.reported_by and s.reported_by.side and s.reported_by.side not in actors:
            problems.add(f"{where}: unknown side '{s.reported_by.side}'", code="unknown-actor")
    problems.raise_if_any("the statements (checked against the case)")


def speaker_actor(sf: StatementsFile, s: Statement) -> str | None:
    """The actor a statement speaks for: its actor, or its outlet's linked actor."""
    if s.speaker.actor is not None:
        return s.speaker.actor
    for o in sf.outlets:
        if o.id == s.speaker.outlet:
            return o.linked_actor
    return None


def coding_inputs(sf: StatementsFile) -> list[CodingInput]:
    """The coder's view of a statements file."""
    return [
        CodingInput(
            id=s.id,
            text=s.text,
            language=s.language,
            source=speaker_actor(sf, s),
            target=tuple(s.target),
            date=s.date.isoformat(),
            issue=s.issue,
        )
        for s in sf.statements
    ]


def _actor_text(v: Any) -> tuple[str, ...]:
    if v is None or v == "":
        return ()
    if isinstance(v, str):
        return (v,)
    if isinstance(v, Mapping):
        code = v.get("code") or v.get("actorText")
        return (str(code),) if code else ()
    if isinstance(v, list):
        return tuple(x for item in v for x in _actor_text(item))
    return ()


def _plover_records(doc: list[Any], file: str) -> list[CodingInput]:
    problems = _Problems(file)
    out: list[CodingInput] = []
    for k, rec in enumerate(doc):
        where = f"record {k}"
        if not isinstance(rec, Mapping):
            problems.add(f"{where}: expected an object with `id` and `text`", code="plover-record")
            continue
        if rec.get("event") == "DOCUMENT" and "text" not in rec:
            continue  # the file's own documentation record
        rid, text = rec.get("id"), rec.get("text")
        if not isinstance(rid, str) or not rid:
            problems.add(f"{where}: `id` must be a non-empty string", code="plover-record")
            continue
        if not isinstance(text, str) or not text.strip():
            problems.add(f"{where} ({rid}): `text` is empty", code="empty-text")
            continue
        if len(text) > MAX_TEXT_CHARS:
            problems.add(
                f"{where} ({rid}): text of {len(text)} characters is over the limit of "
                f"{MAX_TEXT_CHARS}",
                code="text-too-long",
            )
            continue
        date = rec.get("date")
        if date is not None:
            try:
                dt.date.fromisoformat(str(date))
            except ValueError:
                problems.add(
                    f"{where} ({rid}): date {date!r} does not parse",
                    code="bad-date",
                    expected="YYYY-MM-DD",
                )
                continue
        src = _actor_text(rec.get("source"))
        lang = rec.get("language") if isinstance(rec.get("language"), str) else "en"
        gold = rec.get("event") if isinstance(rec.get("event"), str) else None
        mode = rec.get("mode") if isinstance(rec.get("mode"), str) else None
        out.append(
            CodingInput(
                id=rid,
                text=text,
                language=str(lang),
                source=";".join(src) or None,
                target=_actor_text(rec.get("target")),
                date=str(date) if date is not None else None,
                gold=gold,
                gold_mode=mode or None,
            )
        )
        if len(out) > MAX_STATEMENTS:
            problems.add(f"more than {MAX_STATEMENTS} records", code="too-many")
            break
    problems.raise_if_any("the PLOVER records")
    return out


def read_coding_inputs(path: str | Path) -> tuple[list[CodingInput], StatementsFile | None]:
    """What ``statements code`` reads: a statements file, or a JSON array of PLOVER records.

    Returns:
        The coding inputs, and the statements file when it was one.
    """
    p = Path(path)
    if p.suffix.lower() == ".json":
        text = _read_text(p)
        try:
            doc = boundedjson.loads(text)
        except json.JSONDecodeError as exc:
            raise CaseError(
                f"{p}: not valid JSON",
                [
                    Diagnostic(
                        exc.msg, str(p), exc.lineno, exc.colno, code=boundedjson.error_code(exc)
                    )
                ],
            ) from None
        if _is_plover_array(doc):
            return _plover_records(doc, str(p)), None
        sf = _from_json(doc, str(p))
        return coding_inputs(sf), sf
    sf = read_statements(p)
    return coding_inputs(sf), sf
