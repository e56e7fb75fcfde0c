"""Benchmark the intervention search and Sobol indices on the Istanbul case.

Times, in this process (no start-up), the intervention search on the sanctuaries issue
with Türkiye and Qatar as the actors that may move, and Sobol indices with the four
default models (P(deadlock) included, read from the bdm run). Each call is repeated
``--repeat`` times and the best time is printed, with the load average before and after
(the machine is often shared: compare figures from one run of this script).

Run: ``.venv/bin/python bench/sensitivity_bench.py [--samples 1024] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

from detente.case.loader import load_case
from detente.uncertainty.interventions import search_interventions
from detente.uncertainty.sensitivity import sobol

CASE = Path(__file__).resolve().parents[1] / "examples" / "istanbul-2025" / "case.yaml"


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """The shortest of ``repeat`` wall-clock timings of ``fn()``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=1024, help="Sobol base sample N")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    case = load_case(CASE)
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    iv = best_of(
        lambda: search_interventions(case, "sanctuaries", ["TUR", "QAT"], seed=2026),
        args.repeat,
    )
    models = ["compromise", "median", "nash", "bdm"]
    sb = best_of(lambda: sobol(case, n=args.samples, seed=0, models=models), args.repeat)
    print(f"| call | seconds (best of {args.repeat}) |")
    print("|---|---|")
    print(f"| intervention search (sanctuaries, TUR + QAT, seed 2026) | {iv:.3f} |")
    print(f"| Sobol, N = {args.samples}, {' + '.join(models)} + P(deadlock) | {sb:.3f} |")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
