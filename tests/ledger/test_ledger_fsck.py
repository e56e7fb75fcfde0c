"""Issue 12 High 2 and 3: fsck notices what is missing or altered; the log never equivocates.

Before: with entries 4096-8191 deleted (triggers dropped) from an 8,300-entry log, fsck
printed ``ok`` on both backends (the entry iterator stopped at the first empty chunk and
the count was never compared with the size); and after an attacker rewrote an entry and
the checkpoint rows, the operator's next checkpoint signed a second root at a size the
same key had already signed.
"""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from ledger_helpers import LOG_KEY, N_KEYS, ORIGIN, WITNESSES, bound_ledger, signed_entry

from detente.cli import cli
from detente.errors import StorageError
from detente.ledger import merkle
from detente.ledger.guard import EquivocationError
from detente.ledger.log import Ledger
from detente.ledger.postgres import PostgresStorage
from detente.ledger.storage import interior, new_nodes
from detente.ledger.witness import Witness, format_add_checkpoint


def _location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    if backend == "sqlite":
        return tmp_path / "l.sqlite"
    url: str = request.getfixturevalue("pg_url")
    return url


def _raw_sql(led: Ledger, sql: str, args: tuple[object, ...] = ()) -> None:
    """Run SQL as an attacker with database access would (triggers dropped first)."""
    led.storage.execute_raw(sql, args)  # type: ignore[attr-defined]


def _drop_triggers(led: Ledger) -> None:
    if isinstance(led.storage, PostgresStorage):
        rows = led.storage._rows(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal"
        )
        for name, table in rows:
            _raw_sql(led, f"DROP TRIGGER {name} ON {table}")
    else:
        db = led.storage._db  # type: ignore[attr-defined]
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            db.execute(f"DROP TRIGGER {name}")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_fsck_sees_deleted_chunks_of_entries(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    loc = _location(backend, tmp_path, request)
    led = Ledger.create(loc, ORIGIN, [LOG_KEY.vkey], check_entries=False)
    for start in range(0, 8300, 2000):
        led.append_many([f"e{i}".encode() for i in range(start, min(8300, start + 2000))])
    led.checkpoint([LOG_KEY])
    assert led.fsck(check_signatures=False).ok
    _drop_triggers(led)
    _raw_sql(led, "DELETE FROM leaves WHERE idx >= 4096 AND idx < 8192")
    report = led.fsck(check_signatures=False)
    assert not report.ok
    assert report.first_bad_entry == 4096
    text = "\n".join(report.problems)
    assert "4096 of 8300 entries are missing" in text
    assert "entry 4096: missing (entries 4096..8191 are gone)" in text
    assert "trigger" in text  # the dropped triggers are reported too
    led.close()


def test_fsck_reports_a_damaged_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    led = Ledger.create(db, ORIGIN, [LOG_KEY.vkey], check_entries=False)
    led.append_many([(f"entry {i:04d} " + "x" * 200).encode() for i in range(300)])
    led.close()
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    root_page = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'leaves'").fetchone()
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    raw = bytearray(db.read_bytes())
    # Flip one byte in the header of the leaves table's root page (an interior b-tree
    # page): most leaf pages become unreachable.
    raw[(root_page[0] - 1) * page_size + 3] ^= 0x40
    db.write_bytes(bytes(raw))
    report = Ledger.open(db, check_entries=False, readonly=True).fsck(check_signatures=False)
    assert not report.ok
    res = CliRunner().invoke(cli, ["ledger", "fsck", str(db)])
    assert res.exit_code in (1, 2) and not res.output.startswith("ok")
    assert "Traceback" not in res.output


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_fsck_checks_triggers_keys_and_cosignatures(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    loc = _location(backend, tmp_path, request)
    led = bound_ledger(loc)
    led.append_many([signed_entry(i) for i in range(3)])
    note = led.checkpoint([LOG_KEY])
    w = Witness(WITNESSES[0], tmp_path / "ws", {ORIGIN: [LOG_KEY.vkey]})
    line = w.add_checkpoint(format_add_checkpoint(0, [], note), timestamp=1_700_000_000)
    assert led.add_cosignatures(note + line + "\n", [WITNESSES[0].vkey]) == 1
    assert led.fsck().ok, led.fsck().problems
    if isinstance(led.storage, PostgresStorage):
        _raw_sql(led, "ALTER TABLE leaves DISABLE TRIGGER leaves_append_only")
        problems = "\n".join(led.fsck().problems)
        assert "trigger leaves_append_only is disabled" in problems
        _raw_sql(led, "ALTER TABLE leaves ENABLE TRIGGER leaves_append_only")
        assert led.fsck().ok
    _drop_triggers(led)
    # A forged cosignature (right name, wrong bytes) and a witness key as a log key.
    sig = line.rsplit(" ", 1)[1]
    blob = bytearray(base64.b64decode(sig))
    blob[-1] ^= 1
    forged = line.rsplit(" ", 1)[0] + " " + base64.b64encode(bytes(blob)).decode()
    _raw_sql(
        led,
        "INSERT INTO cosignatures(seq, line) VALUES (%s, %s)"
        if isinstance(led.storage, PostgresStorage)
        else "INSERT INTO cosignatures(seq, line) VALUES (?, ?)",
        (led.latest_checkpoint()[0], forged),  # type: ignore[index]
    )
    _raw_sql(
        led,
        "INSERT INTO log_keys(vkey, action, at) VALUES (%s, 'add', 0)"
        if isinstance(led.storage, PostgresStorage)
        else "INSERT INTO log_keys(vkey, action, at) VALUES (?, 'add', 0)",
        (WITNESSES[1].vkey,),
    )
    problems = "\n".join(led.fsck().problems)
    assert "trigger" in problems and "missing" in problems
    assert "cosignature line" in problems and "does not verify" in problems
    assert f"log key table: key {WITNESSES[1].name}" in problems
    led.close()


def test_fsck_on_a_foreign_or_read_only_file_writes_nothing(tmp_path: Path) -> None:
    other = tmp_path / "app.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE meta(key, value)")  # looks a little like a ledger
    con.commit()
    con.close()
    before = other.read_bytes()
    res = CliRunner().invoke(cli, ["ledger", "fsck", str(other)])
    assert res.exit_code == 2 and "not a detente ledger" in res.output
    assert other.read_bytes() == before
    led = bound_ledger(tmp_path / "l.sqlite")
    led.append(signed_entry(0))
    led.close()
    db = tmp_path / "l.sqlite"
    sqlite3.connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    snapshot = db.read_bytes()
    ro = Ledger.open(db, readonly=True)
    assert ro.fsck().ok
    with pytest.raises(StorageError, match="read-only"):
        ro.append(signed_entry(1))
    ro.close()
    assert db.read_bytes() == snapshot


def _rewrite_history(led: Ledger, index: int, data: bytes) -> None:
    """The attack of issue 12 High 3: swap an entry, recompute every hash, drop checkpoints."""
    _drop_triggers(led)
    size = led.size
    entries = [led.entry(i) for i in range(size)]
    entries[index] = data
    sql = led.storage.execute_raw  # type: ignore[attr-defined]
    sql("DELETE FROM cosignatures")
    sql("DELETE FROM checkpoints")
    sql("DELETE FROM nodes")
    sql("DELETE FROM leaves WHERE idx = ?", (index,))
    sql(
        "INSERT INTO leaves(idx, data, hash) VALUES (?, ?, ?)",
        (index, data, merkle.leaf_hash(data)),
    )
    for level, idx, h in interior(new_nodes(0, [merkle.leaf_hash(e) for e in entries], {}, None)):
        sql("INSERT INTO nodes(level, idx, hash) VALUES (?, ?, ?)", (level, idx, h))


def test_the_log_never_signs_a_second_tree_of_the_same_size(tmp_path: Path) -> None:
    led = Ledger.create(tmp_path / "l.sqlite", ORIGIN, [LOG_KEY.vkey], check_entries=False)
    led.append_many([f"entry {i}".encode() for i in range(300)])
    first = led.checkpoint([LOG_KEY])
    _rewrite_history(led, 150, b"a different entry 150")
    assert led.storage.checkpoints() == []  # the database has forgotten what was signed
    with pytest.raises(EquivocationError, match="REFUSING TO SIGN") as err:
        led.checkpoint([LOG_KEY])
    assert "not consistent with the checkpoint signed at size 300" in str(err.value)
    assert str(led.guard.path) in str(err.value)
    assert led.storage.checkpoints() == []  # nothing was signed or stored
    # Appending more does not launder it: any larger tree must extend the signed one.
    led.append(b"entry 300")
    with pytest.raises(EquivocationError):
        led.checkpoint([LOG_KEY])
    with pytest.raises(EquivocationError):
        led.append_many([b"entry 301"], checkpoint=[LOG_KEY])
    # fsck says so too, and the CLI refuses loudly (exit 2, no traceback).
    assert any("REFUSING TO SIGN" in p for p in led.fsck(check_signatures=False).problems)
    led.close()
    assert first.startswith(f"{ORIGIN}\n300\n")


def test_cli_checkpoint_refuses_equivocation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DETENTE_PASSPHRASE", "pw")
    monkeypatch.setenv("DETENTE_KEYS", str(tmp_path / "keys"))
    runner = CliRunner()

    def run(*args: object, code: int = 0) -> str:
        res = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert res.exit_code == code, res.output
        return res.output

    origin = "cli.example/log"
    run("keys", "new", origin)
    db = tmp_path / "l.sqlite"
    run("ledger", "init", db, "--origin", origin, "--key", origin)
    led = Ledger.open(db, check_entries=False)
    led.append_many([f"e{i}".encode() for i in range(10)])
    led.close()
    run("ledger", "checkpoint", db, "--key", origin)
    led = Ledger.open(db, check_entries=False)
    _rewrite_history(led, 3, b"forged")
    led.close()
    out = run("ledger", "checkpoint", db, "--key", origin, code=2)
    assert "REFUSING TO SIGN" in out and "Traceback" not in out


def test_a_crash_between_commit_and_state_is_safe(tmp_path: Path) -> None:
    led = Ledger.create(tmp_path / "l.sqlite", ORIGIN, [LOG_KEY.vkey], check_entries=False)
    led.append_many([b"a", b"b"])
    led.checkpoint([LOG_KEY])
    state = led.guard.path.read_bytes()
    led.append_many([b"c"], checkpoint=[LOG_KEY])
    # As if the process died after the database commit, before the state file moved on.
    led.guard.path.write_bytes(state)
    assert led.guard.read() is not None and led.guard.read().size == 2  # type: ignore[union-attr]
    led.append(b"d")
    assert led.checkpoint([LOG_KEY]).startswith(f"{ORIGIN}\n4\n")
    assert led.guard.read().size == 4  # type: ignore[union-attr]
    led.guard.path.write_text("{not json")
    with pytest.raises(StorageError, match="damaged"):
        led.checkpoint([LOG_KEY])


def test_append_and_checkpoint_in_one_transaction(tmp_path: Path) -> None:
    led = bound_ledger(tmp_path / "l.sqlite")
    first = led.append_many([signed_entry(i) for i in range(3)], checkpoint=[LOG_KEY])
    assert first == N_KEYS
    last = led.latest_checkpoint()
    assert last is not None and last[1] == N_KEYS + 3
    # A batch refused inside the transaction leaves neither entries nor a checkpoint.
    with pytest.raises(Exception, match="already in the log"):
        led.append_many([signed_entry(9), signed_entry(0)], checkpoint=[LOG_KEY])
    assert led.size == N_KEYS + 3 and led.storage.checkpoint_count() == 1
