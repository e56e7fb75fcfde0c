"""The pydantic-free validator of event entries against the pydantic models (differential).

``commitment._fast_event`` accepts an event entry on the append path without building the
pydantic models; whatever it does not accept goes to the models (``_verify_event_model``).
These properties generate valid, near-valid and hostile entries (every field in spellings
the models accept, refuse, or accept but re-encode differently; missing and extra fields;
wrong types; lone surrogates; non-canonical bytes; bad signatures) and require the two
paths to give the same outcome: the same :class:`EntryInfo`, or the same refusal with the
same message and diagnostics.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.ledger.ledger_helpers import seeded_signer

from detente.errors import VerificationError
from detente.ledger import entries
from detente.ledger.canonical import canonicalize
from detente.ledger.commitment import (
    EVENT_KINDS,
    Event,
    _fast_event,
    _fast_event_text,
    _verify_event_entry,
    _verify_event_model,
    event_entry,
    sign_event,
)
from detente.ledger.entries import EntryInfo, verify_entry

CONTEXT = b"detente-event/v1\n"
SIGNER = seeded_signer("afg.example", 11)
OTHER = seeded_signer("tur.example", 12)
CID = "sha256:" + "0123456789abcdef" * 4

_ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=12)
"""Any code points, lone surrogates and controls included."""

_TZ = st.sampled_from(
    [
        None,
        dt.UTC,
        dt.timezone(dt.timedelta(hours=1)),
        dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
        dt.timezone(dt.timedelta(hours=23, minutes=59)),
        dt.timezone(dt.timedelta(minutes=1)),
    ]
)


@st.composite
def _at(draw: st.DrawFn, clean: bool = False) -> object:
    """A datetime in the canonical spelling, in other valid spellings, or not one at all."""
    when = draw(
        st.datetimes(
            min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=_TZ
        )
    )
    iso = when.isoformat()
    spelled = {
        "iso": iso,
        "z": iso.replace("+00:00", "Z"),
        "minus-zero": iso.replace("+00:00", "-00:00"),
        "zero-micro": iso if when.microsecond else iso[:19] + ".000000" + iso[19:],
        "millis": iso[:19] + ".123" + iso[26:] if when.microsecond else iso[:19] + ".5" + iso[19:],
        "space": iso.replace("T", " "),
        "lower-t": iso.replace("T", "t"),
        "lower-z": iso.replace("+00:00", "z"),
        "no-seconds": iso[:16] + iso[19:],
        "date": iso[:10],
        "compact": iso.replace("-", "").replace(":", ""),
        "hour-24": "2026-01-01T24:00:00Z",
        "leap": "2026-12-31T23:59:60Z",
        "month-13": "2026-13-01T00:00:00Z",
        "feb-30": "2026-02-30T00:00:00Z",
        "year-0": "0000-01-01T00:00:00Z",
        "offset-24": "2026-01-01T00:00:00+24:00",
        "offset-99": "2026-01-01T00:00:00+12:99",
        "offset-60": "2026-01-01T00:00:00-05:60",
        "offset-max": "2026-01-01T00:00:00-23:59",
        "minute-60": "2026-01-01T10:60:00Z",
        "feb-29": "2024-02-29T00:00:00Z",
        "offset-seconds": "2026-01-01T00:00:00+01:00:30",
        "arabic-digits": "\u0662026-01-01T00:00:00Z",
        "newline": iso + "\n",
    }
    if clean and draw(st.integers(0, 9)):
        return spelled["z"]  # what pydantic writes: the canonical spelling
    choice = draw(st.sampled_from([*spelled, "offset", "clock", "int", "float", "none", "text"]))
    if choice == "offset":  # any two-digit hours and minutes, in range or not
        h, m = draw(st.integers(0, 99)), draw(st.integers(0, 99))
        return f"{iso[:19]}{draw(st.sampled_from('+-'))}{h:02d}:{m:02d}"
    if choice == "clock":
        h, m, sec = (draw(st.integers(0, 99)) for _ in range(3))
        return f"{iso[:10]}T{h:02d}:{m:02d}:{sec:02d}Z"
    if choice == "int":
        return draw(st.integers(-(2**40), 2**40))
    if choice == "float":
        return draw(st.floats(allow_nan=False, allow_infinity=False))
    if choice == "none":
        return None
    if choice == "text":
        return draw(_ANY_TEXT)
    return spelled[choice]


def _maybe(draw: st.DrawFn, good: Any, bad: st.SearchStrategy[Any], odds: int = 3) -> Any:
    """``good``, or one drawn from ``bad`` once in ``odds + 1``."""
    return good if draw(st.integers(0, odds)) else draw(bad)


_JUNK = st.one_of(st.none(), st.integers(-3, 3), st.booleans(), _ANY_TEXT, st.just([]))


_GOOD_TEXT = st.text(max_size=12)  # no lone surrogates


@st.composite
def _event(draw: st.DrawFn, clean: bool) -> dict[str, Any]:
    """An event document; ``clean`` ones are valid but for a rare single defect."""
    odds = 30 if clean else 3
    names = ["AFG", "TUR", "A\u00e9\u4e2d"] + ([] if clean else ["", "\ud800"])
    by = draw(st.sampled_from(names))
    doc: dict[str, Any] = {
        "format": _maybe(draw, "detente.event/v1", st.sampled_from(["detente.event/v2", 1]), odds),
        "kind": _maybe(draw, draw(st.sampled_from(EVENT_KINDS)), st.one_of(_JUNK, _ANY_TEXT), odds),
        "commitment": _maybe(
            draw,
            CID,
            st.sampled_from([CID.upper(), CID + "\n", CID[:-1], "sha256:", 7, None]),
            odds,
        ),
        "at": draw(_at(clean)),
        "by": _maybe(draw, by, _JUNK, odds),
        "note": _maybe(
            draw, draw(st.one_of(st.none(), _GOOD_TEXT)), st.one_of(_ANY_TEXT, _JUNK), odds
        ),
        "evidence": _maybe(
            draw,
            draw(st.lists(_GOOD_TEXT, max_size=3)),
            st.one_of(
                st.lists(_ANY_TEXT, max_size=3),
                st.lists(st.one_of(_ANY_TEXT, st.integers(0, 2), st.none()), max_size=3),
                _JUNK,
            ),
            odds,
        ),
    }
    if not clean or not draw(st.integers(0, odds)):
        for key in draw(st.lists(st.sampled_from(sorted(doc)), max_size=2, unique=True)):
            if draw(st.booleans()):
                del doc[key]
    if not draw(st.integers(0, odds * 2)):
        doc[draw(st.sampled_from(["extra", "Kind", "\U0001f600"]))] = "x"
    return doc


@st.composite
def _entry(draw: st.DrawFn) -> tuple[dict[str, Any], bytes]:
    """An event entry document and its bytes (usually canonical, sometimes not)."""
    clean = draw(st.booleans())
    odds = 30 if clean else 3
    ev = draw(_event(clean))
    try:
        body: bytes | None = canonicalize(ev)
    except VerificationError:
        body = None
    sigs: list[Any] = []
    for k in range(draw(st.integers(1 if clean else 0, 2))):
        who = SIGNER if clean and k == 0 else draw(st.sampled_from([SIGNER, OTHER]))
        actor = (
            ev.get("by") if draw(st.integers(0, odds)) else draw(st.sampled_from(["AFG", "", 3]))
        )
        sig = (
            SIGNER.private_key.sign(CONTEXT + body)
            if body is not None and who is SIGNER and draw(st.integers(0, odds))
            else draw(st.sampled_from(["", "AAAA", "not base64!"]))
        )
        s: dict[str, Any] = {
            "actor": actor,
            "role": _maybe(
                draw, "party", st.sampled_from(["party", "mediator", "witness", 1]), odds
            ),
            "key": who.vkey if draw(st.integers(0, odds)) else draw(_JUNK),
            "sig": base64.b64encode(sig).decode() if isinstance(sig, bytes) else sig,
        }
        if not draw(st.integers(0, odds * 3)):
            del s[draw(st.sampled_from(sorted(s)))]
        if not draw(st.integers(0, odds * 3)):
            s["extra"] = 1
        sigs.append(s)
    raw_sigs: Any = sigs if draw(st.integers(0, odds * 3)) else draw(_JUNK)
    doc: dict[str, Any] = {"event": ev, "signatures": raw_sigs, "type": "event"}
    if not draw(st.integers(0, odds * 3)):
        doc["extra"] = True
    form = draw(
        st.sampled_from(["canonical"] * (6 if not clean else 30) + ["spaces", "ascii", "unsorted"])
    )
    try:
        if form == "canonical":
            data = canonicalize(doc)
        elif form == "spaces":
            data = json.dumps(doc, sort_keys=True, ensure_ascii=False).encode("utf-8")
        elif form == "ascii":
            data = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")
        else:
            data = json.dumps(dict(reversed(doc.items())), separators=(",", ":")).encode()
    except (VerificationError, UnicodeEncodeError):
        data = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return json.loads(data), data


def _outcome(fn: Any, doc: dict[str, Any], data: bytes, trusted: Any) -> object:
    try:
        info = fn(doc, data, trusted)
    except VerificationError as exc:
        return ("refused", type(exc), exc.diagnostics(), [d.to_dict() for d in exc.items])
    assert isinstance(info, EntryInfo)
    return ("accepted", info.model_dump())


_TRUSTED = st.sampled_from([None, {"AFG": [SIGNER.vkey]}, {"AFG": [OTHER.vkey]}])


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry=_entry(), trusted=_TRUSTED)
def test_fast_and_model_validators_agree(entry: tuple[dict[str, Any], bytes], trusted: Any) -> None:
    doc, data = entry
    assert _outcome(_verify_event_entry, doc, data, trusted) == _outcome(
        _verify_event_model, doc, data, trusted
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry=_entry())
def test_what_the_fast_path_accepts_the_models_accept_with_the_same_bytes(
    entry: tuple[dict[str, Any], bytes],
) -> None:
    doc, data = entry
    fast = _fast_event(doc, data)
    if fast is None:
        return
    _ev, sigs, body, at_iso = fast
    try:
        ev = Event.model_validate(doc["event"])
    except ValidationError as exc:  # pragma: no cover - the property failing
        raise AssertionError(f"fast path accepted what the model refuses: {exc}") from exc
    assert ev.canonical() == body
    assert ev.at.isoformat() == at_iso
    assert [(s["actor"], s["role"], s["key"], s["sig"]) for s in doc["signatures"]] == sigs


def _verify_outcome(data: bytes, trusted: Any) -> object:
    return _outcome(lambda _doc, d, t: verify_entry(d, t), {}, data, trusted)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry=_entry(), trusted=_TRUSTED)
def test_the_text_path_changes_nothing(entry: tuple[dict[str, Any], bytes], trusted: Any) -> None:
    """``_fast_event_text`` reads an entry off its text only when parsing gives the same.

    What it accepts, :func:`_fast_event` accepts with the same result; and
    :func:`verify_entry`, which tries it first, gives the outcome it gives without it.
    """
    doc, data = entry
    fast = _fast_event_text(data.decode("utf-8"), data)
    if fast is not None:
        parsed = _fast_event(doc, data)
        assert parsed is not None, data
        ev, sigs, body, at_iso = parsed
        assert fast == (ev["by"], sigs, body, ev["commitment"], ev["kind"], at_iso)
    with_text = _verify_outcome(data, trusted)
    with mock.patch.object(entries, "_FAST", []):
        assert _verify_outcome(data, trusted) == with_text


def test_plain_entries_take_the_text_path_and_escapes_are_parsed() -> None:
    plain = _signed(at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), note="n\u00e9 \U0001f600")
    fast = _fast_event_text(plain.decode(), plain)
    assert fast is not None
    assert (
        fast[2]
        == json.dumps(
            json.loads(plain)["event"], separators=(",", ":"), sort_keys=True, ensure_ascii=False
        ).encode()
    )
    for note in ('say "no"', "back\\slash", "tab\t", "\u0001"):
        data = _signed(at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), note=note)
        assert _fast_event_text(data.decode(), data) is None
        assert _fast_event(json.loads(data), data) is not None
        assert verify_entry(data).summary["by"] == "AFG"


def _signed(**fields: Any) -> bytes:
    ev = Event(kind="compliance_claim", commitment=CID, by="AFG", **fields)
    return event_entry(ev, [sign_event(ev, SIGNER)])


def test_entries_the_log_is_sent_take_the_fast_path() -> None:
    """Events built by :func:`event_entry` (every datetime form pydantic writes) go fast."""
    for at in (
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 1, 12, 30, 1, 250, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
        dt.datetime(2026, 1, 1),
    ):
        data = _signed(at=at, note="n\u00e9", evidence=["a", "\u0000"])
        assert _fast_event(json.loads(data), data) is not None
        info = verify_entry(data)
        assert info == _verify_event_model(json.loads(data), data, None)
        assert info.summary["at"] == at.isoformat()


def test_a_lone_surrogate_goes_to_the_models_and_is_refused_as_before() -> None:
    data = _signed(at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)).replace(
        b'"note":null', b'"note":"\\ud800"'
    )
    doc = json.loads(data)
    assert _fast_event(doc, data) is None
    assert _outcome(_verify_event_entry, doc, data, None) == _outcome(
        _verify_event_model, doc, data, None
    )


@pytest.mark.parametrize(
    "at",
    ["2026-01-01T00:00:00+12:99", "2026-01-01T00:00:00-05:60", "2026-01-01T10:60:00Z"],
)
def test_times_python_takes_and_pydantic_refuses_are_refused(at: str) -> None:
    """`datetime.fromisoformat` reads an offset of +12:99 as +13:39; pydantic refuses it.

    Found by the differential property above; kept as a fixed case.
    """
    good = _signed(at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    data = good.replace(b'"at":"2026-01-01T00:00:00Z"', f'"at":"{at}"'.encode())
    doc = json.loads(data)
    assert _fast_event(doc, data) is None
    refused = _outcome(_verify_event_entry, doc, data, None)
    assert refused == _outcome(_verify_event_model, doc, data, None)
    assert refused[0] == "refused"


def _batch_outcome(fn: Any, datas: list[bytes], trusted: Any) -> object:
    try:
        infos = fn(datas, trusted)
    except VerificationError as exc:
        return ("refused", type(exc), exc.diagnostics(), [d.to_dict() for d in exc.items])
    return ("accepted", [info.model_dump() for info in infos])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(_entry(), min_size=1, max_size=5), trusted=_TRUSTED)
def test_a_batch_verifies_as_its_entries_one_at_a_time(
    batch: list[tuple[dict[str, Any], bytes]], trusted: Any
) -> None:
    """``verify_entries``: the same infos, or the refusal of the first bad entry, in order."""
    datas = [data for _doc, data in batch]
    assert _batch_outcome(entries.verify_entries, datas, trusted) == _batch_outcome(
        lambda ds, t: [verify_entry(d, t) for d in ds], datas, trusted
    )


def test_a_good_batch_checks_its_signatures_together_and_never_falls_back() -> None:
    good = [_signed(at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), note=str(k)) for k in range(4)]
    calls: list[str] = []
    real_key, real_read = entries._public_key, entries.read_fast

    class Spy:
        def __init__(self, pub: Any) -> None:
            self.pub = pub

        def verify(self, sig: bytes, msg: bytes) -> None:
            calls.append("signature")
            self.pub.verify(sig, msg)

    def key(vkey: str) -> tuple[str, int, Any]:
        name, kid, pub = real_key(vkey)
        return name, kid, Spy(pub)

    def read(data: bytes) -> Any:
        calls.append("read")
        return real_read(data)

    with (
        mock.patch.object(entries, "verify_entry", side_effect=AssertionError("fell back")),
        mock.patch.object(entries, "_public_key", side_effect=key),
        mock.patch.object(entries, "read_fast", side_effect=read),
    ):
        infos = entries.verify_entries(good)
    assert [i.summary["by"] for i in infos] == ["AFG"] * 4
    assert calls == ["read"] * 4 + ["signature"] * 4  # every entry read, then every signature
    assert infos == [verify_entry(d) for d in good]


def test_a_bad_batch_reports_its_first_bad_entry() -> None:
    good = _signed(at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    doc = json.loads(good)
    sig = base64.b64decode(doc["signatures"][0]["sig"])
    doc["signatures"][0]["sig"] = base64.b64encode(sig[:-1] + bytes([sig[-1] ^ 1])).decode()
    forged = canonicalize(doc)  # a signature that does not verify, caught in the second pass
    unsigned = canonicalize({**json.loads(good), "signatures": []})  # caught in the first
    for batch, why in (
        ([good, forged, unsigned], "does not verify"),
        ([good, unsigned, forged], "not signed by AFG"),
        ([good, b"{}", forged], "must be an object with a type"),
    ):
        with pytest.raises(VerificationError, match=why):
            entries.verify_entries(batch)
