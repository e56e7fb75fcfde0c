"""Read case files (YAML 1.2 or JSON), validate them and report every problem at once.

YAML is parsed with ruamel.yaml in YAML 1.2 mode, so an unquoted ``NO`` stays the
string ``"NO"`` (YAML 1.1 loaders turn it into ``False``). The parser keeps the line
and column of every node; structural errors from pydantic and consistency findings
from :mod:`detente.case.checks` are both mapped back to ``file:line:column``.

A well-formed case file is read first by :mod:`detente.case.fast` (libyaml, no pydantic
validator), which gives the same case or declines; every file it declines, and every
diagnostic, goes the way described above (ruamel.yaml is imported only then).
"""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from detente.case.checks import Finding, check_case, did_you_mean
from detente.case.limits import MAX_DEPTH
from detente.case.model import (
    Actor,
    Case,
    CaseInfo,
    Credibility,
    Issue,
    Position,
    Round,
    Source,
)
from detente.errors import CaseError, Diagnostic

if TYPE_CHECKING:
    from ruamel.yaml.error import YAMLError

__all__ = [
    "finding_to_diagnostic",
    "load_case",
    "load_yaml",
    "locate",
    "parse_case_text",
    "validate_case_text",
    "yaml_error_diagnostic",
]

_SECTIONS: dict[str, type[BaseModel]] = {
    "sources": Source,
    "actors": Actor,
    "issues": Issue,
    "positions": Position,
    "rounds": Round,
}


def _all_field_names() -> set[str]:
    names: set[str] = set()
    stack: list[type[BaseModel]] = [Case]
    seen: set[type[BaseModel]] = set()
    while stack:
        model = stack.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            names.add(name)
            for arg in getattr(info.annotation, "__args__", ()) + (info.annotation,):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    stack.append(arg)
                for inner in getattr(arg, "__args__", ()):
                    if isinstance(inner, type) and issubclass(inner, BaseModel):
                        stack.append(inner)
    return names


_FIELD_NAMES = _all_field_names()


def yaml_error_diagnostic(exc: YAMLError, file: str) -> Diagnostic:
    """A located diagnostic for a YAML parse error (syntax, depth, aliases)."""
    from ruamel.yaml.error import MarkedYAMLError

    if not isinstance(exc, MarkedYAMLError):  # pragma: no cover - ruamel marks its errors
        return Diagnostic(f"cannot parse YAML: {exc}", file, code="yaml-syntax")
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "malformed YAML"
    hint = "check indentation and quoting near this point"
    code = "yaml-syntax"
    expected = "valid YAML 1.2"
    if "duplicate key" in str(exc):
        problem = "duplicate key" + (f": {exc.problem}" if exc.problem else "")
        hint = "each key may appear once in a mapping"
    elif "maximum depth" in problem:
        problem = f"mappings and lists nest deeper than {MAX_DEPTH} levels"
        expected = f"at most {MAX_DEPTH} levels of nesting"
        hint = "a case file nests about six levels deep; this file is not a case"
        code = "too-deep"
    elif "alias" in problem and ("expand" in problem or "recursive" in problem):
        expected = "anchors and aliases that repeat a value, not nest repetitions"
        hint = "write the repeated part out, or use fewer nested aliases"
        code = "alias-bomb" if "expand" in problem else "recursive-alias"
    return Diagnostic(
        f"cannot parse YAML: {problem}",
        file,
        mark.line + 1 if mark else None,
        mark.column + 1 if mark else None,
        expected=expected,
        hint=hint,
        code=code,
    )


def load_yaml(text: str, file: str) -> Any:
    """Parse YAML 1.2 (or JSON) text into round-trip nodes that remember their lines.

    Nesting is bounded by :data:`~detente.case.limits.MAX_DEPTH` and alias expansion by
    :data:`~detente.case.limits.MAX_ALIAS_NODES`.

    Raises:
        CaseError: With one located diagnostic when the text is not acceptable YAML.
    """
    from ruamel.yaml.error import YAMLError

    from detente.case._ruamel import round_trip_yaml

    try:
        return round_trip_yaml().load(io.StringIO(text))
    except YAMLError as exc:
        diag = yaml_error_diagnostic(exc, file)
        raise CaseError(f"{file}: not readable YAML", [diag]) from None


def locate(
    root: Any, path: Sequence[str | int], *, key: bool = False
) -> tuple[int | None, int | None]:
    """1-based (line, column) of the deepest node of ``path`` that exists in ``root``."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    node = root
    line: int | None = None
    col: int | None = None
    if isinstance(root, CommentedMap | CommentedSeq):
        line, col = root.lc.line + 1, root.lc.col + 1
    for depth, step in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(node, CommentedMap) and step in node:
            pos = node.lc.key(step) if (key and last) else node.lc.value(step)
            line, col = pos[0] + 1, pos[1] + 1
            node = node[step]
        elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
            pos = node.lc.item(step)
            line, col = pos[0] + 1, pos[1] + 1
            node = node[step]
        else:
            break
    return line, col


def _describe_path(path: Sequence[str | int]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text or "(document)"


_BRANCH = re.compile(r"^[a-z][a-z0-9-]*\[.*\]$")


def _pydantic_diagnostics(
    err: ValidationError, root: Any, file: str, prefix: tuple[str | int, ...] = ()
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for e in err.errors(include_url=False):
        # pydantic names union and validator branches like `function-after[f(), Estimate]`;
        # they are not keys of the document. A user's key may contain brackets too.
        loc = prefix + tuple(x for x in e["loc"] if not (isinstance(x, str) and _BRANCH.match(x)))
        kind = e["type"]
        where = _describe_path(loc)
        if kind == "missing" and loc:
            field = loc[-1]
            line, col = locate(root, loc[:-1])
            out.append(
                Diagnostic(
                    f"missing required field '{field}' in {_describe_path(loc[:-1])}",
                    file,
                    line,
                    col,
                    expected=f"a `{field}:` entry",
                    code="missing-field",
                )
            )
            continue
        if kind == "extra_forbidden" and loc:
            field = str(loc[-1])
            line, col = locate(root, loc, key=True)
            out.append(
                Diagnostic(
                    f"unknown field '{field}' in {_describe_path(loc[:-1])}",
                    file,
                    line,
                    col,
                    expected="a field of the case format (see `detente schema`)",
                    hint=did_you_mean(field, _FIELD_NAMES) or "remove it",
                    code="unknown-field",
                )
            )
            continue
        line, col = locate(root, loc)
        msg = str(e["msg"]).removeprefix("Value error, ")
        expected: str | None = None
        code = "invalid-value"
        ctx = e.get("ctx") or {}
        if kind == "literal_error":
            expected = f"one of {ctx.get('expected', '')}"
            code = "invalid-choice"
        elif kind in ("float_parsing", "float_type", "int_parsing", "int_type", "not_a_number"):
            expected = "a number"
            code = "not-a-number"
        elif kind == "finite_number":
            expected = "a finite number"
            code = "not-finite"
            msg = f"{e.get('input')!r} is not a finite number (NaN and infinity are refused)"
        elif kind in ("string_type",):
            expected = "text (quote it if it looks like a number, date or boolean)"
            code = "not-text"
        elif kind == "string_pattern_mismatch":
            expected = "an id of letters, digits and _ . : + - with no spaces"
            code = "bad-id"
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            code = "out-of-range"
            expected = msg
        elif kind in ("list_type", "tuple_type"):
            expected = "a list"
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            expected = "a mapping of fields"
        elif kind == "bool_type" or kind == "bool_parsing":
            expected = "true or false"
        elif kind.startswith("date") or kind.startswith("datetime"):
            expected = "a date YYYY-MM-DD"
            code = "bad-date"
        elif kind == "too_long" or kind == "too_short":
            expected = msg
        hint: str | None = None
        if kind == "value_error":
            code = "inconsistent-value"
            if "range" in msg:
                expected = "a range [low, high] with low <= value <= high"
                hint = "widen the range or correct the value"
            elif "scale" in msg:
                expected = "scale min below scale max"
                hint = "swap min and max"
            else:
                hint = "see docs/case-format.md for this field"
        out.append(
            Diagnostic(f"{where}: {msg}", file, line, col, expected=expected, hint=hint, code=code)
        )
    return out


def _partial_case(data: dict[str, Any]) -> Case:
    """Best-effort case from the items that are structurally valid on their own."""
    fields: dict[str, Any] = {}
    for section, model in _SECTIONS.items():
        items = []
        raw = data.get(section)
        if isinstance(raw, list):
            for item in raw:
                try:
                    items.append(model.model_validate(item))
                except ValidationError:
                    continue
        fields[section] = items
    try:
        info = CaseInfo.model_validate(data.get("case"))
    except ValidationError:
        raw_info = data.get("case") if isinstance(data.get("case"), dict) else {}
        # Without a readable `case` section, sourcing checks would only add noise.
        require = raw_info.get("require_sources", True) if raw_info else False
        info = CaseInfo.model_construct(
            id="case", title="", require_sources=require if isinstance(require, bool) else True
        )
    version = data.get("detente", 1)
    return Case.model_construct(
        detente=version if isinstance(version, int) else 1,
        case=info,
        extensions={},
        **fields,
    )


def finding_to_diagnostic(f: Finding, root: Any, file: str) -> Diagnostic:
    """Locate a consistency finding in the parsed document (``root`` may be None)."""
    line, col = locate(root, f.path)
    return Diagnostic(
        f.message,
        file,
        line,
        col,
        expected=f.expected,
        hint=f.hint,
        code=f.code,
        severity=f.severity,
    )


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a document is parsed and validated.

    Parsing allocates millions of long-lived objects; each full collection walks them
    all, which made validation time grow faster than the file (4x the file took 5x
    the time, 3.6x without collections; ``bench/case_size_bench.py``). Reference
    counting still frees everything not in a cycle; the collector resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def validate_case_text(text: str, file: str = "<input>") -> tuple[Case | None, list[Diagnostic]]:
    """Parse and validate a case document.

    Args:
        text: YAML 1.2 or JSON text.
        file: Name used in diagnostics.

    Returns:
        The case (``None`` if any error was found) and every diagnostic, errors and
        warnings, in document order.
    """
    with _no_cyclic_gc():
        return _validate(text, file)


def _fast(text: str) -> Case | None:
    """The case by the exact fast path (:mod:`detente.case.fast`), or None if it declines.

    It is taken only when the fast path accepts the document and the consistency checks
    find nothing at all, not even a warning: every diagnostic, with its location, comes
    from the reference path below.
    """
    from detente.case.fast import fast_case, fast_load

    data = fast_load(text)
    if type(data) is not dict:
        return None
    case: Case | None = fast_case(data)
    if case is None or check_case(case):
        return None
    return case


def _validate(text: str, file: str) -> tuple[Case | None, list[Diagnostic]]:
    """The body of :func:`validate_case_text`: the fast path, else the reference path."""
    fast = _fast(text)
    if fast is not None:
        return fast, []
    try:
        root = load_yaml(text, file)
    except CaseError as exc:
        return None, list(exc.items)
    if not isinstance(root, dict):
        return None, [
            Diagnostic(
                "a case file must be a mapping with `case`, `actors`, `issues` and `positions`",
                file,
                1,
                1,
                expected="a YAML mapping at the top level",
                hint="start from `detente schema` or examples/istanbul-2025/case.yaml",
                code="not-a-case",
            )
        ]
    diags: list[Diagnostic] = []
    case: Case | None = None
    try:
        case = Case.model_validate(root)
    except ValidationError as exc:
        diags += _pydantic_diagnostics(exc, root, file)
    if case is not None:
        findings = check_case(case)
    else:
        # Structural errors: check what survived, but do not report consequences of the
        # items that failed (a reference to an actor whose entry is malformed, or an
        # actor left idle because its positions are malformed).
        raw_ids = {
            section: {
                item.get("id") for item in (root.get(section) or []) if isinstance(item, dict)
            }
            for section in ("actors", "issues", "sources")
            if isinstance(root.get(section), list)
        }
        known = set().union(*raw_ids.values()) if raw_ids else set()
        findings = [
            f
            for f in check_case(_partial_case(root))
            if f.severity == "error"
            and not (f.ref is not None and f.ref in known)
            # a section emptied by its malformed items is not an empty case
            and not (f.code == "empty-case" and root.get(f.path[0]))
        ]
    diags += [finding_to_diagnostic(f, root, file) for f in findings]
    if case is not None and case.trust is not None:
        case, trust_diags = _resolve_trust(case, root, file)
        diags += trust_diags
    diags.sort(key=lambda d: (d.line or 0, d.column or 0))
    if any(d.severity == "error" for d in diags):
        return None, diags
    return case, diags


def _resolve_trust(case: Case, root: Any, file: str) -> tuple[Case, list[Diagnostic]]:
    """Check the case's ``trust`` input and fill credibility in from its trust file.

    The trust file (``detente trust LEDGER --out FILE``, a ``detente.trust/v1`` document)
    is read relative to the case file. Each party it rates that is an actor of the case
    (by ``parties`` mapping, else by id) gets its Beta reputation as credibility: value the
    expectation E = (r + 1) / (r + s + 2) (Jøsang & Ismail 2002, with the file's prior),
    range the central 80% interval. Parties without observations get none.
    """
    trust = case.trust
    assert trust is not None
    diags: list[Diagnostic] = []
    actors = [a.id for a in case.actors]
    sources = {s.id for s in case.sources}

    def bad(path: tuple[str | int, ...], msg: str, code: str, **kw: Any) -> None:
        line, col = locate(root, ("trust", *path), key=code == "unknown-actor")
        diags.append(Diagnostic(msg, file, line, col, code=code, **kw))

    cred, from_file = dict(trust.credibility), set[str]()
    if trust.file is not None:
        cred, from_file = _credibility_from_file(trust.file, trust.parties, cred, actors, file, bad)
    for actor, est in trust.credibility.items():
        if actor not in actors:
            bad(
                ("credibility", actor),
                f"credibility of unknown actor '{actor}'",
                "unknown-actor",
                expected="one of: " + ", ".join(actors),
                hint=did_you_mean(actor, actors),
            )
        if est.source is not None and est.source not in sources:
            bad(
                ("credibility", actor, "source"),
                f"credibility of {actor} cites unknown source '{est.source}'",
                "unknown-source",
                hint="add the source under `sources`",
            )
        elif est.source is None and case.case.require_sources and actor not in from_file:
            bad(
                ("credibility", actor),
                f"credibility of {actor} has no source",
                "missing-source",
                expected="`source: <source id>`, or a trust `file`",
                hint="set `case.require_sources: false` to allow unsourced numbers",
            )
    for party, actor in trust.parties.items():
        if actor not in actors:
            bad(
                ("parties", party),
                f"trust party '{party}' maps to unknown actor '{actor}'",
                "unknown-actor",
                expected="one of: " + ", ".join(actors),
                hint=did_you_mean(actor, actors),
            )
    if diags:
        return case, diags
    return case.model_copy(update={"trust": trust.model_copy(update={"credibility": cred})}), []


def _credibility_from_file(
    name: str, parties: dict[str, str], stated: dict[str, Credibility], actors: list[str],
    file: str, bad: Any,
) -> tuple[dict[str, Credibility], set[str]]:  # fmt: skip
    """Credibility with the trust file's added, and the stated actors it gives the same."""
    from detente.case.limits import read_input
    from detente.compliance.trust import TrustDocument

    base = Path(file).parent if file != "<input>" else Path.cwd()
    path = Path(name) if Path(name).is_absolute() else base / name
    try:
        doc = TrustDocument.model_validate_json(read_input(path, "trust file"))
    except CaseError as exc:
        bad(
            ("file",),
            f"cannot read trust file {name}: {exc.message}",
            "bad-trust-file",
            hint="write it with `detente trust LEDGER --out FILE`",
        )
        return stated, set()
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(map(str, first["loc"]))
        bad(
            ("file",),
            f"trust file {name} is not a detente.trust/v1 document: "
            f"{where}: {first['msg']} ({exc.error_count()} problem(s))",
            "bad-trust-file",
            expected="the JSON `detente trust LEDGER --out FILE` writes",
        )
        return stated, set()
    out = dict(stated)
    same: set[str] = set()
    for party, rep in doc.parties.items():
        actor = parties.get(party, party)
        if actor not in actors or rep.mean is None or rep.low80 is None or rep.high80 is None:
            continue
        a, b = doc.prior
        got = Credibility(
            value=rep.mean,
            range=(min(rep.low80, rep.mean), max(rep.high80, rep.mean)),
            note=f"Beta reputation (Jøsang & Ismail 2002) of {party} from {name}: "
            f"{rep.kept or 0:g} period(s) kept, {rep.breached or 0:g} breached, as of "
            f"{rep.as_of}; prior Beta({a:g}, {b:g}), forgetting {doc.forgetting:g}",
        )
        if actor in stated:
            # A case written back after loading (a what-if's changed case) carries the
            # file's values beside the file: the same values are no conflict.
            if (stated[actor].value, stated[actor].range) == (got.value, got.range):
                same.add(actor)
            else:
                bad(
                    ("credibility", actor),
                    f"credibility of {actor} is stated and also in trust file {name}",
                    "duplicate-credibility",
                    hint="keep one of the two",
                )
            continue
        out[actor] = got
    return out, same


def parse_case_text(text: str, file: str = "<input>") -> Case:
    """Parse and validate a case document, raising on any error.

    Raises:
        CaseError: With every problem found, located.
    """
    case, diags = validate_case_text(text, file)
    if case is None:
        errors = [d for d in diags if d.severity == "error"]
        raise CaseError(f"{file}: {len(errors)} error(s); the case was not loaded", diags)
    return case


def load_case(path: str | Path) -> Case:
    """Load a case from a YAML/JSON case file or any supported import format.

    Import formats (KTAB CSV/XML, BDM tables, DEU III rows) are recognised by content;
    see :mod:`detente.case.formats`.

    Raises:
        CaseError: If the file is missing, unreadable or invalid.
    """
    from detente.case.formats import read_any

    return read_any(Path(path))
