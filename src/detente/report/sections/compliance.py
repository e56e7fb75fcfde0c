"""Are they keeping it? The compliance section, drawn from :mod:`detente.compliance`.

The compliance package owns the section's data (:class:`ComplianceSection`), its charts and
its template fragment; this module only plugs them into the brief. Its input arrives as
``BriefInputs.extra["compliance"]``: one :class:`ComplianceSection`, or a list of them.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from detente.compliance.brief import ComplianceSection, render_section
from detente.report import charts as chart_specs
from detente.report.sections.base import BriefInputs, Charts, Section

__all__ = ["COMPLIANCE"]


def _build(inp: BriefInputs, charts: Charts) -> dict[str, Any] | None:
    given = inp.extra.get("compliance")
    if not given:
        return None
    sections: list[ComplianceSection] = list(given) if isinstance(given, list) else [given]  # type: ignore[list-item]
    html = []
    for sec in sections:
        for chart_id, spec in sec["charts"]:
            charts.specs.append((chart_id, chart_specs.responsive(spec)))
        html.append(render_section(sec))
    return {"html": Markup("\n".join(html))}  # rendered with autoescape by its own template


COMPLIANCE: Section[dict[str, Any]] = Section(
    id="compliance",
    title="Are they keeping it?",
    template="sections/compliance.html.j2",
    build=_build,
)
