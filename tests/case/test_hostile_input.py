"""Hostile and broken case files: each is an error with its location, at once.

Measured before these fixes (issue 11): ``validate /dev/zero`` grew to 15 GB, an alias
bomb validated and then exhausted memory, 100,000-deep nesting ended in RecursionError,
``capability: .inf`` validated, an empty case validated, a CR-only CSV was an internal
error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from detente.case.formats import read_cases
from detente.case.limits import DEFAULT_MAX_INPUT_BYTES, MAX_DEPTH, max_input_bytes
from detente.case.loader import validate_case_text
from detente.cli import cli
from detente.errors import CaseError
from tests.conftest import ASSETS

MINIMAL = (ASSETS / "case" / "minimal.yaml").read_text(encoding="utf-8")


def errors(text: str, name: str = "c.yaml") -> list[tuple[str, int | None]]:
    case, diags = validate_case_text(text, name)
    assert case is None
    return [(d.code, d.line) for d in diags if d.severity == "error"]


def test_input_size_is_bounded_and_configurable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert max_input_bytes() == DEFAULT_MAX_INPUT_BYTES
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    monkeypatch.setenv("DETENTE_MAX_INPUT_BYTES", str(len(MINIMAL.encode()) - 1))
    with pytest.raises(CaseError) as err:
        read_cases(path)
    assert err.value.items[0].code == "too-large"
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2 and "error[too-large]" in result.output
    monkeypatch.setenv("DETENTE_MAX_INPUT_BYTES", str(len(MINIMAL.encode())))
    assert read_cases(path)[0].case.id == "minimal"  # exactly at the limit is fine
    monkeypatch.setenv("DETENTE_MAX_INPUT_BYTES", "lots")
    with pytest.raises(CaseError, match="DETENTE_MAX_INPUT_BYTES"):
        max_input_bytes()


def test_dev_zero_stops_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DETENTE_MAX_INPUT_BYTES", "4096")
    for fmt in (None, "yaml", "csv"):
        with pytest.raises(CaseError) as err:
            read_cases("/dev/zero", fmt)
        assert err.value.items[0].code == "too-large"


def test_a_file_just_under_the_limit_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    padded = MINIMAL + "# " + "x" * 5000 + "\n"
    path = tmp_path / "c.yaml"
    path.write_text(padded, encoding="utf-8")
    monkeypatch.setenv("DETENTE_MAX_INPUT_BYTES", str(len(padded.encode())))
    assert read_cases(path)[0].case.id == "minimal"


def bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for k in range(1, levels):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_where_it_explodes() -> None:
    found = errors(bomb(9))
    assert found[0][0] == "alias-bomb"
    assert found[0][1] is not None and 5 <= found[0][1] <= 9


def test_a_recursive_alias_is_refused_with_its_line() -> None:
    assert errors("case: {id: c, title: t}\nx: &r [1, *r]\n") == [("recursive-alias", 2)]


def test_aliases_that_repeat_a_value_are_fine() -> None:
    text = MINIMAL.replace("title: A minimal two-actor case", "title: &t A minimal case")
    text = text.replace("question: How far?", "question: *t")
    case, diags = validate_case_text(text, "c.yaml")
    assert case is not None and case.issues[0].question == "A minimal case"


@pytest.mark.parametrize(
    "nest",
    [
        "[" * 100_000 + "]" * 100_000,
        "{a: " * 100_000 + "1" + "}" * 100_000,
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
    ],
)
def test_deep_nesting_is_a_located_error_not_a_recursion_error(nest: str) -> None:
    found = errors("case: {id: c, title: t}\nextensions: {x: " + nest + "}\n")
    assert found[0][0] == "too-deep" and found[0][1] == 2


def test_deep_nesting_through_aliases_is_refused_too() -> None:
    lines = ["case: {id: c, title: t}"]
    prev = "1"
    for k in range(40):  # each anchor nests the previous one ten levels deeper
        lines.append(f"a{k}: &a{k} " + "[" * 10 + prev + "]" * 10)
        prev = f"*a{k}"
    assert errors("\n".join(lines) + "\n")[0][0] == "too-deep"


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("capability: 1}", "capability: .inf}", 7),
        ("position: 20,", "position: .nan,", 18),
        ("position: 80, salience: 1}", "position: 80, salience: -.inf}", 19),
        ("status_quo: 0", "status_quo: {value: 0, range: [0, .inf]}", 12),
    ],
)
def test_non_finite_numbers_are_refused_with_their_line(old: str, new: str, line: int) -> None:
    assert old in MINIMAL
    found = errors(MINIMAL.replace(old, new, 1))
    assert found[0][1] == line and found[0][0] == "not-finite"


def test_non_finite_numbers_in_json_and_text_are_refused() -> None:
    doc = json.loads(json.dumps(validate_case_text(MINIMAL, "m.yaml")[0].model_dump(mode="json")))  # type: ignore[union-attr]
    doc["actors"][0]["capability"] = {"value": float("nan")}
    assert ("not-finite", 1) in errors(json.dumps(doc), "c.json")  # JSON's NaN extension
    assert errors(MINIMAL.replace("capability: 1}", "capability: 'inf'}", 1))[0][0] == "not-finite"


@pytest.mark.parametrize("section", ["actors", "issues", "positions"])
def test_an_empty_case_is_refused_by_validate(section: str) -> None:
    text = "case: {id: c, title: t, require_sources: false}\n"
    text += "actors: [{id: a, name: A, capability: 1}]\nissues: [{id: i, question: q}]\n"
    text += "positions: [{actor: a, issue: i, position: 5, salience: 0.5}]\n"
    lines = [ln for ln in text.splitlines() if not ln.startswith(section)]
    lines.append(f"{section}: []")
    found = errors("\n".join(lines) + "\n")
    assert ("empty-case", 4) in found


def test_the_cli_refuses_an_empty_case_before_forecasting(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("case: {id: c, title: t}\nactors: []\nissues: []\npositions: []\n")
    for command in (["validate"], ["forecast"], ["forecast", "-m", "smp"]):
        result = CliRunner().invoke(cli, [*command, str(path)])
        assert result.exit_code == 2, result.output
        assert "error[empty-case]" in result.output and "IndexError" not in result.output


def test_escaped_surrogates_are_joined_or_refused() -> None:
    ok = MINIMAL.replace("title: A minimal two-actor case", 'title: "Case \\ud83d\\ude00"')
    case, _ = validate_case_text(ok, "c.yaml")
    assert case is not None and case.case.title == "Case \U0001f600"
    found = errors(MINIMAL.replace("question: How far?", 'question: "\\udc00"'))
    assert found[0] == ("yaml-syntax", 11)


def test_a_list_as_mapping_key_is_a_located_error() -> None:
    assert errors("case: {id: c, title: t}\n? [a]\n: 1\n") == [("yaml-syntax", 2)]


TIDY = "actor,issue,position,salience,capability\nA,x,10,0.5,1\nB,x,90,0.5,2\n"


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_tidy_csv_reads_every_line_ending(tmp_path: Path, ending: str) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(TIDY.replace("\n", ending).encode())
    case = read_cases(path)[0]
    assert [p.actor for p in case.positions] == ["A", "B"]
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("row", "code", "line"),
    [
        ("C,x,inf,0.5,1", "not-a-number", 4),
        ("C,x,NaN,0.5,1", "not-a-number", 4),
        ('C,x,"' + "9" * 200_000 + '",0.5,1', "csv-syntax", 4),
        ('C,x,"10,0.5,1', "field-count", 4),
    ],
)
def test_tidy_csv_hostile_cells_are_located(tmp_path: Path, row: str, code: str, line: int) -> None:
    path = tmp_path / "t.csv"
    path.write_text(TIDY + row + "\n")
    with pytest.raises(CaseError) as err:
        read_cases(path)
    first = err.value.items[0]
    assert (first.code, first.line) == (code, line)


def test_tidy_csv_source_ids_that_are_not_ids_are_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "actor,issue,position,position_source,salience,capability\nA,x,10,my source,0.5,1\n"
    )
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2 and "internal error" not in result.output
    assert "error[invalid-value]" in result.output


def test_an_empty_case_built_in_code_is_refused_by_the_runner_not_a_model() -> None:
    from detente.case.model import Case
    from detente.errors import ModelError
    from detente.forecast import available_models
    from detente.forecast.run import forecast

    empty = Case.model_validate(
        {"case": {"id": "e", "title": "t"}, "actors": [], "issues": [], "positions": []}
    )
    for model in sorted(available_models()):
        with pytest.raises(ModelError) as err:
            forecast(empty, [model])
        assert err.value.items[0].code == "empty-case"
