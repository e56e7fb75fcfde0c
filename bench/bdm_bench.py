"""Benchmarks of the ``bdm`` expected-utility model (issue 3, item 5).

Run: ``.venv/bin/python bench/bdm_bench.py`` (add ``--quick`` for a smoke run).

* one run of 10, 30, 100 and 250 actors x 10 rounds (random case, one issue);
* one batched call on 10,000 perturbed copies of the Istanbul case (every position,
  salience and capability drawn uniformly within its stated range), 10 rounds;
  a random 6-actor case stands in when the example file is missing.

Times are the best of several repeats in one process, wall clock and CPU (process) time;
on a shared machine the CPU time is the better measure of the work done on one core.
numpy's element-wise work runs on one core; BLAS threads are pinned to 1 below.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from detente.case.arrays import case_arrays  # noqa: E402
from detente.case.loader import load_case  # noqa: E402
from detente.forecast.registry import ModelInput, get_model  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ISTANBUL = REPO / "examples" / "istanbul-2025" / "case.yaml"


def random_input(actors: int, batch: int, seed: int) -> ModelInput:
    rng = np.random.default_rng(seed)
    return ModelInput(
        position=rng.uniform(0, 100, (batch, actors, 1)),
        salience=rng.uniform(0.1, 1, (batch, actors, 1)),
        capability=rng.uniform(0.1, 1, (batch, actors, 1)),
        present=np.ones((actors, 1), bool),
        status_quo=np.full((batch, 1), np.nan),
        scale_min=np.zeros(1),
        scale_max=np.full(1, 100.0),
    )


def istanbul_batch(batch: int, seed: int) -> tuple[ModelInput, str]:
    if not ISTANBUL.exists():
        return random_input(6, batch, seed), "random 6-actor case (Istanbul file missing)"
    arr = case_arrays(load_case(ISTANBUL))
    rng = np.random.default_rng(seed)
    shape = (batch, *arr.position.shape)

    def draw(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        lo = np.where(arr.present, lo, 0.0)
        hi = np.where(arr.present, hi, 0.0)
        return lo + (hi - lo) * rng.random(shape)

    pos = draw(arr.position_low, arr.position_high)
    pos = np.where(arr.present, pos, arr.scale_min[None, None, :])
    inp = ModelInput(
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
    label = f"Istanbul case ({arr.n_actors} actors x {arr.n_issues} issues)"
    return inp, label


def best_of(fn: object, repeats: int) -> tuple[float, float]:
    """Best wall-clock and best CPU (process) time over ``repeats`` calls."""
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    args = parser.parse_args()
    model = get_model("bdm")
    rounds = 10
    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} logical CPUs, {platform.processor() or platform.platform()}"
    )
    print("| case | batch | rounds | wall s (best of n) | CPU s (best of n) |")
    print("|---|---|---|---|---|")
    sizes = [10, 30] if args.quick else [10, 30, 100, 250]
    for actors in sizes:
        inp = random_input(actors, 1, seed=actors)
        reps = 1 if args.quick else (5 if actors <= 100 else 3)
        w, c = best_of(lambda inp=inp: model(inp, rounds=rounds), reps)
        print(f"| random, {actors} actors, 1 issue | 1 | {rounds} | {w:.4f} | {c:.4f} (n={reps}) |")
    batch = 100 if args.quick else 10_000
    inp, label = istanbul_batch(batch, seed=2025)
    reps = 1 if args.quick else 5
    w, c = best_of(lambda: model(inp, rounds=rounds), reps)
    print(
        f"| {label}, perturbed within ranges | {batch} | {rounds} | {w:.4f} | {c:.4f} (n={reps}) |"
    )
    print(f"load average after the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
