"""Shared fixtures: where test vectors and the shared data live."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pgserver import PgServer
from tests.pgserver import pg_server as start_pg_server

REPO = Path(__file__).resolve().parents[1]
ASSETS = REPO / "tests" / "assets"


def shared_data_dir() -> Path:
    """``../shared/data`` beside the clone (CI lays it there), or $DETENTE_SHARED/data."""
    root = Path(os.environ.get("DETENTE_SHARED", REPO.parent / "shared"))
    data = root / "data"
    if not data.is_dir():
        raise RuntimeError(
            f"shared data not found at {data}; set DETENTE_SHARED to the shared/ folder"
        )
    return data


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def assets() -> Path:
    return ASSETS


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return shared_data_dir()


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
