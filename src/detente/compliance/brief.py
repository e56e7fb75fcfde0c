"""The brief's section "Are they keeping it?": its typed data, charts and template.

:func:`section_data` turns a :class:`~detente.compliance.check.ComplianceReport` (and,
optionally, the parties' trust series) into :class:`ComplianceSection`: per obligation the
measured interval per period against the threshold with its verdict, the events behind
each breach with their dataset ids, and the trust chart. Charts are Vega-Lite v5 specs
with their data inline; case and dataset text only ever appears as data values or titles,
never inside Vega expressions. :data:`TEMPLATE` is a Jinja fragment that renders the
section from that data (the brief embeds each ``charts`` spec under the id
``<chart id>-spec``, as it does for its own charts).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypedDict

import jinja2

from detente.case.model import Case
from detente.compliance.check import ComplianceReport
from detente.compliance.trust import TrustSeries

__all__ = [
    "TEMPLATE",
    "BreachEvent",
    "ComplianceSection",
    "ObligationSection",
    "PeriodPoint",
    "TrustRow",
    "interval_chart",
    "render_section",
    "section_data",
    "trust_chart",
]

TEMPLATE = Path(__file__).with_name("templates") / "compliance_section.html.j2"
"""The section's Jinja fragment; it reads one variable, ``compliance``."""

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
VERDICT_COLOURS = {
    "kept": "#2e8b57",
    "breached": "#b22222",
    "undetermined": "#c98a12",
    "no data": "#9a9a9a",
}


class PeriodPoint(TypedDict):
    """One period's headline figures (``high`` None: unbounded)."""

    start: str
    end: str
    low: float | None
    best: float | None
    high: float | None
    threshold: float
    comparison: str
    verdict: str
    final: bool
    dataset: str | None
    disagreement: bool


class BreachEvent(TypedDict):
    """An event behind a breached period."""

    obligation: str
    period_start: str
    period_end: str
    dataset: str
    version: str
    event_id: str
    certain: bool


class ObligationSection(TypedDict):
    """One obligation of the section."""

    id: str
    text: str
    metric: str
    metric_sha256: str
    count: str
    proxy_for: str
    caveat: str
    periods: list[PeriodPoint]
    chart: str
    kept: int
    breached: int
    undetermined: int
    no_data: int


class TrustRow(TypedDict):
    """A party's reputation at one date."""

    party: str
    date: str
    mean: float
    low80: float
    high80: float
    kept: float
    breached: float


class CredibilityRow(TypedDict):
    """The credibility of an actor's promises as the case uses it (its ``trust:`` input)."""

    actor: str
    value: float
    low: float
    high: float
    basis: str


class ComplianceSection(TypedDict):
    """Everything the section shows."""

    title: str
    label: str | None
    commitment: str
    commitment_name: str
    committing_party: str
    as_of: str
    datasets: list[dict[str, Any]]
    obligations: list[ObligationSection]
    breaches: list[BreachEvent]
    disagreements: list[str]
    trust: list[TrustRow]
    trust_rule: str
    trust_chart: str | None
    credibility: list[CredibilityRow]
    charts: list[tuple[str, dict[str, Any]]]


def interval_chart(ob: ObligationSection) -> dict[str, Any]:
    """Per period: the measured interval (rule), best (point), threshold (line), verdict."""
    finite = [p["high"] for p in ob["periods"] if p["high"] is not None]
    thr = ob["periods"][0]["threshold"] if ob["periods"] else 0.0
    top = max([*finite, thr, 1.0]) * 1.25
    values = [
        {
            "start": p["start"],
            "end": p["end"],
            "low": p["low"] if p["low"] is not None else 0.0,
            "best": p["best"],
            "high": p["high"] if p["high"] is not None else top,
            "high_label": "unbounded (partial coverage)" if p["high"] is None else p["high"],
            "threshold": p["threshold"],
            "verdict": p["verdict"],
        }
        for p in ob["periods"]
    ]
    colour = {
        "field": "verdict",
        "type": "nominal",
        "title": "verdict",
        "scale": {"domain": list(VERDICT_COLOURS), "range": list(VERDICT_COLOURS.values())},
    }
    tooltip = [
        {"field": "start", "type": "temporal"},
        {"field": "end", "type": "temporal"},
        {"field": "low", "type": "quantitative"},
        {"field": "best", "type": "quantitative"},
        {"field": "high_label", "title": "high"},
        {"field": "verdict"},
    ]
    return {
        "$schema": SCHEMA,
        "title": {"text": f"{ob['id']}: {ob['metric']}", "subtitle": ob["proxy_for"][:140]},
        "width": 560,
        "height": 220,
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "rule", "strokeWidth": 4},
                "encoding": {
                    "x": {"field": "start", "type": "temporal", "title": "period"},
                    "y": {"field": "low", "type": "quantitative", "title": ob["count"]},
                    "y2": {"field": "high"},
                    "color": colour,
                    "tooltip": tooltip,
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 40},
                "encoding": {
                    "x": {"field": "start", "type": "temporal"},
                    "y": {"field": "best", "type": "quantitative"},
                    "color": colour,
                    "tooltip": tooltip,
                },
            },
            {
                "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#333333"},
                "encoding": {
                    "y": {"field": "threshold", "type": "quantitative", "aggregate": "max"}
                },
            },
        ],
    }


def trust_chart(rows: Sequence[TrustRow]) -> dict[str, Any]:
    """Each party's expected reliability over time with its 80% interval."""
    return {
        "$schema": SCHEMA,
        "title": {
            "text": "Trust over time (Beta reputation)",
            "subtitle": "mean and 80% interval; Jøsang & Ismail (2002)",
        },
        "width": 560,
        "height": 200,
        "data": {"values": list(rows)},
        "encoding": {
            "x": {"field": "date", "type": "temporal", "title": "period end"},
            "color": {"field": "party", "type": "nominal"},
        },
        "layer": [
            {
                "mark": {"type": "area", "opacity": 0.2, "interpolate": "step-after"},
                "encoding": {
                    "y": {
                        "field": "low80",
                        "type": "quantitative",
                        "scale": {"domain": [0, 1]},
                        "title": "P(keeps the next period)",
                    },
                    "y2": {"field": "high80"},
                },
            },
            {
                "mark": {"type": "line", "interpolate": "step-after", "point": True},
                "encoding": {
                    "y": {"field": "mean", "type": "quantitative"},
                    "tooltip": [
                        {"field": "party"},
                        {"field": "date", "type": "temporal"},
                        {"field": "mean", "type": "quantitative", "format": ".2f"},
                        {"field": "low80", "type": "quantitative", "format": ".2f"},
                        {"field": "high80", "type": "quantitative", "format": ".2f"},
                        {"field": "kept", "type": "quantitative"},
                        {"field": "breached", "type": "quantitative"},
                    ],
                },
            },
        ],
    }


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-") or "x"


def section_data(
    report: ComplianceReport,
    trust: Sequence[TrustSeries] | None = None,
    case: Case | None = None,
) -> ComplianceSection:
    """The section's data and chart specs for one checked commitment.

    With ``case``, the credibility its ``trust:`` input gives each actor (what a what-if
    ``promise`` is weighted by) is listed too.
    """
    obligations: list[ObligationSection] = []
    breaches: list[BreachEvent] = []
    disagreements: list[str] = []
    charts: list[tuple[str, dict[str, Any]]] = []
    for ob in report.obligations:
        pts: list[PeriodPoint] = []
        for p in ob.periods:
            pts.append(
                PeriodPoint(
                    start=p.start.isoformat(),
                    end=p.end.isoformat(),
                    low=p.low,
                    best=p.best,
                    high=p.high,
                    threshold=p.threshold,
                    comparison=p.comparison,
                    verdict=p.verdict,
                    final=p.final,
                    dataset=p.dataset,
                    disagreement=p.disagreement,
                )
            )
            if p.disagreement:
                disagreements.append(
                    f"{ob.id} {p.start}..{p.end}: "
                    + "; ".join(f"{f.dataset} {f.version} {f.verdict}" for f in p.datasets)
                )
            if p.verdict == "breached" or any(f.verdict == "breached" for f in p.datasets):
                for f in p.datasets:
                    for eid, certain in [(e, True) for e in f.events_low] + [
                        (e, False) for e in f.events_possible
                    ]:
                        breaches.append(
                            BreachEvent(
                                obligation=ob.id,
                                period_start=p.start.isoformat(),
                                period_end=p.end.isoformat(),
                                dataset=f.dataset,
                                version=f.version,
                                event_id=eid,
                                certain=certain,
                            )
                        )
        chart_id = f"compliance-{_slug(report.commitment_name)}-{_slug(ob.id)}"
        sec = ObligationSection(
            id=ob.id,
            text=ob.text,
            metric=ob.metric,
            metric_sha256=ob.metric_sha256,
            count=ob.count,
            proxy_for=ob.proxy_for,
            caveat=ob.caveat,
            periods=pts,
            chart=chart_id,
            kept=sum(p["verdict"] == "kept" for p in pts),
            breached=sum(p["verdict"] == "breached" for p in pts),
            undetermined=sum(p["verdict"] == "undetermined" for p in pts),
            no_data=sum(p["verdict"] == "no data" for p in pts),
        )
        obligations.append(sec)
        charts.append((chart_id, interval_chart(sec)))
    rows: list[TrustRow] = []
    for s in trust or []:
        for tp in s.points:
            rows.append(
                TrustRow(
                    party=s.party,
                    date=tp.date.isoformat(),
                    mean=tp.mean,
                    low80=tp.low80,
                    high80=tp.high80,
                    kept=tp.kept,
                    breached=tp.breached,
                )
            )
    trust_id = None
    if rows:
        trust_id = f"compliance-{_slug(report.commitment_name)}-trust"
        charts.append((trust_id, trust_chart(rows)))
    prior = trust[0].prior if trust else (1.0, 1.0)
    lam = trust[0].forgetting if trust else 1.0
    return ComplianceSection(
        title="Are they keeping it?",
        label=report.commitment_label,
        commitment=report.commitment,
        commitment_name=report.commitment_name,
        committing_party=report.committing_party,
        as_of=report.as_of.isoformat(),
        datasets=report.datasets,
        obligations=obligations,
        breaches=breaches,
        disagreements=disagreements,
        trust=rows,
        trust_rule=(
            f"Beta reputation (Jøsang & Ismail 2002): prior Beta({prior[0]:g}, {prior[1]:g}), "
            f"forgetting factor {lam:g}; each final period kept or breached is one observation."
        ),
        trust_chart=trust_id,
        credibility=[
            CredibilityRow(
                actor=actor,
                value=c.value,
                low=c.low,
                high=c.high,
                basis=c.note or (f"source {c.source}" if c.source else "stated in the case"),
            )
            for actor, c in sorted(case.trust.credibility.items())
        ]
        if case is not None and case.trust is not None
        else [],
        charts=charts,
    )


def _fmt(x: Any) -> str:
    if x is None:
        return "unbounded"
    if isinstance(x, float):
        return f"{x:g}" if math.isfinite(x) else "unbounded"
    return str(x)


def render_section(section: ComplianceSection) -> str:
    """The section as an HTML fragment (charts as placeholders the brief's script draws)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE.parent)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = _fmt
    return env.get_template(TEMPLATE.name).render(compliance=section)
