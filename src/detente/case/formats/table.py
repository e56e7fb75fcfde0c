"""detente's tidy CSV table: one row per actor and issue.

The table carries what models need (positions, salience, capability, each with its
range and source id) plus actor names and issue questions. It does not carry the case
metadata, the sources list, scale anchors or rounds: use YAML or JSON for a complete,
lossless copy of a case. Reading a table gives a case with ``require_sources: false``.

Columns (header required, order free; only ``actor``, ``issue``, ``position``,
``salience`` and ``capability`` are mandatory)::

    actor, actor_name, issue, question, position, position_low, position_high,
    position_source, salience, salience_low, salience_high, salience_source,
    capability, capability_low, capability_high, capability_source, status_quo
"""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import ValidationError

from detente.case.checks import check_case, did_you_mean
from detente.case.formats._text import csv_records, format_number, parse_finite
from detente.case.ids import make_id
from detente.case.loader import finding_to_diagnostic
from detente.case.model import Actor, Case, CaseInfo, Issue, Position, Source
from detente.errors import CaseError, Diagnostic

__all__ = ["COLUMNS", "read_table", "write_table"]

COLUMNS = (
    "actor",
    "actor_name",
    "issue",
    "question",
    "position",
    "position_low",
    "position_high",
    "position_source",
    "salience",
    "salience_low",
    "salience_high",
    "salience_source",
    "capability",
    "capability_low",
    "capability_high",
    "capability_source",
    "status_quo",
)
_REQUIRED = ("actor", "issue", "position", "salience", "capability")
_NUMERIC = {c for c in COLUMNS if c.split("_")[0] in ("position", "salience", "capability")} - {
    "position_source",
    "salience_source",
    "capability_source",
} | {"status_quo"}


_num = format_number


def write_table(case: Case) -> str:
    """The case's actors x issues table as CSV (see module docstring for what it omits)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    actors = {a.id: a for a in case.actors}
    issues = {i.id: i for i in case.issues}
    for p in case.positions:
        a, i = actors[p.actor], issues[p.issue]
        cap = p.capability if p.capability is not None else a.capability
        row: dict[str, Any] = {
            "actor": a.id,
            "actor_name": a.name,
            "issue": i.id,
            "question": i.question,
            "status_quo": _num(i.status_quo.value) if i.status_quo else "",
        }
        for name, est in (("position", p.position), ("salience", p.salience), ("capability", cap)):
            if est is None:
                continue
            row[name] = _num(est.value)
            if est.range is not None:
                row[f"{name}_low"], row[f"{name}_high"] = _num(est.range[0]), _num(est.range[1])
            row[f"{name}_source"] = est.source or ""
        w.writerow([row.get(c, "") for c in COLUMNS])
    return buf.getvalue()


def read_table(text: str, file: str, warnings: list[Diagnostic] | None = None) -> list[Case]:
    """Read a tidy CSV table into a case (one issue per distinct ``issue`` value).

    Line endings may be LF, CR LF or CR alone (old Mac files); quoted fields may span
    lines. ``warnings`` is accepted for the common reader signature (a tidy table has
    no part that is read and ignored).

    Raises:
        CaseError: Listing every malformed cell with its line and column.
    """
    records = csv_records(text, file)
    if not records:
        raise CaseError(f"{file}: empty file", [Diagnostic("empty file", file, 1, 1, code="empty")])
    header_line, header_row = records[0]
    header = [h.strip() for h in header_row]
    diags: list[Diagnostic] = []
    for k, h in enumerate(header):
        if h and h not in COLUMNS:
            diags.append(
                Diagnostic(
                    f"unknown column '{h}'",
                    file,
                    header_line,
                    k + 1,
                    expected="one of " + ", ".join(COLUMNS),
                    hint=did_you_mean(h, COLUMNS) or "remove the column",
                    code="unknown-column",
                )
            )
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        diags.append(
            Diagnostic(
                f"missing column(s): {', '.join(missing)}",
                file,
                1,
                1,
                expected="a header with " + ", ".join(_REQUIRED),
                code="missing-column",
            )
        )
    if diags:
        raise CaseError(f"{file}: {len(diags)} error(s) in the header", diags)
    col = {h: k for k, h in enumerate(header)}
    actors: dict[str, Actor] = {}
    issues: dict[str, dict[str, Any]] = {}
    positions: list[Position] = []
    for line_no, raw in records[1:]:
        if not any(c.strip() for c in raw):
            continue
        if len(raw) != len(header):
            diags.append(
                Diagnostic(
                    f"row has {len(raw)} fields, the header has {len(header)}",
                    file,
                    line_no,
                    1,
                    expected=f"{len(header)} comma-separated fields",
                    hint="quote fields that contain commas",
                    code="field-count",
                )
            )
            continue
        cell = {h: raw[k].strip() for h, k in col.items()}
        bad = False
        for name in _NUMERIC & set(col):
            if cell[name] and parse_finite(cell[name]) is None:
                diags.append(
                    Diagnostic(
                        f"{name} '{cell[name]}' is not a finite number",
                        file,
                        line_no,
                        col[name] + 1,
                        expected="a number such as 42 or 0.5",
                        hint="NaN and infinity are not accepted",
                        code="not-a-number",
                    )
                )
                bad = True
        if bad:
            continue

        def est(name: str, cell: dict[str, str] = cell) -> dict[str, Any] | None:
            if not cell.get(name):
                return None
            out: dict[str, Any] = {"value": float(cell[name])}
            if cell.get(f"{name}_low") or cell.get(f"{name}_high"):
                out["range"] = (
                    float(cell.get(f"{name}_low") or cell[name]),
                    float(cell.get(f"{name}_high") or cell[name]),
                )
            if cell.get(f"{name}_source"):
                out["source"] = cell[f"{name}_source"]
            return out

        try:
            if cell["actor"] not in actors:
                actors[cell["actor"]] = Actor(
                    id=cell["actor"], name=cell.get("actor_name") or cell["actor"]
                )
            issue = issues.setdefault(
                cell["issue"],
                {"id": cell["issue"], "question": cell.get("question") or cell["issue"]},
            )
            if cell.get("status_quo"):
                issue["status_quo"] = float(cell["status_quo"])
            positions.append(
                Position.model_validate(
                    {
                        "actor": cell["actor"],
                        "issue": cell["issue"],
                        "position": est("position"),
                        "salience": est("salience"),
                        "capability": est("capability"),
                    }
                )
            )
        except ValidationError as exc:
            for e in exc.errors(include_url=False):
                name = str(e["loc"][0]) if e["loc"] else "row"
                diags.append(
                    Diagnostic(
                        f"{name}: {str(e['msg']).removeprefix('Value error, ')}",
                        file,
                        line_no,
                        col.get(name, 0) + 1,
                        code="invalid-value",
                    )
                )
    if diags:
        raise CaseError(f"{file}: {len(diags)} error(s); the table was not loaded", diags)
    if not positions:
        raise CaseError(f"{file}: the table has a header but no rows")
    title = file.rsplit("/", 1)[-1]
    stem = make_id(title.rsplit(".", 1)[0], "table")
    cited = sorted(
        {
            e.source
            for p in positions
            for e in (p.position, p.salience, p.capability)
            if e and e.source
        }
    )
    try:
        case = Case(
            case=CaseInfo(id=stem, title=title, require_sources=False),
            sources=[
                Source(
                    id=s,
                    citation=f"source '{s}' as cited in {title} (no details in the table)",
                    kind="other",
                )
                for s in cited
            ],
            actors=list(actors.values()),
            issues=[Issue.model_validate(i) for i in issues.values()],
            positions=positions,
        )
    except ValidationError as exc:
        raise CaseError(
            f"{file}: the table does not form a valid case",
            [
                Diagnostic(
                    f"{'.'.join(map(str, e['loc'])) or 'table'}: "
                    f"{str(e['msg']).removeprefix('Value error, ')}",
                    file,
                    expected="source ids of letters, digits and _ . : + -",
                    code="invalid-value",
                )
                for e in exc.errors(include_url=False)
            ],
        ) from None
    errors = [f for f in check_case(case) if f.severity == "error"]
    if errors:
        raise CaseError(
            f"{file}: {len(errors)} inconsistency(ies)",
            [finding_to_diagnostic(f, None, file) for f in errors],
        )
    return [case]
