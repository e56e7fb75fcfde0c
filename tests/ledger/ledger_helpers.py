"""Helpers for the ledger tests: test vectors, deterministic keys and signed entries."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

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
from detente.ledger.note import ALG_COSIGNATURE_V1, NoteSigner

LEDGER_ASSETS = Path(__file__).resolve().parents[1] / "assets" / "ledger"
ORIGIN = "test.detente.example/log"


def load_vector(name: str) -> Any:
    return json.loads((LEDGER_ASSETS / name).read_text(encoding="utf-8"))


def seeded_signer(name: str, seed: int, alg: int = 0x01) -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32), alg)


PARTIES = {a: seeded_signer(a, k + 1) for k, a in enumerate(["AFG", "PAK", "TUR", "QAT"])}
LOG_KEY = seeded_signer(ORIGIN, 9)
WITNESSES = [seeded_signer(f"w{k}.example", 20 + k, ALG_COSIGNATURE_V1) for k in range(3)]


def make_commitment(n: int = 0) -> Commitment:
    return Commitment(
        id=f"test-{n}",
        label="test",
        committing_party="AFG",
        beneficiaries=["PAK"],
        text=f"Test guarantee number {n}.",
        obligations=[
            Obligation(
                id="o1",
                text="No attacks.",
                indicator=Indicator(metric="attacks", comparison="<=", threshold=0, period="P30D"),
            )
        ],
        start=dt.date(2025, 11, 7),
        end=dt.date(2026, 5, 6),
        guarantors=["TUR", "QAT"],
        issues=["sanctuaries"],
    )


def signed_entry(n: int = 0) -> bytes:
    sc = sign_commitment(make_commitment(n), "AFG", PARTIES["AFG"])
    sc = countersign(sc, "TUR", PARTIES["TUR"])
    return commitment_entry(sc)


AT = dt.datetime(2025, 11, 7, 12, 0, tzinfo=dt.UTC)


def key_entries() -> list[bytes]:
    """Genesis (TUR, a mediator) then AFG, PAK (parties) and QAT (a mediator), witnessed by TUR."""
    out = [genesis_entry("TUR", PARTIES["TUR"], at=AT)]
    for actor in ("AFG", "PAK"):
        out.append(registration_entry(actor, PARTIES[actor], "TUR", PARTIES["TUR"], at=AT))
    out.append(
        registration_entry("QAT", PARTIES["QAT"], "TUR", PARTIES["TUR"], mediator=True, at=AT)
    )
    return out


N_KEYS = 4
"""How many key entries :func:`bound_ledger` writes before the first signed entry."""


def bound_ledger(path: Any, state_dir: Path | None = None) -> Any:
    """A checked ledger whose first entries register the test parties' keys."""
    from detente.ledger.log import Ledger

    keys = key_entries()
    led = Ledger.create(path, ORIGIN, [LOG_KEY.vkey], genesis=keys[0], state_dir=state_dir)
    led.append_many(keys[1:])
    return led


def init_cli_ledger(
    run: Any, db: Any, origin: str, mediator: str, parties: tuple[str, ...] = ()
) -> None:
    """Through the CLI: ``ledger init`` naming the mediator, then ``ledger register`` for
    each party's key, witnessed by the mediator (keys named after their actors)."""
    run("ledger", "init", db, "--origin", origin, "--key", origin,
        "--mediator", mediator, "--mediator-key", mediator)  # fmt: skip
    for actor in parties:
        run("ledger", "register", db, "--actor", actor, "--key", actor,
            "--by", mediator, "--by-key", mediator)  # fmt: skip
