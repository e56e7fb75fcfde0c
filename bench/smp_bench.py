"""Benchmark the KTAB spatial model (``smp``) on random one-issue cases.

Cases are shaped like KTAB's scaling inputs: power about 0.1-5, positions about
35-100, saliences about 5-100 (on KTAB's 0-100 scales). For each size the script
prints wall time, peak traced memory of numpy allocations, turns and a summary of the
final positions, so that runs can be compared.

Run: ``.venv/bin/python bench/smp_bench.py [--sizes 40 80 160] [--seed 1] [--repeat 1]``
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import tracemalloc

import numpy as np

from detente.forecast.smp import SMPParams, run_smp


def random_case(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One random one-issue case on KTAB's internal 0-1 scales, with a batch axis of 1."""
    power = rng.uniform(0.1, 5.0, n)
    pos = rng.uniform(35.0, 100.0, (n, 1)) / 100.0
    sal = rng.uniform(5.0, 100.0, (n, 1)) / 100.0
    return pos[None], sal[None], power[None]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[40, 80, 160])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    print(f"{'actors':>6} {'seconds':>8} {'peak MiB':>9} {'turns':>5}  final positions")
    for n in args.sizes:
        rng = np.random.default_rng([args.seed, n])
        pos, sal, cap = random_case(n, rng)
        best = np.inf
        peak = 0.0
        out = {}
        for _ in range(args.repeat):
            tracemalloc.start()
            t0 = time.perf_counter()
            out = run_smp(pos, sal, cap, SMPParams())
            best = min(best, time.perf_counter() - t0)
            peak = max(peak, tracemalloc.get_traced_memory()[1] / 2**20)
            tracemalloc.stop()
        final = out["trajectory"][0, -1, :, 0] * 100
        print(
            f"{n:>6} {best:>8.2f} {peak:>9.0f} {int(out['turns'][0]):>5}  "
            f"min {final.min():.1f} median {np.median(final):.1f} max {final.max():.1f} "
            f"outcome {out['outcome'][0, 0] * 100:.2f}"
        )


if __name__ == "__main__":
    main()
