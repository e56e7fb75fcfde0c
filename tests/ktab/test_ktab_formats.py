"""KTAB CSV and XML import/export: mapping, lossless round trips, clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.case.formats import _ktab, ktab_csv, ktab_xml, native, write_case
from detente.case.ids import make_id
from detente.case.model import ID_PATTERN, Case
from detente.errors import CaseError
from tests.conftest import ASSETS

KTAB = ASSETS / "ktab"
CSV_SAMPLES = ["SOE-Policy.csv", "SOE-Competitive.csv", "dummyData_3Dim.csv", "SOE-Pol-Comp.csv"]


def _text(name: str) -> str:
    return (KTAB / name).read_text(encoding="utf-8-sig")


def _read(name: str) -> Case:
    if name.endswith(".xml"):
        return ktab_xml.read_ktab_xml(_text(name), name)[0]
    return ktab_csv.read_ktab_csv(_text(name), name)[0]


# ---- mapping ---------------------------------------------------------------------------


def test_csv_mapping_dummy_data() -> None:
    case = _read("dummyData_3Dim.csv")
    assert case.case.title == "DummyData_3Dim"
    assert case.case.summary == "Dummy scenario to test reading format"
    assert case.case.require_sources is False
    assert [i.id for i in case.issues] == ["Pstn1", "Pstn2", "Pstn3"]
    assert [i.question for i in case.issues] == ["Pstn1", "Pstn2", "Pstn3"]
    a0 = case.actor("SActor-00")
    assert a0.description == "Random Spatial Actor"
    assert a0.capability is not None and a0.capability.value == 102.543
    pos = {(p.actor, p.issue): p for p in case.positions}
    p = pos[("SActor-00", "Pstn2")]
    assert p.position is not None and p.position.value == 6.37
    assert p.salience.value == 5.91 / 100
    assert case.extensions["ktab"]["power_label"] == "Power"
    assert case.extensions["ktab"]["salience_labels"] == ["Sal1", "Sal2", "Sal3"]


def test_csv_dimension_names_become_safe_ids() -> None:
    case = _read("SOE-Policy.csv")
    assert [i.id for i in case.issues] == ["Policy-Position"]
    assert case.issues[0].question == "Policy Position"
    assert case.case.title == "China Policy; scen 0"
    assert case.extensions["ktab"]["power_label"] == "Influence"


def test_xml_mapping_keeps_parameters_seed_and_adjustments() -> None:
    case = _read("smpExample.xml")
    ext = case.extensions["ktab"]
    assert ext["prngSeed"] == "03507583219545544127"  # leading zero kept
    assert ext["ModelParameters"]["PCEModel"] == "MarkovIncentive"
    assert len(ext["ModelParameters"]) == 9
    assert ext["IdealAdjustment"][2] == {
        "adjustingIdeal": "Bob",
        "referencePos": "Alice",
        "adjust": 0.07,
    }
    pos = {(p.actor, p.issue): p for p in case.positions}
    # an empty <dCoord></dCoord> means no position, the salience is still there
    assert pos[("Alice", "FirstDim")].position is None
    assert pos[("Alice", "FirstDim")].salience.value == 32.3 / 100
    assert case.actor("Carol").capability.value == 61.4  # type: ignore[union-attr]
    assert case.case.summary == "A very simple test of multi-dim SMP, using psuedonyms"


# ---- lossless round trips --------------------------------------------------------------


@pytest.mark.parametrize("name", [*CSV_SAMPLES, "smpExample.xml"])
def test_round_trip_through_ktab(name: str) -> None:
    case = _read(name)
    if name.endswith(".xml"):
        again = ktab_xml.read_ktab_xml(write_case(case, "ktab-xml"), "again.xml")[0]
    else:
        again = ktab_csv.read_ktab_csv(write_case(case, "ktab-csv"), "again.csv")[0]
    assert again == case


@pytest.mark.parametrize("name", [*CSV_SAMPLES, "smpExample.xml"])
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_round_trip_through_native_formats(name: str, fmt: str) -> None:
    case = _read(name)
    assert native.read_yaml(write_case(case, fmt), f"x.{fmt}")[0] == case


@pytest.mark.parametrize("name", CSV_SAMPLES)
def test_csv_to_xml_to_case_keeps_the_case(name: str) -> None:
    case = _read(name)
    via_xml = ktab_xml.read_ktab_xml(ktab_xml.write_ktab_xml(case), "x.xml")[0]
    assert via_xml.model_dump(exclude={"extensions"}) == case.model_dump(exclude={"extensions"})


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 1_000_000), st.integers(0, 4))
def test_salience_text_reads_back_exactly(units: int, decimals: int) -> None:
    s = (units / 10**decimals) % 100.0001
    value = float(f"{s:.{decimals}f}") / 100.0
    assert float(_ktab.format_salience(value)) / 100.0 == value


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1e6, allow_nan=False, allow_infinity=False))
def test_numbers_read_back_exactly(x: float) -> None:
    assert float(_ktab.format_number(x)) == x


def test_format_salience_examples() -> None:
    # 0.07 * 100 is 7.000000000000001 in binary floating point
    assert _ktab.format_salience(0.07) == "7"
    assert _ktab.format_salience(0.4953) == "49.53"
    assert _ktab.format_salience(0.0) == "0"


@given(st.text(max_size=30))
def test_make_id_is_safe_and_unique(text: str) -> None:
    taken: set[str] = set()
    a = make_id(text, "fallback", taken)
    b = make_id(text, "fallback", taken)
    assert a != b
    for ident in (a, b):
        assert re.match(ID_PATTERN, ident)


# ---- malformed files -------------------------------------------------------------------

GOOD_HEAD = "Scen,Desc,2,1,\nActor,Description,Power,Pos,Sal,\n"


def _csv_error(text: str) -> CaseError:
    with pytest.raises(CaseError) as info:
        ktab_csv.read_ktab_csv(text, "bad.csv")
    return info.value


def test_row_with_wrong_number_of_fields() -> None:
    err = _csv_error(GOOD_HEAD + "A,a,1,50,50,\nB,b,1,50,\n")
    (d,) = err.items
    assert d.code == "ktab-columns" and d.file == "bad.csv" and d.line == 4
    assert "5 fields" in (d.expected or "")


def test_power_that_is_not_a_number() -> None:
    err = _csv_error(GOOD_HEAD + "A,a,strong,50,50,\nB,b,1,50,50,\n")
    (d,) = err.items
    assert d.code == "not-a-number" and (d.line, d.column) == (3, 5)
    assert "power 'strong'" in d.message


def test_salience_above_100() -> None:
    err = _csv_error(GOOD_HEAD + "A,a,1,50,150,\nB,b,1,50,50,\n")
    (d,) = err.items
    assert d.code == "out-of-range" and d.line == 3 and "salience 150" in d.message
    assert d.hint


def test_position_outside_0_100_and_negative_power_reported_together() -> None:
    err = _csv_error(GOOD_HEAD + "A,a,-1,50,50,\nB,b,1,120,50,\n")
    assert [d.line for d in err.items] == [3, 4]
    assert {d.code for d in err.items} == {"out-of-range"}


def test_saliences_summing_above_100() -> None:
    text = "S,D,1,2,\nActor,Description,Power,P1,S1,P2,S2,\nA,a,1,10,60,20,50,\n"
    (d,) = _csv_error(text).items
    assert "add up to 110" in d.message


def test_actor_count_mismatch() -> None:
    (d,) = _csv_error(GOOD_HEAD + "A,a,1,50,50,\n").items
    assert d.code == "ktab-actor-count" and "announces 2" in d.message


def test_bad_first_line() -> None:
    (d,) = _csv_error("Scen,Desc,two,1,\nActor,Description,Power,Pos,Sal,\n").items
    assert d.code == "ktab-header" and d.line == 1 and d.column == 11


def test_header_width_does_not_match_dimensions() -> None:
    (d,) = _csv_error("Scen,Desc,1,2,\nActor,Description,Power,Pos,Sal,\nA,a,1,5,5,\n").items
    assert d.code == "ktab-columns" and d.line == 2


def test_duplicate_actor_names() -> None:
    (d,) = _csv_error(GOOD_HEAD + "A,a,1,50,50,\nA,b,1,40,50,\n").items
    assert d.code == "duplicate-id" and d.line == 4


def test_empty_file() -> None:
    assert _csv_error("").items[0].code == "ktab-header"


def _xml_error(text: str) -> CaseError:
    with pytest.raises(CaseError) as info:
        ktab_xml.read_ktab_xml(text, "bad.xml")
    return info.value


XML_ACTOR = (
    "<Actor><name>{n}</name><description>d</description><capability>{c}</capability>"
    "<Position><dCoord>{p}</dCoord></Position><Salience><dSal>{s}</dSal></Salience></Actor>"
)


def _xml(*actors: str) -> str:
    return (
        "<Scenario><name>S</name><desc>D</desc><prngSeed>1</prngSeed>"
        "<Dimensions><dName>X</dName></Dimensions>\n<Actors>\n"
        + "\n".join(actors)
        + "\n</Actors></Scenario>"
    )


def test_xml_not_well_formed() -> None:
    (d,) = _xml_error("<Scenario><name>S</name>\n<Actors></Scenario>").items
    assert d.code == "xml-syntax" and d.line == 2


def test_xml_missing_dimensions() -> None:
    err = _xml_error("<Scenario><name>S</name><Actors></Actors></Scenario>")
    assert any(d.code == "xml-missing" and "<Dimensions>" in d.message for d in err.items)


def test_xml_bad_numbers_and_counts() -> None:
    text = _xml(
        XML_ACTOR.format(n="A", c="lots", p="10", s="20"),
        XML_ACTOR.format(n="B", c="1", p="10", s="200"),
        XML_ACTOR.format(n="C", c="1", p="10", s="20").replace(
            "</Position>", "<dCoord>4</dCoord></Position>"
        ),
    )
    err = _xml_error(text)
    codes = sorted(d.code for d in err.items)
    assert codes == ["ktab-columns", "not-a-number", "out-of-range"]
    assert {d.line for d in err.items} == {3, 4, 5}


def test_xml_good_minimal_reads() -> None:
    case = ktab_xml.read_ktab_xml(
        _xml(
            XML_ACTOR.format(n="A", c="1", p="", s="20"),
            XML_ACTOR.format(n="B", c="2", p="30", s="20"),
        ),
        "ok.xml",
    )[0]
    assert [p.position for p in case.positions][0] is None
    assert case.extensions["ktab"]["prngSeed"] == "1"


def test_errors_render_without_traceback() -> None:
    err = _csv_error(GOOD_HEAD + "A,a,1,50,150,\nB,b,1,50,50,\n")
    text = err.diagnostics()
    assert "bad.csv:3:" in text and "Traceback" not in text


def test_bad_number_does_not_hide_other_problems() -> None:
    err = _csv_error(GOOD_HEAD + "A,a,x,50,150,\nB,b,1,50,50,\n")
    assert sorted(d.code for d in err.items) == ["not-a-number", "out-of-range"]
    assert {d.line for d in err.items} == {3}


def test_empty_csv_position_means_no_position_and_round_trips() -> None:
    case = ktab_csv.read_ktab_csv(GOOD_HEAD + "A,a,1,,50,\nB,b,2,40,50,\n", "gap.csv")[0]
    pos = {p.actor: p for p in case.positions}
    assert pos["A"].position is None and pos["A"].salience.value == 0.5
    assert ktab_csv.read_ktab_csv(ktab_csv.write_ktab_csv(case), "again.csv")[0] == case
    # a case with a missing position also survives the XML form
    xml_case = ktab_xml.read_ktab_xml(ktab_xml.write_ktab_xml(case), "again.xml")[0]
    assert xml_case.positions == case.positions


def test_xml_model_parameters_apply_to_smp_unless_overridden(tmp_path: Path) -> None:
    from detente.errors import ModelError
    from detente.forecast.run import case_params, forecast
    from detente.uncertainty._models import resolve_models

    name = "smpExample.xml"
    text = (ASSETS / "ktab" / name).read_text(encoding="utf-8-sig")
    case = ktab_xml.read_ktab_xml(text, name)[0]
    used = forecast(case, ["smp"]).to_dict()["models"]["smp"]["params_used"]
    assert (used["pce"], used["voting_rule"], used["state_transitions"]) == (
        "MarkovIncentive",
        "PropCbc",
        "Stochastic",
    )
    mine = {"smp": {"voting_rule": "Binary"}}
    assert forecast(case, ["smp"], mine).params["smp"]["voting_rule"] == "Binary"
    assert dict(resolve_models(["smp"], mine, case))["smp"]["pce"] == "MarkovIncentive"
    assert dict(resolve_models(["smp"], None))["smp"]["pce"] == "Conditional"  # no case
    # Other models are untouched; a value smp does not offer is refused by name.
    assert "smp" not in forecast(case, ["compromise"]).params
    bad = ktab_xml.read_ktab_xml(text.replace(">PropCbc<", ">Plurality<"), name)[0]
    assert bad.model_params["smp"]["voting_rule"] == "Plurality"
    with pytest.raises(
        ModelError, match="model_params: smp.voting_rule: must be one of .*, not 'Plurality'"
    ):
        case_params(bad)
