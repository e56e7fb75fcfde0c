"""An exact fast path for reading a well-formed case file: libyaml events, no pydantic validator.

:func:`detente.case.loader.validate_case_text` tries this path first. It either returns
the very :class:`~detente.case.model.Case` that the reference path (ruamel.yaml's YAML 1.2
round-trip loader, then ``Case.model_validate``) gives, or ``None``, and then the reference
path runs from the start. It never reports anything itself: every error, warning and its
location comes from the reference path, unchanged.

Two steps, each of which declines on anything it is not sure of:

- :func:`fast_load` parses with libyaml (PyYAML's C extension) and composes plain
  ``dict``/``list``/scalars, resolving plain scalars by the YAML 1.2 core schema exactly as
  ruamel.yaml's ``VersionedResolver`` does for 1.2 (YAML 1.2.2, section 10.3). It declines
  (returns ``None``) on a syntax error, a directive, several documents, an anchor, alias
  or tag, a duplicate or non-text key, nesting deeper than
  :data:`~detente.case.limits.MAX_DEPTH`, a merge key, a tab, a carriage return or any
  character outside printable ASCII and Unicode from U+00A0 (less U+2028, U+2029, the BOM
  and surrogates), a backslash before anything but a JSON escape, and any plain scalar
  number that is not a plain decimal (``12``, ``-3.25``).
- :func:`fast_case` checks the mapping against the case models' fields, types and
  validators in plain Python and builds the models with ``model_construct`` (so no
  pydantic core schema is built: the case models use ``defer_build``). It declines on any
  value whose type is not the exact one the model would store, any value the models would
  refuse or coerce, and on ``trust`` and ``extensions`` (read by the reference path only).

tests/case/test_fast_path.py holds both equal to the reference path on generated valid and
near-valid cases, and holds that they decline everything the reference path refuses.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, get_args

from detente.case.limits import MAX_DEPTH

__all__ = ["fast_case", "fast_load"]

# Characters the fast path reads: printable ASCII, newline, and Unicode from U+00A0 on, less
# the surrogates, the non-characters U+FFFE/U+FFFF, the BOM, and U+2028/U+2029 (line breaks
# in YAML 1.1, ordinary characters in 1.2). A document holding any of the characters listed
# here (the complement: tab, CR, other C0 and C1 controls, DEL...) goes to the reference
# loader. (Written as the short complement, which compiles in microseconds, not as the
# long negated class.)
_UNSURE_TEXT = re.compile(
    r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
)

# A backslash is read only before the escapes JSON has (the double-quoted escapes both
# parsers surely read alike); a case file with any other goes to the reference loader.
_UNSURE_ESCAPE = re.compile(r'\\(?!["\\/bfnrt]|u[0-9a-fA-F]{4})')

# ruamel.yaml's YAML 1.2 implicit resolvers (ruamel/yaml/resolver.py), by first character.
_FLOAT12 = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_INT12 = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0o?[0-7_]+
    |[-+]?[0-9_]+
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.X,
)
# The numbers read here: a plain decimal integer or decimal fraction, no sign but '-',
# no leading zero, no underscore, no exponent (everything else goes to the reference).
_PLAIN_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_PLAIN_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = frozenset(["", "~", "null", "Null", "NULL"])
_NUMBER_START = frozenset("-+.0123456789")


class _Decline(Exception):
    """The fast path is not sure: the reference path decides."""


def _plain(value: str) -> Any:
    """A plain scalar resolved by the YAML 1.2 core schema (ruamel's resolver, for 1.2)."""
    if value in _NULL:
        return None
    if value in _BOOL:
        return _BOOL[value]
    if value in ("<<", "="):
        raise _Decline  # merge and value keys
    if value[0] in _NUMBER_START:
        if _FLOAT12.match(value):
            if _PLAIN_FLOAT.fullmatch(value):
                return float(value)
            raise _Decline
        if _INT12.match(value):
            if _PLAIN_INT.fullmatch(value):
                return int(value)
            raise _Decline
        # a timestamp stays text: the loader's constructor leaves dates to pydantic
    return value


def fast_load(text: str) -> Any | None:
    """Compose a YAML 1.2 / JSON document into plain data with libyaml, or decline.

    Args:
        text: The document (already read within the size limit).

    Returns:
        The document as ``dict``/``list``/``str``/``int``/``float``/``bool``/``None``,
        equal to what the reference loader gives, or ``None`` when it declines (and for an
        empty document).
    """
    if _UNSURE_TEXT.search(text) is not None or _UNSURE_ESCAPE.search(text) is not None:
        return None
    try:
        from yaml import events as ev  # type: ignore[import-untyped]
        from yaml._yaml import CParser  # type: ignore[import-untyped]
    except ImportError:  # PyYAML without libyaml: the reference path reads everything
        return None
    try:
        return _compose(CParser(text), ev)
    except (_Decline, RecursionError):
        return None
    except Exception:  # noqa: BLE001 - libyaml's errors: the reference path reports them
        return None


def _compose(parser: Any, ev: Any) -> Any:
    """Build the single document of ``parser``'s event stream (see :func:`fast_load`)."""
    stack: list[Any] = []  # open containers (dict or list)
    keys: list[Any] = []  # per open container: the key awaiting its value, or _NO_KEY
    root: Any = None
    done = False
    parser.get_event()  # StreamStart
    start = parser.get_event()
    if isinstance(start, ev.StreamEndEvent):
        return None
    if start.version is not None or start.tags:
        raise _Decline
    while True:
        e = parser.get_event()
        if isinstance(e, ev.DocumentEndEvent):
            break
        if getattr(e, "anchor", None) is not None or getattr(e, "tag", None) is not None:
            raise _Decline
        value: Any
        if isinstance(e, ev.ScalarEvent):
            value = _plain(e.value) if not e.style else e.value
        elif isinstance(e, ev.MappingStartEvent | ev.SequenceStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise _Decline
            stack.append({} if isinstance(e, ev.MappingStartEvent) else [])
            keys.append(_NO_KEY)
            continue
        elif isinstance(e, ev.MappingEndEvent | ev.SequenceEndEvent):
            value = stack.pop()
            keys.pop()
        else:  # an alias, or anything unforeseen
            raise _Decline
        if not stack:
            root, done = value, True
            continue
        parent = stack[-1]
        if type(parent) is list:
            parent.append(value)
        elif keys[-1] is _NO_KEY:
            if type(value) is not str or value in parent:
                raise _Decline  # a non-text or duplicate key
            keys[-1] = value
        else:
            parent[keys[-1]] = value
            keys[-1] = _NO_KEY
    if not done or not isinstance(parser.get_event(), ev.StreamEndEvent):
        raise _Decline  # several documents
    _no_surrogates(root)
    return root


_NO_KEY = object()
_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_surrogates(root: Any) -> None:
    """Decline text holding UTF-16 surrogates (the reference constructor joins or refuses)."""
    stack = [root]
    while stack:
        x = stack.pop()
        if type(x) is str:
            if _SURROGATE.search(x):
                raise _Decline
        elif type(x) is dict:
            stack.extend(x)
            stack.extend(x.values())
        elif type(x) is list:
            stack.extend(x)


# --- the case, checked against the models' declared fields and validators ------------------

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+-]*")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MAX_EXACT = 2**53


def _id(x: Any) -> str:
    if type(x) is not str or not 1 <= len(x) <= 64 or _ID.fullmatch(x) is None:
        raise _Decline
    return x


def _text(x: Any) -> str:
    if type(x) is not str:
        raise _Decline
    return x


def _opt_text(x: Any) -> str | None:
    return None if x is None else _text(x)


def _number(x: Any) -> float:
    """A float field: an int or a finite float, as pydantic's lax float gives it."""
    t = type(x)
    if t is float:
        if not math.isfinite(x):
            raise _Decline
        return x  # type: ignore[no-any-return]
    if t is int and -_MAX_EXACT <= x <= _MAX_EXACT:
        return float(x)
    raise _Decline


def _bool(x: Any) -> bool:
    if type(x) is not bool:
        raise _Decline
    return bool(x)


def _opt_date(x: Any) -> dt.date | None:
    if x is None:
        return None
    if type(x) is not str or _DATE.fullmatch(x) is None:
        raise _Decline
    try:
        return dt.date.fromisoformat(x)
    except ValueError:
        raise _Decline from None


def _choice(x: Any, allowed: frozenset[str]) -> str:
    if type(x) is not str or x not in allowed:
        raise _Decline
    return x


def _list(x: Any) -> list[Any]:
    if type(x) is not list:
        raise _Decline
    return x


def _fields(
    x: Any, allowed: frozenset[str], required: frozenset[str] = frozenset()
) -> dict[str, Any]:
    if type(x) is not dict or not x.keys() <= allowed or not required <= x.keys():
        raise _Decline
    return x


class _Builder:
    """Builds the case models with ``model_construct`` after checking what they check."""

    def __init__(self) -> None:
        from detente.case import model as m

        self.m = m
        self.source_kinds = frozenset(get_args(m.SourceKind))
        self.actor_kinds = frozenset(get_args(m.ActorKind))
        self.roles = frozenset(get_args(m.ActorRole))
        self.distributions = frozenset(("pert", "triangular", "uniform"))

    def estimate(self, cls: Any, x: Any, low: float | None, high: float | None) -> Any:
        """An Estimate subclass: a bare number or a mapping; bounds of value and range."""
        if type(x) is dict:
            f = _fields(x, _ESTIMATE_FIELDS, frozenset(("value",)))
        elif type(x) in (int, float):
            f = {"value": x}
        else:
            raise _Decline  # text and booleans: the reference path converts or refuses
        out: dict[str, Any] = {"value": _number(f["value"])}
        value = out["value"]
        if "range" in f:
            r = f["range"]
            if r is None:
                out["range"] = None
            else:
                if type(r) is not list or len(r) != 2:
                    raise _Decline
                lo, hi = _number(r[0]), _number(r[1])
                if not lo <= value <= hi:
                    raise _Decline
                out["range"] = (lo, hi)
        if "distribution" in f:
            d = f["distribution"]
            out["distribution"] = None if d is None else _choice(d, self.distributions)
        for name in ("source", "quote", "note"):
            if name in f:
                out[name] = _opt_text(f[name])
        rng = out.get("range")
        if low is not None and (value < low or (rng is not None and rng[0] < low)):
            raise _Decline
        if high is not None and (value > high or (rng is not None and rng[1] > high)):
            raise _Decline
        return cls.model_construct(_fields_set=set(f), **out)

    def opt_estimate(self, cls: Any, x: Any, low: float | None, high: float | None) -> Any:
        return None if x is None else self.estimate(cls, x, low, high)

    def source(self, x: Any) -> Any:
        f = _fields(x, _SOURCE_FIELDS, frozenset(("id", "citation", "kind")))
        out: dict[str, Any] = {
            "id": _id(f["id"]),
            "citation": _text(f["citation"]),
            "kind": _choice(f["kind"], self.source_kinds),
        }
        for name in ("bias", "url"):
            if name in f:
                out[name] = _opt_text(f[name])
        if "date" in f:
            out["date"] = _opt_date(f["date"])
        return self.m.Source.model_construct(set(f), **out)

    def actor(self, x: Any) -> Any:
        f = _fields(x, _ACTOR_FIELDS, frozenset(("id", "name")))
        out: dict[str, Any] = {"id": _id(f["id"]), "name": _text(f["name"])}
        if "kind" in f:
            out["kind"] = _choice(f["kind"], self.actor_kinds)
        if "role" in f:
            out["role"] = _choice(f["role"], self.roles)
        if "at_table" in f:
            out["at_table"] = _bool(f["at_table"])
        if "capability" in f:
            out["capability"] = self.opt_estimate(self.m.Capability, f["capability"], 0.0, None)
        if "description" in f:
            out["description"] = _opt_text(f["description"])
        return self.m.Actor.model_construct(set(f), **out)

    def scale(self, x: Any) -> Any:
        f = _fields(x, _SCALE_FIELDS)
        out: dict[str, Any] = {}
        for name in ("min", "max"):
            if name in f:
                out[name] = _number(f[name])
        if "unit" in f:
            out["unit"] = _opt_text(f["unit"])
        if "anchors" in f:
            anchors = []
            for a in _list(f["anchors"]):
                g = _fields(a, _ANCHOR_FIELDS, _ANCHOR_FIELDS)
                anchors.append(
                    self.m.Anchor.model_construct(
                        value=_number(g["value"]), label=_text(g["label"])
                    )
                )
            out["anchors"] = anchors
        if not out.get("min", 0.0) < out.get("max", 100.0):
            raise _Decline
        return self.m.Scale.model_construct(set(f), **out)

    def issue(self, x: Any) -> Any:
        f = _fields(x, _ISSUE_FIELDS, frozenset(("id", "question")))
        out: dict[str, Any] = {"id": _id(f["id"]), "question": _text(f["question"])}
        # a missing scale is the default one, built here: its default factory would
        # validate, and so build the schema the fast path avoids
        out["scale"] = self.scale(f["scale"]) if "scale" in f else self.m.Scale.model_construct()
        for name in ("status_quo", "outcome"):
            if name in f:
                out[name] = self.opt_estimate(self.m.PositionEstimate, f[name], None, None)
        if "description" in f:
            out["description"] = _opt_text(f["description"])
        return self.m.Issue.model_construct(set(f), **out)

    def position(self, x: Any) -> Any:
        f = _fields(x, _POSITION_FIELDS, frozenset(("actor", "issue", "salience")))
        m = self.m
        out: dict[str, Any] = {
            "actor": _id(f["actor"]),
            "issue": _id(f["issue"]),
            "salience": self.estimate(m.Salience, f["salience"], 0.0, 1.0),
        }
        if "position" in f:
            out["position"] = self.opt_estimate(m.PositionEstimate, f["position"], None, None)
        if "capability" in f:
            out["capability"] = self.opt_estimate(m.Capability, f["capability"], 0.0, None)
        return m.Position.model_construct(set(f), **out)

    def round(self, x: Any) -> Any:
        f = _fields(x, _ROUND_FIELDS)
        out: dict[str, Any] = {}
        if "number" in f:
            n = f["number"]
            if n is not None and type(n) is not int:
                raise _Decline
            out["number"] = n
        for name in ("name", "place", "outcome", "source"):
            if name in f:
                out[name] = _opt_text(f[name])
        for name in ("start", "end"):
            if name in f:
                out[name] = _opt_date(f[name])
        if "participants" in f:
            out["participants"] = [_id(p) for p in _list(f["participants"])]
        return self.m.Round.model_construct(set(f), **out)

    def info(self, x: Any) -> Any:
        f = _fields(x, _INFO_FIELDS, frozenset(("id", "title")))
        out: dict[str, Any] = {"id": _id(f["id"]), "title": _text(f["title"])}
        for name in ("start", "end"):
            if name in f:
                out[name] = _opt_date(f[name])
        for name in ("place", "summary"):
            if name in f:
                out[name] = _opt_text(f[name])
        if "require_sources" in f:
            out["require_sources"] = _bool(f["require_sources"])
        return self.m.CaseInfo.model_construct(set(f), **out)

    def case(self, x: Any) -> Any:
        f = _fields(x, _CASE_FIELDS, frozenset(("case", "actors", "issues", "positions")))
        out: dict[str, Any] = {}
        if "detente" in f:
            if type(f["detente"]) is not int:
                raise _Decline
            out["detente"] = f["detente"]
        out["case"] = self.info(f["case"])
        for name, build in (
            ("sources", self.source),
            ("actors", self.actor),
            ("issues", self.issue),
            ("positions", self.position),
            ("rounds", self.round),
        ):
            if name in f:
                out[name] = [build(item) for item in _list(f[name])]
        if "model_params" in f:
            mp = f["model_params"]
            if type(mp) is not dict:
                raise _Decline
            out["model_params"] = {_id(k): _params(v) for k, v in mp.items()}
        return self.m.Case.model_construct(set(f), **out)


def _params(x: Any) -> dict[str, Any]:
    """``dict[str, bool | int | float | str]`` as the smart union keeps each type."""
    if type(x) is not dict or any(type(k) is not str for k in x):
        raise _Decline
    for v in x.values():
        t = type(v)
        if t is float and not math.isfinite(v):
            raise _Decline
        if t not in (bool, int, float, str):
            raise _Decline
    return dict(x)


_ESTIMATE_FIELDS = frozenset(("value", "range", "distribution", "source", "quote", "note"))
_SOURCE_FIELDS = frozenset(("id", "citation", "kind", "bias", "url", "date"))
_ACTOR_FIELDS = frozenset(("id", "name", "kind", "role", "at_table", "capability", "description"))
_SCALE_FIELDS = frozenset(("min", "max", "unit", "anchors"))
_ANCHOR_FIELDS = frozenset(("value", "label"))
_ISSUE_FIELDS = frozenset(("id", "question", "scale", "status_quo", "outcome", "description"))
_POSITION_FIELDS = frozenset(("actor", "issue", "position", "salience", "capability"))
_ROUND_FIELDS = frozenset(
    ("number", "name", "start", "end", "place", "participants", "outcome", "source")
)
_INFO_FIELDS = frozenset(("id", "title", "start", "end", "place", "summary", "require_sources"))
# `trust` and `extensions` are left out: a case with either goes the reference way.
_CASE_FIELDS = frozenset(
    ("detente", "case", "sources", "actors", "issues", "positions", "rounds", "model_params")
)


def fast_case(data: Any) -> Any | None:
    """The :class:`~detente.case.model.Case` that ``Case.model_validate(data)`` gives, or None.

    Args:
        data: A document as :func:`fast_load` composes it (plain Python data).

    Returns:
        The case, built without any pydantic validator, or ``None`` where the fast path
        is not sure the models accept ``data`` unchanged (then they decide).
    """
    try:
        return _Builder().case(data)
    except _Decline:
        return None
