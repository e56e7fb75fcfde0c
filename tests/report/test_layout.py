"""The brief on a phone, on paper and without JavaScript, in a real headless chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import detente
from detente.case.loader import parse_case_text
from detente.pipeline.analyses import BriefOptions, analyse
from detente.report import build_brief
from tests.report.story import many_actors_case

pytestmark = pytest.mark.browser

NO_CUTS = """() => Array.from(document.querySelectorAll('svg text'))
    .map(t => t.textContent).filter(t => t.includes('\\u2026'))"""
"""Every chart text Vega cut short (it ends a truncated label with an ellipsis)."""

OVERFLOWING = """() => Array.from(document.querySelectorAll('.chart svg')).filter(svg => {
    const box = svg.getBoundingClientRect(), host = svg.closest('.chart').getBoundingClientRect();
    return box.right > host.right + 1 || box.left < host.left - 1;
}).map(svg => svg.closest('.chart').id)"""
"""Charts drawn wider than the column they sit in."""


@pytest.fixture(scope="module")
def flagship_brief(istanbul_case_path: Path, tmp_path_factory: Any) -> Path:
    case = detente.load_case(istanbul_case_path)
    res = analyse(case, BriefOptions(draws=2000), istanbul_case_path)
    path = tmp_path_factory.mktemp("flagship") / "brief.html"
    path.write_text(res.brief(), encoding="utf-8")
    return path


def test_the_brief_reads_at_420_px(open_offline: Any, flagship_brief: Path, tmp_path: Path) -> None:
    opened = open_offline(flagship_brief, width=420)
    page = opened.page
    state = page.evaluate("window.detenteCharts")
    assert state["total"] > 10 and state["ok"] == state["total"], state
    # Nothing wider than the screen: no sideways scrolling of the page itself.
    assert page.evaluate("document.documentElement.scrollWidth") <= 420
    assert page.evaluate(OVERFLOWING) == []
    assert page.evaluate(NO_CUTS) == []
    assert opened.console_errors == [] and opened.blocked == []
    # Body text stays readable: at least 14 px, and the bottom line comes first.
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 14
    first = page.locator("main section").first
    assert first.get_attribute("id") == "bottom-line"
    box = first.bounding_box()
    assert box is not None and box["width"] <= 420
    shot = tmp_path / "brief-420.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    bottom = tmp_path / "bottom-line-420.png"
    first.screenshot(path=str(bottom))
    assert bottom.stat().st_size > 5_000


def test_charts_work_for_45_actors_with_long_names(open_offline: Any, tmp_path: Path) -> None:
    case = parse_case_text(many_actors_case(45), "many.yaml")
    fc = detente.forecast(case, ["median", "bdm"], trajectory=True)
    path = tmp_path / "brief.html"
    path.write_text(build_brief(case, fc), encoding="utf-8")
    for width in (1100, 420):
        opened = open_offline(path, width=width)
        page = opened.page
        state = page.evaluate("window.detenteCharts")
        assert state["ok"] == state["total"] and state["failed"] == 0, state
        assert page.evaluate(NO_CUTS) == []
        assert page.evaluate(OVERFLOWING) == []
        # Every actor is named on the positions chart (wrapped, never cut)...
        labels = page.locator("#issue-water .chart g.role-axis-label text")
        assert labels.count() >= 45
        assert any("(Observers'" in t for t in labels.all_text_contents())
        # ...and the by-round chart does not try a 45-colour legend: actors are named in
        # their tooltips and the subtitle says so.
        rounds = page.locator("#rounds-water-bdm .chart")
        assert rounds.locator("g.role-legend").count() == 0
        assert "45 actors, named in the" in rounds.inner_text()  # (the subtitle wraps)
        assert opened.console_errors == []
        page.screenshot(path=str(tmp_path / f"many-{width}.png"), full_page=True)


def test_print_stylesheet(open_offline: Any, flagship_brief: Path, tmp_path: Path) -> None:
    page = open_offline(flagship_brief).page
    assert page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display") != "none"
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display") == "none"
    wrap = "getComputedStyle(document.querySelector('.table-wrap')).overflowX"
    assert page.evaluate(wrap) == "visible"  # tables print whole, not cut at a scroll box
    inside = "getComputedStyle(document.querySelector('#bottom-line')).breakInside"
    assert page.evaluate(inside) == "avoid"
    pdf = page.pdf(path=str(tmp_path / "brief.pdf"))
    assert pdf[:4] == b"%PDF" and len(pdf) > 20_000


def test_without_javascript_the_page_says_what_is_missing(
    open_offline: Any, flagship_brief: Path
) -> None:
    page = open_offline(flagship_brief, javascript=False).page
    note = page.locator("#noscript")
    assert note.is_visible()
    assert "JavaScript is off, so the charts are not drawn" in note.inner_text()
    # The numbers are all still there, in the tables.
    assert page.locator("#sweep table").count() >= 1
    assert page.locator("#bottom-line li").count() == 3


def test_the_receipt_downloads_from_the_page(
    browser: Any, istanbul_case_path: Path, tmp_path: Path
) -> None:
    """Clicking the links saves the receipt and the policy; `detente verify` accepts them."""
    from click.testing import CliRunner

    from detente.cli import cli
    from detente.pipeline.demo import run_demo

    res = run_demo(istanbul_case_path, tmp_path / "demo")
    ctx = browser.new_context(accept_downloads=True)
    try:
        page = ctx.new_page()
        page.goto(res.files["brief"].as_uri())
        saved = tmp_path / "saved"
        saved.mkdir()
        for link in page.locator("#guarantee a.download").all():
            with page.expect_download(timeout=10_000) as info:
                link.click()
            download = info.value
            download.save_as(saved / download.suggested_filename)
    finally:
        ctx.close()
    assert sorted(p.name for p in saved.iterdir()) == [
        "guarantee.policy.json",
        "guarantee.tlog-proof",
    ]
    result = CliRunner().invoke(
        cli,
        [
            "verify",
            str(saved / "guarantee.tlog-proof"),
            "--policy",
            str(saved / "guarantee.policy.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("VALID")
