"""Trust as a case input: a trust file's credibility weights a what-if promise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy import stats

from detente.case.loader import load_case
from detente.case.schema import case_json_schema
from detente.compliance.trust import credibility, trust_over_time
from detente.errors import CaseError
from detente.uncertainty.errors import UncertaintyError
from detente.uncertainty.whatif import apply_whatif, parse_whatif, run_whatif
from tests.events.event_helpers import recorded_verdict as v

REPO = Path(__file__).resolve().parents[2]
CASE = REPO / "examples" / "istanbul-2025" / "case.yaml"


def case_with(tmp_path: Path, trust_block: str) -> Path:
    """The Istanbul case with a `trust:` block appended, beside a trust file of AFG."""
    # AFG kept 3 periods and breached 1: E = (3 + 1) / (3 + 1 + 2) = 2/3.
    verdicts = [
        v(k, kind, f"{2020 + k}-01-01", f"{2020 + k}-12-31", party="Afghanistan")
        for k, kind in enumerate(["fulfilled", "breached", "fulfilled", "fulfilled"])
    ]
    doc = credibility(trust_over_time(verdicts))
    (tmp_path / "trust.json").write_text(json.dumps(doc), encoding="utf-8")
    path = tmp_path / "case.yaml"
    path.write_text(CASE.read_text(encoding="utf-8") + trust_block, encoding="utf-8")
    return path


def n_case() -> int:
    return len(CASE.read_text(encoding="utf-8").splitlines())


PROMISE = """
name: Kabul promises action on the sanctuaries
changes:
  - promise: {actor: AFG, issue: sanctuaries, to: 85}
"""


def test_trust_file_gives_credibility_and_weights_a_promise(tmp_path: Path) -> None:
    path = case_with(tmp_path, "trust:\n  file: trust.json\n  parties: {Afghanistan: AFG}\n")
    case = load_case(path)
    assert case.trust is not None
    cred = case.trust.credibility["AFG"]
    assert cred.value == pytest.approx(2 / 3)
    assert cred.range == pytest.approx((stats.beta.ppf(0.1, 4, 2), stats.beta.ppf(0.9, 4, 2)))
    assert "Jøsang & Ismail" in (cred.note or "")
    after = apply_whatif(case, parse_whatif(PROMISE, "promise.yaml"))
    (pos,) = [p for p in after.positions if (p.actor, p.issue) == ("AFG", "sanctuaries")]
    assert pos.position is not None
    # AFG stands at 25, range [10, 45]: expected 25 + 2/3 * (85 - 25) = 65.
    assert pos.position.value == pytest.approx(65.0)
    lo80, hi80 = cred.range
    assert pos.position.range == pytest.approx(
        (min(25 + lo80 * 60, 10 + 40), min(max(25 + hi80 * 60, 45 + 40), 100))
    )
    # The same as a plain move to the expected position, so models see exactly that.
    moved = parse_whatif(
        "changes:\n  - move: {actor: AFG, issue: sanctuaries, to: 65}\n", "move.yaml"
    )
    res_p = run_whatif(case, parse_whatif(PROMISE, "promise.yaml"), models=["compromise"])
    res_m = run_whatif(case, moved, models=["compromise"])
    assert res_p.after["sanctuaries"]["compromise"] == pytest.approx(
        res_m.after["sanctuaries"]["compromise"]
    )
    assert res_p.after["sanctuaries"]["compromise"] != pytest.approx(
        res_p.before["sanctuaries"]["compromise"]
    )


def test_stated_credibility_and_its_errors(tmp_path: Path) -> None:
    path = case_with(
        tmp_path,
        "trust:\n  credibility:\n    AFG: {value: 0.5, range: [0.3, 0.7], source: analyst}\n",
    )
    after = apply_whatif(load_case(path), parse_whatif(PROMISE, "promise.yaml"))
    (pos,) = [p for p in after.positions if (p.actor, p.issue) == ("AFG", "sanctuaries")]
    assert pos.position is not None and pos.position.value == pytest.approx(55.0)
    bad = case_with(
        tmp_path,
        "trust:\n  file: missing.json\n  parties: {Afghanistan: AFX}\n"
        "  credibility:\n    QTR: {value: 1.5, source: analyst}\n",
    )
    with pytest.raises(CaseError) as exc:
        load_case(bad)
    codes = sorted(d.code or "" for d in exc.value.items)
    assert "invalid-value" in codes or any(
        "less than or equal" in d.message for d in exc.value.items
    )
    good_value = case_with(
        tmp_path,
        "trust:\n  file: missing.json\n  parties: {Afghanistan: AFX}\n"
        "  credibility:\n    QTR: {value: 0.5, source: analyst}\n",
    )
    with pytest.raises(CaseError) as exc:
        load_case(good_value)
    got = {(d.code, d.line) for d in exc.value.items}
    n = n_case()
    assert got == {
        ("bad-trust-file", n + 2),
        ("unknown-actor", n + 3),
        ("unknown-actor", n + 5),
    }


def test_a_promise_without_credibility_is_refused_with_its_line() -> None:
    with pytest.raises(UncertaintyError) as exc:
        apply_whatif(load_case(CASE), parse_whatif(PROMISE, "promise.yaml"))
    (d,) = exc.value.items
    assert (d.code, d.line) == ("no-credibility", 4)


def test_schema_knows_trust() -> None:
    schema = case_json_schema()
    assert "trust" in schema["properties"]
    assert any(b.get("type") == "number" for b in schema["$defs"]["Credibility"]["anyOf"])


def test_credibility_appears_in_the_brief_section(tmp_path: Path) -> None:
    from detente.compliance.brief import render_section, section_data
    from tests.compliance.test_brief_demo import _report

    case = load_case(
        case_with(tmp_path, "trust:\n  file: trust.json\n  parties: {Afghanistan: AFG}\n")
    )
    sec = section_data(_report(), None, case)
    (row,) = sec["credibility"]
    assert row["actor"] == "AFG" and row["value"] == pytest.approx(2 / 3)
    assert "trust.json" in row["basis"]
    html = render_section(sec)
    assert "Credibility of promises in this case" in html and "0.67" in html
    assert section_data(_report())["credibility"] == []


def test_a_loaded_case_written_back_loads_again(tmp_path: Path) -> None:
    from ruamel.yaml import YAML

    path = case_with(tmp_path, "trust:\n  file: trust.json\n  parties: {Afghanistan: AFG}\n")
    case = load_case(path)
    again = tmp_path / "again.yaml"
    with again.open("w", encoding="utf-8") as fh:
        YAML(typ="safe").dump(case.model_dump(mode="json", exclude_none=True), fh)
    assert load_case(again).trust == case.trust
    # A stated value that differs from the file's is a conflict, located.
    text = again.read_text(encoding="utf-8").replace("value: 0.666", "value: 0.5", 1)
    assert "value: 0.5" in text
    again.write_text(text, encoding="utf-8")
    with pytest.raises(CaseError) as exc:
        load_case(again)
    assert sorted(d.code or "" for d in exc.value.items) == [
        "duplicate-credibility",
        "missing-source",
    ]
