"""Ledger on SQLite and on PostgreSQL, measured side by side in one run, against the floor.

Run: ``.venv/bin/python bench/ledger_backends_bench.py [--url postgresql://...]
[--appends 5000] [--entries 100000] [--reps 3]``

**Appends against the floor** (issue 17 part 3). The floor is what any signed log must do
per entry, measured in the same run on the same backend: an Ed25519 signature, its
verification, two SHA-256 (leaf and one node) and one bare row, committed once per batch.
detente's figure is a whole signed append as a client and the log do it: build the event,
sign it, encode the entry (``signed_event_entry``: the event validated as the model
validates it, one canonicalization), then ``append_many(batch, checkpoint=[log key])`` on a
ledger with key registrations (schema and signature check, key binding, duplicate check,
leaf and node hashes, rows, a signed checkpoint and the equivocation guard's state, all in
one transaction). Floor and detente runs alternate, ``--reps`` times; the table gives each
one's median and detente's rate as a fraction of the floor's. Batch-1 latency is one
append with its checkpoint, and is reported near the start and the end of a log that has
accumulated a few thousand checkpoints (the last checkpoint is read in O(1)).

Without ``--url`` the script starts a throwaway PostgreSQL server of its own (initdb and
pg_ctl as in ``tests/pgserver.py``: Unix socket, ``fsync=on``, default
``synchronous_commit=on``) and removes it afterwards; with ``--url`` it uses that (empty)
database. For each backend it measures log-side appends of pre-signed entries (verify +
durable commit + signed checkpoint per batch) and proof latency on a tree of ``--entries``
unsigned entries. Prints a Markdown table; compare the two columns, not figures across
machines or runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from detente.ledger.commitment import Event, signed_event_entry
from detente.ledger.keyreg import genesis_entry, registration_entry
from detente.ledger.log import Ledger
from detente.ledger.note import NoteSigner
from ledger_bench import ORIGIN, _timeit, presigned_events

CID = "sha256:" + "ab" * 32
BASE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _key(name: str) -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.generate())


def _events(n: int, day: int) -> list[Event]:
    return [
        Event(
            kind="compliance_claim",
            commitment=CID,
            at=BASE + dt.timedelta(days=day, seconds=k),
            by="AFG",
        )
        for k in range(n)
    ]


def detente_rate(
    location: str | Path, total: int, batch: int, day: int, state: Path
) -> tuple[float, list[float]]:
    """Entries per second for whole signed appends, and the per-call latencies (seconds)."""
    log_key, tur, afg = _key(ORIGIN), _key("TUR"), _key("AFG")
    led = Ledger.create(
        location, ORIGIN, [log_key.vkey], genesis=genesis_entry("TUR", tur), state_dir=state
    )
    led.append(registration_entry("AFG", afg, "TUR", tur))
    data = [(ev.model_dump(),) for ev in _events(total, day)]  # plain data, as a client has
    lat: list[float] = []
    t0 = time.perf_counter()
    for start in range(0, total, batch):
        t = time.perf_counter()
        items = [signed_event_entry(fields, afg) for (fields,) in data[start : start + batch]]
        led.append_many(items, checkpoint=[log_key])
        lat.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - t0
    led.close()
    return total / elapsed, lat


def floor_rate(location: str | Path, total: int, batch: int, day: int) -> float:
    """Sign + verify + two SHA-256 + one bare row per entry, one commit per batch."""
    key = Ed25519PrivateKey.generate()
    pub = key.public_key()
    msgs = [b"detente-event/v1\n" + ev.canonical() for ev in _events(total, day)]
    if isinstance(location, Path):
        db = sqlite3.connect(location, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE t(idx INTEGER PRIMARY KEY, data BLOB, hash BLOB)")
        sql = "INSERT INTO t VALUES (?, ?, ?)"

        def commit(rows: list[tuple[int, bytes, bytes]]) -> None:
            db.execute("BEGIN")
            db.executemany(sql, rows)
            db.execute("COMMIT")

    else:
        import psycopg

        pg = psycopg.connect(location, autocommit=True)
        pg.execute("CREATE TABLE t(idx BIGINT PRIMARY KEY, data BYTEA, hash BYTEA)")

        def commit(rows: list[tuple[int, bytes, bytes]]) -> None:
            with pg.transaction(), pg.cursor() as cur:
                cur.executemany("INSERT INTO t VALUES (%s, %s, %s)", rows)

    t0 = time.perf_counter()
    for start in range(0, total, batch):
        rows = []
        for k, m in enumerate(msgs[start : start + batch]):
            sig = key.sign(m)
            pub.verify(sig, m)
            leaf = hashlib.sha256(b"\x00" + m).digest()
            hashlib.sha256(b"\x01" + leaf + leaf).digest()
            rows.append((start + k, m, leaf))
        commit(rows)
    elapsed = time.perf_counter() - t0
    if isinstance(location, Path):
        db.close()
    else:
        pg.close()
    return total / elapsed


def against_floor(
    name: str, where: Callable[[str], str | Path], tmp: Path, total: int, reps: int
) -> None:
    """Print one row per batch size: floor, detente, fraction (medians of ``reps`` pairs)."""
    for batch in (1, 100, 1000):
        n = min(total, 300) if batch == 1 else max(total, 2 * batch)
        floors, ours, fractions, lats = [], [], [], []
        for rep in range(reps):
            f = floor_rate(where(f"floor-{batch}-{rep}"), n, batch, rep)
            d, lat = detente_rate(where(f"det-{batch}-{rep}"), n, batch, rep, tmp / f"s{rep}")
            floors.append(f)
            ours.append(d)
            fractions.append(d / f)
            lats += lat
        extra = ""
        if batch == 1:
            lats.sort()
            extra = (
                f"; batch-1 latency median {statistics.median(lats) * 1e3:.2f} ms, "
                f"p99 {lats[int(len(lats) * 0.99) - 1] * 1e3:.2f} ms"
            )
        print(
            f"| {name}, batch {batch}, {n} entries x {reps} | "
            f"{statistics.median(floors):,.0f} /s | {statistics.median(ours):,.0f} /s | "
            f"{statistics.median(fractions):.0%} (runs: "
            f"{', '.join(f'{x:.0%}' for x in fractions)}){extra} |"
        )


def latency_growth(location: str | Path, state: Path, n: int) -> tuple[float, float]:
    """Median batch-1 append+checkpoint latency (ms) over the first and last 100 of ``n``."""
    _, lat = detente_rate(location, n, 1, 99, state)
    return statistics.median(lat[:100]) * 1e3, statistics.median(lat[-100:]) * 1e3


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def presigned(n: int) -> tuple[NoteSigner, list[bytes]]:
    """A log key and ``n`` entries signed by a party beforehand."""
    log_key = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    return log_key, presigned_events(NoteSigner("AFG", Ed25519PrivateKey.generate()), n)


def appends(location: str | Path, log_key: NoteSigner, items: list[bytes], batch: int) -> float:
    """Entries per second: append a batch with its checkpoint, repeat (entry checks off)."""
    led = Ledger.create(location, ORIGIN, [log_key.vkey], check_entries=False)
    t0 = time.perf_counter()
    for start in range(0, len(items), batch):
        led.append_many(items[start : start + batch], checkpoint=[log_key])
    elapsed = time.perf_counter() - t0
    led.close()
    return len(items) / elapsed


def proofs(location: str | Path, n: int, samples: int) -> dict[str, dict[str, float]]:
    """Build ``n`` unsigned entries, then time random inclusion and consistency proofs."""
    led = Ledger.create(location, ORIGIN, [], check_entries=False)
    for start in range(0, n, 20_000):
        led.append_many([f"entry {i:08d}".encode() for i in range(start, min(n, start + 20_000))])
    rng = random.Random(20251107)
    out = {
        "inclusion": _timeit(led.inclusion_proof, [(rng.randrange(n), n) for _ in range(samples)]),
        "consistency": _timeit(
            led.consistency_proof, [(rng.randrange(1, n), n) for _ in range(samples)]
        ),
    }
    led.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", help="an empty PostgreSQL database (default: a throwaway server)")
    ap.add_argument("--appends", type=int, default=5_000)
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--growth", type=int, default=2_000)
    args = ap.parse_args()
    server = None
    if args.url:
        urls: Callable[[], str] = lambda: args.url  # noqa: E731
    else:
        from tests.pgserver import PgServer, PgUnavailable

        try:
            server = PgServer(fsync=True)
        except PgUnavailable as exc:
            print(f"skipped: {exc}")
            return
        urls = server.new_database
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}"
    )
    try:
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            print(
                "\n| appends (whole signed append vs the floor) | floor | detente | "
                "detente / floor |\n|---|---|---|---|"
            )
            against_floor(
                "SQLite", lambda name: tmp / f"{name}.sqlite", tmp, args.appends, args.reps
            )
            against_floor("PostgreSQL", lambda name: urls(), tmp, args.appends, args.reps)
            print("\n| batch-1 append + checkpoint latency, median | first 100 | last 100 |")
            print("|---|---|---|")
            for name, loc in (("SQLite", tmp / "grow.sqlite"), ("PostgreSQL", urls())):
                a, b = latency_growth(loc, tmp / f"grow-{name}", args.growth)
                print(f"| {name}, log of {args.growth:,} checkpoints | {a:.2f} ms | {b:.2f} ms |")
            print("\n| measurement | SQLite (WAL, synchronous=FULL) | PostgreSQL |\n|---|---|---|")
            for batch in (100, 1000):
                log_key, items = presigned(args.appends)
                lite = appends(tmp / f"a{batch}.sqlite", log_key, items, batch)
                pg = appends(urls(), log_key, items, batch)
                print(
                    f"| log-side appends of pre-signed entries (no key registrations: "
                    f"checks off), batch {batch}, {args.appends} entries | {lite:,.0f} /s | "
                    f"{pg:,.0f} /s |"
                )
            lite_p = proofs(tmp / "p.sqlite", args.entries, args.samples)
            pg_p = proofs(urls(), args.entries, args.samples)
            for kind in ("inclusion", "consistency"):
                a, b = lite_p[kind], pg_p[kind]
                print(
                    f"| {kind} proof at {args.entries:,} entries ({args.samples} random), "
                    f"median / p99 | {a['median_ms']:.3f} / {a['p99_ms']:.3f} ms | "
                    f"{b['median_ms']:.3f} / {b['p99_ms']:.3f} ms |"
                )
    finally:
        if server is not None:
            server.stop()
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
