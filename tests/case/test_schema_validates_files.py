"""The JSON Schema that `detente schema` prints accepts real case files and rejects bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from detente.case._ruamel import round_trip_yaml as _yaml
from detente.case.schema import case_json_schema
from tests.conftest import ASSETS, REPO

GOOD = [*sorted((REPO / "examples").glob("*/case.yaml")), ASSETS / "case" / "minimal.yaml"]


def _doc(path: Path) -> object:
    return json.loads(json.dumps(_yaml().load(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = case_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", GOOD, ids=[p.parent.name + "/" + p.name for p in GOOD])
def test_case_files_satisfy_the_schema(
    validator: jsonschema.Draft202012Validator, path: Path
) -> None:
    errors = list(validator.iter_errors(_doc(path)))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize(
    "name",
    [
        "02-salience-above-one.yaml",
        "08-unknown-field.yaml",
        "09-missing-salience.yaml",
        "11-bad-actor-kind.yaml",
        "14-negative-capability.yaml",
        "19-bad-id.yaml",
    ],
)
def test_schema_rejects_structural_errors(
    validator: jsonschema.Draft202012Validator, name: str
) -> None:
    assert list(validator.iter_errors(_doc(ASSETS / "case" / "bad" / name)))
