"""The main flows in a real browser (Debian's chromium through Playwright), offline.

Log in, import a case, edit a value and see the inline error for a bad one, run a sweep
and watch the progress bar reach 100%, sign a commitment in the browser as a party
(WebCrypto Ed25519; the private key never leaves the browser), countersign as a mediator,
download the receipt and verify it, log out. Every request that is not to the server is
aborted and recorded; the pages must make none and log no error (a CSP violation is one).

Then, on the same server: a mediator imports an events file and signs its dataset record,
records a commitment's verdicts, and reviews a statement, each signed in the browser over
the exact bytes the server shows. Every flow runs on SQLite and on PostgreSQL.

Screenshots for docs/web.md: ``DETENTE_SCREENSHOTS=docs/web pytest tests/web/test_web_browser.py``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.web.conftest import (
    CASE_ID,
    COMMITMENT,
    PASSWORD,
    Served,
    new_signer,
    serve,
    sign_via_api,
)
from tests.web.test_web_compliance import ttp_commitment

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    istanbul_case_path: Path,
) -> Iterator[Served]:
    """The same flows on both backends: a SQLite folder, then a PostgreSQL database.

    Module-scoped, so the flows of one backend share one server; the ledger's guard state
    and the throwaway PostgreSQL server's fsync setting are set here for its lifetime
    (the per-test fixture of tests/conftest.py comes too late for a module's server).
    """
    from detente.ledger.guard import STATE_ENV
    from detente.ledger.postgres import UNSAFE_FSYNC_ENV

    tmp = tmp_path_factory.mktemp("browser")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(STATE_ENV, str(tmp / "checkpoint-state"))
        mp.setenv(UNSAFE_FSYNC_ENV, "1")
        location: str | Path = (
            request.getfixturevalue("pg_server").new_database()
            if request.param == "postgres"
            else tmp / "workspace"
        )
        s = serve(location, istanbul_case_path)
        try:
            yield s
        finally:
            s.stop()


def in_chromium(fn: Callable[[Any], None]) -> None:
    """Run ``fn(browser)`` on its own thread with its own Playwright and chromium.

    Playwright's sync API refuses to start where an asyncio loop runs, and another
    session fixture (the brief's browser test) may hold one on the main thread; a thread
    of its own has none. Failures are re-raised here.
    """
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM}")
        pytest.skip(f"chromium not found at {CHROMIUM}")
    failure: list[BaseException] = []

    def body() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as pw:
                b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    fn(b)
                finally:
                    b.close()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test's thread
            failure.append(exc)

    t = threading.Thread(target=body, name="chromium")
    t.start()
    t.join()
    if failure:
        raise failure[0]


class Tab:
    """A browser context for one person, offline except for the server."""

    def __init__(self, browser: Any, base: str, shots: Path, backend: str = "sqlite") -> None:
        self.base = base
        self.base_backend = backend
        self.shots = shots
        self.ctx = browser.new_context(
            viewport={"width": 1200, "height": 900}, accept_downloads=True
        )
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.ctx.route("**/*", self._route)
        self.page = self.ctx.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route: Any) -> None:
        if route.request.url.startswith(self.base):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def go(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.page

    def login(self, name: str) -> None:
        p = self.go("/login")
        p.fill("#username", name)
        p.fill("#password", PASSWORD)
        p.click("#login")
        p.wait_for_url(re.compile(r".*/cases$"))

    def shot(self, name: str) -> None:
        if self.base_backend != "sqlite":
            return  # the docs' screenshots come from the SQLite run
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=False)

    def clean(self) -> None:
        assert self.blocked == [], f"requests left the server: {self.blocked}"
        # The edit with a bad value answers 422 on purpose; chromium logs that load.
        errors = [e for e in self.errors if "status of 422" not in e]
        assert errors == [], errors
        self.ctx.close()


@pytest.fixture
def shots(tmp_path: Path, repo: Path) -> Path:
    where = os.environ.get("DETENTE_SCREENSHOTS")
    out = (repo / where) if where else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    return out


def test_main_flows_in_chromium(site: Served, shots: Path, assets: Path, tmp_path: Path) -> None:
    in_chromium(lambda b: _main_flows(b, site, shots, assets, tmp_path))


def _main_flows(chromium: Any, site: Served, shots: Path, assets: Path, tmp_path: Path) -> None:
    ana = Tab(chromium, site.url, shots, _backend(site))
    ana.go("/login")
    ana.shot("login")
    ana.login("ana")

    # Import a case (a KTAB CSV): it lands on its case page with the chart drawn.
    p = ana.page
    p.set_input_files("#import-file", str(assets / "ktab" / "dummyData_3Dim.csv"))
    p.click("#import")
    p.wait_for_url(re.compile(r".*/cases/DummyData_3Dim$"))
    p.wait_for_function("window.detenteCharts && window.detenteCharts.done", timeout=30000)
    state = p.evaluate("window.detenteCharts")
    assert state["ok"] == state["total"] > 0 and state["failed"] == 0

    # The Istanbul case page: actors-by-issue charts, sources and ranges.
    p = ana.go(f"/cases/{CASE_ID}")
    p.wait_for_function("window.detenteCharts && window.detenteCharts.done", timeout=30000)
    state = p.evaluate("window.detenteCharts")
    assert state["ok"] == state["total"] >= 2, state
    assert p.locator("figure[data-rendered=ok] svg").count() == state["total"]
    ana.shot("case")

    # Edit: a bad salience gets the validator's error beside the field; a good one saves.
    p = ana.go(f"/cases/{CASE_ID}/edit?actor=AFG&issue=sanctuaries")
    p.fill("input[name=salience]", "1.5")
    p.click("#save")
    err = p.locator("#err-salience")
    err.wait_for()
    assert "salience" in err.inner_text().lower()
    assert p.locator("#field-salience.invalid").count() == 1
    ana.shot("edit-error")
    p.fill("input[name=salience]", "0.65")
    p.click("#save")
    p.wait_for_url(re.compile(rf".*/cases/{CASE_ID}\?version=2$"))
    p = ana.go(f"/cases/{CASE_ID}/versions")
    assert "0.65" in p.inner_text("main")

    # A sweep as a background job: the bar fills to 100% from server-sent events.
    p = ana.go(f"/cases/{CASE_ID}/runs")
    p.select_option("#run-kind", "sweep")
    p.fill("#draws", "10000")
    p.click("#run")
    p.wait_for_url(re.compile(r".*/runs/[0-9a-f]+$"))
    p.wait_for_function(
        "document.getElementById('bar') && document.getElementById('bar').value > 0 "
        "&& document.getElementById('bar').value < 100",
        timeout=60000,
    )
    ana.shot("run-progress")
    p.wait_for_function("document.getElementById('status').textContent === 'done'", timeout=120000)
    p.wait_for_selector("#brief")  # reloaded with the result
    assert p.locator("#bar").get_attribute("value") in ("100", "100.0")
    assert p.inner_text("#percent") == "100%"
    ana.shot("run-done")
    ana.clean()

    # A mediator drafts a guarantee (over the API here); the party signs in its browser.
    did = (
        site.client("med")
        .post(f"/api/v1/cases/{CASE_ID}/drafts", json={"commitment": COMMITMENT})
        .json()["id"]
    )
    afg = Tab(chromium, site.url, shots, _backend(site))
    afg.login("afg")
    p = afg.go(f"/cases/{CASE_ID}/keys")
    p.click("#newkey-AFG")
    p.wait_for_selector(".js-result[data-vkey]")
    vkey = p.locator(".js-result[data-vkey]").get_attribute("data-vkey")
    assert vkey and vkey.startswith("AFG+")
    p = afg.go(f"/drafts/{did}")
    p.click("#sign-AFG")
    p.wait_for_function(
        "document.getElementById('signature-status').innerText.includes('AFG (party): signed')",
        timeout=30000,
    )
    afg.shot("signed")
    afg.clean()
    stored = site.ws.db.query("SELECT vkey FROM web_keys WHERE actor = 'AFG'")
    assert stored == [(vkey,)]  # the server holds the public key only

    # The mediator countersigns in its browser and appends; then the receipt is verified.
    med = Tab(chromium, site.url, shots, _backend(site))
    med.login("med")
    p = med.go(f"/cases/{CASE_ID}/keys")
    p.click("#newkey-TUR")
    p.wait_for_selector(".js-result[data-vkey]")
    p = med.go(f"/drafts/{did}")
    p.click("#countersign-TUR")
    p.wait_for_selector("#submit-ledger", timeout=30000)
    p.click("#submit-ledger")
    p.wait_for_selector("#in-ledger")
    p = med.go(f"/cases/{CASE_ID}/guarantees")
    verdict = p.locator("[id^=verdict-]").first.inner_text()
    assert verdict.startswith("VALID"), verdict
    med.shot("guarantees")
    with p.expect_download() as dl:
        p.locator("a.receipt").first.click()
    receipt = tmp_path / "entry.tlog-proof"
    dl.value.save_as(str(receipt))
    p = med.go(f"/cases/{CASE_ID}/verify")
    p.set_input_files("#receipt-file", str(receipt))
    p.click("#verify")
    assert p.inner_text("#verdict").startswith("VALID")
    med.shot("verify")

    # Log out: the pages are gone until the next login.
    p.click("#logout")
    p.wait_for_url(re.compile(r".*/login$"))
    med.go("/cases")
    assert p.url.endswith("/login")
    med.clean()


def test_pages_read_without_javascript(site: Served) -> None:
    in_chromium(lambda b: _without_js(b, site))


def _without_js(chromium: Any, site: Served) -> None:
    ctx = chromium.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.goto(site.url + "/login")
    page.fill("#username", "obs")
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.goto(site.url + f"/cases/{CASE_ID}")
    text = page.inner_text("main")
    assert "Sources" in text and "Pakistan" in text
    page.goto(site.url + f"/cases/{CASE_ID}/guarantees")
    assert "The log" in page.inner_text("main")
    ctx.close()


def _backend(site: Served) -> str:
    return "postgres" if site.ws.db.postgres else "sqlite"


def test_compliance_and_statements_in_chromium(
    site: Served, shots: Path, data_dir: Path, istanbul_case_path: Path
) -> None:
    # Set up over the API: the TTP commitment in the ledger, metrics, statements.
    repo = istanbul_case_path.parents[2]
    med = site.client("med")
    did = med.post(
        f"/api/v1/cases/{CASE_ID}/drafts", json={"commitment": ttp_commitment(repo)}
    ).json()["id"]
    assert sign_via_api(site, "afg", did, "party", "AFG", new_signer("AFG")).status_code == 200
    assert sign_via_api(site, "med", did, "mediator", "QAT", new_signer("QAT")).status_code == 200
    index = med.post(f"/api/v1/drafts/{did}/submit").json()["index"]
    r = med.post(
        f"/api/v1/cases/{CASE_ID}/metrics",
        json={
            "filename": "metrics.yaml",
            "text": (repo / "examples/istanbul-2025/metrics.yaml").read_text("utf-8"),
        },
    )
    assert r.status_code == 201, r.text
    r = site.client("ana").post(
        f"/api/v1/cases/{CASE_ID}/statements",
        json={
            "filename": "statements.yaml",
            "text": (repo / "examples/istanbul-2025/statements.yaml").read_text("utf-8"),
        },
    )
    assert r.status_code == 201, r.text
    events = data_dir / "ucdp" / "ged231-sample.csv"
    in_chromium(lambda b: _evidence_flows(b, site, shots, events, int(index)))


def _sign_pending(tab: Tab) -> None:
    p = tab.page
    p.wait_for_url(re.compile(r".*/pending/[0-9a-f]+$"))
    p.click("#sign-pending")
    p.wait_for_selector("#pending-done", timeout=60000)


def _evidence_flows(chromium: Any, site: Served, shots: Path, events: Path, index: int) -> None:
    med = Tab(chromium, site.url, shots, _backend(site))
    med.login("med")
    p = med.go(f"/cases/{CASE_ID}/keys")
    p.click("#newkey-QAT")
    p.wait_for_selector(".js-result[data-vkey]")

    # Import an events file: the server reads it, shows the record's bytes, QAT signs.
    p = med.go(f"/cases/{CASE_ID}/compliance")
    p.set_input_files("#events-file", str(events))
    p.fill("#events-version", "23.1")
    p.select_option("#events-actor", "QAT")
    p.click("#events-import")
    _sign_pending(med)

    # The commitment checked period by period, with the brief's chart; record the verdicts.
    p = med.go(f"/cases/{CASE_ID}/compliance")
    p.wait_for_function("window.detenteCharts && window.detenteCharts.done", timeout=30000)
    state = p.evaluate("window.detenteCharts")
    assert state["ok"] == state["total"] >= 1 and state["failed"] == 0, state
    assert p.locator(f"#commitment-{index} table.periods tbody tr").count() == 16
    p.select_option(f"#verdict-actor-{index}", "QAT")
    p.click(f"#record-{index}")
    _sign_pending(med)
    p = med.go(f"/cases/{CASE_ID}/compliance")
    p.wait_for_function("window.detenteCharts && window.detenteCharts.done", timeout=30000)
    assert p.locator("#verdicts tbody tr").count() == 16
    assert "AFG" in p.inner_text("#trust")
    p.locator(f"#commitment-{index}").scroll_into_view_if_needed()
    p.evaluate(f"document.getElementById('commitment-{index}').scrollIntoView()")
    med.shot("compliance")

    # Review a statement's proposed relation: a signed statement_review entry.
    p = med.go(f"/cases/{CASE_ID}/statements")
    box = p.locator("#statement-afg-unrelated")
    assert "misrepresents" in box.locator(".relation").inner_text()
    box.locator("select[name=actor]").select_option("QAT")
    p.click("#review-afg-unrelated")
    _sign_pending(med)
    p = med.go(f"/cases/{CASE_ID}/statements")
    reviews = p.locator("#statement-afg-unrelated .reviews").inner_text()
    assert "accept → misrepresents, by QAT" in reviews, reviews
    p.locator("#statement-afg-unrelated").scroll_into_view_if_needed()
    med.shot("statements")
    med.clean()
