"""The brief in a real headless chromium, offline: charts render, nothing is fetched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import detente
from detente.pipeline.demo import run_demo
from detente.report import build_brief
from detente.report.brief import brief_context
from detente.uncertainty import run_sweep, search_interventions, tornado

pytestmark = pytest.mark.browser


def _with_rounds(forecast: Any) -> dict[str, Any]:
    """Forecast JSON with a two-round trajectory on one issue (the shape iterative models give)."""
    data: dict[str, Any] = json.loads(json.dumps(forecast.to_dict()))
    data["issues"]["access"]["models"]["median"]["rounds"] = [
        {
            "round": 0,
            "median": 50.0,
            "mean": 55.0,
            "positions": {"north": 90.0, "south": 20.0, "med": 50.0, "guild": 70.0},
        },
        {
            "round": 1,
            "median": 60.0,
            "mean": 58.0,
            "positions": {"north": 80.0, "south": 35.0, "med": 55.0, "guild": 65.0},
        },
    ]
    return data


def _assert_clean(opened: Any) -> None:
    assert opened.blocked == [], f"the page tried to fetch: {opened.blocked}"
    assert opened.console_errors == [], opened.console_errors
    assert opened.page_errors == [], opened.page_errors
    assert opened.dialogs == [], opened.dialogs


def test_every_chart_renders_offline(
    open_offline: Any,
    small_case: Any,
    small_forecast: Any,
    sample_diagnosis: Any,
    sample_guarantee: Any,
    tmp_path: Path,
) -> None:
    html = build_brief(
        small_case,
        _with_rounds(small_forecast),
        diagnosis=sample_diagnosis(),
        guarantees=[sample_guarantee(True)],
    )
    path = tmp_path / "brief.html"
    path.write_text(html, encoding="utf-8")
    opened = open_offline(path)
    page = opened.page
    state = page.evaluate("window.detenteCharts")
    # 2 issues x (actors + forecast) + 1 trajectory + 1 quad map
    assert state["total"] == 6 and state["ok"] == 6 and state["failed"] == 0, state
    charts = page.locator("[data-chart]")
    assert charts.count() == 6
    for k in range(6):
        chart = charts.nth(k)
        assert chart.get_attribute("data-rendered") == "ok"
        assert chart.locator("svg.marks").count() == 1
        box = chart.locator("svg.marks").bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
    # The actors chart of the first issue draws one symbol per actor with a position.
    first = page.locator("#issue-access .chart")
    assert first.locator("g.mark-symbol.role-mark path").count() == 4
    labels = first.locator("g.role-axis-label text").all_text_contents()
    names = [n for n in labels if not n.replace(".", "").isdigit()]  # drop the x-axis ticks
    # (a name longer than a line wraps: its two lines read as one text here)
    assert sorted(names) == ["Harbour Pilots'Guild", "Mediator State", "Northland", "Southland"]
    # The forecast chart labels each model's outcome (its nearest anchor is in the table).
    forecast = page.locator("#forecast-access .chart")
    assert "65.33" in forecast.locator("g.mark-text.role-mark text").all_text_contents()
    # The trajectory chart draws a line per actor plus median and mean, and the outcome.
    rounds = page.locator("#rounds-access-median .chart")
    assert rounds.locator("g.mark-line.role-mark path").count() == 6
    assert rounds.locator("g.mark-rule.role-mark line").count() == 1
    # The quad map plots each pair.
    quad = page.locator("#diagnosis-access .chart")
    assert quad.locator("g.mark-symbol.role-mark path").count() == 3
    _assert_clean(opened)
    shot = tmp_path / "brief.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_uncertainty_charts_render_offline(
    open_offline: Any, small_case: Any, small_forecast: Any, tmp_path: Path
) -> None:
    sweep = run_sweep(small_case, 1000, 7, workers=1)
    torn = tornado(small_case, ["bdm", "median"])
    searches = [search_interventions(small_case, i.id, ["med"]) for i in small_case.issues]
    ctx = brief_context(
        small_case, small_forecast, sweep=sweep, tornado=torn, interventions=searches
    )
    path = tmp_path / "brief.html"
    path.write_text(
        build_brief(small_case, small_forecast, sweep=sweep, tornado=torn, interventions=searches),
        encoding="utf-8",
    )
    opened = open_offline(path)
    page = opened.page
    state = page.evaluate("window.detenteCharts")
    # 2 issues x (actors + forecast + verdict shares + intervals) + tornado of access for
    # bdm and median (no single input moves either model's outcome on the guarantee).
    assert state["total"] == 10 and state["ok"] == 10 and state["failed"] == 0, state
    for k in range(state["total"]):
        chart = page.locator("[data-chart]").nth(k)
        assert chart.get_attribute("data-rendered") == "ok"
        box = chart.locator("svg.marks").bounding_box()
        assert box is not None and box["width"] > 250 and box["height"] > 80
    first = ctx["sweep"]["issues"][0]
    # Verdict shares: one bar per verdict, labelled with its share.
    verdicts = page.locator(f"#{first['verdict_chart']}")
    assert verdicts.locator("g.mark-rect.role-mark path").count() == 3
    labels = verdicts.locator("g.mark-text.role-mark text").all_text_contents()
    assert labels == [v["p_text"] for v in first["verdicts"]]
    assert sweep.p_verdict is not None
    assert f"{round(sweep.p_verdict['access']['deadlock'] * 100)}%" in labels
    # Intervals: a median dot per model, and three interval rules per model.
    intervals = page.locator(f"#{first['chart']}")
    assert intervals.locator("g.mark-symbol.role-mark path").count() == 4
    assert intervals.locator("g.mark-rule.role-mark line").count() >= 3 * 4
    names = intervals.locator("g.role-axis-label text").all_text_contents()
    assert [n for n in names if n.isalpha()] == ["compromise", "median", "nash", "bdm"]
    # Tornado: a bar for each end of the one input that moves the access outcome.
    access_bdm = ctx["tornado"][0]
    bars = page.locator(f"#{access_bdm['chart']}").locator("g.mark-rect.role-mark path")
    assert bars.count() == 2
    axis = page.locator(f"#{access_bdm['chart']}").locator("g.role-axis-label text")
    assert "Position — Northland" in axis.all_text_contents()
    _assert_clean(opened)
    for section in ("sweep", "tornado", "interventions"):
        shot = tmp_path / f"{section}.png"
        page.locator(f"#{section}").screenshot(path=str(shot))
        assert shot.stat().st_size > 5_000


def test_tooltip_shows_value_range_and_quote(
    open_offline: Any, small_case: Any, small_forecast: Any, tmp_path: Path
) -> None:
    path = tmp_path / "brief.html"
    path.write_text(build_brief(small_case, small_forecast), encoding="utf-8")
    opened = open_offline(path)
    page = opened.page
    chart = page.locator("#issue-access .chart")
    chart.scroll_into_view_if_needed()
    # Symbols are sorted by position, highest first: the first is Northland (90).
    chart.locator("g.mark-symbol.role-mark path").first.hover(force=True)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=5000)
    text = tooltip.inner_text()
    assert "Northland" in text
    assert "90 (80–100)" in text
    assert "Northland wants full access." in text
    assert "oped: A. Columnist" in text
    _assert_clean(opened)


def test_hostile_case_text_stays_text(
    open_offline: Any, small_case_path: Path, case_with: Any, tmp_path: Path
) -> None:
    title = "<img src=x onerror=alert(1)></script><script>alert(2)</script>"
    case = case_with(
        small_case_path,
        **{
            "title: Harbour access talks (invented test case)": f"title: {json.dumps(title)}",
            "name: Southland": 'name: "<svg onload=alert(3)>South"',
        },
    )
    path = tmp_path / "brief.html"
    path.write_text(build_brief(case, detente.forecast(case)), encoding="utf-8")
    opened = open_offline(path)
    page = opened.page
    assert page.locator("#title").inner_text() == title
    assert page.locator("main img").count() == 0
    assert page.evaluate("window.detenteCharts.ok") == 4
    labels = page.locator("#issue-access .chart g.role-axis-label text")
    # A long name wraps onto two lines (two tspans): the text is kept, as text.
    assert "<svg" + "onload=alert(3)>South" in labels.all_text_contents()
    _assert_clean(opened)


def test_demo_brief_opens_offline(open_offline: Any, small_case_path: Path, tmp_path: Path) -> None:
    res = run_demo(small_case_path, tmp_path / "demo")
    opened = open_offline(res.files["brief"])
    state = opened.page.evaluate("window.detenteCharts")
    assert state["total"] >= 4 and state["ok"] == state["total"], state
    _assert_clean(opened)
