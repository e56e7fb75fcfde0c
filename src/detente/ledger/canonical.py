r"""RFC 8785 JSON Canonicalization Scheme (JCS).

* §3.2.2.2 strings: the JSON escapes ``\b \t \n \f \r \" \\``, other controls as
  ``\u00xx`` (lowercase hex), everything else as UTF-8 (including lone surrogates: refused).
* §3.2.2.3 numbers: the ECMAScript ``Number.prototype.toString`` form of the IEEE-754
  double; integers beyond 2**53 that a double cannot hold exactly are refused, as are NaN and
  infinities.
* §3.2.3 object members sorted by the UTF-16 code units of their names.

:func:`loads_canonical` parses bytes and refuses anything that is not already canonical
(duplicate names included), which is how entries read back from the ledger are checked.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from json.encoder import c_make_encoder as _c_make_encoder  # type: ignore[attr-defined]
from json.encoder import encode_basestring as _quote
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, PrivateAttr

from detente.errors import VerificationError

__all__ = ["CanonicalModel", "canonicalize", "loads_canonical", "plain_dumps"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def _string(s: str) -> str:
    # CPython's encoder (ensure_ascii=False) writes exactly the RFC 8785 §3.2.2.2 escapes:
    # the two-character forms for \b \t \n \f \r \" \\ and lowercase \u00xx for other
    # controls, everything else verbatim. It lets lone surrogates through, so refuse them.
    if _SURROGATE.search(s):
        raise VerificationError("cannot canonicalize a string with a lone surrogate")
    return _quote(s)


def _number(x: float) -> str:
    """ECMAScript Number::toString (ECMA-262 §7.1.12.1) of a finite double."""
    if math.isnan(x) or math.isinf(x):
        raise VerificationError("JSON numbers must be finite (RFC 8785 §3.2.2.3)")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    # repr gives the shortest digits that round-trip, as ECMA-262 requires.
    tup = Decimal(repr(abs(x))).as_tuple()
    digits = "".join(map(str, tup.digits)).lstrip("0")
    assert isinstance(tup.exponent, int)
    stripped = digits.rstrip("0")
    n = len(digits) + tup.exponent  # value = 0.digits * 10**n (ECMA-262's n)
    digits = stripped
    k = len(digits)
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        esign = "+" if e >= 0 else "-"
        body = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + esign + str(abs(e))
    return sign + body


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > 2**53:
            raise VerificationError(
                f"integer {value} cannot be represented exactly as an IEEE-754 double "
                "(RFC 8785 §3.2.2.3); write it as a string"
            )
        out.append(_number(float(value)))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(",")
            _encode(v, out)
        out.append("]")
    elif isinstance(value, dict):
        for k in value:
            if not isinstance(k, str):
                raise VerificationError(f"JSON object names must be strings, got {k!r}")
        out.append("{")
        for i, k in enumerate(sorted(value, key=lambda s: s.encode("utf-16-be"))):
            if i:
                out.append(",")
            out.append(_string(k))
            out.append(":")
            _encode(value[k], out)
        out.append("}")
    else:
        raise VerificationError(f"cannot canonicalize a {type(value).__name__} as JSON")


_SUPPLEMENTARY = re.compile("[\U00010000-\U0010ffff]")


def _plain(value: Any) -> bool:
    """True when CPython's encoder already writes ``value`` canonically.

    That holds without floats (JCS writes them in ECMAScript form), without integers a double
    cannot hold, and without object names outside the BMP (where code-point order differs
    from the UTF-16 order of §3.2.3). Strings with lone surrogates are caught afterwards.
    This walk runs once per canonicalization, so it dispatches on exact types (``bool`` is
    an ``int``; subclasses take the slow, exact path) and skips the name check for ASCII.
    """
    t = type(value)
    if t is str or t is bool or value is None:
        return True
    if t is int:
        return bool(-_MAX_EXACT <= value <= _MAX_EXACT)
    if t is dict:
        for k, v in value.items():
            if type(k) is not str or (not k.isascii() and _SUPPLEMENTARY.search(k)):
                return False
            tv = type(v)
            if tv is str or tv is bool or v is None:
                continue
            if not _plain(v):
                return False
        return True
    if t is list or t is tuple:
        for v in value:
            tv = type(v)
            if tv is str or tv is bool or v is None:
                continue
            if not _plain(v):
                return False
        return True
    return False


_MAX_EXACT = 2**53


_PLAIN_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
"""Built once: ``json.dumps`` with options builds an encoder per call, which costs more than
encoding a small entry."""


def _refuse(value: object) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_C_ENCODER: Any = (
    None
    if _c_make_encoder is None
    else _c_make_encoder(None, _refuse, _quote, None, ":", ",", True, False, True)
)
"""The C encoder :data:`_PLAIN_ENCODER` builds on every call (same options), built once.

Without the circular-reference markers: the values encoded here are parsed JSON or built
by detente, never circular (a self-containing list fails with RecursionError instead)."""


def plain_dumps(value: Any) -> str:
    """CPython's encoding of ``value`` with sorted names and no spaces.

    That is RFC 8785 only for values :func:`canonicalize` calls plain (strings without lone
    surrogates, no floats, BMP names); callers that know their values are of that kind use
    it directly.
    """
    if _C_ENCODER is None or type(value) is str:
        return _PLAIN_ENCODER.encode(value)
    return "".join(_C_ENCODER(value, 0))


def canonicalize(value: Any) -> bytes:
    """Serialise ``value`` as RFC 8785 canonical JSON (UTF-8 bytes).

    Raises:
        VerificationError: for values JSON cannot hold exactly (NaN, huge integers, ...).
    """
    if _plain(value):
        text = _PLAIN_ENCODER.encode(value)
        if not _SURROGATE.search(text):
            return text.encode("utf-8")
    out: list[str] = []
    _encode(value, out)
    return "".join(out).encode("utf-8")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for k, v in pairs:
        if k in result:
            raise VerificationError(f"duplicate JSON object name {k!r}")
        result[k] = v
    return result


def _parse_int(text: str) -> int | float:
    """JSON numbers are IEEE-754 doubles (RFC 8785 §3.2.2.3): large integers become floats."""
    n = int(text)
    return n if abs(n) <= 2**53 else float(text)


def loads_canonical(data: bytes) -> Any:
    """Parse ``data`` and require it to be exactly its RFC 8785 canonical form.

    Raises:
        VerificationError: if it is not JSON, has duplicate names, or is not canonical.
    """
    try:
        text = data.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_parse_int)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerificationError(f"entry is not valid UTF-8 JSON: {exc}") from exc
    canon = canonicalize(value)
    if canon != data:
        at = next(
            (i for i, (a, b) in enumerate(zip(canon, data, strict=False)) if a != b),
            min(len(canon), len(data)),
        )
        raise VerificationError(
            f"JSON is not in RFC 8785 canonical form (first difference at byte {at})"
        )
    return value


class CanonicalModel(BaseModel):
    """A frozen pydantic model whose RFC 8785 encoding is computed once and kept.

    Signing, building the entry and verifying all need the same canonical bytes; the model
    is frozen, so they cannot change. Copies (``model_copy(update=...)``, ``copy.copy``)
    start without the cached bytes, since an update changes them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    _canonical: bytes | None = PrivateAttr(default=None)

    def canonical(self) -> bytes:
        """The RFC 8785 canonical JSON of the model."""
        # The private-attribute dict directly: ``self._canonical`` goes through pydantic's
        # __getattr__, which costs more than the lookup it saves on the append path.
        private = self.__pydantic_private__
        cached = private.get("_canonical") if private is not None else None
        if cached is None:
            cached = canonicalize(self.model_dump(mode="json"))
            self._canonical = cached
        return cached

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy, without the cached encoding."""
        out = super().model_copy(update=update, deep=deep)
        out._canonical = None
        return out

    def __copy__(self) -> Self:
        out = super().__copy__()
        out._canonical = None
        return out

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        out = super().__deepcopy__(memo)
        out._canonical = None
        return out
