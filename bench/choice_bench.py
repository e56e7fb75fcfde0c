"""Benchmark of the ``choice`` model on the batch axis (issue 16).

Run: ``.venv/bin/python bench/choice_bench.py`` (add ``--quick`` for a smoke run).

One batched call of ``choice`` on 10,000 copies of the Istanbul case perturbed within its
stated ranges, against two baselines measured in the same run: the same draws one call
per draw (the Python loop the batch axis avoids) and one batched call of ``compromise``
(what a closed-form point model costs). Times are the best of several repeats, wall clock
and CPU (process) time; the ratios are what ``docs/performance.md`` reports.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from detente.case.arrays import case_arrays  # noqa: E402
from detente.case.loader import load_case  # noqa: E402
from detente.forecast.registry import ModelInput, get_model  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ISTANBUL = REPO / "examples" / "istanbul-2025" / "case.yaml"


def istanbul_batch(batch: int, seed: int) -> ModelInput:
    arr = case_arrays(load_case(ISTANBUL))
    rng = np.random.default_rng(seed)
    shape = (batch, *arr.position.shape)

    def draw(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        lo = np.where(arr.present, lo, 0.0)
        hi = np.where(arr.present, hi, 0.0)
        return lo + (hi - lo) * rng.random(shape)

    pos = np.where(arr.present, draw(arr.position_low, arr.position_high), arr.scale_min)
    return ModelInput(
        position=pos,
        salience=draw(arr.salience_low, arr.salience_high),
        capability=draw(arr.capability_low, arr.capability_high),
        present=arr.present,
        status_quo=np.broadcast_to(arr.status_quo, (batch, arr.n_issues)).copy(),
        scale_min=arr.scale_min,
        scale_max=arr.scale_max,
        actor_ids=arr.actor_ids,
        issue_ids=arr.issue_ids,
    )


def best_of(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    args = parser.parse_args()
    batch = 200 if args.quick else 10_000
    loop_n = 50 if args.quick else 1_000
    reps = 1 if args.quick else 5
    inp = istanbul_batch(batch, seed=2025)
    choice, comp = get_model("choice"), get_model("compromise")
    anchors = [[0.0, 25.0, 50.0, 75.0, 100.0]] * inp.position.shape[2]
    p = {"anchors": anchors, "mediators": ["TUR", "QAT"]}
    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} logical CPUs"
    )
    w_b, c_b = best_of(lambda: choice(inp, **p), reps)
    w_l, c_l = best_of(lambda: [choice(inp.take(k), **p) for k in range(loop_n)], reps)
    w_c, c_c = best_of(lambda: comp(inp), reps)
    per_b, per_l, per_c = c_b / batch, c_l / loop_n, c_c / batch
    print("| call | draws | wall s | CPU s | CPU us per draw |")
    print("|---|---|---|---|---|")
    print(f"| choice, batched | {batch} | {w_b:.4f} | {c_b:.4f} | {1e6 * per_b:.1f} |")
    print(f"| choice, one call per draw | {loop_n} | {w_l:.4f} | {c_l:.4f} | {1e6 * per_l:.1f} |")
    print(f"| compromise, batched | {batch} | {w_c:.4f} | {c_c:.4f} | {1e6 * per_c:.1f} |")
    print(f"batched vs one call per draw: {per_l / per_b:.0f}x less CPU per draw")
    print(f"choice vs compromise, batched: {per_b / per_c:.0f}x the CPU per draw")
    print(f"load average after the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
