"""Helpers shared by the events and compliance tests: keys, ledgers, the CLI, verdicts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from detente.cli import cli
from detente.compliance.verdicts import RecordedVerdict
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


def cli_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """``run(*args, code=0) -> output``: the CLI in-process, with its own key store."""
    monkeypatch.setenv("DETENTE_PASSPHRASE", "test passphrase")
    monkeypatch.setenv("DETENTE_KEYS", str(tmp_path / "keys"))
    runner = CliRunner()

    def run(*args: object, code: int = 0) -> str:
        res = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert res.exit_code == code, res.output
        return res.output

    return run


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """The CLI runner of :func:`cli_runner`."""
    return cli_runner(tmp_path, monkeypatch)


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """A fresh ledger with the test keys, on each backend (PostgreSQL: a throwaway server)."""
    if request.param == "postgres":
        return new_ledger(request.getfixturevalue("pg_url"))
    return new_ledger(tmp_path / "ledger.sqlite")


def recorded_verdict(
    index: int, kind: str, start: str, end: str, party: str = "AFG", by: str = "analyst",
    commitment: str = "sha256:" + "0" * 64, **extra: Any,
) -> RecordedVerdict:  # fmt: skip
    """A final verdict on period ``start``..``end`` of obligation ``o1``, as read from a log."""
    payload = {"obligation": "o1", "period": {"start": start, "end": end}, "final": True, **extra}
    return RecordedVerdict(
        index=index,
        kind=kind,
        commitment=commitment,
        party=party,
        by=by,
        at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        payload=payload,
    )
