"""Helpers for the story tests: a generated case with many actors."""

from __future__ import annotations

import json


def many_actors_case(n: int) -> str:
    """A valid case text with ``n`` actors on one issue, with long names and ranges."""
    actors, positions = [], []
    for k in range(n):
        name = f"Regional Coordination Council of District Number {k} (Observers' Delegation)"
        actors.append(
            f"  - id: a{k}\n    name: {json.dumps(name)}\n    kind: state\n"
            f"    role: {'mediator' if k == 0 else 'party'}\n"
            f"    capability: {{value: {10 + k % 7}, range: [{5 + k % 7}, {15 + k % 7}], "
            "source: analyst}\n"
        )
        value = (k * 37) % 101
        positions.append(
            f"  - actor: a{k}\n    issue: water\n"
            f"    position: {{value: {value}, range: [{max(0, value - 10)}, "
            f"{min(100, value + 10)}], source: analyst}}\n"
            "    salience: {value: 0.6, range: [0.4, 0.8], source: analyst}\n"
        )
    return (
        "detente: 1\ncase:\n  id: many-actors\n  title: Many actors (generated test case)\n"
        "sources:\n  - id: analyst\n    citation: Generated for tests\n    kind: analyst\n"
        "actors:\n" + "".join(actors) + "issues:\n  - id: water\n"
        "    question: How is the shared river's water divided between the districts in a "
        "dry year?\n    scale:\n      anchors:\n        - {value: 0, label: Upstream keeps "
        "everything it can take}\n        - {value: 50, label: Shares by population with a "
        "drought reserve}\n        - {value: 100, label: Downstream minimum flow guaranteed "
        "first}\n    status_quo: {value: 20, source: analyst}\n"
        "positions:\n" + "".join(positions)
    )
