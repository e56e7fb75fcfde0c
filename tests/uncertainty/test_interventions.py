"""Intervention search finds a planted minimal change."""

from __future__ import annotations

import pytest

from detente.uncertainty.errors import UncertaintyError
from detente.uncertainty.interventions import search_interventions


def test_finds_planted_minimal_change(load) -> None:
    r = search_interventions(
        load("planted.yaml"), "x", ["B"], model="compromise", target=40.0, tolerance=0.5
    )
    best = r.interventions[0]
    ((lever, to),) = best.changes
    assert (lever.actor, lever.kind) == ("B", "position")
    assert to == pytest.approx(59.0, abs=1e-3)
    assert best.size == pytest.approx(0.19, abs=1e-4)
    assert best.outcome_after == pytest.approx(39.5, abs=1e-3)
    # ranked by size
    sizes = [iv.size for iv in r.interventions]
    assert sizes == sorted(sizes)
    d = r.to_dict()
    assert d["interventions"][0]["changes"][0]["from"] == 40.0


def test_goal_already_met_changes_nothing(load) -> None:
    r = search_interventions(
        load("planted.yaml"), "x", ["B"], model="compromise", target=30.0, tolerance=0.5
    )
    assert r.interventions == [] and "already met" in (r.note or "")


def test_unreachable_goal_says_so(load) -> None:
    r = search_interventions(
        load("planted.yaml"),
        "x",
        ["B"],
        model="compromise",
        target=90.0,
        tolerance=0.5,
        kinds=["salience", "capability"],
    )
    assert r.interventions == [] and r.note


def test_unknown_actor_and_issue(load) -> None:
    with pytest.raises(UncertaintyError) as err:
        search_interventions(load("planted.yaml"), "x", ["Z"], model="compromise", target=1)
    assert err.value.items[0].code == "unknown-actor"
    with pytest.raises(UncertaintyError) as err:
        search_interventions(load("planted.yaml"), "y", ["B"], model="compromise", target=1)
    assert err.value.items[0].code == "unknown-issue"
