"""KTAB files as KTAB's own readers take them: extra fields, CR endings, other applications.

``dummyData_6Dim.csv`` and ``reformpri-example.xml`` in tests/assets/ktab were written for
these tests in KTAB's documented layouts (``SMPModel::csvRead`` reads name, description,
number of actors and of dimensions from line 1 and ignores the rest; reformpri scenarios
hold items and costs instead of dimensions).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from detente.case.formats import read_cases
from detente.case.formats.ktab_csv import read_ktab_csv
from detente.case.formats.ktab_xml import read_ktab_xml
from detente.cli import cli
from detente.errors import CaseError, Diagnostic
from tests.conftest import ASSETS

KTAB = ASSETS / "ktab"
HEAD = "S,desc,2,1\nActor,Description,Power,P1,S1\n"


def test_six_dimension_file_with_a_fifth_field_on_line_one_reads_with_a_warning() -> None:
    warnings: list[Diagnostic] = []
    case = read_cases(KTAB / "dummyData_6Dim.csv", warnings=warnings)[0]
    assert (len(case.actors), len(case.issues)) == (5, 6)
    assert case.case.title == "DummyData_6Dim"
    (w,) = warnings
    assert (w.code, w.severity, w.line) == ("ktab-ignored", "warning", 1)
    assert "Extra field KTAB ignores" in w.message and "line 1" in w.message


def test_extra_header_columns_and_row_fields_are_ignored_with_warnings() -> None:
    text = "S,desc,2,1\nActor,Description,Power,P1,S1,Notes\nA,a,1,10,50,x\nB,b,2,90,50,y\n"
    warnings: list[Diagnostic] = []
    case = read_ktab_csv(text, "w.csv", warnings)[0]
    assert [p.position.value for p in case.positions if p.position] == [10.0, 90.0]
    assert [(w.line, w.code) for w in warnings] == [(2, "ktab-ignored"), (3, "ktab-ignored")]
    assert "2 actor rows" in warnings[1].message


def test_rows_after_the_announced_actors_are_ignored_as_ktab_does() -> None:
    warnings: list[Diagnostic] = []
    case = read_ktab_csv(HEAD + "A,a,1,10,50\nB,b,2,90,50\nC,c,3,50,50\n", "r.csv", warnings)[0]
    assert [a.id for a in case.actors] == ["A", "B"]
    assert warnings[0].line == 5 and "ignored" in warnings[0].message


def test_fewer_rows_than_announced_is_still_an_error() -> None:
    with pytest.raises(CaseError) as err:
        read_ktab_csv(HEAD + "A,a,1,10,50\n", "few.csv")
    assert err.value.items[0].code == "ktab-actor-count"


@pytest.mark.parametrize("ending", ["\r", "\r\n"])
def test_cr_and_crlf_line_endings_read_like_lf(ending: str) -> None:
    lf = (KTAB / "dummyData_3Dim.csv").read_text(encoding="utf-8")
    other = lf.replace("\r\n", "\n").replace("\n", ending)
    assert read_ktab_csv(other, "x.csv") == read_ktab_csv(lf, "x.csv")


def test_ideal_adjustment_is_kept_checked_and_named_in_a_warning() -> None:
    text = (KTAB / "smpExample.xml").read_text(encoding="utf-8-sig")
    warnings: list[Diagnostic] = []
    case = read_ktab_xml(text, "smpExample.xml", warnings)[0]
    assert len(case.extensions["ktab"]["IdealAdjustment"]) > 0
    unused = [w for w in warnings if w.code == "ktab-unused"]
    assert len(unused) == 1 and "IdealAdjustment" in unused[0].message
    assert unused[0].line == text[: text.index("<IdealAdjustment>")].count("\n") + 1
    # KTAB's reader stops on a pair naming no actor; so does detente, with the line
    bad = text.replace(
        "<adjustingIdeal>Bob</adjustingIdeal>", "<adjustingIdeal>Bobby</adjustingIdeal>"
    )
    with pytest.raises(CaseError) as err:
        read_ktab_xml(bad, "bad.xml")
    assert {d.code for d in err.value.items} == {"unknown-actor"}
    assert all("Bobby" in d.message and d.line is not None for d in err.value.items)


def test_xml_model_parameters_become_the_cases_smp_defaults() -> None:
    text = (KTAB / "smpExample.xml").read_text(encoding="utf-8-sig")
    case = read_ktab_xml(text, "smpExample.xml")[0]
    assert case.model_params["smp"]["pce"] == "MarkovIncentive"
    assert len(case.model_params["smp"]) == 9
    # written back to KTAB XML, then read again: nothing lost
    from detente.case.formats import write_case

    again = read_ktab_xml(write_case(case, "ktab-xml"), "again.xml")[0]
    assert again == case


def test_unknown_elements_are_ignored_with_a_warning() -> None:
    text = (KTAB / "smpExample.xml").read_text(encoding="utf-8-sig")
    text = text.replace("<Dimensions>", "<Notes>n</Notes>\n  <Dimensions>", 1)
    warnings: list[Diagnostic] = []
    read_ktab_xml(text, "n.xml", warnings)
    assert any(w.code == "ktab-ignored" and "<Notes>" in w.message for w in warnings)


def test_a_reformpri_scenario_is_named_for_what_it_is() -> None:
    with pytest.raises(CaseError) as err:
        read_cases(KTAB / "reformpri-example.xml")
    (d,) = err.value.items
    assert d.code == "ktab-other-application"
    assert "reform-priorities" in d.message and d.line is not None


@pytest.mark.parametrize(
    ("head", "named"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml xl/workbook.xml", "Excel workbook (.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "Excel 97-2003 workbook (.xls)"),
        (b"%PDF-1.7\n", "PDF"),
        (b"\xff\xfea\x00c\x00", "UTF-16"),
        (b"Actor,Capability\x00,Position,Salience\n", "NUL byte"),
    ],
)
def test_binary_files_get_a_message_naming_what_they_are(
    tmp_path: Path, head: bytes, named: str
) -> None:
    path = tmp_path / "scenario.csv"
    path.write_bytes(head + b"\x00" * 16)
    with pytest.raises(CaseError) as err:
        read_cases(path)
    text = err.value.diagnostics()
    assert named in text
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2 and named in result.output


def test_cli_prints_the_readers_warnings() -> None:
    path = str(KTAB / "dummyData_6Dim.csv")
    result = CliRunner().invoke(cli, ["validate", path])
    assert result.exit_code == 0
    assert "warning[ktab-ignored]" in result.output and "1 warning(s)" in result.output
    result = CliRunner().invoke(cli, ["forecast", path, "--format", "json"])
    assert result.exit_code == 0
    assert "warning[ktab-ignored]" in result.output
