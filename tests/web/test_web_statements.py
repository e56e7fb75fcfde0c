"""Statements in the workspace: record, coding, proposals, signed reviews."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import (
    CASE_ID,
    STATEMENTS_EMBEDDER,
    Served,
    new_signer,
    register_via_api,
    serve,
)
from tests.web.test_web_compliance import sign_pending


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, istanbul_case_path: Path
) -> Iterator[tuple[Served, Any, str]]:
    """A workspace with the Istanbul statements recorded by the analyst; med holds TUR."""
    s = serve(tmp_path_factory.mktemp("wss") / "workspace", istanbul_case_path)
    try:
        text = (istanbul_case_path.parent / "statements.yaml").read_text("utf-8")
        r = s.client("ana").post(
            f"/api/v1/cases/{CASE_ID}/statements",
            json={"filename": "statements.yaml", "text": text},
        )
        assert r.status_code == 201, r.text
        tur = new_signer("TUR")
        assert register_via_api(s.client("med"), "TUR", tur).status_code == 201
        yield s, tur, r.json()["id"]
    finally:
        s.stop()


def test_coding_and_proposals_are_the_librarys(
    world: tuple[Served, Any, str], istanbul_case_path: Path
) -> None:
    s, _, sid = world
    page = s.client("obs").get(f"/api/v1/cases/{CASE_ID}/statements").json()
    rows = {r["id"]: r for r in page["sets"][0]["statements"]}
    from detente.case.formats import read_cases
    from detente.statements.run import check_file

    case = read_cases(istanbul_case_path)[0]
    _, codes, checks = check_file(
        istanbul_case_path.parent / "statements.yaml", case, embedder=STATEMENTS_EMBEDDER
    )
    assert sorted(rows) == sorted(c["id"] for c in codes)
    for code, chk in zip(codes, checks, strict=True):
        row = rows[code["id"]]
        assert row["coding"]["plover"] == code["plover"]
        assert row["coding"]["issue"] == code["issue"]
        assert row["coding"]["score"] == pytest.approx(code["score"])
        assert row["proposal"]["relation"] == chk["proposal"]["relation"]
    # The docs' example: calling Pakistan's demand "unrelated" misrepresents the record.
    assert rows["afg-unrelated"]["proposal"]["relation"] == "misrepresents"
    assert rows["afg-unrelated"]["record_items"], "the proposal shows the record items behind it"


def test_review_is_a_signed_ledger_entry(world: tuple[Served, Any, str]) -> None:
    s, tur, sid = world
    med = s.client("med")
    # Only a mediator reviews; an analyst records but does not review.
    refused = s.client("ana").post(
        f"/api/v1/statements/{sid}/reviews",
        json={"statement": "afg-unrelated", "decision": "accept", "actor": "TUR"},
    )
    assert refused.status_code == 403
    bad = med.post(
        f"/api/v1/statements/{sid}/reviews",
        json={"statement": "afg-unrelated", "decision": "edit", "actor": "TUR"},
    )
    assert bad.status_code == 422  # an edit needs another relation
    r = med.post(
        f"/api/v1/statements/{sid}/reviews",
        json={
            "statement": "afg-unrelated",
            "decision": "edit",
            "relation": "unsupported",
            "note": "<b>reviewed</b>",
            "actor": "TUR",
        },
    )
    assert r.status_code == 201, r.text
    pending = r.json()
    assert pending["kind"] == "review" and len(pending["messages"]) == 1
    assert sign_pending(s.client("obs"), pending, tur).status_code == 403
    done = sign_pending(med, pending, tur)
    assert done.status_code == 200, done.text
    index = done.json()["result"]["index"]
    page = med.get(f"/api/v1/cases/{CASE_ID}/statements").json()
    row = next(r for r in page["sets"][0]["statements"] if r["id"] == "afg-unrelated")
    assert [(v["index"], v["decision"], v["relation"], v["reviewer"]) for v in row["reviews"]] == [
        (index, "edit", "unsupported", "TUR")
    ]
    # The ledger's own reader finds the review, verified, and its receipt verifies.
    from detente.statements.entries import read_ledger

    _, reviews = read_ledger(s.ws.ledger_location)
    assert [(i, rv.statement_id) for i, rv in reviews] == [(index, "afg-unrelated")]
    receipt = med.get(f"/ledger/{index}/receipt")
    assert med.post(f"/api/v1/cases/{CASE_ID}/verify", json={"receipt": receipt.text}).json()["ok"]
    # Signing twice is refused.
    assert sign_pending(med, pending, tur).status_code == 409
    # The note and the statement texts are shown as text.
    html = med.get(f"/cases/{CASE_ID}/statements", headers={"Accept": "text/html"}).text
    assert "&lt;b&gt;reviewed&lt;/b&gt;" in html and "<b>reviewed</b>" not in html


def test_hostile_statement_text_is_escaped(world: tuple[Served, Any, str]) -> None:
    s, _, _ = world
    doc = {
        "detente_statements": 1,
        "case": CASE_ID,
        "statements": [
            {
                "id": "xss",
                "speaker": {"actor": "PAK"},
                "date": "2025-11-07",
                "citation": "test",
                "medium": "statement",
                "url": "javascript:alert(2)",
                "text": "<script>alert(1)</script> Pakistan rejects the proposal.",
                "recorded_by": "analyst",
            }
        ],
    }
    r = s.client("med").post(
        f"/api/v1/cases/{CASE_ID}/statements",
        json={"filename": "x.json", "text": json.dumps(doc)},
    )
    assert r.status_code == 201, r.text
    html = s.client("obs").get(f"/cases/{CASE_ID}/statements", headers={"Accept": "text/html"})
    assert "<script>alert(1)</script>" not in html.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.text
    assert 'href="javascript:' not in html.text  # only http(s) sources become links


def test_bad_statements_file_is_located(world: tuple[Served, Any, str]) -> None:
    s, _, _ = world
    text = (
        "detente_statements: 1\ncase: istanbul-2025-round3\nstatements:\n  - id: a\n"
        "    speaker: {actor: NOPE}\n    date: 2025-11-07\n    medium: m\n    citation: c\n"
        "    text: t\n    recorded_by: x\n"
    )
    r = s.client("ana").post(
        f"/api/v1/cases/{CASE_ID}/statements", json={"filename": "bad.yaml", "text": text}
    )
    assert r.status_code == 422, r.text
    diags = r.json()["error"]["diagnostics"]
    assert any(d["code"] == "unknown-actor" and d["file"] == "bad.yaml" for d in diags)
    broken = s.client("ana").post(
        f"/api/v1/cases/{CASE_ID}/statements",
        json={"filename": "broken.yaml", "text": text.replace("date: 2025-11-07", "date: [")},
    )
    assert broken.status_code == 422
    located = broken.json()["error"]["diagnostics"][0]
    assert located["file"] == "broken.yaml" and located["line"] is not None
    wrong = s.client("ana").post(
        f"/api/v1/cases/{CASE_ID}/statements",
        json={"filename": "w.yaml", "text": text.replace("istanbul-2025-round3", "other")},
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["diagnostics"][0]["code"] == "wrong-case"
    assert (
        s.client("obs")
        .post(f"/api/v1/cases/{CASE_ID}/statements", json={"filename": "a.yaml", "text": text})
        .status_code
        == 403
    )
