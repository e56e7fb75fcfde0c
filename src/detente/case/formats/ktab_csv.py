"""KTAB's SMP CSV scenario (``SMPModel::csvRead`` in KTAB's ``smpread.cpp``).

Line 1 ``name, description, #actors, #dimensions``; line 2 the header ``Actor,
Description, Power, <dim 1 position>, <dim 1 salience>, ...``; then one row per actor
with its power and, per dimension, a position (0-100) and a salience (0-100).

KTAB's reader takes the fields it needs from each line and ignores the rest: its own
``dummyData_6Dim.csv`` has a fifth field on line 1. detente does the same and says in a
warning what it ignored (extra fields on line 1, extra header columns, extra fields on
actor rows). Fields are trimmed; quotes follow CSV rules; line endings may be LF, CR LF
or CR. The mapping to a case is in :mod:`._ktab`.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from detente.case.formats._ktab import (
    _ActorRow,
    _build_case,
    _check_values,
    _diag,
    _duplicate_names,
    _number,
    _Scenario,
    _scenario_from_case,
    format_number,
    format_salience,
)
from detente.case.formats._text import split_lines
from detente.case.model import Case
from detente.errors import CaseError, Diagnostic

__all__ = ["read_ktab_csv", "write_ktab_csv"]


def _csv_rows(text: str) -> list[tuple[int, list[str], list[int]]]:
    """Non-blank CSV rows as (line number, stripped fields, 1-based field columns)."""
    out: list[tuple[int, list[str], list[int]]] = []
    for lineno, raw in enumerate(split_lines(text), start=1):
        if not raw.strip():
            continue
        fields = next(csv.reader([raw], skipinitialspace=False))
        cols: list[int] = []
        pos = 0
        for f in fields:  # approximate column of each field (exact without quotes)
            cols.append(pos + 1)
            pos += len(f) + 1
        out.append((lineno, [f.strip() for f in fields], cols))
    return out


def _drop_trailing_empty(fields: list[str]) -> list[str]:
    out = list(fields)
    while out and out[-1] == "":
        out.pop()
    return out


def _ignored(
    warnings: list[Diagnostic], file: str, line: int, column: int, what: str, fields: list[str]
) -> None:
    shown = ", ".join(repr(f) for f in fields[:4]) + (", ..." if len(fields) > 4 else "")
    warnings.append(
        Diagnostic(
            f"{what}: {len(fields)} extra field(s) ignored ({shown}), as KTAB's reader does",
            file,
            line,
            column,
            hint="KTAB reads only the fields its layout names; the rest is not used",
            code="ktab-ignored",
            severity="warning",
        )
    )


def read_ktab_csv(text: str, file: str, warnings: list[Diagnostic] | None = None) -> list[Case]:
    """Read a KTAB SMP CSV scenario (``SMPModel::csvRead``) as one case.

    Like KTAB's reader, takes the fields the layout names from each line and ignores
    the rest (``warnings`` says what was ignored); rows after the announced number of
    actors are ignored too.

    Raises:
        CaseError: Listing every malformed line, field and value found.
    """
    rows = _csv_rows(text)
    if len(rows) < 2:
        raise CaseError(
            f"{file}: not a KTAB CSV scenario",
            [
                _diag(
                    "the file has fewer than two lines",
                    file,
                    len(rows) + 1 if rows else 1,
                    expected="a line 'name, description, #actors, #dimensions' and a header "
                    "line 'Actor, Description, Power, Position, Salience, ...'",
                    code="ktab-header",
                )
            ],
        )
    notes: list[Diagnostic] = []
    diags: list[Diagnostic] = []
    line1, head, head_cols = rows[0]
    head = _drop_trailing_empty(head)
    n_actors = n_dims = None
    if len(head) > 4:
        _ignored(notes, file, line1, head_cols[4], "line 1", head[4:])
        head = head[:4]
    if len(head) != 4:
        diags.append(
            _diag(
                f"the first line has {len(head)} fields",
                file,
                line1,
                1,
                expected="4 fields: scenario name, description, number of actors, "
                "number of dimensions",
                hint="e.g. 'My scenario, What it is about, 7, 3,'",
                code="ktab-header",
            )
        )
    else:
        for k, what in ((2, "actors"), (3, "dimensions")):
            try:
                value = int(head[k])
            except ValueError:
                value = -1
            if value < 1:
                diags.append(
                    _diag(
                        f"number of {what} '{head[k]}' is not a positive whole number",
                        file,
                        line1,
                        head_cols[k],
                        expected=f"the number of {what}, a whole number >= 1",
                        code="ktab-header",
                    )
                )
            elif k == 2:
                n_actors = value
            else:
                n_dims = value
    if diags or n_actors is None or n_dims is None:
        raise CaseError(f"{file}: malformed KTAB CSV header", diags)
    name, description = head[0], head[1]

    line2, header, _hcols = rows[1]
    header = _drop_trailing_empty(header)
    width = 3 + 2 * n_dims
    if len(header) > width:
        _ignored(notes, file, line2, _hcols[width], "the column header", header[width:])
        header = header[:width]
    if len(header) != width:
        raise CaseError(
            f"{file}: malformed KTAB CSV header",
            [
                _diag(
                    f"the column header has {len(header)} fields, but {n_dims} dimension(s) "
                    f"need {width}",
                    file,
                    line2,
                    1,
                    expected="Actor, Description, Power, then a position and a salience "
                    "column per dimension",
                    hint="check the number of dimensions on line 1",
                    code="ktab-columns",
                )
            ],
        )
    dims = [header[3 + 2 * k] for k in range(n_dims)]
    sal_labels = [header[4 + 2 * k] for k in range(n_dims)]

    body = rows[2:]
    if len(body) < n_actors:
        diags.append(
            _diag(
                f"line 1 announces {n_actors} actor(s) but {len(body)} actor row(s) follow",
                file,
                body[-1][0] + 1 if body else line2 + 1,
                1,
                expected=f"{n_actors} actor rows",
                hint="fix the actor count on line 1 or add the missing rows",
                code="ktab-actor-count",
            )
        )
    elif len(body) > n_actors:
        notes.append(
            Diagnostic(
                f"{len(body) - n_actors} row(s) after the {n_actors} actor(s) announced on "
                "line 1 ignored, as KTAB's reader does",
                file,
                body[n_actors][0],
                1,
                hint="raise the actor count on line 1 if these rows are actors",
                code="ktab-ignored",
                severity="warning",
            )
        )
        body = body[:n_actors]
    actors: list[_ActorRow] = []
    long_rows: list[tuple[int, int, list[str]]] = []
    for lineno, fields, cols in body:
        fields = _drop_trailing_empty(fields)
        if len(fields) > width:
            long_rows.append((lineno, cols[width], fields[width:]))
            fields = fields[:width]
        if len(fields) != width:
            diags.append(
                _diag(
                    f"actor row has {len(fields)} fields",
                    file,
                    lineno,
                    cols[min(len(fields), len(cols) - 1)] if cols else 1,
                    expected=f"{width} fields: name, description, power, and a position "
                    f"and salience for each of {n_dims} dimension(s)",
                    hint="a missing or extra comma shifts every later column",
                    code="ktab-columns",
                )
            )
            continue
        actor = fields[0]
        if not actor:
            diags.append(
                _diag(
                    "actor name is empty",
                    file,
                    lineno,
                    1,
                    expected="a non-empty actor name",
                    code="ktab-actor",
                )
            )
        values: list[float | None] = []
        bad = False
        for k in range(2, width):
            x = _number(fields[k])
            what = "power" if k == 2 else ("position" if k % 2 == 1 else "salience")
            if what == "position" and fields[k] == "":
                values.append(None)  # no position (as an empty <dCoord> in XML)
                continue
            if x is None:
                diags.append(
                    _diag(
                        f"actor '{actor}': {what} '{fields[k]}' is not a number",
                        file,
                        lineno,
                        cols[k],
                        expected=f"a number for the {what}",
                        hint="use a dot as decimal separator, no units or percent signs",
                        code="not-a-number",
                    )
                )
                bad = True
                x = math.nan  # reported; NaN keeps the other checks going
            values.append(x)
        cap = values[0] if values[0] is not None else math.nan
        pos: list[float | None] = [values[1 + 2 * k] for k in range(n_dims)]
        sal = [v if (v := values[2 + 2 * k]) is not None else math.nan for k in range(n_dims)]
        col_of: dict[str, int | None] = {"power": cols[2]}
        for k in range(n_dims):
            col_of[f"pos{k}"] = cols[3 + 2 * k]
            col_of[f"sal{k}"] = cols[4 + 2 * k]
        diags += _check_values(file, lineno, col_of, actor, cap, pos, sal, dims)
        if bad:
            continue
        actors.append(_ActorRow(actor, fields[1] or None, cap, pos, sal, lineno))
    diags += _duplicate_names(file, actors)
    if diags:
        raise CaseError(f"{file}: {len(diags)} problem(s) in the KTAB CSV scenario", diags)
    if long_rows:
        first_line, first_col, extra = long_rows[0]
        what = "actor row" if len(long_rows) == 1 else f"{len(long_rows)} actor rows, the first"
        _ignored(notes, file, first_line, first_col, what, extra)
    if warnings is not None:
        warnings.extend(notes)
    ext: dict[str, Any] = {
        "format": "csv",
        "power_label": header[2],
        "salience_labels": sal_labels,
    }
    sc = _Scenario(name, description or None, dims, actors, ext)
    return [_build_case(sc, file)]


def write_ktab_csv(case: Case) -> str:
    """The case as a KTAB SMP CSV scenario.

    KTAB's CSV needs a position for every actor and dimension; a missing position is
    written as an empty field (KTAB's own reader would refuse it; detente reads it back
    as "no position"). Actors have one capability in KTAB: the actor's own, else the
    capability given on its first position.
    """
    sc = _scenario_from_case(case)
    ext = sc.extensions
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([sc.name, sc.description or "", len(sc.actors), len(sc.dimensions), ""])
    sal_labels = ext.get("salience_labels")
    if not (isinstance(sal_labels, list) and len(sal_labels) == len(sc.dimensions)):
        sal_labels = [f"Sal{k + 1}" for k in range(len(sc.dimensions))]
    header = ["Actor", "Description", str(ext.get("power_label", "Power"))]
    for d, s in zip(sc.dimensions, sal_labels, strict=True):
        header += [d, str(s)]
    w.writerow([*header, ""])
    for a in sc.actors:
        row = [a.name, a.description or "", format_number(a.capability)]
        for p, s in zip(a.positions, a.saliences, strict=True):
            row += ["" if p is None else format_number(p), format_salience(s)]
        w.writerow([*row, ""])
    return buf.getvalue()
