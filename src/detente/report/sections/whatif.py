"""What if? Each what-if file run against the case: outcome and verdict before and after."""

from __future__ import annotations

from typing import Any

from detente.diagnose.rule import verdict_label
from detente.report.format import finite, num
from detente.report.sections.base import BriefInputs, Charts, Section

__all__ = ["WHATIF"]


def _signed(x: float | None) -> str:
    if not finite(x):
        return num(None)
    return "0" if abs(x) < 5e-5 else ("+" if x > 0 else "") + num(x)


def build_whatif(inputs: BriefInputs, charts_: Charts) -> list[dict[str, Any]] | None:
    """Per what-if file: its changes in words, then per issue every model before/after."""
    if inputs.whatifs is None:
        return None
    views = inputs.issue_views
    out = []
    for w in inputs.whatifs:
        issues = []
        for issue_id, d in w["issues"].items():
            verdict = d["verdict"]
            issues.append(
                {
                    "issue_id": issue_id,
                    "question": views[issue_id]["question"] if issue_id in views else issue_id,
                    "rows": [
                        {
                            "model": m,
                            "before": num(e["before"]),
                            "after": num(e["after"]),
                            "change": _signed(e["change"]),
                        }
                        for m, e in d["models"].items()
                    ],
                    "verdict": f"{verdict_label(verdict['before'])} → "
                    f"{verdict_label(verdict['after'])}"
                    if verdict is not None
                    else "",
                }
            )
        meta = w["whatif"]
        out.append(
            {
                "name": str(meta.get("name") or "what-if"),
                "description": str(meta.get("description") or ""),
                "file": str(meta.get("file") or "").rsplit("/", 1)[-1],
                "changes": [str(c) for c in meta.get("changes") or []],
                "issues": issues,
            }
        )
    return out


WHATIF: Section[list[dict[str, Any]]] = Section(
    "whatif", "What if?", "sections/whatif.html.j2", build_whatif
)
