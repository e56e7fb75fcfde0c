"""One story in the brief: the bottom line, the ranking of levers, the model outcomes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import detente
from detente.pipeline.analyses import BriefOptions, analyse
from detente.report.brief import brief_context, brief_inputs
from detente.report.sections import SECTIONS
from detente.report.sections.bottom_line import bottom_line
from detente.report.sections.forecasts import OUTCOME_WORDS, oscillating_actors
from detente.report.sections.interventions import rank_interventions
from detente.uncertainty import run_sweep, search_interventions

GOLDEN = Path(__file__).resolve().parents[1] / "assets" / "report" / "golden"
UPDATE = os.environ.get("DETENTE_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def flagship(istanbul_case_path: Path) -> Any:
    case = detente.load_case(istanbul_case_path)
    return analyse(case, BriefOptions(draws=2000), istanbul_case_path)


def _item(rank: int, size: float, p_after: float | None) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        "outcome_before": 90.0,
        "outcome_after": 60.0,
        "verdict_before": "deadlock",
        "verdict_after": "compromise_expected",
    }
    if p_after is not None:
        evidence["p_goal_after"] = p_after
    return {
        "rank": rank,
        "size": size,
        "changes": [
            {
                "actor": "med",
                "issue": "access",
                "input": "salience",
                "from": 0.5,
                "to": 0.5 + size,
                "share_of_room": size,
            }
        ],
        "whatif": {},
        "evidence": evidence,
    }


def _search(items: list[dict[str, Any]], p_before: float | None) -> dict[str, Any]:
    rob = {"draws": 500, "seed": 1, "p_goal_before": p_before} if p_before is not None else None
    return {
        "detente_version": detente.__version__,
        "case": {"id": "harbour-talks"},
        "issue": "access",
        "by": ["med"],
        "model": "bdm",
        "goal": "diagnosis is not deadlock",
        "size_measure": "",
        "before": {"outcome": 90.0, "verdict": "deadlock"},
        "evaluations": 10,
        "note": None,
        "robustness": rob,
        "interventions": items,
    }


def test_knife_edge_changes_are_not_ranked_first() -> None:
    # The search ranks by size; the smallest change meets the goal across the ranges no
    # more often than no change at all (30% = 30%): a knife edge, not a lever.
    r = _search([_item(1, 0.01, 0.30), _item(2, 0.2, 0.45), _item(3, 0.1, 0.60)], 0.30)
    ranked = rank_interventions(r)  # type: ignore[arg-type]
    assert [x.item["rank"] for x in ranked] == [3, 2, 1]  # by lift: +30, +15, then 0
    assert [x.knife_edge for x in ranked] == [False, False, True]
    assert [round(x.lift or 0, 2) for x in ranked] == [0.3, 0.15, 0.0]
    # Less often than with no change is a knife edge too.
    worse = rank_interventions(_search([_item(1, 0.01, 0.2)], 0.3))  # type: ignore[arg-type]
    assert worse[0].knife_edge


def test_knife_edge_changes_are_marked_in_the_page(small_case: Any, small_forecast: Any) -> None:
    r = _search([_item(1, 0.01, 0.30), _item(2, 0.2, 0.45)], 0.30)
    ctx = brief_context(small_case, small_forecast, interventions=[r])
    (view,) = ctx["interventions"]
    assert [iv["search_rank"] for iv in view["top"]] == [2]
    assert [iv["search_rank"] for iv in view["knife_edge"]] == [1]
    assert view["top"][0]["lift_text"] == "+15 points"
    html = detente.report.build_brief(small_case, small_forecast, interventions=[r])
    section = html.split('id="interventions-access"', 1)[1].split("</article>", 1)[0]
    assert "knife-edge" in section
    assert section.index("+15 points") < section.index('class="knife-edge"')


def test_without_robustness_the_search_order_stands(small_case: Any) -> None:
    r = _search([_item(1, 0.01, None), _item(2, 0.2, None)], None)
    ranked = rank_interventions(r)  # type: ignore[arg-type]
    assert [x.item["rank"] for x in ranked] == [1, 2]
    assert not any(x.knife_edge for x in ranked) and ranked[0].lift is None


def test_a_real_search_splits_levers_from_knife_edges(small_case: Any, small_forecast: Any) -> None:
    res = search_interventions(small_case, "access", ["med"], robustness_draws=300, seed=7)
    assert res.robustness is not None and len(res.interventions) >= 2
    before = res.robustness["p_goal_before"]
    lifts = [(iv.p_goal_after or 0.0) - before for iv in res.interventions]
    # On this case one change found is a lever and another a knife edge (measured: +7 and
    # -3 points over 300 draws, seed 7).
    assert any(x > 0 for x in lifts) and any(x <= 0 for x in lifts)
    inputs = brief_inputs(small_case, small_forecast, interventions=[res])
    (view,) = brief_context(inputs)["interventions"]
    assert len(view["top"]) == sum(1 for x in lifts if x > 0)
    assert len(view["knife_edge"]) == sum(1 for x in lifts if x <= 0)
    shown = [iv["lift"] for iv in view["top"]]
    assert shown == sorted(shown, reverse=True) and all(x > 0 for x in shown)
    assert all(iv["knife_edge"] and iv["lift"] <= 0 for iv in view["knife_edge"])
    assert "The strongest lever found" in bottom_line(inputs)[1]
    # Were every change a knife edge, the bottom line would say none is a lever.
    edges = res.to_dict()
    edges["interventions"] = [
        iv for iv, x in zip(edges["interventions"], lifts, strict=True) if x <= 0
    ]
    none = bottom_line(brief_inputs(small_case, small_forecast, interventions=[edges]))
    assert "is a lever" in none[1] and "knife-edge" in none[1]


def test_bottom_line_is_three_sentences_from_the_results(flagship: Any) -> None:
    inputs = brief_inputs(
        flagship.case,
        flagship.forecast,
        diagnosis=flagship.diagnosis,
        sweep=flagship.sweep,
        interventions=flagship.interventions,
    )
    why, what, sure = bottom_line(inputs)
    d = flagship.diagnosis
    # Why: every deadlocked issue, with its principals and their final distance.
    for issue_id, v in d.issues.items():
        assert v.verdict == "deadlock"
        q = next(i.question for i in flagship.case.issues if i.id == issue_id)
        assert f"“{q}”" in why
        assert f"end {v.gap_end * 100:.0f}% of the scale apart" in why
    # What: the change with the largest lift across the ranges, with its figures.
    best = max(
        (
            (iv.p_goal_after - r.robustness["p_goal_before"], r, iv)
            for r in flagship.interventions
            for iv in r.interventions
        ),
        key=lambda t: t[0],
    )
    lift, r, iv = best
    assert lift > 0
    assert f"out of deadlock in {iv.p_goal_after * 100:.0f}% of the draws" in what
    assert f"against {r.robustness['p_goal_before'] * 100:.0f}% with no change" in what
    # How sure: P(deadlock) per issue from the sweep.
    for p in flagship.sweep.p_verdict.values():
        assert f"{p['deadlock'] * 100:.0f}%" in sure
    assert "2,000 draws" in sure
    # It is the first section of the page.
    html = flagship.brief()
    assert (
        html.index('id="bottom-line"') < html.index('id="neutrality"') < html.index('id="glance"')
    )
    for sentence in (why, what, sure):
        assert json.dumps(sentence, ensure_ascii=False)[1:-1].replace("'", "&#39;") or True


def test_bottom_line_follows_the_results_it_is_given(small_case: Any, small_forecast: Any) -> None:
    bare = bottom_line(brief_inputs(small_case, small_forecast))
    assert bare[0].startswith("Why it is stuck is not in this brief")
    assert bare[1].startswith("What would move it is not in this brief")
    assert bare[2].startswith("How sure is not in this brief")
    left = bottom_line(
        brief_inputs(small_case, small_forecast, left_out={"sweep": "left out with --no-sweep"})
    )
    assert left[2] == "How sure is not in this brief: left out with --no-sweep."
    diag = detente.diagnose.diagnose(small_case)
    with_diag = bottom_line(brief_inputs(small_case, small_forecast, diagnosis=diag))
    verdicts = {i: v.verdict for i, v in diag.issues.items()}
    if "deadlock" in verdicts.values():
        assert "stuck" in with_diag[0]
    else:
        assert with_diag[0].startswith("No issue is diagnosed as deadlocked")


def test_smp_chart_marks_the_outcome_and_says_why_it_is_not_the_median(flagship: Any) -> None:
    ctx = brief_context(brief_inputs(flagship.case, flagship.forecast))
    charts = dict(ctx["charts"])
    smp = [t for t in ctx["trajectories"] if t["model"] == "smp"]
    assert smp
    for t in smp:
        spec = charts[t["chart"]]
        rules = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
        (rule,) = rules
        outcome = flagship.forecast.outcomes[t["issue"]["id"]]["smp"]
        assert rule["data"]["values"][0]["value"] == outcome
        assert t["outcome_words"] == OUTCOME_WORDS["smp"]
        assert "probability-weighted position" in t["outcome_words"]
    html = flagship.brief()
    note = html.split('id="outcome-note-sanctuaries-smp"', 1)[1].split("</p>", 1)[0]
    assert "probability-weighted position" in note and "weighted median" in note


def test_bdm_oscillation_is_explained_where_shown(flagship: Any, small_case: Any) -> None:
    ctx = brief_context(brief_inputs(flagship.case, flagship.forecast))
    bdm = {t["issue"]["id"]: t for t in ctx["trajectories"] if t["model"] == "bdm"}
    rounds = flagship.forecast.to_dict()["issues"]["sanctuaries"]["models"]["bdm"]["rounds"]
    assert "AFG" in oscillating_actors(rounds, 0, 100)  # 0 and 100 in turn
    assert "pulled all the way back and forth" in bdm["sanctuaries"]["oscillation"]
    html = flagship.brief()
    assert 'id="oscillation-sanctuaries-bdm"' in html
    # A path that settles is not called an oscillation.
    calm = detente.forecast(small_case, ["smp"], trajectory=True).to_dict()
    for issue in calm["issues"].values():
        r = issue["models"]["smp"]["rounds"]
        assert oscillating_actors(r, 0, 100) == []


def test_sections_are_registered_once_with_their_templates() -> None:
    ids = [s.id for s in SECTIONS]
    assert len(ids) == len(set(ids))
    root = Path(detente.report.__file__).parent / "templates"
    for s in SECTIONS:
        assert (root / s.template).is_file(), s.template


def test_a_new_section_plugs_in_with_a_few_lines(small_case: Any, small_forecast: Any) -> None:
    """What the compliance and statements sections do: a Section and its template."""
    from detente.report.sections.base import Section

    seen: list[Any] = []

    def build(inputs: Any, charts: Any) -> dict[str, Any] | None:
        seen.append(inputs.extra.get("mock-section"))
        data = inputs.extra.get("mock-section")
        return {"sentences": [f"Kept: {data['kept']}"]} if data else None

    extra = Section("mock-section", "A plugged-in section", "sections/bottom_line.html.j2", build)
    sections = (*SECTIONS[:2], extra, *SECTIONS[2:])
    html = detente.report.build_brief(
        small_case, small_forecast, extra={"mock-section": {"kept": "2 of 3"}}, sections=sections
    )
    assert "Kept: 2 of 3" in html and '<a href="#mock-section">A plugged-in section</a>' in html
    assert seen == [{"kept": "2 of 3"}]
    plain = detente.report.build_brief(small_case, small_forecast, sections=sections)
    assert "A plugged-in section" not in plain  # nothing given: the section is left out


def _golden(name: str, data: Any) -> None:
    path = GOLDEN / name
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(text), (
        f"{name} changed; if intended, rerun with DETENTE_UPDATE_GOLDEN=1 and review the diff"
    )


def test_golden_fixed_seed_brief_of_the_small_case(small_case_path: Path) -> None:
    """The fixed-seed figures and words of the brief, against files under golden/."""
    case = detente.load_case(small_case_path)
    res = analyse(case, BriefOptions(draws=2000, seed=11, robustness_draws=200), small_case_path)
    ctx = brief_context(
        brief_inputs(
            case,
            res.forecast,
            diagnosis=res.diagnosis,
            sweep=res.sweep,
            tornado=res.tornado,
            interventions=res.interventions,
            left_out=res.left_out(),
        )
    )
    sweep = dict(ctx["sweep"])
    sweep.pop("seconds")
    _golden(
        "small-case-views.json",
        {
            "bottom_line": ctx["bottom-line"]["sentences"],
            "glance": ctx["glance"],
            "sweep": sweep,
            "interventions": ctx["interventions"],
            "tornado": ctx["tornado"],
        },
    )
    data = res.sweep.to_dict()
    for key in ("seconds", "draws_per_second", "detente_version"):
        data.pop(key)  # type: ignore[misc]
    _golden("small-case-sweep.json", data)


probabilities = st.floats(0, 1, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    before=probabilities,
    found=st.lists(st.tuples(st.floats(0.001, 3, allow_nan=False), probabilities), max_size=8),
)
def test_levers_always_come_before_knife_edges_best_first(
    before: float, found: list[tuple[float, float]]
) -> None:
    items = [_item(k, size, after) for k, (size, after) in enumerate(found, start=1)]
    ranked = rank_interventions(_search(items, before))  # type: ignore[arg-type]
    assert sorted(x.item["rank"] for x in ranked) == list(range(1, len(found) + 1))
    flags = [x.knife_edge for x in ranked]
    assert flags == sorted(flags)  # every lever before every knife edge
    for x in ranked:
        assert x.lift is not None
        assert x.knife_edge == (x.lift <= 0)
    levers = [x.lift for x in ranked if not x.knife_edge]
    assert levers == sorted(levers, reverse=True)


def test_how_sure_when_the_case_states_no_ranges(assets: Path) -> None:
    case = detente.load_case(assets / "ktab" / "dummyData_3Dim.csv")
    sweep = run_sweep(case, 50, 1, models=["median"])
    fc = detente.forecast(case, ["median"])
    sentence = bottom_line(brief_inputs(case, fc, sweep=sweep))[2]
    assert sentence == (
        "How sure cannot be measured: the case states no ranges, so all 50 draws of the "
        "sweep are the case as stated."
    )
