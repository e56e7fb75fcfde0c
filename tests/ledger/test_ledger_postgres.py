"""The ledger on a real PostgreSQL server (started by the ``pg_server`` fixture).

The same storage contract is checked on both backends, and a ledger built on PostgreSQL
must give byte-for-byte the same tree heads, proofs and receipts as one built on SQLite.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from ledger_helpers import LOG_KEY, ORIGIN, bound_ledger, signed_entry
from tests.pgserver import PgServer

from detente.cli import cli
from detente.errors import StorageError
from detente.ledger import merkle
from detente.ledger.log import Ledger
from detente.ledger.postgres import PostgresStorage, is_postgres_url
from detente.ledger.storage import LogStorage, SQLiteStorage, StaleCheckpointError

WRITER = Path(__file__).with_name("ledger_writer.py")


@pytest.fixture(params=["sqlite", "postgres"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LogStorage]:
    """A fresh, empty storage of each backend."""
    st: LogStorage
    if request.param == "sqlite":
        st = SQLiteStorage(tmp_path / "s.sqlite")
    else:
        st = PostgresStorage(request.getfixturevalue("pg_url"), create=True)
    yield st
    st.close()


def test_both_backends_satisfy_the_protocol(storage: LogStorage) -> None:
    assert isinstance(storage, LogStorage)
    assert storage.size() == 0 and storage.node_count() == 0


def test_appends_store_every_complete_subtree(storage: LogStorage) -> None:
    entries = [f"e{i}".encode() for i in range(37)]
    assert storage.append(entries[:5]) == 0
    assert storage.append(entries[5:6]) == 5
    assert storage.append(entries[6:]) == 6
    assert storage.size() == 37
    # The interior nodes; a leaf's hash (level 0) is stored with the leaf only.
    assert storage.node_count() == 37 - bin(37).count("1")
    assert storage.entry(7) == (entries[7], merkle.leaf_hash(entries[7]))
    assert storage.node(0, 7) == merkle.leaf_hash(entries[7])
    assert [i for i, _, _ in storage.iter_entries(30)] == list(range(30, 37))
    # The node over the first 32 leaves is the RFC 9162 hash of those leaves.
    assert storage.node(5, 0) == merkle.root_hash(entries[:32])
    got = storage.nodes([(5, 0), (0, 36), (2, 8), (9, 9), (5, 0), (0, 37)])
    assert set(got) == {(5, 0), (0, 36), (2, 8)}  # missing keys left out, duplicates once
    assert got[(0, 36)] == merkle.leaf_hash(entries[36])
    assert got[(2, 8)] == merkle.root_hash(entries[32:36])
    with pytest.raises(StorageError, match="no entry 37"):
        storage.entry(37)
    with pytest.raises(StorageError, match="missing interior hash"):
        storage.node(6, 0)
    with pytest.raises(StorageError, match="missing interior hash"):
        storage.node(0, 37)


def test_duplicates_are_refused_with_the_index_and_nothing_written(storage: LogStorage) -> None:
    """The unique index finds a stored repeat; a repeat inside the batch is found first."""
    from detente.ledger.storage import DuplicateEntryError

    storage.append([b"a", b"b", b"c"])
    for batch, entry, index in (
        ([b"d", b"b"], 4, 1),  # stored at 1
        ([b"d", b"e", b"d"], 5, 3),  # repeated inside the batch
        ([b"c"], 3, 2),
    ):
        with pytest.raises(DuplicateEntryError, match=f"entry {entry} .* at index {index}") as e:
            storage.append(batch)
        assert e.value.index == index
        assert storage.size() == 3 and storage.leaf_count() == 3
    assert storage.append([b"d"]) == 3
    assert storage.size() == 4


@pytest.mark.parametrize("pipeline", [True, False])
def test_an_append_opens_the_same_way_with_or_without_pipeline_mode(
    pg_url: str, tmp_path: Path, pipeline: bool
) -> None:
    """libpq before 14 has no pipeline mode: the append's first reads go as one string."""
    led = bound_ledger(pg_url, tmp_path / "pg-state")
    assert isinstance(led.storage, PostgresStorage)
    led.storage._pipeline = pipeline
    lite = bound_ledger(tmp_path / "same.sqlite", tmp_path / "lite-state")
    for target in (led, lite):
        for n in range(0, 9, 3):
            target.append_many([signed_entry(n + k) for k in range(3)], checkpoint=[LOG_KEY])
    assert led.size == lite.size
    assert led.root(led.size) == lite.root(lite.size)
    assert led.latest_checkpoint()[1:3] == lite.latest_checkpoint()[1:3]  # type: ignore[index]
    assert led.fsck().ok
    led.close()
    lite.close()


def test_settings_keys_checkpoints_and_cosignatures(storage: LogStorage) -> None:
    storage.put_meta("origin", "a.example/log")
    storage.put_meta("origin", "a.example/log")  # the same value again is fine
    with pytest.raises(StorageError, match="never changes"):
        storage.put_meta("origin", "b.example/log")
    assert storage.get_meta("origin") == "a.example/log" and storage.get_meta("x") is None
    storage.add_log_key("k1", "add")
    storage.add_log_key("k2", "add")
    storage.add_log_key("k1", "retire")
    assert storage.log_keys() == ["k2"]
    assert storage.log_keys(include_retired=True) == ["k1", "k2"]
    s1 = storage.add_checkpoint(3, b"r" * 32, "note 3")
    s2 = storage.add_checkpoint(5, b"s" * 32, "note 5")
    assert s2 > s1
    with pytest.raises(StaleCheckpointError):
        storage.add_checkpoint(4, b"t" * 32, "older")
    with pytest.raises(StaleCheckpointError):
        storage.add_checkpoint(5, b"u" * 32, "same size, other root")
    assert [c[:2] for c in storage.checkpoints()] == [(s1, 3), (s2, 5)]
    storage.add_cosignature(s2, "— w1 abc")
    storage.add_cosignature(s2, "— w0 def")
    storage.add_cosignature(s2, "— w1 abc")
    assert storage.cosignatures(s2) == ["— w1 abc", "— w0 def"]
    assert storage.cosignatures(s1) == []


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE leaves SET data = '\\x00' WHERE idx = 0",
        "DELETE FROM leaves WHERE idx = 2",
        "UPDATE nodes SET hash = '\\x00' WHERE level = 1 AND idx = 0",
        "UPDATE leaves SET hash = '\\x00' WHERE idx = 0",
        "DELETE FROM nodes",
        "DELETE FROM checkpoints",
        "TRUNCATE cosignatures",
        "TRUNCATE leaves CASCADE",
        "UPDATE meta SET value = 'other' WHERE key = 'origin'",
        "INSERT INTO leaves(idx, data, hash) VALUES (10, '\\x00', '\\x00')",
        "INSERT INTO leaves(idx, data, hash) VALUES (-1, '\\x00', '\\x00')",
        # One statement, a gap inside it: the statement-level rule sees the whole set.
        "INSERT INTO leaves(idx, data, hash) VALUES (3, '\\x00', '\\x01'), (5, '\\x00', '\\x02')",
    ],
)
def test_postgres_triggers_refuse_rewriting(pg_url: str, sql: str) -> None:
    led = Ledger.create(pg_url, ORIGIN, [LOG_KEY.vkey], check_entries=False)
    led.append_many([b"e0", b"e1", b"e2"])
    led.checkpoint([LOG_KEY])
    assert isinstance(led.storage, PostgresStorage)
    with pytest.raises(StorageError, match="append-only|out of sequence"):
        led.storage.execute_raw(sql)
    assert led.fsck(check_signatures=False).ok
    led.close()


def test_a_ledger_with_the_per_row_gapless_rule_is_healthy_and_is_upgraded(pg_url: str) -> None:
    """Ledgers made before the statement-level rule keep working; `create` upgrades them."""
    from detente.ledger import postgres

    led = Ledger.create(pg_url, ORIGIN, [LOG_KEY.vkey], check_entries=False)
    led.append_many([b"e0", b"e1"])
    st = led.storage
    assert isinstance(st, PostgresStorage)
    st.execute_raw(
        "CREATE OR REPLACE FUNCTION detente_leaves_gapless() RETURNS trigger "
        f"LANGUAGE plpgsql AS $${postgres._GAPLESS_ROW_SRC}$$"
    )
    st.execute_raw(
        "CREATE OR REPLACE TRIGGER leaves_gapless BEFORE INSERT ON leaves "
        "FOR EACH ROW EXECUTE FUNCTION detente_leaves_gapless()"
    )
    assert st.health() == []
    led.append(b"e2")
    with pytest.raises(StorageError, match="out of sequence"):
        st.execute_raw("INSERT INTO leaves(idx, data, hash) VALUES (9, '\\x00', '\\x00')")
    # The old function under a statement-level trigger (or the new one per row) is not
    # either form: reported, never passed.
    st.execute_raw(
        "CREATE OR REPLACE TRIGGER leaves_gapless AFTER INSERT ON leaves "
        "REFERENCING NEW TABLE AS new_leaves "
        "FOR EACH STATEMENT EXECUTE FUNCTION detente_leaves_gapless()"
    )
    assert any("leaves_gapless was altered" in p for p in st.health())
    led.close()
    # Creating over it again installs the current form.
    again = Ledger.create(pg_url, ORIGIN, [LOG_KEY.vkey], check_entries=False)
    assert again.storage.health() == []
    assert again.size == 3
    again.append(b"e3")
    assert again.fsck(check_signatures=False).ok
    again.close()


def test_a_postgres_ledger_equals_a_sqlite_ledger(pg_url: str, tmp_path: Path) -> None:
    ledgers = [bound_ledger(pg_url), bound_ledger(tmp_path / "same.sqlite")]
    for led in ledgers:
        for n in range(6):
            led.append(signed_entry(n))
    pg, lite = ledgers
    assert pg.root(10) == lite.root(10)
    for size in (1, 4, 6, 10):
        for i in range(size):
            assert pg.inclusion_proof(i, size) == lite.inclusion_proof(i, size)
        assert pg.consistency_proof(size // 2, size) == lite.consistency_proof(size // 2, size)
    # Checkpoint notes carry a timestamp-free body: the signed tree heads are the same.
    assert pg.checkpoint([LOG_KEY]) == lite.checkpoint([LOG_KEY])
    assert pg.fsck().ok and lite.fsck().ok
    for led in ledgers:
        led.close()


def test_reopening_by_url_and_refusing_what_is_not_a_ledger(pg_url: str) -> None:
    assert is_postgres_url(pg_url) and not is_postgres_url("ledger.sqlite")
    with pytest.raises(StorageError, match="not a detente ledger"):
        Ledger.open(pg_url)  # an empty database
    Ledger.create(pg_url, ORIGIN, [LOG_KEY.vkey], check_entries=False).close()
    led = Ledger.open(pg_url, check_entries=False)
    assert led.origin == ORIGIN and led.storage.log_keys() == [LOG_KEY.vkey]
    led.close()
    with pytest.raises(StorageError, match="already 'test.detente.example/log'"):
        Ledger.create(pg_url, "other.example/log")


def test_unreachable_server_is_a_clear_error(pg_server: object, tmp_path: Path) -> None:
    url = f"postgresql://nobody:s3cret@/nothing?host={tmp_path}&port=1"
    with pytest.raises(StorageError, match="cannot connect") as err:
        Ledger.open(url)
    assert "s3cret" not in str(err.value) and "nobody:***@" in str(err.value)
    runner = CliRunner()
    res = runner.invoke(cli, ["ledger", "show", url])
    assert res.exit_code == 2 and "cannot connect" in res.output
    assert "Traceback" not in res.output and "s3cret" not in res.output


def test_a_database_that_does_not_exist_is_a_clear_error(pg_server: PgServer) -> None:
    url = pg_server.url("no_such_database")
    with pytest.raises(StorageError, match='database "no_such_database" does not exist'):
        Ledger.open(url)
    res = CliRunner().invoke(cli, ["ledger", "fsck", url])
    assert res.exit_code == 2 and "does not exist" in res.output
    assert "Traceback" not in res.output


@pytest.mark.slow
def test_server_crash_loses_no_acknowledged_entry(pg_server: PgServer) -> None:
    # A server of its own, crashed (pg_ctl stop -m immediate: no shutdown checkpoint)
    # while two processes append; after WAL recovery every acknowledged entry is there.
    server = PgServer()
    try:
        url = server.new_database()
        Ledger.create(url, ORIGIN, [LOG_KEY.vkey], check_entries=False).close()
        acked: dict[int, bytes] = {}
        for round_ in range(3):
            procs = [
                subprocess.Popen(
                    [sys.executable, str(WRITER), url, f"r{round_}w{k}", "-1", str(1 + k)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                    cwd=WRITER.parent,
                )
                for k in range(2)
            ]
            firsts = [p.stdout.readline() if p.stdout else "" for p in procs]
            time.sleep(0.2 + 0.1 * round_)
            server.crash()
            for p, first in zip(procs, firsts, strict=True):
                out, _ = p.communicate(timeout=60)
                assert p.returncode != 0  # the writers saw the server go
                for line in (first + out).splitlines():
                    parts = line.split()
                    if len(parts) == 3 and parts[0] == "ack":
                        acked[int(parts[1])] = parts[2].encode()
            server.start()
            led = Ledger.open(url, check_entries=False)
            for idx, item in acked.items():
                assert led.entry(idx) == item, f"acknowledged entry {idx} lost in a crash"
            report = led.fsck(check_signatures=False)
            assert report.ok, report.problems
            led.close()
        assert len(acked) > 50
    finally:
        server.stop()
