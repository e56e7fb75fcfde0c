"""Cached pages: rendered bytes per case version and principal, ETag/304, Server-Timing."""

from __future__ import annotations

import re

from tests.web.conftest import CASE_ID, Served, wait_run

HTML = {"Accept": "text/html"}


def test_case_page_is_cached_per_version_and_principal(served: Served) -> None:
    obs, ana = served.client("obs"), served.client("ana")
    first = obs.get(f"/cases/{CASE_ID}", headers=HTML)
    assert first.status_code == 200
    assert re.fullmatch(r"app;dur=\d+\.\d\d", first.headers["server-timing"])
    again = obs.get(f"/cases/{CASE_ID}", headers=HTML)
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == "no-store"
    not_modified = obs.get(
        f"/cases/{CASE_ID}", headers={**HTML, "If-None-Match": first.headers["etag"]}
    )
    assert not_modified.status_code == 304 and not_modified.content == b""
    # Another account gets its own page (its name, its CSRF token, its buttons).
    theirs = ana.get(f"/cases/{CASE_ID}", headers=HTML)
    assert theirs.headers["etag"] != first.headers["etag"]
    assert 'id="edit-link"' in theirs.text and 'id="edit-link"' not in first.text
    # The guard runs before the cache: an account without a role still gets 404.
    assert served.client("nobody").get(f"/cases/{CASE_ID}", headers=HTML).status_code == 404
    # The JSON twin is cached apart from the HTML.
    twin = obs.get(f"/cases/{CASE_ID}.json")
    assert twin.headers["content-type"].startswith("application/json")
    assert twin.json()["id"] == CASE_ID


def test_a_new_version_is_a_new_page(served: Served) -> None:
    obs, ana = served.client("obs"), served.client("ana")
    before = obs.get(f"/cases/{CASE_ID}", headers=HTML)
    version = ana.get(f"/api/v1/cases/{CASE_ID}").json()["version"]
    r = ana.post(
        f"/api/v1/cases/{CASE_ID}/positions",
        json={
            "version": version,
            "actor": "PAK",
            "issue": "sanctuaries",
            "salience": "0.9" if "0.9" not in before.text else "0.91",
        },
    )
    assert r.status_code == 200, r.text
    after = obs.get(f"/cases/{CASE_ID}", headers=HTML)
    assert after.headers["etag"] != before.headers["etag"]
    assert f"Version {r.json()['version']} by" in after.text
    old = obs.get(f"/cases/{CASE_ID}", params={"version": version}, headers=HTML)
    assert f"Version {version} by" in old.text


def test_run_page_cached_only_once_finished(served: Served) -> None:
    ana = served.client("ana")
    rid = ana.post(
        f"/api/v1/cases/{CASE_ID}/runs", json={"kind": "sweep", "draws": 20000, "seed": 5}
    ).json()["id"]
    live = ana.get(f"/runs/{rid}", headers=HTML)
    if 'data-status="running"' in live.text or 'data-status="queued"' in live.text:
        assert "etag" not in live.headers  # progress changes: not cached
    wait_run(ana, rid)
    done = ana.get(f"/runs/{rid}", headers=HTML)
    assert 'data-status="done"' in done.text and "etag" in done.headers
    assert ana.get(f"/runs/{rid}", headers=HTML).headers["etag"] == done.headers["etag"]
