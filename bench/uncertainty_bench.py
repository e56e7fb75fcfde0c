"""Benchmark Monte Carlo sweeps: draws per second on the Istanbul case.

For each engine (local process pool and dask-local, both with ``--workers`` worker
processes) the script runs ``--draws`` draws of the flagship case through each
registered model on its own, then through all of them together, and prints draws per
second as a Markdown table (and, with ``--json``, as JSON). P(deadlock) is included
(and timed) whenever the sweep has ``bdm`` and the diagnosis is available.

Each engine is started once (its start-up time is printed on its own line) and warmed up
with a small sweep, so the rates exclude start-up. ``bdm`` is run twice: with the
diagnosis of every draw (the verdicts are read from the same bdm run,
:func:`detente.diagnose.core.verdicts_from_run`) and without it. The load average is
printed before and after each engine (the machine is often shared).

Run: ``.venv/bin/python bench/uncertainty_bench.py [--draws 100000] [--workers 2]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from detente.case.loader import load_case
from detente.uncertainty._models import ensure_registered
from detente.uncertainty.engines import make_engine
from detente.uncertainty.sweep import CHUNK_SIZE, run_sweep

CASE = Path(__file__).resolve().parents[1] / "examples" / "istanbul-2025" / "case.yaml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--draws", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engines", nargs="+", default=["local", "dask-local"])
    ap.add_argument("--models", nargs="+", default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    case = load_case(CASE)
    names = args.models or sorted(ensure_registered())
    # (models, diagnose each draw?): each model alone, bdm also without the diagnosis
    runs = [([m], True) for m in names] + [(names, True)]
    if "bdm" in names:
        runs.insert(names.index("bdm") + 1, (["bdm"], False))
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}, {args.draws:,} draws, "
        f"{args.workers} workers"
    )
    print("| engine | models | draws/s | seconds | P(deadlock) timed |")
    print("|---|---|---:|---:|---|")
    out = []
    for engine in args.engines:
        print(f"load average before {engine}: {os.getloadavg()[0]:.2f}")
        t0 = time.perf_counter()
        eng = make_engine(engine, args.workers)
        startup = time.perf_counter() - t0
        run_sweep(case, 4 * CHUNK_SIZE, args.seed, models=names, engine=eng)  # warm-up
        print(f"| {engine} | (start-up of {eng.workers} workers) | | {startup:.2f} | |")
        for models, diagnosis in runs:
            r = run_sweep(
                case,
                args.draws,
                args.seed,
                models=models,
                engine=eng,
                diagnosis=diagnosis,
            )
            label = "all: " + ", ".join(models) if len(models) > 1 else models[0]
            if models == ["bdm"] and not diagnosis:
                label += " (no diagnosis)"
            print(
                f"| {engine} | {label} | {r.rate:,.0f} | {r.seconds:.2f} | "
                f"{'yes' if r.p_verdict is not None else 'no'} |",
                flush=True,
            )
            out.append(
                {
                    "engine": engine,
                    "models": models,
                    "draws": r.draws_done,
                    "seconds": r.seconds,
                    "draws_per_second": r.rate,
                    "p_verdict": r.p_verdict is not None,
                }
            )
        eng.close()
        print(f"load average after {engine}: {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
