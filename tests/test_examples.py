"""Every example case ships with a test that runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

import detente
from tests.conftest import REPO

EXAMPLES = sorted((REPO / "examples").glob("*/case.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.parent.name for p in EXAMPLES])
def test_example_validates_and_forecasts(path: Path) -> None:
    case = detente.load_case(path)
    result = detente.forecast(case).to_dict()
    for issue in case.issues:
        for model, entry in result["issues"][issue.id]["models"].items():
            assert entry["outcome"] is not None, (issue.id, model, entry)
    assert (path.parent / "README.md").exists()
