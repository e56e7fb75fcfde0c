"""A ledger appender run as a real subprocess by the concurrency and crash tests.

Usage: python ledger_writer.py DB TAG COUNT BATCH [checkpoint]

With ``checkpoint`` it also signs a checkpoint with every batch, in the batch's own
transaction (``append_many(..., checkpoint=...)``: one commit, one fsync). It prints
``ack <index> <tag>-<n>`` (flushed) only after each append has returned, that is, after the
transaction was committed and fsynced.
"""

from __future__ import annotations

import sys
import time

from ledger_helpers import LOG_KEY

from detente.ledger.log import Ledger


def main() -> None:
    db, tag, count, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    checkpoint = sys.argv[5:] == ["checkpoint"]
    led = Ledger.open(db, check_entries=False)
    n = 0
    while count < 0 or n < count:
        items = [f"{tag}-{n + k}".encode() for k in range(batch)]
        first = led.append_many(items, checkpoint=[LOG_KEY] if checkpoint else None)
        for k, item in enumerate(items):
            sys.stdout.write(f"ack {first + k} {item.decode()}\n")
        sys.stdout.flush()
        n += batch
        # Real appenders pause between submissions; a tight loop would starve the other
        # process, because SQLite's busy handler is not fair (see docs/ledger.md).
        time.sleep(0.002)
    led.close()


if __name__ == "__main__":
    main()
