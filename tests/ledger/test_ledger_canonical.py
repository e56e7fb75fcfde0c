"""RFC 8785 canonical JSON: the RFC's number samples, strings, ordering, refusals."""

from __future__ import annotations

import json
import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_helpers import load_vector

from detente.errors import VerificationError
from detente.ledger.canonical import canonicalize, loads_canonical

NUMBERS = load_vector("rfc8785_numbers.json")["cases"]


@pytest.mark.parametrize(("hexbits", "expected"), NUMBERS)
def test_rfc8785_number_samples(hexbits: str, expected: str) -> None:
    x = struct.unpack(">d", bytes.fromhex(hexbits))[0]
    assert canonicalize(x).decode() == expected


def test_rfc8785_section_3_2_2_example() -> None:
    # RFC 8785 §3.2.2 sample input and its canonical output.
    value = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonicalize(value).decode() == expected


def test_member_order_is_by_utf16_code_units() -> None:
    value = {"\u20ac": 1, "\r": 2, "\U0001f600": 3, "\ufb33": 4, "1": 5, "\u00f6": 6}
    keys = list(json.loads(canonicalize(value)))
    assert keys == ["\r", "1", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


@pytest.mark.parametrize(
    "bad", [math.nan, math.inf, -math.inf, 2**53 + 1, {1: 2}, object(), "\ud800"]
)
def test_unrepresentable_values_are_refused(bad: object) -> None:
    with pytest.raises(VerificationError):
        canonicalize(bad)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"b":1, "a":2}', "canonical"),
        (b'{"b":1,"a":2}', "canonical"),
        (b'{"a":1.0}', "canonical"),
        (b'{"a":"\\u00e9"}', "canonical"),
        (b'{"a":1,"a":1}', "duplicate"),
        (b"\xff", "UTF-8"),
        (b'{"a":', "JSON"),
    ],
)
def test_non_canonical_json_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(VerificationError, match=reason):
        loads_canonical(data)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_property_canonical_is_a_fixed_point(value: object) -> None:
    data = canonicalize(value)
    parsed = loads_canonical(data)
    assert canonicalize(parsed) == data
    # The value survives as IEEE-754 doubles.
    assert _as_doubles(parsed) == _as_doubles(value)


def _as_doubles(v: object) -> object:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, list):
        return [_as_doubles(x) for x in v]
    assert isinstance(v, dict)
    return {k: _as_doubles(x) for k, x in v.items()}


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_property_fast_path_equals_the_reference_encoder(value: object) -> None:
    from detente.ledger.canonical import _encode

    out: list[str] = []
    _encode(value, out)
    assert canonicalize(value) == "".join(out).encode("utf-8")
