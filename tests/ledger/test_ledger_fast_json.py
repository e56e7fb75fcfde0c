"""The append path's JSON shortcuts against the standard library's own calls (differential).

``entries._loads`` is ``json.loads`` without the wrapper (``raw_decode`` at 0, the rest
handed to ``json.loads``); ``canonical.plain_dumps`` runs the C encoder that
``json.JSONEncoder.encode`` builds on every call, built once. Both must give the same value
or the same error on any text and any value.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from detente.ledger.canonical import plain_dumps
from detente.ledger.entries import _loads

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(alphabet=st.characters(exclude_categories=())),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner),
        st.dictionaries(st.text(max_size=4), inner, max_size=4),
    ),
    max_leaves=12,
)


def _outcome(fn: Any, arg: Any) -> object:
    try:
        return ("ok", repr(fn(arg)))
    except (ValueError, TypeError, RecursionError) as exc:
        return (type(exc).__name__, str(exc))


@st.composite
def _texts(draw: st.DrawFn) -> str:
    """JSON text as an entry may arrive: valid, padded, with a BOM, trailing data, broken."""
    text = json.dumps(draw(_VALUES), ensure_ascii=draw(st.booleans()))
    edit = draw(st.integers(0, 6))
    if edit == 1:
        text = draw(st.sampled_from([" ", "\n", "\t"])) + text
    elif edit == 2:
        text += draw(st.sampled_from([" ", "\n", "x", "{}", "]"]))
    elif edit == 3:
        text = "\ufeff" + text
    elif edit == 4 and text:
        cut = draw(st.integers(0, len(text) - 1))
        text = text[:cut]
    elif edit == 5:
        text = draw(st.text(max_size=20))
    return text


@settings(max_examples=1500, deadline=None)
@given(text=_texts())
def test_loads_is_json_loads(text: str) -> None:
    assert _outcome(_loads, text) == _outcome(json.loads, text)


_REFERENCE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@settings(max_examples=1500, deadline=None)
@given(value=st.one_of(_VALUES, st.dictionaries(st.integers(), _SCALARS, max_size=3)))
def test_plain_dumps_is_the_encoder(value: Any) -> None:
    assert _outcome(plain_dumps, value) == _outcome(_REFERENCE.encode, value)


def test_plain_dumps_refuses_what_the_encoder_refuses() -> None:
    for value in ({"a": object()}, [b"bytes"], {(1, 2): 3}):
        assert _outcome(plain_dumps, value) == _outcome(_REFERENCE.encode, value)
        assert _outcome(plain_dumps, value)[0] == "TypeError"
