"""Signed statement and review entries: restart, offline verification, tampering, signers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from detente.errors import VerificationError
from detente.ledger.entries import verify_entry
from detente.ledger.log import Ledger
from detente.ledger.receipt import Policy, verify_receipt
from detente.statements.entries import (
    Proposal,
    Review,
    StatementRecord,
    read_ledger,
    record_id,
    review_entry,
    sign_review,
    sign_statement,
    statement_entry,
)
from detente.statements.io import read_statements
from tests.statements.helpers import KEYS, LOG_KEY, N_KEYS, ORIGIN, STATEMENTS, bound_ledger

AT = dt.datetime(2025, 11, 8, 12, 0, tzinfo=dt.UTC)


def _record(k: int = 0) -> StatementRecord:
    sf = read_statements(STATEMENTS)
    st = sf.statements[k]
    outlet = next((o for o in sf.outlets if o.id == st.speaker.outlet), None)
    return StatementRecord(case="istanbul-2025-round3", statement=st, outlet=outlet, recorded_at=AT)


def _review(rec: StatementRecord, decision: str = "accept", relation: str | None = None) -> Review:
    prop = Proposal(
        relation="misrepresents",
        items=["position:PAK:sanctuaries"],
        rule="relevance",
        evidence="calls a recorded demand unrelated",
    )
    return Review(
        statement=record_id(rec),
        statement_id=rec.statement.id,
        proposal=prop,
        decision=decision,  # type: ignore[arg-type]
        relation=prop.relation if decision == "accept" else relation,  # type: ignore[arg-type]
        note="checked against the case file",
        reviewer="reviewer",
        at=AT,
    )


def test_review_survives_a_restart_and_verifies_offline(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    led = bound_ledger(path)
    rec = _record()
    led.append(statement_entry(rec, [sign_statement(rec, KEYS["analyst"])]))
    rv = _review(rec)
    led.append(review_entry(rv, [sign_review(rv, KEYS["reviewer"])]))
    led.close()

    # a new process: reopen from disk, read and verify everything again
    statements, reviews = read_ledger(path)
    assert [r for _, r in statements] == [rec]
    assert [r for _, r in reviews] == [rv]
    led = Ledger.open(path)
    assert led.fsck().ok
    led.checkpoint([LOG_KEY])
    receipt = led.receipt(N_KEYS + 1)
    led.close()
    verdict = verify_receipt(
        receipt,
        Policy(
            origin=ORIGIN,
            log_keys=[LOG_KEY.vkey],
            parties={"reviewer": [KEYS["reviewer"].vkey]},
        ),
    )
    assert verdict.ok, verdict.reason
    assert verdict.details["entry"]["type"] == "statement_review"
    assert verdict.details["entry"]["relation"] == "misrepresents"
    # a policy that trusts another key for the reviewer refuses it
    bad = verify_receipt(
        receipt,
        Policy(origin=ORIGIN, log_keys=[LOG_KEY.vkey], parties={"reviewer": [KEYS["PAK"].vkey]}),
    )
    assert not bad.ok


def test_verifiers_name_their_signers() -> None:
    rec = _record()
    info = verify_entry(statement_entry(rec, [sign_statement(rec, KEYS["analyst"])]))
    assert info.type == "statement" and info.id == record_id(rec)
    assert [(s.actor, s.role) for s in info.signers] == [("analyst", "recorder")]
    rv = _review(rec, "edit", "unsupported")
    info = verify_entry(review_entry(rv, [sign_review(rv, KEYS["reviewer"])]))
    assert [(s.actor, s.role, s.key) for s in info.signers] == [
        ("reviewer", "reviewer", KEYS["reviewer"].vkey)
    ]


def test_rewriting_a_recorded_statement_is_refused() -> None:
    rec = _record()
    entry = json.loads(statement_entry(rec, [sign_statement(rec, KEYS["analyst"])]))
    entry["record"]["statement"]["text"] = entry["record"]["statement"]["text"].replace(
        "misrepresented", "described"
    )
    from detente.ledger.canonical import canonicalize

    with pytest.raises(VerificationError, match="does not verify"):
        verify_entry(canonicalize(entry))


def test_a_review_must_be_signed_by_its_reviewer() -> None:
    rec = _record()
    rv = _review(rec)
    from detente.ledger.entries import sign_body

    forged = sign_body(KEYS["PAK"], "PAK", "reviewer", b"detente-statement-review/v1\n", {})
    with pytest.raises(VerificationError, match="not signed by its reviewer"):
        verify_entry(review_entry(rv, [forged]))


def test_decisions_are_consistent() -> None:
    rec = _record()
    with pytest.raises(ValueError, match="edit gives a relation other"):
        _review(rec, "edit", "misrepresents")
    with pytest.raises(ValueError, match="rejected proposal has no relation"):
        _review(rec, "reject", "consistent")
    assert _review(rec, "reject").relation is None
