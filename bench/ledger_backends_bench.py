"""Ledger on SQLite and on PostgreSQL, measured side by side in one run.

Run: ``.venv/bin/python bench/ledger_backends_bench.py [--url postgresql://...]
[--appends 20000] [--entries 100000]``

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
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from detente.ledger.log import Ledger
from detente.ledger.note import NoteSigner
from ledger_bench import ORIGIN, _timeit, presigned_events

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def presigned(n: int) -> tuple[NoteSigner, list[bytes]]:
    """A log key and ``n`` entries signed by a party beforehand."""
    log_key = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    return log_key, presigned_events(NoteSigner("AFG", Ed25519PrivateKey.generate()), n)


def appends(location: str | Path, log_key: NoteSigner, items: list[bytes], batch: int) -> float:
    """Entries per second: append a batch, sign a checkpoint, repeat."""
    led = Ledger.create(location, ORIGIN, [log_key.vkey])
    t0 = time.perf_counter()
    for start in range(0, len(items), batch):
        led.append_many(items[start : start + batch])
        led.checkpoint([log_key])
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
    ap.add_argument("--appends", type=int, default=20_000)
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--samples", type=int, default=1000)
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
            print("\n| measurement | SQLite (WAL, synchronous=FULL) | PostgreSQL |\n|---|---|---|")
            for batch in (100, 1000):
                log_key, items = presigned(args.appends)
                lite = appends(tmp / f"a{batch}.sqlite", log_key, items, batch)
                pg = appends(urls(), log_key, items, batch)
                print(
                    f"| log-side appends of pre-signed entries, batch {batch}, "
                    f"{args.appends} entries | {lite:,.0f} /s | {pg:,.0f} /s |"
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
