"""Benchmarks of event imports and compliance metrics (issue 13, Speed).

Run: ``.venv/bin/python bench/events_bench.py`` (``--rows N`` to change the size,
``--quick`` for 100,000 rows).

* **Import**: N synthetic UCDP GED rows (all 49 columns, short text fields, dates spread
  over 2013-2022, precision codes drawn like the shipped sample's) imported into a fresh
  SQLite ledger with :func:`detente.events.importer.import_events` (hash, read, signed
  dataset record, one-transaction store). Baseline in the same run: one pass of Python's
  ``csv.reader`` over the same file, discarding the rows (the floor of any CSV reader
  written in Python).
* **Metric**: ``ttp_events_in_pakistan`` of the Istanbul metrics file over the N events for
  120 monthly periods (10 years). Loading from the database and factorising into arrays
  are timed apart from the measurement itself. Baseline: a single ``np.bincount`` of the
  events' month index (the least any per-period count can cost).

Times are wall clock, best of the repeats; the machine is shared, so ratios to the
baseline measured in the same run are the figures to compare across runs.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from detente.compliance.measure import EventArrays, measure
from detente.compliance.metrics import load_metrics
from detente.compliance.periods import parse_duration, periods
from detente.events.importer import import_events
from detente.events.readers import GED_COLUMNS
from detente.events.store import EventStore
from detente.ledger.keyreg import genesis_entry
from detente.ledger.log import Ledger
from detente.ledger.note import NoteSigner

REPO = Path(__file__).resolve().parents[1]
METRICS = REPO / "examples" / "istanbul-2025" / "metrics.yaml"
SIDES_A = ["Government of Pakistan", "Government of Afghanistan", "Government of India", "IS"]
SIDES_B = ["TTP", "Taleban", "Civilians", "BLA", "IS", "Jamaat-ul-Ahrar", "Kashmir insurgents"]
COUNTRIES = ["Pakistan", "Afghanistan", "India", "Syria", "Mexico"]


def write_ged(path: Path, n: int, seed: int = 13) -> None:
    rng = np.random.default_rng(seed)
    d0 = dt.date(2013, 1, 1).toordinal()
    start = d0 + rng.integers(0, 3650, n)
    length = rng.choice([0, 0, 0, 0, 0, 0, 3, 6, 20, 200], n)
    dprec = np.where(length == 0, 1, np.where(length < 7, 2, np.where(length < 30, 4, 5)))
    wprec = rng.choice([1, 1, 1, 2, 2, 3, 4, 5, 6, 7], n)
    a = rng.integers(0, len(SIDES_A), n)
    b = rng.integers(0, len(SIDES_B), n)
    c = rng.integers(0, len(COUNTRIES), n)
    best = rng.integers(0, 30, n)
    tov = rng.integers(1, 4, n)
    clar = rng.choice([1, 1, 1, 1, 2], n)
    lat = rng.uniform(25, 37, n).round(4)
    lon = rng.uniform(60, 75, n).round(4)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(GED_COLUMNS)
        for k in range(n):
            ds = dt.date.fromordinal(int(start[k])).isoformat()
            de = dt.date.fromordinal(int(start[k] + length[k])).isoformat()
            sa, sb = SIDES_A[a[k]], SIDES_B[b[k]]
            w.writerow(
                [
                    k, f"SYN-{k}", ds[:4], 1, "Clear", tov[k], 1, 1, "Synthetic", 2, 2,
                    f"{sa} - {sb}", 3, 3, sa, 4, 4, sb, 1, "synthetic source", "", "", "",
                    "synthetic", wprec[k], "somewhere", "synthetic", "Adm1 province",
                    "Adm2 district", lat[k], lon[k], f"POINT ({lon[k]} {lat[k]})", 100,
                    COUNTRIES[c[k]], 770, "Asia", clar[k], dprec[k], f"{ds} 00:00:00",
                    f"{de} 00:00:00", 0, best[k], 0, 0, best[k], best[k] + 2,
                    max(best[k] - 1, 0), 770, "",
                ]
            )  # fmt: skip


def best_of(repeats: int, fn: object) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    n = 100_000 if args.quick else args.rows
    print(f"python {sys.version.split()[0]} on {platform.machine()}, numpy {np.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "ged-synthetic.csv"
        write_ged(csv_path, n)
        print(f"{n:,} synthetic GED rows, {csv_path.stat().st_size / 1e6:.0f} MB")

        def baseline() -> None:
            with csv_path.open(encoding="utf-8", newline="") as fh:
                for _ in csv.reader(fh):
                    pass

        t_base = best_of(args.repeats, baseline)
        signer = NoteSigner("bench", Ed25519PrivateKey.generate())
        log = NoteSigner("bench.example/log", Ed25519PrivateKey.generate())
        times = []
        db = Path(tmp) / "x.sqlite"
        for r in range(args.repeats):
            db = Path(tmp) / f"ledger{r}.sqlite"
            Ledger.create(
                db, "bench.example/log", [log.vkey], genesis=genesis_entry("bench", signer)
            ).close()
            t = time.perf_counter()
            res = import_events(db, csv_path, "ucdp-ged", "23.1", signer, "bench")
            times.append(time.perf_counter() - t)
            assert res.rows == n
        t_imp = min(times)
        print(f"csv.reader pass (baseline): {t_base:.2f} s ({n / t_base:,.0f} rows/s)")
        print(
            f"import into SQLite: {t_imp:.2f} s = {n / t_imp:,.0f} rows/s "
            f"({t_imp / t_base:.1f}x the baseline; target >= 100,000 rows/s)"
        )
        with EventStore(db) as store:
            t = time.perf_counter()
            cols = store.load(res.record_index, with_raw=False)
            t_load = time.perf_counter() - t
        t = time.perf_counter()
        ev = EventArrays.from_columns(cols)
        t_arr = time.perf_counter() - t
        mf = load_metrics(METRICS)
        spans = periods(dt.date(2013, 1, 1), dt.date(2022, 12, 31), parse_duration("P1M"))
        cov = (dt.date(2013, 1, 1), dt.date(2022, 12, 31))
        t_metric = best_of(
            max(args.repeats, 3),
            lambda: measure(mf, "ttp_events_in_pakistan", "ucdp-ged", ev, spans, cov),
        )
        starts = np.array([a.toordinal() for a, _ in spans])

        def floor() -> None:
            k = np.searchsorted(starts, ev.date_start, side="right") - 1
            np.bincount(k[k >= 0], minlength=len(spans))

        t_floor = best_of(max(args.repeats, 3), floor)
        m = measure(mf, "ttp_events_in_pakistan", "ucdp-ged", ev, spans, cov)
        print(f"load events from SQLite: {t_load:.2f} s; arrays: {t_arr:.2f} s")
        print(
            f"metric, {len(spans)} monthly periods: {t_metric:.3f} s "
            f"({t_metric / t_floor:.1f}x one bincount, {t_floor:.3f} s; target < 1 s); "
            f"events counted (best): {int(m.best.sum()):,}"
        )


if __name__ == "__main__":
    main()
