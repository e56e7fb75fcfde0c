"""Consistency checks across a case: ids, references, scales and sourcing.

Pydantic checks each field's shape; these checks look across the case (does this
position name a known actor? does this number cite a source?). Each finding carries the
path of the offending node so the loader can point at its line and column.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from detente.case.model import FORMAT_VERSION, Case, Estimate, Scale

__all__ = ["Finding", "check_case", "did_you_mean"]

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    """A problem found at ``path`` inside the case document."""

    path: Path
    message: str
    code: str
    expected: str | None = None
    hint: str | None = None
    severity: str = "error"
    ref: str | None = None  # the id an unknown-reference finding is about


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A "did you mean 'x'?" hint for the closest of ``choices``, if any is close."""
    import difflib  # only when a name is wrong: not on every start-up

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _duplicates(kind: str, ids: list[str], section: str) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for i, ident in enumerate(ids):
        if ident in seen:
            yield Finding(
                (section, i, "id"),
                f"duplicate {kind} id '{ident}' (first defined at {section}[{seen[ident]}])",
                "duplicate-id",
                expected=f"each {kind} id to be unique",
                hint=f"rename one of them or merge the two {kind}s",
            )
        else:
            seen[ident] = i


def _in_scale(
    path: Path, what: str, est: Estimate, scale: Scale, issue_id: str
) -> Iterator[Finding]:
    lo, hi = scale.min, scale.max
    expected = f"a value within the scale of issue '{issue_id}' [{lo:g}, {hi:g}]"
    if not lo <= est.value <= hi:
        yield Finding(
            (*path, "value"),
            f"{what} {est.value:g} lies outside the scale of issue '{issue_id}'",
            "out-of-scale",
            expected=expected,
            hint="rescale the number, or widen the issue's scale min/max",
        )
    elif est.range is not None and not (lo <= est.range[0] and est.range[1] <= hi):
        yield Finding(
            (*path, "range"),
            f"{what} range [{est.range[0]:g}, {est.range[1]:g}] leaves the scale "
            f"of issue '{issue_id}'",
            "out-of-scale",
            expected=expected,
            hint="clip the range to the scale",
        )


_LISTED = 12  # ids listed in an "expected: one of ..." line
_HINTS = 50  # did-you-mean hints computed per check (each compares against every id)


def _one_of(ids: Iterable[str]) -> str:
    """``"one of: a, b, c"``, cut after a dozen ids (a large case has thousands)."""
    listed = list(ids)
    text = ", ".join(listed[:_LISTED])
    if len(listed) > _LISTED:
        text += f", ... ({len(listed)} in all)"
    return "one of: " + (text or "(none defined)")


class _HintBudget:
    """Did-you-mean hints for the first :data:`_HINTS` unknown references only.

    A hint compares the word with every id, so hints for every one of 100,000 bad
    references in a hostile file would take quadratic time.
    """

    def __init__(self) -> None:
        self.left = _HINTS

    def __call__(self, word: str, choices: Iterable[str]) -> str | None:
        if self.left <= 0:
            return None
        self.left -= 1
        return did_you_mean(word, choices)


def _sourcing(
    path: Path,
    what: str,
    est: Estimate,
    case: Case,
    analyst_ids: set[str],
    source_ids: set[str],
    hint: _HintBudget,
) -> Iterator[Finding]:
    # source_ids is built once per check: rebuilding it here, for every estimate, made
    # validation quadratic (481 s for a 50 MB case).
    if est.source is None:
        if case.case.require_sources:
            yield Finding(
                path,
                f"{what} has no source",
                "missing-source",
                expected="`source: <source id>` (with a `quote`), or an analyst source and a range",
                hint="cite the sentence it rests on, or mark it as an analyst's estimate with a "
                "range; set `case.require_sources: false` to allow unsourced numbers",
            )
        return
    if est.source not in source_ids:
        yield Finding(
            (*path, "source"),
            f"{what} cites unknown source '{est.source}'",
            "unknown-source",
            expected=_one_of(sorted(source_ids)),
            hint=hint(est.source, source_ids) or "add the source under `sources`",
            ref=est.source,
        )
    elif est.source in analyst_ids and est.range is None:
        yield Finding(
            path,
            f"{what} is an analyst's estimate without a range",
            "estimate-without-range",
            expected="`range: [low, high]` around the value",
            hint="an estimate not read from a source must say how uncertain it is",
        )


def check_case(case: Case) -> list[Finding]:
    """Return every cross-reference and consistency problem in ``case``.

    Args:
        case: A structurally valid case (it may be partial: sections whose items failed
            structural validation can be missing those items).

    Returns:
        Findings in document order; an empty list means the case is consistent.
    """
    out: list[Finding] = []
    if case.detente > FORMAT_VERSION:
        out.append(
            Finding(
                ("detente",),
                f"case-file format version {case.detente} is newer than this detente "
                f"understands ({FORMAT_VERSION})",
                "format-version",
                expected=f"detente: {FORMAT_VERSION}",
                hint="upgrade detente",
            )
        )
    info = case.case
    if info.start and info.end and info.end < info.start:
        out.append(
            Finding(
                ("case", "end"),
                f"case ends ({info.end}) before it starts ({info.start})",
                "bad-dates",
                expected="end on or after start",
            )
        )
    for section, what in (("actors", "actor"), ("issues", "issue"), ("positions", "position")):
        if not getattr(case, section):
            out.append(
                Finding(
                    (section,),
                    f"the case has no {section}: nothing to model",
                    "empty-case",
                    expected=f"at least one {what} under `{section}`",
                    hint="start from `detente schema` or examples/istanbul-2025/case.yaml",
                )
            )
    out += _duplicates("source", [s.id for s in case.sources], "sources")
    out += _duplicates("actor", [a.id for a in case.actors], "actors")
    out += _duplicates("issue", [i.id for i in case.issues], "issues")

    actors = {a.id: a for a in case.actors}
    issues = {i.id: i for i in case.issues}
    analyst_ids = {s.id for s in case.sources if s.kind == "analyst"}
    source_ids = {s.id for s in case.sources}
    hint = _HintBudget()

    for k, actor in enumerate(case.actors):
        if actor.capability is not None:
            out += _sourcing(
                ("actors", k, "capability"),
                f"capability of actor '{actor.id}'",
                actor.capability,
                case,
                analyst_ids,
                source_ids,
                hint,
            )

    for k, issue in enumerate(case.issues):
        for j, anchor in enumerate(issue.scale.anchors):
            if not issue.scale.min <= anchor.value <= issue.scale.max:
                out.append(
                    Finding(
                        ("issues", k, "scale", "anchors", j, "value"),
                        f"anchor '{anchor.label}' at {anchor.value:g} lies outside the scale",
                        "out-of-scale",
                        expected=f"within [{issue.scale.min:g}, {issue.scale.max:g}]",
                    )
                )
        values = [a.value for a in issue.scale.anchors]
        if len(set(values)) != len(values):
            out.append(
                Finding(
                    ("issues", k, "scale", "anchors"),
                    f"issue '{issue.id}' has two anchors at the same point",
                    "duplicate-anchor",
                    expected="one label per point",
                )
            )
        for field in ("status_quo", "outcome"):
            est = getattr(issue, field)
            if est is not None:
                out += _in_scale(
                    ("issues", k, field), field.replace("_", " "), est, issue.scale, issue.id
                )

    seen_pairs: dict[tuple[str, str], int] = {}
    used_issues: set[str] = set()
    used_actors: set[str] = set()
    for k, pos in enumerate(case.positions):
        where = ("positions", k)
        pair = (pos.actor, pos.issue)
        if pair in seen_pairs:
            out.append(
                Finding(
                    where,
                    f"actor '{pos.actor}' has two entries on issue '{pos.issue}' "
                    f"(first at positions[{seen_pairs[pair]}])",
                    "duplicate-position",
                    expected="one entry per actor and issue",
                    hint="merge them; express disagreement between sources as a range",
                )
            )
        else:
            seen_pairs[pair] = k
        pos_actor = actors.get(pos.actor)
        if pos_actor is None:
            out.append(
                Finding(
                    (*where, "actor"),
                    f"unknown actor id '{pos.actor}'",
                    "unknown-actor",
                    expected=_one_of(actors),
                    hint=hint(pos.actor, actors) or "add the actor under `actors`",
                    ref=pos.actor,
                )
            )
        else:
            used_actors.add(pos_actor.id)
        pos_issue = issues.get(pos.issue)
        if pos_issue is None:
            out.append(
                Finding(
                    (*where, "issue"),
                    f"unknown issue id '{pos.issue}'",
                    "unknown-issue",
                    expected=_one_of(issues),
                    hint=hint(pos.issue, issues) or "add the issue under `issues`",
                    ref=pos.issue,
                )
            )
        label = f"'{pos.actor}' on '{pos.issue}'"
        if pos.position is not None:
            if pos_issue is not None:
                used_issues.add(pos_issue.id)
                out += _in_scale(
                    (*where, "position"),
                    f"position of {label}",
                    pos.position,
                    pos_issue.scale,
                    pos_issue.id,
                )
            out += _sourcing(
                (*where, "position"),
                f"position of {label}",
                pos.position,
                case,
                analyst_ids,
                source_ids,
                hint,
            )
        out += _sourcing(
            (*where, "salience"),
            f"salience of {label}",
            pos.salience,
            case,
            analyst_ids,
            source_ids,
            hint,
        )
        if pos.capability is not None:
            out += _sourcing(
                (*where, "capability"),
                f"capability of {label}",
                pos.capability,
                case,
                analyst_ids,
                source_ids,
                hint,
            )
        elif pos_actor is not None and pos_actor.capability is None:
            out.append(
                Finding(
                    where,
                    f"no capability for {label}",
                    "missing-capability",
                    expected="`capability` here, or a default `capability` on the actor",
                    hint=f"add `capability:` to actor '{pos.actor}'",
                )
            )

    for k, issue in enumerate(case.issues):
        if issue.id not in used_issues:
            out.append(
                Finding(
                    ("issues", k, "id"),
                    f"issue '{issue.id}' has no actor with a position",
                    "empty-issue",
                    expected="at least one entry under `positions` with a position on it",
                    hint="models will skip this issue",
                    severity="warning",
                )
            )
    for k, actor in enumerate(case.actors):
        if actor.id not in used_actors:
            out.append(
                Finding(
                    ("actors", k, "id"),
                    f"actor '{actor.id}' takes no part in any issue",
                    "idle-actor",
                    hint="add its positions, or remove it",
                    severity="warning",
                )
            )

    for k, rnd in enumerate(case.rounds):
        for j, who in enumerate(rnd.participants):
            if who not in actors:
                out.append(
                    Finding(
                        ("rounds", k, "participants", j),
                        f"unknown participant '{who}' in round {rnd.number or k + 1}",
                        "unknown-actor",
                        expected="an actor id",
                        hint=hint(who, actors) or "add the actor under `actors`",
                        ref=who,
                    )
                )
        if rnd.source is not None and rnd.source not in source_ids:
            out.append(
                Finding(
                    ("rounds", k, "source"),
                    f"round cites unknown source '{rnd.source}'",
                    "unknown-source",
                    expected="a source id",
                    hint=hint(rnd.source, source_ids) or "add it under `sources`",
                )
            )
    return out
