"""Security: CSRF, sessions after logout, signing for another actor, escaping, traversal,
size limits, login rate limiting, headers and the one error shape."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from detente.web.app import CSP, MAX_BODY
from tests.web.conftest import (
    CASE_ID,
    COMMITMENT,
    PASSWORD,
    Served,
    new_signer,
    register_via_api,
    sign_via_api,
)


def test_csrf_is_required_on_cookie_writes(served: Served) -> None:
    c = served.login("ana")
    token = c.headers.pop("X-CSRF-Token")
    body = {"kind": "forecast"}
    r = c.post(f"/api/v1/cases/{CASE_ID}/runs", json=body)
    assert r.status_code == 403 and "CSRF" in r.json()["error"]["message"]
    r = c.post(f"/api/v1/cases/{CASE_ID}/runs", json=body, headers={"X-CSRF-Token": "x" + token})
    assert r.status_code == 403
    # A form without its csrf field is refused the same way.
    r = c.post(f"/cases/{CASE_ID}/runs", data={"kind": "forecast"})
    assert r.status_code == 403
    r = c.post(f"/cases/{CASE_ID}/runs", data={"kind": "forecast", "csrf": token})
    assert r.status_code == 200 and "id" in r.json()
    # Every form on every page carries the token.
    page = c.get(f"/cases/{CASE_ID}/runs", headers={"Accept": "text/html"}).text
    assert page.count('name="csrf"') == len(re.findall(r'<form[^>]*method="post"', page)) >= 2
    cookie = c.cookies.get("detente_session")
    assert cookie is not None
    c.close()


def test_session_cookie_flags_and_no_reuse_after_logout(served: Served) -> None:
    c = httpx.Client(base_url=served.url)
    r = c.post("/login", data={"username": "obs", "password": PASSWORD})
    set_cookie = r.history[0].headers["set-cookie"] if r.history else r.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie.replace("Strict", "strict")
    cookie = c.cookies["detente_session"]
    assert c.get("/api/v1/me").status_code == 200
    csrf = c.post("/api/v1/login", json={"username": "obs", "password": PASSWORD}).json()["csrf"]
    cookie = c.cookies["detente_session"]
    assert c.post("/api/v1/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    replay = httpx.Client(base_url=served.url, cookies={"detente_session": cookie})
    assert replay.get("/api/v1/me").status_code == 401
    # A forged or tampered cookie opens nothing either.
    forged = httpx.Client(base_url=served.url, cookies={"detente_session": cookie[:-1] + "0"})
    assert forged.get("/api/v1/me").status_code == 401


def test_api_tokens_are_hashed_scoped_and_revocable(served: Served) -> None:
    ana = served.client("ana")
    tok = ana.post("/api/v1/tokens", json={"name": "script", "scope": "read"}).json()
    raw = tok["token"]
    rows = served.ws.db.query("SELECT token_hash FROM web_tokens")
    assert all(raw not in str(r) for r in rows)  # only the hash is stored
    t = httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {raw}"})
    assert t.get(f"/api/v1/cases/{CASE_ID}").status_code == 200
    assert t.post(f"/api/v1/cases/{CASE_ID}/runs", json={"kind": "forecast"}).status_code == 403
    assert ana.post(f"/api/v1/tokens/{tok['id']}/revoke").status_code == 200
    assert t.get(f"/api/v1/cases/{CASE_ID}").status_code == 401


def test_a_party_cannot_sign_for_another_actor(served: Served) -> None:
    did = (
        served.client("med")
        .post(f"/api/v1/cases/{CASE_ID}/drafts", json={"commitment": COMMITMENT})
        .json()["id"]
    )
    pak = served.client("pak")
    # PAK may not even register a key for AFG...
    r = register_via_api(pak, "AFG", new_signer("AFG"))
    assert r.status_code == 403
    # A key is registered only with its own signature over the registration (proof of
    # possession): none, or one by another key, is refused and nothing is logged.
    mine = new_signer("PAK")
    m = pak.post(
        f"/api/v1/cases/{CASE_ID}/keys/message", json={"actor": "PAK", "vkey": mine.vkey}
    ).json()
    r = pak.post(f"/api/v1/cases/{CASE_ID}/keys", json={"actor": "PAK", "vkey": mine.vkey})
    assert r.status_code == 422 and "proof" in r.json()["error"]["message"]
    forged = base64.b64encode(new_signer("PAK").private_key.sign(base64.b64decode(m["message"])))
    r = pak.post(
        f"/api/v1/cases/{CASE_ID}/keys",
        json={"actor": "PAK", "vkey": mine.vkey, "at": m["at"], "proof": forged.decode()},
    )
    assert r.status_code == 422 and "does not verify" in r.json()["error"]["message"]
    assert not [k for k in pak.get(f"/api/v1/cases/{CASE_ID}/keys").json() if k["actor"] == "PAK"]
    # ...nor sign as AFG with its own registered key.
    assert register_via_api(pak, "PAK", mine).status_code == 201
    msg = base64.b64decode(pak.get(f"/api/v1/drafts/{did}/message").json()["message"])
    sig = base64.b64encode(mine.private_key.sign(msg)).decode()
    r = pak.post(
        f"/api/v1/drafts/{did}/signatures",
        json={"role": "party", "actor": "AFG", "key": mine.vkey, "sig": sig},
    )
    assert r.status_code == 403
    # A signature that does not verify is refused before anything is stored.
    r = pak.post(
        f"/api/v1/drafts/{did}/signatures",
        json={"role": "party", "actor": "PAK", "key": mine.vkey, "sig": sig[:-4] + "AAA="},
    )
    assert r.status_code == 422 and "does not verify" in r.json()["error"]["message"]
    # A valid signature with a key AFG's account never registered is refused.
    other = new_signer("AFG")
    assert sign_via_api(served, "afg", did, "party", "AFG", new_signer("AFG")).status_code == 200
    r = served.client("afg").post(
        f"/api/v1/drafts/{did}/signatures",
        json={
            "role": "party",
            "actor": "AFG",
            "key": other.vkey,
            "sig": base64.b64encode(other.private_key.sign(msg)).decode(),
        },
    )
    assert r.status_code in (409, 422)
    view = served.client("obs").get(f"/api/v1/drafts/{did}").json()
    assert [s["actor"] for s in view["signed"]["signatures"]] == ["AFG"]


def test_html_in_case_text_is_shown_as_text(served: Served, istanbul_case_path: Path) -> None:
    text = istanbul_case_path.read_text(encoding="utf-8")
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    text = text.replace("id: istanbul-2025-round3", "id: evil-case", 1)
    text = text.replace("    name: Pakistan\n", f'    name: "{evil}"\n', 1)
    ana = served.client("ana")
    assert (
        ana.post("/api/v1/cases", json={"filename": "evil.yaml", "text": text}).status_code == 201
    )
    for url in ("/cases/evil-case", "/cases/evil-case/edit?actor=PAK&issue=sanctuaries", "/cases"):
        html = ana.get(url, headers={"Accept": "text/html"}).text
        assert "<script>alert" not in html and "<img src=x" not in html
    html = ana.get("/cases/evil-case", headers={"Accept": "text/html"}).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html.split("</head>", 1)[1]  # no inline script in the body


def test_path_traversal_is_refused(served: Served) -> None:
    ana = served.client("ana")
    for name in ("../../etc/passwd.yaml", "..\\case.yaml", "/etc/case.yaml", "a/../b.yaml", ".."):
        r = ana.post("/api/v1/cases", json={"filename": name, "text": "x: 1"})
        assert (
            r.status_code == 422 and r.json()["error"]["diagnostics"][0]["code"] == "bad-filename"
        )
    r = ana.post(
        "/cases",
        data={"csrf": ana.headers["X-CSRF-Token"]},
        files={"file": ("../../x.yaml", b"x: 1", "text/yaml")},
    )
    assert r.status_code == 422
    for url in (
        "/static/../workspace.sqlite",
        "/static/%2e%2e/workspace.sqlite",
        "/static/..%2f..%2fworkspace.sqlite",
        "/vendor/../brief.py",
        "/ledger/..%2f1/receipt",
        "/runs/..%2f..%2fetc/brief.html",
    ):
        r = httpx.get(served.url + url)
        assert r.status_code == 404, url
        assert b"SQLite" not in r.content


def test_size_limit_rate_limit_headers_and_error_shape(served: Served) -> None:
    ana = served.client("ana")
    big = "x" * (MAX_BODY + 10)
    r = ana.post("/api/v1/cases", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too-large"
    # Login rate limiting: 5 failures, then refused even with the right password.
    c = httpx.Client(base_url=served.url)
    served.ws.create_user(_admin(served), "mallory", PASSWORD)
    codes = [
        c.post("/api/v1/login", json={"username": "mallory", "password": "wrong-one"}).status_code
        for _ in range(6)
    ]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    r = c.post("/api/v1/login", json={"username": "mallory", "password": PASSWORD})
    assert r.status_code == 429
    # Other accounts on the same address still log in.
    assert served.login("obs").get("/api/v1/me").status_code == 200
    # Headers on every page; no inline script allowed by the policy.
    page = ana.get(f"/cases/{CASE_ID}", headers={"Accept": "text/html"})
    assert page.headers["content-security-policy"] == CSP
    assert "'unsafe-inline'" not in CSP.split("script-src", 1)[1].split(";")[0]
    assert page.headers["x-content-type-options"] == "nosniff"
    # One error shape, and a clear HTML page, for every error; never a traceback.
    for r in (
        ana.get("/api/v1/cases/no-such-case"),
        ana.get("/nowhere"),
        ana.post(f"/api/v1/cases/{CASE_ID}/runs", json={"kind": "sweep", "draws": -1}),
    ):
        err = r.json()["error"]
        assert set(err) == {"status", "code", "message", "diagnostics"}
        assert err["status"] == r.status_code and "Traceback" not in r.text
    html = ana.get("/cases/no-such-case", headers={"Accept": "text/html"})
    assert html.status_code == 404 and "<h1>404" in html.text


def _admin(served: Served) -> Any:
    from detente.web.workspace import Principal

    return Principal("admin", True, "token")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"[" * 100_000, "arrays and objects nest too deeply"),
        (b'{"username": ' + b"9" * 5_000 + b"}", "Exceeds the limit (4300 digits)"),
    ],
)
def test_a_body_json_cannot_read_is_a_400_that_says_why(
    served: Served, body: bytes, says: str
) -> None:
    """FastAPI answered these with 'There was an error parsing the body' (code http)."""
    r = served.anon().post(
        "/api/v1/login", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "bad-json" and says in err["message"], err
    assert "Traceback" not in r.text
