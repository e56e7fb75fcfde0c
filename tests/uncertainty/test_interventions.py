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


# ---- robustness across the case's ranges ----------------------------------------------

ROBUST_CASE = """
detente: 1
case: {id: robust, title: Robustness, require_sources: false}
actors:
  - {id: A, name: A, capability: 1}
  - {id: B, name: B, capability: 1}
issues:
  - {id: x, question: Where?}
positions:
  - {actor: A, issue: x, position: {value: 20, range: [15, 25]}, salience: 0.5}
  - {actor: B, issue: x, position: {value: 40, range: [35, 45]}, salience: 0.5}
"""


def _robust_case(tmp_path):  # type: ignore[no-untyped-def]
    from detente.case.loader import load_case

    path = tmp_path / "robust.yaml"
    path.write_text(ROBUST_CASE, encoding="utf-8")
    return load_case(path)


def test_robustness_of_a_planted_change(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # compromise = (x_A + x_B) / 2 with x_A ~ PERT(15, 20, 25), symmetric about 20. At the
    # stated values the smallest change that brings the outcome within 3 of 40 is B at 54
    # ((20 + 54) / 2 = 37); across the range of x_A it works only when x_A >= 20, in about
    # half the draws. Before any change the outcome stays within 30 +- 5: never.
    case = _robust_case(tmp_path)
    r = search_interventions(
        case,
        "x",
        ["B"],
        model="compromise",
        target=40.0,
        tolerance=3.0,
        kinds=["position"],
        robustness_draws=2000,
        seed=3,
    )
    assert r.robustness is not None and r.robustness["p_goal_before"] == 0.0
    best = r.interventions[0]
    ((lever, to),) = best.changes
    assert lever.kind == "position" and to == pytest.approx(54.0, abs=1e-3)
    assert best.p_goal_after == pytest.approx(0.5, abs=0.05)
    d = r.to_dict()
    assert d["robustness"]["draws"] == 2000
    assert d["interventions"][0]["evidence"]["p_goal_after"] == best.p_goal_after


def test_a_robust_change_meets_the_goal_in_every_draw(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from detente.case.arrays import case_arrays
    from detente.forecast.registry import ModelInput
    from detente.uncertainty.interventions import Intervention, _Goal, _levers, _robustness

    case = _robust_case(tmp_path)
    levers = _levers(case, "x", ["B"], ["position"])
    goal = _Goal(ModelInput.from_arrays(case_arrays(case)), levers, "compromise", {}, 0, 40.0, 3.0)
    cur = np.array([lv.current for lv in levers])
    far = Intervention(((levers[0], 59.5),), 0.195, 30.0, 39.75, None, None)
    (iv,), rob = _robustness(goal, case, [far], cur, 1000, 1)
    assert rob["p_goal_before"] == 0.0 and iv.p_goal_after == 1.0


def test_robustness_is_deterministic_and_uses_common_draws(tmp_path) -> None:  # type: ignore[no-untyped-def]
    case = _robust_case(tmp_path)
    kw = dict(model="compromise", target=40.0, tolerance=3.0, robustness_draws=300, seed=11)
    a = search_interventions(case, "x", ["B"], **kw).to_dict()  # type: ignore[arg-type]
    b = search_interventions(case, "x", ["B"], **kw).to_dict()  # type: ignore[arg-type]
    assert a == b


def test_a_change_to_the_current_value_has_the_before_share(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from detente.case.arrays import case_arrays
    from detente.forecast.registry import ModelInput
    from detente.uncertainty.interventions import Intervention, _Goal, _levers, _robustness

    # B's salience has no range, so holding it at its stated value changes no draw; a
    # lever with a range held at a value would also remove that input's uncertainty.
    case = _robust_case(tmp_path)
    levers = _levers(case, "x", ["B"], ["salience"])
    goal = _Goal(ModelInput.from_arrays(case_arrays(case)), levers, "compromise", {}, 0, 31.0, 2.0)
    cur = np.array([lv.current for lv in levers])
    same = Intervention(((levers[0], levers[0].current),), 0.0, 30.0, 30.0, None, None)
    (iv,), rob = _robustness(goal, case, [same], cur, 500, 5)
    assert 0.0 < rob["p_goal_before"] < 1.0
    assert iv.p_goal_after == rob["p_goal_before"]


def test_robustness_without_ranges_says_so(load) -> None:
    r = search_interventions(
        load("planted.yaml"),
        "x",
        ["B"],
        model="compromise",
        target=40.0,
        tolerance=0.5,
        robustness_draws=100,
    )
    assert r.robustness is not None and "no ranges" in r.robustness["note"]
    assert r.interventions[0].p_goal_after is None
