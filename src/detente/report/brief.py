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


VERDICT_LABELS = {
    "deadlock": "deadlock",
    "compromise_expected": "compromise expected",
    "agreement_likely": "agreement likely",
}
"""Short words for verdict codes, for probabilities and tables."""

INPUT_KINDS = {
    "position": "Position",
    "salience": "Salience",
    "capability": "Capability",
    "status_quo": "Status quo",
}

TORNADO_TOP = 10
"""Inputs shown per issue and model in the tornado (largest swing first)."""

INTERVENTIONS_TOP = 5
"""Interventions spelt out per issue; the rest of those found are in a table below."""


def _as_data(value: Any) -> dict[str, Any]:
    """A result object's ``to_dict()``, or the mapping itself, as a plain dict."""
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a mapping or an object with to_dict(), got {type(value)}")
    return dict(value)


def _as_list(value: Any) -> list[dict[str, Any]]:
    """Intervention results as a list: one result, a list of them, or ``{issue: result}``."""
    if hasattr(value, "to_dict") or (isinstance(value, Mapping) and "issue" in value):
        return [_as_data(value)]
    if isinstance(value, Mapping):
        return [_as_data(v) for v in value.values()]
    return [_as_data(v) for v in value]


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _pct(p: Any) -> str:
    """A probability as a whole percentage; ``<1%`` and ``>99%`` keep rare events visible."""
    if not _finite(p):
        return "–"
    v = float(p)
    if 0 < v < 0.005:
        return "<1%"
    if 0.995 <= v < 1:
        return ">99%"
    return f"{v * 100:.0f}%"


def _share(x: Any) -> str:
    """A share of a lever's room: one decimal under 10%, whole percent above."""
    if not _finite(x):
        return "–"
    v = float(x) * 100
    return f"{v:.1f}%" if v < 10 else f"{v:.0f}%"


def _count(n: Any) -> str:
    return f"{int(n):,}" if _finite(n) else "–"


def _interval_text(pair: Any) -> str:
    if isinstance(pair, list | tuple) and len(pair) == 2 and all(_finite(x) for x in pair):
        return f"{_num(pair[0])}–{_num(pair[1])}"
    return "–"


def _verdict_label(code: Any) -> str:
    if code is None:
        return "no verdict"
    return VERDICT_LABELS.get(str(code), _words(code))


def _fallback_issue_view(issue_id: str, scale: Any) -> dict[str, Any]:
    """A minimal issue view for results about an issue the case does not list."""
    lo, hi = scale if isinstance(scale, list | tuple) and len(scale) == 2 else (0.0, 100.0)
    return {
        "id": issue_id,
        "question": issue_id,
        "min": lo,
        "max": hi,
        "unit": "",
        "anchors": [],
        "status_quo": None,
    }


def _nearest_anchor(view: Mapping[str, Any], value: float) -> str:
    anchors = view.get("anchors") or []
    if not anchors:
        return ""
    best = min(anchors, key=lambda a: abs(float(a["value"]) - value))
    return str(best["label"])


def _sweep_view(
    sweep: Mapping[str, Any],
    views: Mapping[str, Mapping[str, Any]],
    fdict: Mapping[str, Any],
    add_chart: Any,
) -> dict[str, Any]:
    """The Monte Carlo section: how it ran, then per issue the intervals and P(verdict)."""
    done = sweep.get("draws_done", sweep.get("draws"))
    draws_text = _count(done)
    issues = []
    for issue_id, d in (sweep.get("issues") or {}).items():
        if not isinstance(d, Mapping):
            continue
        view = views.get(issue_id) or _fallback_issue_view(issue_id, d.get("scale"))
        stated = fdict.get("issues", {}).get(issue_id, {}).get("models", {})
        rows = []
        for model, m in (d.get("models") or {}).items():
            iv = m.get("intervals") or {}
            row: dict[str, Any] = {
                "model": model,
                "median": m.get("median"),
                "mean": m.get("mean"),
                "median_text": _num(m.get("median")),
                "mean_text": _num(m.get("mean")),
                "stated_text": _num((stated.get(model) or {}).get("outcome")),
                "n": m.get("n"),
                "n_text": _count(m.get("n")),
                "range_text": _interval_text([m.get("min"), m.get("max")]),
            }
            ok = _finite(m.get("median"))
            for key in ("50", "80", "95"):
                pair = iv.get(key)
                row[f"i{key}_text"] = _interval_text(pair)
                good = row[f"i{key}_text"] != "–"
                row[f"lo{key}"] = pair[0] if good and pair else None
                row[f"hi{key}"] = pair[1] if good and pair else None
                ok = ok and good
            row["plotted"] = ok
            rows.append(row)
        plotted = [{k: v for k, v in r.items() if k != "plotted"} for r in rows if r["plotted"]]
        p_verdict = d.get("p_verdict")
        verdicts = []
        sentence = ""
        chart = None
        if isinstance(p_verdict, Mapping) and p_verdict:
            verdicts = [
                {"code": str(code), "verdict": _verdict_label(code), "p": p, "p_text": _pct(p)}
                for code, p in p_verdict.items()
                if _finite(p)
            ]
            if verdicts:
                first, *rest = verdicts
                sentence = (
                    f"{first['verdict'].capitalize()} in {first['p_text']} of {draws_text} draws"
                )
                if rest:
                    sentence += "; " + "; ".join(f"{v['verdict']} in {v['p_text']}" for v in rest)
                sentence += "."
                chart = add_chart(
                    charts.verdict_chart(
                        f"Diagnosis verdict over {draws_text} draws",
                        [{k: v[k] for k in ("verdict", "p", "p_text")} for v in verdicts],
                    )
                )
        issues.append(
            {
                "issue_id": issue_id,
                "question": view["question"],
                "status_quo_text": view.get("status_quo_text") or _num(view.get("status_quo")),
                "rows": rows,
                "chart": add_chart(charts.interval_chart(view, plotted)) if plotted else None,
                "verdicts": verdicts,
                "verdict_sentence": sentence,
                "verdict_chart": chart,
                "p_deadlock": p_verdict.get("deadlock") if isinstance(p_verdict, Mapping) else None,
            }
        )
    quant = sweep.get("quantiles") or {}
    models = sweep.get("models") or []
    return {
        "draws": _count(sweep.get("draws")),
        "draws_done": draws_text,
        "interrupted": bool(sweep.get("interrupted")),
        "seed": sweep.get("seed"),
        "engine": str(sweep.get("engine") or "–"),
        "workers": sweep.get("workers"),
        "seconds": f"{float(sweep['seconds']):.1f}" if _finite(sweep.get("seconds")) else "",
        "models": ", ".join(str(m) for m in models),
        "n_inputs": len(sweep.get("inputs") or []),
        "bins": quant.get("bins"),
        "verdict_basis": str(sweep.get("verdict_basis") or ""),
        "issues": issues,
    }


def _input_words(case: Case, name: str, issue_id: str) -> str:
    """``salience:AFG:sanctuaries`` -> ``Salience — <AFG's name>`` (issue named if other)."""
    parts = str(name).split(":")
    kind = INPUT_KINDS.get(parts[0], _words(parts[0]).capitalize())
    if parts[0] == "status_quo":
        other = parts[1] if len(parts) > 1 else ""
        return kind if other in ("", issue_id) else f"{kind} of {other}"
    if len(parts) == 2:
        return f"{kind} — {_actor_name(case, parts[1])} (all issues)"
    if len(parts) >= 3:
        on = "" if parts[2] == issue_id else f" on {parts[2]}"
        return f"{kind}{on} — {_actor_name(case, parts[1])}"
    return str(name)


def _tornado_view(
    case: Case,
    tornado: Mapping[str, Any],
    views: Mapping[str, Mapping[str, Any]],
    add_chart: Any,
) -> list[dict[str, Any]]:
    """Per issue and model: the inputs with the largest swing, as a chart and a table."""
    out = []
    for issue_id, d in (tornado.get("issues") or {}).items():
        if not isinstance(d, Mapping):
            continue
        view = views.get(issue_id) or _fallback_issue_view(issue_id, None)
        for model, m in (d.get("models") or {}).items():
            bars = [b for b in m.get("bars") or [] if isinstance(b, Mapping)]
            moving = [b for b in bars if _finite(b.get("swing")) and float(b["swing"]) > 0]
            moving.sort(key=lambda b: -float(b["swing"]))  # already so; keep it certain
            top = moving[:TORNADO_TOP]
            base = m.get("base") if _finite(m.get("base")) else None
            has_verdicts = any("verdict_low" in b or "verdict_high" in b for b in bars)
            rows, points = [], []
            for b in top:
                label = _input_words(case, str(b.get("input")), issue_id)
                rng = b.get("range")
                row = {
                    "input": str(b.get("input")),
                    "label": label,
                    "range_text": _interval_text(rng),
                    "low_text": _num(b.get("outcome_low")),
                    "high_text": _num(b.get("outcome_high")),
                    "swing": b.get("swing"),
                    "swing_text": _num(b.get("swing")),
                    "verdict_low": _verdict_label(b.get("verdict_low")) if has_verdicts else "",
                    "verdict_high": _verdict_label(b.get("verdict_high")) if has_verdicts else "",
                    "verdict_flips": has_verdicts and b.get("verdict_low") != b.get("verdict_high"),
                }
                rows.append(row)
                for end, key, vkey in (
                    ("low end", "outcome_low", "verdict_low"),
                    ("high end", "outcome_high", "verdict_high"),
                ):
                    if not _finite(b.get(key)):
                        continue
                    points.append(
                        {
                            "label": label,
                            "end": end,
                            "from": base if base is not None else b[key],
                            "to": b[key],
                            "range_text": row["range_text"],
                            "to_text": _num(b[key]),
                            "swing_text": row["swing_text"],
                            "verdict": _verdict_label(b.get(vkey)) if has_verdicts else "",
                        }
                    )
            out.append(
                {
                    "issue_id": issue_id,
                    "question": view["question"],
                    "model": model,
                    "base_text": _num(base),
                    "verdict_base": _verdict_label(d.get("verdict_base"))
                    if d.get("verdict_base")
                    else "",
                    "has_verdicts": has_verdicts,
                    "rows": rows,
                    "n_inputs": len(bars),
                    "n_still": len(bars) - len(moving),
                    "n_more": len(moving) - len(top),
                    "chart": add_chart(charts.tornado_chart(view, model, base, points))
                    if points
                    else None,
                }
            )
    return out


def _and_names(case: Case, ids: Sequence[str]) -> str:
    """``["TUR", "QAT"]`` -> ``Türkiye and Qatar`` (names from the case)."""
    names = [_actor_name(case, str(i)) for i in ids]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _change_words(case: Case, ch: Mapping[str, Any], view: Mapping[str, Any]) -> str:
    """One lever change in plain words, with its size as a share of the lever's room."""
    actor = _actor_name(case, str(ch.get("actor", "?")))
    kind = str(ch.get("input", ""))
    before, after = ch.get("from"), ch.get("to")
    share = _share(ch.get("share_of_room"))
    up = (
        isinstance(before, int | float)
        and isinstance(after, int | float)
        and float(after) > float(before)
    )
    verb = "raises" if up else "lowers"
    span = f"from {_num(before)} to {_num(after)}"
    if kind == "position":
        near = _nearest_anchor(view, float(after)) if isinstance(after, int | float) else ""
        where = f" (nearest labelled point: {near})" if near else ""
        return f"{actor} moves its position {span}{where}: {share} of the scale"
    if kind == "salience":
        return (
            f"{actor} {verb} the weight it gives this issue (salience) {span}: "
            f"{share} of full salience"
        )
    if kind == "capability":
        return (
            f"{actor} {verb} the capability it brings to this issue {span}: "
            f"{share} of the total capability at the table"
        )
    return f"{actor} changes its {_words(kind)} {span}: {share} of its room"


def _interventions_view(
    case: Case, results: Sequence[Mapping[str, Any]], views: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Per issue searched: the question asked, the state before, the ranked changes."""
    out = []
    for r in results:
        issue_id = str(r.get("issue", ""))
        view = views.get(issue_id) or _fallback_issue_view(issue_id, None)
        names = _and_names(case, list(r.get("by") or []))
        goal = str(r.get("goal") or "")
        model = str(r.get("model") or "")
        before = r.get("before") or {}
        default_goal = goal == "diagnosis is not deadlock"
        ask = (
            f"What could {names} change to take this issue out of deadlock?"
            if default_goal
            else f"What could {names} change so that the {goal}?"
        )
        found: list[dict[str, Any]] = []
        for iv in r.get("interventions") or []:
            if not isinstance(iv, Mapping):
                continue
            ev = iv.get("evidence") or {}
            outcome = (
                f"{model} outcome {_num(ev.get('outcome_before'))} → "
                f"{_num(ev.get('outcome_after'))}"
            )
            verdict = ""
            if ev.get("verdict_before") is not None or ev.get("verdict_after") is not None:
                verdict = (
                    f"verdict {_verdict_label(ev.get('verdict_before'))} → "
                    f"{_verdict_label(ev.get('verdict_after'))}"
                )
            robust = ""
            if _finite(ev.get("p_goal_after")):
                robust = f"goal met in {_pct(ev['p_goal_after'])} of the draws"
            found.append(
                {
                    "rank": iv.get("rank", len(found) + 1),
                    "robust": robust,
                    "size": iv.get("size"),
                    "size_text": f"{float(iv['size']):.2g}" if _finite(iv.get("size")) else "–",
                    "changes": [
                        _change_words(case, ch, view)
                        for ch in iv.get("changes") or []
                        if isinstance(ch, Mapping)
                    ],
                    "evidence": "; ".join(x for x in (verdict, outcome) if x),
                }
            )
        found.sort(key=lambda f: f["size"] if _finite(f["size"]) else math.inf)
        already = (
            default_goal and before.get("verdict") is not None and before["verdict"] != "deadlock"
        )
        rob = r.get("robustness") or {}
        robust_text = ""
        if _finite(rob.get("p_goal_before")):
            robust_text = (
                f"Tested across the case's stated ranges ({_count(rob.get('draws'))} draws, "
                f"seed {rob.get('seed')}): without any change the goal is met in "
                f"{_pct(rob['p_goal_before'])} of the draws. A change that meets the goal at the "
                "stated values but not clearly more often across the ranges is a knife-edge "
                "result of the coding, not a lever."
            )
        elif rob.get("note"):
            robust_text = f"Robustness not tested: {rob['note']}."
        out.append(
            {
                "issue_id": issue_id,
                "question": view["question"],
                "ask": ask,
                "by": names,
                "model": model,
                "goal": goal,
                "before_text": f"{model} outcome {_num(before.get('outcome'))}"
                + (
                    f", verdict {_verdict_label(before.get('verdict'))}"
                    if before.get("verdict") is not None
                    else ""
                ),
                "error": str(r.get("error") or ""),
                "note": str(r.get("note") or ""),
                "robust_text": robust_text,
                "already_met": bool(already) and not found,
                "evaluations": _count(r.get("evaluations")),
                "top": found[:INTERVENTIONS_TOP],
                "rest": found[INTERVENTIONS_TOP:],
            }
        )
    return out


def brief_context(
    case: Case,
    forecast_result: _HasToDict | Mapping[str, Any],
    *,
    diagnosis: Mapping[str, Any] | None = None,
    guarantee: Mapping[str, Any] | None = None,
    sweep: _HasToDict | Mapping[str, Any] | None = None,
    tornado: _HasToDict | Mapping[str, Any] | None = None,
    interventions: Any = None,
) -> dict[str, Any]:
    """Everything the template shows, as plain data (also handy for tests).

    Args:
        case: The validated case.
        forecast_result: A :class:`detente.forecast.Forecast` or its ``to_dict()``.
        diagnosis: ``detente.diagnose.diagnose(case).to_dict()``, if run.
        guarantee: The demo guarantee record with its verification, if recorded.
        sweep: A :class:`detente.uncertainty.SweepResult` or its ``to_dict()``, if run.
        tornado: A :class:`detente.uncertainty.TornadoResult` or its ``to_dict()``.
        interventions: One :class:`detente.uncertainty.InterventionResult` (or its
            ``to_dict()``), a list of them, or ``{issue: result}``.

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

    views = {i["id"]: i for i in issues}
    sweep_data = _as_data(sweep) if sweep is not None else None
    tornado_data = _as_data(tornado) if tornado is not None else None
    iv_data = _as_list(interventions) if interventions is not None else None
    sweep_view = _sweep_view(sweep_data, views, fdict, add_chart) if sweep_data else None
    tornado_views = (
        _tornado_view(case, tornado_data, views, add_chart) if tornado_data is not None else None
    )
    iv_views = _interventions_view(case, iv_data, views) if iv_data is not None else None

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
    p_dead = {
        s["issue_id"]: _pct(s["p_deadlock"])
        for s in (sweep_view or {}).get("issues", [])
        if s["p_deadlock"] is not None
    }
    glance = [
        {
            "question": i["question"],
            "id": i["id"],
            "status_quo": i["status_quo_text"],
            "cells": {r["model"]: r for r in i["forecasts"]},
            "p_deadlock": p_dead.get(i["id"], "–"),
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
        "sweep": sweep_data,
        "tornado": tornado_data,
        "interventions": iv_data,
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
        "sweep": sweep_view,
        "p_deadlock_column": bool(p_dead),
        "tornado": tornado_views,
        "interventions": iv_views,
        "tornado_top": TORNADO_TOP,
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
    sweep: _HasToDict | Mapping[str, Any] | None = None,
    tornado: _HasToDict | Mapping[str, Any] | None = None,
    interventions: Any = None,
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
        sweep: A Monte Carlo sweep (:func:`detente.uncertainty.run_sweep`'s result or its
            ``to_dict()``); adds per issue an interval chart and table of every model's
            median and 50/80/95% intervals, and the probability of each diagnosis verdict.
        tornado: A one-at-a-time tornado (:func:`detente.uncertainty.tornado`'s result or
            its ``to_dict()``); adds per issue and model the inputs with the largest swing.
        interventions: Intervention searches
            (:func:`detente.uncertainty.search_interventions`'s results or their
            ``to_dict()``): one, a list, or ``{issue: result}``; adds per issue the
            smallest changes found, in words, with their evidence.

    Returns:
        One HTML document with every script, style and datum inline.
    """
    ctx = brief_context(
        case,
        forecast_result,
        diagnosis=diagnosis,
        guarantee=guarantee,
        sweep=sweep,
        tornado=tornado,
        interventions=interventions,
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
