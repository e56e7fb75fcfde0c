"""Benchmark Monte Carlo sweeps: draws per second on the Istanbul case.

For each engine (local process pool and dask-local, both with ``--workers`` worker
processes) the script runs ``--draws`` draws of the flagship case through each
registered model on its own, then through all of them together, and prints draws per
second as a Markdown table (and, with ``--json``, as JSON). P(deadlock) is included
(and timed) whenever the sweep has ``bdm`` and the diagnosis is available.

Run: ``.venv/bin/python bench/uncertainty_bench.py [--draws 100000] [--workers 2]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import numpy as np

from detente.case.loader import load_case
from detente.uncertainty._models import ensure_registered
from detente.uncertainty.sweep import run_sweep

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
    runs = [[m] for m in names] + [names]
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}, {args.draws:,} draws, "
        f"{args.workers} workers"
    )
    print("| engine | models | draws/s | seconds | P(deadlock) timed |")
    print("|---|---|---:|---:|---|")
    out = []
    for engine in args.engines:
        for models in runs:
            r = run_sweep(
                case, args.draws, args.seed, models=models, engine=engine, workers=args.workers
            )
            label = "all: " + ", ".join(models) if len(models) > 1 else models[0]
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
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
