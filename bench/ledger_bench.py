"""Ledger benchmarks: signed appends per second, proofs at 1,000,000 entries, verification.

Run: .venv/bin/python bench/ledger_bench.py [--entries 1000000] [--appends 20000]

Prints a Markdown table of measured figures (nothing is estimated). Every database is a real
SQLite file in WAL mode with synchronous=FULL, in a temporary folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from detente.ledger import merkle
from detente.ledger.commitment import (
    Commitment,
    Event,
    Indicator,
    Obligation,
    commitment_entry,
    countersign,
    event_entry,
    sign_commitment,
    sign_event,
    verify_entry,
)
from detente.ledger.keyreg import genesis_entry, registration_entry
from detente.ledger.log import Ledger
from detente.ledger.note import ALG_COSIGNATURE_V1, NoteSigner
from detente.ledger.receipt import Policy, verify_receipt
from detente.ledger.witness import Witness, format_add_checkpoint

ORIGIN = "bench.detente.example/log"
CID = "sha256:" + "ab" * 32


def _signer(name: str, alg: int = 1) -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.generate(), alg)


def _bound(path: Path, log_key: NoteSigner, *parties: NoteSigner) -> Ledger:
    """A checked ledger whose genesis mediator (TUR) registered each party's key."""
    tur = _signer("TUR")
    led = Ledger.create(
        path, ORIGIN, [log_key.vkey], genesis=genesis_entry("TUR", tur), state_dir=path.parent
    )
    for p in parties:
        if p.name == "TUR":
            continue
        led.append(registration_entry(p.name, p, "TUR", tur))
    return led


def bench_signed_appends(tmp: Path, total: int, batch: int) -> dict[str, float]:
    """Sign each entry (Ed25519), verify it on append, commit per batch, sign a checkpoint."""
    log_key = _signer(ORIGIN)
    party = _signer("AFG")
    led = _bound(tmp / f"appends-{batch}.sqlite", log_key, party)
    t0 = time.perf_counter()
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    done = 0
    while done < total:
        items = []
        for k in range(min(batch, total - done)):
            ev = Event(
                kind="compliance_claim",
                commitment=CID,
                at=base + dt.timedelta(seconds=done + k),
                by="AFG",
            )
            items.append(event_entry(ev, [sign_event(ev, party)]))
        led.append_many(items, checkpoint=[log_key])
        done += len(items)
    elapsed = time.perf_counter() - t0
    led.close()
    return {"per_s": total / elapsed, "elapsed": elapsed}


def presigned_events(party: NoteSigner, total: int, day: int = 0) -> list[bytes]:
    """``total`` compliance-claim events signed by ``party`` (a second apart from ``day``)."""
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=day)
    items = []
    for k in range(total):
        ev = Event(
            kind="compliance_claim", commitment=CID, at=base + dt.timedelta(seconds=k), by="AFG"
        )
        items.append(event_entry(ev, [sign_event(ev, party)]))
    return items


def bench_presigned_appends(tmp: Path, total: int, batch: int) -> dict[str, float]:
    """Log side only: entries signed beforehand; verify each, fsync'd commit, checkpoint."""
    log_key = _signer(ORIGIN)
    party = _signer("AFG")
    items = presigned_events(party, total)
    led = _bound(tmp / f"presigned-{batch}.sqlite", log_key, party)
    t0 = time.perf_counter()
    for start in range(0, total, batch):
        led.append_many(items[start : start + batch], checkpoint=[log_key])
    elapsed = time.perf_counter() - t0
    led.close()
    return {"per_s": total / elapsed, "elapsed": elapsed}


def _parallel_worker(db: str, seed: int, total: int, batch: int, log_seed: bytes, barrier) -> None:  # type: ignore[no-untyped-def]
    log_key = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(log_seed))
    items = presigned_events(_signer("AFG"), total, day=seed)
    led = Ledger.open(db, check_entries=False)  # log side only: no key registrations
    barrier.wait()
    for start in range(0, total, batch):
        led.append_many(items[start : start + batch], checkpoint=[log_key])
    led.close()


def bench_parallel_appends(tmp: Path, total: int, batch: int, procs: int) -> dict[str, float]:
    """Pre-signed entries appended by ``procs`` processes at once (BEGIN IMMEDIATE)."""
    import multiprocessing as mp

    log_seed = os.urandom(32)
    log_key = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(log_seed))
    db = tmp / f"parallel-{batch}.sqlite"
    Ledger.create(db, ORIGIN, [log_key.vkey], check_entries=False).close()
    barrier = mp.Barrier(procs + 1)
    workers = [
        mp.Process(
            target=_parallel_worker, args=(str(db), k, total // procs, batch, log_seed, barrier)
        )
        for k in range(procs)
    ]
    for w in workers:
        w.start()
    barrier.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join()
        assert w.exitcode == 0
    elapsed = time.perf_counter() - t0
    led = Ledger.open(db)
    n = led.size
    assert led.fsck(check_signatures=False).ok
    led.close()
    return {"per_s": n / elapsed, "elapsed": elapsed, "size": n}


def bench_commitment_lookup(tmp: Path, n: int) -> dict[str, float]:
    """Find the last of ``n`` commitments by id (what ``detente ledger event`` does first).

    ``find_commitment`` reads the commitment's index (one lookup) and verifies the match;
    the other figure is the scan it replaced, which verified every entry's signatures.
    """
    party, mediator = _signer("AFG"), _signer("QAT")
    led = Ledger.create(
        tmp / "lookup.sqlite", ORIGIN, [], genesis=genesis_entry("QAT", mediator), state_dir=tmp
    )
    led.append(registration_entry("AFG", party, "QAT", mediator))
    entries = []
    for k in range(n):
        c = Commitment(
            id=f"bench-{k}",
            label="bench",
            committing_party="AFG",
            beneficiaries=["PAK"],
            text=f"Guarantee {k}.",
            obligations=[
                Obligation(
                    id="o1",
                    text="No attacks.",
                    indicator=Indicator(
                        metric="attacks", comparison="<=", threshold=0, period="P30D"
                    ),
                )
            ],
            start=dt.date(2026, 1, 1),
            guarantors=["QAT"],
        )
        sc = countersign(sign_commitment(c, "AFG", party), "QAT", mediator)
        entries.append(commitment_entry(sc))
    first = led.append_many(entries)
    cid = verify_entry(entries[-1]).id
    t0 = time.perf_counter()
    assert led.find_commitment(cid) == first + n - 1
    parse_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    assert cid in {verify_entry(led.entry(i)).id for i in range(led.size)}
    verify_s = time.perf_counter() - t0
    led.close()
    return {"parse_s": parse_s, "verify_s": verify_s}


def build_large(tmp: Path, n: int) -> tuple[Ledger, float]:
    led = Ledger.create(tmp / "large.sqlite", ORIGIN, [], check_entries=False)
    t0 = time.perf_counter()
    chunk = 20_000
    for start in range(0, n, chunk):
        led.append_many([f"entry {i:08d}".encode() for i in range(start, min(n, start + chunk))])
    return led, time.perf_counter() - t0


def _timeit(fn, args_list) -> dict[str, float]:  # type: ignore[no-untyped-def]
    times = []
    for args in args_list:
        t = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t)
    times.sort()
    return {
        "median_ms": statistics.median(times) * 1e3,
        "p99_ms": times[int(len(times) * 0.99) - 1] * 1e3,
        "max_ms": times[-1] * 1e3,
    }


def bench_proofs(
    led: Ledger, n: int, samples: int, rng: random.Random
) -> dict[str, dict[str, float]]:
    inc = _timeit(led.inclusion_proof, [(rng.randrange(n), n) for _ in range(samples)])
    con = _timeit(led.consistency_proof, [(rng.randrange(1, n), n) for _ in range(samples)])
    # Sanity: a sampled proof verifies against the root.
    i = rng.randrange(n)
    merkle.verify_inclusion(
        merkle.leaf_hash(led.entry(i)), i, n, led.inclusion_proof(i, n), led.root(n)
    )
    return {"inclusion": inc, "consistency": con}


def bench_verification(tmp: Path, count: int) -> dict[str, float]:
    log_key = _signer(ORIGIN)
    party = _signer("AFG")
    wit = [_signer(f"w{k}.example", ALG_COSIGNATURE_V1) for k in range(3)]
    led = _bound(tmp / "verify.sqlite", log_key, party)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    items = []
    for k in range(count):
        ev = Event(
            kind="compliance_claim", commitment=CID, at=base + dt.timedelta(seconds=k), by="AFG"
        )
        items.append(event_entry(ev, [sign_event(ev, party)]))
    first = led.append_many(items)
    note = led.checkpoint([log_key])
    lines = [
        Witness(w, tmp / f"ws{k}", {ORIGIN: [log_key.vkey]}).add_checkpoint(
            format_add_checkpoint(0, [], note)
        )
        for k, w in enumerate(wit)
    ]
    led.add_cosignatures(note + "".join(x + "\n" for x in lines), [w.vkey for w in wit])
    receipts = [led.receipt(first + i) for i in range(count)]  # bundles: key bindings too
    policy = Policy(
        origin=ORIGIN, log_keys=[log_key.vkey], witnesses=[w.vkey for w in wit], quorum=2
    )
    t0 = time.perf_counter()
    for r in receipts:
        assert verify_receipt(r, policy).ok
    receipt_s = count / (time.perf_counter() - t0)
    size = led.size
    root = led.root()
    proofs = [
        (merkle.leaf_hash(items[i]), first + i, size, led.inclusion_proof(first + i), root)
        for i in range(count)
    ]
    t0 = time.perf_counter()
    for p in proofs:
        merkle.verify_inclusion(*p)
    inc_s = count / (time.perf_counter() - t0)
    led.close()
    return {"receipts_per_s": receipt_s, "inclusion_per_s": inc_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--appends", type=int, default=20_000)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--verify", type=int, default=2000)
    ap.add_argument("--lookup", type=int, default=10_000)
    args = ap.parse_args()
    rng = random.Random(20251107)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        print("\n| measurement | result |\n|---|---|")
        for batch in (1, 100, 1000):
            total = min(args.appends, 2000) if batch == 1 else args.appends
            r = bench_signed_appends(tmp, total, batch)
            print(
                f"| signed appends, batch {batch} (sign + verify + fsync'd commit + signed "
                f"checkpoint per batch), {total} entries | {r['per_s']:,.0f} /s |"
            )
        for batch in (100, 1000):
            r = bench_presigned_appends(tmp, args.appends, batch)
            print(
                f"| log-side appends of pre-signed entries, batch {batch} (verify + fsync'd "
                f"commit + signed checkpoint per batch), {args.appends} entries | "
                f"{r['per_s']:,.0f} /s |"
            )
        for batch in (100, 1000):
            r = bench_parallel_appends(tmp, args.appends, batch, 2)
            print(
                f"| log-side appends of pre-signed entries by 2 processes, batch {batch} "
                f"(verify + fsync'd commit + signed checkpoint per batch), {int(r['size'])} "
                f"entries | {r['per_s']:,.0f} /s |"
            )
        lk = bench_commitment_lookup(tmp, args.lookup)
        print(
            f"| find the last of {args.lookup:,} commitments by id (`ledger event`): index "
            f"| {lk['parse_s']:.3f} s (verify-every-entry scan: {lk['verify_s']:.3f} s) |"
        )
        led, build_s = build_large(tmp, args.entries)
        print(
            f"| build {args.entries:,} unsigned entries (batches of 20,000) | "
            f"{build_s:.1f} s ({args.entries / build_s:,.0f} /s) |"
        )
        res = bench_proofs(led, args.entries, args.samples, rng)
        for kind, t in res.items():
            print(
                f"| {kind} proof at {args.entries:,} entries ({args.samples} random) | median "
                f"{t['median_ms']:.3f} ms, p99 {t['p99_ms']:.3f} ms, max {t['max_ms']:.3f} ms |"
            )
        size = (tmp / "large.sqlite").stat().st_size
        print(f"| database size at {args.entries:,} entries | {size / 2**20:.0f} MiB |")
        led.close()
        v = bench_verification(tmp, args.verify)
        print(
            f"| offline receipt verification (entry sig, log sig, 2-of-3 witnesses, inclusion) "
            f"| {v['receipts_per_s']:,.0f} /s |"
        )
        print(
            f"| RFC 9162 inclusion proof verification ({args.verify}-entry tree) | "
            f"{v['inclusion_per_s']:,.0f} /s |"
        )


if __name__ == "__main__":
    main()
