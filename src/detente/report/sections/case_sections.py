"""The case itself: at a glance, actors, issues and positions, talks so far, sources."""

from __future__ import annotations

from typing import Any

from detente.case.model import Actor, Case, Issue, Source
from detente.diagnose.rule import verdict_label
from detente.report import charts
from detente.report.format import est_text, num, pct
from detente.report.sections.base import (
    BriefInputs,
    Charts,
    Section,
    actor_name,
    capability_of,
)

__all__ = ["ACTORS", "GLANCE", "ISSUES", "SOURCES", "TALKS", "is_partisan"]

KIND_WORDS = {
    "opinion": "Opinion piece: partisan by nature; numbers resting on it carry its slant.",
    "analyst": "Analyst's estimate: a judgement, not a reported fact.",
}

NON_PARTISAN_KINDS = frozenset({"analyst", "academic", "dataset"})
"""Kinds whose bias note describes a method's limits rather than a side taken."""


def is_partisan(source: Source) -> bool:
    """Opinion pieces, and reporting sources whose bias is noted, are flagged partisan."""
    return source.kind == "opinion" or (bool(source.bias) and source.kind not in NON_PARTISAN_KINDS)


def _source_flags(source: Source) -> list[str]:
    flags = []
    if source.kind in KIND_WORDS:
        flags.append(KIND_WORDS[source.kind])
    if source.bias:
        flags.append(f"Bias noted: {source.bias}")
    return flags


def build_glance(inputs: BriefInputs, charts_: Charts) -> dict[str, Any]:
    """One row per issue: status quo, every model's forecast, verdict, P(deadlock)."""
    fc = inputs.forecast
    verdicts = (
        {i: verdict_label(d["verdict"]) for i, d in inputs.diagnosis["issues"].items()}
        if inputs.diagnosis is not None
        else {}
    )
    p_dead = {
        i: pct(d["p_verdict"]["deadlock"])
        for i, d in (inputs.sweep["issues"].items() if inputs.sweep else ())
        if d["p_verdict"] is not None and "deadlock" in d["p_verdict"]
    }
    rows = []
    for issue_id, view in inputs.issue_views.items():
        cells = {}
        for m, e in fc["issues"][issue_id]["models"].items() if issue_id in fc["issues"] else ():
            anchor = e["nearest_anchor"]
            cells[m] = {
                "outcome": e["outcome"],
                "outcome_text": num(e["outcome"]),
                "anchor": anchor["label"] if anchor else "",
                "note": e.get("note", ""),
            }
        rows.append(
            {
                "id": issue_id,
                "question": view["question"],
                "status_quo": view["status_quo_text"],
                "cells": cells,
                "verdict": verdicts.get(issue_id, "–"),
                "p_deadlock": p_dead.get(issue_id, "–"),
            }
        )
    return {
        "models": list(fc["models"]),
        "rows": rows,
        "has_verdicts": bool(verdicts),
        "has_p_deadlock": bool(p_dead),
        "draws": f"{inputs.sweep['draws_done']:,}" if inputs.sweep else "",
    }


def build_actors(inputs: BriefInputs, charts_: Charts) -> list[dict[str, Any]]:
    """Every actor: kind, role, whether at the table, capability."""
    return [
        {
            "id": a.id,
            "name": a.name,
            "kind": a.kind.replace("_", " "),
            "role": a.role,
            "at_table": a.at_table,
            "capability": est_text(a.capability),
            "description": a.description or "",
        }
        for a in inputs.case.actors
    ]


def _source_label(case: Case, source_id: str | None) -> str:
    if not source_id:
        return ""
    try:
        return f"{source_id}: {case.source(source_id).citation}"
    except KeyError:
        return source_id


def position_rows(case: Case, issue: Issue) -> list[dict[str, Any]]:
    """Every coded position on ``issue``, highest first, with its evidence."""
    rows: list[dict[str, Any]] = []
    for pos in case.positions:
        if pos.issue != issue.id or pos.position is None:
            continue
        try:
            actor: Actor | None = case.actor(pos.actor)
        except KeyError:
            actor = None
        cap = capability_of(case, pos)
        est = pos.position
        rows.append(
            {
                "actor_id": pos.actor,
                "actor": actor.name if actor else pos.actor,
                "role": actor.role if actor else "party",
                "role_text": actor.role if actor else "",
                "at_table": actor.at_table if actor else True,
                "table_text": "yes" if (actor is None or actor.at_table) else "no",
                "position": est.value,
                "low": est.low,
                "high": est.high,
                "salience": pos.salience.value,
                "capability": cap.value if cap else 0.0,
                "position_text": est_text(est),
                "salience_text": est_text(pos.salience),
                "capability_text": est_text(cap),
                "source": _source_label(case, est.source),
                "source_id": est.source or "",
                "quote": est.quote or "",
                "note": est.note or "",
                "salience_source_id": pos.salience.source or "",
                "capability_source_id": (cap.source or "") if cap else "",
            }
        )
    rows.sort(key=lambda r: -float(r["position"]))
    return rows


def build_issues(inputs: BriefInputs, charts_: Charts) -> list[dict[str, Any]]:
    """Per issue: scale, labelled points, status quo, positions (chart and table)."""
    case = inputs.case
    out = []
    for issue in case.issues:
        view = dict(inputs.issue_views[issue.id])
        positions = position_rows(case, issue)
        coded = {p["actor_id"] for p in positions}
        view.update(
            positions=positions,
            actors_chart=charts_.add(charts.actors_chart(view, positions)) if positions else None,
            missing=[a.name for a in case.actors if a.id not in coded],
        )
        out.append(view)
    return out


def build_talks(inputs: BriefInputs, charts_: Charts) -> list[dict[str, Any]] | None:
    """The rounds of talks the case records, if any."""
    case = inputs.case
    talks = [
        {
            "label": r.name or (f"Round {r.number}" if r.number is not None else "Round"),
            "dates": " – ".join(d.isoformat() for d in (r.start, r.end) if d is not None),
            "place": r.place or "",
            "participants": ", ".join(actor_name(case, a) for a in r.participants),
            "outcome": r.outcome or "",
            "source": r.source or "",
        }
        for r in case.rounds
    ]
    return talks or None


def build_sources(inputs: BriefInputs, charts_: Charts) -> dict[str, Any]:
    """Every source, with partisan and bias flags."""
    sources = [
        {
            "id": s.id,
            "citation": s.citation,
            "kind": s.kind,
            "bias": s.bias or "",
            "url": s.url,
            "date": s.date.isoformat() if s.date else "",
            "flags": _source_flags(s),
            "partisan": is_partisan(s),
            "bias_noted": bool(s.bias),
        }
        for s in inputs.case.sources
    ]
    return {
        "items": sources,
        "n_partisan": sum(1 for s in sources if s["partisan"]),
        "n_bias_other": sum(1 for s in sources if s["bias_noted"] and not s["partisan"]),
    }


GLANCE: Section[dict[str, Any]] = Section(
    "glance", "At a glance", "sections/glance.html.j2", build_glance
)
ACTORS: Section[list[dict[str, Any]]] = Section(
    "actors", "Actors", "sections/actors.html.j2", build_actors
)
ISSUES: Section[list[dict[str, Any]]] = Section(
    "issues", "Issues", "sections/issues.html.j2", build_issues
)
TALKS: Section[list[dict[str, Any]]] = Section(
    "talks", "Talks so far", "sections/talks.html.j2", build_talks
)
SOURCES: Section[dict[str, Any]] = Section(
    "sources", "Sources", "sections/sources.html.j2", build_sources
)
