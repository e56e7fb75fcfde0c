"""Start-up of the command line: whole processes, paired against a baseline in the same run.

Run: .venv/bin/python bench/startup_bench.py [--pairs 10] [--src OTHER/src]

For each command, the contender (``detente ...``) and its baseline (a bare Python import)
are run alternately, ``--pairs`` times each, and the CPU time of each child process is
read with ``resource.getrusage(RUSAGE_CHILDREN)`` (user + system). The medians and the
ratio of the medians are printed as a Markdown table, with the machine's load average at
the start and the end (others share the machine: only the ratios mean anything).

``--src`` runs the contender from another source tree (``PYTHONPATH=OTHER/src``, same
environment), interleaved with this tree's, to compare before and after in one run.

Before measuring, the source trees are byte-compiled (``compileall``), as an installed
package is: where ``PYTHONDONTWRITEBYTECODE`` is set (it is on the project's machines) an
editable install otherwise compiles every detente module from source on every start.
``--no-compile`` measures without that step.

Each baseline is also run with ``OPENBLAS_NUM_THREADS=1`` (column B1). detente's command
line asks for one BLAS thread unless the user set another number (``detente.cli``), so it
does not start OpenBLAS's thread pool when numpy loads; a bare ``import numpy`` in the
default environment does, and on some machines that costs more CPU than the imports
themselves (on a 2-core VM on 2026-12-02: 0.26 s against 0.15 s for ``import numpy,
pydantic``). A/B is the ratio a user sees against the default environment, A/B1 the ratio
of the imports and work alone; report both.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASE = "examples/istanbul-2025/case.yaml"
BAD = "tests/assets/case/bad/05-range-excludes-value.yaml"

COMMANDS: list[tuple[str, list[str], list[str]]] = [
    ("detente --help", ["-m", "detente", "--help"], ["-c", "import click"]),
    (
        f"detente forecast {CASE}",
        ["-m", "detente", "forecast", CASE],
        ["-c", "import numpy, pydantic"],
    ),
    (
        f"detente validate {CASE}",
        ["-m", "detente", "validate", CASE],
        ["-c", "import numpy, pydantic"],
    ),
    # what `forecast` imports before any detente command code: the floor of this design
    (
        "python -c 'import numpy, pydantic, click, yaml, detente.case'",
        ["-c", "import numpy, pydantic, click, yaml, detente.case"],
        ["-c", "import numpy, pydantic"],
    ),
    # a case the models refuse: the reference path, which now builds the deferred schema
    (
        f"detente validate {BAD}",
        ["-m", "detente", "validate", BAD],
        ["-c", "import numpy, pydantic"],
    ),
]


_UNSET = ("PYTHONPATH", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


def _cpu(args: list[str], env: dict[str, str]) -> float:
    """CPU seconds (user + system) of one child process running ``python ARGS``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,  # the refused case exits 1 by design
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    """Run the pairs and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=10)
    ap.add_argument("--src", type=Path, default=None, help="another tree's src/ to compare")
    ap.add_argument("--only", default=None, help="run only commands containing this text")
    ap.add_argument("--no-compile", action="store_true", help="do not byte-compile first")
    args = ap.parse_args()
    if not args.no_compile:
        for tree in [ROOT / "src", *([args.src] if args.src is not None else [])]:
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree)], check=True)
    # B runs in the default environment: no thread settings inherited from the caller's
    env = {k: v for k, v in os.environ.items() if k not in _UNSET}
    env["PYTHONPATH"] = str(ROOT / "src")
    other = None
    if args.src is not None:
        other = dict(env, PYTHONPATH=str(args.src.resolve()))
    compiled = "not byte-compiled" if args.no_compile else "byte-compiled first"
    print(f"load average at start: {_load()}; {args.pairs} pairs; CPU seconds, medians; {compiled}")
    print()
    one = dict(env, OPENBLAS_NUM_THREADS="1")
    head = "| command | baseline (B) | A (s) | B (s) | A/B | B1 (s) | A/B1 |"
    if other is not None:
        head += " other tree (s) | other/B |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for name, contender, baseline in COMMANDS:
        if args.only and args.only not in name:
            continue
        a, b, b1, o = [], [], [], []
        for _ in range(args.pairs):
            a.append(_cpu(contender, env))
            b.append(_cpu(baseline, env))
            b1.append(_cpu(baseline, one))
            if other is not None:
                o.append(_cpu(contender, other))
        ma, mb, m1 = statistics.median(a), statistics.median(b), statistics.median(b1)
        row = (
            f"| `{name}` | `python {' '.join(baseline)}` | {ma:.3f} | {mb:.3f} | {ma / mb:.2f}× "
            f"| {m1:.3f} | {ma / m1:.2f}× |"
        )
        if other is not None:
            mo = statistics.median(o)
            row += f" {mo:.3f} | {mo / mb:.2f}× |"
        print(row)
    print()
    print(f"load average at end: {_load()}")


if __name__ == "__main__":
    main()
