"""detente's ``smp`` against KTAB's ``smpc``, as whole processes on one machine, one run.

KTAB (KAPSARC, MIT; github.com/KAPSARC/KTAB) is C++ and is not shipped with detente:
build it yourself and point this script at the ``smpc`` binary with ``--smpc PATH`` or
the ``KTAB_SMPC`` environment variable. Without it the script says so and measures
detente alone (nothing is downloaded or built).

Cases: KTAB's own samples (``tests/assets/ktab``) and random one-issue cases of
``--sizes`` actors written in KTAB's CSV layout (power 0.1-5, positions 35-100,
saliences 5-100, as in ``bench/smp_bench.py``). For each case the two programs run in
turn (contenders alternated, ``--repeat`` times, best kept); each run is a whole
process: start-up, reading the file, the model, the output. ``--timeout`` bounds one run.

detente runs ``detente forecast CASE -m smp --format json``; smpc runs with the
arguments of ``--smpc-args`` (default ``--csv {file}``, where ``{file}`` is the case).

Run: ``.venv/bin/python bench/anchors_bench.py [--smpc /path/to/smpc] [--sizes 40 80]``
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SAMPLES = [
    REPO / "tests" / "assets" / "ktab" / n for n in ("dummyData_3Dim.csv", "SOE-Pol-Comp.csv")
]

REVIEWERS = """\
Figures measured by the reviewers of issue 17 (their machine, their run; not measured
by this script): smp reproduces smpc exactly (max |difference| 0.0000 on SOE-Pol-Comp,
a040 and a080) and is 9x (a040), 54x (a080) and more than 245x (a160: smpc did not
finish in 20 minutes) faster as a whole process; KTAB needs 198 MB at 160 actors."""


def write_ktab_csv(path: Path, n: int, seed: int) -> None:
    """A random one-issue case in KTAB's CSV layout."""
    rng = np.random.default_rng([seed, n])
    power = rng.uniform(0.1, 5.0, n)
    pos = rng.uniform(35.0, 100.0, n)
    sal = rng.uniform(5.0, 100.0, n)
    lines = [f"a{n:03d},random {n}-actor case,{n},1", "Actor,Description,Power,Position,Salience"]
    lines += [f"A{k:04d},actor {k},{power[k]:.3f},{pos[k]:.2f},{sal[k]:.2f}" for k in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def timed(cmd: list[str], timeout: float) -> float | None:
    """Wall seconds of one whole process, or None if it failed or ran out of time."""
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - t0 if done.returncode == 0 else None


def find_smpc(given: str | None) -> Path | None:
    """The smpc binary from ``--smpc`` or ``KTAB_SMPC``, if it exists and runs."""
    raw = given or os.environ.get("KTAB_SMPC")
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.is_file() or not os.access(path, os.X_OK):
        print(f"smpc: {path} is not an executable file")
        return None
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smpc", default=None, help="path to KTAB's smpc (or set KTAB_SMPC)")
    ap.add_argument("--smpc-args", default="--csv {file}")
    ap.add_argument("--sizes", type=int, nargs="*", default=[40, 80])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=1200.0)
    args = ap.parse_args()
    smpc = find_smpc(args.smpc)
    detente = shutil.which("detente", path=str(Path(sys.executable).parent)) or "detente"
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    if smpc is None:
        print(
            "KTAB's smpc is NOT available (give --smpc PATH or set KTAB_SMPC): "
            "only detente is measured below; no comparison is made."
        )
    else:
        print(f"KTAB smpc: {smpc} {args.smpc_args}")
    print("| case | actors | detente s | smpc s | smpc / detente |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(p.name, p) for p in SAMPLES]
        for n in args.sizes:
            path = Path(tmp) / f"a{n:03d}.csv"
            write_ktab_csv(path, n, args.seed)
            cases.append((path.name, path))
        for label, path in cases:
            actors = int(path.read_text(encoding="utf-8-sig").splitlines()[0].split(",")[2])
            ours: list[float] = []
            theirs: list[float] = []
            for _ in range(args.repeat):  # alternate the contenders
                t = timed(
                    [detente, "forecast", str(path), "-m", "smp", "--format", "json"], args.timeout
                )
                if t is not None:
                    ours.append(t)
                if smpc is not None:
                    extra = shlex.split(args.smpc_args.format(file=str(path)))
                    t = timed([str(smpc), *extra], args.timeout)
                    if t is not None:
                        theirs.append(t)
            d = f"{min(ours):.2f}" if ours else "failed"
            if smpc is None:
                k, ratio = "n/a", "n/a"
            elif theirs:
                k = f"{min(theirs):.2f}"
                ratio = f"{min(theirs) / min(ours):.1f}x" if ours else "n/a"
            else:
                k, ratio = f"> {args.timeout:.0f} or failed", "n/a"
            print(f"| {label} | {actors} | {d} | {k} | {ratio} |", flush=True)
    print()
    print(REVIEWERS)


if __name__ == "__main__":
    main()
