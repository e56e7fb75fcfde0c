"""What was said, and what the record shows: the statements section, from :mod:`detente.statements`.

The statements package owns the section's data (:class:`StatementsSection`) and its
template fragment; this module plugs them into the brief. Its input arrives as
``BriefInputs.extra["statements"]``.
"""

from __future__ import annotations

from typing import Any

import jinja2
from markupsafe import Markup

from detente.report.sections.base import BriefInputs, Charts, Section
from detente.statements.brief import TEMPLATE, TITLE, StatementsSection

__all__ = ["STATEMENTS"]

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def _build(inp: BriefInputs, charts: Charts) -> dict[str, Any] | None:
    section: StatementsSection | None = inp.extra.get("statements")  # type: ignore[assignment]
    if not section:
        return None
    return {"html": Markup(_ENV.from_string(TEMPLATE).render(section=section))}


STATEMENTS: Section[dict[str, Any]] = Section(
    id="statements",
    title=TITLE,
    template="sections/statements.html.j2",
    build=_build,
)
