"""Benchmarks of the ``bdm`` expected-utility model (issue 3, item 5).

Run: ``.venv/bin/python bench/bdm_bench.py`` (add ``--quick`` for a smoke run).

* one run of 10, 30, 100 and 250 actors x 10 rounds (random case, one issue);
* one batched call on 10,000 perturbed copies of the Istanbul case (every position,
  salience and capability drawn uniformly within its stated range), 10 rounds;
  a random 6-actor case stands in when the example file is missing;
* ``--scale``: one problem of 100 to 1,000 actors with the default 8 rounds, wall and
  CPU time and peak traced memory (numpy's allocations, ``tracemalloc``, in a second
  call), and the growth exponents (least squares on logarithms);
* ``--stop``: a small solve (the Istanbul case's first issue) with the fixed 8 rounds
  and with the opt-in convergence stop (median moves < 0.1% of the scale for 2 rounds).

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
import tracemalloc  # noqa: E402
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


def scale(sizes: list[int]) -> None:
    """Time and memory of one problem against actors, and the growth exponents."""
    model = get_model("bdm")
    print("| actors | wall s | CPU s | peak traced MiB |")
    print("|---:|---:|---:|---:|")
    rows = []
    for actors in sizes:
        inp = random_input(actors, 1, seed=actors)
        reps = 3 if actors <= 250 else 1
        w, c = best_of(lambda inp=inp: model(inp), reps)
        tracemalloc.start()
        model(inp)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        rows.append((actors, w, c, peak))
        print(f"| {actors} | {w:.3f} | {c:.3f} | {peak:.1f} |", flush=True)
    a = np.log([r[0] for r in rows])
    for label, k in (("wall", 1), ("CPU", 2), ("peak memory", 3)):
        print(
            f"growth exponent, {label}: A^{np.polyfit(a, np.log([r[k] for r in rows]), 1)[0]:.2f}"
        )


def stop_rule(repeats: int) -> None:
    """A small solve with the fixed rounds and with the opt-in convergence stop."""
    model = get_model("bdm")
    inp, label = istanbul_batch(1, seed=7)
    one = ModelInput(
        position=inp.position[:, :, :1],
        salience=inp.salience[:, :, :1],
        capability=inp.capability[:, :, :1],
        present=inp.present[:, :1],
        status_quo=inp.status_quo[:, :1],
        scale_min=inp.scale_min[:1],
        scale_max=inp.scale_max[:1],
    )
    stop = {"converge_tol": 1e-3, "converge_rounds": 2}
    ran = int(model(one, **stop).extras["rounds_run"][0, 0])
    fixed = model(one).outcome[0, 0]
    early = model(one, **stop).outcome[0, 0]
    w8, _ = best_of(lambda: model(one), repeats)
    ws, _ = best_of(lambda: model(one, **stop), repeats)
    print(f"{label}, first issue, one problem (best of {repeats}):")
    print("| rule | rounds | ms per solve | outcome |\n|---|---:|---:|---:|")
    print(f"| fixed (default) | 8 | {w8 * 1e3:.2f} | {fixed:.3f} |")
    print(
        f"| median moves < 0.1% of the scale for 2 rounds | {ran} | {ws * 1e3:.2f} | {early:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--scale", type=int, nargs="*", default=None, help="actor counts")
    parser.add_argument("--stop", action="store_true", help="the convergence stop")
    args = parser.parse_args()
    if args.scale is not None or args.stop:
        print(
            f"python {sys.version.split()[0]}, numpy {np.__version__}, load average "
            f"{os.getloadavg()[0]:.1f}"
        )
        if args.scale is not None:
            scale(args.scale or [100, 250, 500, 1000])
        if args.stop:
            stop_rule(200)
        print(f"load average after the run: {os.getloadavg()[0]:.2f}")
        return
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
