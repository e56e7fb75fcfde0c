"""Every malformed case file gets its own clear, located error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from detente.case.loader import parse_case_text, validate_case_text
from detente.errors import CaseError

BAD = sorted((Path(__file__).parents[1] / "assets" / "case" / "bad").glob("*.yaml"))


def _expectation(path: Path) -> tuple[str, int]:
    m = re.match(r"# expect: (\S+) (\d+)", path.read_text(encoding="utf-8").splitlines()[0])
    assert m, f"{path.name} lacks an '# expect: CODE LINE' header"
    return m.group(1), int(m.group(2))


def test_there_are_at_least_twenty_malformed_files() -> None:
    assert len(BAD) >= 20
    codes = {_expectation(p)[0] for p in BAD}
    assert len(codes) >= 15  # the files exercise different problems, not one twenty times


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_malformed_file_reports_its_error_at_its_line(path: Path) -> None:
    code, line = _expectation(path)
    case, diags = validate_case_text(path.read_text(encoding="utf-8"), str(path))
    assert case is None
    errors = [d for d in diags if d.severity == "error"]
    assert errors, "no error reported"
    hits = [d for d in errors if d.code == code]
    assert hits, f"expected {code}, got {[(d.code, d.line, d.message) for d in errors]}"
    assert hits[0].line == line
    assert hits[0].column is not None
    assert hits[0].file == str(path)
    # every error explains itself: a message, and an expectation or a hint
    for d in errors:
        assert d.message
        assert d.expected or d.hint or d.code == "yaml-syntax"
    # no consequential noise: the file's problem is the only kind of error reported
    assert {d.code for d in errors} <= {code, "missing-field"}


def test_all_problems_reported_at_once() -> None:
    text = """
case: {id: c, title: t, require_sources: false}
actors:
  - {id: A, name: Alpha, capability: 1}
  - {id: A, name: Again, capability: 1}
issues:
  - {id: x, question: q}
positions:
  - {actor: A, issue: x, position: 20, salience: 0.5}
  - {actor: B, issue: x, position: 150, salience: 0.5}
  - {actor: A, issue: y, position: 20, salience: 0.5}
"""
    case, diags = validate_case_text(text, "multi.yaml")
    assert case is None
    codes = sorted(d.code for d in diags if d.severity == "error")
    assert codes == ["duplicate-id", "out-of-scale", "unknown-actor", "unknown-issue"]
    lines = [d.line for d in diags if d.severity == "error"]
    assert lines == sorted(lines)


def test_parse_raises_case_error_with_every_diagnostic() -> None:
    with pytest.raises(CaseError) as info:
        parse_case_text("case: {id: c, title: t}\nactors: []\nissues: []\n", "x.yaml")
    assert "positions" in info.value.diagnostics()
    assert "x.yaml:" in info.value.diagnostics()


def test_did_you_mean_hint_for_misspelt_ids() -> None:
    text = """
case: {id: c, title: t, require_sources: false}
actors: [{id: Pakistan, name: P, capability: 1}]
issues: [{id: x, question: q}]
positions: [{actor: Pakistn, issue: x, position: 1, salience: 0.5}]
"""
    _, diags = validate_case_text(text, "typo.yaml")
    assert any(d.hint == "did you mean 'Pakistan'?" for d in diags)
