"""Issue 12 High 1: every signature is bound to the key registered for its actor in the log.

Each test here failed before key registrations existed: the log accepted a commitment
signed "as PAK" with AFG's key, the same draft twice, and verify printed VALID for both.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import (
    AT,
    LOG_KEY,
    N_KEYS,
    ORIGIN,
    PARTIES,
    bound_ledger,
    init_cli_ledger,
    key_entries,
    make_commitment,
    seeded_signer,
    signed_entry,
)

from detente.errors import VerificationError
from detente.ledger.canonical import canonicalize
from detente.ledger.commitment import (
    Event,
    commitment_entry,
    countersign,
    event_entry,
    sign_commitment,
    sign_event,
)
from detente.ledger.entries import (
    EntryInfo,
    EntrySigner,
    check_signature,
    register_entry_type,
    sign_body,
)
from detente.ledger.keyreg import (
    genesis_entry,
    registration_entry,
    revocation_entry,
)
from detente.ledger.log import Ledger
from detente.ledger.receipt import Policy, format_receipt, verify_receipt
from detente.ledger.storage import DuplicateEntryError

NOTE_CONTEXT = b"detente-test-bound-note/v1\n"


@register_entry_type("test-bound-note", "a signed note of another kind, for these tests")
def _verify_note(doc: dict[str, Any], data: bytes, trusted: Any) -> EntryInfo:
    sig = doc["signature"]
    msg = NOTE_CONTEXT + canonicalize(doc["body"])
    check_signature(sig["actor"], sig["key"], sig["sig"], msg, "note")
    return EntryInfo(
        type="test-bound-note",
        id=doc["body"]["id"],
        summary={},
        signers=[EntrySigner(actor=sig["actor"], role=sig["role"], key=sig["key"])],
    )


def _note(actor: str, signer: Any, n: int) -> bytes:
    body = {"id": f"n{n}", "text": "a statement"}
    sig = sign_body(signer, actor, "recorder", NOTE_CONTEXT, body)
    return canonicalize({"type": "test-bound-note", "body": body, "signature": sig.model_dump()})


def _signed_as(actor: str, key: Any, n: int = 0) -> bytes:
    """A commitment committed by ``actor`` but signed with ``key``."""
    c = make_commitment(n).model_copy(update={"committing_party": actor})
    sc = sign_commitment(c, actor, key)
    return commitment_entry(countersign(sc, "TUR", PARTIES["TUR"]))


def _policy(parties: bool = False) -> Policy:
    return Policy(
        origin=ORIGIN,
        log_keys=[LOG_KEY.vkey],
        parties={a: [s.vkey] for a, s in PARTIES.items()} if parties else None,
    )


def test_a_party_signing_with_another_partys_key_is_refused(tmp_path: Path) -> None:
    led = bound_ledger(tmp_path / "l.sqlite")
    with pytest.raises(VerificationError) as err:
        led.append(_signed_as("PAK", PARTIES["AFG"]))
    msg = str(err.value)
    assert "PAK signed as party with key AFG+" in msg
    assert "(that key is registered for AFG)" in msg and "registered for PAK is PAK+" in msg
    assert led.size == N_KEYS  # nothing written
    led.append(_signed_as("PAK", PARTIES["PAK"]))


def test_an_unregistered_key_or_actor_is_refused(tmp_path: Path) -> None:
    led = bound_ledger(tmp_path / "l.sqlite")
    with pytest.raises(VerificationError, match="registered for AFG is AFG"):
        led.append(_signed_as("AFG", seeded_signer("AFG", 77)))
    with pytest.raises(VerificationError, match="no key is registered for IRN"):
        led.append(_signed_as("IRN", seeded_signer("IRN", 78)))


def test_a_log_without_genesis_refuses_signed_entries(tmp_path: Path) -> None:
    led = Ledger.create(tmp_path / "l.sqlite", ORIGIN, [LOG_KEY.vkey])
    with pytest.raises(VerificationError, match="no key is registered in this log"):
        led.append(signed_entry(0))
    keys = key_entries()
    with pytest.raises(VerificationError, match="first key registration must be entry 0"):
        led.append(keys[1])  # a witnessed registration cannot be the genesis
    led.append(keys[0])
    led.append_many(keys[1:])
    led.append(signed_entry(0))


def test_registration_rules(tmp_path: Path) -> None:
    led = bound_ledger(tmp_path / "l.sqlite")
    irn = seeded_signer("IRN", 40)
    # Witnessed by a party (not a mediator): refused.
    with pytest.raises(VerificationError, match="AFG is not registered as a mediator"):
        led.append(registration_entry("IRN", irn, "AFG", PARTIES["AFG"], at=AT))
    # Witnessed with a key that is not the mediator's: refused.
    with pytest.raises(VerificationError, match="registered for TUR is TUR"):
        led.append(registration_entry("IRN", irn, "TUR", seeded_signer("TUR", 41), at=AT))
    # A second genesis, a second registration for the same actor, one key for two actors.
    with pytest.raises(VerificationError, match="first key registration|witnessed"):
        led.append(genesis_entry("IRN", irn, at=AT))
    with pytest.raises(VerificationError, match="already has key"):
        led.append(registration_entry("AFG", irn, "TUR", PARTIES["TUR"], at=AT))
    with pytest.raises(VerificationError, match="already bound to AFG"):
        led.append(registration_entry("IRN", PARTIES["AFG"], "QAT", PARTIES["QAT"], at=AT))
    # A registration must carry the registered key's own signature (proof of possession).
    assert led.append(registration_entry("IRN", irn, "QAT", PARTIES["QAT"], at=AT)) == N_KEYS


def test_rotation_and_revocation_change_what_is_accepted(tmp_path: Path) -> None:
    led = bound_ledger(tmp_path / "l.sqlite")
    led.append(signed_entry(0))
    new = seeded_signer("AFG", 60)
    with pytest.raises(VerificationError, match="no key to rotate"):
        led.append(registration_entry("IRN", new, "TUR", PARTIES["TUR"], "rotate", at=AT))
    led.append(registration_entry("AFG", new, "TUR", PARTIES["TUR"], "rotate", at=AT))
    with pytest.raises(VerificationError, match="registered for AFG is AFG"):
        led.append(signed_entry(1))  # the old key signs nothing after the rotation
    sc = countersign(sign_commitment(make_commitment(1), "AFG", new), "TUR", PARTIES["TUR"])
    led.append(commitment_entry(sc))
    # Revocation by the key itself (a holder who lost control of it).
    led.append(revocation_entry("AFG", new.vkey, "AFG", new, at=AT))
    sc2 = countersign(sign_commitment(make_commitment(2), "AFG", new), "TUR", PARTIES["TUR"])
    with pytest.raises(VerificationError, match="no key is registered for AFG"):
        led.append(commitment_entry(sc2))
    # fsck replays the same rules and finds the log clean.
    report = led.fsck()
    assert report.ok, report.problems


def test_a_batch_is_refused_for_its_first_problem_in_order(tmp_path: Path) -> None:
    """Batches are checked together, but the problem reported is the first in order."""
    from detente.errors import StorageError
    from detente.ledger.log import MAX_ENTRY_SIZE

    led = bound_ledger(tmp_path / "l.sqlite")
    size = led.size
    good, big = signed_entry(1), b"x" * (MAX_ENTRY_SIZE + 1)
    with pytest.raises(VerificationError, match="must be an object with a type"):
        led.append_many([good, b"{}", big])
    with pytest.raises(StorageError, match="exceeds the limit"):
        led.append_many([good, big, b"{}"])
    with pytest.raises(StorageError, match="entries are bytes"):
        led.append_many([good, "text", b"{}"])  # type: ignore[list-item]
    assert led.size == size
    assert led.append_many([good, signed_entry(2)]) == size


def test_duplicate_submissions_are_refused(tmp_path: Path) -> None:
    led = bound_ledger(tmp_path / "l.sqlite")
    first = led.append(signed_entry(0))
    with pytest.raises(DuplicateEntryError, match=f"already in the log at index {first}"):
        led.append(signed_entry(0))
    with pytest.raises(DuplicateEntryError):
        led.append_many([signed_entry(1), signed_entry(1)])
    # The same commitment with one more countersignature is the same commitment again.
    sc = sign_commitment(make_commitment(0), "AFG", PARTIES["AFG"])
    sc = countersign(countersign(sc, "TUR", PARTIES["TUR"]), "QAT", PARTIES["QAT"])
    with pytest.raises(DuplicateEntryError, match="commitment:sha256:"):
        led.append(commitment_entry(sc))
    assert led.size == N_KEYS + 1


def test_other_entry_kinds_are_bound_too(tmp_path: Path) -> None:
    led = bound_ledger(tmp_path / "l.sqlite")
    with pytest.raises(VerificationError, match="PAK signed as recorder with key AFG"):
        led.append(_note("PAK", PARTIES["AFG"], 1))
    led.append(_note("PAK", PARTIES["PAK"], 1))
    ev = Event(kind="in_force", commitment="sha256:" + "a" * 64, at=AT, by="PAK")
    with pytest.raises(VerificationError, match="PAK signed as party with key QAT"):
        led.append(event_entry(ev, [sign_event(ev, PARTIES["QAT"])]))


def _bundle(led: Ledger, index: int, bindings: list[int]) -> str:
    note = led.cosigned_checkpoint()
    size = int(note.split("\n")[1])
    text = format_receipt(index, led.inclusion_proof(index, size), note, extra=led.entry(index))
    for k in bindings:
        text += format_receipt(k, led.inclusion_proof(k, size), note, extra=led.entry(k))
    return text


def test_offline_verify_binds_signers_without_a_party_policy(tmp_path: Path) -> None:
    led = bound_ledger(tmp_path / "l.sqlite")
    idx = led.append(signed_entry(0))
    led.checkpoint([LOG_KEY])
    receipt = led.receipt(idx)
    assert receipt.count("c2sp.org/tlog-proof@v1\n") == 1 + 2  # the entry; TUR (genesis), AFG
    v = verify_receipt(receipt, _policy())
    assert v.ok, v.reason
    assert v.details["signers"] == [
        {
            "actor": "AFG",
            "role": "party",
            "key": v.details["signers"][0]["key"],
            "registered_at": 1,
        },
        {
            "actor": "TUR",
            "role": "mediator",
            "key": v.details["signers"][1]["key"],
            "registered_at": 0,
        },
    ]
    assert v.details["entry"]["committing_party"] == "AFG"
    # The first proof of the bundle alone is a plain tlog-proof: it proves inclusion but
    # not who signed, so without pinned party keys it is INVALID, and VALID with them.
    plain = led.receipt(idx, bindings=False)
    v = verify_receipt(plain, _policy())
    assert not v.ok and (v.reason or "").startswith("signers: the receipt carries no key")
    assert verify_receipt(plain, _policy(parties=True)).ok


def test_offline_verify_refuses_a_forged_signer(tmp_path: Path) -> None:
    # A dishonest log (checks off) appends a commitment signed "as PAK" with AFG's key
    # and builds a bundle around it: the verifier refuses it.
    led = Ledger.create(tmp_path / "raw.sqlite", ORIGIN, [LOG_KEY.vkey], check_entries=False)
    led.append_many([*key_entries(), _signed_as("PAK", PARTIES["AFG"])])
    led.checkpoint([LOG_KEY])
    v = verify_receipt(_bundle(led, N_KEYS, [0, 1, 2]), _policy())
    assert not v.ok and (v.reason or "").startswith("signers:")
    assert "PAK signed as party with key AFG" in (v.reason or "")
    # Leaving out the genesis, or adding a registration made after the entry, is refused.
    led.append(registration_entry("IRN", seeded_signer("IRN", 5), "TUR", PARTIES["TUR"], at=AT))
    led.append(signed_entry(3))
    led.checkpoint([LOG_KEY])
    assert verify_receipt(_bundle(led, N_KEYS + 2, [0, 1]), _policy()).ok
    no_genesis = verify_receipt(_bundle(led, N_KEYS + 2, [1]), _policy())
    assert "first key registration must be entry 0" in (no_genesis.reason or "")
    late = verify_receipt(_bundle(led, N_KEYS + 2, [0, 1, N_KEYS + 1]), _policy())
    assert late.ok  # IRN's registration precedes the entry: harmless, and checked
    after = verify_receipt(_bundle(led, N_KEYS + 1, [0, 1, N_KEYS + 2]), _policy())
    assert not after.ok
    # A non-key entry passed off as a registration.
    fake = verify_receipt(_bundle(led, N_KEYS + 2, [0, 1, N_KEYS]), _policy())
    assert "is not a key registration" in (fake.reason or "")


def test_cli_refuses_a_party_signing_with_another_partys_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from detente.cli import cli

    monkeypatch.setenv("DETENTE_PASSPHRASE", "pw")
    monkeypatch.setenv("DETENTE_KEYS", str(tmp_path / "keys"))
    runner = CliRunner()

    def run(*args: object, code: int = 0) -> str:
        res = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert res.exit_code == code, res.output
        return res.output

    for name in ("cli.example/log", "AFG", "PAK", "TUR"):
        run("keys", "new", name)
    db = tmp_path / "l.sqlite"
    init_cli_ledger(run, db, "cli.example/log", "TUR", ("AFG", "PAK"))
    c = make_commitment(0).model_copy(update={"committing_party": "PAK", "guarantors": ["TUR"]})
    draft = tmp_path / "d.json"
    draft.write_text(canonicalize({"commitment": c.model_dump(mode="json")}).decode())
    run("ledger", "sign", draft, "--actor", "PAK", "--key", "AFG")
    run("ledger", "countersign", draft, "--actor", "TUR", "--key", "TUR")
    out = run("ledger", "submit", db, draft, code=2)
    assert "PAK signed as party with key AFG+" in out and "Traceback" not in out
    assert dt.date(2025, 11, 7)  # the commitment's start: a fixed date, not today


def test_a_key_registration_receipt_verifies_offline(tmp_path: Path) -> None:
    led = bound_ledger(tmp_path / "l.sqlite")
    led.checkpoint([LOG_KEY])
    for idx in range(N_KEYS):  # the genesis binds itself; the others through the genesis
        v = verify_receipt(led.receipt(idx), _policy())
        assert v.ok, (idx, v.reason)
        assert v.details["entry"]["type"] == "key"
