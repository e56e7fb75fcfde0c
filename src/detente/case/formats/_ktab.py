"""What KTAB's two scenario formats share: the scenario, its checks, its mapping to a case.

KTAB (KAPSARC Toolkit for Behavioral Analysis, MIT licence) reads scenarios for its
Spatial Model of Politics in two formats, read here by :mod:`.ktab_csv`
(``SMPModel::csvRead``) and :mod:`.ktab_xml` (``SMPModel::xmlRead``), both in
``examples/smp/libsrc/smpread.cpp``. Both give a :class:`_Scenario`, which this module
checks against KTAB's own bounds and maps to a :class:`~detente.case.model.Case`:
power/influence/capability becomes the actor's capability; a KTAB salience ``s`` (0-100)
becomes ``s / 100``; positions stay on the 0-100 scale of each issue; issue ids come from
the dimension names (made id-safe by :func:`detente.case.ids.make_id`) and the original
name is the issue's question; the scenario's name and description become the case title
and summary. Whatever has no place in a case is kept in ``case.extensions["ktab"]`` so
that writing the case back loses nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from detente.case.checks import check_case
from detente.case.formats._text import format_number, parse_finite
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
)
from detente.errors import CaseError, Diagnostic

__all__ = ["format_number", "format_salience"]


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
    model_params: dict[str, dict[str, Any]] = field(default_factory=dict)


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
            model_params=sc.model_params,
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


_number = parse_finite


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
        case.case.title,
        case.case.summary,
        dims,
        actors,
        dict(ext) if isinstance(ext, dict) else {},
        {k: dict(v) for k, v in case.model_params.items()},
    )
