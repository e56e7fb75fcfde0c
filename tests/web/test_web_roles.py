"""The role matrix: every endpoint x every role -> allowed or refused, as docs/web.md says.

ENDPOINTS is the documented table. The test fails when the app has an endpoint without
an entry here (or an entry without an endpoint), when the server's permission table
differs from MATRIX, and when any endpoint lets a role through that the table refuses, or
refuses one it allows.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.routing import Mount

from detente.web.app import ROUTES
from detente.web.auth import PERMISSIONS
from tests.conftest import REPO
from tests.web.conftest import (
    CASE_ID,
    Served,
    appended_entry,
    new_signer,
    register_via_api,
    wait_run,
)

# Who may take each action ("party" is any party:<actor>; admin is the account flag).
MATRIX: dict[str, set[str]] = {
    "read": {"observer", "analyst", "party", "mediator", "admin"},
    "import": {"analyst", "admin"},
    "edit": {"analyst"},
    "run": {"analyst"},
    "draft": {"analyst", "mediator"},
    "sign": {"party"},
    "countersign": {"mediator"},
    "sign_or_countersign": {"party", "mediator"},
    "submit": {"mediator"},
    "register_key": {"party", "mediator"},
    "metrics": {"analyst", "mediator"},
    "import_events": {"mediator"},
    "record_verdict": {"mediator"},
    "record_statement": {"analyst", "mediator"},
    "review_statement": {"mediator"},
    "sign_record": {"mediator"},
    "collect_witness": {"mediator", "admin"},
    "accounts": {"admin"},
    "audit": {"admin"},
}

# The test accounts and the role each holds on the Istanbul case.
ROLE_OF: dict[str, str | None] = {
    "admin": "admin",
    "ana": "analyst",
    "obs": "observer",
    "afg": "party",
    "med": "mediator",
    "nobody": None,
}

# (method, path) -> action; "public": no account needed; "login": any account.
ENDPOINTS: dict[tuple[str, str], str] = {
    ("GET", "/"): "public",
    ("GET", "/account"): "login",
    ("GET", "/account.json"): "login",
    ("POST", "/account/tokens"): "login",
    ("POST", "/account/tokens/{tid}/revoke"): "login",
    ("GET", "/admin/audit"): "audit",
    ("GET", "/admin/audit.json"): "audit",
    ("POST", "/admin/roles"): "accounts",
    ("GET", "/admin/users"): "accounts",
    ("POST", "/admin/users"): "accounts",
    ("GET", "/admin/users.json"): "accounts",
    ("GET", "/api/v1/audit"): "audit",
    ("GET", "/api/v1/cases"): "login",
    ("POST", "/api/v1/cases"): "import",
    ("GET", "/api/v1/cases/{cid}"): "read",
    ("GET", "/api/v1/cases/{cid}/drafts"): "read",
    ("POST", "/api/v1/cases/{cid}/drafts"): "draft",
    ("GET", "/api/v1/cases/{cid}/keys"): "read",
    ("POST", "/api/v1/cases/{cid}/keys"): "register_key",
    ("POST", "/api/v1/cases/{cid}/keys/message"): "register_key",
    ("POST", "/api/v1/cases/{cid}/positions"): "edit",
    ("GET", "/api/v1/cases/{cid}/runs"): "read",
    ("POST", "/api/v1/cases/{cid}/runs"): "run",
    ("POST", "/api/v1/cases/{cid}/verify"): "read",
    ("GET", "/api/v1/cases/{cid}/versions"): "read",
    ("GET", "/api/v1/drafts/{did}"): "read",
    ("GET", "/api/v1/drafts/{did}/message"): "read",
    ("POST", "/api/v1/drafts/{did}/signatures"): "sign_or_countersign",
    ("POST", "/api/v1/drafts/{did}/submit"): "submit",
    ("GET", "/api/v1/ledger"): "login",
    ("GET", "/api/v1/ledger/{index}/receipt"): "read",
    ("POST", "/api/v1/login"): "public",
    ("POST", "/api/v1/logout"): "login",
    ("GET", "/api/v1/me"): "login",
    ("GET", "/api/v1/openapi.json"): "public",
    ("GET", "/api/v1/runs/{rid}"): "read",
    ("POST", "/api/v1/runs/{rid}/cancel"): "run",
    ("GET", "/api/v1/tokens"): "login",
    ("POST", "/api/v1/tokens"): "login",
    ("POST", "/api/v1/tokens/{tid}/revoke"): "login",
    ("GET", "/api/v1/users"): "accounts",
    ("POST", "/api/v1/users"): "accounts",
    ("POST", "/api/v1/users/{name}/roles"): "accounts",
    ("GET", "/cases"): "login",
    ("POST", "/cases"): "import",
    ("GET", "/cases.json"): "login",
    ("GET", "/cases/{cid}"): "read",
    ("GET", "/cases/{cid}.json"): "read",
    ("GET", "/cases/{cid}/compare"): "read",
    ("GET", "/cases/{cid}/compare-runs"): "read",
    ("GET", "/cases/{cid}/compare-runs.json"): "read",
    ("GET", "/cases/{cid}/compare.json"): "read",
    ("GET", "/cases/{cid}/edit"): "edit",
    ("POST", "/cases/{cid}/edit"): "edit",
    ("GET", "/cases/{cid}/edit.json"): "edit",
    ("GET", "/cases/{cid}/guarantees"): "read",
    ("POST", "/cases/{cid}/guarantees"): "draft",
    ("GET", "/cases/{cid}/guarantees.json"): "read",
    ("GET", "/cases/{cid}/keys"): "read",
    ("POST", "/cases/{cid}/keys"): "register_key",
    ("POST", "/cases/{cid}/keys/message"): "register_key",
    ("GET", "/cases/{cid}/keys.json"): "read",
    ("GET", "/cases/{cid}/policy"): "read",
    ("GET", "/cases/{cid}/runs"): "read",
    ("POST", "/cases/{cid}/runs"): "run",
    ("GET", "/cases/{cid}/runs.json"): "read",
    ("GET", "/cases/{cid}/text"): "read",
    ("GET", "/cases/{cid}/verify"): "read",
    ("POST", "/cases/{cid}/verify"): "read",
    ("GET", "/cases/{cid}/verify.json"): "read",
    ("GET", "/cases/{cid}/versions"): "read",
    ("GET", "/cases/{cid}/versions.json"): "read",
    ("GET", "/drafts/{did}"): "read",
    ("GET", "/drafts/{did}.json"): "read",
    ("GET", "/drafts/{did}/draft.json"): "read",
    ("POST", "/drafts/{did}/signature"): "sign_or_countersign",
    ("POST", "/drafts/{did}/submit"): "submit",
    ("POST", "/drafts/{did}/upload"): "sign_or_countersign",
    ("GET", "/ledger"): "login",
    ("GET", "/ledger.json"): "login",
    ("GET", "/ledger/{index}/receipt"): "read",
    ("GET", "/login"): "public",
    ("POST", "/login"): "public",
    ("POST", "/logout"): "login",
    ("GET", "/runs/{rid}"): "read",
    ("GET", "/runs/{rid}.json"): "read",
    ("GET", "/runs/{rid}/brief.html"): "read",
    ("POST", "/runs/{rid}/cancel"): "run",
    ("GET", "/runs/{rid}/events"): "read",
    ("GET", "/api/v1/cases/{cid}/compliance"): "read",
    ("POST", "/api/v1/cases/{cid}/metrics"): "metrics",
    ("POST", "/api/v1/cases/{cid}/events"): "import_events",
    ("POST", "/api/v1/cases/{cid}/verdicts"): "record_verdict",
    ("GET", "/api/v1/cases/{cid}/statements"): "read",
    ("POST", "/api/v1/cases/{cid}/statements"): "record_statement",
    ("POST", "/api/v1/statements/{sid}/reviews"): "review_statement",
    ("GET", "/api/v1/pending/{pid}"): "read",
    ("POST", "/api/v1/pending/{pid}/signatures"): "sign_record",
    ("POST", "/api/v1/cases/{cid}/witness"): "collect_witness",
    ("GET", "/cases/{cid}/compliance"): "read",
    ("GET", "/cases/{cid}/compliance.json"): "read",
    ("POST", "/cases/{cid}/compliance/metrics"): "metrics",
    ("POST", "/cases/{cid}/compliance/events"): "import_events",
    ("POST", "/cases/{cid}/compliance/verdicts"): "record_verdict",
    ("GET", "/cases/{cid}/statements"): "read",
    ("GET", "/cases/{cid}/statements.json"): "read",
    ("POST", "/cases/{cid}/statements"): "record_statement",
    ("POST", "/statements/{sid}/review"): "review_statement",
    ("GET", "/pending/{pid}"): "read",
    ("GET", "/pending/{pid}.json"): "read",
    ("POST", "/pending/{pid}/sign"): "sign_record",
    ("POST", "/cases/{cid}/guarantees/witness"): "collect_witness",
    ("GET", "/static/{path}"): "public",
    ("GET", "/vendor/{path}"): "public",
}


def test_every_endpoint_has_an_entry(served: Served) -> None:
    app_routes: set[tuple[str, str]] = set()
    for r in served.server.config.app.routes:
        if isinstance(r, Mount):
            app_routes.add(("GET", r.path + "/{path}"))
            continue
        for m in getattr(r, "methods", None) or ():
            if m != "HEAD":
                app_routes.add((m, r.path))
    assert app_routes == set(ENDPOINTS), {
        "in the app, not in the table": sorted(app_routes - set(ENDPOINTS)),
        "in the table, not in the app": sorted(set(ENDPOINTS) - app_routes),
    }
    assert dict(ROUTES) == ENDPOINTS
    assert {k: set(v) for k, v in PERMISSIONS.items()} == MATRIX


def _expected(action: str, role: str | None) -> bool:
    if action in ("public", "login"):
        return True
    return role is not None and role in MATRIX[action]


def _fill(path: str, ids: dict[str, str]) -> str:
    for k, v in ids.items():
        path = path.replace("{" + k + "}", v)
    return path


@pytest.fixture(scope="module")
def ids(served: Served) -> dict[str, str]:
    ana = served.client("ana")
    rid = ana.post(f"/api/v1/cases/{CASE_ID}/runs", json={"kind": "forecast"}).json()["id"]
    wait_run(ana, rid)
    did, index = appended_entry(served)
    tid = served.client("ana").post("/api/v1/tokens", json={"name": "t"}).json()["id"]
    text = (REPO / "examples" / "istanbul-2025" / "statements.yaml").read_text("utf-8")
    sid = ana.post(
        f"/api/v1/cases/{CASE_ID}/statements", json={"filename": "s.yaml", "text": text}
    ).json()["id"]
    med = served.client("med")
    assert register_via_api(med, "QAT", new_signer("QAT")).status_code == 201
    pid = med.post(
        f"/api/v1/statements/{sid}/reviews",
        json={"statement": "afg-unrelated", "decision": "accept", "actor": "QAT"},
    ).json()["id"]
    return {
        "sid": sid,
        "pid": pid,
        "cid": CASE_ID,
        "rid": rid,
        "did": did,
        "index": str(index),
        "tid": tid,
        "name": "obs",
        "path": "style.css",
    }


@pytest.mark.parametrize("who", list(ROLE_OF))
def test_role_matrix(served: Served, ids: dict[str, str], who: str) -> None:
    wrong: list[str] = []
    for (method, path), action in sorted(ENDPOINTS.items()):
        if path.endswith("/{path}"):
            path = path.replace("{path}", "style.css" if "static" in path else "vega.min.js")
        url = _fill(path, ids)
        logout = url.endswith("/logout")
        c = served.login(who) if logout else served.client(who)
        try:
            r = c.request(method, url)
        finally:
            if logout:
                c.close()
        allowed = _expected(action, ROLE_OF[who])
        hidden = r.status_code == 404 and _message(r) == "not found"
        refused = r.status_code in (401, 403) or hidden
        if r.status_code >= 500 or (action != "public" and refused == allowed):
            wrong.append(f"{method} {url} ({action}): {r.status_code} {_message(r)}")
    assert not wrong, "\n".join(wrong)


def test_anonymous_gets_401_everywhere_but_public(served: Served, ids: dict[str, str]) -> None:
    anon = served.anon()
    anon.headers["Accept"] = "application/json"
    wrong = []
    for (method, path), action in sorted(ENDPOINTS.items()):
        if action == "public":
            continue
        r = anon.request(method, _fill(path, ids))
        if r.status_code != 401:
            wrong.append(f"{method} {path}: {r.status_code}")
        else:
            assert r.json()["error"]["code"] == "unauthorized"
    assert not wrong, wrong


def _message(r: httpx.Response) -> Any:
    try:
        return r.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return None
