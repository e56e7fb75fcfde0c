"""Ledger tests: each test keeps its checkpoint state (the equivocation guard) to itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from detente.ledger.guard import STATE_ENV
from detente.ledger.postgres import UNSAFE_FSYNC_ENV


@pytest.fixture(autouse=True)
def _own_checkpoint_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The guard's state lives outside the database, by default under ~/.detente/state;
    # tests must neither read nor leave one there.
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "checkpoint-state"))
    # The throwaway PostgreSQL servers of tests/pgserver.py run with fsync=off for speed;
    # the ledger refuses such servers unless told, as here, that loss on power cut is fine.
    monkeypatch.setenv(UNSAFE_FSYNC_ENV, "1")
