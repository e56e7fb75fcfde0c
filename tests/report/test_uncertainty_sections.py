"""The brief's uncertainty sections against the library results they show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from detente.report import build_brief
from detente.report.brief import brief_context
from detente.uncertainty import run_sweep, search_interventions, tornado
from tests.report.test_brief import parse, squash

SEED = 7
DRAWS = 1000


@pytest.fixture(scope="module")
def sweep(small_case: Any) -> Any:
    return run_sweep(small_case, DRAWS, SEED, workers=1)


@pytest.fixture(scope="module")
def torn(small_case: Any) -> Any:
    return tornado(small_case, ["bdm", "median"])


@pytest.fixture(scope="module")
def searches(small_case: Any) -> list[Any]:
    return [search_interventions(small_case, i.id, ["med"]) for i in small_case.issues]


def _roundtrip(data: Any) -> Any:
    return json.loads(json.dumps(data))


def _pct(p: float) -> str:
    """Independent of the brief's own formatting: whole percent, rare events kept visible."""
    if 0 < p < 0.005:
        return "<1%"
    return f"{round(p * 100)}%"


def test_sweep_section_shows_the_library_numbers(
    small_case: Any, small_forecast: Any, sweep: Any
) -> None:
    data = sweep.to_dict()
    html = build_brief(small_case, small_forecast, sweep=sweep)
    doc = parse(html)
    meta = squash(doc.text_by_id["sweep-meta"])
    assert f"{DRAWS:,} draws" in meta and f"seed {SEED}" in meta and "engine local" in meta
    assert "models compromise, median, nash, bdm" in meta
    for issue_id, d in data["issues"].items():
        text = squash(doc.text_by_id[f"sweep-{issue_id}"])
        for model, m in d["models"].items():
            iv = m["intervals"]
            row = " ".join(
                [
                    model,
                    f"{m['median']:.4g}",
                    *(f"{iv[k][0]:.4g}–{iv[k][1]:.4g}" for k in ("50", "80", "95")),
                    f"{m['mean']:.4g}",
                ]
            )
            assert row in text, (row, text)
        # P(verdict) in words, in the order the sweep gives them.
        p = d["p_verdict"]
        sentence = squash(doc.text_by_id[f"p-verdict-{issue_id}"])
        assert sentence.startswith(f"Deadlock in {_pct(p['deadlock'])} of {DRAWS:,} draws;")
        assert f"agreement likely in {_pct(p['agreement_likely'])}" in sentence
        assert f"compromise expected in {_pct(p['compromise_expected'])}" in sentence
    # The glance table gains P(deadlock), linked to the issue's sweep.
    glance = squash(doc.text_by_id["glance"])
    assert "P(deadlock) over 1,000 draws" in glance
    assert _pct(data["issues"]["access"]["p_verdict"]["deadlock"]) in glance
    # The data twin carries the sweep exactly.
    assert json.loads(doc.scripts["detente-data"])["sweep"] == _roundtrip(data)
    # A result object and its to_dict() give the same page.
    assert build_brief(small_case, small_forecast, sweep=data) == html


def test_interval_and_verdict_charts_carry_the_numbers(
    small_case: Any, small_forecast: Any, sweep: Any
) -> None:
    data = sweep.to_dict()
    ctx = brief_context(small_case, small_forecast, sweep=sweep)
    specs = dict(ctx["charts"])
    for view in ctx["sweep"]["issues"]:
        d = data["issues"][view["issue_id"]]
        spec = specs[view["chart"]]
        rows = {r["model"]: r for r in spec["data"]["values"]}
        assert list(rows) == data["models"]
        for model, r in rows.items():
            m = d["models"][model]
            assert r["median"] == m["median"]
            for k in ("50", "80", "95"):
                assert [r[f"lo{k}"], r[f"hi{k}"]] == m["intervals"][k]
        fields = [
            (layer["encoding"]["x"]["field"], layer["encoding"].get("x2"))
            for layer in spec["layer"][:4]
        ]
        assert fields == [
            ("lo95", {"field": "hi95"}),
            ("lo80", {"field": "hi80"}),
            ("lo50", {"field": "hi50"}),
            ("median", None),
        ]
        assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0.0, 100.0]
        status_quo = [
            layer
            for layer in spec["layer"]
            if layer.get("data", {}).get("values", [{}])[0].get("label") == "Status quo"
        ]
        issue = next(i for i in small_case.issues if i.id == view["issue_id"])
        assert status_quo[0]["data"]["values"][0]["value"] == issue.status_quo.value
        bars = specs[view["verdict_chart"]]["data"]["values"]
        assert {b["verdict"]: b["p"] for b in bars} == {
            k.replace("_", " "): v for k, v in d["p_verdict"].items()
        }


def test_tornado_section_ranks_by_swing(small_case: Any, small_forecast: Any, torn: Any) -> None:
    data = torn.to_dict()
    ctx = brief_context(small_case, small_forecast, tornado=torn)
    doc = parse(build_brief(small_case, small_forecast, tornado=torn))
    views = {(t["issue_id"], t["model"]): t for t in ctx["tornado"]}
    assert set(views) == {(i, m) for i in ("access", "guarantee") for m in ("bdm", "median")}
    for (issue_id, model), view in views.items():
        bars = data["issues"][issue_id]["models"][model]["bars"]
        moving = [b for b in bars if b["swing"] > 0]
        assert [r["input"] for r in view["rows"]] == [b["input"] for b in moving[:10]]
        swings = [r["swing"] for r in view["rows"]]
        assert swings == sorted(swings, reverse=True)
        assert view["n_still"] == len(bars) - len(moving)
    # Access under bdm: Northland's position is the one input that moves it.
    top = data["issues"]["access"]["models"]["bdm"]["bars"][0]
    assert top["input"] == "position:north:access"
    text = squash(doc.text_by_id["tornado-access-bdm"])
    assert "as stated: " + f"{data['issues']['access']['models']['bdm']['base']:.4g}" in text
    row = (
        f"1 Position — Northland position:north:access 80–100 "
        f"{top['outcome_low']:.4g} {top['outcome_high']:.4g} "
        f"{top['swing']:.4g} "
        f"{top['verdict_low'].replace('_', ' ')} / {top['verdict_high'].replace('_', ' ')}"
    )
    assert row in text, text
    spec = dict(ctx["charts"])[views[("access", "bdm")]["chart"]]
    ends = {(p["label"], p["end"]): p["to"] for p in spec["data"]["values"]}
    assert ends[("Position — Northland", "low end")] == top["outcome_low"]
    assert ends[("Position — Northland", "high end")] == top["outcome_high"]
    # An outcome no single input moves says so instead of drawing an empty chart.
    assert all(b["swing"] == 0 for b in data["issues"]["guarantee"]["models"]["bdm"]["bars"])
    assert views[("guarantee", "bdm")]["chart"] is None
    assert "No input moves this outcome on its own." in squash(
        doc.text_by_id["tornado-guarantee-bdm"]
    )
    assert json.loads(doc.scripts["detente-data"])["tornado"] == _roundtrip(data)


def test_interventions_section_in_words_with_evidence(
    small_case: Any, small_forecast: Any, searches: list[Any]
) -> None:
    access, guarantee = searches
    assert access.interventions and not guarantee.interventions
    doc = parse(build_brief(small_case, small_forecast, interventions=searches))
    text = squash(doc.text_by_id["interventions-access"])
    assert "What could Mediator State change to take this issue out of deadlock?" in text
    assert f"As stated: bdm outcome {access.before_outcome:.4g}, verdict deadlock." in text
    for iv in access.to_dict()["interventions"][:5]:
        for ch in iv["changes"]:
            assert f"from {ch['from']:.4g} to {ch['to']:.4g}" in text
        ev = iv["evidence"]
        expected = (
            f"Evidence: verdict deadlock → {ev['verdict_after'].replace('_', ' ')}; "
            f"bdm outcome {ev['outcome_before']:.4g} → {ev['outcome_after']:.4g}."
        )
        assert expected in text
    first = access.interventions[0].changes[0]
    lever, value = first
    if lever.kind == "salience":
        assert (
            f"Mediator State {'raises' if value > lever.current else 'lowers'} the weight it "
            f"gives this issue (salience) from {lever.current:.4g} to {value:.4g}" in text
        )
    # Ranked by size.
    sizes = [iv.size for iv in access.interventions]
    assert sizes == sorted(sizes)
    assert "Not in deadlock at the stated values: nothing to change." in squash(
        doc.text_by_id["interventions-guarantee"]
    )
    data = json.loads(doc.scripts["detente-data"])
    assert data["interventions"] == _roundtrip([s.to_dict() for s in searches])
    # Result objects and their to_dict() data give the same section.
    as_data = parse(build_brief(small_case, small_forecast, interventions=[access.to_dict()]))
    assert squash(as_data.text_by_id["interventions-access"]) == text


def test_interventions_none_found_is_said_plainly(small_case: Any, small_forecast: Any) -> None:
    # The guild's position cannot bring the median to -50, outside the scale.
    res = search_interventions(
        small_case, "access", ["guild"], model="median", target=-50, tolerance=0.1
    )
    assert res.interventions == [] and res.note
    doc = parse(build_brief(small_case, small_forecast, interventions=[res]))
    text = squash(doc.text_by_id["interventions-access"])
    assert "None found." in text
    assert "No change to Harbour Pilots' Guild's levers on this issue" in text
    assert res.note in text
    err = {"issue": "guarantee", "by": ["guild"], "error": "none of guild has a position"}
    doc = parse(build_brief(small_case, small_forecast, interventions=[err]))
    assert "Not searched: none of guild has a position" in squash(
        doc.text_by_id["interventions-guarantee"]
    )


HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def test_uncertainty_text_stays_escaped(
    small_case_path: Path, case_with: Any, small_forecast: Any
) -> None:
    case = case_with(
        small_case_path,
        **{
            "name: Mediator State": f"name: {json.dumps('Med ' + HOSTILE)}",
            "name: Northland": f"name: {json.dumps('North ' + HOSTILE)}",
            "question: How open is harbour access for the other side's ships?": (
                f"question: {json.dumps('Access? ' + HOSTILE)}"
            ),
        },
    )
    sweep = run_sweep(case, 200, 1, workers=1)
    torn = tornado(case, ["bdm"])
    found = search_interventions(case, "access", ["med"])
    html = build_brief(case, small_forecast, sweep=sweep, tornado=torn, interventions=[found])
    assert "<script>alert" not in html and "<img src=x" not in html
    doc = parse(html)
    assert not [t for t, _ in doc.tags if t == "img"]
    assert f"Med {HOSTILE}" in squash(doc.text_by_id["interventions-access"])
    assert f"Position — North {HOSTILE}" in squash(doc.text_by_id["tornado-access-bdm"])
    assert f"Access? {HOSTILE}" in squash(doc.text_by_id["sweep-access"])
    # In the charts the text is data (JSON-escaped in the page), never markup or code.
    ctx = brief_context(case, small_forecast, sweep=sweep, tornado=torn, interventions=[found])
    specs = dict(ctx["charts"])
    labels = {p["label"] for p in specs[ctx["tornado"][0]["chart"]]["data"]["values"]}
    assert f"Position — North {HOSTILE}" in labels
    title = specs[ctx["sweep"]["issues"][0]["chart"]]["title"]["text"]
    assert " ".join(title) == f"Access? {HOSTILE}"  # wrapped onto lines, never cut


def test_interventions_show_their_robustness_across_the_ranges(
    small_case: Any, small_forecast: Any
) -> None:
    res = search_interventions(small_case, "access", ["med"], robustness_draws=300, seed=SEED)
    assert res.robustness is not None and res.interventions
    doc = parse(build_brief(small_case, small_forecast, interventions=[res]))
    text = squash(doc.text_by_id["interventions-access"])
    before = res.robustness["p_goal_before"]
    assert (
        f"Tested across the case's stated ranges (300 draws, seed {SEED}): with no change "
        f"the goal is met in {_pct(before)} of the draws." in text
    )
    for iv in res.interventions:
        assert iv.p_goal_after is not None
        assert (
            f"across the ranges the goal is met in {_pct(iv.p_goal_after)} of the draws, "
            f"against {_pct(before)} with no change" in text
        )
