"""What-if files: parsing, located errors, and before/after forecasts."""

from __future__ import annotations

from pathlib import Path

import pytest

from detente.case.arrays import case_arrays
from detente.uncertainty.errors import UncertaintyError
from detente.uncertainty.whatif import apply_whatif, load_whatif, parse_whatif, run_whatif

MODELS = ["compromise", "median", "nash"]


def test_whatif_that_changes_nothing_changes_nothing(istanbul, unc_assets: Path) -> None:
    wf = load_whatif(unc_assets / "whatif-nothing.yaml")
    before, after = case_arrays(istanbul), case_arrays(apply_whatif(istanbul, wf))
    for name in (
        "position",
        "salience",
        "capability",
        "position_low",
        "position_high",
        "capability_low",
        "capability_high",
        "salience_low",
        "salience_high",
    ):
        assert (getattr(before, name) == getattr(after, name)).all(), name
    r = run_whatif(istanbul, wf, MODELS).to_dict()
    for issue in r["issues"].values():
        for m in MODELS:
            e = issue["models"][m]
            assert e["before"] == e["after"] and e["change"] == 0.0


def test_examples_change_the_forecast(istanbul, repo: Path) -> None:
    for f in sorted((repo / "examples" / "istanbul-2025").glob("whatif-*.yaml")):
        r = run_whatif(istanbul, load_whatif(f), MODELS).to_dict()
        changes = [e["change"] for i in r["issues"].values() for e in i["models"].values()]
        assert any(abs(c) > 0.1 for c in changes if c is not None), f.name


def test_each_change_kind(istanbul) -> None:
    text = """
changes:
  - move: {actor: TUR, issue: guarantee, by: 10}
  - salience: {actor: QAT, issue: guarantee, to: 0.9}
  - capability: {actor: PAK, issue: sanctuaries, to: 0.2}
  - remove_actor: {actor: TTP}
  - add_actor:
      id: NEW
      name: New
      capability: 0.3
      positions: [{issue: guarantee, position: 77, salience: 0.4}]
  - commit: {actor: AFG, issue: guarantee, to: 40}
"""
    after = apply_whatif(istanbul, parse_whatif(text, "w.yaml"))
    arr = case_arrays(after)
    a = {x: k for k, x in enumerate(arr.actor_ids)}
    g, s = arr.issue_ids.index("guarantee"), arr.issue_ids.index("sanctuaries")
    assert "TTP" not in a and "NEW" in a
    assert arr.position[a["TUR"], g] == 80.0
    assert (arr.position_low[a["TUR"], g], arr.position_high[a["TUR"], g]) == (60.0, 95.0)
    assert arr.salience[a["QAT"], g] == 0.9
    assert arr.capability[a["PAK"], s] == 0.2 and arr.capability[a["PAK"], g] == 0.4
    assert arr.position[a["NEW"], g] == 77.0 and arr.salience[a["NEW"], g] == 0.4
    assert arr.position[a["AFG"], g] == 40.0 and arr.salience[a["AFG"], g] == 1.0
    assert arr.position_low[a["AFG"], g] == arr.position_high[a["AFG"], g] == 40.0


def test_unknown_actor_is_located(istanbul, unc_assets: Path) -> None:
    wf = load_whatif(unc_assets / "whatif-unknown-actor.yaml")
    with pytest.raises(UncertaintyError) as err:
        apply_whatif(istanbul, wf)
    (d,) = err.value.items
    assert d.code == "unknown-actor" and d.line == 5 and d.column == 23
    assert d.file is not None and d.file.endswith("whatif-unknown-actor.yaml")
    assert "QAT" in (d.expected or "") and "did you mean" in (d.hint or "")


def test_bad_fields_are_all_reported(unc_assets: Path) -> None:
    with pytest.raises(UncertaintyError) as err:
        load_whatif(unc_assets / "whatif-bad-field.yaml")
    codes = [(d.code, d.line) for d in err.value.items]
    assert ("invalid-value", 4) in codes and ("unknown-change", 5) in codes


def test_malformed_yaml_and_missing_changes() -> None:
    with pytest.raises(UncertaintyError) as err:
        parse_whatif("changes: [\n", "x.yaml")
    assert err.value.items[0].code == "bad-yaml" and err.value.items[0].line is not None
    with pytest.raises(UncertaintyError, match="problem"):
        parse_whatif("name: x\n", "x.yaml")
