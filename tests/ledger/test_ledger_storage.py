"""SQLite storage and the log: append-only triggers, proofs, checkpoints, fsck, processes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ledger_helpers import LOG_KEY, N_KEYS, ORIGIN, bound_ledger, seeded_signer, signed_entry

from detente.errors import StorageError, VerificationError
from detente.ledger import merkle
from detente.ledger.log import MAX_ENTRY_SIZE, Ledger
from detente.ledger.note import open_note
from detente.ledger.storage import LogStorage, SQLiteStorage

WRITER = Path(__file__).with_name("ledger_writer.py")


def _raw_ledger(tmp_path: Path, n: int = 0) -> Ledger:
    led = Ledger.create(tmp_path / "l.sqlite", ORIGIN, [LOG_KEY.vkey], check_entries=False)
    if n:
        led.append_many([f"e{i}".encode() for i in range(n)])
    return led


def test_sqlite_storage_satisfies_the_protocol(tmp_path: Path) -> None:
    assert isinstance(SQLiteStorage(tmp_path / "p.sqlite"), LogStorage)


def test_wal_mode_and_full_sync(tmp_path: Path) -> None:
    _raw_ledger(tmp_path, 1).close()
    db = sqlite3.connect(tmp_path / "l.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    storage = SQLiteStorage(tmp_path / "l.sqlite")
    # 2 = FULL: in WAL mode the log is fsynced at every commit, before append returns.
    assert storage._db.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_proofs_from_stored_nodes_match_in_memory(tmp_path: Path) -> None:
    led = _raw_ledger(tmp_path, 37)
    entries = [f"e{i}".encode() for i in range(37)]
    for size in (1, 2, 5, 16, 31, 37):
        assert led.root(size) == merkle.root_hash(entries[:size])
        for i in (0, size // 2, size - 1):
            assert led.inclusion_proof(i, size) == merkle.inclusion_proof(entries[:size], i)
        for old in (0, 1, size // 3, size):
            assert led.consistency_proof(old, size) == merkle.consistency_proof(entries[:size], old)
    # Interior nodes only: a leaf's hash (level 0) is stored with the leaf, not again.
    assert led.storage.node_count() == 37 - bin(37).count("1")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE leaves SET data = x'00' WHERE idx = 0",
        "DELETE FROM leaves WHERE idx = 2",
        "UPDATE nodes SET hash = x'00' WHERE level = 1 AND idx = 0",
        "UPDATE leaves SET hash = x'00' WHERE idx = 0",
        "DELETE FROM nodes",
        "DELETE FROM checkpoints",
        "UPDATE meta SET value = 'other' WHERE key = 'origin'",
        "INSERT INTO leaves(idx, data, hash) VALUES (10, x'00', x'00')",
    ],
)
def test_triggers_refuse_rewriting(tmp_path: Path, sql: str) -> None:
    led = _raw_ledger(tmp_path, 3)
    led.checkpoint([LOG_KEY])
    assert isinstance(led.storage, SQLiteStorage)
    with pytest.raises(StorageError, match="append-only|out of sequence"):
        led.storage.execute_raw(sql)
    assert led.fsck(check_signatures=False).ok


def test_entry_limits(tmp_path: Path) -> None:
    led = _raw_ledger(tmp_path)
    with pytest.raises(StorageError, match="exceeds the limit of 65535"):
        led.append(b"x" * (MAX_ENTRY_SIZE + 1))
    with pytest.raises(StorageError, match="empty entry"):
        led.append(b"")
    led.append(b"x" * MAX_ENTRY_SIZE)
    assert led.size == 1


def test_checked_ledger_refuses_unsigned_or_non_canonical(tmp_path: Path) -> None:
    led = bound_ledger(tmp_path / "c.sqlite")
    with pytest.raises(VerificationError, match="canonical"):
        led.append(b'{"type": "commitment"}')
    led.append(signed_entry(1))
    assert led.size == N_KEYS + 1


def test_checkpoint_signing_rules(tmp_path: Path) -> None:
    led = _raw_ledger(tmp_path, 4)
    with pytest.raises(VerificationError, match="is an active key"):
        led.checkpoint([seeded_signer(ORIGIN, 77)])
    note1 = led.checkpoint([LOG_KEY])
    assert led.checkpoint([LOG_KEY]) == note1  # same tree head: not signed twice
    with pytest.raises(VerificationError, match="already signed"):
        led.checkpoint([LOG_KEY], size=2)
    led.append(b"e4")
    note2 = led.checkpoint([LOG_KEY])
    assert note2.split("\n")[1] == "5"
    with pytest.raises(VerificationError, match="origin"):
        led.add_log_key(seeded_signer("other.example/log", 5).vkey)


def test_key_rotation_signs_with_old_and_new(tmp_path: Path) -> None:
    led = _raw_ledger(tmp_path, 2)
    new = seeded_signer(ORIGIN, 55)
    led.add_log_key(new.vkey)
    both = led.checkpoint([LOG_KEY, new])
    assert [v.vkey for v in open_note(both, [LOG_KEY.vkey, new.vkey])[1]] == [
        LOG_KEY.vkey,
        new.vkey,
    ]
    led.retire_log_key(LOG_KEY.vkey)
    led.append(b"more")
    with pytest.raises(VerificationError, match="is an active key"):
        led.checkpoint([LOG_KEY])
    only_new = led.checkpoint([LOG_KEY, new])
    assert open_note(only_new, [new.vkey])[1][0].vkey == new.vkey
    with pytest.raises(VerificationError, match="no verifiable"):
        open_note(only_new, [LOG_KEY.vkey])
    assert led.fsck(check_signatures=False).ok  # old checkpoints still verify


def _tamper(path: Path, sql: str) -> None:
    """Bypass the triggers the way an attacker with file access would."""
    db = sqlite3.connect(path)
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
    for n in names:
        db.execute(f"DROP TRIGGER {n}")
    db.execute(sql)
    db.commit()
    db.close()


def test_fsck_names_the_first_bad_entry(tmp_path: Path) -> None:
    led = bound_ledger(tmp_path / "f.sqlite")
    led.append_many([signed_entry(i) for i in range(12)])
    led.checkpoint([LOG_KEY])
    assert led.fsck().ok
    led.close()
    _tamper(
        tmp_path / "f.sqlite",
        f"UPDATE leaves SET data = replace(data, 'number 7', 'number 8') WHERE idx = {N_KEYS + 7}",
    )
    report = Ledger.open(tmp_path / "f.sqlite").fsck()
    assert not report.ok
    assert report.first_bad_entry == N_KEYS + 7
    assert f"entry {N_KEYS + 7}: stored leaf hash" in "\n".join(report.problems)


def test_fsck_finds_rewritten_hashes_and_signatures(tmp_path: Path) -> None:
    led = bound_ledger(tmp_path / "g.sqlite")
    data = [signed_entry(i) for i in range(6)]
    led.append_many(data)
    led.checkpoint([LOG_KEY])
    led.close()
    # Rewrite entry 4 consistently (data and leaf hash) but its signature no longer matches.
    forged = data[4].replace(b"number 4", b"number X")
    h = merkle.leaf_hash(forged).hex()
    _tamper(
        tmp_path / "g.sqlite",
        f"UPDATE leaves SET data = x'{forged.hex()}', hash = x'{h}' WHERE idx = {N_KEYS + 4}",
    )
    report = Ledger.open(tmp_path / "g.sqlite", readonly=True).fsck()
    assert report.first_bad_entry == N_KEYS + 4
    text = "\n".join(report.problems)
    assert "does not verify" in text and "trigger" in text


def test_fsck_finds_a_bad_interior_hash(tmp_path: Path) -> None:
    led = _raw_ledger(tmp_path, 8)
    led.close()
    _tamper(
        tmp_path / "l.sqlite", "UPDATE nodes SET hash = zeroblob(32) WHERE level = 1 AND idx = 2"
    )
    report = Ledger.open(tmp_path / "l.sqlite", check_entries=False).fsck(check_signatures=False)
    assert report.first_bad_entry == 5
    assert "level 1 index 2" in "\n".join(report.problems)


def _run_writers(db: Path | str, n_proc: int, count: int, batch: int, *extra: str) -> list[str]:
    procs = [
        subprocess.Popen(
            [sys.executable, str(WRITER), str(db), f"p{k}", str(count), str(batch), *extra],
            stdout=subprocess.PIPE,
            text=True,
        )
        for k in range(n_proc)
    ]
    lines = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        lines += out.splitlines()
    return lines


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_concurrent_appenders_in_processes(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    # On PostgreSQL the writers take turns through an advisory lock instead of BEGIN
    # IMMEDIATE; the outcome must be the same: no gap, no duplicate, every ack stored.
    db = tmp_path / "conc.sqlite" if backend == "sqlite" else request.getfixturevalue("pg_url")
    _raw = Ledger.create(db, ORIGIN, [LOG_KEY.vkey], check_entries=False)
    _raw.close()
    acks = _run_writers(db, 4, 60, 3, "checkpoint")
    indexes = [int(a.split()[1]) for a in acks]
    assert len(indexes) == len(set(indexes)) == 240
    led = Ledger.open(db, check_entries=False)
    assert led.size == 240
    for a in acks:
        _, idx, item = a.split()
        assert led.entry(int(idx)) == item.encode()
    report = led.fsck(check_signatures=False)
    assert report.ok, report.problems
    sizes = [c[1] for c in led.storage.checkpoints()]
    assert sizes == sorted(sizes) and sizes[-1] == 240


def _sigkill_drill(db: Path | str, rounds: int) -> int:
    """Kill two writers with SIGKILL ``rounds`` times; every acknowledged entry must stay.

    Odd rounds append and sign a checkpoint in one transaction (``append_many(...,
    checkpoint=...)``), even rounds append alone. Returns how many SIGKILLs were sent.
    """
    acked: dict[int, bytes] = {}
    kills = 0
    for round_ in range(rounds):
        mode = ["checkpoint"] if round_ % 2 else []
        procs = [
            subprocess.Popen(
                [sys.executable, str(WRITER), str(db), f"r{round_}w{k}", "-1", str(1 + k), *mode],
                stdout=subprocess.PIPE,
                text=True,
                cwd=WRITER.parent,
            )
            for k in range(2)
        ]
        # Wait until both writers are appending, then kill them at a varying moment.
        firsts = [p.stdout.readline() if p.stdout else "" for p in procs]
        time.sleep(0.05 + 0.07 * (round_ % 5))
        for p in procs:
            os.kill(p.pid, signal.SIGKILL)
            kills += 1
        for p, first in zip(procs, firsts, strict=True):
            out, _ = p.communicate()
            for line in (first + out).splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[0] == "ack":  # a torn last line is not an ack
                    acked[int(parts[1])] = parts[2].encode()
        led = Ledger.open(db, check_entries=False)
        for idx, item in acked.items():
            assert led.entry(idx) == item, f"acknowledged entry {idx} lost after SIGKILL"
        report = led.fsck(check_signatures=False)
        assert report.ok, report.problems
        led.checkpoint([LOG_KEY])  # the tree is consistent with every earlier checkpoint
        led.close()
    assert len(acked) > 50
    return kills


@pytest.mark.slow
def test_sigkill_loop_loses_no_acknowledged_entry(tmp_path: Path) -> None:
    db = tmp_path / "crash.sqlite"
    Ledger.create(db, ORIGIN, [LOG_KEY.vkey], check_entries=False).close()
    assert _sigkill_drill(db, 10) >= 20


@pytest.mark.slow
def test_sigkill_loop_on_postgres_loses_no_acknowledged_entry(pg_url: str) -> None:
    Ledger.create(pg_url, ORIGIN, [LOG_KEY.vkey], check_entries=False).close()
    assert _sigkill_drill(pg_url, 10) >= 20


def test_open_refuses_files_that_are_not_ledgers(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    with pytest.raises(StorageError, match="not a detente ledger"):
        Ledger.open(other)
    con = sqlite3.connect(other)
    assert [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")] == ["t"]
    con.close()
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StorageError, match="not a ledger database"):
        Ledger.open(junk)


def test_an_append_with_its_checkpoint_reads_back_nothing_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checkpoint step takes the right edge and the new nodes from the append itself.

    Only the right edge is read (once, by the append); the root and the consistency proofs
    need nothing else when the last checkpoint is the guard's state. The checkpoints it
    signs are the ones a read-back gives: the same roots as recomputed from the leaves.
    """
    led = Ledger.create(tmp_path / "r.sqlite", ORIGIN, [LOG_KEY.vkey], check_entries=False)
    led.append_many([f"e{i}".encode() for i in range(5)], checkpoint=[LOG_KEY])
    reads: list[list[tuple[int, int]]] = []
    single: list[tuple[int, int]] = []
    nodes, node = led.storage.nodes, led.storage.node

    def counted_nodes(keys: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        reads.append(list(keys))
        return nodes(keys)

    def counted_node(level: int, index: int) -> bytes:
        single.append((level, index))
        return node(level, index)

    monkeypatch.setattr(led.storage, "nodes", counted_nodes)
    monkeypatch.setattr(led.storage, "node", counted_node)
    for start, size in ((5, 8), (8, 11), (11, 22)):
        led.append_many([f"e{i}".encode() for i in range(start, size)], checkpoint=[LOG_KEY])
        latest = led.latest_checkpoint()
        assert latest is not None and latest[1] == size
        assert latest[2] == merkle.root_hash([f"e{i}".encode() for i in range(size)])
    assert len(reads) == 3 and not single  # one read of the right edge per append
    monkeypatch.undo()
    assert led.fsck().ok
