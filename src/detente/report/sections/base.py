"""The section interface of the brief, and what every section may read.

A section is a :class:`Section`: an ``id`` (its HTML anchor and its key in the brief's
context), a ``title`` (its link in the table of contents), a ``template`` fragment under
``detente/report/templates/`` and a ``build`` function. ``build`` gets the
:class:`BriefInputs` (the case and every result given to the brief, typed by the
packages that produce them) and a :class:`Charts` registry, and returns the section's
view: plain data for its template, or ``None`` when the section has nothing to show
(its result was not given). The template reads that view as ``view``.

Adding a section is a module with one ``SECTION = Section(...)``, a template fragment,
and one line in :data:`detente.report.sections.SECTIONS`; results from another package
reach it through ``BriefInputs.extra[section id]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

from detente.case.model import Case, Estimate, Issue, Position
from detente.diagnose.results import DiagnosisDict
from detente.forecast.results import ForecastDict
from detente.pipeline.records import GuaranteeRecord
from detente.report import charts as chart_specs
from detente.report.format import est_text, num
from detente.uncertainty.results import (
    InterventionDict,
    SkippedSearchDict,
    SweepDict,
    TornadoDict,
    WhatIfDict,
)

__all__ = [
    "BriefInputs",
    "Charts",
    "IssueView",
    "Provenance",
    "Section",
    "actor_name",
    "and_names",
    "capability_of",
    "fallback_issue_view",
    "issue_view",
    "nearest_anchor",
]

V = TypeVar("V")

IssueView = dict[str, Any]
"""An issue as the templates show it (question, scale, anchors, status quo...)."""


@dataclass(frozen=True)
class Provenance:
    """When the brief was made and from which case file.

    Attributes:
        generated_at: When the brief was generated (UTC).
        case_file: The case file's name (no folder: a brief does not leak paths).
        case_sha256: SHA-256 of the case file's bytes, hex.
    """

    generated_at: dt.datetime
    case_file: str | None = None
    case_sha256: str | None = None


@dataclass(frozen=True)
class BriefInputs:
    """Everything a section may read.

    Attributes:
        case: The validated case.
        forecast: The forecast's data.
        diagnosis: The deadlock diagnosis, if run.
        sweep: The Monte Carlo sweep, if run.
        tornado: The one-at-a-time sensitivity, if run.
        interventions: Intervention searches (or why an issue was not searched), if run.
        whatifs: What-if files run against the case, if any.
        guarantees: Written guarantees with their receipts, if given.
        provenance: Generation time and the case file's hash.
        left_out: Part name -> why it is not in the brief (``--no-sweep`` ...).
        extra: Results for sections of other packages, by section id.
    """

    case: Case
    forecast: ForecastDict
    provenance: Provenance
    diagnosis: DiagnosisDict | None = None
    sweep: SweepDict | None = None
    tornado: TornadoDict | None = None
    interventions: Sequence[InterventionDict | SkippedSearchDict] | None = None
    whatifs: Sequence[WhatIfDict] | None = None
    guarantees: Sequence[GuaranteeRecord] | None = None
    left_out: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, object] = field(default_factory=dict)

    @cached_property
    def issue_views(self) -> dict[str, IssueView]:
        """Every issue of the case as templates show it, by id."""
        caps = [c.value for p in self.case.positions if (c := capability_of(self.case, p))]
        max_cap = max(caps, default=1.0)
        return {i.id: issue_view(self.case, i, max_cap) for i in self.case.issues}


class Charts:
    """The brief's charts: each section adds its Vega-Lite specs and gets their ids."""

    def __init__(self) -> None:
        self.specs: list[tuple[str, dict[str, Any]]] = []

    def add(self, spec: dict[str, Any]) -> str:
        """Register ``spec`` (made to fit its container) and return its element id."""
        chart_id = f"chart-{len(self.specs) + 1}"
        self.specs.append((chart_id, chart_specs.responsive(spec)))
        return chart_id


@dataclass(frozen=True)
class Section(Generic[V]):
    """One section of the brief.

    Attributes:
        id: HTML anchor and key in the brief's context (``diagnosis``, ``sweep``...).
        title: Its link in the table of contents.
        template: Its Jinja2 fragment, relative to ``detente/report/templates``.
        build: ``(inputs, charts) -> view``, or ``None`` to leave the section out.
    """

    id: str
    title: str
    template: str
    build: Callable[[BriefInputs, Charts], V | None]


def actor_name(case: Case, actor_id: str) -> str:
    """The actor's name, or the id as given when the case has no such actor."""
    try:
        return case.actor(actor_id).name
    except KeyError:
        return actor_id


def and_names(case: Case, ids: Sequence[str]) -> str:
    """``["TUR", "QAT"]`` -> ``Türkiye and Qatar`` (names from the case)."""
    names = [actor_name(case, str(i)) for i in ids]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def capability_of(case: Case, pos: Position) -> Estimate | None:
    """The capability behind a position: its own, else the actor's."""
    if pos.capability is not None:
        return pos.capability
    try:
        return case.actor(pos.actor).capability
    except KeyError:
        return None


def _source_label(case: Case, source_id: str | None) -> str:
    if not source_id:
        return ""
    try:
        src = case.source(source_id)
    except KeyError:
        return source_id
    return f"{source_id}: {src.citation}"


def issue_view(case: Case, issue: Issue, max_capability: float) -> IssueView:
    """One issue as the templates and charts show it."""
    sq = issue.status_quo
    return {
        "id": issue.id,
        "question": issue.question,
        "description": issue.description,
        "min": issue.scale.min,
        "max": issue.scale.max,
        "unit": issue.scale.unit,
        "anchors": [{"value": a.value, "label": a.label} for a in issue.scale.anchors],
        "status_quo": sq.value if sq else None,
        "status_quo_text": est_text(sq),
        "status_quo_source": _source_label(case, sq.source) if sq else "",
        "status_quo_quote": sq.quote if sq else None,
        "observed_outcome": est_text(issue.outcome) if issue.outcome else None,
        "max_capability": max_capability,
    }


def fallback_issue_view(issue_id: str, scale: Sequence[float] | None = None) -> IssueView:
    """A minimal issue view for a result about an issue the case does not list."""
    lo, hi = (float(scale[0]), float(scale[1])) if scale and len(scale) == 2 else (0.0, 100.0)
    return {
        "id": issue_id,
        "question": issue_id,
        "min": lo,
        "max": hi,
        "unit": "",
        "anchors": [],
        "status_quo": None,
        "status_quo_text": num(None),
    }


def nearest_anchor(view: Mapping[str, Any], value: float) -> str:
    """The label of the issue's labelled point nearest ``value`` ("" if none)."""
    anchors = view.get("anchors") or []
    if not anchors:
        return ""
    best = min(anchors, key=lambda a: abs(float(a["value"]) - value))
    return str(best["label"])
