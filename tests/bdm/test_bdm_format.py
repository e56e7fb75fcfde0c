"""The plain BDM table: import, export, round trips and malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.case.formats import detect_format, read_cases, write_case
from detente.case.formats.bdm import read_bdm, write_bdm
from detente.case.formats.native import read_yaml
from detente.case.ids import make_id
from detente.case.model import Case
from detente.cli import cli
from detente.errors import CaseError


@pytest.fixture(scope="module")
def emissions_path(data_dir: Path) -> Path:
    return data_dir / "bdm" / "bdm1994-eu-emissions.csv"


@pytest.fixture(scope="module")
def emissions(emissions_path: Path) -> Case:
    return read_cases(emissions_path)[0]


def test_reads_the_shared_table(emissions: Case, emissions_path: Path) -> None:
    assert detect_format(emissions_path, emissions_path.read_text()) == "bdm-csv"
    assert [a.id for a in emissions.actors][:3] == ["Netherlands", "Belgium", "Luxembourg"]
    assert [a.name for a in emissions.actors][-1] == "Greece"
    assert len(emissions.issues) == 1
    assert (emissions.issues[0].scale.min, emissions.issues[0].scale.max) == (0.0, 100.0)
    assert emissions.case.require_sources is False
    uk = next(p for p in emissions.positions if p.actor == "UK")
    assert uk.position is not None
    assert (uk.position.value, uk.salience.value) == (10.0, 0.9)
    assert uk.capability is not None and uk.capability.value == 0.16


def test_round_trip_bdm_case_bdm_case(emissions: Case, emissions_path: Path) -> None:
    text = write_case(emissions, "bdm-csv")
    assert text.splitlines()[0] == "Actor,Capability,Position,Salience"
    assert text == emissions_path.read_text().replace("\r\n", "\n").replace(",1.0\n", ",1\n")
    again = read_bdm(text, str(emissions_path))[0]
    assert again == emissions
    assert write_bdm(again) == text


def test_round_trip_through_yaml_and_json(emissions: Case) -> None:
    for fmt in ("yaml", "json"):
        text = write_case(emissions, fmt)
        assert read_yaml(text, f"x.{fmt}")[0] == emissions


def test_names_become_ids_and_are_kept() -> None:
    text = (
        'Actor,Capability,Position,Salience\n"Korea, Republic of",1,5,0.5\nCôte d\'Ivoire,1,6,0.5\n'
    )
    text += "Côte d'Ivoire!,1,7,0.5\n"
    case = read_bdm(text, "t.csv")[0]
    assert [a.id for a in case.actors] == ["Korea-Republic-of", "C-te-d-Ivoire", "C-te-d-Ivoire-2"]
    assert [a.name for a in case.actors][0] == "Korea, Republic of"
    assert read_bdm(write_bdm(case), "t.csv")[0] == case
    assert make_id("  ", "actor") == "actor"
    assert make_id("_x", "actor") == "x"


@pytest.mark.parametrize(
    ("positions", "expected"),
    [
        ([1990, 2000, 2010], (1990.0, 2010.0)),
        ([-5, 50], (-5.0, 50.0)),
        ([0, 100], (0.0, 100.0)),
        ([150, 150], (149.0, 151.0)),
    ],
)
def test_scale_covers_the_data(positions: list[float], expected: tuple[float, float]) -> None:
    rows = "".join(f"A{k},1,{p},0.5\n" for k, p in enumerate(positions))
    case = read_bdm("Actor,Capability,Position,Salience\n" + rows, "s.csv")[0]
    scale = case.issues[0].scale
    assert (scale.min, scale.max) == expected


def test_columns_in_another_order() -> None:
    case = read_bdm("salience,actor,position,capability\n0.5,X,3,2\n0.25,Y,4,1\n", "o.csv")[0]
    x = case.positions[0]
    assert x.position is not None and x.capability is not None
    assert (x.salience.value, x.position.value, x.capability.value) == (0.5, 3.0, 2.0)


H = "Actor,Capability,Position,Salience\n"


@pytest.mark.parametrize(
    ("text", "code", "line", "column"),
    [
        (H + "A,1,5,1.5\n", "bdm-salience-range", 2, 7),
        (H + "A,1,5,0.5\nB,1,5,80\n", "bdm-salience-range", 3, 7),
        (H + "A,-1,5,0.5\n", "bdm-capability-range", 2, 3),
        (H + "A,1,five,0.5\n", "bdm-not-a-number", 2, 5),
        (H + "A,1,nan,0.5\n", "bdm-not-finite", 2, 5),
        (H + "A,1,5\n", "bdm-row-length", 2, 1),
        (H + ",1,5,0.5\n", "bdm-empty-name", 2, 1),
        (H + "A,1,5,0.5\nA,1,6,0.5\n", "bdm-duplicate-actor", 3, 1),
        ("Actor,Capability,Position\nA,1,5\n", "bdm-header", 1, 1),
        ("Actor,Capability,Position,Salience,Issue\nA,1,5,0.5,x\n", "bdm-header", 1, 1),
        ("", "bdm-empty", 1, 1),
        (H, "bdm-no-rows", 1, 1),
    ],
)
def test_malformed_tables(text: str, code: str, line: int, column: int) -> None:
    with pytest.raises(CaseError) as info:
        read_bdm(text, "bad.csv")
    first = info.value.items[0]
    assert (first.code, first.line, first.column, first.file) == (code, line, column, "bad.csv")
    assert first.expected
    assert "bad.csv" in info.value.diagnostics()


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(CaseError) as info:
        read_bdm(H + "A,1,5,2\nB,x,5,0.5\nC,1,5,-0.1\n", "bad.csv")
    assert [(d.code, d.line) for d in info.value.items] == [
        ("bdm-salience-range", 2),
        ("bdm-not-a-number", 3),
        ("bdm-salience-range", 4),
    ]


def test_cli_reports_a_bad_table_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(H + "A,1,5,1.2\n")
    result = CliRunner().invoke(cli, ["forecast", str(bad)])
    assert result.exit_code == 2
    assert "bad.csv:2:7" in result.output
    assert "salience" in result.output
    assert "Traceback" not in result.output


def test_writing_several_issues_is_refused(emissions: Case) -> None:
    two = emissions.model_copy(
        update={"issues": [*emissions.issues, emissions.issues[0].model_copy(update={"id": "b"})]}
    )
    with pytest.raises(CaseError, match="one issue"):
        write_bdm(two)


names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\x00\x85\u2028\u2029"),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() != "" and s == s.strip())
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(names, st.floats(0, 1e3), finite, st.floats(0, 1)),
        min_size=1,
        max_size=8,
        unique_by=lambda r: r[0],
    )
)
def test_any_table_round_trips(rows: list[tuple[str, float, float, float]]) -> None:
    text = H + "".join(
        f'"{n.replace(chr(34), chr(34) * 2)}",{c!r},{p!r},{s!r}\n' for n, c, p, s in rows
    )
    case = read_bdm(text, "h.csv")[0]
    assert [a.name for a in case.actors] == [r[0] for r in rows]
    assert len({a.id for a in case.actors}) == len(rows)
    assert read_bdm(write_bdm(case), "h.csv")[0] == case
    assert read_yaml(write_case(case, "yaml"), "h.yaml")[0] == case


@pytest.mark.parametrize(
    "header",
    [
        "name,capability,position,salience",
        "Actor,Capabilities,Position,Salience",
        "Stakeholder,Resources,Position,Salience",
        "Player, Power, Position, Importance",
        "salience,position,capabilities,name",
    ],
)
def test_public_header_variants_are_read(tmp_path: Path, header: str) -> None:
    roles = [h.strip().lower() for h in header.split(",")]
    values = {"name": "A", "stakeholder": "A", "player": "A", "actor": "A"}
    row_a = [values.get(r, "0.5" if r in ("salience", "importance") else "2") for r in roles]
    row_b = [("B" if v == "A" else v) for v in row_a]
    path = tmp_path / "public.csv"
    path.write_text(f"{header}\n{','.join(row_a)}\n{','.join(row_b)}\n")
    assert detect_format(path, path.read_text()) == "bdm-csv"
    case = read_cases(path)[0]
    assert [a.name for a in case.actors] == ["A", "B"]
    cap = case.positions[0].capability
    assert cap is not None and cap.value == 2.0 and case.positions[0].salience.value == 0.5


def test_extra_columns_are_ignored_with_a_warning_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "resolve.csv"
    path.write_text(
        "Actor,Capability,Position,Salience,resolve,type\nA,1,10,0.5,0.3,state\nB,2,90,0.8,0.9,firm\n"
    )
    from detente.errors import Diagnostic

    warnings: list[Diagnostic] = []
    case = read_cases(path, warnings=warnings)[0]
    (w,) = warnings
    assert (w.code, w.severity, w.line, w.column) == ("bdm-extra-columns", "warning", 1, 36)
    assert "'resolve', 'type'" in w.message
    assert case.extensions["bdm"]["extra_columns"]["type"] == {"A": "state", "B": "firm"}
    text = write_bdm(case)
    assert text.splitlines()[0] == "Actor,Capability,Position,Salience,resolve,type"
    assert read_bdm(text, str(path))[0] == case
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0 and "warning[bdm-extra-columns]" in result.output


def test_cr_only_line_endings(emissions_path: Path, emissions: Case) -> None:
    text = emissions_path.read_text().replace("\r\n", "\n").replace("\n", "\r")
    assert read_bdm(text, str(emissions_path))[0] == emissions
