"""Imports into the ledger's database: signed records, idempotence, both backends, crashes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from detente.errors import CaseError, StorageError
from detente.events.importer import find_dataset_records, import_events
from detente.events.readers import read_events
from detente.events.store import EventStore
from detente.ledger.entries import verify_entry
from detente.ledger.log import Ledger
from tests.events.event_helpers import ANALYST, EVENTS, N_KEYS, new_ledger

REPO = Path(__file__).resolve().parents[2]


def test_import_appends_a_signed_record_and_stores_every_event(location: str | Path) -> None:
    res = import_events(location, EVENTS / "ged-small.csv", "ucdp-ged", "23.1", ANALYST, "analyst")
    assert not res.already_imported and res.rows == 8
    led = Ledger.open(location)
    try:
        info = verify_entry(led.entry(res.record_index))
        assert info.type == "dataset" and info.id == "sha256:" + res.sha256
        assert [(s.actor, s.role, s.key) for s in info.signers] == [
            ("analyst", "importer", ANALYST.vkey)
        ]
        rec = dict(json.loads(led.entry(res.record_index))["record"])
        assert (rec["dataset"], rec["version"], rec["rows"], rec["importer"]) == (
            "ucdp-ged",
            "23.1",
            8,
            "analyst",
        )
        assert rec["coverage_start"] == "2022-12-28" and rec["coverage_end"] == "2023-04-30"
        assert led.fsck().ok
    finally:
        led.close()
    with EventStore(location) as store:
        got = store.load(res.record_index)
    want, _ = read_events(EVENTS / "ged-small.csv")
    assert [got.record(k) for k in range(len(got))] == [want.record(k) for k in range(len(want))]


def test_reimport_is_idempotent_and_a_new_version_is_a_new_record(location: str | Path) -> None:
    first = import_events(
        location, EVENTS / "ged-small.csv", "ucdp-ged", "23.1", ANALYST, "analyst"
    )
    again = import_events(
        location, EVENTS / "ged-small.csv", "ucdp-ged", "23.1", ANALYST, "analyst"
    )
    assert again.already_imported and again.record_index == first.record_index
    newer = import_events(
        location, EVENTS / "ged-small.csv", "ucdp-ged", "24.1", ANALYST, "analyst"
    )
    assert not newer.already_imported and newer.record_index != first.record_index
    with pytest.raises(StorageError, match="another file"):
        import_events(
            location, EVENTS / "ucdp-api-page.json", "ucdp-ged", "23.1", ANALYST, "analyst"
        )
    led = Ledger.open(location)
    try:
        assert [r.version for _, r in find_dataset_records(led)] == ["23.1", "24.1"]
    finally:
        led.close()
    with EventStore(location) as store:
        assert [(i.version, i.rows) for i in store.imports()] == [("23.1", 8), ("24.1", 8)]


def test_bad_file_writes_nothing(tmp_path: Path) -> None:
    loc = new_ledger(tmp_path / "l.sqlite")
    with pytest.raises(CaseError):
        import_events(loc, EVENTS / "ged-bad-rows.csv", "ucdp-ged", "23.1", ANALYST, "analyst")
    led = Ledger.open(loc)
    assert led.size == N_KEYS
    led.close()
    with EventStore(loc) as store:
        assert store.imports() == []


def test_not_a_ledger_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        import_events(
            tmp_path / "nothing.sqlite",
            EVENTS / "ged-small.csv",
            "ucdp-ged",
            "23.1",
            ANALYST,
            "analyst",
        )


_CRASHER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {repo!r})
    from detente.events.importer import import_events
    from tests.events.event_helpers import ANALYST
    import_events({db!r}, {csv!r}, "ucdp-ged", "99.1", ANALYST, "analyst")
    """
)


def test_a_crash_during_import_loses_nothing_already_stored(tmp_path: Path, data_dir: Path) -> None:
    db = tmp_path / "l.sqlite"
    new_ledger(db)
    kept = import_events(db, EVENTS / "ged-small.csv", "ucdp-ged", "23.1", ANALYST, "analyst")
    # A big file (the shipped sample, 60 times over) so the import is still writing when killed.
    sample = (data_dir / "ucdp" / "ged231-sample.csv").read_text(encoding="utf-8").splitlines(True)
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as fh:
        fh.write(sample[0])
        for k in range(60):
            for line in sample[1:]:
                fh.write(f"{k}{line}")  # distinct ids
    script = _CRASHER.format(repo=str(REPO), db=str(db), csv=str(big))
    proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        led = Ledger.open(db)
        size = led.size
        led.close()
        if size == N_KEYS + 2:  # the dataset record is in; the events are being stored
            break
        time.sleep(0.01)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    led = Ledger.open(db)
    assert led.fsck().ok
    led.close()
    with EventStore(db) as store:
        imports = {i.version: i.rows for i in store.imports()}
        assert imports["23.1"] == 8
        assert imports.get("99.1") in (None, 60_000)  # all or nothing
        assert len(store.load(kept.record_index)) == 8
    # Running the import again completes it against the record already in the log.
    done = import_events(db, big, "ucdp-ged", "99.1", ANALYST, "analyst")
    assert done.rows == 60_000
    led = Ledger.open(db)
    try:
        assert [r.version for _, r in find_dataset_records(led)] == ["23.1", "99.1"]
    finally:
        led.close()


def test_cli_import_and_list(tmp_path: Path, run: Callable[..., str]) -> None:
    origin = "cli.example/events"
    run("keys", "new", origin)
    run("keys", "new", "analyst")
    db = tmp_path / "l.sqlite"
    run("ledger", "init", db, "--origin", origin, "--key", origin, "--mediator", "analyst",
        "--mediator-key", "analyst")  # fmt: skip
    out = run(
        "events",
        "import",
        db,
        EVENTS / "ged-small.csv",
        "--dataset",
        "ucdp-ged",
        "--version",
        "23.1",
        "--key",
        "analyst",
    )
    assert "imported 8 events of ucdp-ged 23.1" in out and "dataset record at index 1" in out
    out = run(
        "events",
        "import",
        db,
        EVENTS / "ged-small.csv",
        "--dataset",
        "ucdp-ged",
        "--version",
        "23.1",
        "--key",
        "analyst",
    )
    assert out.startswith("already imported")
    out = run(
        "events",
        "import",
        db,
        EVENTS / "acled-synthetic.csv",
        "--dataset",
        "acled",
        "--version",
        "2024-01-15",
        "--key",
        "analyst",
        "--format",
        "json",
    )
    assert json.loads(out)["record_index"] == 2
    rows = json.loads(run("events", "list", db, "--format", "json"))
    assert [(r["dataset"], r["rows"]) for r in rows] == [("ucdp-ged", 8), ("acled", 6)]
    out = run(
        "events",
        "import",
        db,
        EVENTS / "ged-bad-rows.csv",
        "--dataset",
        "ucdp-ged",
        "--version",
        "1",
        "--key",
        "analyst",
        code=2,
    )
    assert "error[bad-date]" in out
    assert "index 0" in run("ledger", "show", db) or "dataset" in run("ledger", "show", db)
    assert "ok:" in run("ledger", "fsck", db)
