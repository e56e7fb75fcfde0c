"""The HTML brief: one self-contained page a busy mediator can read offline.

:func:`build_brief` turns a case and its forecast (plus, when available, a deadlock
diagnosis, a written guarantee with its verification, and an uncertainty sweep) into a
single HTML file. Vega, Vega-Lite and vega-embed are inlined from
``detente/report/vendor`` so the charts render with no network, and a content security
policy in the page forbids any fetch. All case text is HTML-escaped (Jinja2
autoescaping) and JSON blocks are escaped so that no user text can close a ``<script>``.
The data the page shows is embedded as JSON (``<script id="detente-data">``): the
page's data twin.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any, Protocol

import jinja2
from markupsafe import Markup

from detente import __version__
from detente.case.model import Actor, Case, Estimate, Issue, Position, Source
from detente.report import charts

__all__ = ["BRIEF_FORMAT", "VENDOR_FILES", "brief_context", "build_brief", "json_for_script"]

BRIEF_FORMAT = "detente-brief/1"
"""Identifies the layout of the embedded data twin."""

VENDOR_FILES = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
"""Vendored builds, in load order (vega-lite needs vega; vega-embed needs both)."""

CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data:; font-src data:"
)
"""Content security policy: inline code only, no request of any kind leaves the page.

``'unsafe-eval'`` is needed because Vega compiles its expressions with ``Function``.
"""

VERDICT_WORDS = {
    "deadlock": "Deadlock: the coded positions and stakes do not point to an agreement.",
    "compromise_expected": "Compromise expected: the parties are likely to meet part way.",
    "compromise": "Compromise expected: the parties are likely to meet part way.",
    "agreement_likely": "Agreement likely: the positions are close or converging.",
    "agreement": "Agreement likely: the positions are close or converging.",
    "capitulation": "Capitulation expected: one side is likely to give in.",
    "stalemate": "Stalemate: neither side expects to gain from challenging the other.",
}
"""Plain words for the diagnosis verdict codes; unknown codes are shown as given."""

KIND_WORDS = {
    "opinion": "Opinion piece: partisan by nature; numbers resting on it carry its slant.",
    "analyst": "Analyst's estimate: a judgement, not a reported fact.",
}

ROLE_WORDS = {
    "party": "party",
    "mediator": "mediator",
    "stakeholder": "stakeholder",
    "observer": "observer",
}


class _HasToDict(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


def _num(value: float | None) -> str:
    """A number as people read it: up to 4 significant digits, no exponent."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)
    if abs(v) >= 1000:
        return f"{v:.0f}"
    text = f"{v:.4g}"
    return "0" if text == "-0" else text


def _est_text(est: Estimate | None) -> str:
    if est is None:
        return "–"
    if est.range is None:
        return _num(est.value)
    return f"{_num(est.value)} ({_num(est.low)}–{_num(est.high)})"


def _clean(x: Any) -> Any:
    """JSON-ready copy: NaN and infinities become ``None``."""
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    if isinstance(x, Mapping):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def json_for_script(data: Any) -> Markup:
    r"""JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` are written as ``\u003c``, ``\u003e`` and ``\u0026`` so that no
    string in the data can close the script element or open a comment; the JSON value
    is unchanged.
    """
    text = json.dumps(_clean(data), ensure_ascii=False, allow_nan=False, sort_keys=False)
    text = (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    return Markup(text)


@cache
def _vendor_js() -> tuple[tuple[str, str], ...]:
    base = resources.files("detente.report") / "vendor"
    out = []
    for name in VENDOR_FILES:
        text = (base / name).read_text(encoding="utf-8")
        if "</script" in text.lower() or "<!--" in text:
            raise RuntimeError(f"vendored {name} cannot be inlined in a <script> element")
        out.append((name, text))
    return tuple(out)


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("detente.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    return env


def _source_flags(source: Source) -> list[str]:
    flags = []
    if source.kind in KIND_WORDS:
        flags.append(KIND_WORDS[source.kind])
    if source.bias:
        flags.append(f"Bias noted: {source.bias}")
    return flags


NON_PARTISAN_KINDS = frozenset({"analyst", "academic", "dataset"})
"""Kinds whose bias note describes a method's limits rather than a side taken."""


def _is_partisan(source: Source) -> bool:
    """Opinion pieces, and reporting sources whose bias is noted, are flagged partisan."""
    return source.kind == "opinion" or (bool(source.bias) and source.kind not in NON_PARTISAN_KINDS)


def _capability(case: Case, pos: Position) -> Estimate | None:
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


def _actor_name(case: Case, actor_id: str) -> str:
    try:
        return case.actor(actor_id).name
    except KeyError:
        return actor_id


def _issue_view(case: Case, issue: Issue, max_capability: float) -> dict[str, Any]:
    anchors = [{"value": a.value, "label": a.label} for a in issue.scale.anchors]
    return {
        "id": issue.id,
        "question": issue.question,
        "description": issue.description,
        "min": issue.scale.min,
        "max": issue.scale.max,
        "unit": issue.scale.unit,
        "anchors": anchors,
        "status_quo": issue.status_quo.value if issue.status_quo else None,
        "status_quo_text": _est_text(issue.status_quo),
        "status_quo_source": _source_label(case, issue.status_quo.source)
        if issue.status_quo
        else "",
        "status_quo_quote": issue.status_quo.quote if issue.status_quo else None,
        "observed_outcome": _est_text(issue.outcome) if issue.outcome else None,
        "max_capability": max_capability,
    }


def _position_rows(case: Case, issue: Issue) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for pos in case.positions:
        if pos.issue != issue.id or pos.position is None:
            continue
        try:
            actor: Actor | None = case.actor(pos.actor)
        except KeyError:
            actor = None
        cap = _capability(case, pos)
        est = pos.position
        rows.append(
            {
                "actor_id": pos.actor,
                "actor": actor.name if actor else pos.actor,
                "role": actor.role if actor else "party",
                "role_text": ROLE_WORDS.get(actor.role, actor.role) if actor else "",
                "at_table": actor.at_table if actor else True,
                "table_text": "yes" if (actor is None or actor.at_table) else "no",
                "position": est.value,
                "low": est.low,
                "high": est.high,
                "salience": pos.salience.value,
                "capability": cap.value if cap else 0.0,
                "position_text": _est_text(est),
                "salience_text": _est_text(pos.salience),
                "capability_text": _est_text(cap),
                "source": _source_label(case, est.source),
                "source_id": est.source or "",
                "quote": est.quote or "",
                "note": est.note or "",
                "salience_source_id": pos.salience.source or "",
                "capability_source_id": cap.source or "" if cap else "",
            }
        )
    rows.sort(key=lambda r: -float(r["position"]))
    return rows


def _forecast_rows(
    issue_id: str, fdict: Mapping[str, Any], model_names: Sequence[str]
) -> list[dict[str, Any]]:
    per_model = fdict.get("issues", {}).get(issue_id, {}).get("models", {})
    rows = []
    for m in model_names:
        entry = per_model.get(m)
        if entry is None:
            continue
        value = entry.get("outcome")
        anchor = entry.get("nearest_anchor") or {}
        rows.append(
            {
                "model": m,
                "outcome": value,
                "outcome_text": _num(value),
                "anchor": anchor.get("label", ""),
                "anchor_value": anchor.get("value"),
                "distance": anchor.get("distance"),
                "label": f"{_num(value)}"
                + (f" · {anchor['label']}" if anchor.get("label") else ""),
                "note": entry.get("note", ""),
            }
        )
    return rows


def _rounds_views(
    case: Case, issue_view: Mapping[str, Any], fdict: Mapping[str, Any], model_names: Sequence[str]
) -> list[dict[str, Any]]:
    per_model = fdict.get("issues", {}).get(issue_view["id"], {}).get("models", {})
    out = []
    for m in model_names:
        rounds = (per_model.get(m) or {}).get("rounds")
        if not rounds:
            continue
        rows: list[dict[str, Any]] = []
        for r in rounds:
            t = r.get("round")
            for actor_id, value in (r.get("positions") or {}).items():
                rows.append(
                    {
                        "round": t,
                        "series": _actor_name(case, actor_id),
                        "kind": "actor",
                        "value": value,
                    }
                )
            if r.get("median") is not None:
                rows.append(
                    {
                        "round": t,
                        "series": "Weighted median",
                        "kind": "median",
                        "value": r["median"],
                    }
                )
            if r.get("mean") is not None:
                rows.append(
                    {"round": t, "series": "Weighted mean", "kind": "mean", "value": r["mean"]}
                )
        moves: list[dict[str, Any]] = []
        for prev, r in zip(rounds, rounds[1:], strict=False):
            for actor_id, why in (r.get("moved_by") or {}).items():
                before = (prev.get("positions") or {}).get(actor_id)
                after = (r.get("positions") or {}).get(actor_id)
                moves.append(
                    {
                        "round": r.get("round"),
                        "actor": _actor_name(case, actor_id),
                        "before": before,
                        "after": after,
                        "initiator": _actor_name(case, why["initiator"]),
                        "receiver": _actor_name(case, why["receiver"]),
                    }
                )
        last = rounds[-1]
        out.append(
            {
                "model": m,
                "moves": moves,
                "n_rounds": len(rounds) - 1,
                "final_median": last.get("median"),
                "final_mean": last.get("mean"),
                "spec": charts.rounds_chart(issue_view, m, rows),
            }
        )
    return out


def _words(code: Any) -> str:
    """``receiver_capitulates`` -> ``receiver capitulates``."""
    return str(code or "").replace("_", " ")


def diagnosis_rule(diagnosis: Mapping[str, Any]) -> str:
    """The documented rule behind the verdicts, when the diagnosis states it."""
    for holder in (diagnosis, diagnosis.get("case")):
        if isinstance(holder, Mapping) and isinstance(holder.get("rule"), str):
            return str(holder["rule"])
    return ""


def _verdict_words(verdict: Any) -> str:
    code = str(verdict or "").strip()
    if not code:
        return "No verdict given."
    return VERDICT_WORDS.get(code.lower(), code.replace("_", " ").capitalize())


def _diagnosis_view(
    case: Case, diagnosis: Mapping[str, Any], issue_questions: Mapping[str, str]
) -> list[dict[str, Any]]:
    out = []
    for issue_id, d in (diagnosis.get("issues") or {}).items():
        pairs = []
        for p in d.get("pairs") or []:
            ini, rec = str(p.get("initiator", "")), str(p.get("receiver", ""))
            pairs.append(
                {
                    "pair": f"{_actor_name(case, ini)} → {_actor_name(case, rec)}",
                    "initiator": _actor_name(case, ini),
                    "receiver": _actor_name(case, rec),
                    "octant_initiator_view": _words(p.get("octant_initiator_view")),
                    "octant_receiver_view": _words(p.get("octant_receiver_view")),
                    "eu_initiator": p.get("eu_initiator"),
                    "eu_receiver": p.get("eu_receiver"),
                }
            )
        question = issue_questions.get(issue_id, issue_id)
        plotted = [
            p
            for p in pairs
            if isinstance(p["eu_initiator"], int | float)
            and isinstance(p["eu_receiver"], int | float)
            and math.isfinite(p["eu_initiator"])
            and math.isfinite(p["eu_receiver"])
        ]
        out.append(
            {
                "issue_id": issue_id,
                "question": question,
                "verdict": str(d.get("verdict", "")),
                "verdict_words": _verdict_words(d.get("verdict")),
                "explanation": d.get("explanation") or "",
                "pairs": pairs,
                "spec": charts.quad_map_chart(question, plotted) if plotted else None,
            }
        )
    return out


def _names(case: Case, ids: Any) -> str:
    if isinstance(ids, str):
        ids = [ids]
    if not isinstance(ids, list | tuple) or not ids:
        return ""
    return ", ".join(_actor_name(case, str(i)) for i in ids)


def _obligation_text(ob: Any) -> str:
    if not isinstance(ob, Mapping):
        return str(ob)
    text = str(ob.get("text") or ob.get("id") or "")
    ind = ob.get("indicator")
    if isinstance(ind, Mapping) and ind.get("metric"):
        measure = f"{ind.get('metric')} {ind.get('comparison', '')} {_num(ind.get('threshold'))}"
        if ind.get("period"):
            measure += f" per {ind['period']}"
        text += f" [measured: {measure.strip()}]"
    return text


def _guarantee_view(case: Case, g: Mapping[str, Any]) -> dict[str, Any]:
    envelope = g.get("commitment") or {}
    if not isinstance(envelope, Mapping):
        envelope = {}
    # A signed record wraps the commitment: {"id", "commitment": {...}, "signatures": [...]}.
    inner = envelope.get("commitment")
    body: Mapping[str, Any] = inner if isinstance(inner, Mapping) else envelope
    verification = g.get("verification") or {}
    ok = verification.get("ok")

    def signers(key: str) -> str:
        sigs = envelope.get(key) or []
        return ", ".join(
            _actor_name(case, str(s.get("actor", "?"))) for s in sigs if isinstance(s, Mapping)
        )

    period = " – ".join(str(body[k]) for k in ("start", "end") if body.get(k))
    fields = [
        ("Committing party", _names(case, body.get("committing_party"))),
        ("Beneficiaries", _names(case, body.get("beneficiaries"))),
        ("In force", period),
        ("Guarantors", _names(case, body.get("guarantors"))),
        ("Witnesses", _names(case, body.get("witnesses"))),
        ("Issues", ", ".join(str(i) for i in body.get("issues") or [])),
        ("Signed by", signers("signatures")),
        ("Countersigned by", signers("countersignatures")),
        ("Commitment id", str(envelope.get("id") or body.get("id") or "")),
    ]
    obligations = body.get("obligations") or []
    return {
        "label": g.get("label") or body.get("label") or "Written guarantee",
        "text": body.get("text") or "",
        "fields": [(k, v) for k, v in fields if v],
        "obligations": [_obligation_text(o) for o in obligations]
        if isinstance(obligations, list)
        else [],
        "commitment_json": json.dumps(_clean(envelope), indent=2, ensure_ascii=False),
        "log_origin": g.get("log_origin"),
        "index": g.get("index"),
        "tree_size": g.get("tree_size"),
        "checkpoint": g.get("checkpoint"),
        "receipt_path": g.get("receipt_path"),
        "ok": ok is True,
        "status": "verified" if ok is True else "NOT verified",
        "verdict": verification.get("verdict") or "",
        "reason": verification.get("reason") or "",
    }


def brief_context(
    case: Case,
    forecast_result: _HasToDict | Mapping[str, Any],
    *,
    diagnosis: Mapping[str, Any] | None = None,
    guarantee: Mapping[str, Any] | None = None,
    sweep: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the template shows, as plain data (also handy for tests).

    Args:
        case: The validated case.
        forecast_result: A :class:`detente.forecast.Forecast` or its ``to_dict()``.
        diagnosis: ``detente.diagnose.diagnose(case).to_dict()``, if run.
        guarantee: The demo guarantee record with its verification, if recorded.
        sweep: Uncertainty sweep results, if run (shown as data).

    Returns:
        The template context; ``context["data"]`` is the data twin.
    """
    fdict: Mapping[str, Any] = (
        forecast_result if isinstance(forecast_result, Mapping) else forecast_result.to_dict()
    )
    model_names = list((fdict.get("models") or {}).keys())
    info = case.case
    caps = [c.value for p in case.positions if (c := _capability(case, p)) is not None]
    max_cap = max(caps, default=1.0)
    chart_specs: list[tuple[str, dict[str, Any]]] = []

    def add_chart(spec: dict[str, Any]) -> str:
        chart_id = f"chart-{len(chart_specs) + 1}"
        chart_specs.append((chart_id, spec))
        return chart_id

    issues = []
    questions = {}
    for issue in case.issues:
        view = _issue_view(case, issue, max_cap)
        questions[issue.id] = issue.question
        positions = _position_rows(case, issue)
        frows = _forecast_rows(issue.id, fdict, model_names)
        plotted = [r for r in frows if r["outcome"] is not None]
        rounds = _rounds_views(case, view, fdict, model_names)
        for r in rounds:
            r["chart"] = add_chart(r.pop("spec"))
        view.update(
            positions=positions,
            actors_chart=add_chart(charts.actors_chart(view, positions)) if positions else None,
            forecasts=frows,
            forecast_chart=add_chart(charts.forecast_chart(view, plotted)) if plotted else None,
            rounds=rounds,
            missing=[a.name for a in case.actors if a.id not in {p["actor_id"] for p in positions}],
        )
        issues.append(view)

    diag_views = _diagnosis_view(case, diagnosis, questions) if diagnosis is not None else None
    for d in diag_views or []:
        spec = d.pop("spec")
        d["chart"] = add_chart(spec) if spec else None

    sources = [
        {
            "id": s.id,
            "citation": s.citation,
            "kind": s.kind,
            "bias": s.bias or "",
            "url": s.url,
            "date": s.date.isoformat() if s.date else "",
            "flags": _source_flags(s),
            "partisan": _is_partisan(s),
            "bias_noted": bool(s.bias),
        }
        for s in case.sources
    ]
    actors = [
        {
            "id": a.id,
            "name": a.name,
            "kind": a.kind.replace("_", " "),
            "role": a.role,
            "at_table": a.at_table,
            "capability": _est_text(a.capability),
            "description": a.description or "",
        }
        for a in case.actors
    ]
    talks = [
        {
            "label": r.name or (f"Round {r.number}" if r.number is not None else "Round"),
            "dates": " – ".join(d.isoformat() for d in (r.start, r.end) if d is not None),
            "place": r.place or "",
            "participants": ", ".join(_actor_name(case, a) for a in r.participants),
            "outcome": r.outcome or "",
            "source": r.source or "",
        }
        for r in case.rounds
    ]
    glance = [
        {
            "question": i["question"],
            "id": i["id"],
            "status_quo": i["status_quo_text"],
            "cells": {r["model"]: r for r in i["forecasts"]},
        }
        for i in issues
    ]
    verdicts = {d["issue_id"]: d["verdict_words"] for d in diag_views or []}
    dates = " – ".join(
        dict.fromkeys(d.isoformat() for d in (info.start, info.end) if d is not None)
    )
    data = {
        "format": BRIEF_FORMAT,
        "detente_version": __version__,
        "case": case.model_dump(mode="json"),
        "forecast": fdict,
        "diagnosis": diagnosis,
        "guarantee": guarantee,
        "sweep": sweep,
    }
    return {
        "title": info.title,
        "case_id": info.id,
        "dates": dates,
        "place": info.place or "",
        "summary": info.summary or "",
        "version": __version__,
        "models": [
            {"name": m, **{k: v for k, v in (fdict["models"][m] or {}).items() if k != "name"}}
            for m in model_names
        ],
        "sources": sources,
        "n_partisan": sum(1 for s in sources if s["partisan"]),
        "n_bias_other": sum(1 for s in sources if s["bias_noted"] and not s["partisan"]),
        "actors": actors,
        "issues": issues,
        "glance": glance,
        "verdicts": verdicts,
        "talks": talks,
        "diagnosis": diag_views,
        "diagnosis_rule": diagnosis_rule(diagnosis) if diagnosis is not None else "",
        "guarantee": _guarantee_view(case, guarantee) if guarantee is not None else None,
        "sweep_json": json.dumps(_clean(sweep), indent=2, ensure_ascii=False)
        if sweep is not None
        else None,
        "has_rounds": any(i["rounds"] for i in issues),
        "charts": chart_specs,
        "data": data,
    }


def build_brief(
    case: Case,
    forecast_result: _HasToDict | Mapping[str, Any],
    *,
    diagnosis: Mapping[str, Any] | None = None,
    guarantee: Mapping[str, Any] | None = None,
    sweep: Mapping[str, Any] | None = None,
) -> str:
    """Render the self-contained HTML brief.

    Args:
        case: The validated case.
        forecast_result: A :class:`detente.forecast.Forecast` or its ``to_dict()``; models
            run with ``trajectory=True`` add a position-by-round chart.
        diagnosis: ``{"issues": {id: {"verdict", "explanation", "pairs": [...]}}}`` from
            ``detente.diagnose``; adds the verdicts and a quad map per issue.
        guarantee: ``{"label", "commitment", "log_origin", "index", "tree_size",
            "checkpoint", "receipt_path", "verification": {"ok", "verdict", "reason"}}``;
            adds the written guarantee and its verification status.
        sweep: Uncertainty sweep results; embedded and shown as data.

    Returns:
        One HTML document with every script, style and datum inline.
    """
    ctx = brief_context(
        case, forecast_result, diagnosis=diagnosis, guarantee=guarantee, sweep=sweep
    )
    css = (resources.files("detente.report") / "templates" / "brief.css").read_text("utf-8")
    return (
        _env()
        .get_template("brief.html.j2")
        .render(
            **ctx,
            csp=CSP,
            css=Markup(css),
            vendor=[(name, Markup(text)) for name, text in _vendor_js()],
            chart_json=[(cid, json_for_script(spec)) for cid, spec in ctx["charts"]],
            data_json=json_for_script(ctx["data"]),
        )
    )
