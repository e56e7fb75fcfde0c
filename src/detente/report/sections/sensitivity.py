"""Which estimates matter? The one-at-a-time tornado per issue and model."""

from __future__ import annotations

from typing import Any

from detente.case.model import Case
from detente.diagnose.rule import verdict_label
from detente.report import charts
from detente.report.format import finite, interval_text, num, words
from detente.report.sections.base import (
    BriefInputs,
    Charts,
    Section,
    actor_name,
    fallback_issue_view,
)

__all__ = ["INPUT_KINDS", "SENSITIVITY", "TORNADO_TOP", "input_words"]

INPUT_KINDS = {
    "position": "Position",
    "salience": "Salience",
    "capability": "Capability",
    "status_quo": "Status quo",
}
"""Words for the kinds of input a case gives ranges to."""

TORNADO_TOP = 10
"""Inputs shown per issue and model in the tornado (largest swing first)."""


def input_words(case: Case, name: str, issue_id: str) -> str:
    """``salience:AFG:sanctuaries`` -> ``Salience — <AFG's name>`` (issue named if other)."""
    parts = str(name).split(":")
    kind = INPUT_KINDS.get(parts[0], words(parts[0]).capitalize())
    if parts[0] == "status_quo":
        other = parts[1] if len(parts) > 1 else ""
        return kind if other in ("", issue_id) else f"{kind} of {other}"
    if len(parts) == 2:
        return f"{kind} — {actor_name(case, parts[1])} (all issues)"
    if len(parts) >= 3:
        on = "" if parts[2] == issue_id else f" on {parts[2]}"
        return f"{kind}{on} — {actor_name(case, parts[1])}"
    return str(name)


def build_sensitivity(inputs: BriefInputs, charts_: Charts) -> list[dict[str, Any]] | None:
    """Per issue and model: the inputs with the largest swing, as a chart and a table."""
    tornado = inputs.tornado
    if tornado is None:
        return None
    case = inputs.case
    out = []
    for issue_id, d in tornado["issues"].items():
        view = inputs.issue_views.get(issue_id) or fallback_issue_view(issue_id)
        for model, m in d["models"].items():
            bars = m["bars"]
            moving = [b for b in bars if finite(b["swing"]) and b["swing"] > 0]
            moving.sort(key=lambda b: -b["swing"])
            top = moving[:TORNADO_TOP]
            base = m["base"] if finite(m["base"]) else None
            has_verdicts = any("verdict_low" in b or "verdict_high" in b for b in bars)
            rows, points = [], []
            for b in top:
                label = input_words(case, b["input"], issue_id)
                v_low, v_high = b.get("verdict_low"), b.get("verdict_high")
                row = {
                    "input": b["input"],
                    "label": label,
                    "range_text": interval_text(b["range"]),
                    "low_text": num(b["outcome_low"]),
                    "high_text": num(b["outcome_high"]),
                    "swing": b["swing"],
                    "swing_text": num(b["swing"]),
                    "verdict_low": verdict_label(v_low) if has_verdicts else "",
                    "verdict_high": verdict_label(v_high) if has_verdicts else "",
                    "verdict_flips": has_verdicts and v_low != v_high,
                }
                rows.append(row)
                for end, value, verdict in (
                    ("low end", b["outcome_low"], v_low),
                    ("high end", b["outcome_high"], v_high),
                ):
                    if not finite(value):
                        continue
                    points.append(
                        {
                            "label": label,
                            "end": end,
                            "from": base if base is not None else value,
                            "to": value,
                            "range_text": row["range_text"],
                            "to_text": num(value),
                            "swing_text": row["swing_text"],
                            "verdict": verdict_label(verdict) if has_verdicts else "",
                        }
                    )
            verdict_base = d["verdict_base"]
            out.append(
                {
                    "issue_id": issue_id,
                    "question": view["question"],
                    "model": model,
                    "base_text": num(base),
                    "verdict_base": verdict_label(verdict_base) if verdict_base else "",
                    "has_verdicts": has_verdicts,
                    "rows": rows,
                    "n_inputs": len(bars),
                    "n_still": len(bars) - len(moving),
                    "n_more": len(moving) - len(top),
                    "chart": charts_.add(charts.tornado_chart(view, model, base, points))
                    if points
                    else None,
                }
            )
    return out


SENSITIVITY: Section[list[dict[str, Any]]] = Section(
    "tornado", "Which estimates matter?", "sections/sensitivity.html.j2", build_sensitivity
)
