"""JSON text parsed with bounded nesting: a hostile file is a located error, not a crash.

Python's :func:`json.loads` recurses once per nested array or object and raises a bare
:class:`RecursionError` near the interpreter's recursion limit (about 1,000 levels), which
reached the command line as an internal error (``[[[[...`` 100,000 deep in a statements
file, a commitment draft, a key file). A document that parses but nests hundreds of levels
deep is refused as well, because code that walks values recursively (RFC 8785
canonicalization, the models) would meet the same limit later, far from the file.

:func:`loads` is :func:`json.loads` (RFC 8259, the same values and the same
:class:`json.JSONDecodeError` for a syntax error) with one more refusal: nesting deeper than
:data:`MAX_DEPTH` raises :class:`JSONDepthError`, a :class:`json.JSONDecodeError` located at
the first bracket past the limit, so every caller's existing handling of syntax errors
(file, line, column) reports it too.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

__all__ = ["MAX_DEPTH", "JSONDepthError", "error_code", "loads", "nesting_exceeds"]

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted in a YAML or JSON document.

A case file nests six levels deep (``positions[k].position.range[0]``); 64 leaves room for
``extensions`` and stops 100,000-deep brackets before they exhaust the parser's stack.
"""

# A JSON string (possessive: no backtracking, so an unterminated string costs linear time)
# or one structural bracket. Strings are matched whole so that brackets inside them do not
# count.
_TOKEN = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')


class JSONDepthError(json.JSONDecodeError):
    """JSON nested deeper than the limit; ``lineno`` and ``colno`` locate the bracket."""


def error_code(exc: json.JSONDecodeError, default: str = "json") -> str:
    """A parse error's diagnostic code: ``too-deep`` (as the YAML reader says) or ``default``."""
    return "too-deep" if isinstance(exc, JSONDepthError) else default


def nesting_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether parsed JSON ``value`` nests lists and dicts more than ``limit`` levels deep.

    Breadth first, one level at a time, without recursion: a top-level container is
    level 1, a scalar level 0.
    """
    level = [value] if type(value) is dict or type(value) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        nxt: list[Any] = []
        for v in level:
            items = v.values() if type(v) is dict else v
            nxt += [c for c in items if type(c) is dict or type(c) is list]
        level = nxt
    return False


def _deep_position(text: str, limit: int) -> int:
    """Offset of the first ``[`` or ``{`` that opens level ``limit + 1`` (0 if none)."""
    depth = 0
    for m in _TOKEN.finditer(text):
        c = m.group()
        if c == "[" or c == "{":
            depth += 1
            if depth > limit:
                return m.start()
        elif c == "]" or c == "}":
            depth -= 1
    return 0


def loads(text: str | bytes, limit: int = MAX_DEPTH) -> Any:
    """Parse JSON text as :func:`json.loads` does, refusing nesting deeper than ``limit``.

    Args:
        text: The JSON text (``bytes`` are decoded as :func:`json.loads` decodes them).
        limit: The deepest nesting of arrays and objects accepted.

    Raises:
        json.JSONDecodeError: on a syntax error, as :func:`json.loads`.
        JSONDepthError: when arrays and objects nest deeper than ``limit``, located at the
            first bracket past it.
        json.JSONDecodeError: also for an integer with more digits than Python converts
            (``sys.get_int_max_str_digits()``, 4,300 by default), located at it.
        UnicodeDecodeError: for ``bytes`` that are not UTF-8, UTF-16 or UTF-32.
    """
    try:
        doc = json.loads(text)
    except RecursionError:
        doc = None
        deep = True
    except json.JSONDecodeError:
        raise
    except ValueError:
        # int() refuses more than sys.get_int_max_str_digits() digits (CVE-2020-10735)
        digits = sys.get_int_max_str_digits()
        s = _text(text)
        m = re.search(rf"[0-9]{{{digits + 1},}}", s)
        raise json.JSONDecodeError(
            f"a number with more than {digits} digits (the most Python reads as an integer)",
            s,
            m.start() if m else 0,
        ) from None
    else:
        deep = nesting_exceeds(doc, limit)
    if not deep:
        return doc
    s = _text(text)
    raise JSONDepthError(
        f"arrays and objects nest deeper than {limit} levels", s, _deep_position(s, limit)
    )


def _text(text: str | bytes) -> str:
    return text if isinstance(text, str) else text.decode(json.detect_encoding(text), "replace")
