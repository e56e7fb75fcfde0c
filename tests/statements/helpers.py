"""Helpers for the statements tests: deterministic keys, a ledger with a commitment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from detente.ledger.commitment import (
    Commitment,
    Indicator,
    Obligation,
    commitment_entry,
    countersign,
    sign_commitment,
)
from detente.ledger.keyreg import genesis_entry, registration_entry
from detente.ledger.log import Ledger
from detente.ledger.note import NoteSigner

REPO = Path(__file__).resolve().parents[2]
ASSETS = REPO / "tests" / "assets" / "statements"
CASE = REPO / "examples" / "istanbul-2025" / "case.yaml"
STATEMENTS = REPO / "examples" / "istanbul-2025" / "statements.yaml"
ORIGIN = "statements.test.example/log"


def signer(name: str, seed: int) -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


KEYS = {n: signer(n, k + 1) for k, n in enumerate(["AFG", "PAK", "TUR", "analyst", "reviewer"])}
KEYS["tester"] = signer("tester", 40)
LOG_KEY = signer(ORIGIN, 9)


def commitment(party: str = "AFG", beneficiary: str = "PAK") -> Commitment:
    return Commitment(
        id=f"guarantee-{party}",
        label="ILLUSTRATIVE EXAMPLE \u2014 not a real agreement",
        case="istanbul-2025-round3",
        committing_party=party,
        beneficiaries=[beneficiary],
        text="No cross-border attacks by the TTP from Afghan territory.",
        obligations=[
            Obligation(
                id="o1",
                text="No cross-border attacks.",
                indicator=Indicator(
                    metric="ttp_events_in_pakistan", comparison="<=", threshold=0, period="P30D"
                ),
            )
        ],
        start=dt.date(2025, 11, 7),
        end=dt.date(2026, 5, 6),
        guarantors=["TUR"],
        issues=["sanctuaries"],
    )


def bound_ledger(path: Path) -> Ledger:
    """A ledger whose first entries bind every test key: TUR (the genesis mediator) first."""
    led = Ledger.create(path, ORIGIN, [LOG_KEY.vkey], genesis=genesis_entry("TUR", KEYS["TUR"]))
    led.append_many(
        [registration_entry(a, k, "TUR", KEYS["TUR"]) for a, k in KEYS.items() if a != "TUR"]
    )
    return led


N_KEYS = len(KEYS)
"""The key entries :func:`bound_ledger` writes before anything else."""


def ledger_with_commitment(path: Path, party: str = "AFG", beneficiary: str = "PAK") -> Path:
    led = bound_ledger(path)
    sc = sign_commitment(commitment(party, beneficiary), party, KEYS[party])
    sc = countersign(sc, "TUR", KEYS["TUR"])
    led.append(commitment_entry(sc))
    led.close()
    return path
