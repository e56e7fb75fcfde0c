"""DEU III: the Decision-making in the European Union dataset, one case per issue.

Reads the tab-separated layout described in ``data/deu3/README.md`` (Arregui &
Perarnaud 2021, "The Decision-making in the European Union (DEU III) dataset", data DOI
10.34810/data53): a header row, a second row with each actor's GDP under its position
column (used as capability), then one row per issue with proposal metadata, the
positions ``p<actor>`` and saliences ``s<actor>`` of the Commission, the European
Parliament and 28 member states, the reference point ``rp`` and the outcome ``out``, all
on 0-100.

Coding choices (see ``docs/formats/deu3.md``):

* A blank position means the actor has no position (it is absent from the case's
  ``positions``). Saliences given for actors without a position are dropped.
* DEU salience 0-100 becomes ``Salience(value / 100)``. A position whose salience is
  blank gets salience 0.5 (the midpoint, the usual DEU imputation) with a ``note``.
* ``rp`` becomes ``issue.status_quo`` and ``out`` becomes ``issue.outcome``.
* Every other column is kept verbatim (as text) in ``case.extensions["deu3"]``, so that
  nothing in the row is lost; the two dates are also parsed into ``case.start/end``.
  The redistributed file holds ``dd-mm-yy`` dates, some of which a spreadsheet turned
  into ``yyyy-mm-dd`` by reading them as ``yy-mm-dd`` (``2029-10-08`` is 29 October
  2008); both readings are undone. ``999`` means no date.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from detente.case.formats._text import split_lines
from detente.case.model import (
    ID_PATTERN,
    Actor,
    Capability,
    Case,
    CaseInfo,
    Issue,
    Position,
    PositionEstimate,
    Salience,
    Scale,
    Source,
)
from detente.errors import CaseError, Diagnostic

__all__ = ["ACTORS", "METADATA_COLUMNS", "SOURCE", "parse_deu_date", "read_deu"]

ACTORS: tuple[tuple[str, str, str], ...] = (
    ("com", "European Commission", "institution"),
    ("ep", "European Parliament", "institution"),
    ("at", "Austria", "state"),
    ("be", "Belgium", "state"),
    ("bu", "Bulgaria", "state"),
    ("cr", "Croatia", "state"),
    ("cy", "Cyprus", "state"),
    ("cz", "Czechia", "state"),
    ("dk", "Denmark", "state"),
    ("ee", "Estonia", "state"),
    ("fi", "Finland", "state"),
    ("fr", "France", "state"),
    ("de", "Germany", "state"),
    ("el", "Greece", "state"),
    ("hu", "Hungary", "state"),
    ("ie", "Ireland", "state"),
    ("it", "Italy", "state"),
    ("lv", "Latvia", "state"),
    ("lt", "Lithuania", "state"),
    ("lu", "Luxembourg", "state"),
    ("mt", "Malta", "state"),
    ("nl", "Netherlands", "state"),
    ("pl", "Poland", "state"),
    ("pt", "Portugal", "state"),
    ("ro", "Romania", "state"),
    ("si", "Slovenia", "state"),
    ("sk", "Slovakia", "state"),
    ("es", "Spain", "state"),
    ("se", "Sweden", "state"),
    ("uk", "United Kingdom", "state"),
)
"""DEU III actor codes, readable names and kinds, in the file's column order."""

METADATA_COLUMNS = (
    "prnrnmc",
    "isnrnmc",
    "prnr",
    "prname",
    "isnr",
    "type",
    "council",
    "proc",
    "counvte",
    "proccde",
    "issues",
    "intro",
    "finact",
)
"""Proposal and issue columns kept verbatim in ``case.extensions["deu3"]``."""

_REQUIRED = ("prnr", "prname", "isnr", "rp", "out")

SOURCE = Source(
    id="deu3",
    citation=(
        "Arregui, J. & Perarnaud, C. (2021). A new dataset on legislative decision-making "
        "in the European Union: the DEU III dataset. Journal of European Public Policy. "
        "Data: DOI 10.34810/data53 (CC BY 4.0)."
    ),
    kind="dataset",
    bias="Positions coded from expert interviews; the outcome is the researchers' reading "
    "of the adopted act.",
)

MISSING_SALIENCE = 0.5
"""Salience given to a position whose DEU salience is blank (the midpoint of the scale)."""

_ID_RE = re.compile(ID_PATTERN)


@dataclass(frozen=True)
class _Cell:
    text: str
    line: int
    column: int


def _split(line_text: str, line: int) -> list[_Cell]:
    """Split one tab-separated line, unquoting ``"..."`` fields; columns are 1-based chars."""
    cells: list[_Cell] = []
    col = 1
    for raw in line_text.split("\t"):
        text = raw.strip()
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            text = text[1:-1].replace('""', '"')
        cells.append(_Cell(text, line, col))
        col += len(raw) + 1
    return cells


def parse_deu_date(text: str) -> dt.date | None:
    """Parse a DEU III date cell; ``None`` for ``999`` or blank.

    Accepts ``dd-mm-yy``, ``dd-mm-yyyy`` and the spreadsheet-mangled ``yyyy-mm-dd`` that
    is really ``dd-mm-yy`` read as ``yy-mm-dd`` (the two-digit year is 19yy from 50 on).

    Raises:
        ValueError: If the text is none of these.
    """
    text = text.strip()
    if text in ("", "999"):
        return None
    if m := re.fullmatch(r"(\d{2})-(\d{2})-(\d{2})", text):
        day, month, yy = map(int, m.groups())
        year = 2000 + yy if yy < 50 else 1900 + yy
    elif m := re.fullmatch(r"(\d{2})-(\d{2})-(\d{4})", text):
        day, month, year = map(int, m.groups())
    elif m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        mangled_year, month, yy = map(int, m.groups())
        day = mangled_year % 100
        year = 2000 + yy if yy < 50 else 1900 + yy
    else:
        raise ValueError(f"'{text}' is not a date")
    return dt.date(year, month, day)


class _Reader:
    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.diags: list[Diagnostic] = []

    def error(self, message: str, cell: _Cell | None, line: int | None = None, **kw: Any) -> None:
        self.diags.append(
            Diagnostic(
                message,
                self.file,
                cell.line if cell else line,
                cell.column if cell else None,
                **kw,
            )
        )

    def number(self, cell: _Cell, what: str, *, lo: float | None, hi: float | None) -> float | None:
        """The cell as a number, ``None`` when blank; records a diagnostic when bad."""
        if cell.text == "":
            return None
        try:
            value = float(cell.text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self.error(
                f"{what} '{cell.text}' is not a number",
                cell,
                expected="a number"
                + (f" in [{lo:g}, {hi:g}]" if lo is not None and hi is not None else ""),
                hint="leave the cell blank when the actor has no position",
                code="not-a-number",
            )
            return None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.error(
                f"{what} {value:g} is outside [{lo:g}, {hi:g}]",
                cell,
                expected=f"a number in [{lo:g}, {hi:g}]",
                hint="DEU III codes positions, saliences, reference points and outcomes on 0-100",
                code="out-of-range",
            )
            return None
        return value

    def read(self) -> list[Case]:
        lines = split_lines(self.text)
        rows = [(k + 1, ln) for k, ln in enumerate(lines) if ln.strip() != ""]
        if not rows:
            raise CaseError(
                f"{self.file}: empty DEU III file",
                [
                    Diagnostic(
                        "the file is empty",
                        self.file,
                        code="empty",
                        expected="a header row, a GDP row and one row per issue",
                    )
                ],
            )
        header = _split(rows[0][1], rows[0][0])
        names = [c.text.lower() for c in header]
        index = {n: k for k, n in enumerate(names)}
        missing = [c for c in _REQUIRED if c not in index]
        missing += [f"{p}{a}" for a, _, _ in ACTORS for p in ("p", "s") if f"{p}{a}" not in index]
        if missing:
            self.error(
                f"header lacks column(s) {', '.join(missing)}",
                header[0],
                expected="the DEU III header: prnr, prname, isnr, ..., p<actor>, s<actor>, rp, out",
                hint="see docs/formats/deu3.md for the layout",
                code="missing-column",
            )
            raise CaseError(f"{self.file}: not a DEU III file", self.diags)
        width = len(header)
        if len(rows) < 2 or not self._is_gdp_row(_split(rows[1][1], rows[1][0]), index):
            line = rows[1][0] if len(rows) > 1 else rows[0][0] + 1
            self.error(
                "the second row is not the GDP row",
                None,
                line,
                expected="a row with no proposal number and each actor's GDP under p<actor>",
                hint="DEU III files carry GDP (used as capability) in row 2; add it",
                code="missing-gdp",
            )
            raise CaseError(f"{self.file}: DEU III file without its GDP row", self.diags)
        gdp_cells = _split(rows[1][1], rows[1][0])
        gdp: dict[str, float] = {}
        for code, _, _ in ACTORS:
            if len(gdp_cells) != width:
                break
            cell = gdp_cells[index[f"p{code}"]]
            value = self.number(cell, f"GDP of '{code}'", lo=0.0, hi=None)
            if value is None and cell.text == "":
                self.error(
                    f"GDP of '{code}' is blank",
                    cell,
                    expected="a non-negative number",
                    hint="every actor needs a GDP (capability) in row 2",
                    code="missing-gdp",
                )
            if value is not None:
                gdp[code] = value
        if len(gdp_cells) != width:
            self._width_error(gdp_cells, width, rows[1][0])
        cases: list[Case] = []
        seen: dict[str, int] = {}
        for line, text in rows[2:]:
            cells = _split(text, line)
            if len(cells) != width:
                self._width_error(cells, width, line)
                continue
            case = self._case(cells, index, gdp, line, seen)
            if case is not None:
                cases.append(case)
        if self.diags:
            n = len(self.diags)
            raise CaseError(
                f"{self.file}: {n} problem{'s' if n != 1 else ''} in DEU III data", self.diags
            )
        return cases

    @staticmethod
    def _is_gdp_row(cells: list[_Cell], index: dict[str, int]) -> bool:
        k = index["isnr"]
        if k < len(cells) and cells[k].text != "":
            return False
        p = index["pcom"]
        return p < len(cells) and cells[p].text != ""

    def _width_error(self, cells: list[_Cell], width: int, line: int) -> None:
        self.error(
            f"row has {len(cells)} fields, the header has {width}",
            None,
            line,
            expected=f"{width} tab-separated fields",
            hint="check for a missing or extra tab; blank cells still need their tab",
            code="field-count",
        )

    def _case(
        self,
        cells: list[_Cell],
        index: dict[str, int],
        gdp: dict[str, float],
        line: int,
        seen: dict[str, int],
    ) -> Case | None:
        n_before = len(self.diags)

        def cell(name: str) -> _Cell:
            return cells[index[name]]

        isnr = cell("isnr")
        if not _ID_RE.fullmatch(isnr.text):
            self.error(
                f"issue number '{isnr.text}' is not a usable id",
                isnr,
                expected="letters, digits and _ . : + - (e.g. d00032i1)",
                code="bad-id",
            )
        elif isnr.text in seen:
            self.error(
                f"issue '{isnr.text}' appears twice (first on line {seen[isnr.text]})",
                isnr,
                expected="one row per issue",
                code="duplicate-issue",
            )
        else:
            seen[isnr.text] = line
        rp = self.number(cell("rp"), "reference point", lo=0.0, hi=100.0)
        out = self.number(cell("out"), "outcome", lo=0.0, hi=100.0)
        positions: list[tuple[str, float, float | None]] = []
        for code, _, _ in ACTORS:
            x = self.number(cell(f"p{code}"), f"position of '{code}'", lo=0.0, hi=100.0)
            s = self.number(cell(f"s{code}"), f"salience of '{code}'", lo=0.0, hi=100.0)
            if x is not None:
                positions.append((code, x, s))
        meta = {c: cells[index[c]].text for c in METADATA_COLUMNS if c in index}
        known = (
            set(METADATA_COLUMNS)
            | {"rp", "out"}
            | {f"{p}{a}" for a, _, _ in ACTORS for p in ("p", "s")}
        )
        for name, k in index.items():
            if name not in known:
                meta[name] = cells[k].text
        dates: dict[str, dt.date | None] = {}
        for name in ("intro", "finact"):
            if name in index:
                try:
                    dates[name] = parse_deu_date(cell(name).text)
                except ValueError:
                    dates[name] = None
                    self.error(
                        f"{name} date '{cell(name).text}' is not a date",
                        cell(name),
                        expected="dd-mm-yy, dd-mm-yyyy, or 999 for none",
                        code="bad-date",
                    )
        if len(self.diags) > n_before or len(gdp) != len(ACTORS):
            return None  # (an incomplete GDP row is reported once, where it is)
        issue_no = isnr.text.rsplit("i", 1)[-1] if "i" in isnr.text else isnr.text
        prname, prnr = meta.get("prname", ""), meta.get("prnr", "")
        start, end = dates.get("intro"), dates.get("finact")
        if start and end and end < start:
            end = None  # never seen in the public file; keep the case readable
        try:
            return Case(
                case=CaseInfo(
                    id=isnr.text,
                    title=f"{prname} ({prnr}), issue {issue_no}",
                    start=start,
                    end=end,
                    place="Brussels",
                    summary=(
                        f"DEU III issue {isnr.text} of proposal {prnr} '{prname}': "
                        f"{meta.get('type', '?')} under {meta.get('proc', '?')}, Council vote "
                        f"{meta.get('counvte', '?')}, {meta.get('council', '?')} Council. "
                        "All numbers from the DEU III dataset."
                    ),
                    require_sources=False,
                ),
                sources=[SOURCE],
                actors=[
                    Actor(
                        id=code,
                        name=name,
                        kind=kind,
                        capability=Capability(value=gdp[code], note="GDP row of the DEU III file"),
                    )
                    for code, name, kind in ACTORS
                ],
                issues=[
                    Issue(
                        id=isnr.text,
                        question=(
                            f"{prname} ({prnr}), issue {issue_no}: where does the adopted "
                            "act land on the 0-100 scale?"
                        ),
                        scale=Scale(min=0.0, max=100.0),
                        status_quo=PositionEstimate(value=rp) if rp is not None else None,
                        outcome=PositionEstimate(value=out) if out is not None else None,
                    )
                ],
                positions=[
                    Position(
                        actor=code,
                        issue=isnr.text,
                        position=PositionEstimate(value=x),
                        salience=(
                            Salience(value=s / 100.0)
                            if s is not None
                            else Salience(
                                value=MISSING_SALIENCE,
                                note="salience blank in DEU III; set to 0.5",
                            )
                        ),
                    )
                    for code, x, s in positions
                ],
                extensions={"deu3": {**meta, "line": line}},
            )
        except ValidationError as exc:  # pragma: no cover - guarded by the checks above
            self.error(
                f"row does not make a valid case: {exc.errors()[0]['msg']}",
                None,
                line,
                code="invalid",
            )
            return None


def read_deu(text: str, file: str, warnings: list[Diagnostic] | None = None) -> list[Case]:
    """Read a DEU III tab-separated file: one :class:`Case` per issue row.

    Args:
        text: The file's text.
        file: Its name, for diagnostics.
        warnings: Receives warnings (none yet: every DEU III column has a place).

    Returns:
        The cases in file order; each has the 30 DEU actors, one issue, the positions
        that are not blank, and the row's metadata in ``extensions["deu3"]``.

    Raises:
        CaseError: Listing every problem (field counts, numbers that are not numbers or
            lie outside 0-100, a missing GDP row or column) with file, line and column.
    """
    return _Reader(text, file).read()
