"""Receipts (C2SP tlog-proof), witnesses (tlog-cosignature / tlog-witness) and offline verify."""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_helpers import (
    LOG_KEY,
    ORIGIN,
    PARTIES,
    WITNESSES,
    bound_ledger,
    seeded_signer,
    signed_entry,
)

from detente.errors import VerificationError
from detente.ledger import merkle
from detente.ledger.log import Ledger
from detente.ledger.receipt import Policy, format_receipt, parse_receipt, verify_receipt
from detente.ledger.witness import Witness, format_add_checkpoint


def _ledger(tmp_path: Path, n: int = 5) -> Ledger:
    # Entries signed but appended without the log's checks: these receipts carry no key
    # registrations, and the policy pins the parties' keys (test_ledger_bindings.py covers
    # receipts that carry them).
    led = Ledger.create(tmp_path / "r.sqlite", ORIGIN, [LOG_KEY.vkey], check_entries=False)
    led.append_many([signed_entry(i) for i in range(n)])
    return led


def _bound(tmp_path: Path, n: int = 5) -> Ledger:
    """A checked ledger: key registrations at 0..N_KEYS-1, then ``n`` signed commitments."""
    led = bound_ledger(tmp_path / "b.sqlite")
    led.append_many([signed_entry(i) for i in range(n)])
    return led


def _witnesses(tmp_path: Path) -> list[Witness]:
    return [
        Witness(w, tmp_path / f"ws{k}", {ORIGIN: [LOG_KEY.vkey]}) for k, w in enumerate(WITNESSES)
    ]


def _cosign(led: Ledger, ws: list[Witness], old: int = 0) -> None:
    note = led.cosigned_checkpoint()
    size = int(note.split("\n")[1])
    lines = []
    for w in ws:
        body = format_add_checkpoint(old, led.consistency_proof(old, size), note)
        lines.append(w.add_checkpoint(body, timestamp=1700000000))
    led.add_cosignatures(note + "".join(x + "\n" for x in lines), [w.vkey for w in WITNESSES])


def _policy(quorum: int = 2) -> Policy:
    return Policy(
        origin=ORIGIN,
        log_keys=[LOG_KEY.vkey],
        witnesses=[w.vkey for w in WITNESSES],
        quorum=quorum,
        parties={a: [s.vkey] for a, s in PARTIES.items()},
    )


def test_receipt_verifies_offline_with_quorum(tmp_path: Path) -> None:
    led = _ledger(tmp_path)
    led.checkpoint([LOG_KEY])
    _cosign(led, _witnesses(tmp_path)[:2])
    receipt = led.receipt(3)
    assert receipt.startswith("c2sp.org/tlog-proof@v1\nextra ")
    v = verify_receipt(receipt, _policy(2))
    assert v.ok and v.verdict == "VALID" and v.reason is None
    assert v.details["witnesses"] == ["w0.example", "w1.example"]
    v3 = verify_receipt(receipt, _policy(3))
    assert not v3.ok and "2 of 3 trusted witnesses cosigned; the policy needs 3" in (
        v3.reason or ""
    )


def test_receipt_roundtrip_format() -> None:
    proof = [bytes([k]) * 32 for k in range(3)]
    text = format_receipt(
        7, proof, "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— o AAAA\n", b"x"
    )
    r = parse_receipt(text)
    assert (r.index, r.proof, r.extra) == (7, proof, b"x")


def test_every_flipped_byte_of_a_receipt_fails(tmp_path: Path) -> None:
    led = _ledger(tmp_path, 6)
    led.checkpoint([LOG_KEY])
    _cosign(led, _witnesses(tmp_path))
    receipt = led.receipt(4)
    policy = _policy(3)
    assert verify_receipt(receipt, policy).ok
    raw = receipt.encode()
    step = max(1, len(raw) // 300)
    for k in range(0, len(raw) - 1, step):
        bad = bytearray(raw)
        bad[k] ^= 0x02
        try:
            text = bytes(bad).decode()
        except UnicodeDecodeError:
            continue
        v = verify_receipt(text, policy)
        assert not v.ok, f"flipping byte {k} went unnoticed"
        assert v.reason


def test_precise_reasons(tmp_path: Path) -> None:
    led = _ledger(tmp_path)
    led.checkpoint([LOG_KEY])
    receipt = led.receipt(1)
    pol = _policy(0)
    assert verify_receipt(receipt, pol).ok
    # A log key is bound to its origin: a key named otherwise is refused up front.
    with pytest.raises(VerificationError, match="not after the log's origin"):
        Policy(origin="elsewhere/log", log_keys=[LOG_KEY.vkey])
    with pytest.raises(VerificationError, match="not after the log's origin"):
        Policy(origin=ORIGIN, log_keys=[PARTIES["AFG"].vkey])
    wrong_key = Policy(origin=ORIGIN, log_keys=[seeded_signer(ORIGIN, 99).vkey])
    assert (verify_receipt(receipt, wrong_key).reason or "").startswith(
        "checkpoint: note has no verifiable"
    )
    lines = receipt.split("\n")
    lines[2] = "index 2"
    assert (verify_receipt("\n".join(lines), pol).reason or "").startswith("inclusion:")
    truncated = receipt.replace(lines[3] + "\n", "", 1)
    assert "inclusion" in (verify_receipt(truncated, pol).reason or "")
    assert (verify_receipt("nonsense", pol).reason or "").startswith("receipt:")
    no_extra = "\n".join(ln for ln in receipt.split("\n") if not ln.startswith("extra "))
    assert "no entry" in (verify_receipt(no_extra, pol).reason or "")
    assert verify_receipt(no_extra, pol, entry=led.entry(1)).ok
    assert "differs" in (verify_receipt(receipt, pol, entry=led.entry(2)).reason or "")
    with pytest.raises(VerificationError, match="not a cosignature/v1 key"):
        Policy(origin=ORIGIN, log_keys=[LOG_KEY.vkey], witnesses=[LOG_KEY.vkey], quorum=1)
    with pytest.raises(VerificationError, match="quorum"):
        Policy(origin=ORIGIN, log_keys=[LOG_KEY.vkey], quorum=1)


def test_receipt_needs_a_covering_checkpoint(tmp_path: Path) -> None:
    led = _ledger(tmp_path, 2)
    led.checkpoint([LOG_KEY])
    led.append(signed_entry(9))
    with pytest.raises(VerificationError, match="not covered"):
        led.receipt(2)


def test_witness_refuses_rollback_forks_and_stale_old_size(tmp_path: Path) -> None:
    led = _ledger(tmp_path, 4)
    note4 = led.checkpoint([LOG_KEY])
    w = _witnesses(tmp_path)[0]
    w.add_checkpoint(format_add_checkpoint(0, [], note4))
    assert w.last_seen(ORIGIN) == (4, led.root(4))
    led.append(signed_entry(10))
    note5 = led.checkpoint([LOG_KEY])
    with pytest.raises(VerificationError, match="does not match the size 4"):
        w.add_checkpoint(format_add_checkpoint(0, [], note5))
    with pytest.raises(VerificationError):
        w.add_checkpoint(format_add_checkpoint(4, [merkle.EMPTY_ROOT], note5))
    w.add_checkpoint(format_add_checkpoint(4, led.consistency_proof(4, 5), note5))
    # A forked log: same origin and key, different history.
    fork = Ledger.create(tmp_path / "fork.sqlite", ORIGIN, [LOG_KEY.vkey], check_entries=False)
    fork.append_many([signed_entry(100 + i) for i in range(6)])
    fnote = fork.checkpoint([LOG_KEY])
    with pytest.raises(VerificationError, match="consistency proof"):
        w.add_checkpoint(format_add_checkpoint(5, fork.consistency_proof(5, 6), fnote))
    with pytest.raises(VerificationError, match="larger than the checkpoint size"):
        w.add_checkpoint(format_add_checkpoint(9, [], note5))
    with pytest.raises(VerificationError, match="at most 63"):
        w.add_checkpoint(format_add_checkpoint(5, [merkle.EMPTY_ROOT] * 64, note5))
    with pytest.raises(VerificationError, match="unknown log"):
        Witness(w.signer, tmp_path / "x", {}).add_checkpoint(format_add_checkpoint(0, [], note4))
    with pytest.raises(VerificationError, match="cosignature/v1"):
        Witness(LOG_KEY, tmp_path / "y", {})


def test_log_never_signs_an_inconsistent_checkpoint(tmp_path: Path) -> None:
    led = _ledger(tmp_path, 3)
    led.checkpoint([LOG_KEY])
    led.close()
    import sqlite3

    db = sqlite3.connect(tmp_path / "r.sqlite")
    for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        db.execute(f"DROP TRIGGER {n}")
    db.execute("UPDATE leaves SET hash = zeroblob(32) WHERE idx = 1")
    db.execute("UPDATE nodes SET hash = zeroblob(32) WHERE level = 1 AND idx = 0")
    db.commit()
    db.close()
    led = Ledger.open(tmp_path / "r.sqlite", check_entries=False)
    led.append(signed_entry(50))
    with pytest.raises(VerificationError, match="consistency proof"):
        led.checkpoint([LOG_KEY])
