"""The main flows over HTTP on both backends: cases, edits, versions, runs, guarantees."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from detente.ledger.commitment import SignedCommitment, sign_commitment
from detente.ledger.receipt import Policy, verify_receipt
from tests.web.conftest import (
    CASE_ID,
    COMMITMENT,
    Served,
    register_via_api,
    sign_via_api,
    wait_run,
)


def _edit(c: httpx.Client, version: int, **fields: str) -> httpx.Response:
    body = {"version": version, "actor": "AFG", "issue": "sanctuaries", **fields}
    return c.post(f"/api/v1/cases/{CASE_ID}/positions", json=body)


def _sign(s: Served, who: str, did: str, role: str, actor: str, signer: Any) -> httpx.Response:
    return sign_via_api(s, who, did, role, actor, signer)


def _follow_events(c: httpx.Client, path: str, limit: float = 120.0) -> tuple[list[Any], int]:
    """Follow a run's event stream as a browser's EventSource does, to its final status.

    EventSource opens the stream again when it ends (the server sends ``retry: 1000``).
    Under load a stream was seen to end before the run's last event with no error on
    either side (in one of two full runs of the suite, and in 3 of about 60 runs of this
    test with both cores kept busy); the cause is not known. Returns the progress events
    and how many times the stream was opened.
    """
    events: list[Any] = []
    seen: list[str] = []
    opened = 0
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        opened += 1
        with c.stream("GET", path) as resp:
            assert resp.headers["content-type"].startswith("text/event-stream")
            for line in resp.iter_lines():
                if line.startswith("event:"):
                    seen.append(line[6:].strip())
                elif line.startswith("data:"):
                    events.append(json.loads(line[5:]))
                    if events[-1]["status"] not in ("queued", "running"):
                        return events, opened
        seen.append("<closed>")
    raise AssertionError(f"no final status in {limit} s over {opened} streams: {seen[-12:]}")


def test_case_edit_versions_runs_and_guarantee(any_backend: Served, make_signer: Any) -> None:
    s = any_backend
    ana = s.client("ana")
    # The imported case, and its page with the actors chart's spec in a data attribute.
    case = ana.get(f"/api/v1/cases/{CASE_ID}").json()
    assert case["version"] == 1 and case["case"]["case"]["id"] == CASE_ID
    page = ana.get(f"/cases/{CASE_ID}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "data-chart" in page.text
    twin = ana.get(f"/cases/{CASE_ID}.json").json()
    assert {i["id"] for i in twin["issues"]} == {i["id"] for i in case["case"]["issues"]}

    # A bad salience: the validator's own diagnostic, located on the salience field.
    r = _edit(ana, 1, salience="1.5")
    assert r.status_code == 422
    diags = r.json()["error"]["diagnostics"]
    assert diags and any("salience" in d["message"] for d in diags)
    page = ana.post(
        f"/cases/{CASE_ID}/edit",
        data={
            "version": "1",
            "actor": "AFG",
            "issue": "sanctuaries",
            "salience": "1.5",
            "csrf": ana.headers["X-CSRF-Token"],
        },
        headers={"Accept": "text/html"},
    )
    assert page.status_code == 422 and 'id="err-salience"' in page.text
    assert "nan" in _edit(ana, 1, salience="nan").text  # non-finite numbers are refused
    assert ana.get(f"/api/v1/cases/{CASE_ID}/versions").json()[-1]["version"] == 1

    # A good change is a new version with who and what.
    r = _edit(ana, 1, salience="0.8", salience_low="0.6", salience_high="0.9")
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    versions = ana.get(f"/api/v1/cases/{CASE_ID}/versions").json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["author"] == "ana" and "salience" in versions[1]["changes"][0]
    assert _edit(ana, 1, salience="0.7").status_code == 409  # stale base version
    cmp = ana.get(f"/cases/{CASE_ID}/compare.json", params={"a": 1, "b": 2}).json()
    changed = [row for row in cmp["rows"] if row["kind"] == "changed"]
    assert changed and any("0.8" in row["right"] for row in changed)

    # Runs: a forecast and a sweep, linked to version 2, with SSE progress to 100%.
    rid = ana.post(f"/api/v1/cases/{CASE_ID}/runs", json={"kind": "forecast"}).json()["id"]
    fc = wait_run(ana, rid)
    assert fc["status"] == "done" and fc["version"] == 2
    assert fc["result"]["issues"]["sanctuaries"]["models"]["compromise"]["outcome"] is not None
    rid2 = ana.post(
        f"/api/v1/cases/{CASE_ID}/runs", json={"kind": "sweep", "draws": 10000, "seed": 3}
    ).json()["id"]
    events, opened = _follow_events(ana, f"/runs/{rid2}/events")
    assert events[-1]["status"] == "done" and events[-1]["percent"] == 100.0
    assert opened <= 3, f"the stream was reopened {opened - 1} times"
    assert any(0 < e["done"] < 10000 for e in events), "no intermediate progress"
    sweep = wait_run(ana, rid2)
    assert sweep["result"]["draws_done"] == 10000
    both = ana.get(f"/cases/{CASE_ID}/compare-runs.json", params={"a": rid, "b": rid2}).json()
    assert any(r["a"] is not None for r in both["rows"]) and any(r["b"] for r in both["rows"])
    brief = ana.get(f"/runs/{rid2}/brief.html")
    assert brief.status_code == 200 and "detente-data" in brief.text

    # Guarantees: a draft, the committing party and the beneficiary sign, a mediator
    # countersigns, the signatures are verified, the entry appended, the receipt verifies.
    did = (
        s.client("med")
        .post(f"/api/v1/cases/{CASE_ID}/drafts", json={"commitment": COMMITMENT})
        .json()["id"]
    )
    afg, pak, tur = make_signer("AFG"), make_signer("PAK"), make_signer("TUR")
    assert _sign(s, "med", did, "mediator", "TUR", tur).status_code == 409  # parties first
    assert _sign(s, "afg", did, "party", "AFG", afg).status_code == 200
    # PAK signs offline (as `detente ledger sign` does) and uploads the signed draft.
    pk = s.client("pak")
    assert register_via_api(pk, "PAK", pak).status_code == 201
    draft = SignedCommitment.model_validate_json(pk.get(f"/drafts/{did}/draft.json").text)
    signed = sign_commitment(draft, "PAK", pak)
    r = pk.post(
        f"/drafts/{did}/upload",
        data={"role": "party", "csrf": pk.headers["X-CSRF-Token"]},
        files={"file": ("draft.json", signed.model_dump_json().encode(), "application/json")},
    )
    assert r.status_code == 200, r.text
    assert _sign(s, "med", did, "mediator", "TUR", tur).status_code == 200
    view = s.client("obs").get(f"/api/v1/drafts/{did}").json()
    assert view["ready"] and view["ledger_index"] is None
    assert len(view["signed"]["signatures"]) == 2
    assert len(view["signed"]["countersignatures"]) == 1
    sub = s.client("med").post(f"/api/v1/drafts/{did}/submit")
    assert sub.status_code == 200, sub.text
    index = sub.json()["index"]
    receipt = s.client("obs").get(f"/api/v1/ledger/{index}/receipt").text
    verdict = (
        s.client("obs").post(f"/api/v1/cases/{CASE_ID}/verify", json={"receipt": receipt}).json()
    )
    assert verdict["ok"] and verdict["verdict"] == "VALID"
    pol = s.client("obs").get(f"/cases/{CASE_ID}/policy").json()
    offline = verify_receipt(receipt, Policy(**pol))
    assert offline.ok, offline.reason
    tampered = receipt.replace(receipt.splitlines()[-1], receipt.splitlines()[-1][:-4] + "AAA=")
    assert (
        not s.client("obs")
        .post(f"/api/v1/cases/{CASE_ID}/verify", json={"receipt": tampered})
        .json()["ok"]
    )
    page = s.client("obs").get(f"/cases/{CASE_ID}/guarantees.json").json()
    assert page["entries"][0]["verdict"]["ok"] and page["log"]["checkpoint"]
    # Countersigned after the fact: refused (the countersignature covers party signatures).
    assert _sign(s, "afg", did, "party", "AFG", afg).status_code == 409

    # Every write is in the audit trail, with who.
    audit = s.client("admin").get("/api/v1/audit").json()
    actions = {(a["user"], a["action"]) for a in audit}
    for expected in [
        ("ana", "case.import"),
        ("ana", "case.edit"),
        ("ana", "run.submit"),
        ("med", "draft.create"),
        ("afg", "draft.sign"),
        ("pak", "draft.sign"),
        ("med", "draft.countersign"),
        ("med", "ledger.append"),
    ]:
        assert expected in actions, expected


def test_cancel_a_long_sweep(served: Served) -> None:
    ana = served.client("ana")
    rid = ana.post(
        f"/api/v1/cases/{CASE_ID}/runs", json={"kind": "sweep", "draws": 2_000_000}
    ).json()["id"]
    deadline = time.monotonic() + 60
    while ana.get(f"/api/v1/runs/{rid}").json()["done"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert ana.post(f"/api/v1/runs/{rid}/cancel").status_code == 200
    run = wait_run(ana, rid)
    assert run["status"] == "cancelled"
    assert 0 < run["result"]["draws_done"] < 2_000_000
    assert ana.post(f"/api/v1/runs/{rid}/cancel").status_code == 409


def test_run_parameters_are_checked_before_queueing(served: Served) -> None:
    ana = served.client("ana")
    r = ana.post(
        f"/api/v1/cases/{CASE_ID}/runs",
        json={"kind": "interventions", "issue": "nope", "by": ["TUR"]},
    )
    assert r.status_code == 422 and r.json()["error"]["diagnostics"]
    r = ana.post(f"/api/v1/cases/{CASE_ID}/runs", json={"kind": "whatif", "whatif": "changes: 3"})
    assert r.status_code == 422


def test_import_other_formats_and_errors(served: Served, assets: Any) -> None:
    ana = served.client("ana")
    ktab = (assets / "ktab" / "dummyData_3Dim.csv").read_text(encoding="utf-8")
    r = ana.post("/api/v1/cases", json={"filename": "dummy.csv", "text": ktab})
    assert r.status_code == 201, r.text
    assert ana.get(f"/api/v1/cases/{r.json()['id']}").json()["text"].startswith("%YAML 1.2")
    bad = (assets / "case" / "bad" / "06-unknown-issue.yaml").read_text(encoding="utf-8")
    r = ana.post("/api/v1/cases", json={"filename": "bad.yaml", "text": bad})
    assert r.status_code == 422
    found = {(d["line"], d["column"], d["code"]) for d in r.json()["error"]["diagnostics"]}
    assert (9, 12, "unknown-issue") in found  # what `detente validate` prints


def test_every_page_has_a_json_twin(served: Served) -> None:
    obs = served.client("obs")
    for page in (
        f"/cases/{CASE_ID}",
        f"/cases/{CASE_ID}/versions",
        f"/cases/{CASE_ID}/runs",
        f"/cases/{CASE_ID}/guarantees",
        "/cases",
        "/ledger",
        "/account",
    ):
        twin = obs.get(page + ".json")
        by_accept = obs.get(page, headers={"Accept": "application/json"})
        html = obs.get(page, headers={"Accept": "text/html"})
        assert twin.status_code == by_accept.status_code == html.status_code == 200, page
        assert twin.headers["content-type"] == "application/json"
        assert twin.json() == by_accept.json()
        assert html.headers["content-type"].startswith("text/html")
        assert f'href="{page}.json"' in html.text  # each page links its twin
