"""What the pipeline hands the brief about a written guarantee.

A :class:`GuaranteeRecord` carries everything needed to check the guarantee from the
brief alone: the receipt's text (a C2SP tlog-proof), the verifier policy it was checked
against, and the result of that check.
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = ["GuaranteeRecord", "VerificationDict"]


class VerificationDict(TypedDict):
    """The verdict of :func:`detente.ledger.receipt.verify_receipt`."""

    ok: bool
    verdict: str
    reason: str | None


class GuaranteeRecord(TypedDict):
    """One written guarantee recorded in a ledger, with its receipt and its check.

    Attributes:
        label: A headline (``ILLUSTRATIVE ...`` for the demo's made-up guarantee).
        source: Where it comes from, in words (``ledger ledger.sqlite``, ``demo``).
        commitment: The signed commitment as recorded (``{"id", "commitment", ...}``).
        log_origin: The log's origin line.
        index: The entry's index in the log.
        tree_size: The size of the checkpoint the receipt proves inclusion in.
        checkpoint: That checkpoint note, with its cosignatures.
        receipt: The receipt's text (self-contained: the entry travels in it).
        receipt_name: The file name to save the receipt under.
        policy: The verifier policy as JSON (``detente verify --policy`` reads it).
        policy_name: The file name to save the policy under.
        policy_note: What the policy trusts, in words.
        verification: The result of verifying the receipt against the policy.
    """

    label: str
    source: str
    commitment: dict[str, Any]
    log_origin: str
    index: int
    tree_size: int
    checkpoint: str
    receipt: str
    receipt_name: str
    policy: dict[str, Any]
    policy_name: str
    policy_note: str
    verification: VerificationDict
