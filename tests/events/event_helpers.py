"""Helpers for the events and compliance tests: keys, ledgers, asset paths."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from detente.ledger.keyreg import genesis_entry, registration_entry
from detente.ledger.log import Ledger
from detente.ledger.note import NoteSigner

EVENTS = Path(__file__).resolve().parents[1] / "assets" / "events"
ORIGIN = "test.detente.example/events"


def signer(name: str, seed: int) -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


LOG_KEY = signer(ORIGIN, 41)
ANALYST = signer("analyst", 42)
AFG = signer("AFG", 43)
TUR = signer("TUR", 44)


N_KEYS = 3
"""The key entries :func:`new_ledger` writes first (genesis, AFG, the analyst)."""


def new_ledger(location: str | Path) -> str | Path:
    """A ledger whose first entries bind the test keys: TUR (mediator), AFG and the analyst."""
    led = Ledger.create(location, ORIGIN, [LOG_KEY.vkey], genesis=genesis_entry("TUR", TUR))
    try:
        led.append_many(
            [registration_entry(a, s, "TUR", TUR) for a, s in (("AFG", AFG), ("analyst", ANALYST))]
        )
    finally:
        led.close()
    return location
