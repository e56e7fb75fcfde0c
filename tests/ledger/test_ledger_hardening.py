"""Issue 12 Medium 4-9 and Low items: one regression test per finding."""

from __future__ import annotations

import base64
import http.client
import os
import resource
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from ledger_helpers import (
    LOG_KEY,
    N_KEYS,
    ORIGIN,
    WITNESSES,
    bound_ledger,
    init_cli_ledger,
    seeded_signer,
    signed_entry,
)

from detente.cli import cli
from detente.errors import StorageError, VerificationError
from detente.ledger.keys import KeyStore, read_passphrase
from detente.ledger.log import Ledger
from detente.ledger.note import _cosigned_message
from detente.ledger.receipt import Policy, verify_receipt
from detente.ledger.witness import Witness, WitnessRefusal, format_add_checkpoint
from detente.ledger.witness_http import WitnessServer

WRITER = Path(__file__).with_name("ledger_writer.py")


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DETENTE_PASSPHRASE", "pw")
    monkeypatch.setenv("DETENTE_KEYS", str(tmp_path / "keys"))
    runner = CliRunner()

    def _run(*args: object, code: int = 0) -> str:
        res = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert res.exit_code == code, res.output
        assert "Traceback" not in res.output
        return res.output

    return _run


def _checkpointed(tmp_path: Path) -> tuple[Ledger, str]:
    led = bound_ledger(tmp_path / "l.sqlite")
    led.append(signed_entry(0))
    note = led.checkpoint([LOG_KEY])
    return led, note


# -- Medium 4: quorums counted per key ----------------------------------------------------
def test_one_witness_key_under_two_names_counts_once(tmp_path: Path) -> None:
    w = WITNESSES[0]
    alias = seeded_signer("alias.example", 20, 0x04)  # the same private key, another name
    assert alias.public_key == w.public_key
    with pytest.raises(VerificationError, match="repeats another witness's public key"):
        Policy(origin=ORIGIN, log_keys=[LOG_KEY.vkey], witnesses=[w.vkey, alias.vkey], quorum=2)
    # The cosignature message does not name the witness: the same signature relabelled
    # verifies under the alias, so only counting by key keeps one witness one vote.
    led, note = _checkpointed(tmp_path)
    line = Witness(w, tmp_path / "ws", {ORIGIN: [LOG_KEY.vkey]}).add_checkpoint(
        format_add_checkpoint(0, [], note), timestamp=1_700_000_000
    )
    blob = base64.b64decode(line.rsplit(" ", 1)[1])
    relabelled = (
        f"\u2014 alias.example "
        f"{base64.b64encode(struct.pack('>I', alias.key_id) + blob[4:]).decode()}"
    )
    led.add_cosignatures(note + line + "\n", [w.vkey])
    text = led.receipt(N_KEYS).replace(line + "\n", line + "\n" + relabelled + "\n")
    v = verify_receipt(
        text, Policy(origin=ORIGIN, log_keys=[LOG_KEY.vkey], witnesses=[w.vkey], quorum=1)
    )
    assert v.ok and v.details["witnesses"] == ["w0.example"]


# -- Medium 5: the log key bound to its origin and type -----------------------------------
def test_log_keys_must_be_type_1_and_named_after_the_origin(tmp_path: Path, run) -> None:
    with pytest.raises(VerificationError, match="not an Ed25519 signed-note key"):
        Policy(origin=WITNESSES[0].name, log_keys=[WITNESSES[0].vkey])
    with pytest.raises(VerificationError, match="not after the log's origin"):
        Policy(origin=ORIGIN, log_keys=[seeded_signer("other.example/log", 3).vkey])
    led, _ = _checkpointed(tmp_path)
    with pytest.raises(VerificationError, match="type 0x01"):
        led.add_log_key(seeded_signer(ORIGIN, 4, 0x04).vkey)
    receipt = tmp_path / "r.proof"
    receipt.write_text(led.receipt(N_KEYS))
    other = seeded_signer("other.example/log", 3).vkey
    out = run("verify", receipt, "--origin", ORIGIN, "--log-key", other, code=2)
    assert "not after the log's origin" in out


# -- Medium 6: spec details ----------------------------------------------------------------
def test_cosignature_timestamps_beyond_2_63_are_refused(tmp_path: Path) -> None:
    led, note = _checkpointed(tmp_path)
    w = WITNESSES[0]
    text = note.split("\n\n")[0] + "\n"
    ts = 2**63
    sig = w.private_key.sign(_cosigned_message(text, ts))
    blob = struct.pack(">I", w.key_id) + struct.pack(">Q", ts) + sig
    forged = note + f"\u2014 {w.name} {base64.b64encode(blob).decode()}\n"
    with pytest.raises(VerificationError, match="exceeds 2\\^63-1"):
        led.add_cosignatures(forged, [w.vkey])


def test_witness_requests_need_ascii_digits(tmp_path: Path) -> None:
    _, note = _checkpointed(tmp_path)
    w = Witness(WITNESSES[0], tmp_path / "ws", {ORIGIN: [LOG_KEY.vkey]})
    with pytest.raises(WitnessRefusal, match="old <size>"):
        w.add_checkpoint("old \u0660\n\n" + note)
    with pytest.raises(WitnessRefusal, match="beyond"):
        w.add_checkpoint("old " + "9" * 30 + "\n\n" + note)


def test_cli_reads_receipts_as_bytes_and_refuses_crlf(tmp_path: Path, run) -> None:
    led, _ = _checkpointed(tmp_path)
    receipt = tmp_path / "r.proof"
    receipt.write_bytes(led.receipt(N_KEYS).replace("\n", "\r\n").encode())
    out = run("verify", receipt, "--origin", ORIGIN, "--log-key", LOG_KEY.vkey, code=1)
    assert out.startswith("INVALID: receipt:") and "carriage return" in out
    receipt.write_bytes(b"\xff\xfe" + led.receipt(N_KEYS).encode())
    out = run("verify", receipt, "--origin", ORIGIN, "--log-key", LOG_KEY.vkey, code=1)
    assert "not valid UTF-8" in out


# -- Medium 7: durable and bounded witness -------------------------------------------------
def test_witness_state_writes_leave_no_temporary_file(tmp_path: Path) -> None:
    _, note = _checkpointed(tmp_path)
    state = tmp_path / "ws"
    state.mkdir()
    (state / "stale.tmp").write_text("left by a crash")  # must not block the next write
    w = Witness(WITNESSES[0], state, {ORIGIN: [LOG_KEY.vkey]})
    w.add_checkpoint(format_add_checkpoint(0, [], note))
    names = sorted(p.name for p in state.iterdir())
    assert [n for n in names if n.endswith(".tmp") and n != "stale.tmp"] == []
    assert w.last_seen(ORIGIN) is not None


def test_witness_server_times_out_stalled_clients_and_caps_connections(tmp_path: Path) -> None:
    _, note = _checkpointed(tmp_path)
    w = Witness(WITNESSES[0], tmp_path / "ws", {ORIGIN: [LOG_KEY.vkey]})
    # The timeout leaves slack for a loaded CI machine: the extra connection must arrive
    # while the four stalled ones still hold their slots.
    server = WitnessServer(w, ("127.0.0.1", 0), timeout=3.0, max_connections=4)
    server.serve_in_thread()
    host, port = server.server_address[:2]
    try:
        stalled = [socket.create_connection((str(host), port)) for _ in range(4)]
        for s in stalled:
            s.sendall(b"POST /add-checkpoint HTTP/1.1\r\n")  # and never finish
        deadline = time.monotonic() + 2.0
        while server._slots._value > 0 and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.01)  # until the server has taken all four
        extra = socket.create_connection((str(host), port))
        extra.settimeout(5)
        assert extra.recv(100).startswith(b"HTTP/1.1 503")
        extra.close()
        for s in stalled:  # the server hangs up on each after its timeout
            s.settimeout(5)
            while s.recv(4096):
                pass
            s.close()
        # Slots are free again, and one keep-alive connection serves many requests.
        conn = http.client.HTTPConnection(str(host), port, timeout=5)
        for _ in range(20):
            conn.request("GET", "/add-checkpoint")
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 405
        conn.close()
    finally:
        server.shutdown()
        server.server_close()


# -- Medium 8: backups ---------------------------------------------------------------------
def test_backup_contains_what_was_acknowledged_after_kill_9(tmp_path: Path, run) -> None:
    db = tmp_path / "l.sqlite"
    Ledger.create(db, ORIGIN, [LOG_KEY.vkey], check_entries=False).close()
    p = subprocess.Popen(
        [sys.executable, str(WRITER), str(db), "w", "-1", "1"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=WRITER.parent,
    )
    assert p.stdout is not None
    acked = [p.stdout.readline() for _ in range(30)]
    os.kill(p.pid, signal.SIGKILL)
    p.communicate()
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(db.read_bytes())  # the main file alone: the WAL is left behind
    n_copy = sqlite3.connect(copy).execute("SELECT COUNT(*) FROM leaves").fetchone()[0]
    out = run("ledger", "backup", db, tmp_path / "b.sqlite")
    led = Ledger.open(tmp_path / "b.sqlite", check_entries=False)
    for line in acked:
        _, idx, item = line.split()
        assert led.entry(int(idx)) == item.encode()
    assert led.fsck(check_signatures=False).ok
    assert f"{led.size} entries" in out and n_copy < led.size
    assert "never overwrites" in run("ledger", "backup", db, tmp_path / "b.sqlite", code=2)
    assert "pg_dump" in run("ledger", "backup", "postgresql:///x", tmp_path / "p", code=2)


# -- Medium 9: acknowledged submissions a client can prove ---------------------------------
def test_submit_can_wait_for_a_signed_checkpoint(tmp_path: Path, run) -> None:
    origin = "cli.example/log"
    for name in (origin, "AFG", "TUR"):
        run("keys", "new", name)
    db = tmp_path / "l.sqlite"
    init_cli_ledger(run, db, origin, "TUR", ("AFG",))
    src = tmp_path / "c.json"
    src.write_text(
        '{"id": "c1", "committing_party": "AFG", "beneficiaries": ["PAK"], "text": "t",'
        ' "obligations": [{"id": "o", "text": "t", "indicator": {"metric": "m",'
        ' "comparison": "<=", "threshold": 0, "period": "P30D"}}], "start": "2025-11-07",'
        ' "guarantors": ["TUR"]}'
    )
    draft = tmp_path / "d.json"
    run("ledger", "draft", src, "--out", draft)
    run("ledger", "sign", draft, "--actor", "AFG", "--key", "AFG")
    run("ledger", "countersign", draft, "--actor", "TUR", "--key", "TUR")
    receipt = tmp_path / "ack.tlog-proof"
    out = run("ledger", "submit", db, draft, "--checkpoint-key", origin, "--receipt-out", receipt)
    assert out.startswith("index 2 ")
    log_vkey = run("keys", "export", origin).strip()
    ok = run("verify", receipt, "--origin", origin, "--log-key", log_vkey)
    assert ok.startswith("VALID") and "entry 2 of cli.example/log at size 3" in ok


# -- Low ------------------------------------------------------------------------------------
def test_damaged_key_files_are_clear_errors(tmp_path: Path, run) -> None:
    run("keys", "new", "K")
    path = tmp_path / "keys" / "K.key"
    good = path.read_text()
    for damage in (
        good[: len(good) // 2],
        good.replace('"n": 32768', '"n": "lots"'),
        good.replace('"ciphertext": "', '"ciphertext": "!'),
        "[]",
        "\xff",
    ):
        path.write_text(damage, encoding="utf-8", errors="surrogateescape")
        out = run("ledger", "checkpoint", tmp_path / "none.sqlite", "--key", "K", code=2)
        assert "K.key" in out


def test_keys_new_is_not_blocked_by_a_stale_temporary_file(tmp_path: Path, run) -> None:
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    (keys / "K.tmp").write_text("stale")
    (keys / ".K.key.abcd.tmp").write_text("stale")
    assert run("keys", "new", "K").startswith("K+")
    assert "already exists" in run("keys", "new", "K", code=2)


def test_keys_rotate_killed_mid_write_always_leaves_a_current_key(tmp_path: Path) -> None:
    env = {**os.environ, "DETENTE_PASSPHRASE": "pw", "DETENTE_KEYS": str(tmp_path / "keys")}
    store = KeyStore(tmp_path / "keys")
    store.new("K", b"pw")
    for k in range(10):
        p = subprocess.Popen(
            [sys.executable, "-m", "detente", "keys", "rotate", "K"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.3 + 0.05 * k)
        p.send_signal(signal.SIGKILL)
        p.wait()
        assert store.signer("K", b"pw").name == "K"  # a current key, whatever the moment


def test_a_full_disk_is_a_clear_error(tmp_path: Path) -> None:
    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))

    env = {**os.environ, "DETENTE_PASSPHRASE": "pw", "DETENTE_KEYS": str(tmp_path / "keys")}
    done = subprocess.run(
        [sys.executable, "-m", "detente", "keys", "new", "K"],
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "cannot write" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / "keys" / "K.key").exists()


def test_wrongly_typed_json_policies_are_clear_errors(tmp_path: Path, run) -> None:
    led, _ = _checkpointed(tmp_path)
    receipt = tmp_path / "r.proof"
    receipt.write_text(led.receipt(N_KEYS))
    for doc, field in (
        ('{"log": {"origin": 5, "keys": []}}', "log.origin"),
        ('{"log": {"origin": "o", "keys": "k"}}', "log.keys"),
        ('{"log": [], "quorum": 1}', "log"),
        ('{"log": {"origin": "o", "keys": ["k"]}, "quorum": "2"}', "quorum"),
        ('{"log": {"origin": "o", "keys": ["k"]}, "parties": {"AFG": "k"}}', "parties"),
    ):
        (tmp_path / "p.json").write_text(doc)
        out = run("verify", receipt, "--policy", tmp_path / "p.json", code=2)
        assert f"policy field {field} must be" in out


def test_postgres_refuses_fsync_off_unless_told(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from detente.ledger.postgres import UNSAFE_FSYNC_ENV, PostgresStorage

    monkeypatch.delenv(UNSAFE_FSYNC_ENV)
    with pytest.raises(StorageError, match="fsync=off"):
        PostgresStorage(pg_url, create=True)
    monkeypatch.setenv(UNSAFE_FSYNC_ENV, "1")
    PostgresStorage(pg_url, create=True).close()


def test_passwords_in_urls_are_never_printed(tmp_path: Path) -> None:
    url = f"postgresql://u@/nothing?host={tmp_path}&port=1&password=s3cret"
    with pytest.raises(StorageError) as err:
        Ledger.open(url)
    assert "s3cret" not in str(err.value) and "password=***" in str(err.value)


def test_world_readable_key_files_are_warned_about(tmp_path: Path, run) -> None:
    run("keys", "new", "origin.example")
    (tmp_path / "keys" / "origin.example.key").chmod(0o644)
    db = tmp_path / "l.sqlite"
    run("ledger", "init", db, "--origin", "origin.example", "--key", "origin.example")
    out = run("ledger", "checkpoint", db, "--key", "origin.example")
    assert "readable by others" in out


def test_add_cosignatures_stores_only_lines_that_verify(tmp_path: Path) -> None:
    led, note = _checkpointed(tmp_path)
    w = WITNESSES[0]
    line = Witness(w, tmp_path / "ws", {ORIGIN: [LOG_KEY.vkey]}).add_checkpoint(
        format_add_checkpoint(0, [], note), timestamp=1_700_000_000
    )
    blob = bytearray(base64.b64decode(line.rsplit(" ", 1)[1]))
    blob[-1] ^= 1
    # Same name, another key id: an unknown key for open_note, but it shares the name.
    blob[0] ^= 1
    forged = f"\u2014 {w.name} {base64.b64encode(bytes(blob)).decode()}"
    assert led.add_cosignatures(note + line + "\n" + forged + "\n", [w.vkey]) == 1
    assert led.storage.cosignatures(led.latest_checkpoint()[0]) == [line]  # type: ignore[index]


def test_draft_errors_are_located_and_nothing_is_written(tmp_path: Path, run) -> None:
    src = tmp_path / "c.yaml"
    src.write_text(
        "id: x\ncommitting_party: AFG\nbeneficiaries: [PAK]\ntext: t\nobligations:\n"
        "  - id: o\n    text: t\n    indicator: {metric: m, comparison: '<=', threshold: 0,"
        " period: P30D}\nstart: 2025-13-01\n"
    )
    out_file = tmp_path / "d.json"
    out = run("ledger", "draft", src, "--out", out_file, code=2)
    assert f"{src}:9:8" in out and "start" in out
    assert not out_file.exists()
    src.write_text("id: [unclosed\n")
    assert f"{src}:2:1" in run("ledger", "draft", src, "--out", out_file, code=2)
    js = tmp_path / "c.json"
    js.write_text('{"id": "x",\n "start": }')
    assert f"{js}:2:11" in run("ledger", "draft", js, "--out", out_file, code=2)
    js.write_text('{"id": "x",\n "obligations": [],\n "start": "2025-02-30"}')
    out = run("ledger", "draft", js, "--out", out_file, code=2)
    assert f"{js}:2:17" in out and f"{js}:3:11" in out
    assert not out_file.exists()


def test_the_passphrase_can_come_from_a_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DETENTE_PASSPHRASE", raising=False)
    assert read_passphrase(None, prompt=lambda: "typed") == b"typed"
    with pytest.raises(StorageError, match="no passphrase"):
        read_passphrase(None, prompt=lambda: "")


def test_a_log_made_without_a_mediator_can_get_its_genesis_later(tmp_path: Path, run) -> None:
    for name in ("o.example", "TUR", "AFG"):
        run("keys", "new", name)
    db = tmp_path / "l.sqlite"
    assert "no key is registered yet" in run(
        "ledger", "init", db, "--origin", "o.example", "--key", "o.example"
    )
    assert "--by" in run("ledger", "register", db, "--actor", "AFG", "--key", "AFG", code=2)
    assert run("ledger", "register", db, "--genesis", "--actor", "TUR", "--key", "TUR").startswith(
        "index 0 registered TUR"
    )
    run(
        "ledger", "register", db, "--actor", "AFG", "--key", "AFG", "--by", "TUR", "--by-key", "TUR"
    )
    assert "must be witnessed by a mediator" in run(
        "ledger", "register", db, "--genesis", "--actor", "X", "--key", "AFG", code=2
    )
