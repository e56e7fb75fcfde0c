"""Benchmark the KTAB spatial model (``smp``): time and memory against actors.

Cases are shaped like KTAB's scaling inputs: power about 0.1-5, positions about
35-100, saliences about 5-100 (on KTAB's 0-100 scales), one issue. Each size runs in a
fresh child process, so that its peak resident memory (``ru_maxrss``) is its own; the
child also reports the resident memory before the run (Python, numpy and the case), and
the table shows the difference as the run's own peak.

For each size: wall and CPU seconds, turns, seconds per turn, peak MiB, and a summary
of the final positions (so that runs can be compared). Growth exponents are fitted
(least squares on logarithms) over the sizes from ``--fit-from`` actors up: seconds per
turn and peak MiB against actors.

``--max-turns`` caps the turns (the per-turn cost of a large size without its whole
run); ``--block 1000000000`` runs every turn as one block (the memory of the
unblocked code, A^3: 40 actors x actors x actors arrays); ``--threads`` sets the threads
that share a turn's blocks (default: the model's, at most 4).

Run: ``.venv/bin/python bench/smp_bench.py [--sizes 40 80 160 320] [--max-turns N]``.
``--full`` is the issue's scale check (opt-in: it takes many CPU minutes): one turn of
640 actors, then a whole 1,000-actor run (every turn until the stop rule), each in its
own child process, with wall and CPU seconds, turns, CPU per turn and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

from detente.forecast.smp import SMPParams, default_threads, run_smp


def random_case(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One random one-issue case on KTAB's internal 0-1 scales, with a batch axis of 1."""
    power = rng.uniform(0.1, 5.0, n)
    pos = rng.uniform(35.0, 100.0, (n, 1)) / 100.0
    sal = rng.uniform(5.0, 100.0, (n, 1)) / 100.0
    return pos[None], sal[None], power[None]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def child(n: int, seed: int, max_turns: int, block: int | None, threads: int | None) -> None:
    """Run one size and print its figures as JSON (in a fresh process)."""
    rng = np.random.default_rng([seed, n])
    pos, sal, cap = random_case(n, rng)
    params = SMPParams(max_turns=max_turns)
    run_smp(pos[:, :8], sal[:, :8], cap[:, :8], SMPParams(max_turns=1))  # imports, warm-up
    before = _rss_mib()
    w0, c0 = time.perf_counter(), time.process_time()
    out = run_smp(pos, sal, cap, params, block=block, threads=threads)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    final = out["trajectory"][0, -1, :, 0] * 100
    print(
        json.dumps(
            {
                "actors": n,
                "wall": wall,
                "cpu": cpu,
                "turns": int(out["turns"][0]),
                "rss_before": before,
                "rss_peak": _rss_mib(),
                "final": [float(final.min()), float(np.median(final)), float(final.max())],
                "outcome": float(out["outcome"][0, 0] * 100),
            }
        )
    )


def slope(x: list[float], y: list[float]) -> float:
    """Least-squares slope of log(y) on log(x)."""
    lx, ly = np.log(np.asarray(x)), np.log(np.asarray(y))
    return float(np.polyfit(lx, ly, 1)[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[40, 80, 160, 320])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-turns", type=int, default=SMPParams().max_turns)
    ap.add_argument("--block", type=int, default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--fit-from", type=int, default=80)
    ap.add_argument("--full", action="store_true", help="one 640-actor turn, a 1,000-actor run")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        child(args.child, args.seed, args.max_turns, args.block, args.threads)
        return
    plan = [(n, args.max_turns) for n in args.sizes]
    if args.full:
        plan = [(640, 1), (1000, SMPParams().max_turns)]
    threads = default_threads() if args.threads is None else args.threads
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}, threads {threads}, "
        f"block {args.block or 'default'}, max turns {args.max_turns}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    head = (
        "| actors | wall s | CPU s | turns | s per turn | CPU s per turn | peak MiB (run) "
        "| final positions | load average |"
    )
    print(head)
    print("|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    rows = []
    for n, max_turns in plan:
        cmd = [sys.executable, __file__, "--child", str(n), "--seed", str(args.seed)]
        cmd += ["--max-turns", str(max_turns), "--threads", str(threads)]
        if args.block is not None:
            cmd += ["--block", str(args.block)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"| {n} | failed: {done.stderr.strip().splitlines()[-1:]} | | | | | | | |")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        r["per_turn"] = r["wall"] / max(1, r["turns"])
        r["mib"] = max(r["rss_peak"] - r["rss_before"], 0.1)
        rows.append(r)
        lo, med, hi = r["final"]
        print(
            f"| {n} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['turns']} | {r['per_turn']:.3f} | "
            f"{r['cpu'] / max(1, r['turns']):.3f} | {r['mib']:.0f} | "
            f"{lo:.1f} / {med:.1f} / {hi:.1f} (outcome {r['outcome']:.2f}) | "
            f"{os.getloadavg()[0]:.1f} |",
            flush=True,
        )
    fit = [r for r in rows if r["actors"] >= args.fit_from]
    if len(fit) >= 2:
        a = [float(r["actors"]) for r in fit]
        print(
            f"growth exponents over {int(a[0])}-{int(a[-1])} actors: seconds per turn "
            f"A^{slope(a, [r['per_turn'] for r in fit]):.2f}, "
            f"CPU per turn A^{slope(a, [r['cpu'] / max(1, r['turns']) for r in fit]):.2f}, "
            f"peak memory A^{slope(a, [r['mib'] for r in fit]):.2f}"
        )
    print(f"load average after the run: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
