"""Fixtures for the uncertainty tests: cases under tests/assets/uncertainty/."""

from __future__ import annotations

from pathlib import Path

import pytest

from detente.case.loader import load_case
from detente.case.model import Case
from tests.conftest import ASSETS

UNC = ASSETS / "uncertainty"


@pytest.fixture(scope="session")
def unc_assets() -> Path:
    return UNC


@pytest.fixture(scope="session")
def load() -> object:
    def _load(name: str) -> Case:
        return load_case(UNC / name)

    return _load


@pytest.fixture(scope="session")
def istanbul(istanbul_case_path: Path) -> Case:
    return load_case(istanbul_case_path)
