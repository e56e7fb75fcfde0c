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

CPU seconds are counted per process (the driver, which for dask-local also runs the
scheduler, and every worker), so that engines can be compared on a loaded machine:
what an engine costs is its CPU per draw. ``--dask-settings dask-defaults`` starts
dask-local with Dask's own settings except the malloc one (the "before" of the
"Dask without the tax" section of docs/performance.md).

The engine ``dask-local-ungrouped`` is dask-local with one chunk per Dask task (the
engine before chunks went in groups, :func:`detente.uncertainty.engines.dask_groups`).
An engine named several times runs several times, in the order given (alternate them:
``--engines local dask-local local dask-local local dask-local``); a last table gives
each engine's median over its runs, and the median of the paired ratios of CPU and
draws/s against the first engine's run before it.

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
import psutil  # type: ignore[import-untyped]

from detente.case.loader import load_case
from detente.uncertainty import engines
from detente.uncertainty._models import ensure_registered
from detente.uncertainty.engines import DaskEngine, make_engine
from detente.uncertainty.sweep import CHUNK_SIZE, run_sweep

CASE = Path(__file__).resolve().parents[1] / "examples" / "istanbul-2025" / "case.yaml"


def _children_cpu() -> dict[int, float]:
    """CPU seconds of every process below this one (pool or Dask workers)."""
    out = {}
    for proc in psutil.Process().children(recursive=True):
        try:
            t = proc.cpu_times()
        except psutil.Error:
            continue
        out[proc.pid] = t.user + t.system
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--draws", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engines", nargs="+", default=["local", "dask-local"])
    ap.add_argument("--models", nargs="+", default=None)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)
    ap.add_argument("--plain", action="store_true", help="no bdm run without the diagnosis")
    ap.add_argument("--dask-settings", choices=["lean", "dask-defaults"], default="lean")
    args = ap.parse_args()
    if args.dask_settings == "dask-defaults":  # only the malloc fix, as before
        engines.LEAN_DASK_CONFIG = {"distributed.nanny.pre-spawn-environ": {}}
    case = load_case(CASE)
    names = args.models or sorted(ensure_registered())
    # (models, diagnose each draw?): each model alone, bdm also without the diagnosis
    runs = [([m], True) for m in names] + ([(names, True)] if len(names) > 1 else [])
    if "bdm" in names and not args.plain:
        runs.insert(names.index("bdm") + 1, (["bdm"], False))
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}, {args.draws:,} draws, "
        f"{args.workers} workers"
    )
    print(f"chunk size {args.chunk_size:,}, dask settings: {args.dask_settings}")
    print("| engine | models | draws/s | seconds | CPU s: driver | CPU s: workers | P(deadlock) |")
    print("|---|---|---:|---:|---:|---:|---|")
    out = []
    for engine in args.engines:
        print(f"load average before {engine}: {os.getloadavg()[0]:.2f}")
        t0 = time.perf_counter()
        eng = (
            DaskEngine(args.workers, max_group=1)
            if engine == "dask-local-ungrouped"
            else make_engine(engine, args.workers)
        )
        startup = time.perf_counter() - t0
        run_sweep(case, 4 * args.chunk_size, args.seed, models=names, engine=eng)  # warm-up
        print(f"| {engine} | (start-up of {eng.workers} workers) | | {startup:.2f} | | | |")
        for models, diagnosis in runs:
            kids0, me0 = _children_cpu(), time.process_time()
            r = run_sweep(
                case,
                args.draws,
                args.seed,
                models=models,
                engine=eng,
                diagnosis=diagnosis,
                chunk_size=args.chunk_size,
            )
            me = time.process_time() - me0
            kids1 = _children_cpu()
            workers_cpu = sum(v - kids0.get(pid, 0.0) for pid, v in kids1.items())
            label = "all: " + ", ".join(models) if len(models) > 1 else models[0]
            if models == ["bdm"] and not diagnosis:
                label += " (no diagnosis)"
            print(
                f"| {engine} | {label} | {r.rate:,.0f} | {r.seconds:.2f} | {me:.2f} | "
                f"{workers_cpu:.2f} | {'yes' if r.p_verdict is not None else 'no'} |",
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
                    "cpu_driver": me,
                    "cpu_workers": workers_cpu,
                }
            )
        eng.close()
        print(f"load average after {engine}: {os.getloadavg()[0]:.2f}")
    _medians(out)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


def _medians(out: list[dict[str, object]]) -> None:
    """Median per engine and models, and median paired ratios to the first engine."""
    if len(out) < 2:
        return
    first = str(out[0]["engine"])
    keys = sorted({(str(r["engine"]), str(r["models"])) for r in out})
    print("| engine | models | runs | median draws/s | median CPU s (all processes) |")
    print("|---|---|---:|---:|---:|")
    for eng, models in keys:
        rs = [r for r in out if (str(r["engine"]), str(r["models"])) == (eng, models)]
        rate = float(np.median([float(str(r["draws_per_second"])) for r in rs]))
        cpu = float(np.median([_cpu(r) for r in rs]))
        print(f"| {eng} | {models} | {len(rs)} | {rate:,.0f} | {cpu:.2f} |")
    # pairs: each run of another engine against the latest run of the first before it
    for eng in sorted({e for e, _ in keys if e != first}):
        cpu_r, rate_r = [], []
        for k, r in enumerate(out):
            if r["engine"] != eng:
                continue
            base = [b for b in out[:k] if b["engine"] == first and b["models"] == r["models"]]
            if base:
                cpu_r.append(_cpu(r) / _cpu(base[-1]))
                rate_r.append(
                    float(str(r["draws_per_second"])) / float(str(base[-1]["draws_per_second"]))
                )
        if cpu_r:
            print(
                f"{eng} against {first}, {len(cpu_r)} pairs: median CPU ratio "
                f"{np.median(cpu_r):.3f} ({', '.join(f'{x:.3f}' for x in cpu_r)}), "
                f"median draws/s ratio {np.median(rate_r):.3f} "
                f"({', '.join(f'{x:.3f}' for x in rate_r)})"
            )


def _cpu(r: dict[str, object]) -> float:
    return float(str(r["cpu_driver"])) + float(str(r["cpu_workers"]))


if __name__ == "__main__":
    main()
