"""Fixtures for the brief tests: the small invented case, its forecast, a real chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import detente
from detente.case.loader import parse_case_text
from detente.case.model import Case
from detente.forecast import Forecast

CHROMIUM = Path(os.environ.get("DETENTE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def small_case_path(assets: Path) -> Path:
    return assets / "report" / "small-case.yaml"


@pytest.fixture(scope="session")
def small_case(small_case_path: Path) -> Case:
    return detente.load_case(small_case_path)


@pytest.fixture(scope="session")
def small_forecast(small_case: Case) -> Forecast:
    return detente.forecast(small_case, trajectory=True)


def _case_with(path: Path, **replacements: str) -> Case:
    """The small case with some text swapped (to put hostile strings in it)."""
    text = path.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return parse_case_text(text, str(path))


def _sample_diagnosis() -> dict[str, Any]:
    """Input in the shape detente.diagnose produces (test input for the brief only)."""

    def pair(ini: str, rec: str, a: str, b: str, eu_i: float, eu_r: float) -> dict[str, Any]:
        return {
            "initiator": ini,
            "receiver": rec,
            "octant_initiator_view": a,
            "octant_receiver_view": b,
            "eu_initiator": eu_i,
            "eu_receiver": eu_r,
            "eu_initiator_seen_by_receiver": eu_i,
            "eu_receiver_seen_by_initiator": eu_r,
            "prob_initiator_wins": 0.5,
            "position_initiator": 50.0,
            "position_receiver": 50.0,
        }

    return {
        "detente_version": detente.__version__,
        "case": {
            "id": "harbour-test",
            "title": "Harbour access talks (invented test case)",
            "model": "bdm",
            "params": {},
            "thresholds": {"deadlock_gap": 0.25, "agreement_gap": 0.05},
            "rule": "deadlock if the principals stay over 25% of the scale apart",
        },
        "skipped": {},
        "issues": {
            "access": {
                "verdict": "deadlock",
                "explanation": "Northland and Southland each expect to lose by challenging.",
                "principals": ["north", "south"],
                "mutual_stalemate": True,
                "gap_start": 0.7,
                "gap_end": 0.6,
                "settled": True,
                "outcome": 55.0,
                "final_positions": {"north": 85.0, "south": 25.0},
                "pairs": [
                    pair("north", "south", "stalemate", "stalemate", -0.2, -0.1),
                    pair("south", "north", "stalemate", "conflict", -0.3, 0.05),
                    pair("med", "south", "compromise", "receiver_capitulates", 0.12, -0.04),
                ],
            }
        },
    }


def _sample_guarantee(ok: bool) -> dict[str, Any]:
    """A guarantee record as detente.pipeline.guarantees makes it (brief input only)."""
    return {
        "label": "Illustrative example, not a real agreement",
        "source": "test",
        "commitment": {
            "id": "sha256:" + "0" * 64,
            "commitment": {
                "format": "detente.commitment/v1",
                "id": "open-harbour",
                "label": "Illustrative example, not a real agreement",
                "case": "harbour-talks",
                "text": "Southland will open the harbour to daytime traffic with inspection.",
                "committing_party": "south",
                "beneficiaries": ["north"],
                "obligations": [
                    {
                        "id": "open",
                        "text": "Open the harbour by day.",
                        "indicator": {
                            "metric": "days_open",
                            "comparison": ">=",
                            "threshold": 25,
                            "period": "P30D",
                        },
                    }
                ],
                "start": "2025-03-01",
            },
            "signatures": [],
            "countersignatures": [],
        },
        "log_origin": "example.org/detente-demo",
        "index": 0,
        "tree_size": 1,
        "checkpoint": "example.org/detente-demo\n1\nAAAA\n",
        "receipt": "c2sp.org/tlog-proof@v1\nindex 0\n",
        "receipt_name": "guarantee.tlog-proof",
        "policy": {"log": {"origin": "example.org/detente-demo", "keys": []}, "quorum": 0},
        "policy_name": "guarantee.policy.json",
        "policy_note": "test policy",
        "verification": {
            "ok": ok,
            "verdict": "VALID" if ok else "INVALID",
            "reason": None if ok else "inclusion proof does not match the checkpoint root",
        },
    }


@pytest.fixture(scope="session")
def case_with() -> Any:
    """``case_with(path, old=new, ...)``: the case file with text swapped, validated."""
    return _case_with


@pytest.fixture(scope="session")
def sample_diagnosis() -> Any:
    """``sample_diagnosis()``: brief input in the shape of detente.diagnose output."""
    return _sample_diagnosis


@pytest.fixture(scope="session")
def sample_guarantee() -> Any:
    """``sample_guarantee(ok)``: brief input in the shape of detente.ledger.demo output."""
    return _sample_guarantee


@dataclass
class Opened:
    """A page opened offline, with what it tried to fetch and what it complained about."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM} (set DETENTE_CHROMIUM)")
        pytest.skip(f"chromium not found at {CHROMIUM} (set DETENTE_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def open_offline(browser: Any) -> Iterator[Any]:
    """Open a local HTML file with every non-file request aborted and recorded."""
    contexts = []

    def _open(path: Path, width: int = 1100, javascript: bool = True, wait: bool = True) -> Opened:
        ctx = browser.new_context(
            viewport={"width": width, "height": 900}, java_script_enabled=javascript
        )
        contexts.append(ctx)
        page = ctx.new_page()
        opened = Opened(page)

        def route(r: Any) -> None:
            if r.request.url.startswith("file:"):
                r.continue_()
            else:
                opened.blocked.append(r.request.url)
                r.abort()

        ctx.route("**/*", route)
        page.on(
            "console",
            lambda m: (
                opened.console_errors.append(m.text) if m.type in ("error", "warning") else None
            ),
        )
        page.on("pageerror", lambda e: opened.page_errors.append(str(e)))

        def on_dialog(d: Any) -> None:
            opened.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)
        page.goto(path.resolve().as_uri())
        if javascript and wait:
            page.wait_for_function(
                "window.detenteCharts && window.detenteCharts.done", timeout=30000
            )
        return opened

    yield _open
    for ctx in contexts:
        ctx.close()
