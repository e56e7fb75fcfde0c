"""Signed commitments in a transparency log: RFC 9162 Merkle tree, C2SP notes and proofs.

Modules: :mod:`~detente.ledger.merkle` (RFC 9162 §2.1), :mod:`~detente.ledger.note` (C2SP
signed-note, tlog-checkpoint, tlog-cosignature), :mod:`~detente.ledger.canonical` (RFC 8785),
:mod:`~detente.ledger.commitment` (written guarantees), :mod:`~detente.ledger.storage` (SQLite),
:mod:`~detente.ledger.log` (the log), :mod:`~detente.ledger.receipt` (C2SP tlog-proof),
:mod:`~detente.ledger.witness`, :mod:`~detente.ledger.tiles`, :mod:`~detente.ledger.keys`,
:mod:`~detente.ledger.demo`.
"""

from detente.ledger.log import Ledger
from detente.ledger.receipt import Policy, verify_receipt

__all__ = ["Ledger", "Policy", "verify_receipt"]
