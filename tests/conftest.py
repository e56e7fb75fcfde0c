"""Shared fixtures: where test vectors and the shared data live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
