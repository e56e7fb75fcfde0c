"""Case files load as YAML 1.2, round-trip losslessly, and have a JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from detente.case import case_arrays, load_case, read_cases, write_case
from detente.case.loader import parse_case_text
from detente.case.schema import case_json_schema


def test_yaml_12_keeps_unquoted_no_as_text(assets: Path) -> None:
    case = load_case(assets / "case" / "minimal.yaml")
    assert [a.id for a in case.actors] == ["A", "NO"]


def test_arrays_follow_the_case(assets: Path) -> None:
    arr = case_arrays(load_case(assets / "case" / "minimal.yaml"))
    assert arr.actor_ids == ("A", "NO")
    np.testing.assert_array_equal(arr.position, [[20.0], [80.0]])
    np.testing.assert_array_equal(arr.weight, [[0.5], [2.0]])
    np.testing.assert_array_equal(arr.status_quo, [0.0])


def test_position_capability_overrides_actor_default() -> None:
    case = parse_case_text(
        """
case: {id: c, title: t, require_sources: false}
actors: [{id: A, name: A, capability: 1}, {id: B, name: B, capability: 1}]
issues: [{id: x, question: q}, {id: y, question: q}]
positions:
  - {actor: A, issue: x, position: 10, salience: 1, capability: 5}
  - {actor: A, issue: y, position: 10, salience: 1}
  - {actor: B, issue: x, position: 90, salience: 1}
""",
        "t.yaml",
    )
    arr = case_arrays(case)
    np.testing.assert_array_equal(arr.capability, [[5.0, 1.0], [1.0, 0.0]])
    assert arr.present.tolist() == [[True, True], [True, False]]


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_flagship_round_trip_loses_nothing(
    istanbul_case_path: Path, tmp_path: Path, fmt: str
) -> None:
    case = load_case(istanbul_case_path)
    out = tmp_path / f"case.{fmt}"
    out.write_text(write_case(case, fmt), encoding="utf-8")
    again = load_case(out)
    assert again == case
    out2 = tmp_path / f"again.{fmt}"
    out2.write_text(write_case(again, fmt), encoding="utf-8")
    assert out2.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_yaml_export_quotes_strings_a_yaml_11_reader_would_misread(
    tmp_path: Path, assets: Path
) -> None:
    case = load_case(assets / "case" / "minimal.yaml")
    text = write_case(case, "yaml")
    # "NO" written bare would read as false in YAML 1.1 tools; ours must read it back as text.
    assert "id: 'NO'" in text
    out = tmp_path / "c.yaml"
    out.write_text(text, encoding="utf-8")
    assert load_case(out).actors[1].id == "NO"


def test_csv_table_round_trip(istanbul_case_path: Path, tmp_path: Path) -> None:
    case = load_case(istanbul_case_path)
    table = write_case(case, "csv")
    (tmp_path / "t.csv").write_text(table, encoding="utf-8")
    back = read_cases(tmp_path / "t.csv")[0]
    # The table keeps every number, range and source id of positions.
    a, b = case_arrays(case), case_arrays(back)
    for name in (
        "position",
        "salience",
        "capability",
        "position_low",
        "position_high",
        "salience_low",
        "salience_high",
        "capability_low",
        "capability_high",
        "status_quo",
    ):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert write_case(back, "csv") == table


def test_schema_is_json_and_accepts_number_shorthand() -> None:
    schema = case_json_schema()
    json.dumps(schema)
    assert schema["title"] == "detente case file"
    sal = schema["$defs"]["Salience"]["anyOf"][0]
    assert sal == {"type": "number", "minimum": 0.0, "maximum": 1.0}
    assert set(schema["required"]) >= {"case", "actors", "issues", "positions"}


def test_flagship_cites_or_estimates_every_number(istanbul_case_path: Path) -> None:
    case = load_case(istanbul_case_path)
    analyst = {s.id for s in case.sources if s.kind == "analyst"}
    estimates = [e for p in case.positions for e in (p.position, p.salience, p.capability) if e]
    estimates += [a.capability for a in case.actors if a.capability]
    estimates += [i.status_quo for i in case.issues if i.status_quo]
    assert estimates
    for e in estimates:
        assert e.source is not None
        if e.source in analyst:
            assert e.range is not None and e.note
        else:
            assert e.quote, "a sourced number must quote its sentence"
    kinds = {a.id: (a.role, a.at_table) for a in case.actors}
    assert kinds["TTP"] == ("stakeholder", False)
    assert kinds["TUR"][0] == kinds["QAT"][0] == "mediator"
    assert {"sanctuaries", "guarantee"} <= {i.id for i in case.issues}
