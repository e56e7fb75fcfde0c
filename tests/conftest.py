"""Fixtures every test can use: where test vectors and the shipped data live."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pgserver import PgServer
from tests.pgserver import pg_server as start_pg_server

REPO = Path(__file__).resolve().parents[1]
ASSETS = REPO / "tests" / "assets"


DATA = REPO / "data"
"""The public datasets shipped with the repository (``data/README.md``)."""


@pytest.fixture(autouse=True)
def _own_checkpoint_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test keeps the ledger's checkpoint state (the equivocation guard) to itself.

    The guard's state lives outside the database, by default under ``~/.detente/state``;
    tests must neither read nor leave one there. The throwaway PostgreSQL servers of
    ``tests/pgserver.py`` run with fsync off for speed, which the ledger refuses unless
    told, as here, that loss on power cut is acceptable.
    """
    from detente.ledger.guard import STATE_ENV
    from detente.ledger.postgres import UNSAFE_FSYNC_ENV

    monkeypatch.setenv(STATE_ENV, str(tmp_path / "checkpoint-state"))
    monkeypatch.setenv(UNSAFE_FSYNC_ENV, "1")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def assets() -> Path:
    return ASSETS


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def istanbul_case_path() -> Path:
    return REPO / "examples" / "istanbul-2025" / "case.yaml"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A throwaway PostgreSQL server for the session (``tests/pgserver.py``)."""
    yield from start_pg_server()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """The URL of a fresh, empty database on the session's PostgreSQL server."""
    return pg_server.new_database()
