"""Reading large and hostile case files: time grows linearly, hostile files stop at once.

Run: ``.venv/bin/python bench/case_size_bench.py`` (add ``--quick`` for a smoke run).

* validation (parse, structure, consistency checks) of generated YAML cases of 1x, 2x
  and 4x a base size, every actor with its own source (the shape that made the former
  consistency check quadratic: it rebuilt the set of source ids for every estimate); the
  ratios to the 1x time in the same run should be about 2 and 4;
* the consistency check alone, new rule (source ids built once) against the former rule
  (rebuilt per estimate), both measured here, at 1x and 4x;
* hostile inputs: ``/dev/zero``, an alias bomb, 100,000-deep brackets: seconds to the
  located error.

CPU (process) time, best of a few repeats; the machine is shared, so CPU time measures
the work better than wall clock.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from detente.case import checks
from detente.case.formats import read_cases
from detente.case.loader import validate_case_text
from detente.case.model import Case
from detente.errors import CaseError


def generated_case(actors: int, issues: int = 4) -> str:
    """A valid YAML case where every number cites its actor's own source."""
    out = ["case: {id: big, title: Big, require_sources: true}", "sources:"]
    out += [f"  - {{id: s{a}, citation: 'Source {a}', kind: news}}" for a in range(actors)]
    out.append("actors:")
    out += [
        f"  - {{id: a{a}, name: Actor {a}, capability: {{value: 1, source: s{a}, quote: q}}}}"
        for a in range(actors)
    ]
    out.append("issues:")
    out += [f"  - {{id: i{i}, question: Issue {i}}}" for i in range(issues)]
    out.append("positions:")
    for a in range(actors):
        for i in range(issues):
            out.append(
                f"  - {{actor: a{a}, issue: i{i}, position: {{value: {(7 * a + i) % 100}, "
                f"source: s{a}, quote: q}}, salience: {{value: 0.5, source: s{a}, quote: q}}}}"
            )
    return "\n".join(out) + "\n"


def cpu(fn: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def _former_sourcing(case: Case) -> int:
    """The former rule: the set of source ids rebuilt for every estimate (quadratic)."""
    n = 0
    for p in case.positions:
        for est in (p.position, p.salience, p.capability):
            if est is not None and est.source is not None:
                source_ids = {s.id for s in case.sources}
                n += est.source in source_ids
    return n


def _hostile() -> Iterator[tuple[str, str, float]]:
    import tempfile
    from pathlib import Path

    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]\n" for k in range(1, 9)
    )
    deep = "x: " + "[" * 100_000 + "]" * 100_000 + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in (("alias-bomb.yaml", bomb), ("deep.yaml", deep)):
            (Path(tmp) / name).write_text(text)
        for label, path in (
            ("/dev/zero", "/dev/zero"),
            ("alias bomb (10^9 nodes expanded)", str(Path(tmp) / "alias-bomb.yaml")),
            ("100,000-deep brackets", str(Path(tmp) / "deep.yaml")),
        ):
            t0 = time.perf_counter()
            try:
                read_cases(path, "yaml")
                code = "accepted?!"
            except CaseError as exc:
                code = exc.items[0].code if exc.items else exc.message
            yield label, code, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    args = ap.parse_args()
    base = 60 if args.quick else 250
    repeats = 1 if args.quick else 2
    print(f"python {sys.version.split()[0]} on {platform.machine()}; base {base} actors x 4")
    texts = {k: generated_case(base * k) for k in (1, 2, 4)}
    t1 = 0.0
    print("\nvalidation of a generated YAML case (parse + structure + checks), CPU s")
    for k, text in texts.items():
        t = cpu(lambda text=text: validate_case_text(text, "big.yaml"), repeats)
        t1 = t1 or t
        print(f"  {k}x  {len(text) / 1e6:6.2f} MB  {t:7.2f} s  ratio to 1x {t / t1:5.2f}")
    small = validate_case_text(texts[1], "s.yaml")[0]
    large = validate_case_text(texts[4], "l.yaml")[0]
    assert small is not None and large is not None
    print("\nconsistency check alone, CPU s (former rule rebuilt source ids per estimate)")
    for label, case in (("1x", small), ("4x", large)):
        new = cpu(lambda case=case: checks.check_case(case), repeats)
        old = cpu(lambda case=case: _former_sourcing(case), repeats)
        print(f"  {label}  check_case {new:6.3f} s   former sourcing step alone {old:6.3f} s")
    print("\nhostile inputs: time to the located error")
    for label, code, seconds in _hostile():
        print(f"  {label:34s} {code:14s} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
