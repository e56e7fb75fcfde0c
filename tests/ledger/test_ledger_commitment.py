"""Commitments: signatures, countersignatures, lifecycle events, entry checks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ledger_helpers import PARTIES, make_commitment, signed_entry

from detente.errors import VerificationError
from detente.ledger.canonical import canonicalize, loads_canonical
from detente.ledger.commitment import (
    Commitment,
    Event,
    SignedCommitment,
    commitment_entry,
    commitment_id,
    countersign,
    event_entry,
    sign_commitment,
    sign_event,
    verify_entry,
    verify_signed_commitment,
)


def _signed() -> SignedCommitment:
    sc = sign_commitment(make_commitment(), "AFG", PARTIES["AFG"])
    sc = sign_commitment(sc, "PAK", PARTIES["PAK"])
    sc = countersign(sc, "TUR", PARTIES["TUR"])
    return countersign(sc, "QAT", PARTIES["QAT"])


def test_signed_commitment_verifies_and_entry_is_canonical() -> None:
    sc = _signed()
    verify_signed_commitment(sc)
    data = commitment_entry(sc)
    assert canonicalize(loads_canonical(data)) == data
    info = verify_entry(data)
    assert info.type == "commitment"
    assert info.id == commitment_id(sc.commitment)
    assert info.summary["countersigned_by"] == ["TUR", "QAT"]


def test_trusted_keys_are_enforced() -> None:
    sc = _signed()
    trusted = {a: [s.vkey] for a, s in PARTIES.items()}
    verify_signed_commitment(sc, trusted)
    wrong = dict(trusted, AFG=[PARTIES["PAK"].vkey])
    with pytest.raises(VerificationError, match="not a trusted key for AFG"):
        verify_signed_commitment(sc, wrong)


def test_changed_text_breaks_the_party_signature() -> None:
    sc = _signed()
    changed = sc.commitment.model_copy(update={"text": "Something else."})
    forged = sc.model_copy(update={"commitment": changed})
    with pytest.raises(VerificationError, match="party signature by AFG"):
        verify_signed_commitment(forged)


def test_dropped_party_signature_breaks_the_countersignature() -> None:
    sc = _signed()
    forged = sc.model_copy(update={"signatures": sc.signatures[:1]})
    with pytest.raises(VerificationError, match="countersignature by TUR"):
        verify_signed_commitment(forged)


def test_role_rules() -> None:
    c = make_commitment()
    with pytest.raises(VerificationError, match="no party signature"):
        countersign(SignedCommitment(commitment=c), "TUR", PARTIES["TUR"])
    sc = sign_commitment(c, "AFG", PARTIES["AFG"])
    with pytest.raises(VerificationError, match="neither a guarantor nor a witness"):
        countersign(sc, "PAK", PARTIES["PAK"])
    with pytest.raises(VerificationError, match="no mediator countersignature"):
        verify_signed_commitment(sc)
    only_pak = sign_commitment(c, "PAK", PARTIES["PAK"])
    with pytest.raises(VerificationError, match="not signed by its committing party AFG"):
        verify_signed_commitment(only_pak, require_countersignature=False)
    sc2 = countersign(sc, "TUR", PARTIES["TUR"])
    with pytest.raises(VerificationError, match="already countersigned"):
        sign_commitment(sc2, "PAK", PARTIES["PAK"])


def test_model_refuses_bad_input() -> None:
    base = make_commitment().model_dump()
    with pytest.raises(ValueError, match="before start"):
        Commitment.model_validate({**base, "end": dt.date(2020, 1, 1)})
    with pytest.raises(ValueError):
        Commitment.model_validate({**base, "obligations": []})
    with pytest.raises(ValueError):
        Commitment.model_validate({**base, "surprise": 1})


def test_event_entries() -> None:
    sc = _signed()
    ev = Event(
        kind="breached",
        commitment=commitment_id(sc.commitment),
        at=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        by="PAK",
        note="claim",
    )
    data = event_entry(ev, [sign_event(ev, PARTIES["PAK"])])
    info = verify_entry(data)
    assert (info.type, info.id, info.summary["kind"]) == ("event", ev.commitment, "breached")
    with pytest.raises(VerificationError, match="not signed by PAK"):
        verify_entry(event_entry(ev, []))
    forged = data.replace(b"breached", b"fulfilled")
    with pytest.raises(VerificationError, match="event signature by PAK"):
        verify_entry(forged)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"type":"other"}', "type"),
        (b'{"signed":{},"type":"commitment"}', "schema"),
        (b'{"extra":1,"signed":{},"type":"commitment"}', "unexpected fields"),
        (b'{"type": "commitment"}', "canonical"),
        (b"[1,2]", "type"),
    ],
)
def test_bad_entries(data: bytes, reason: str) -> None:
    with pytest.raises(VerificationError, match=reason):
        verify_entry(data)


def test_every_flipped_byte_of_an_entry_is_refused() -> None:
    data = signed_entry(3)
    for k in range(0, len(data), max(1, len(data) // 150)):
        bad = bytearray(data)
        bad[k] ^= 0x01
        with pytest.raises(VerificationError):
            verify_entry(bytes(bad))


def test_find_commitment_matches_the_verified_ids(tmp_path: Path) -> None:
    import sqlite3

    from ledger_helpers import PARTIES, bound_ledger, signed_entry

    from detente.errors import VerificationError
    from detente.ledger.commitment import Event, event_entry, sign_event, verify_entry
    from detente.ledger.log import Ledger

    led = bound_ledger(tmp_path / "f.sqlite")
    cids = []
    for n in range(4):
        idx = led.append(signed_entry(n))
        cid = verify_entry(led.entry(idx)).id
        cids.append((idx, cid))
        ev = Event(
            kind="in_force", commitment=cid, at=dt.datetime(2025, 11, 8, tzinfo=dt.UTC), by="AFG"
        )
        led.append(event_entry(ev, [sign_event(ev, PARTIES["AFG"])]))
    for idx, cid in cids:
        assert led.find_commitment(cid) == idx
    assert led.find_commitment("sha256:" + "0" * 64) is None
    led.close()
    # A commitment entry whose signature was altered is found, and refused, not trusted.
    idx, cid = cids[2]
    db = sqlite3.connect(tmp_path / "f.sqlite")
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    good = db.execute("SELECT data FROM leaves WHERE idx = ?", (idx,)).fetchone()[0]
    sig_at = good.index(b'"sig":"') + len(b'"sig":"')
    bad = good[:sig_at] + (b"A" if good[sig_at : sig_at + 1] != b"A" else b"B") + good[sig_at + 1 :]
    db.execute("UPDATE leaves SET data = ? WHERE idx = ?", (bad, idx))
    db.commit()
    db.close()
    with pytest.raises(VerificationError):
        Ledger.open(tmp_path / "f.sqlite").find_commitment(cid)
