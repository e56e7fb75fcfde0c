"""Reading statements files: the Istanbul example, CSV, PLOVER arrays, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detente.case.loader import load_case
from detente.errors import CaseError
from detente.statements.io import (
    check_against_case,
    read_coding_inputs,
    read_statements,
    speaker_actor,
)
from detente.statements.model import MAX_TEXT_CHARS, statements_json_schema
from tests.statements.helpers import CASE, STATEMENTS


def test_istanbul_statements_from_both_sides_marked_partisan() -> None:
    sf = read_statements(STATEMENTS)
    check_against_case(sf, load_case(CASE), str(STATEMENTS))
    sides = {speaker_actor(sf, s) for s in sf.statements}
    assert {"PAK", "AFG"} <= sides
    for s in sf.statements:
        assert s.reported_by is not None and s.reported_by.partisan
        assert s.quote is not None and s.quote in s.text


def test_schema_is_json_schema_of_the_file() -> None:
    schema = statements_json_schema()
    assert schema["title"] == "detente statements file"
    assert "statements" in schema["properties"]  # type: ignore[operator]


def _write(tmp_path: Path, body: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(body, encoding="utf-8")
    return p


GOOD = """\
statements:
  - id: s1
    speaker: {actor: PAK}
    date: 2025-11-07
    medium: post
    citation: test
    text: Pakistan demands action.
    recorded_by: tester
"""


def test_bad_date_is_located(tmp_path: Path) -> None:
    p = _write(tmp_path, GOOD.replace("2025-11-07", "2025-13-45"))
    with pytest.raises(CaseError) as exc:
        read_statements(p)
    (d,) = exc.value.items
    assert d.line == 4 and d.column is not None and "date" in d.message


def test_empty_text_and_too_long_text_are_refused(tmp_path: Path) -> None:
    body = GOOD.replace("Pakistan demands action.", "'   '") + GOOD.replace("s1", "s2").replace(
        "statements:\n", ""
    ).replace("Pakistan demands action.", "x" * (MAX_TEXT_CHARS + 1))
    with pytest.raises(CaseError) as exc:
        read_statements(_write(tmp_path, body))
    msgs = [d.message for d in exc.value.items]
    assert len(msgs) == 2
    assert any("text is empty" in m for m in msgs)
    assert any(f"at most {MAX_TEXT_CHARS}" in m for m in msgs)
    assert all(d.line is not None for d in exc.value.items)


def test_unknown_actor_and_issue_are_reported_together(tmp_path: Path) -> None:
    body = GOOD.replace("{actor: PAK}", "{actor: XYZ}") + "    issue: nowhere\n    target: [QQQ]\n"
    sf = read_statements(_write(tmp_path, body))
    with pytest.raises(CaseError) as exc:
        check_against_case(sf, load_case(CASE), "s.yaml")
    codes = sorted(d.code for d in exc.value.items)
    assert codes == ["unknown-actor", "unknown-actor", "unknown-issue"]


def test_non_utf8_file_is_located(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_bytes(GOOD.encode() + b"  # caf\xe9\n")
    with pytest.raises(CaseError) as exc:
        read_statements(p)
    (d,) = exc.value.items
    assert d.code == "not-utf8" and d.line == 9


def test_quote_must_be_a_span_and_source_is_required(tmp_path: Path) -> None:
    body = GOOD.replace("    citation: test\n", "") + '    quote: "not in the text"\n'
    with pytest.raises(CaseError) as exc:
        read_statements(_write(tmp_path, body))
    msg = " ".join(d.message for d in exc.value.items)
    assert "verbatim span" in msg or "url" in msg


def test_csv_form(tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    p.write_text(
        "id,speaker_actor,date,medium,citation,text,recorded_by,reported_by,partisan,target\n"
        "c1,AFG,2025-11-07,post,test,Kabul rejects the demand.,tester,seed,yes,PAK\n"
        "c2,PAK,2025-11-31,post,test,Pakistan insists.,tester,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(CaseError) as exc:
        read_statements(p)
    (d,) = exc.value.items
    assert d.line == 3 and d.column == 3  # the date column of the second row
    p.write_text(p.read_text().replace("2025-11-31", "2025-11-30"), encoding="utf-8")
    sf = read_statements(p)
    assert sf.statements[0].reported_by is not None and sf.statements[0].reported_by.partisan
    assert sf.statements[0].target == ["PAK"]


def test_plover_array_is_read_for_coding(data_dir: Path) -> None:
    inputs, sf = read_coding_inputs(data_dir / "plover" / "plover-gsr-dev.json")
    assert sf is None
    assert len(inputs) == 158  # the documentation record is skipped
    assert all(i.gold for i in inputs)
    assert inputs[0].source == "HUN;ROU"


def test_plover_array_bad_records_reported_at_once(tmp_path: Path) -> None:
    p = tmp_path / "p.json"
    p.write_text(
        json.dumps(
            [
                {"id": "a", "text": "", "date": "2000-01-01"},
                {"id": "b", "text": "They agreed.", "date": "01/02/2000"},
                {"text": "no id"},
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(CaseError) as exc:
        read_coding_inputs(p)
    assert [d.code for d in exc.value.items] == ["empty-text", "bad-date", "plover-record"]


def test_example_file_validates_against_the_json_schema() -> None:
    import jsonschema

    from detente.case.loader import load_yaml
    from detente.statements.io import _plain

    # the shared loader leaves dates as text, as in JSON
    doc = _plain(load_yaml(STATEMENTS.read_text(encoding="utf-8"), str(STATEMENTS)))
    jsonschema.validate(doc, statements_json_schema())
    doc["statements"][0]["speaker"] = {"actor": "has space"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, statements_json_schema())


@pytest.mark.parametrize(
    ("body", "code", "line"),
    [
        (GOOD.replace("    medium: post\n", "    medium: [post\n"), "yaml-syntax", None),
        (GOOD + "    medium: again\n", "yaml-syntax", 9),  # duplicate key
        (
            "a: &a [x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                for p, c in zip("abcdefg", "bcdefgh", strict=True)
            )
            + GOOD,
            "alias-bomb",
            None,
        ),
    ],
    ids=["syntax", "duplicate-key", "alias-bomb"],
)
def test_yaml_problems_come_from_the_shared_loader_located(
    tmp_path: Path, body: str, code: str, line: int | None
) -> None:
    # The statements reader uses the case loader's bounded YAML: one located diagnostic.
    with pytest.raises(CaseError) as exc:
        read_statements(_write(tmp_path, body))
    (d,) = exc.value.items
    assert d.code == code and d.file is not None and d.file.endswith("s.yaml")
    assert d.line is not None and d.column is not None
    if line is not None:
        assert d.line == line
