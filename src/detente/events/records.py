r"""The signed dataset record: which file of which dataset version was imported, by whom.

Ledger entry ``{"type": "dataset", "record": ..., "signatures": [...]}``. The record names
the dataset, its version, the file's SHA-256, the number of events stored, the dates they
cover and the importer; the importer signs it with Ed25519 (RFC 8032) over
``detente-dataset/v1\n`` || JCS(record) (RFC 8785), so anyone holding the same file can
check that it is the one the measurements used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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

__all__ = ["DATASET_CONTEXT", "DatasetRecord", "dataset_entry", "parse_dataset_entry"]

DATASET_CONTEXT = b"detente-dataset/v1\n"


class DatasetRecord(BaseModel):
    """What an import vouches for.

    Attributes:
        dataset: Dataset name (``ucdp-ged``, ``acled`` or an analyst's own).
        version: The dataset's version (GED ``23.1``; an ACLED export's date...).
        reader: The reader that read the file.
        file: The file's name (not its path).
        sha256: Hex SHA-256 of the file's bytes.
        rows: Events stored.
        rows_read: Data rows in the file.
        coverage_start: First day any stored event may fall on.
        coverage_end: Last day any stored event may fall on.
        importer: Actor id of the importer (who signs).
        imported_at: When (UTC).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["detente.dataset/v1"] = "detente.dataset/v1"
    dataset: str = Field(min_length=1)
    version: str = Field(min_length=1)
    reader: Literal["ucdp-ged", "acled", "plain"]
    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    rows: int = Field(ge=0)
    rows_read: int = Field(ge=0)
    coverage_start: dt.date | None
    coverage_end: dt.date | None
    importer: str = Field(min_length=1)
    imported_at: dt.datetime


def dataset_entry(record: DatasetRecord, signer: NoteSigner) -> bytes:
    """The ledger entry for ``record``, signed by its importer with ``signer``."""
    body = record.model_dump(mode="json")
    sig = sign_body(signer, record.importer, "importer", DATASET_CONTEXT, body)
    return canonicalize(
        {"type": "dataset", "record": body, "signatures": [sig.model_dump(mode="json")]}
    )


def parse_dataset_entry(doc: Mapping[str, Any]) -> tuple[DatasetRecord, list[Signature]]:
    """The record and signatures of a parsed dataset entry (schema only, no signatures).

    Raises:
        VerificationError: if it does not match the schema.
    """
    if set(doc) != {"type", "record", "signatures"} or doc.get("type") != "dataset":
        raise VerificationError(f"dataset entry has unexpected fields {sorted(doc)}")
    try:
        rec = DatasetRecord.model_validate(doc["record"])
        sigs = [Signature.model_validate(s) for s in doc["signatures"]]
    except ValidationError as exc:
        raise model_error(exc, "dataset entry") from exc
    except TypeError as exc:
        raise VerificationError("dataset entry signatures must be a list") from exc
    return rec, sigs


@register_entry_type("dataset", "a signed record of an imported event-dataset file")
def _verify_dataset_entry(
    doc: dict[str, Any], data: bytes, trusted: Mapping[str, Sequence[str]] | None
) -> EntryInfo:
    rec, sigs = parse_dataset_entry(doc)
    body = rec.model_dump(mode="json")
    again = canonicalize(
        {"type": "dataset", "record": body, "signatures": [s.model_dump(mode="json") for s in sigs]}
    )
    if again != data:
        raise VerificationError("dataset entry does not round-trip through its schema")
    if not any(s.actor == rec.importer and s.role == "importer" for s in sigs):
        raise VerificationError(f"dataset record is not signed by its importer {rec.importer}")
    msg = DATASET_CONTEXT + canonicalize(body)
    for s in sigs:
        if trusted is not None and s.key not in trusted.get(s.actor, ()):
            raise VerificationError(f"key of {s.actor} is not trusted for it")
        check_signature(s.actor, s.key, s.sig, msg, "dataset record signature")
    return EntryInfo(
        type="dataset",
        id=f"sha256:{rec.sha256}",
        summary={
            "dataset": rec.dataset,
            "version": rec.version,
            "rows": rec.rows,
            "importer": rec.importer,
        },
        signers=[EntrySigner(actor=s.actor, role=s.role, key=s.key) for s in sigs],
    )
