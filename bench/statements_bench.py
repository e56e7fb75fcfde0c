"""Statements benchmarks (issue 14): coding 10,000 statements, checking them against 10,000 items.

Run: ``.venv/bin/python bench/statements_bench.py`` (``--quick`` for a smoke run).

* coding: 10,000 synthetic statements (templated sentences over 18 PLOVER categories,
  100 actors) with the default coder (rules + static MiniLM embedding + fused logistic
  model) and, as the baseline measured in the same run, the rules alone; the full MiniLM
  encoder is timed on a 100-statement slice (its rate, not an extrapolated total);
* checking: the same 10,000 statements against a record of 10,000 position items (a
  synthetic case of 100 actors x 100 issues with sourced positions), BM25 retrieval plus
  the relation rules; the baseline is BM25 retrieval alone.

Times are wall clock, best of ``--repeats`` runs in one process (the machine is shared:
1.3-2x run to run), with CPU time beside them. Nothing is estimated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import time
from collections.abc import Callable
from typing import Any

from detente.case.model import Actor, Case, CaseInfo, Issue, Position, Source
from detente.statements.check import Record, check_statements, position_items
from detente.statements.coder import Coder
from detente.statements.embed import MiniLMEmbedder, StaticMiniLMEmbedder
from detente.statements.io import CodingInput
from detente.statements.model import Speaker, Statement

VERBS = [
    "demanded that {b} end its support for the militants",
    "rejected the proposal of {b} on the border",
    "threatened to impose sanctions on {b}",
    "agreed with {b} to resume talks next week",
    "accused {b} of spreading disinformation about the attacks",
    "praised the efforts of {b} to reach a ceasefire",
    "called the demand of {b} unrelated and unrealistic",
    "met officials of {b} in the capital",
    "withdrew its troops from the border with {b}",
    "said there were no attacks from the territory of {b} this month",
    "launched an investigation into the killing of citizens of {b}",
    "sent humanitarian aid to {b}",
]


def statements(n: int, actors: int, issues: int, seed: int = 0) -> list[Statement]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        a, b = rng.sample(range(actors), 2)
        text = f"The government of Country{a} " + rng.choice(VERBS).format(b=f"Country{b}") + "."
        out.append(
            Statement(
                id=f"s{k}",
                speaker=Speaker(actor=f"A{a}"),
                date=dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(365)),
                medium="statement",
                citation="synthetic",
                text=text,
                recorded_by="bench",
                target=[f"A{b}"],
                issue=f"I{rng.randrange(issues)}",
            )
        )
    return out


def synthetic_case(actors: int, issues: int, seed: int = 0) -> Case:
    rng = random.Random(seed)
    return Case(
        case=CaseInfo(id="bench", title="synthetic"),
        sources=[Source(id="src", citation="synthetic", kind="analyst")],
        actors=[Actor(id=f"A{a}", name=f"Country{a}") for a in range(actors)],
        issues=[Issue(id=f"I{i}", question=f"Question {i} about topic{i}") for i in range(issues)],
        positions=[
            Position(
                actor=f"A{a}",
                issue=f"I{i}",
                position={"value": rng.uniform(0, 100), "source": "src", "quote": f"q{a}-{i}"},
                salience={"value": rng.uniform(0, 1), "source": "src"},
            )
            for a in range(actors)
            for i in range(issues)
        ],
    )


def best(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--statements", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 500 if args.quick else args.statements
    actors, issues = (20, 25) if args.quick else (100, 100)
    sts = statements(n, actors, issues)
    inputs = [CodingInput(id=s.id, text=s.text, source=s.speaker.actor) for s in sts]
    aliases = {f"A{a}": [f"Country{a}"] for a in range(actors)}

    rules = Coder(embedder=None, training=[], aliases=aliases)
    default = Coder(embedder=StaticMiniLMEmbedder(), aliases=aliases)
    print(f"# statements bench: {n} statements, {platform.processor() or platform.machine()}")
    print(f"default coder: {default.method}")
    rows = []
    w_rules, c_rules = best(lambda: rules.code(inputs), args.repeats)
    rows.append(("code: rules alone (baseline)", n, w_rules, c_rules))
    w_def, c_def = best(lambda: default.code(inputs), args.repeats)
    rows.append(("code: rules + static MiniLM + logistic (default)", n, w_def, c_def))
    few = inputs[:100] if not args.quick else inputs[:20]
    full = Coder(embedder=MiniLMEmbedder(), aliases=aliases)
    w_full, c_full = best(lambda: full.code(few), 1)
    rows.append(("code: rules + full MiniLM encoder + logistic", len(few), w_full, c_full))

    case = synthetic_case(actors, issues)
    t0 = time.perf_counter()
    record = Record(position_items(case))
    w_index = time.perf_counter() - t0
    codes = rules.code(inputs)
    speakers = {s.id: s.speaker.actor for s in sts}
    parties = [a.id for a in case.actors]
    texts = [s.text for s in sts]
    w_bm, c_bm = best(lambda: record.bm25.scores(texts), args.repeats)
    rows.append((f"check: BM25 over {len(record.items)} items alone (baseline)", n, w_bm, c_bm))
    w_chk, c_chk = best(
        lambda: check_statements(sts, codes, record, speakers, parties), args.repeats
    )
    rows.append((f"check: against {len(record.items)} items, rules", n, w_chk, c_chk))

    print(f"record of {len(record.items)} items indexed in {w_index:.2f} s\n")
    print("| step | statements | wall s (best) | CPU s | statements/s | x baseline time |")
    print("|---|---|---|---|---|---|")
    base = {"code": w_rules / n, "check": w_bm / n}
    for name, count, w, c in rows:
        ratio = (w / count) / base[name.split(":")[0]]
        print(f"| {name} | {count} | {w:.2f} | {c:.2f} | {count / w:,.0f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
