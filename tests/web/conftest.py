"""Fixtures for the web tests: a real uvicorn on a free loopback port over a fresh workspace."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from detente.web.app import create_app
from detente.web.workspace import Workspace

PASSWORD = "correct horse battery"
CASE_ID = "istanbul-2025-round3"

# Accounts every served workspace gets: name -> (roles on the Istanbul case, global roles).
ACCOUNTS: dict[str, tuple[list[str], list[str]]] = {
    "ana": ([], ["analyst"]),
    "obs": ([], ["observer"]),
    "afg": (["party:AFG"], []),
    "pak": (["party:PAK"], []),
    "med": (["mediator"], []),
    "nobody": ([], []),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running server, its workspace, and logged-in clients by account."""

    url: str
    ws: Workspace
    server: uvicorn.Server
    thread: threading.Thread
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def login(self, name: str, password: str = PASSWORD) -> httpx.Client:
        c = httpx.Client(base_url=self.url, timeout=60)
        r = c.post("/api/v1/login", json={"username": name, "password": password})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf"]
        c.headers["Accept"] = "application/json"
        return c

    def client(self, name: str) -> httpx.Client:
        if name not in self.clients:
            self.clients[name] = self.login(name)
        return self.clients[name]

    def anon(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    def stop(self) -> None:
        for c in self.clients.values():
            c.close()
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.ws.close()


STATEMENTS_EMBEDDER = "none"
"""The tests code statements with the rules and the logistic model alone: fitting the
embedding model takes a minute of CPU per process (the server default is ``auto``)."""


def serve(location: str | Path, istanbul: Path) -> Served:
    """Start uvicorn on a free port over ``location`` with the test accounts and the case."""
    ws = Workspace(location)
    ws.create_admin("admin", PASSWORD)
    app = create_app(ws, threads=2, statements_embedder=STATEMENTS_EMBEDDER)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    s = Served(f"http://127.0.0.1:{port}", ws, server, thread)
    admin = s.client("admin")
    for name, (_, global_roles) in ACCOUNTS.items():
        assert (
            admin.post("/api/v1/users", json={"username": name, "password": PASSWORD}).status_code
            == 201
        )
        for role in global_roles:
            r = admin.post(f"/api/v1/users/{name}/roles", json={"case": "*", "role": role})
            assert r.status_code == 200, r.text
    r = s.client("ana").post(
        "/api/v1/cases",
        json={"filename": "case.yaml", "text": istanbul.read_text(encoding="utf-8")},
    )
    assert r.status_code == 201, r.text
    for name, (case_roles, _) in ACCOUNTS.items():
        for role in case_roles:
            r = admin.post(f"/api/v1/users/{name}/roles", json={"case": CASE_ID, "role": role})
            assert r.status_code == 200, r.text
    return s


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory, istanbul_case_path: Path) -> Iterator[Served]:
    """A server over a SQLite workspace shared by the tests that do not need a fresh one."""
    s = serve(tmp_path_factory.mktemp("ws") / "workspace", istanbul_case_path)
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def any_backend(
    request: pytest.FixtureRequest, tmp_path: Path, istanbul_case_path: Path
) -> Iterator[Served]:
    """A fresh server on each backend: a SQLite folder, then a PostgreSQL database."""
    if request.param == "postgres":
        location: str | Path = request.getfixturevalue("pg_url")
    else:
        location = tmp_path / "workspace"
    s = serve(location, istanbul_case_path)
    try:
        yield s
    finally:
        s.stop()


def wait_run(c: httpx.Client, rid: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = c.get(f"/api/v1/runs/{rid}").json()
        if run["status"] not in ("queued", "running"):
            return dict(run)
        time.sleep(0.05)
    raise AssertionError(f"run {rid} did not finish")


COMMITMENT = """
id: demo-guarantee-1
label: "ILLUSTRATIVE EXAMPLE — not a real agreement"
case: istanbul-2025-round3
committing_party: AFG
beneficiaries: [PAK]
text: "ILLUSTRATIVE EXAMPLE. Kabul undertakes that Afghan territory will not be used by the TTP."
obligations:
  - id: no-attacks
    text: No cross-border attacks attributed to the TTP.
    indicator: {metric: attacks, comparison: "<=", threshold: 0, period: P30D}
start: 2025-11-07
guarantors: [TUR, QAT]
"""


@pytest.fixture
def make_signer() -> Callable[[str], Any]:
    """``make_signer(actor)``: a fresh Ed25519 note signer (the party's own key)."""
    return new_signer


def sign_via_api(
    s: Served, who: str, did: str, role: str, actor: str, signer: Any
) -> httpx.Response:
    """Register ``signer``'s public key for ``actor`` as ``who``, sign the draft, upload."""
    import base64

    c = s.client(who)
    r = register_via_api(c, actor, signer)
    assert r.status_code == 201, r.text
    got = c.get(f"/api/v1/drafts/{did}/message", params={"role": role})
    assert got.status_code == 200, got.text
    sig = base64.b64encode(signer.private_key.sign(base64.b64decode(got.json()["message"])))
    return c.post(
        f"/api/v1/drafts/{did}/signatures",
        json={"role": role, "actor": actor, "key": signer.vkey, "sig": sig.decode()},
    )


def register_via_api(c: httpx.Client, actor: str, signer: Any) -> httpx.Response:
    """Register ``signer``'s key for ``actor`` as a client does: fetch the registration
    message, sign it with the key (proof of possession), post the signature."""
    import base64

    m = c.post(f"/api/v1/cases/{CASE_ID}/keys/message", json={"actor": actor, "vkey": signer.vkey})
    if m.status_code != 200:
        return m
    proof = base64.b64encode(signer.private_key.sign(base64.b64decode(m.json()["message"])))
    return c.post(
        f"/api/v1/cases/{CASE_ID}/keys",
        json={"actor": actor, "vkey": signer.vkey, "at": m.json()["at"], "proof": proof.decode()},
    )


def new_signer(actor: str) -> Any:
    """A fresh Ed25519 note signer: the party's own key, never given to the server."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from detente.ledger.note import NoteSigner

    return NoteSigner(actor, Ed25519PrivateKey.generate())


def appended_entry(s: Served) -> tuple[str, int]:
    """A commitment drafted, signed by AFG, countersigned by TUR and appended."""
    did = (
        s.client("med")
        .post(f"/api/v1/cases/{CASE_ID}/drafts", json={"commitment": COMMITMENT})
        .json()["id"]
    )
    assert sign_via_api(s, "afg", did, "party", "AFG", new_signer("AFG")).status_code == 200
    assert sign_via_api(s, "med", did, "mediator", "TUR", new_signer("TUR")).status_code == 200
    r = s.client("med").post(f"/api/v1/drafts/{did}/submit")
    assert r.status_code == 200, r.text
    return did, int(r.json()["index"])
