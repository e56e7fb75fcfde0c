"""KTAB's scenario files: the SMP CSV table and the SMP XML scenario.

KTAB (KAPSARC Toolkit for Behavioral Analysis, MIT licence) reads scenarios for its
Spatial Model of Politics in two formats (``SMPModel::csvRead`` and
``SMPModel::xmlRead`` in ``examples/smp/libsrc/smpread.cpp``):

* **CSV**: line 1 ``name, description, #actors, #dimensions``; line 2 the header
  ``Actor, Description, Power, <dim 1 position>, <dim 1 salience>, ...``; then one row
  per actor with capability, and per dimension a position (0-100) and salience (0-100).
* **XML**: ``<Scenario>`` with ``name``, ``desc``, ``prngSeed``, optional
  ``ModelParameters``, ``Dimensions/dName``, ``Actors/Actor`` (``name``,
  ``description``, ``capability``, ``Position/dCoord``, ``Salience/dSal``) and optional
  ``IdealAdjustment/iaPair``.

Mapping to a :class:`~detente.case.model.Case`: power/influence/capability becomes
the actor's capability; a KTAB salience ``s`` (0-100) becomes ``s / 100``; positions
stay on the 0-100 scale of each issue; issue ids come from the dimension names (made
id-safe) and the original name is the issue's question; the scenario's name and
description become the case title and summary. Whatever has no place in a case (the
CSV's column labels, the XML's model parameters, seed and ideal adjustments) is kept in
``case.extensions["ktab"]`` so that writing the case back loses nothing. An empty
``<dCoord/>`` means the actor has no position on that issue.
"""

from __future__ import annotations

import csv
import io
import math
import re
import xml.parsers.expat
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from pydantic import ValidationError

from detente.case.checks import check_case
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
)
from detente.errors import CaseError, Diagnostic

__all__ = [
    "read_ktab_csv",
    "read_ktab_xml",
    "write_ktab_csv",
    "write_ktab_xml",
]

_ID_RE = re.compile(ID_PATTERN)
_MODEL_PARAMETERS = (
    "VictoryProbModel",
    "PCEModel",
    "StateTransitions",
    "VotingRule",
    "BigRAdjust",
    "BigRRange",
    "ThirdPartyCommit",
    "InterVecBrgn",
    "BargnModel",
)


# ----------------------------------------------------------------------------- helpers


def make_id(text: str, fallback: str, taken: set[str]) -> str:
    """An id-safe, unique version of ``text`` (letters, digits, ``_ . : + -``).

    Runs of other characters become ``-``; an empty result becomes ``fallback``; a
    clash gets ``-2``, ``-3``... appended. ``taken`` is updated.
    """
    base = re.sub(r"[^A-Za-z0-9_.:+-]+", "-", text.strip()).strip("-_.:+")[:60]
    if not base or not _ID_RE.match(base):
        base = fallback
    ident, n = base, 2
    while ident in taken:
        ident = f"{base}-{n}"
        n += 1
    taken.add(ident)
    return ident


def format_number(x: float) -> str:
    """The shortest decimal text that reads back as exactly ``x``."""
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def format_salience(s: float) -> str:
    """Salience ``s`` (0-1) as KTAB's 0-100 text that reads back (``/100``) as ``s``.

    ``0.07 * 100`` is ``7.000000000000001`` in binary floating point, so the plain
    product would not survive a round trip; this searches the shortest decimal ``d``
    with ``float(d) / 100 == s``. Saliences that no such decimal reproduces (not
    from a KTAB file) are written to 17 significant digits, the closest KTAB can hold.
    """
    for digits in range(0, 18):
        text = format_number(round(s * 100.0, digits))
        if float(text) / 100.0 == s:
            return text
    return format_number(float(f"{s * 100.0:.17g}"))


def _diag(
    message: str,
    file: str,
    line: int | None = None,
    column: int | None = None,
    *,
    expected: str | None = None,
    hint: str | None = None,
    code: str = "ktab",
) -> Diagnostic:
    return Diagnostic(message, file, line, column, expected=expected, hint=hint, code=code)


@dataclass
class _ActorRow:
    name: str
    description: str | None
    capability: float
    positions: list[float | None]
    saliences: list[float]
    line: int | None = None


@dataclass
class _Scenario:
    name: str
    description: str | None
    dimensions: list[str]
    actors: list[_ActorRow]
    extensions: dict[str, Any] = field(default_factory=dict)


def _build_case(sc: _Scenario, file: str) -> Case:
    """A validated case from a parsed scenario (raises CaseError on inconsistencies)."""
    taken_issue: set[str] = set()
    issue_ids = [make_id(d, f"dim{k + 1}", taken_issue) for k, d in enumerate(sc.dimensions)]
    taken_actor: set[str] = set()
    actor_ids = [make_id(a.name, f"actor{n + 1}", taken_actor) for n, a in enumerate(sc.actors)]
    case_id = make_id(sc.name, "ktab-scenario", set())
    try:
        issues = [Issue(id=i, question=d) for i, d in zip(issue_ids, sc.dimensions, strict=True)]
        actors = [
            Actor(
                id=aid,
                name=a.name,
                capability=Capability(value=a.capability),
                description=a.description,
            )
            for aid, a in zip(actor_ids, sc.actors, strict=True)
        ]
        positions = [
            Position(
                actor=aid,
                issue=iid,
                position=None if p is None else PositionEstimate(value=p),
                salience=Salience(value=s / 100.0),
            )
            for aid, a in zip(actor_ids, sc.actors, strict=True)
            for iid, p, s in zip(issue_ids, a.positions, a.saliences, strict=True)
        ]
        case = Case(
            case=CaseInfo(
                id=case_id,
                title=sc.name,
                summary=sc.description,
                require_sources=False,
            ),
            actors=actors,
            issues=issues,
            positions=positions,
            extensions={"ktab": sc.extensions} if sc.extensions else {},
        )
    except ValidationError as exc:  # pragma: no cover - values are checked before
        raise CaseError(
            f"{file}: the KTAB scenario does not form a valid case",
            [_diag(str(e["msg"]), file, code="invalid-value") for e in exc.errors()],
        ) from None
    findings = [f for f in check_case(case) if f.severity == "error"]
    if findings:
        raise CaseError(
            f"{file}: the KTAB scenario does not form a valid case",
            [
                _diag(f.message, file, expected=f.expected, hint=f.hint, code=f.code)
                for f in findings
            ],
        )
    return case


def _check_values(
    file: str,
    line: int | None,
    col_of: dict[str, int | None],
    actor: str,
    capability: float,
    positions: list[float | None],
    saliences: list[float],
    dims: list[str],
) -> list[Diagnostic]:
    """KTAB's own bounds: capability >= 0, positions and saliences in [0, 100]."""
    out: list[Diagnostic] = []
    # NaN marks a value already reported as not a number
    if not math.isnan(capability) and not (math.isfinite(capability) and capability >= 0):
        out.append(
            _diag(
                f"actor '{actor}': power {capability:g} is negative or not finite",
                file,
                line,
                col_of.get("power"),
                expected="a capability >= 0",
                hint="KTAB powers are non-negative numbers",
                code="out-of-range",
            )
        )
    total = 0.0
    for k, (p, s) in enumerate(zip(positions, saliences, strict=True)):
        if p is not None and not math.isnan(p) and not (0.0 <= p <= 100.0):
            out.append(
                _diag(
                    f"actor '{actor}': position {p:g} on '{dims[k]}' is outside 0-100",
                    file,
                    line,
                    col_of.get(f"pos{k}"),
                    expected="a position in [0, 100]",
                    hint="KTAB positions are on a 0-100 scale",
                    code="out-of-range",
                )
            )
        if math.isnan(s):
            continue
        if not (0.0 <= s <= 100.0):
            out.append(
                _diag(
                    f"actor '{actor}': salience {s:g} on '{dims[k]}' is outside 0-100",
                    file,
                    line,
                    col_of.get(f"sal{k}"),
                    expected="a salience in [0, 100]",
                    hint="KTAB saliences are percentages of attention, 0-100",
                    code="out-of-range",
                )
            )
        else:
            total += s
    if total > 100.0 + 1e-9:
        out.append(
            _diag(
                f"actor '{actor}': saliences add up to {total:g}, above 100",
                file,
                line,
                None,
                expected="saliences of one actor summing to at most 100",
                hint="KTAB splits at most 100% of an actor's attention across dimensions",
                code="out-of-range",
            )
        )
    return out


def _number(text: str) -> float | None:
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


# ----------------------------------------------------------------------------- CSV


def _csv_rows(text: str) -> list[tuple[int, list[str], list[int]]]:
    """Non-blank CSV rows as (line number, stripped fields, 1-based field columns)."""
    out: list[tuple[int, list[str], list[int]]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
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


def read_ktab_csv(text: str, file: str) -> list[Case]:
    """Read a KTAB SMP CSV scenario (``SMPModel::csvRead``) as one case.

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
    diags: list[Diagnostic] = []
    line1, head, head_cols = rows[0]
    head = _drop_trailing_empty(head)
    n_actors = n_dims = None
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
    if len(body) != n_actors:
        where = body[-1][0] + 1 if body else line2 + 1
        diags.append(
            _diag(
                f"line 1 announces {n_actors} actor(s) but {len(body)} actor row(s) follow",
                file,
                where if len(body) < n_actors else body[n_actors][0],
                1,
                expected=f"{n_actors} actor rows",
                hint="fix the actor count on line 1 or add/remove rows",
                code="ktab-actor-count",
            )
        )
    actors: list[_ActorRow] = []
    for lineno, fields, cols in body:
        fields = _drop_trailing_empty(fields)
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
    ext: dict[str, Any] = {
        "format": "csv",
        "power_label": header[2],
        "salience_labels": sal_labels,
    }
    sc = _Scenario(name, description or None, dims, actors, ext)
    return [_build_case(sc, file)]


def _duplicate_names(file: str, actors: list[_ActorRow]) -> list[Diagnostic]:
    seen: dict[str, int | None] = {}
    out: list[Diagnostic] = []
    for a in actors:
        if a.name in seen:
            out.append(
                _diag(
                    f"actor name '{a.name}' appears twice (first on line {seen[a.name]})",
                    file,
                    a.line,
                    1,
                    expected="unique actor names",
                    hint="rename or merge the two actors",
                    code="duplicate-id",
                )
            )
        else:
            seen[a.name] = a.line
    return out


def _scenario_from_case(case: Case) -> _Scenario:
    """The KTAB view of a case: dimensions, actors' capability, positions, saliences."""
    dims = [i.question for i in case.issues]
    index = {(p.actor, p.issue): p for p in case.positions}
    actors: list[_ActorRow] = []
    for a in case.actors:
        pos: list[float | None] = []
        sal: list[float] = []
        caps: list[float] = []
        for i in case.issues:
            p = index.get((a.id, i.id))
            pos.append(p.position.value if p is not None and p.position is not None else None)
            sal.append(p.salience.value if p is not None else 0.0)
            if p is not None and p.capability is not None:
                caps.append(p.capability.value)
        cap = a.capability.value if a.capability is not None else (caps[0] if caps else 0.0)
        actors.append(_ActorRow(a.name, a.description, cap, pos, sal))
    ext = case.extensions.get("ktab")
    return _Scenario(
        case.case.title, case.case.summary, dims, actors, dict(ext) if isinstance(ext, dict) else {}
    )


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


# ----------------------------------------------------------------------------- XML


@dataclass
class _El:
    tag: str
    line: int
    column: int
    attrs: dict[str, str]
    children: list[_El] = field(default_factory=list)
    text: str = ""

    def find(self, tag: str) -> _El | None:
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list[_El]:
        return [c for c in self.children if c.tag == tag]


def _parse_xml(text: str, file: str) -> _El:
    """A small element tree that remembers each element's line and column."""
    parser = xml.parsers.expat.ParserCreate()
    stack: list[_El] = []
    root: list[_El] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        el = _El(tag, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1, attrs)
        if stack:
            stack[-1].children.append(el)
        else:
            root.append(el)
        stack.append(el)

    def end(tag: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack:
            stack[-1].text += data

    def no_entities(*args: object) -> None:
        raise CaseError(
            f"{file}: XML entity declarations are not accepted",
            [
                _diag(
                    "the file declares entities",
                    file,
                    parser.CurrentLineNumber,
                    expected="a plain KTAB XML scenario",
                    code="xml-syntax",
                )
            ],
        )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.EntityDeclHandler = no_entities
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as exc:
        raise CaseError(
            f"{file}: not well-formed XML",
            [
                _diag(
                    xml.parsers.expat.ErrorString(exc.code),
                    file,
                    exc.lineno,
                    exc.offset + 1,
                    expected="well-formed XML (every tag closed, attributes quoted)",
                    hint="open the file in an XML-aware editor to find the broken tag",
                    code="xml-syntax",
                )
            ],
        ) from None
    return root[0]


def read_ktab_xml(text: str, file: str) -> list[Case]:
    """Read a KTAB SMP XML scenario (``SMPModel::xmlRead``) as one case.

    Raises:
        CaseError: Listing every missing element and bad value found.
    """
    root = _parse_xml(text, file)
    diags: list[Diagnostic] = []

    def need(parent: _El, tag: str) -> _El | None:
        el = parent.find(tag)
        if el is None:
            diags.append(
                _diag(
                    f"<{parent.tag}> has no <{tag}>",
                    file,
                    parent.line,
                    parent.column,
                    expected=f"a <{tag}> element inside <{parent.tag}>",
                    hint="see KTAB's smpExample.xml for the layout",
                    code="xml-missing",
                )
            )
        return el

    def number(el: _El, what: str, *, empty_ok: bool = False) -> float | None:
        t = el.text.strip()
        if not t and empty_ok:
            return None
        x = _number(t)
        if x is None:
            diags.append(
                _diag(
                    f"{what} '{t}' is not a number",
                    file,
                    el.line,
                    el.column,
                    expected=f"a number in <{el.tag}>",
                    hint="use a dot as decimal separator"
                    + ("; leave <dCoord></dCoord> empty for no position" if empty_ok else ""),
                    code="not-a-number",
                )
            )
        return x

    if root.tag != "Scenario":
        raise CaseError(
            f"{file}: not a KTAB XML scenario",
            [
                _diag(
                    f"the root element is <{root.tag}>",
                    file,
                    root.line,
                    root.column,
                    expected="<Scenario>",
                    code="xml-missing",
                )
            ],
        )
    name_el = need(root, "name")
    desc_el = root.find("desc")
    ext: dict[str, Any] = {"format": "xml"}
    seed_el = root.find("prngSeed")
    if seed_el is not None:
        seed = seed_el.text.strip()
        if not seed.isdigit():
            diags.append(
                _diag(
                    f"prngSeed '{seed}' is not a whole number",
                    file,
                    seed_el.line,
                    seed_el.column,
                    expected="a non-negative integer seed",
                    code="not-a-number",
                )
            )
        ext["prngSeed"] = seed
    params_el = root.find("ModelParameters")
    if params_el is not None:
        ext["ModelParameters"] = {c.tag: c.text.strip() for c in params_el.children}
    dims: list[str] = []
    dims_el = need(root, "Dimensions")
    if dims_el is not None:
        dims = [d.text.strip() for d in dims_el.findall("dName")]
        if not dims:
            diags.append(
                _diag(
                    "<Dimensions> lists no <dName>",
                    file,
                    dims_el.line,
                    dims_el.column,
                    expected="at least one <dName>",
                    code="xml-missing",
                )
            )
    actors: list[_ActorRow] = []
    actors_el = need(root, "Actors")
    if actors_el is not None:
        if not actors_el.findall("Actor"):
            diags.append(
                _diag(
                    "<Actors> lists no <Actor>",
                    file,
                    actors_el.line,
                    actors_el.column,
                    expected="at least one <Actor>",
                    code="xml-missing",
                )
            )
        for a_el in actors_el.findall("Actor"):
            n_el = need(a_el, "name")
            d_el = a_el.find("description")
            c_el = need(a_el, "capability")
            p_el = need(a_el, "Position")
            s_el = need(a_el, "Salience")
            aname = n_el.text.strip() if n_el is not None else ""
            if n_el is not None and not aname:
                diags.append(
                    _diag(
                        "actor name is empty",
                        file,
                        n_el.line,
                        n_el.column,
                        expected="a non-empty <name>",
                        code="ktab-actor",
                    )
                )
            cap = number(c_el, f"actor '{aname}': capability") if c_el is not None else None
            pos: list[float | None] = []
            sal: list[float | None] = []
            if p_el is not None:
                pos = [
                    number(e, f"actor '{aname}': position", empty_ok=True)
                    for e in p_el.findall("dCoord")
                ]
            if s_el is not None:
                sal = [number(e, f"actor '{aname}': salience") for e in s_el.findall("dSal")]
            for el, vals, tag in ((p_el, pos, "dCoord"), (s_el, sal, "dSal")):
                if el is not None and dims and len(vals) != len(dims):
                    diags.append(
                        _diag(
                            f"actor '{aname}': <{el.tag}> has {len(vals)} <{tag}> but the "
                            f"scenario has {len(dims)} dimension(s)",
                            file,
                            el.line,
                            el.column,
                            expected=f"{len(dims)} <{tag}> elements, one per dimension",
                            code="ktab-columns",
                        )
                    )
            if (
                cap is None
                or not dims
                or len(pos) != len(dims)
                or len(sal) != len(dims)
                or any(s is None for s in sal)
            ):
                continue
            sal_f = [float(s) for s in sal if s is not None]
            line = a_el.line
            col_of: dict[str, int | None] = {"power": c_el.column if c_el is not None else None}
            diags += _check_values(file, line, col_of, aname, cap, pos, sal_f, dims)
            actors.append(
                _ActorRow(
                    aname,
                    (d_el.text.strip() or None) if d_el is not None else None,
                    cap,
                    pos,
                    sal_f,
                    line,
                )
            )
    ia_el = root.find("IdealAdjustment")
    if ia_el is not None:
        pairs: list[dict[str, Any]] = []
        for pair in ia_el.findall("iaPair"):
            entry: dict[str, Any] = {}
            for c in pair.children:
                if c.tag == "adjust":
                    x = number(c, "ideal adjustment")
                    entry[c.tag] = x
                else:
                    entry[c.tag] = c.text.strip()
            pairs.append(entry)
        ext["IdealAdjustment"] = pairs
    diags += _duplicate_names(file, actors)
    if diags:
        raise CaseError(f"{file}: {len(diags)} problem(s) in the KTAB XML scenario", diags)
    name = name_el.text.strip() if name_el is not None else ""
    desc = desc_el.text.strip() if desc_el is not None else ""
    if desc_el is None:
        ext["no_desc"] = True
    sc = _Scenario(name, desc or None, dims, actors, ext)
    return [_build_case(sc, file)]


def write_ktab_xml(case: Case) -> str:
    """The case as a KTAB SMP XML scenario.

    Model parameters, seed and ideal adjustments come back from
    ``case.extensions["ktab"]`` when present.
    """
    sc = _scenario_from_case(case)
    ext = sc.extensions
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<Scenario>"]
    out.append(f"  <name>{escape(sc.name)}</name>")
    if not ext.get("no_desc"):
        out.append(f"  <desc>{escape(sc.description or '')}</desc>")
    if "prngSeed" in ext:
        out.append(f"  <prngSeed>{escape(str(ext['prngSeed']))}</prngSeed>")
    params = ext.get("ModelParameters")
    if isinstance(params, dict):
        out.append("  <ModelParameters>")
        out += [f"    <{k}>{escape(str(v))}</{k}>" for k, v in params.items()]
        out.append("  </ModelParameters>")
    out.append("  <Dimensions>")
    out += [f"    <dName>{escape(d)}</dName>" for d in sc.dimensions]
    out.append("  </Dimensions>")
    out.append("  <Actors>")
    for a in sc.actors:
        out.append("    <Actor>")
        out.append(f"      <name>{escape(a.name)}</name>")
        out.append(f"      <description>{escape(a.description or '')}</description>")
        out.append(f"      <capability>{format_number(a.capability)}</capability>")
        out.append("      <Position>")
        out += [
            f"        <dCoord>{'' if p is None else format_number(p)}</dCoord>" for p in a.positions
        ]
        out.append("      </Position>")
        out.append("      <Salience>")
        out += [f"        <dSal>{format_salience(s)}</dSal>" for s in a.saliences]
        out.append("      </Salience>")
        out.append("    </Actor>")
    out.append("  </Actors>")
    pairs = ext.get("IdealAdjustment")
    if isinstance(pairs, list):
        out.append("  <IdealAdjustment>")
        for pair in pairs:
            out.append("    <iaPair>")
            for k, v in pair.items():
                text = format_number(v) if isinstance(v, float) else str(v)
                out.append(f"      <{k}>{escape(text)}</{k}>")
            out.append("    </iaPair>")
        out.append("  </IdealAdjustment>")
    out.append("</Scenario>")
    return "\n".join(out) + "\n"
