"""The DEU III reader: the public file, hand-made vectors and malformed input."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from detente.case.formats import detect_format, read_cases, write_case
from detente.case.formats.deu import ACTORS, parse_deu_date, read_deu
from detente.case.formats.native import read_yaml
from detente.case.model import Case
from detente.cli import cli
from detente.errors import CaseError


@pytest.fixture(scope="module")
def public_file(data_dir: Path) -> Path:
    return data_dir / "deu3" / "deu3-public.csv"


@pytest.fixture(scope="module")
def public_cases(public_file: Path) -> list[Case]:
    return read_cases(public_file)


@pytest.fixture(scope="module")
def handmade(assets: Path) -> Path:
    return assets / "backtest" / "deu3-handmade.tsv"


def test_public_counts(public_file: Path, public_cases: list[Case]) -> None:
    assert detect_format(public_file, public_file.read_text()) == "deu3"
    assert len(public_cases) == 216
    assert len({c.case.id for c in public_cases}) == 216
    assert len({c.extensions["deu3"]["prnr"] for c in public_cases}) == 84
    assert all(len(c.actors) == 30 and len(c.issues) == 1 for c in public_cases)
    # 216 issues x 30 actors = 6480 cells, 2251 of them blank: 4229 positions.
    assert sum(len(c.positions) for c in public_cases) == 216 * 30 - 2251
    assert sum(c.issues[0].outcome is None for c in public_cases) == 3
    assert sum(c.issues[0].status_quo is None for c in public_cases) == 69
    imputed = [p for c in public_cases for p in c.positions if p.salience.note]
    assert len(imputed) == 45
    assert all(p.salience.value == 0.5 for p in imputed)


def test_public_values_match_an_independent_parse(
    public_file: Path, public_cases: list[Case]
) -> None:
    with public_file.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    header, gdp = rows[0], rows[1]
    col = {name: k for k, name in enumerate(header)}
    for row, case in zip(rows[2:], public_cases, strict=True):
        issue = case.issues[0]
        assert case.case.id == issue.id == row[col["isnr"]]
        assert case.extensions["deu3"]["council"] == row[col["council"]]
        assert (issue.outcome.value if issue.outcome else "") == (
            float(row[col["out"]]) if row[col["out"]] else ""
        )
        positions = {p.actor: p for p in case.positions}
        for code, _, _ in ACTORS:
            cell = row[col[f"p{code}"]]
            assert (code in positions) == (cell != "")
            if cell:
                stated = positions[code].position
                assert stated is not None and stated.value == float(cell)
                sal = row[col[f"s{code}"]]
                assert positions[code].salience.value == (float(sal) / 100 if sal else 0.5)
            assert case.actor(code).capability is not None
            assert case.actor(code).capability.value == float(gdp[col[f"p{code}"]])  # type: ignore[union-attr]


def test_first_issue_by_hand(public_cases: list[Case]) -> None:
    c = public_cases[0]
    assert c.case.id == "d00032i1"
    assert c.case.title == "documents (d00032), issue 1"
    assert c.case.require_sources is False
    assert c.actor("com").name == "European Commission" and c.actor("com").kind == "institution"
    assert c.actor("de").name == "Germany" and c.actor("de").kind == "state"
    assert c.issues[0].status_quo is not None and c.issues[0].status_quo.value == 0.0
    assert c.issues[0].outcome is not None and c.issues[0].outcome.value == 100.0
    meta = c.extensions["deu3"]
    assert (meta["prnr"], meta["type"], meta["proc"], meta["counvte"]) == (
        "d00032",
        "Reg",
        "COD",
        "QMV",
    )
    # intro 26-01-00; finact "1930-05-01" is 30-05-01 read by a spreadsheet as yy-mm-dd.
    assert (c.case.start, c.case.end) == (dt.date(2000, 1, 26), dt.date(2001, 5, 30))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("26-01-00", dt.date(2000, 1, 26)),
        ("14-12-1999", dt.date(1999, 12, 14)),
        ("2029-10-08", dt.date(2008, 10, 29)),
        ("17-04-96", dt.date(1996, 4, 17)),
        ("999", None),
        ("", None),
    ],
)
def test_dates(text: str, expected: dt.date | None) -> None:
    assert parse_deu_date(text) == expected


def test_yaml_round_trip(public_cases: list[Case], handmade: Path) -> None:
    sample = public_cases[::12] + read_cases(handmade)
    for case in sample:
        back = read_yaml(write_case(case, "yaml"), "roundtrip.yaml")
        assert back == [case]


def test_handmade_blank_salience_and_orphan_salience(handmade: Path) -> None:
    cases = {c.case.id: c for c in read_cases(handmade)}
    assert len(cases) == 6
    fr = {p.actor: p for p in cases["h003i2"].positions}["fr"]
    assert fr.salience.value == 0.5 and fr.salience.note
    # Austria has a salience but no position on h002i1: it is not a position.
    assert {p.actor for p in cases["h002i1"].positions} == {"de", "fr", "it"}


def _bad(handmade: Path, tmp_path: Path, edit: str) -> CaseError:
    lines = handmade.read_text().splitlines()
    if edit == "fields":
        lines[3] = lines[3] + "\t7"
    elif edit == "nan":
        cells = lines[2].split("\t")
        cells[13] = "abc"
        lines[2] = "\t".join(cells)
    elif edit == "range":
        cells = lines[2].split("\t")
        cells[13] = "120"
        lines[2] = "\t".join(cells)
    elif edit == "gdp":
        del lines[1]
    elif edit == "column":
        lines[0] = lines[0].replace('"out"', '"outcome"')
    path = tmp_path / "bad.tsv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CaseError) as err:
        read_deu(path.read_text(), str(path))
    return err.value


@pytest.mark.parametrize(
    ("edit", "code", "line", "column"),
    [
        ("fields", "field-count", 4, None),
        ("nan", "not-a-number", 3, None),
        ("range", "out-of-range", 3, None),
        ("gdp", "missing-gdp", 2, None),
        ("column", "missing-column", 1, 1),
    ],
)
def test_malformed_rows_give_located_diagnostics(
    handmade: Path, tmp_path: Path, edit: str, code: str, line: int, column: int | None
) -> None:
    err = _bad(handmade, tmp_path, edit)
    assert [d.code for d in err.items] == [code]
    d = err.items[0]
    assert d.file and d.file.endswith("bad.tsv")
    assert d.line == line
    assert d.expected
    if edit in ("nan", "range"):
        # pcom is the 14th field; its column is where the cell starts on the line.
        text = (tmp_path / "bad.tsv").read_text().splitlines()[2]
        assert d.column == len("\t".join(text.split("\t")[:13])) + 2
    elif column is not None:
        assert d.column == column


def test_every_problem_reported_at_once(handmade: Path, tmp_path: Path) -> None:
    lines = handmade.read_text().splitlines()
    cells = lines[2].split("\t")
    cells[13], cells[14] = "abc", "-5"
    lines[2] = "\t".join(cells)
    lines[4] += "\t"
    path = tmp_path / "many.tsv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CaseError) as err:
        read_cases(path, "deu3")
    assert sorted(d.code for d in err.value.items) == [
        "field-count",
        "not-a-number",
        "out-of-range",
    ]


def test_cli_reports_bad_file_without_traceback(handmade: Path, tmp_path: Path) -> None:
    _bad(handmade, tmp_path, "range")
    result = CliRunner().invoke(cli, ["backtest", "deu", str(tmp_path / "bad.tsv")])
    assert result.exit_code == 2
    assert "out-of-range" in result.output and "Traceback" not in result.output
    assert "bad.tsv:3:" in result.output
