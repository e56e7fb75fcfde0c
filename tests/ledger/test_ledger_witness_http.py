"""C2SP tlog-witness over HTTP: every status the spec prescribes, the log's client, the CLI.

The servers listen on 127.0.0.1 with a port the system picks; nothing leaves the machine.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from ledger_helpers import LOG_KEY, ORIGIN, PARTIES, WITNESSES, signed_entry

from detente.cli import cli
from detente.errors import VerificationError
from detente.ledger import merkle
from detente.ledger.log import Ledger
from detente.ledger.note import open_note
from detente.ledger.receipt import Policy, verify_receipt
from detente.ledger.witness import Witness, format_add_checkpoint
from detente.ledger.witness_http import WitnessServer, submit_checkpoint, witness_checkpoint


@pytest.fixture
def served(tmp_path: Path) -> Iterator[list[WitnessServer]]:
    """Three witnesses over HTTP, following the test log, one with a prefix."""
    servers = [
        WitnessServer(
            Witness(w, tmp_path / f"ws{k}", {ORIGIN: [LOG_KEY.vkey]}),
            ("127.0.0.1", 0),
            "/witness/v1" if k == 2 else "",
        )
        for k, w in enumerate(WITNESSES)
    ]
    for s in servers:
        s.serve_in_thread()
    yield servers
    for s in servers:
        s.shutdown()
        s.server_close()


def _ledger(tmp_path: Path, n: int) -> Ledger:
    led = Ledger.create(tmp_path / "h.sqlite", ORIGIN, [LOG_KEY.vkey], check_entries=False)
    led.append_many([signed_entry(i) for i in range(n)])
    return led


def _post(
    server: WitnessServer, body: bytes, path: str | None = None, method: str = "POST"
) -> tuple[int, str, bytes]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=10)
    conn.request(method, path or server.prefix + "/add-checkpoint", body=body)
    resp = conn.getresponse()
    out = resp.status, resp.getheader("Content-Type") or "", resp.read()
    conn.close()
    return out


def test_every_status_of_add_checkpoint(tmp_path: Path, served: list[WitnessServer]) -> None:
    w = served[0]
    led = _ledger(tmp_path, 4)
    note4 = led.checkpoint([LOG_KEY])
    status, ctype, body = _post(w, format_add_checkpoint(0, [], note4).encode())
    assert status == 200 and ctype.startswith("text/plain")
    line = body.decode()
    assert line.startswith("\u2014 w0.example ") and line.endswith("\n")
    _, verified, _ = open_note(note4 + line, [WITNESSES[0].vkey])
    assert [v.name for v in verified] == ["w0.example"]
    # Stale old size: 409 with the size the witness last cosigned, as text/x.tlog.size.
    led.append(signed_entry(10))
    note5 = led.checkpoint([LOG_KEY])
    assert _post(w, format_add_checkpoint(0, [], note5).encode()) == (
        409,
        "text/x.tlog.size",
        b"4\n",
    )
    # Same size, another root (a split view): 409, not a size body.
    fork = Ledger.create(tmp_path / "fork.sqlite", ORIGIN, [LOG_KEY.vkey], check_entries=False)
    fork.append_many([signed_entry(100 + i) for i in range(4)])
    status, ctype, body = _post(
        w, format_add_checkpoint(4, [], fork.checkpoint([LOG_KEY])).encode()
    )
    assert status == 409 and not ctype.startswith("text/x.tlog.size") and b"split view" in body
    # A proof that does not verify: 422.
    bad = format_add_checkpoint(4, [merkle.EMPTY_ROOT], note5).encode()
    assert _post(w, bad)[0] == 422
    # Malformed body, old size above the checkpoint, not UTF-8: 400.
    assert _post(w, b"old 01\n\n" + note5.encode())[0] == 400
    assert _post(w, format_add_checkpoint(9, [], note5).encode())[0] == 400
    assert _post(w, b"\xff\xfe")[0] == 400
    # Unknown origin: 404; a signature that fails or no trusted one: 403.
    stranger = note5.replace(ORIGIN, "other.example/log", 1)
    assert _post(w, format_add_checkpoint(0, [], stranger).encode())[0] == 404
    tampered = note5.replace("\n5\n", "\n6\n", 1)
    assert _post(w, format_add_checkpoint(4, [], tampered).encode())[0] == 403
    # Other paths and methods; a negative length is refused, not waited for.
    assert _post(w, b"", path="/nothing")[0] == 404
    host, port = w.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=10)
    conn.putrequest("POST", "/add-checkpoint")
    conn.putheader("Content-Length", "-5")
    conn.endheaders()
    assert conn.getresponse().status == 400
    conn.close()
    assert _post(w, b"", method="GET")[0] == 405
    # After all that, the honest update still goes through from size 4.
    ok = format_add_checkpoint(4, led.consistency_proof(4, 5), note5).encode()
    assert _post(w, ok)[0] == 200
    assert w.witness.last_seen(ORIGIN) == (5, led.root(5))


def test_the_client_learns_the_witness_size_and_retries(
    tmp_path: Path, served: list[WitnessServer]
) -> None:
    led = _ledger(tmp_path, 3)
    note3 = led.checkpoint([LOG_KEY])
    assert len(submit_checkpoint(led, served[0].url, note3)) == 1
    led.append_many([signed_entry(20 + i) for i in range(4)])
    note7 = led.checkpoint([LOG_KEY])
    # The client does not know the witness saw size 3: it asks from 0, gets 409 "3",
    # and retries with the proof from 3.
    lines = submit_checkpoint(led, served[0].url, note7)
    assert lines[0].startswith("\u2014 w0.example ")
    assert served[0].witness.last_seen(ORIGIN) == (7, led.root(7))
    with pytest.raises(VerificationError, match="cannot connect"):
        submit_checkpoint(led, "http://127.0.0.1:1", note7, timeout=2)
    with pytest.raises(VerificationError, match="must start with http"):
        submit_checkpoint(led, "ftp://example.org", note7)


def test_witnessed_over_http_the_receipt_verifies_offline(
    tmp_path: Path, served: list[WitnessServer]
) -> None:
    led = _ledger(tmp_path, 5)
    led.checkpoint([LOG_KEY])
    report = witness_checkpoint(
        led, [s.url for s in served] + ["http://127.0.0.1:1"], [w.vkey for w in WITNESSES], 2.0
    )
    assert report["size"] == 5 and report["stored"] == 3
    assert report["cosigned_by"] == [s.url for s in served]
    assert list(report["failed"]) == ["http://127.0.0.1:1"]
    policy = Policy(
        origin=ORIGIN,
        log_keys=[LOG_KEY.vkey],
        witnesses=[w.vkey for w in WITNESSES],
        quorum=3,
        parties={a: [s.vkey] for a, s in PARTIES.items()},
    )
    v = verify_receipt(led.receipt(2), policy)
    assert v.ok, v.reason
    assert v.details["witnesses"] == ["w0.example", "w1.example", "w2.example"]


def test_cli_serve_and_witness(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DETENTE_PASSPHRASE": "test passphrase",
        "DETENTE_KEYS": str(tmp_path / "keys"),
    }
    runner = CliRunner(env=env)

    def run(*args: object, code: int = 0) -> str:
        res = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert res.exit_code == code, res.output
        return res.output

    origin = "http.example/log"
    log_vkey = run("keys", "new", origin).strip()
    w_vkey = run("keys", "new", "w1.example", "--witness").strip()
    db = tmp_path / "l.sqlite"
    run("ledger", "init", db, "--origin", origin, "--key", origin)
    run("ledger", "checkpoint", db, "--key", origin)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "detente",
            "witness",
            "serve",
            "--key",
            "w1.example",
            "--state",
            str(tmp_path / "ws"),
            "--log",
            log_vkey,
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first = proc.stdout.readline() if proc.stdout else ""
        assert "listening on http://127.0.0.1:" in first, first
        url = first.split(" on ", 1)[1].strip().removesuffix("/add-checkpoint")
        out = run("ledger", "witness", db, "--url", url, "--witness-key", w_vkey)
        assert json.loads(out)["cosigned_by"] == [url]
        out = run(
            "ledger", "witness", db, "--url", "http://127.0.0.1:1", "--witness-key", w_vkey, code=1
        )
        assert "cannot connect" in json.loads(out)["failed"]["http://127.0.0.1:1"]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "Traceback" not in err
    assert "POST /add-checkpoint 200" in err  # one line per request answered
    assert run("ledger", "show", db, "--format", "json")  # the ledger is still readable
    cosigned = Ledger.open(db).cosigned_checkpoint()
    _, verified, _ = open_note(cosigned, [w_vkey])
    assert [v.name for v in verified] == ["w1.example"]


def test_concurrent_requests_never_roll_the_witness_back(
    tmp_path: Path, served: list[WitnessServer]
) -> None:
    # tlog-witness: checking the old size and persisting must be atomic, or a slow request
    # for size N could overwrite a fast one for N + K. Requests for every size race here.
    from concurrent.futures import ThreadPoolExecutor

    led = _ledger(tmp_path, 1)
    notes = {1: led.checkpoint([LOG_KEY])}
    for size in range(2, 25):
        led.append(signed_entry(size))
        notes[size] = led.checkpoint([LOG_KEY])
    w = served[1]
    assert _post(w, format_add_checkpoint(0, [], notes[1]).encode())[0] == 200
    bodies = [
        (new, format_add_checkpoint(old, led.consistency_proof(old, new), notes[new]).encode())
        for old in range(1, 24)
        for new in range(old + 1, min(old + 4, 25))
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda b: (b[0], _post(w, b[1])[0]), bodies))
    accepted = [size for size, status in results if status == 200]
    assert {status for _, status in results} <= {200, 409}
    assert accepted and len(accepted) == len(set(accepted))  # each size cosigned once at most
    assert w.witness.last_seen(ORIGIN) == (max(accepted), led.root(max(accepted)))
