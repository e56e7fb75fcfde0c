"""Compliance in the workspace: events import, metrics, checks, signed verdicts, trust."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.conftest import CASE_ID, Served, new_signer, serve, sign_via_api


def ttp_commitment(repo: Path) -> str:
    """The shipped ILLUSTRATIVE commitment, moved to the workspace's case id."""
    doc = json.loads((repo / "examples/istanbul-2025/commitment-ttp.json").read_text("utf-8"))
    doc["case"] = CASE_ID
    return json.dumps(doc)


def sign_pending(c: httpx.Client, pending: dict[str, Any], signer: Any) -> httpx.Response:
    """Sign every message of a pending record with ``signer`` (the mediator's own key)."""
    sigs = [
        base64.b64encode(signer.private_key.sign(base64.b64decode(m))).decode()
        for m in pending["messages"]
    ]
    return c.post(
        f"/api/v1/pending/{pending['id']}/signatures", json={"key": signer.vkey, "sigs": sigs}
    )


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, istanbul_case_path: Path
) -> Iterator[tuple[Served, Any, int]]:
    """A workspace whose case has the TTP commitment in the ledger, countersigned by TUR."""
    repo = istanbul_case_path.parents[2]
    s = serve(tmp_path_factory.mktemp("wsc") / "workspace", istanbul_case_path)
    try:
        med = s.client("med")
        did = med.post(
            f"/api/v1/cases/{CASE_ID}/drafts", json={"commitment": ttp_commitment(repo)}
        ).json()["id"]
        assert sign_via_api(s, "afg", did, "party", "AFG", new_signer("AFG")).status_code == 200
        tur = new_signer("TUR")
        assert sign_via_api(s, "med", did, "mediator", "TUR", tur).status_code == 200
        r = med.post(f"/api/v1/drafts/{did}/submit")
        assert r.status_code == 200, r.text
        yield s, tur, int(r.json()["index"])
    finally:
        s.stop()


def test_import_check_record_and_trust(
    world: tuple[Served, Any, int], data_dir: Path, istanbul_case_path: Path
) -> None:
    s, tur, index = world
    med = s.client("med")
    repo = istanbul_case_path.parents[2]
    # Nothing to check before a metrics file and events exist: the page says why.
    page = med.get(f"/api/v1/cases/{CASE_ID}/compliance").json()
    assert page["commitments"][0]["error"] and page["commitments"][0]["section"] is None
    r = med.post(
        f"/api/v1/cases/{CASE_ID}/metrics",
        json={
            "filename": "metrics.yaml",
            "text": (repo / "examples/istanbul-2025/metrics.yaml").read_text("utf-8"),
        },
    )
    assert r.status_code == 201, r.text
    assert "ttp_events_in_pakistan" in r.json()["metrics"]
    r = med.post(
        f"/api/v1/cases/{CASE_ID}/events",
        json={
            "filename": "ged231-sample.csv",
            "text": (data_dir / "ucdp" / "ged231-sample.csv").read_text("utf-8"),
            "dataset": "ucdp-ged",
            "version": "23.1",
            "actor": "TUR",
        },
    )
    assert r.status_code == 201, r.text
    pending = r.json()
    assert pending["kind"] == "dataset" and len(pending["messages"]) == 1
    # A signature by another key is refused; nothing is imported.
    forged = sign_pending(med, pending, new_signer("TUR"))
    assert forged.status_code == 422, forged.text
    assert s.client("med").get(f"/api/v1/cases/{CASE_ID}/compliance").json()["datasets"] == []
    done = sign_pending(med, pending, tur)
    assert done.status_code == 200, done.text
    record = done.json()["result"]["index"]
    page = med.get(f"/api/v1/cases/{CASE_ID}/compliance").json()
    assert [d["record_index"] for d in page["datasets"]] == [record]
    assert page["datasets"][0]["rows"] == 1000
    c = page["commitments"][0]
    assert c["error"] is None, c
    periods = c["section"]["obligations"][0]["periods"]
    assert len(periods) == 16  # yearly, 2007-2022
    assert all(p["low"] <= p["best"] <= p["high"] for p in periods if p["high"] is not None)
    assert {p["verdict"] for p in periods} <= {"kept", "breached", "undetermined", "no data"}
    spec = c["section"]["charts"][0]["spec"]
    assert "vega-lite" in spec["$schema"]
    # The same numbers as the library's own check (the page is a shell over it).
    from detente.compliance.check import check_commitment
    from detente.compliance.metrics import load_metrics
    from detente.compliance.sources import datasets_from_files, load_commitment_file

    ref = check_commitment(
        load_commitment_file(repo / "examples/istanbul-2025/commitment-ttp.json"),
        load_metrics(repo / "examples/istanbul-2025/metrics.yaml"),
        datasets_from_files([f"ucdp-ged@23.1={data_dir / 'ucdp' / 'ged231-sample.csv'}"]),
    )
    assert [(p["low"], p["best"], p["high"], p["verdict"]) for p in periods] == [
        (p.low, p.best, p.high, p.verdict) for p in ref.obligations[0].periods
    ]
    breached = [p for p in periods if p["verdict"] == "breached"]
    if breached:
        assert c["section"]["breaches"], "a breach lists the events behind it"
    # An observer reads but records nothing; an analyst cannot record verdicts.
    assert s.client("obs").get(f"/cases/{CASE_ID}/compliance").status_code == 200
    r = s.client("ana").post(
        f"/api/v1/cases/{CASE_ID}/verdicts", json={"index": index, "actor": "TUR"}
    )
    assert r.status_code == 403
    r = med.post(f"/api/v1/cases/{CASE_ID}/verdicts", json={"index": index, "actor": "TUR"})
    assert r.status_code == 201, r.text
    pending = r.json()
    assert len(pending["messages"]) == 16
    done = sign_pending(med, pending, tur)
    assert done.status_code == 200, done.text
    indexes = done.json()["result"]["indexes"]
    assert len(indexes) == 16
    page = med.get(f"/api/v1/cases/{CASE_ID}/compliance").json()
    assert sorted(v["index"] for v in page["verdicts"]) == indexes
    assert {v["by"] for v in page["verdicts"]} == {"TUR"}
    trust = {t["party"]: t for t in page["trust"]}
    final = [p for p in periods if p["final"] and p["verdict"] in ("kept", "breached")]
    assert trust["AFG"]["observations"] == len(final)
    # The verdict's receipt verifies against the case's trust policy.
    receipt = med.get(f"/ledger/{indexes[0]}/receipt")
    assert receipt.status_code == 200
    verdict = med.post(f"/api/v1/cases/{CASE_ID}/verify", json={"receipt": receipt.text}).json()
    assert verdict["ok"], verdict
    # Recording again is refused: every verdict is in the log already.
    again = med.post(f"/api/v1/cases/{CASE_ID}/verdicts", json={"index": index, "actor": "TUR"})
    assert again.status_code == 409
    # The HTML page shows the chart, the periods and the recorded verdicts.
    html = med.get(f"/cases/{CASE_ID}/compliance", headers={"Accept": "text/html"}).text
    assert "data-chart" in html and 'id="verdicts"' in html and 'id="trust"' in html


def test_bad_events_file_is_located(world: tuple[Served, Any, int]) -> None:
    s, _, _ = world
    r = s.client("med").post(
        f"/api/v1/cases/{CASE_ID}/events",
        json={
            "filename": "bad.csv",
            "text": "id,date_start\n1,not-a-date\n",
            "dataset": "mine",
            "version": "1",
            "actor": "TUR",
        },
    )
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["diagnostics"] and err["diagnostics"][0]["file"] == "bad.csv"
    traversal = s.client("med").post(
        f"/api/v1/cases/{CASE_ID}/events",
        json={"filename": "../x.csv", "text": "a", "dataset": "d", "version": "1", "actor": "TUR"},
    )
    assert traversal.status_code == 422
    assert traversal.json()["error"]["diagnostics"][0]["code"] == "bad-filename"
    bad_metrics = s.client("med").post(
        f"/api/v1/cases/{CASE_ID}/metrics",
        json={
            "filename": "m.yaml",
            "text": "format: detente.metrics/v1\nmetrics: {x: {count: 1}}\n",
        },
    )
    assert bad_metrics.status_code == 422
    assert bad_metrics.json()["error"]["diagnostics"][0]["line"] is not None


def test_signing_for_an_actor_not_spoken_for_is_refused(world: tuple[Served, Any, int]) -> None:
    s, _, index = world
    r = s.client("med").post(
        f"/api/v1/cases/{CASE_ID}/verdicts", json={"index": index, "actor": "AFG"}
    )
    assert r.status_code == 403


def test_witness_cosignatures_are_collected(tmp_path: Path, world: tuple[Served, Any, int]) -> None:
    """A real C2SP tlog-witness on loopback cosigns the workspace's latest checkpoint."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from detente.ledger.note import ALG_COSIGNATURE_V1, NoteSigner
    from detente.ledger.witness import Witness
    from detente.ledger.witness_http import WitnessServer

    s, _, index = world
    wkey = NoteSigner("witness.test/w1", Ed25519PrivateKey.generate(), ALG_COSIGNATURE_V1)
    server = WitnessServer(
        Witness(wkey, tmp_path / "wstate", {s.ws.origin: [s.ws.log_signer.vkey]}),
        ("127.0.0.1", 0),
    )
    server.serve_in_thread()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        body = {"url": url, "vkey": wkey.vkey}
        for who in ("obs", "ana", "afg"):
            assert (
                s.client(who).post(f"/api/v1/cases/{CASE_ID}/witness", json=body).status_code == 403
            )
        bad = s.client("med").post(
            f"/api/v1/cases/{CASE_ID}/witness", json={"url": "file:///etc", "vkey": wkey.vkey}
        )
        assert bad.status_code == 422
        assert bad.json()["error"]["diagnostics"][0]["code"] == "bad-witness"
        r = s.client("med").post(f"/api/v1/cases/{CASE_ID}/witness", json=body)
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["cosigned_by"] == [url] and report["stored"] == 1, report
        log = s.client("obs").get("/api/v1/ledger").json()
        assert len(log["witness_cosignatures"]) == 1
        assert log["witness_cosignatures"][0].startswith("\u2014 witness.test/w1 ")
        # The configured witness is in the case's policy; a receipt now carries its
        # cosignature and verifies with a quorum of one.
        pol = s.client("obs").get(f"/cases/{CASE_ID}/policy").json()
        assert pol["witnesses"] == [wkey.vkey]
        from detente.ledger.receipt import Policy, verify_receipt

        receipt = s.client("obs").get(f"/ledger/{index}/receipt").text
        verdict = verify_receipt(
            receipt,
            Policy(
                origin=pol["origin"], log_keys=pol["log_keys"], witnesses=pol["witnesses"],
                quorum=1, parties=pol["parties"],
            ),
        )  # fmt: skip
        assert verdict.ok, verdict.to_dict()
        # The admin may collect too (from the configured witnesses).
        again = s.client("admin").post(f"/api/v1/cases/{CASE_ID}/witness", json={})
        assert again.status_code == 200, again.text
        html = s.client("med").get(f"/cases/{CASE_ID}/guarantees", headers={"Accept": "text/html"})
        assert "witness.test/w1" in html.text and 'id="collect-cosignatures"' in html.text
    finally:
        server.shutdown()
        server.server_close()
