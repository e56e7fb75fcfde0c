"""The signed dataset record: bound to its importer, refused when altered."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from detente.errors import VerificationError
from detente.events.records import DatasetRecord, dataset_entry
from detente.ledger.canonical import canonicalize
from detente.ledger.entries import sign_body, verify_entry
from tests.events.event_helpers import AFG, ANALYST

RECORD = DatasetRecord(
    dataset="ucdp-ged",
    version="23.1",
    reader="ucdp-ged",
    file="ged-small.csv",
    sha256="ab" * 32,
    rows=8,
    rows_read=8,
    coverage_start=dt.date(2022, 12, 28),
    coverage_end=dt.date(2023, 4, 30),
    importer="analyst",
    imported_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
)


def test_record_verifies_and_names_its_signer() -> None:
    info = verify_entry(dataset_entry(RECORD, ANALYST))
    assert info.type == "dataset" and info.summary["rows"] == 8
    assert [(s.actor, s.role, s.key) for s in info.signers] == [
        ("analyst", "importer", ANALYST.vkey)
    ]
    assert (
        verify_entry(dataset_entry(RECORD, ANALYST), {"analyst": [ANALYST.vkey]}).id
        == "sha256:" + "ab" * 32
    )
    with pytest.raises(VerificationError):
        verify_entry(dataset_entry(RECORD, ANALYST), {"analyst": [AFG.vkey]})


def test_altered_records_are_refused() -> None:
    doc = json.loads(dataset_entry(RECORD, ANALYST))
    doc["record"]["rows"] = 7  # fewer events than were signed for
    with pytest.raises(VerificationError, match="does not verify"):
        verify_entry(canonicalize(doc))
    doc = json.loads(dataset_entry(RECORD, ANALYST))
    doc["signatures"][0]["actor"] = "someone-else"  # the signature is bound to the importer
    with pytest.raises(VerificationError, match="not signed by its importer"):
        verify_entry(canonicalize(doc))
    doc = json.loads(dataset_entry(RECORD, ANALYST))
    doc["signatures"][0]["role"] = "party"
    with pytest.raises(VerificationError):
        verify_entry(canonicalize(doc))
    doc = json.loads(dataset_entry(RECORD, ANALYST))
    doc["record"]["extra"] = 1
    with pytest.raises(VerificationError, match="schema"):
        verify_entry(canonicalize(doc))
    # A signature over the same body in another context (here an event's) does not verify.
    body = RECORD.model_dump(mode="json")
    sig = sign_body(ANALYST, "analyst", "importer", b"detente-event/v1\n", body)
    doc = {"type": "dataset", "record": body, "signatures": [sig.model_dump(mode="json")]}
    with pytest.raises(VerificationError, match="does not verify"):
        verify_entry(canonicalize(doc))
