"""The entry-type registry: every kind verifies through one dispatch and names its signers."""

from __future__ import annotations

from typing import Any

import pytest
from tests.ledger.ledger_helpers import seeded_signer as make_signer

from detente.errors import VerificationError
from detente.ledger.canonical import canonicalize
from detente.ledger.entries import (
    EntryInfo,
    EntrySigner,
    check_signature,
    entry_types,
    register_entry_type,
    sign_body,
    verify_entry,
)

CONTEXT = b"detente-test-note/v1\n"


@register_entry_type("test-note", "a signed note, for these tests only")
def _verify_note(doc: dict[str, Any], data: bytes, trusted: Any) -> EntryInfo:
    sig = doc["signature"]
    check_signature(
        sig["actor"], sig["key"], sig["sig"], CONTEXT + canonicalize(doc["body"]), "note"
    )
    return EntryInfo(
        type="test-note",
        id=doc["body"]["id"],
        summary={},
        signers=[EntrySigner(actor=sig["actor"], role=sig["role"], key=sig["key"])],
    )


def _note(signer: Any, body: dict[str, Any]) -> bytes:
    sig = sign_body(signer, "PAK", "recorder", CONTEXT, body)
    return canonicalize({"type": "test-note", "body": body, "signature": sig.model_dump()})


def test_builtin_kinds_are_registered() -> None:
    assert {"commitment", "event"} <= set(entry_types())


def test_a_registered_kind_verifies_and_names_its_signer() -> None:
    signer = make_signer("pak.example", 7)
    info = verify_entry(_note(signer, {"id": "n1", "text": "hello"}))
    assert info.type == "test-note" and info.id == "n1"
    assert info.signers == [EntrySigner(actor="PAK", role="recorder", key=signer.vkey)]


def test_a_registered_kind_refuses_a_changed_body() -> None:
    signer = make_signer("pak.example", 7)
    data = _note(signer, {"id": "n1", "text": "hello"})
    forged = data.replace(b"hello", b"hullo")
    with pytest.raises(VerificationError, match="does not verify"):
        verify_entry(forged)


def test_unknown_kind_is_refused_with_the_known_ones() -> None:
    with pytest.raises(VerificationError, match="'commitment'.*'event'"):
        verify_entry(canonicalize({"type": "nope"}))


def test_registering_a_kind_twice_is_an_error() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        register_entry_type("test-note", "again")(_verify_note)
