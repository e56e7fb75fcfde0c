"""The command line end to end: keys, draft, sign, submit, checkpoint, witness, prove, verify."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from ledger_helpers import init_cli_ledger

from detente.cli import cli

COMMITMENT_YAML = """\
id: cli-test-1
label: test fixture
committing_party: AFG
beneficiaries: [PAK]
text: Test guarantee.
obligations:
  - id: o1
    text: No attacks.
    indicator: {metric: attacks, comparison: "<=", threshold: 0, period: P30D}
start: 2025-11-07
guarantors: [TUR]
issues: [sanctuaries]
"""


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DETENTE_PASSPHRASE", "test passphrase")
    monkeypatch.setenv("DETENTE_KEYS", str(tmp_path / "keys"))
    runner = CliRunner()

    def _run(*args: str, code: int = 0) -> str:
        res = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert res.exit_code == code, res.output
        return res.output

    return _run


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_full_flow(tmp_path: Path, run, backend: str, request: pytest.FixtureRequest) -> None:
    origin = "cli.example/log"
    log_vkey = run("keys", "new", origin).strip()
    assert "PRIVATE" not in log_vkey and log_vkey.startswith(origin + "+")
    for actor in ("AFG", "TUR"):
        run("keys", "new", actor)
    w_vkey = run("keys", "new", "w1.example", "--witness").strip()
    assert "test passphrase" not in (tmp_path / "keys" / "AFG.key").read_text()
    db = tmp_path / "l.sqlite" if backend == "sqlite" else request.getfixturevalue("pg_url")
    init_cli_ledger(run, db, origin, "TUR", ("AFG",))
    src = tmp_path / "c.yaml"
    src.write_text(COMMITMENT_YAML)
    draft = tmp_path / "draft.json"
    run("ledger", "draft", src, "--out", draft)
    out = run("ledger", "submit", db, draft, code=2)
    assert "not signed by its committing party AFG" in out
    run("ledger", "sign", draft, "--actor", "AFG", "--key", "AFG")
    run("ledger", "countersign", draft, "--actor", "TUR", "--key", "TUR")
    out = run("ledger", "submit", db, draft)
    assert out.startswith("index 2 id sha256:")
    assert "already in the log" in run("ledger", "submit", db, draft, code=2)
    cid = out.split()[-1]
    run(
        "ledger",
        "event",
        db,
        "--commitment",
        cid,
        "--kind",
        "in_force",
        "--by",
        "AFG",
        "--key",
        "AFG",
        "--at",
        "2025-11-08T00:00:00+00:00",
    )
    rows = json.loads(run("ledger", "show", db, "--format", "json"))
    assert [r["type"] for r in rows] == ["key", "key", "commitment", "event"]
    note = run("ledger", "checkpoint", db, "--key", origin)
    assert note.startswith(f"{origin}\n4\n")
    req = tmp_path / "req"
    run("ledger", "prove", db, "--consistency-from", "0", "--out", req)
    cosigned = run(
        "witness",
        "cosign",
        req,
        "--key",
        "w1.example",
        "--state",
        tmp_path / "ws",
        "--log",
        log_vkey,
    )
    (tmp_path / "cosigned").write_text(cosigned)
    run("ledger", "add-cosignatures", db, tmp_path / "cosigned", "--witness-key", w_vkey)
    receipt = tmp_path / "r.tlog-proof"
    run("ledger", "prove", db, "2", "--out", receipt)
    ok = run(
        "verify",
        receipt,
        "--origin",
        origin,
        "--log-key",
        log_vkey,
        "--witness-key",
        w_vkey,
        "--quorum",
        "1",
    )
    assert ok.startswith("VALID")
    assert "committing party: AFG" in ok and "label: test fixture" in ok
    assert "signed by AFG as party with key AFG+" in ok and "registered at entry 1" in ok
    assert "signed by TUR as mediator" in ok and "registered at entry 0" in ok
    verdict = json.loads(
        run(
            "verify",
            receipt,
            "--origin",
            origin,
            "--log-key",
            log_vkey,
            "--witness-key",
            w_vkey,
            "--quorum",
            "1",
            "--format",
            "json",
        )
    )
    assert verdict["ok"] and verdict["witnesses"] == ["w1.example"]
    text = receipt.read_text()
    lines = text.split("\n")
    lines[3] = "A" + lines[3][1:] if lines[3][0] != "A" else "B" + lines[3][1:]
    assert lines[2] == "index 2"
    receipt.write_text("\n".join(lines))
    bad = run("verify", receipt, "--origin", origin, "--log-key", log_vkey, code=1)
    assert bad.startswith("INVALID: inclusion:")
    assert "ok: 4 entries" in run("ledger", "fsck", db)
    counts = json.loads(run("ledger", "tiles", db, tmp_path / "tiles"))
    assert counts["size"] == 4
    # Rotation: the log signs with old and new during the change.
    old_new = run("keys", "rotate", origin)
    new_vkey = old_new.split("\n")[1].split()[1]
    run("ledger", "add-key", db, "--key", origin)
    run(
        "ledger",
        "event",
        db,
        "--commitment",
        cid,
        "--kind",
        "compliance_claim",
        "--by",
        "AFG",
        "--key",
        "AFG",
    )
    both = run("ledger", "checkpoint", db, "--key", origin)
    assert both.count("\u2014 ") == 2 and new_vkey.split("+")[0] in both
    listed = json.loads(run("keys", "list", "--format", "json"))
    assert sum(k["retired"] for k in listed) == 1


def test_errors_are_reported_without_traceback(tmp_path: Path, run) -> None:
    out = run("ledger", "show", tmp_path / "missing.sqlite", code=2)
    assert "no ledger at" in out and "Traceback" not in out
    run("keys", "new", "K")
    out = run("keys", "new", "K", code=2)
    assert "already exists" in out


def test_fsck_command_names_the_first_bad_entry(tmp_path: Path, run) -> None:
    import sqlite3

    from ledger_helpers import bound_ledger, signed_entry

    db = tmp_path / "f.sqlite"
    led = bound_ledger(db)
    led.append_many([signed_entry(i) for i in range(5)])
    led.close()
    assert "ok: 9 entries" in run("ledger", "fsck", db)
    con = sqlite3.connect(db)
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        con.execute(f"DROP TRIGGER {name}")
    con.execute("UPDATE leaves SET hash = zeroblob(32) WHERE idx = 3")
    con.commit()
    con.close()
    out = run("ledger", "fsck", db, code=1)
    assert "entry 3: stored leaf hash does not match" in out
    assert "BAD: first bad entry 3" in out
