"""Why is it stuck? The deadlock diagnosis: a verdict and a quad map per issue."""

from __future__ import annotations

from typing import Any

from detente.diagnose.rule import VERDICT_SENTENCES
from detente.report import charts
from detente.report.format import finite, words
from detente.report.sections.base import BriefInputs, Charts, Section, actor_name

__all__ = ["DIAGNOSIS", "verdict_sentence"]


def verdict_sentence(code: str) -> str:
    """The verdict in one plain sentence; unknown codes are shown as given."""
    code = code.strip()
    if not code:
        return "No verdict given."
    return VERDICT_SENTENCES.get(code.lower(), code.replace("_", " ").capitalize())


def build_diagnosis(inputs: BriefInputs, charts_: Charts) -> dict[str, Any] | None:
    """Per diagnosed issue: the verdict, its explanation, every pair and a quad map."""
    diagnosis = inputs.diagnosis
    if diagnosis is None:
        return None
    case = inputs.case
    views = inputs.issue_views
    out = []
    for issue_id, d in diagnosis["issues"].items():
        pairs = [
            {
                "pair": f"{actor_name(case, p['initiator'])} → {actor_name(case, p['receiver'])}",
                "initiator": actor_name(case, p["initiator"]),
                "receiver": actor_name(case, p["receiver"]),
                "octant_initiator_view": words(p["octant_initiator_view"]),
                "octant_receiver_view": words(p["octant_receiver_view"]),
                "eu_initiator": p["eu_initiator"],
                "eu_receiver": p["eu_receiver"],
            }
            for p in d["pairs"]
        ]
        question = views[issue_id]["question"] if issue_id in views else issue_id
        plotted = [p for p in pairs if finite(p["eu_initiator"]) and finite(p["eu_receiver"])]
        out.append(
            {
                "issue_id": issue_id,
                "question": question,
                "verdict": d["verdict"],
                "verdict_words": verdict_sentence(d["verdict"]),
                "explanation": d["explanation"],
                "pairs": pairs,
                "chart": charts_.add(charts.quad_map_chart(question, plotted)) if plotted else None,
            }
        )
    skipped = [
        {"question": views[i]["question"] if i in views else i, "why": why}
        for i, why in diagnosis["skipped"].items()
    ]
    return {"issues": out, "rule": diagnosis["case"]["rule"], "skipped": skipped}


DIAGNOSIS: Section[dict[str, Any]] = Section(
    "diagnosis", "Why is it stuck?", "sections/diagnosis.html.j2", build_diagnosis
)
