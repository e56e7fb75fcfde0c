"""The client's pydantic-free event entry builder against the models (differential).

``commitment.signed_event_entry(fields, signer)`` promises exactly
``event_entry(ev, [sign_event(ev, signer)])`` with ``ev = Event(**fields)``: the same bytes
(Ed25519 is deterministic, RFC 8032 §5.1.6) or the same refusal, with the same message. These
properties generate the plain data a client holds (every field as the model takes it, in
values it converts, refuses or keeps; datetimes naive, with whole-minute and odd offsets, and
other tzinfo kinds; missing and extra fields; lone surrogates) and compare the two.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.ledger.ledger_helpers import seeded_signer

from detente.errors import VerificationError
from detente.ledger.commitment import (
    EVENT_KINDS,
    Event,
    _fast_event_body,
    event_entry,
    sign_event,
    signed_event_entry,
)
from detente.ledger.entries import verify_entry
from detente.ledger.note import NoteSigner

SIGNER = seeded_signer("afg.example", 21)
ODD_SIGNER = seeded_signer("A\u00e9\u4e2d", 22)
CID = "sha256:" + "0123456789abcdef" * 4

_ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=12)
_GOOD_TEXT = st.text(max_size=12)
_TZ = st.one_of(
    st.none(),
    st.just(dt.UTC),
    st.builds(
        dt.timezone,
        st.timedeltas(min_value=-dt.timedelta(hours=23, minutes=59), max_value=dt.timedelta(0)),
    ),
    st.builds(
        lambda m: dt.timezone(dt.timedelta(minutes=m)), st.integers(-(24 * 60 - 1), 24 * 60 - 1)
    ),
    st.builds(lambda s: dt.timezone(dt.timedelta(seconds=s)), st.integers(-86399, 86399)),
    st.just(zoneinfo.ZoneInfo("Europe/Istanbul")),
)


class _Str(str):
    """A ``str`` subclass: the fast path leaves it to the model."""


@st.composite
def _at(draw: st.DrawFn) -> object:
    when = draw(
        st.datetimes(
            min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=_TZ
        )
    )
    choice = draw(st.integers(0, 9))
    if choice < 7:
        return when
    if choice == 7:
        return when.isoformat()
    if choice == 8:
        return when.date()
    return draw(st.one_of(st.integers(-(2**31), 2**31), st.none(), _ANY_TEXT))


_JUNK = st.one_of(st.none(), st.integers(-3, 3), st.booleans(), _ANY_TEXT, st.just([]))


def _maybe(draw: st.DrawFn, good: Any, bad: st.SearchStrategy[Any]) -> Any:
    return good if draw(st.integers(0, 4)) else draw(bad)


@st.composite
def _fields(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "kind": _maybe(draw, draw(st.sampled_from(EVENT_KINDS)), _JUNK),
        "commitment": _maybe(
            draw, CID, st.sampled_from([CID.upper(), CID + "\n", CID[:-1], _Str(CID), 7])
        ),
        "at": draw(_at()),
        "by": _maybe(
            draw,
            draw(st.sampled_from(["AFG", "A\u00e9\u4e2d", "x\u0001y"])),
            st.one_of(_JUNK, st.sampled_from(["", "\ud800", _Str("AFG")])),
        ),
    }
    if draw(st.booleans()):
        fields["format"] = _maybe(
            draw, "detente.event/v1", st.sampled_from(["detente.event/v2", 1, None])
        )
    if draw(st.booleans()):
        fields["note"] = _maybe(draw, draw(st.one_of(st.none(), _GOOD_TEXT)), _ANY_TEXT)
    if draw(st.booleans()):
        fields["evidence"] = _maybe(
            draw,
            draw(st.lists(_GOOD_TEXT, max_size=3)),
            st.one_of(
                st.lists(_ANY_TEXT, max_size=2),
                st.tuples(_GOOD_TEXT),
                st.lists(st.one_of(st.integers(0, 2), st.none()), min_size=1, max_size=2),
                _JUNK,
            ),
        )
    if not draw(st.integers(0, 5)):
        for key in draw(st.lists(st.sampled_from(sorted(fields)), max_size=2, unique=True)):
            del fields[key]
    if not draw(st.integers(0, 8)):
        fields[draw(st.sampled_from(["extra", "Kind", "signatures"]))] = "x"
    return fields


def _reference(fields: dict[str, Any], signer: NoteSigner) -> object:
    """What the model path gives: the entry's bytes, or the refusal (type and text)."""
    try:
        ev = Event(**fields)
        return event_entry(ev, [sign_event(ev, signer)])
    except (ValidationError, VerificationError, TypeError) as exc:
        return (type(exc).__name__, str(exc))


def _fast(fields: dict[str, Any], signer: NoteSigner) -> object:
    try:
        return signed_event_entry(fields, signer)
    except (ValidationError, VerificationError, TypeError) as exc:
        return (type(exc).__name__, str(exc))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=_fields(), odd=st.booleans())
def test_signed_event_entry_equals_the_model_path(fields: dict[str, Any], odd: bool) -> None:
    signer = ODD_SIGNER if odd else SIGNER
    assert _fast(dict(fields), signer) == _reference(dict(fields), signer)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=_fields())
def test_what_the_fast_builder_encodes_is_the_models_canonical_event(
    fields: dict[str, Any],
) -> None:
    fast = _fast_event_body(fields)
    if fast is None:
        return
    ev = Event(**fields)  # the fast path takes nothing the model refuses
    assert fast == (ev.canonical(), ev.by)


def test_the_data_a_client_holds_takes_the_fast_path_and_the_log_accepts_it() -> None:
    ev = Event(
        kind="compliance_claim",
        commitment=CID,
        at=dt.datetime(2026, 1, 1, 12, 30, 5, 250, tzinfo=dt.UTC),
        by="AFG",
        note="caf\u00e9",
        evidence=["report 7"],
    )
    fields = ev.model_dump()
    assert _fast_event_body(fields) is not None
    data = signed_event_entry(fields, SIGNER)
    assert data == event_entry(ev, [sign_event(ev, SIGNER)])
    info = verify_entry(data)
    assert (info.type, info.id, info.summary["kind"]) == ("event", CID, "compliance_claim")


def test_odd_offsets_and_zone_names_are_left_to_the_model() -> None:
    base = {"kind": "signed", "commitment": CID, "by": "AFG"}
    for tz in (
        dt.timezone(dt.timedelta(seconds=30)),
        zoneinfo.ZoneInfo("Europe/Istanbul"),
    ):
        fields = {**base, "at": dt.datetime(2026, 1, 1, tzinfo=tz)}
        assert _fast_event_body(fields) is None
        assert _fast(fields, SIGNER) == _reference(fields, SIGNER)
