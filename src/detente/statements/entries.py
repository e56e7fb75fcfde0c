r"""Signed ledger entries for statements and for reviewers' decisions.

Two entry kinds are registered with :func:`detente.ledger.entries.register_entry_type`:

* ``statement``: a recorded statement, signed by whoever recorded it (role ``recorder``),
  over ``detente-statement/v1\n || JCS(record)``. Once in the log, what was said, by whom,
  where and as recorded by whom cannot be rewritten: any change is a new entry.
* ``statement_review``: a reviewer's decision on a proposed relation between a statement
  and the record (accept, edit or reject), signed by the reviewer (role ``reviewer``) over
  ``detente-statement-review/v1\n || JCS(review)``. It names the statement record by its
  id (``sha256:`` + hex SHA-256 of the record's canonical JSON) and keeps the proposal it
  decides on, so the decision and what it was about travel together.

Both verifiers check the entry's exact canonical bytes, its schema and every signature,
and return every signer in :attr:`EntryInfo.signers`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from detente.errors import VerificationError
from detente.ledger.canonical import canonicalize
from detente.ledger.entries import (
    EntryInfo,
    EntrySigner,
    Signature,
    check_signature,
    model_error,
    register_entry_type,
    sign_body,
)
from detente.ledger.note import NoteSigner
from detente.statements.model import Outlet, Statement

__all__ = [
    "RELATIONS",
    "Proposal",
    "Review",
    "StatementRecord",
    "record_id",
    "review_entry",
    "sign_review",
    "sign_statement",
    "statement_entry",
]

Relation = Literal[
    "consistent", "misrepresents", "contradicted", "unsupported", "not about the record"
]
RELATIONS: tuple[str, ...] = (
    "consistent",
    "misrepresents",
    "contradicted",
    "unsupported",
    "not about the record",
)

_STATEMENT_CONTEXT = b"detente-statement/v1\n"
_REVIEW_CONTEXT = b"detente-statement-review/v1\n"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StatementRecord(_Frozen):
    """What a ``statement`` entry records: the statement, its case and outlet, and when."""

    format: Literal["detente.statement/v1"] = "detente.statement/v1"
    case: str | None = None
    statement: Statement
    outlet: Outlet | None = Field(default=None, description="The outlet that spoke, if any.")
    recorded_at: dt.datetime

    @model_validator(mode="after")
    def _outlet_matches(self) -> StatementRecord:
        want = self.statement.speaker.outlet
        have = self.outlet.id if self.outlet is not None else None
        if want != have:
            raise ValueError(f"the record's outlet {have!r} is not the speaker's {want!r}")
        return self

    def canonical(self) -> bytes:
        """RFC 8785 canonical JSON of the record."""
        return canonicalize(self.model_dump(mode="json"))


class Proposal(_Frozen):
    """A proposed relation between a statement and the record, with its evidence."""

    relation: Relation
    items: list[str] = Field(default_factory=list, description="Record item ids it rests on.")
    rule: str = Field(min_length=1, description="The rule that proposed it.")
    evidence: str = Field(min_length=1, description="Why, in one or two sentences.")


class Review(_Frozen):
    """A reviewer's decision on a proposal."""

    format: Literal["detente.statement-review/v1"] = "detente.statement-review/v1"
    statement: str = Field(pattern=r"^sha256:[0-9a-f]{64}$", description="The record's id.")
    statement_id: str = Field(min_length=1, description="The statement's id in its file.")
    proposal: Proposal
    decision: Literal["accept", "edit", "reject"]
    relation: Relation | None = Field(
        default=None, description="The reviewed relation (None when the proposal is rejected)."
    )
    note: str | None = Field(default=None, max_length=4000)
    reviewer: str = Field(min_length=1)
    at: dt.datetime

    @model_validator(mode="after")
    def _decision(self) -> Review:
        if self.decision == "accept" and self.relation != self.proposal.relation:
            raise ValueError("an accepted proposal keeps its relation")
        if self.decision == "edit" and (
            self.relation is None or self.relation == self.proposal.relation
        ):
            raise ValueError("an edit gives a relation other than the proposed one")
        if self.decision == "reject" and self.relation is not None:
            raise ValueError("a rejected proposal has no relation")
        return self

    def canonical(self) -> bytes:
        """RFC 8785 canonical JSON of the review."""
        return canonicalize(self.model_dump(mode="json"))


def record_id(record: StatementRecord) -> str:
    """``sha256:`` + hex SHA-256 of the record's canonical JSON."""
    return "sha256:" + hashlib.sha256(record.canonical()).hexdigest()


def sign_statement(record: StatementRecord, signer: NoteSigner) -> Signature:
    """The recorder's signature (the statement's ``recorded_by`` signs)."""
    return sign_body(
        signer,
        record.statement.recorded_by,
        "recorder",
        _STATEMENT_CONTEXT,
        record.model_dump(mode="json"),
    )


def statement_entry(record: StatementRecord, signatures: Sequence[Signature]) -> bytes:
    """The ledger entry (canonical JSON) of a signed statement record."""
    return canonicalize(
        {
            "type": "statement",
            "record": record.model_dump(mode="json"),
            "signatures": [s.model_dump(mode="json") for s in signatures],
        }
    )


def sign_review(review: Review, signer: NoteSigner) -> Signature:
    """The reviewer's signature."""
    return sign_body(
        signer, review.reviewer, "reviewer", _REVIEW_CONTEXT, review.model_dump(mode="json")
    )


def review_entry(review: Review, signatures: Sequence[Signature]) -> bytes:
    """The ledger entry (canonical JSON) of a signed review."""
    return canonicalize(
        {
            "type": "statement_review",
            "review": review.model_dump(mode="json"),
            "signatures": [s.model_dump(mode="json") for s in signatures],
        }
    )


def _trusted(actor: str, key: str, trusted: Mapping[str, Sequence[str]] | None) -> None:
    if trusted is not None and key not in trusted.get(actor, ()):
        raise VerificationError(f"key {key.split('+')[0]} is not a trusted key for {actor}")


def _parse(
    doc: dict[str, Any], body: str, model: type[BaseModel], what: str
) -> tuple[Any, list[Signature]]:
    if set(doc) != {"type", body, "signatures"}:
        raise VerificationError(f"{what} entry has unexpected fields {sorted(doc)}")
    if not isinstance(doc["signatures"], list):
        raise VerificationError(f"{what} entry signatures must be a list")
    try:
        parsed = model.model_validate(doc[body])
        sigs = [Signature.model_validate(s) for s in doc["signatures"]]
    except ValidationError as exc:
        raise model_error(exc, f"{what} entry") from exc
    return parsed, sigs


@register_entry_type("statement", "a public statement as recorded, signed by its recorder")
def _verify_statement(
    doc: dict[str, Any], data: bytes, trusted: Mapping[str, Sequence[str]] | None
) -> EntryInfo:
    record, sigs = _parse(doc, "record", StatementRecord, "statement")
    assert isinstance(record, StatementRecord)
    if statement_entry(record, sigs) != data:
        raise VerificationError("statement entry does not round-trip through its schema")
    recorder = record.statement.recorded_by
    if not any(s.actor == recorder and s.role == "recorder" for s in sigs):
        raise VerificationError(f"statement is not signed by {recorder}, who recorded it")
    msg = _STATEMENT_CONTEXT + record.canonical()
    for s in sigs:
        if s.role != "recorder":
            raise VerificationError(f"signature by {s.actor} has role {s.role}, expected recorder")
        _trusted(s.actor, s.key, trusted)
        check_signature(s.actor, s.key, s.sig, msg, "statement signature")
    st = record.statement
    return EntryInfo(
        type="statement",
        id=record_id(record),
        summary={
            "statement": st.id,
            "speaker": st.speaker.actor or st.speaker.outlet,
            "date": st.date.isoformat(),
            "recorded_by": recorder,
        },
        signers=[EntrySigner(actor=s.actor, role=s.role, key=s.key) for s in sigs],
    )


@register_entry_type("statement_review", "a reviewer's signed decision on a statement's relation")
def _verify_review(
    doc: dict[str, Any], data: bytes, trusted: Mapping[str, Sequence[str]] | None
) -> EntryInfo:
    review, sigs = _parse(doc, "review", Review, "statement_review")
    assert isinstance(review, Review)
    if review_entry(review, sigs) != data:
        raise VerificationError("statement_review entry does not round-trip through its schema")
    if not any(s.actor == review.reviewer and s.role == "reviewer" for s in sigs):
        raise VerificationError(f"review is not signed by its reviewer {review.reviewer}")
    msg = _REVIEW_CONTEXT + review.canonical()
    for s in sigs:
        if s.role != "reviewer":
            raise VerificationError(f"signature by {s.actor} has role {s.role}, expected reviewer")
        _trusted(s.actor, s.key, trusted)
        check_signature(s.actor, s.key, s.sig, msg, "review signature")
    return EntryInfo(
        type="statement_review",
        id=review.statement,
        summary={
            "statement_id": review.statement_id,
            "decision": review.decision,
            "proposed": review.proposal.relation,
            "relation": review.relation,
            "reviewer": review.reviewer,
            "at": review.at.isoformat(),
        },
        signers=[EntrySigner(actor=s.actor, role=s.role, key=s.key) for s in sigs],
    )


def read_ledger(
    path: str | Any,
) -> tuple[list[tuple[int, StatementRecord]], list[tuple[int, Review]]]:
    """Every statement record and review in a ledger, each verified, in log order.

    Raises:
        StorageError: if the ledger cannot be opened.
        VerificationError: if an entry does not verify.
    """
    import json

    from detente.ledger.entries import verify_entry
    from detente.ledger.log import Ledger

    led = Ledger.open(path)
    statements: list[tuple[int, StatementRecord]] = []
    reviews: list[tuple[int, Review]] = []
    try:
        for index, data, _ in led.storage.iter_entries():
            info = verify_entry(data)
            if info.type == "statement":
                statements.append(
                    (index, StatementRecord.model_validate(json.loads(data)["record"]))
                )
            elif info.type == "statement_review":
                reviews.append((index, Review.model_validate(json.loads(data)["review"])))
    finally:
        led.close()
    return statements, reviews
