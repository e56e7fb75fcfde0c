"""What-if files: declarative changes to a case, and the forecast before and after.

A what-if file (YAML 1.2 or JSON; ``docs/whatif-format.md``) lists changes, each a
mapping with one key naming its kind:

* ``move``: an actor's position on an issue, ``to`` a value or ``by`` a step.
* ``salience``: an actor's salience on an issue, ``to`` or ``by``.
* ``capability``: an actor's capability, on one ``issue`` or (without ``issue``) on
  every issue; ``to``, ``by`` or ``times``.
* ``add_actor``: a new actor (a new guarantor, say) with its positions.
* ``remove_actor``: drop an actor and its positions.
* ``commit``: the actor commits publicly to a position. Modelled as the audience-cost
  argument has it (Fearon 1994, "Domestic political audiences and the escalation of
  international disputes", APSR 88(3); Schelling 1960, *The Strategy of Conflict*): its
  position is fixed at ``to`` (default: where it stands) with no uncertainty, and its
  salience rises to ``salience`` (default 1.0), because backing down now costs it at
  home. The alternative, a model-level lock that stops the actor from moving in
  iterative models, is not offered: the registered models expose no such switch.

* ``promise``: the actor promises to move its position on an issue ``to`` a value. What
  the promise is worth depends on whether it will be kept: with the actor's credibility
  ``c`` (the case's ``trust`` input; the Beta reputation expectation E = (r + 1) /
  (r + s + 2) of Jøsang & Ismail 2002, "The Beta Reputation System", read as the
  probability that a promise is kept), the position becomes the expected one,
  ``x + c·(to - x)`` (kept: ``to``; not kept: where it stands, ``x``). The range spans
  the same rule at both ends of the credibility's range (its 80% interval), united with
  the position's own range shifted with the value, so ``detente sweep`` on the changed
  case propagates the doubt about the promise.

A stated range moves with its value (shifted by the same amount and clipped to the
scale, to [0, 1] for salience, and at 0 for capability), so a changed case can still be
swept. Changes apply in file order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from detente import __version__
from detente.case.checks import did_you_mean
from detente.case.limits import read_input
from detente.case.loader import load_yaml
from detente.case.model import ActorKind, Case
from detente.errors import CaseError, Diagnostic
from detente.forecast.registry import ModelInput
from detente.forecast.run import forecast
from detente.uncertainty._models import default_models, ensure_registered
from detente.uncertainty._verdicts import VERDICTS, verdict_function
from detente.uncertainty.errors import UncertaintyError

__all__ = ["CHANGE_KINDS", "WhatIf", "WhatIfResult", "apply_whatif", "load_whatif", "run_whatif"]

CHANGE_KINDS = (
    "move", "salience", "capability", "add_actor", "remove_actor", "commit", "promise",
)  # fmt: skip


class _Strict(BaseModel):
    # allow_inf_nan=False: `to: .inf` is refused with its line, not clipped to the scale.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Move(_Strict):
    """Move an actor's position on an issue."""

    actor: str
    issue: str
    to: float | None = None
    by: float | None = None


class SalienceChange(_Strict):
    """Change an actor's salience on an issue."""

    actor: str
    issue: str
    to: float | None = Field(default=None, ge=0.0, le=1.0)
    by: float | None = None


class CapabilityChange(_Strict):
    """Change an actor's capability on one issue or on all."""

    actor: str
    issue: str | None = None
    to: float | None = Field(default=None, ge=0.0)
    by: float | None = None
    times: float | None = Field(default=None, ge=0.0)


class NewPosition(_Strict):
    """A position of an added actor."""

    issue: str
    position: float
    salience: float = Field(ge=0.0, le=1.0)


class AddActor(_Strict):
    """Add an actor with its positions."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:+-]*$")
    name: str
    kind: ActorKind = "other"
    role: str = "mediator"
    capability: float = Field(ge=0.0)
    positions: list[NewPosition] = Field(default_factory=list)


class RemoveActor(_Strict):
    """Remove an actor and its positions."""

    actor: str


class Commit(_Strict):
    """A public commitment: position fixed, salience raised."""

    actor: str
    issue: str
    to: float | None = None
    salience: float = Field(default=1.0, ge=0.0, le=1.0)


class Promise(_Strict):
    """A promise to move a position, worth the promiser's credibility."""

    actor: str
    issue: str
    to: float


_MODELS: dict[str, type[_Strict]] = {
    "move": Move,
    "salience": SalienceChange,
    "capability": CapabilityChange,
    "add_actor": AddActor,
    "remove_actor": RemoveActor,
    "commit": Commit,
    "promise": Promise,
}


@dataclass(frozen=True)
class Change:
    """One parsed change and where it was written."""

    kind: str
    spec: Any
    line: int | None = None
    column: int | None = None
    fields: tuple[tuple[str, int | None, int | None], ...] = ()

    def where(self, name: str) -> tuple[int | None, int | None]:
        """``(line, column)`` of field ``name`` of the change (else of the change)."""
        for key, line, col in self.fields:
            if key == name:
                return line, col
        return self.line, self.column

    def describe(self) -> str:
        """One line in words."""
        s = self.spec
        if self.kind in ("move", "salience"):
            what = "position" if self.kind == "move" else "salience"
            how = f"to {s.to:g}" if s.to is not None else f"by {s.by:+g}"
            return f"{s.actor}: {what} on {s.issue} {how}"
        if self.kind == "capability":
            how = (
                f"to {s.to:g}"
                if s.to is not None
                else f"by {s.by:+g}"
                if s.by is not None
                else f"x{s.times:g}"
            )
            return f"{s.actor}: capability{' on ' + s.issue if s.issue else ''} {how}"
        if self.kind == "add_actor":
            return f"add {s.id} ({s.name}), capability {s.capability:g}, " + ", ".join(
                f"{p.issue} at {p.position:g} (salience {p.salience:g})" for p in s.positions
            )
        if self.kind == "remove_actor":
            return f"remove {s.actor}"
        if self.kind == "promise":
            return (
                f"{s.actor} promises to move to {s.to:g} on {s.issue} (weighted by its credibility)"
            )
        at = f" at {s.to:g}" if s.to is not None else ""
        return f"{s.actor} commits publicly on {s.issue}{at} (salience {s.salience:g})"


@dataclass(frozen=True)
class WhatIf:
    """A parsed what-if file."""

    name: str
    changes: tuple[Change, ...]
    description: str | None = None
    file: str = "<input>"


def _pos(node: Any, key: str | int | None = None) -> tuple[int | None, int | None]:
    try:
        if key is None:
            return node.lc.line + 1, node.lc.col + 1
        if isinstance(node, CommentedMap):
            ln, col = node.lc.value(key) if key in node else (node.lc.line, node.lc.col)
            return ln + 1, col + 1
        if isinstance(node, CommentedSeq):
            ln, col = node.lc.item(key)
            return ln + 1, col + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        pass
    return None, None


def _err(
    file: str,
    msg: str,
    where: tuple[int | None, int | None],
    code: str,
    expected: str | None = None,
    hint: str | None = None,
) -> Diagnostic:
    return Diagnostic(msg, file, where[0], where[1], expected=expected, hint=hint, code=code)


def parse_whatif(text: str, file: str = "<input>") -> WhatIf:
    """Parse what-if text (structure only; names are checked against a case on apply).

    Raises:
        UncertaintyError: With every problem located at ``file:line:column``.
    """
    try:
        # the case loader's YAML: bounded nesting and alias expansion, located errors
        root = load_yaml(text, file)
    except CaseError as exc:
        items = [replace(d, code="bad-yaml") if d.code == "yaml-syntax" else d for d in exc.items]
        raise UncertaintyError(f"{file}: not a readable what-if file", items) from None
    problems: list[Diagnostic] = []
    if not isinstance(root, dict):
        raise UncertaintyError(
            f"{file}: not a what-if file",
            [
                _err(
                    file,
                    "expected a mapping with `changes:`",
                    (1, 1),
                    "bad-whatif",
                    expected="name: ..., changes: [...]",
                    hint="see docs/whatif-format.md",
                )
            ],
        )
    for key in root:
        if key not in ("detente-whatif", "name", "description", "changes"):
            problems.append(
                _err(
                    file,
                    f"unknown field '{key}'",
                    _pos(root, key),
                    "unknown-field",
                    expected="detente-whatif, name, description, changes",
                    hint=did_you_mean(str(key), ["name", "description", "changes"]) or "remove it",
                )
            )
    raw = root.get("changes")
    if not isinstance(raw, list) or not raw:
        problems.append(
            _err(
                file,
                "`changes` must be a non-empty list",
                _pos(root, "changes") if "changes" in root else (1, 1),
                "missing-changes",
                expected="changes: [- move: {actor: A, issue: I, to: 50}]",
            )
        )
        raw = []
    changes: list[Change] = []
    for k, item in enumerate(raw):
        where = _pos(raw, k)
        if not isinstance(item, dict) or len(item) != 1:
            problems.append(
                _err(
                    file,
                    f"changes[{k}]: expected one `kind: {{...}}` mapping",
                    where,
                    "bad-change",
                    expected=", ".join(CHANGE_KINDS),
                )
            )
            continue
        ((kind, body),) = item.items()
        if kind not in _MODELS:
            problems.append(
                _err(
                    file,
                    f"changes[{k}]: unknown change '{kind}'",
                    where,
                    "unknown-change",
                    expected=", ".join(CHANGE_KINDS),
                    hint=did_you_mean(str(kind), CHANGE_KINDS),
                )
            )
            continue
        spec: Any
        try:
            spec = _MODELS[kind].model_validate(dict(body) if isinstance(body, dict) else body)
        except ValidationError as exc:
            for e in exc.errors(include_url=False):
                loc = e["loc"]
                field_where = _pos(body, loc[0]) if loc and isinstance(body, dict) else where
                problems.append(
                    _err(
                        file,
                        f"changes[{k}].{kind}.{'.'.join(map(str, loc))}: {e['msg']}",
                        field_where,
                        "invalid-value",
                        hint="see docs/whatif-format.md",
                    )
                )
            continue
        if kind in ("move", "salience") and (spec.to is None) == (spec.by is None):
            problems.append(
                _err(
                    file,
                    f"changes[{k}].{kind}: give exactly one of `to`, `by`",
                    _pos(item, kind),
                    "bad-change",
                )
            )
            continue
        if kind == "capability" and sum(v is not None for v in (spec.to, spec.by, spec.times)) != 1:
            problems.append(
                _err(
                    file,
                    f"changes[{k}].capability: give exactly one of `to`, `by`, `times`",
                    _pos(item, kind),
                    "bad-change",
                )
            )
            continue
        line, col = _pos(item, kind)
        fields = (
            tuple((str(key), *_pos(body, key)) for key in body) if isinstance(body, dict) else ()
        )
        changes.append(Change(kind, spec, line, col, fields))
    if problems:
        raise UncertaintyError(f"{file}: {len(problems)} problem(s) in the what-if file", problems)
    name = root.get("name")
    desc = root.get("description")
    return WhatIf(
        name=str(name) if name is not None else Path(file).stem,
        changes=tuple(changes),
        description=str(desc) if desc is not None else None,
        file=file,
    )


def load_whatif(path: str | Path) -> WhatIf:
    """Read and parse a what-if file.

    Raises:
        UncertaintyError: If it cannot be read or is malformed.
    """
    p = Path(path)
    try:
        text = read_input(p, "what-if file")
    except CaseError as exc:
        raise UncertaintyError(exc.message, exc.items) from None
    return parse_whatif(text, str(p))


def _shift(est: dict[str, Any] | None, value: float, lo: float, hi: float) -> dict[str, Any]:
    """``est`` moved to ``value``, its range shifted with it and clipped to [lo, hi]."""
    value = min(max(value, lo), hi)
    if est is None:
        return {"value": value}
    out = dict(est)
    if out.get("range") is not None:
        d = value - float(out["value"])
        a, b = out["range"]
        out["range"] = (min(max(a + d, lo), value), max(min(b + d, hi), value))
    out["value"] = value
    return out


def _promised(
    est: dict[str, Any], cred: dict[str, Any], to: float, lo: float, hi: float
) -> dict[str, Any]:
    """The position after a promise to move ``to``, weighted by credibility ``cred``.

    Expected position ``x + c·(to - x)`` (Jøsang & Ismail 2002: c = E, the probability the
    promise is kept); its range is the rule at the credibility's low and high ends, united
    with the position's own range shifted with the value, clipped to [lo, hi].
    """
    x = float(est["value"])
    c = float(cred["value"])
    c_lo, c_hi = cred["range"] if cred.get("range") is not None else (c, c)
    value = x + c * (to - x)
    ends = [x + c_lo * (to - x), x + c_hi * (to - x)]
    if est.get("range") is not None:
        a, b = est["range"]
        ends += [a + (value - x), b + (value - x)]
    out = dict(est)
    rng = (max(min(ends), lo), min(max(ends), hi))
    out["value"] = value
    out["range"] = rng if rng[0] < rng[1] else None
    return out


def apply_whatif(case: Case, whatif: WhatIf) -> Case:
    """The case after every change of ``whatif``.

    Raises:
        UncertaintyError: Unknown actors or issues (with the what-if file's location).
    """
    data = case.model_dump(mode="python", exclude_none=False)
    problems: list[Diagnostic] = []
    inf = float("inf")

    def actors() -> list[str]:
        return [a["id"] for a in data["actors"]]

    issues = {i["id"]: i for i in data["issues"]}

    def check(ch: Change, actor: str | None, issue: str | None) -> bool:
        ok = True
        if actor is not None and actor not in actors():
            line, col = ch.where("actor")
            problems.append(
                Diagnostic(
                    f"unknown actor '{actor}' in {ch.kind}",
                    whatif.file,
                    line,
                    col,
                    expected="one of: " + ", ".join(actors()),
                    hint=did_you_mean(actor, actors()) or "add it first with add_actor",
                    code="unknown-actor",
                )
            )
            ok = False
        if issue is not None and issue not in issues:
            line, col = ch.where("issue")
            problems.append(
                Diagnostic(
                    f"unknown issue '{issue}' in {ch.kind}",
                    whatif.file,
                    line,
                    col,
                    expected="one of: " + ", ".join(issues),
                    hint=did_you_mean(issue, list(issues)),
                    code="unknown-issue",
                )
            )
            ok = False
        return ok

    def position(ch: Change, actor: str, issue: str) -> dict[str, Any] | None:
        for p in data["positions"]:
            if p["actor"] == actor and p["issue"] == issue and p.get("position") is not None:
                return dict(p)
        problems.append(
            Diagnostic(
                f"{actor} has no position on {issue} to change",
                whatif.file,
                ch.line,
                ch.column,
                hint="add the position to the case first",
                code="no-position",
            )
        )
        return None

    def within(ch: Change, value: float, lo: float, hi: float, what: str, key: str) -> bool:
        """Whether ``value`` lies in [lo, hi]; else a located problem (never clipped)."""
        if lo <= value <= hi:
            return True
        line, col = ch.where(key)
        problems.append(
            Diagnostic(
                f"{ch.kind} sets {what} to {value:g}, outside [{lo:g}, {hi:g}]",
                whatif.file,
                line,
                col,
                expected=f"a value in [{lo:g}, {hi:g}]",
                hint="a what-if moves within the issue's scale; widen the scale in the case "
                "if the move is meant",
                code="out-of-scale",
            )
        )
        return False

    def target(ch: Change, actor: str, issue: str) -> tuple[dict[str, Any], float, float] | None:
        """The position ``ch`` changes and its issue's scale bounds; None (a problem) if none."""
        if not check(ch, actor, issue):
            return None
        p = position(ch, actor, issue)
        if p is None:
            return None
        scale = issues[issue]["scale"]
        return p, float(scale["min"]), float(scale["max"])

    def put(p: dict[str, Any]) -> None:
        data["positions"] = [
            p if (q["actor"] == p["actor"] and q["issue"] == p["issue"]) else q
            for q in data["positions"]
        ]

    for ch in whatif.changes:
        s = ch.spec
        if ch.kind == "promise":
            found = target(ch, s.actor, s.issue)
            if found is None:
                continue
            p, lo, hi = found
            what = f"the promised position of {s.actor} on {s.issue}"
            cred = (data.get("trust") or {}).get("credibility", {}).get(s.actor)
            if cred is None:
                line, col = ch.where("actor")
                problems.append(
                    Diagnostic(
                        f"no credibility for {s.actor}: a promise is weighted by it",
                        whatif.file,
                        line,
                        col,
                        expected="a `trust:` input in the case naming this actor",
                        hint="add `trust: {file: trust.json}` (`detente trust LEDGER --out "
                        "trust.json`) or `trust: {credibility: {ACTOR: ...}}` to the case",
                        code="no-credibility",
                    )
                )
                continue
            if not within(ch, s.to, lo, hi, what, "to"):
                continue
            p["position"] = _promised(p["position"], cred, s.to, lo, hi)
            put(p)
            continue
        if ch.kind in ("move", "salience", "commit"):
            found = target(ch, s.actor, s.issue)
            if found is None:
                continue
            p, lo, hi = found
            key = "to" if getattr(s, "to", None) is not None else "by"
            if ch.kind == "move":
                new = s.to if s.to is not None else float(p["position"]["value"]) + s.by
                if not within(ch, new, lo, hi, f"the position of {s.actor} on {s.issue}", key):
                    continue
                p["position"] = _shift(p["position"], new, lo, hi)
            elif ch.kind == "salience":
                new = s.to if s.to is not None else float(p["salience"]["value"]) + s.by
                if not within(ch, new, 0.0, 1.0, f"the salience of {s.actor} on {s.issue}", key):
                    continue
                p["salience"] = _shift(p["salience"], new, 0.0, 1.0)
            else:
                at = s.to if s.to is not None else float(p["position"]["value"])
                if not within(ch, at, lo, hi, f"the position of {s.actor} on {s.issue}", "to"):
                    continue
                p["position"] = {**p["position"], "value": at, "range": None}
                p["salience"] = {**p["salience"], "value": s.salience, "range": None}
            put(p)
        elif ch.kind == "capability":
            if not check(ch, s.actor, s.issue):
                continue

            def newcap(est: dict[str, Any] | None, s: Any = s) -> dict[str, Any]:
                old = float(est["value"]) if est is not None else 0.0
                if s.to is not None:
                    value = s.to
                elif s.by is not None:
                    value = old + s.by
                else:
                    value = old * s.times
                if s.times is not None and est is not None and est.get("range") is not None:
                    a, b = est["range"]
                    return {**est, "value": value, "range": (a * s.times, b * s.times)}
                return _shift(est, value, 0.0, inf)

            actor_cap = next(a for a in data["actors"] if a["id"] == s.actor)["capability"]
            if s.issue is None:
                for a in data["actors"]:
                    if a["id"] == s.actor:
                        a["capability"] = newcap(a["capability"])
                for p in data["positions"]:
                    if p["actor"] == s.actor and p.get("capability") is not None:
                        p["capability"] = newcap(p["capability"])
            else:
                held = position(ch, s.actor, s.issue)
                if held is None:
                    continue
                held["capability"] = newcap(held.get("capability") or actor_cap)
                put(held)
        elif ch.kind == "add_actor":
            if s.id in actors():
                problems.append(
                    Diagnostic(
                        f"actor '{s.id}' is already in the case",
                        whatif.file,
                        ch.line,
                        ch.column,
                        hint="use move/salience/capability to change it",
                        code="duplicate-id",
                    )
                )
                continue
            for np_ in s.positions:
                if check(ch, None, np_.issue):
                    sc = issues[np_.issue]["scale"]
                    within(
                        ch,
                        np_.position,
                        float(sc["min"]),
                        float(sc["max"]),
                        f"the position of {s.id} on {np_.issue}",
                        "positions",
                    )
            data["actors"].append(
                {
                    "id": s.id,
                    "name": s.name,
                    "kind": s.kind,
                    "role": s.role,
                    "at_table": True,
                    "capability": {"value": s.capability, "source": None},
                    "description": f"added by what-if '{whatif.name}'",
                }
            )
            for np_ in s.positions:
                data["positions"].append(
                    {
                        "actor": s.id,
                        "issue": np_.issue,
                        "position": {"value": np_.position},
                        "salience": {"value": np_.salience},
                        "capability": None,
                    }
                )
        elif ch.kind == "remove_actor":
            if not check(ch, s.actor, None):
                continue
            data["actors"] = [a for a in data["actors"] if a["id"] != s.actor]
            data["positions"] = [p for p in data["positions"] if p["actor"] != s.actor]
            for r in data.get("rounds", []):
                r["participants"] = [x for x in r.get("participants", []) if x != s.actor]
    if problems:
        raise UncertaintyError(
            f"{whatif.file}: {len(problems)} change(s) do not fit case '{case.case.id}'", problems
        )
    data["case"]["require_sources"] = False
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        raise UncertaintyError(
            f"{whatif.file}: the changed case is not valid",
            [
                Diagnostic(
                    str(e["msg"]),
                    whatif.file,
                    code="invalid-result",
                    hint=".".join(map(str, e["loc"])),
                )
                for e in exc.errors(include_url=False)
            ],
        ) from None


def _verdicts(case: Case, bdm_params: dict[str, Any] | None = None) -> dict[str, str | None] | None:
    """Diagnosis verdict per issue at the stated values, or None if unavailable."""
    from detente.case.arrays import case_arrays

    fn = verdict_function(bdm_params)
    arr = case_arrays(case)
    codes = fn(ModelInput.from_arrays(arr))[0]
    return {
        iid: (VERDICTS[c] if c >= 0 else None)
        for iid, c in zip(arr.issue_ids, codes.tolist(), strict=True)
    }


@dataclass
class WhatIfResult:
    """Forecast and diagnosis before and after a what-if."""

    whatif: WhatIf
    models: list[str]
    before: dict[str, dict[str, float | None]]
    after: dict[str, dict[str, float | None]]
    verdict_before: dict[str, str | None] | None
    verdict_after: dict[str, str | None] | None
    issues: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: per issue and model, before, after and the change."""
        out: dict[str, Any] = {}
        for iid in self.issues:
            models = {}
            for m in self.models:
                b, a = self.before[iid].get(m), self.after[iid].get(m)
                models[m] = {
                    "before": b,
                    "after": a,
                    "change": (a - b) if a is not None and b is not None else None,
                }
            out[iid] = {
                "models": models,
                "verdict": {
                    "before": (self.verdict_before or {}).get(iid),
                    "after": (self.verdict_after or {}).get(iid),
                }
                if self.verdict_before is not None
                else None,
            }
        return {
            "detente_version": __version__,
            "whatif": {
                "name": self.whatif.name,
                "description": self.whatif.description,
                "file": self.whatif.file,
                "changes": [c.describe() for c in self.whatif.changes],
            },
            "models": self.models,
            "issues": out,
        }

    def rows(self) -> list[dict[str, Any]]:
        """Side-by-side rows: issue, model, before, after, change."""
        rows = []
        d = self.to_dict()["issues"]
        for iid in self.issues:
            for m in self.models:
                e = d[iid]["models"][m]
                rows.append(
                    {
                        "issue": iid,
                        "model": m,
                        "before": e["before"],
                        "after": e["after"],
                        "change": e["change"],
                    }
                )
            if d[iid]["verdict"] is not None:
                rows.append(
                    {
                        "issue": iid,
                        "model": "diagnosis",
                        "before": d[iid]["verdict"]["before"],
                        "after": d[iid]["verdict"]["after"],
                        "change": "",
                    }
                )
        return rows


def run_whatif(
    case: Case,
    whatif: WhatIf,
    models: Sequence[str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
) -> WhatIfResult:
    """Forecast (and diagnose) ``case`` before and after ``whatif``.

    Raises:
        UncertaintyError: The what-if does not fit the case.
        ModelError: Unknown model or parameter.
    """
    ensure_registered()
    names = list(models) if models else default_models()
    after_case = apply_whatif(case, whatif)
    before = forecast(case, names, params)
    after = forecast(after_case, names, params)
    return WhatIfResult(
        whatif=whatif,
        models=names,
        before=before.outcomes,
        after=after.outcomes,
        verdict_before=_verdicts(case, (params or {}).get("bdm")),
        verdict_after=_verdicts(after_case, (params or {}).get("bdm")),
        issues=[i.id for i in case.issues],
    )
