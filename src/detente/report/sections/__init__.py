"""The brief's sections, in page order.

Each is a :class:`~detente.report.sections.base.Section` (id, title, template fragment,
``build``); see :mod:`detente.report.sections.base` for the interface. To add one, write
its module and template fragment and add it to :data:`SECTIONS` where it should appear;
its results arrive through ``build_brief(..., extra={section_id: ...})``.
"""

from __future__ import annotations

from typing import Any

from detente.report.sections.base import BriefInputs, Charts, Provenance, Section
from detente.report.sections.bottom_line import BOTTOM_LINE
from detente.report.sections.case_sections import ACTORS, GLANCE, ISSUES, SOURCES, TALKS
from detente.report.sections.compliance import COMPLIANCE
from detente.report.sections.diagnosis import DIAGNOSIS
from detente.report.sections.forecasts import FORECASTS, TRAJECTORIES
from detente.report.sections.guarantee import GUARANTEES
from detente.report.sections.interventions import INTERVENTIONS
from detente.report.sections.provenance import PROVENANCE
from detente.report.sections.reading import READING
from detente.report.sections.sensitivity import SENSITIVITY
from detente.report.sections.statements import STATEMENTS
from detente.report.sections.sweep import SWEEP
from detente.report.sections.whatif import WHATIF

__all__ = ["SECTIONS", "BriefInputs", "Charts", "Provenance", "Section", "section"]

SECTIONS: tuple[Section[Any], ...] = (
    BOTTOM_LINE,
    READING,
    GLANCE,
    DIAGNOSIS,
    SWEEP,
    INTERVENTIONS,
    SENSITIVITY,
    WHATIF,
    GUARANTEES,
    COMPLIANCE,
    STATEMENTS,
    FORECASTS,
    TRAJECTORIES,
    ISSUES,
    ACTORS,
    TALKS,
    SOURCES,
    PROVENANCE,
)
"""Every section, in the order the page shows them: the story first, the evidence after."""


def section(section_id: str) -> Section[Any]:
    """The registered section with this id.

    Raises:
        KeyError: If there is none.
    """
    for s in SECTIONS:
        if s.id == section_id:
            return s
    raise KeyError(section_id)
