"""How to read this brief: the neutrality note, with the count of partisan sources."""

from __future__ import annotations

from typing import Any

from detente.report.sections.base import BriefInputs, Charts, Section
from detente.report.sections.case_sections import is_partisan

__all__ = ["READING"]


def build_reading(inputs: BriefInputs, charts_: Charts) -> dict[str, Any]:
    """How many sources are partisan, and how many others carry a note on their limits."""
    sources = inputs.case.sources
    partisan = sum(1 for s in sources if is_partisan(s))
    return {
        "n_sources": len(sources),
        "n_partisan": partisan,
        "n_bias_other": sum(1 for s in sources if s.bias and not is_partisan(s)),
    }


READING: Section[dict[str, Any]] = Section(
    "neutrality", "How to read it", "sections/reading.html.j2", build_reading
)
