"""The plain BDM table: ``Actor,Capability,Position,Salience``, one issue per file.

This is the input table of Bueno de Mesquita's expected-utility model as printed by
Bueno de Mesquita (1994) and used by Scholz, Calbert & Smith (2011): one row per actor,
positions in any unit (years, percent, ...), salience in [0, 1], capability on any
non-negative scale. ``docs/formats/bdm.md`` describes the mapping to a case.

Public BDM tables name the columns in several ways (``name,capability,position,
salience``, ``capabilities``, ``Stakeholder,Resources,Position,Salience``) and often carry
more columns (``resolve``, actor types). Each role is found under any of its names
(:data:`ALIASES`); other columns are ignored with a warning and kept in
``case.extensions["bdm"]`` so that writing the table back loses nothing.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from detente.case.formats._text import format_number, split_lines
from detente.case.ids import make_id
from detente.case.model import (
    Actor,
    Capability,
    Case,
    CaseInfo,
    Issue,
    Position,
    PositionEstimate,
    Salience,
    Scale,
)
from detente.errors import CaseError, Diagnostic

__all__ = ["ALIASES", "COLUMNS", "ISSUE_ID", "header_roles", "read_bdm", "write_bdm"]

COLUMNS = ("Actor", "Capability", "Position", "Salience")
"""The table's columns, in the order written."""

ALIASES: dict[str, tuple[str, ...]] = {
    "Actor": ("actor", "name", "stakeholder", "player", "actors", "stakeholders", "players"),
    "Capability": ("capability", "capabilities", "resources", "power", "influence", "clout"),
    "Position": ("position", "positions", "pos"),
    "Salience": ("salience", "saliences", "importance"),
}
"""Header names accepted for each column (compared without case, spaces and ``_``)."""

ISSUE_ID = "issue"
"""Id of the single issue a BDM table holds."""


def _norm(name: str) -> str:
    return name.strip().lower().replace(" ", "").replace("_", "")


def header_roles(names: list[str]) -> dict[str, int] | None:
    """Column index of each role when ``names`` is a BDM header, else ``None``.

    A role found under two names takes the first column in :data:`ALIASES` order (an
    ``Actor`` column wins over ``Name``); the other column is an extra one.
    """
    normed = [_norm(n) for n in names]
    roles: dict[str, int] = {}
    for role, aliases in ALIASES.items():
        for alias in aliases:
            if alias in normed:
                roles[role] = normed.index(alias)
                break
    if len(roles) != len(COLUMNS) or "issue" in normed:
        return None
    return roles


def _fields(line: str) -> list[tuple[str, int]]:
    """Split one CSV line into ``(value, 1-based column)`` pairs (double quotes allowed)."""
    out: list[tuple[str, int]] = []
    k, n = 0, len(line)
    while True:
        start = k
        if k < n and line[k] == '"':
            k += 1
            buf = []
            while k < n:
                if line[k] == '"':
                    if k + 1 < n and line[k + 1] == '"':
                        buf.append('"')
                        k += 2
                        continue
                    k += 1
                    break
                buf.append(line[k])
                k += 1
            while k < n and line[k] != ",":  # text after a closing quote is kept
                buf.append(line[k])
                k += 1
            out.append(("".join(buf), start + 1))
        else:
            end = line.find(",", k)
            end = n if end < 0 else end
            out.append((line[k:end], start + 1))
            k = end
        if k >= n:
            return out
        k += 1  # skip the comma
        if k == n:
            out.append(("", k + 1))
            return out


def _number(
    text: str, where: tuple[str, int, int], what: str, diags: list[Diagnostic]
) -> float | None:
    file, line, col = where
    try:
        value = float(text.strip())
    except ValueError:
        diags.append(
            Diagnostic(
                f"{what} '{text.strip()}' is not a number",
                file,
                line,
                col,
                expected=f"a number for {what}",
                hint="use a decimal point, no units or percent signs",
                code="bdm-not-a-number",
            )
        )
        return None
    if not math.isfinite(value):
        diags.append(
            Diagnostic(
                f"{what} '{text.strip()}' is not a finite number",
                file,
                line,
                col,
                expected="a finite number",
                hint="replace NaN or infinity by a value",
                code="bdm-not-finite",
            )
        )
        return None
    return value


def _scale(positions: list[float]) -> tuple[float, float]:
    """0-100 when every position fits, else the range of the data (widened if flat)."""
    lo, hi = min(positions), max(positions)
    if lo >= 0.0 and hi <= 100.0:
        return 0.0, 100.0
    if lo == hi:
        return lo - 1.0, hi + 1.0
    return lo, hi


def read_bdm(text: str, file: str, warnings: list[Diagnostic] | None = None) -> list[Case]:
    """Read a BDM table into one case with one issue.

    Args:
        text: The file's text.
        file: The file name (used for diagnostics and the case id).
        warnings: Receives a warning per thing read but ignored (extra columns).

    Returns:
        A list holding one :class:`Case`.

    Raises:
        CaseError: With one located diagnostic per problem (all problems at once).
    """
    diags: list[Diagnostic] = []
    lines = split_lines(text)
    header_no = next((k for k, ln in enumerate(lines) if ln.strip()), None)
    if header_no is None:
        raise CaseError(
            f"{file}: empty BDM table",
            [
                Diagnostic(
                    "the file is empty",
                    file,
                    1,
                    1,
                    expected="a header line " + ",".join(COLUMNS),
                    hint="see docs/formats/bdm.md",
                    code="bdm-empty",
                )
            ],
        )
    header = _fields(lines[header_no])
    names = [h.strip() for h, _ in header]
    roles = header_roles(names)
    if roles is None:
        found = {
            role for role, aliases in ALIASES.items() if any(_norm(n) in aliases for n in names)
        }
        for col in COLUMNS:
            if col not in found:
                diags.append(
                    Diagnostic(
                        f"the header has no '{col}' column",
                        file,
                        header_no + 1,
                        1,
                        expected=f"a column named {' or '.join(repr(a) for a in ALIASES[col][:3])}",
                        hint="the first non-empty line names the columns (docs/formats/bdm.md)",
                        code="bdm-header",
                    )
                )
        if not diags:  # every role is there, but so is an `issue` column
            diags.append(
                Diagnostic(
                    "the header has an 'issue' column: this is a tidy table, not a BDM table",
                    file,
                    header_no + 1,
                    1,
                    expected="a BDM table (one issue) or --from csv",
                    code="bdm-header",
                )
            )
        raise CaseError(f"{file}: not a BDM table", diags)
    index = roles
    extra_cols = [k for k in range(len(names)) if k not in set(roles.values())]
    if extra_cols:
        listed = ", ".join(repr(names[k]) for k in extra_cols)
        warnings_out = warnings if warnings is not None else []
        warnings_out.append(
            Diagnostic(
                f"column(s) {listed} ignored: the BDM model reads actor, capability, "
                "position and salience",
                file,
                header_no + 1,
                header[extra_cols[0]][1],
                hint="kept in extensions.bdm and written back on export",
                code="bdm-extra-columns",
                severity="warning",
            )
        )
    extra: dict[str, dict[str, str]] = {names[k] or f"column{k + 1}": {} for k in extra_cols}

    actors: list[Actor] = []
    positions: list[Position] = []
    values: list[float] = []
    taken: set[str] = set()
    seen: dict[str, int] = {}
    for k in range(header_no + 1, len(lines)):
        raw = lines[k]
        if not raw.strip():
            continue
        line_no = k + 1
        row = _fields(raw)
        if len(row) != len(header):
            diags.append(
                Diagnostic(
                    f"row has {len(row)} field(s), the header {len(header)}",
                    file,
                    line_no,
                    1,
                    expected=",".join(COLUMNS),
                    hint='quote names that contain commas: "Korea, Republic of"',
                    code="bdm-row-length",
                )
            )
            continue
        name, name_col = row[index["Actor"]]
        name = name.strip()
        if not name:
            diags.append(
                Diagnostic(
                    "empty actor name",
                    file,
                    line_no,
                    name_col,
                    expected="the actor's name",
                    code="bdm-empty-name",
                )
            )
            continue
        if name in seen:
            diags.append(
                Diagnostic(
                    f"actor '{name}' appears twice (first on line {seen[name]})",
                    file,
                    line_no,
                    name_col,
                    expected="one row per actor",
                    hint="a BDM table holds one issue; merge or rename the rows",
                    code="bdm-duplicate-actor",
                )
            )
            continue
        seen[name] = line_no
        for k in extra_cols:
            extra[names[k] or f"column{k + 1}"][name] = row[k][0].strip()
        cap_text, cap_col = row[index["Capability"]]
        pos_text, pos_col = row[index["Position"]]
        sal_text, sal_col = row[index["Salience"]]
        cap = _number(cap_text, (file, line_no, cap_col), "capability", diags)
        pos = _number(pos_text, (file, line_no, pos_col), "position", diags)
        sal = _number(sal_text, (file, line_no, sal_col), "salience", diags)
        if cap is not None and cap < 0:
            diags.append(
                Diagnostic(
                    f"capability {cap:g} is negative",
                    file,
                    line_no,
                    cap_col,
                    expected="capability >= 0",
                    hint="only ratios of capabilities matter; any non-negative scale works",
                    code="bdm-capability-range",
                )
            )
            cap = None
        if sal is not None and not 0.0 <= sal <= 1.0:
            diags.append(
                Diagnostic(
                    f"salience {sal:g} is outside 0-1",
                    file,
                    line_no,
                    sal_col,
                    expected="salience between 0 and 1",
                    hint="divide percentages by 100 (80 -> 0.8)",
                    code="bdm-salience-range",
                )
            )
            sal = None
        if cap is None or pos is None or sal is None:
            continue
        actor_id = make_id(name, "actor", taken)
        actors.append(Actor(id=actor_id, name=name))
        positions.append(
            Position(
                actor=actor_id,
                issue=ISSUE_ID,
                position=PositionEstimate(value=pos),
                salience=Salience(value=sal),
                capability=Capability(value=cap),
            )
        )
        values.append(pos)
    if not diags and not actors:
        diags.append(
            Diagnostic(
                "the table has no actor rows",
                file,
                header_no + 1,
                1,
                expected="one row per actor under the header",
                code="bdm-no-rows",
            )
        )
    if diags:
        raise CaseError(f"{file}: {len(diags)} problem(s) in the BDM table", diags)
    lo, hi = _scale(values)
    stem = Path(file).stem or "bdm"
    case = Case(
        case=CaseInfo(
            id=make_id(stem, "bdm"),
            title=f"BDM table {Path(file).name}",
            require_sources=False,
        ),
        actors=actors,
        issues=[
            Issue(
                id=ISSUE_ID,
                question=f"The issue of the BDM table {Path(file).name}",
                scale=Scale(min=lo, max=hi),
            )
        ],
        positions=positions,
        extensions={"bdm": {"extra_columns": extra}} if extra else {},
    )
    return [case]


_fmt = format_number


def _quote(name: str) -> str:
    if any(ch in name for ch in ',"\n\r') or name != name.strip():
        return '"' + name.replace('"', '""') + '"'
    return name


def write_bdm(case: Case) -> str:
    """Write a one-issue case as a BDM table (names, capability, position, salience).

    Raises:
        CaseError: If the case has more than one issue, or an actor lacks a position or
            a capability on it (the table cannot hold those).
    """
    if len(case.issues) != 1:
        raise CaseError(
            f"a BDM table holds one issue; case '{case.case.id}' has {len(case.issues)}",
            [
                Diagnostic(
                    "cannot write several issues to one BDM table",
                    expected="a case with exactly one issue",
                    hint="export to yaml, csv or ktab-csv instead, or one file per issue",
                    code="bdm-one-issue",
                )
            ],
        )
    issue = case.issues[0].id
    default_cap = {a.id: a.capability for a in case.actors}
    by_actor = {p.actor: p for p in case.positions if p.issue == issue}
    ext = case.extensions.get("bdm") if case.extensions else None
    raw_extra = ext.get("extra_columns") if isinstance(ext, dict) else None
    extra: dict[str, Any] = raw_extra if isinstance(raw_extra, dict) else {}
    buf = io.StringIO()
    buf.write(",".join([*COLUMNS, *(_quote(str(c)) for c in extra)]) + "\n")
    problems: list[Diagnostic] = []
    for actor in case.actors:
        p = by_actor.get(actor.id)
        if p is None or p.position is None:
            continue  # an actor without a position on the issue has no row
        cap = p.capability if p.capability is not None else default_cap.get(actor.id)
        if cap is None:
            problems.append(
                Diagnostic(
                    f"actor '{actor.id}' has no capability",
                    expected="a capability on the position or the actor",
                    hint="BDM tables need a capability for every actor",
                    code="bdm-no-capability",
                )
            )
            continue
        cells = [
            _quote(actor.name),
            _fmt(cap.value),
            _fmt(p.position.value),
            _fmt(p.salience.value),
        ]
        for values in extra.values():
            got = values.get(actor.name, "") if isinstance(values, dict) else ""
            cells.append(_quote(str(got)))
        buf.write(",".join(cells) + "\n")
    if problems:
        raise CaseError("cannot write the case as a BDM table", problems)
    return buf.getvalue()
