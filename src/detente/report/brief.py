"""The HTML brief: one self-contained page a busy mediator can read offline.

:func:`build_brief` turns a case and the results of the other capabilities (forecast,
deadlock diagnosis, Monte Carlo sweep, tornado, intervention search, what-if runs,
written guarantees with their receipts) into a single HTML file. The page is a list of
sections (:mod:`detente.report.sections`): each builds its view from the typed results
and renders its own template fragment, and a section whose result was not given is
left out. Vega, Vega-Lite and vega-embed are inlined from ``detente/report/vendor`` so
the charts render with no network, and a content security policy in the page forbids
any fetch. All case text is HTML-escaped (Jinja2 autoescaping) and JSON blocks are
escaped so that no user text can close a ``<script>``. The data the page shows is
embedded as JSON (``<script id="detente-data">``): the page's data twin.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any, cast

import jinja2
from markupsafe import Markup

from detente import __version__
from detente.case.model import Case
from detente.diagnose.core import Diagnosis
from detente.diagnose.results import DiagnosisDict
from detente.forecast.results import ForecastDict, forecast_data
from detente.forecast.run import Forecast
from detente.pipeline.records import GuaranteeRecord
from detente.report.format import num
from detente.report.sections import SECTIONS, BriefInputs, Charts, Provenance, Section
from detente.uncertainty.interventions import InterventionResult
from detente.uncertainty.results import (
    InterventionDict,
    SkippedSearchDict,
    SweepDict,
    TornadoDict,
    WhatIfDict,
)
from detente.uncertainty.sensitivity import TornadoResult
from detente.uncertainty.sweep import SweepResult
from detente.uncertainty.whatif import WhatIfResult

__all__ = [
    "BRIEF_FORMAT",
    "CSP",
    "VENDOR_FILES",
    "brief_context",
    "brief_inputs",
    "build_brief",
    "json_for_script",
]

BRIEF_FORMAT = "detente-brief/2"
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


def clean(x: Any) -> Any:
    """JSON-ready copy: NaN and infinities become ``None``."""
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    if isinstance(x, Mapping):
        return {str(k): clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [clean(v) for v in x]
    return x


def json_for_script(data: Any) -> Markup:
    r"""JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` are written as ``\u003c``, ``\u003e`` and ``\u0026`` so that no
    string in the data can close the script element or open a comment; the JSON value
    is unchanged.
    """
    text = json.dumps(clean(data), ensure_ascii=False, allow_nan=False, sort_keys=False)
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
    env.filters["num"] = num
    return env


def _without_path(w: WhatIfResult | WhatIfDict) -> WhatIfDict:
    """A what-if's data with its file's name only: a brief never shows a local path."""
    data = cast("WhatIfDict", w.to_dict()) if isinstance(w, WhatIfResult) else w
    meta = dict(data["whatif"])
    if meta.get("file"):
        meta["file"] = str(meta["file"]).replace("\\", "/").rsplit("/", 1)[-1]
    return {**data, "whatif": meta}


def brief_inputs(
    case: Case,
    forecast: Forecast | ForecastDict,
    *,
    diagnosis: Diagnosis | DiagnosisDict | None = None,
    sweep: SweepResult | SweepDict | None = None,
    tornado: TornadoResult | TornadoDict | None = None,
    interventions: Sequence[InterventionResult | InterventionDict | SkippedSearchDict]
    | None = None,
    whatifs: Sequence[WhatIfResult | WhatIfDict] | None = None,
    guarantees: Sequence[GuaranteeRecord] | None = None,
    provenance: Provenance | None = None,
    left_out: Mapping[str, str] | None = None,
    extra: Mapping[str, object] | None = None,
) -> BriefInputs:
    """The typed inputs of the brief, from result objects or their ``to_dict()`` data.

    Args: as :func:`build_brief`.
    """
    return BriefInputs(
        case=case,
        forecast=forecast_data(forecast),
        provenance=provenance or Provenance(dt.datetime.now(dt.UTC).replace(microsecond=0)),
        diagnosis=diagnosis.to_dict() if isinstance(diagnosis, Diagnosis) else diagnosis,
        sweep=sweep.to_dict() if isinstance(sweep, SweepResult) else sweep,
        tornado=tornado.to_dict() if isinstance(tornado, TornadoResult) else tornado,
        interventions=None
        if interventions is None
        else [r.to_dict() if isinstance(r, InterventionResult) else r for r in interventions],
        whatifs=None if whatifs is None else [_without_path(w) for w in whatifs],
        guarantees=None if guarantees is None else list(guarantees),
        left_out=dict(left_out or {}),
        extra=dict(extra or {}),
    )


def brief_context(
    inputs: BriefInputs | Case,
    forecast: Forecast | ForecastDict | None = None,
    *,
    sections: Sequence[Section[Any]] = SECTIONS,
    **results: Any,
) -> dict[str, Any]:
    """Everything the template shows, as plain data (also handy for tests).

    Args:
        inputs: The typed inputs (:func:`brief_inputs`), or a case: then ``forecast``
            and ``results`` (keywords of :func:`build_brief`) make the inputs.
        forecast: The forecast, when ``inputs`` is a case.
        sections: The sections to build, in page order (default: every registered one).
        **results: As :func:`build_brief`'s keywords, when ``inputs`` is a case.

    Returns:
        ``context[section id]`` is each section's view (``None`` when left out);
        ``context["sections"]`` the sections shown with their views; ``context["charts"]``
        the ``(id, spec)`` of every chart; ``context["data"]`` the data twin.
    """
    if isinstance(inputs, Case):
        if forecast is None:
            raise TypeError("brief_context(case, forecast, ...): the forecast is missing")
        inputs = brief_inputs(inputs, forecast, **results)
    charts = Charts()
    info = inputs.case.case
    shown = []
    ctx: dict[str, Any] = {}
    for s in sections:
        view = s.build(inputs, charts)
        ctx[s.id] = view
        if view is not None:
            shown.append({"id": s.id, "title": s.title, "template": s.template, "view": view})
    p = inputs.provenance
    data = {
        "format": BRIEF_FORMAT,
        "detente_version": __version__,
        "generated_at": p.generated_at.isoformat(),
        "case_file": p.case_file,
        "case_sha256": p.case_sha256,
        "case": inputs.case.model_dump(mode="json"),
        "forecast": inputs.forecast,
        "diagnosis": inputs.diagnosis,
        "sweep": inputs.sweep,
        "tornado": inputs.tornado,
        "interventions": inputs.interventions,
        "whatifs": inputs.whatifs,
        "guarantees": inputs.guarantees,
        "left_out": dict(inputs.left_out),
        "extra": dict(inputs.extra),
    }
    dates = " – ".join(
        dict.fromkeys(d.isoformat() for d in (info.start, info.end) if d is not None)
    )
    return {
        **ctx,
        "title": info.title,
        "case_id": info.id,
        "dates": dates,
        "place": info.place or "",
        "summary": info.summary or "",
        "version": __version__,
        "generated_text": p.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "sections": shown,
        "charts": charts.specs,
        "data": data,
    }


def build_brief(
    case: Case,
    forecast: Forecast | ForecastDict,
    *,
    diagnosis: Diagnosis | DiagnosisDict | None = None,
    sweep: SweepResult | SweepDict | None = None,
    tornado: TornadoResult | TornadoDict | None = None,
    interventions: Sequence[InterventionResult | InterventionDict | SkippedSearchDict]
    | None = None,
    whatifs: Sequence[WhatIfResult | WhatIfDict] | None = None,
    guarantees: Sequence[GuaranteeRecord] | None = None,
    provenance: Provenance | None = None,
    left_out: Mapping[str, str] | None = None,
    extra: Mapping[str, object] | None = None,
    sections: Sequence[Section[Any]] = SECTIONS,
) -> str:
    """Render the self-contained HTML brief.

    Args:
        case: The validated case.
        forecast: A :class:`detente.forecast.Forecast` or its ``to_dict()``; models
            run with ``trajectory=True`` add a position-by-round chart.
        diagnosis: :func:`detente.diagnose.diagnose`'s result (or its ``to_dict()``);
            adds the verdicts and a quad map per issue, and the bottom line's "why".
        sweep: :func:`detente.uncertainty.run_sweep`'s result (or its ``to_dict()``);
            adds per issue every model's median and 50/80/95% intervals and the share of
            draws with each diagnosis verdict (the bottom line's "how sure").
        tornado: :func:`detente.uncertainty.tornado`'s result (or its ``to_dict()``);
            adds per issue and model the inputs with the largest swing.
        interventions: :func:`detente.uncertainty.search_interventions`'s results (or
            their ``to_dict()``), and issues not searched with why; adds per issue the
            changes found, levers first (the bottom line's "what would move it").
        whatifs: :func:`detente.uncertainty.run_whatif`'s results; adds each what-if
            file's outcome and verdict before and after.
        guarantees: Written guarantees with their receipts
            (:func:`detente.pipeline.guarantees_from_ledger`); each is embedded with its
            receipt, its verifier policy and the ``detente verify`` command.
        provenance: Generation time and the case file's name and SHA-256 (default: now,
            no file).
        left_out: Part name -> why it is not in the brief, for the bottom line.
        extra: Results for sections added by other packages, by section id.
        sections: The sections to show, in order (default: all registered).

    Returns:
        One HTML document with every script, style and datum inline.
    """
    inputs = brief_inputs(
        case,
        forecast,
        diagnosis=diagnosis,
        sweep=sweep,
        tornado=tornado,
        interventions=interventions,
        whatifs=whatifs,
        guarantees=guarantees,
        provenance=provenance,
        left_out=left_out,
        extra=extra,
    )
    ctx = brief_context(inputs, sections=sections)
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
