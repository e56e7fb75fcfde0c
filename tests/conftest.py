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
