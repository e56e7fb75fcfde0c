"""Vega-Lite specifications for the brief's charts.

Each function takes plain JSON-ready data (built by :mod:`detente.report.brief`) and
returns a Vega-Lite v5 specification as a dict. Specs carry their data inline
(``data.values``) so the page needs no network. Case text (names, questions, anchor
labels, quotes) only ever appears as data values or titles, never inside Vega
expressions, so user input cannot become code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from detente.report.format import num

__all__ = [
    "LEGEND_MAX",
    "actors_chart",
    "forecast_chart",
    "interval_chart",
    "quad_map_chart",
    "responsive",
    "rounds_chart",
    "tornado_chart",
    "verdict_chart",
]

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
"""Identifies the spec as Vega-Lite v5; vega-embed reads it and fetches nothing."""

WIDTH = 560
ROLE_COLOURS = {
    "party": "#1f5fa8",
    "mediator": "#2e8b57",
    "stakeholder": "#b8641c",
    "observer": "#7a7a7a",
}
STATUS_QUO_COLOUR = "#b22222"
INTERVAL_COLOUR = "#1f5fa8"
VERDICT_COLOURS = {
    "deadlock": "#b22222",
    "compromise expected": "#c98a12",
    "agreement likely": "#2e8b57",
}
"""Verdict labels (as the brief words them) and their colours; others get the default."""
LOW_END_COLOUR = "#7fa7d4"
HIGH_END_COLOUR = "#d98c3f"

Spec = dict[str, Any]

CONFIG: Spec = {
    "legend": {
        "orient": "bottom",
        "direction": "horizontal",
        "titleOrient": "top",
        "labelFontSize": 10,
        "columns": 2,
        "labelLimit": 0,
        "symbolLimit": 0,
    },
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "labelLimit": 0},
    "title": {"fontSize": 14, "subtitleFontSize": 11, "subtitleColor": "#555555"},
}
"""Shared look: legends under the chart in columns, so the plot keeps its width, and no
limit on the length of labels (``0``: Vega never cuts a label short with "…")."""

LEGEND_MAX = 12
"""Above this many actors a chart names them in tooltips and tables, not in a legend."""

NAME_CHARS = 20
"""Longest line of an actor's name on an axis: longer names wrap."""

LABEL_CHARS = 26
"""Longest line of an input's label on the tornado's axis."""

SPLIT_LINES = "split(datum.label, '\\n')"
"""Axis label expression: a label holding newlines is drawn on several lines. A constant:
case text stays data, never code."""


def _lines(text: str, width: int) -> str:
    """``text`` wrapped to ``width`` characters, lines joined by newlines."""
    return "\n".join(_wrap(text, width))


def _step(rows: Sequence[Mapping[str, Any]], field: str, base: int = 24) -> int:
    """Band height for a nominal axis whose labels may hold several lines."""
    most = max((str(r[field]).count("\n") + 1 for r in rows), default=1)
    return max(base, 13 * most + 8)


TITLE_CHARS = 56
"""Longest title line, in characters: titles wrap instead of being cut, to fit 420 px."""


def _wrap(text: str, width: int = TITLE_CHARS) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken at spaces."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines or [""]


def _bands(spec: Spec) -> int:
    """How many bands a chart's nominal y axis has (its distinct values in the data)."""
    encodings = [spec.get("encoding") or {}] + [
        layer.get("encoding") or {} for layer in spec.get("layer") or []
    ]
    for enc in encodings:
        y = enc.get("y") or {}
        if y.get("type") == "nominal" and "field" in y:
            values = (spec.get("data") or {}).get("values") or []
            return len({str(v.get(y["field"])) for v in values})
    return 1


def responsive(spec: Spec) -> Spec:
    """The chart made to fit its container: full width, titles wrapped, never cut.

    A fixed width of 300 px or more becomes the container's width (Vega-Lite
    ``"width": "container"``, redrawn when the window resizes), so the page reads on a
    420 px phone screen; title and subtitle wrap onto several lines instead of being
    truncated.
    """
    out = dict(spec)
    width = out.get("width")
    if isinstance(width, int | float) and width >= 300:
        out["width"] = "container"
        height = out.get("height")
        if isinstance(height, Mapping) and "step" in height:
            # A fitted width with a stepped height makes Vega-Lite warn and drop its fit:
            # the height is the step times the number of bands, written out.
            out["height"] = int(height["step"]) * max(_bands(out), 1)
    title = out.get("title")
    if isinstance(title, Mapping):
        t = {k: v for k, v in title.items() if k != "limit"}
        if isinstance(t.get("text"), str):
            t["text"] = _wrap(t["text"])
        if isinstance(t.get("subtitle"), str):
            t["subtitle"] = _wrap(t["subtitle"], TITLE_CHARS + 14)
        out["title"] = t
    return out


def _x(scale_min: float, scale_max: float, title: str) -> dict[str, Any]:
    return {
        "type": "quantitative",
        "scale": {"domain": [scale_min, scale_max], "nice": False, "zero": False},
        "axis": {"title": title, "grid": True, "tickCount": 5},
    }


def _anchor_layers(
    anchors: Sequence[Mapping[str, Any]], scale_min: float, scale_max: float
) -> list[Spec]:
    """Dashed rules at the labelled points of the scale, labels along the top edge."""
    if not anchors:
        return []
    rows = [
        {"value": a["value"], "label": a["label"], "tag": _tag(float(a["value"]))} for a in anchors
    ]
    layers: list[Spec] = [
        {
            "data": {"values": rows},
            "mark": {"type": "rule", "color": "#9a9a9a", "strokeDash": [2, 3]},
            "encoding": {
                "x": {"field": "value", "type": "quantitative"},
                "tooltip": [
                    {"field": "label", "title": "Anchor"},
                    {"field": "value", "title": "Value"},
                ],
            },
        }
    ]
    # One text layer per anchor: end labels align inwards; when neighbouring labels would
    # collide, they alternate between two rows. Tags are the anchors' values: short, never cut.
    rows = sorted(rows, key=lambda r: float(r["value"]))
    span = scale_max - scale_min
    px = [(float(r["value"]) - scale_min) / span * WIDTH if span else WIDTH / 2 for r in rows]
    est = [_text_width(str(r["tag"])) for r in rows]
    fits = all((est[k] + est[k + 1]) / 2 + 8 <= px[k + 1] - px[k] for k in range(len(rows) - 1))
    stride = 1 if fits else 2
    for k, row in enumerate(rows):
        frac = px[k] / WIDTH
        align = "left" if frac <= 0.05 else "right" if frac >= 0.95 else "center"
        layers.append(
            {
                "data": {"values": [row]},
                "mark": {
                    "type": "text",
                    "align": align,
                    "baseline": "bottom",
                    "dy": -4 if k % stride == 0 else -17,
                    "fontSize": 10,
                    "color": "#555555",
                },
                "encoding": {
                    "x": {"field": "value", "type": "quantitative"},
                    "y": {"value": 0},
                    "text": {"field": "tag"},
                    "tooltip": [
                        {"field": "label", "title": "Labelled point"},
                        {"field": "value", "title": "Value"},
                    ],
                },
            }
        )
    return layers


def _tag(value: float) -> str:
    """The short tag drawn at a labelled point: its value.

    The label itself is in the tooltip and in the text beside the chart, where it is
    never cut short.
    """
    return num(value)


def _text_width(text: str) -> float:
    """Rough width in pixels of ``text`` at font size 10 (for laying out labels)."""
    return 5.6 * len(text)


def _title_offset(anchors: Sequence[Mapping[str, Any]], lo: float, hi: float) -> int:
    """Room between title and plot: more when anchor labels need two rows."""
    layers = _anchor_layers(anchors, lo, hi)
    two_rows = any(layer["mark"].get("dy") == -17 for layer in layers[1:])
    return 34 if two_rows else 22


def _share_x(layers: list[Spec], x: Mapping[str, Any]) -> list[Spec]:
    """Give every layer's x channel the same scale and axis, keeping its own field.

    Without this Vega-Lite merges the field names of all layers into the axis title.
    """
    for layer in layers:
        enc = layer.get("encoding", {})
        if "x" in enc:
            enc["x"] = {**x, "field": enc["x"]["field"]}
    return layers


def _status_quo_layer(status_quo: float | None) -> list[Spec]:
    if status_quo is None:
        return []
    return [
        {
            "data": {"values": [{"value": status_quo, "label": "Status quo"}]},
            "mark": {"type": "rule", "color": STATUS_QUO_COLOUR, "strokeDash": [6, 4], "size": 2},
            "encoding": {
                "x": {"field": "value", "type": "quantitative"},
                "tooltip": [
                    {"field": "label", "title": "Reference point"},
                    {"field": "value", "title": "Value"},
                ],
            },
        }
    ]


def _scale_chart(
    issue: Mapping[str, Any],
    layers: list[Spec],
    rows: Sequence[Mapping[str, Any]],
    *,
    subtitle: str,
    x_title: str,
    step: int,
) -> Spec:
    """A chart on the issue's scale: status quo and anchors added, the question as title."""
    lo, hi = float(issue["min"]), float(issue["max"])
    unit = f" ({issue['unit']})" if issue.get("unit") else ""
    anchors = issue.get("anchors") or []
    layers = [
        *layers,
        *_status_quo_layer(issue.get("status_quo")),
        *_anchor_layers(anchors, lo, hi),
    ]
    return {
        "$schema": SCHEMA,
        "config": CONFIG,
        "title": {
            "text": str(issue["question"]),
            "subtitle": subtitle,
            "anchor": "start",
            "offset": _title_offset(anchors, lo, hi),
            "limit": WIDTH + 150,
        },
        "width": WIDTH,
        "height": {"step": step},
        "data": {"values": [dict(r) for r in rows]},
        "layer": _share_x(layers, _x(lo, hi, f"{x_title}{unit}")),
    }


def actors_chart(issue: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> Spec:
    """Actors on one issue: position (x), range (bar), capability (size), salience (opacity).

    Args:
        issue: ``{"id", "question", "min", "max", "unit", "anchors", "status_quo",
            "max_capability"}``.
        rows: One per actor with a position: ``actor``, ``role``, ``at_table``,
            ``position``, ``low``, ``high``, ``salience``, ``capability`` and the
            tooltip strings ``position_text``, ``salience_text``, ``capability_text``,
            ``source``, ``quote``.
    """
    y = {
        "field": "actor_label",
        "type": "nominal",
        "sort": {"field": "position", "order": "descending"},
        # Long names wrap onto several lines (the label holds "\n"); never cut short.
        "axis": {"title": None, "labelExpr": SPLIT_LINES},
    }
    tooltip = [
        {"field": "actor", "title": "Actor"},
        {"field": "role_text", "title": "Role"},
        {"field": "position_text", "title": "Position (range)"},
        {"field": "salience_text", "title": "Salience (range)"},
        {"field": "capability_text", "title": "Capability (range)"},
        {"field": "source", "title": "Source"},
        {"field": "quote", "title": "Quote"},
    ]
    max_cap = max(float(issue.get("max_capability") or 0.0), 1e-9)
    roles = [r for r in ROLE_COLOURS if any(row.get("role") == r for row in rows)]
    role_scale = {"domain": roles, "range": [ROLE_COLOURS[r] for r in roles]}
    layers: list[Spec] = [
        {
            "mark": {"type": "rule", "size": 3, "opacity": 0.45},
            "encoding": {
                "x": {"field": "low", "type": "quantitative"},
                "x2": {"field": "high"},
                "y": y,
                "color": {"field": "role", "type": "nominal", "title": "Role", "scale": role_scale},
                "tooltip": tooltip,
            },
        },
        {
            "mark": {"type": "point", "filled": True, "stroke": "#222222", "strokeWidth": 1},
            "encoding": {
                "x": {"field": "position", "type": "quantitative"},
                "y": y,
                "size": {
                    "field": "capability",
                    "type": "quantitative",
                    "title": "Capability",
                    "scale": {"domain": [0, max_cap], "range": [30, 900]},
                    "legend": None,
                },
                "opacity": {
                    "field": "salience",
                    "type": "quantitative",
                    "title": "Salience",
                    "scale": {"domain": [0, 1], "range": [0.2, 1]},
                    "legend": None,
                },
                "color": {"field": "role", "type": "nominal", "title": "Role", "scale": role_scale},
                "shape": {
                    "field": "table_text",
                    "type": "nominal",
                    "title": "At table",
                    "scale": {"domain": ["yes", "no"], "range": ["circle", "diamond"]},
                },
                "tooltip": tooltip,
            },
        },
    ]
    rows = [{**r, "actor_label": _lines(str(r["actor"]), NAME_CHARS)} for r in rows]
    return _scale_chart(
        issue,
        layers,
        rows,
        subtitle="Position on the issue's scale; bar: stated range; size: capability; "
        "opacity: salience; red dashed line: status quo",
        x_title="Position",
        step=_step(rows, "actor_label", 30),
    )


def forecast_chart(issue: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> Spec:
    """Each model's forecast on one issue, the status quo and the scale's anchors.

    Args:
        issue: As for :func:`actors_chart`.
        rows: One per model with an outcome: ``model``, ``outcome``, ``anchor`` (the
            nearest anchor's label or ""), ``outcome_text``.
    """
    y = {"field": "model", "type": "nominal", "sort": None, "axis": {"title": None}}
    tooltip = [
        {"field": "model", "title": "Model"},
        {"field": "outcome_text", "title": "Forecast"},
        {"field": "anchor", "title": "Nearest anchor"},
    ]
    layers: list[Spec] = [
        {
            "mark": {
                "type": "point",
                "shape": "diamond",
                "filled": True,
                "size": 160,
                "color": "#222222",
            },
            "encoding": {
                "x": {"field": "outcome", "type": "quantitative"},
                "y": y,
                "tooltip": tooltip,
            },
        },
        {
            "mark": {"type": "text", "align": "left", "dx": 10, "fontSize": 11},
            "encoding": {
                "x": {"field": "outcome", "type": "quantitative"},
                "y": y,
                "text": {"field": "label"},
                "tooltip": tooltip,
            },
        },
    ]
    return _scale_chart(
        issue,
        layers,
        rows,
        subtitle="Diamond: each model's forecast, labelled with the nearest anchor; "
        "red dashed line: status quo",
        x_title="Forecast outcome",
        step=34,
    )


def rounds_chart(
    issue: Mapping[str, Any],
    model: str,
    rows: Sequence[Mapping[str, Any]],
    outcome: float | None = None,
) -> Spec:
    """Positions by round for one model and issue: weighted median, mean and the outcome.

    With up to :data:`LEGEND_MAX` actors each has its colour and a legend entry; with
    more, actors are thin grey lines named in their tooltips (a legend of 40 colours
    cannot be read), and only the median, the mean and the outcome stand out.

    Args:
        issue: As for :func:`actors_chart`.
        model: The model's name.
        rows: ``{"round", "series", "kind" (actor|median|mean), "value"}``.
        outcome: The model's outcome, marked as a horizontal rule across the rounds.
    """
    lo, hi = float(issue["min"]), float(issue["max"])
    actors = list(dict.fromkeys(str(r["series"]) for r in rows if r["kind"] == "actor"))
    x = {"field": "round", "type": "ordinal", "axis": {"title": "Round", "labelAngle": 0}}
    y = {
        "field": "value",
        "type": "quantitative",
        "scale": {"domain": [lo, hi], "nice": False, "zero": False},
        "axis": {"title": "Position"},
    }
    tooltip = [
        {"field": "series", "title": "Series"},
        {"field": "round", "title": "Round"},
        {"field": "value", "title": "Position", "format": ".2f"},
    ]
    if len(actors) <= LEGEND_MAX:
        actor_colour: Spec = {
            "field": "series",
            "type": "nominal",
            "title": "Actor",
            "sort": actors,
            "legend": {"columns": 1},
        }
        actor_mark: Spec = {"type": "line", "point": True, "strokeWidth": 1.5}
    else:
        actor_colour = {"value": "#8a8a8a"}
        actor_mark = {"type": "line", "strokeWidth": 1, "opacity": 0.55}
    summary_colour = {
        "field": "series",
        "type": "nominal",
        "title": "Summary",
        "scale": {
            "domain": ["Weighted median", "Weighted mean", "Model outcome"],
            "range": ["#222222", "#555555", STATUS_QUO_COLOUR],
        },
        "legend": None,  # the subtitle names them: a second legend would not fit 420 px
    }
    layers: list[Spec] = [
        {
            "transform": [{"filter": {"field": "kind", "equal": "actor"}}],
            "mark": actor_mark,
            "encoding": {
                "x": x,
                "y": y,
                "detail": {"field": "series", "type": "nominal"},
                "color": actor_colour,
                "tooltip": tooltip,
            },
        },
        {
            "transform": [{"filter": {"field": "kind", "oneOf": ["median", "mean"]}}],
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": x,
                "y": y,
                "strokeDash": {
                    "field": "kind",
                    "type": "nominal",
                    "scale": {"domain": ["median", "mean"], "range": [[1, 0], [5, 4]]},
                    "legend": None,
                },
                "strokeWidth": {
                    "field": "kind",
                    "type": "ordinal",
                    "sort": ["median", "mean"],
                    "scale": {"domain": ["median", "mean"], "range": [4, 2]},
                    "legend": None,
                },
                "stroke": summary_colour,
                "tooltip": tooltip,
            },
        },
    ]
    if outcome is not None:
        layers.append(
            {
                "data": {
                    "values": [{"series": "Model outcome", "value": outcome, "text": num(outcome)}]
                },
                "mark": {"type": "rule", "size": 2},
                "encoding": {
                    "y": {**y, "field": "value"},
                    "stroke": summary_colour,
                    "tooltip": [
                        {"field": "series", "title": "Series"},
                        {"field": "value", "title": "Position", "format": ".2f"},
                    ],
                },
            }
        )
    n_text = f"{len(actors)} actors, named in the tooltips" if len(actors) > LEGEND_MAX else ""
    return {
        "$schema": SCHEMA,
        "config": CONFIG,
        "title": {
            "text": str(issue["question"]),
            "subtitle": f"Model {model}: each actor's position by round"
            + (f" ({n_text})" if n_text else "")
            + "; thick line: weighted median, dashed: weighted mean"
            + ("; red line: the model's outcome" if outcome is not None else ""),
            "anchor": "start",
        },
        "width": WIDTH,
        "height": 240,
        "data": {"values": [dict(r) for r in rows]},
        "layer": layers,
        "resolve": {"scale": {"color": "independent", "stroke": "independent"}},
    }


def quad_map_chart(question: str, rows: Sequence[Mapping[str, Any]]) -> Spec:
    """Quad map of one issue: expected gain to the initiator against gain to the receiver.

    Args:
        question: The issue's question (chart title).
        rows: One per ordered pair: ``pair`` ("A → B"), ``eu_initiator``,
            ``eu_receiver``, ``octant_initiator_view``, ``octant_receiver_view``.
    """
    # A symmetric domain keeps the origin in the middle, so the four quadrants read at a glance.
    extent = max([abs(float(r[k])) for r in rows for k in ("eu_initiator", "eu_receiver")] or [1.0])
    m = extent * 1.1 if extent > 0 else 1.0
    x_axis = {"title": "Expected gain to the initiator"}
    y_axis = {"title": "Expected gain to the receiver"}
    x = {"type": "quantitative", "scale": {"domain": [-m, m], "nice": False}, "axis": x_axis}
    y = {"type": "quantitative", "scale": {"domain": [-m, m], "nice": False}, "axis": y_axis}
    corners = [
        {"x": m * 0.97, "y": m * 0.95, "text": "both expect to gain", "align": "right"},
        {"x": -m * 0.97, "y": m * 0.95, "text": "only the receiver gains", "align": "left"},
        {"x": m * 0.97, "y": -m * 0.95, "text": "only the initiator gains", "align": "right"},
        {"x": -m * 0.97, "y": -m * 0.95, "text": "both expect to lose", "align": "left"},
    ]
    corner_layers: list[Spec] = [
        {
            "data": {"values": [c]},
            "mark": {"type": "text", "align": c["align"], "color": "#777777", "fontSize": 10},
            "encoding": {
                "x": {**x, "field": "x"},
                "y": {**y, "field": "y"},
                "text": {"field": "text"},
            },
        }
        for c in corners
    ]
    zero = {"data": {"values": [{"z": 0}]}}
    return {
        "$schema": SCHEMA,
        "config": CONFIG,
        "title": {
            "text": str(question),
            "subtitle": "Each point: one actor (initiator) considering a challenge to another "
            "(receiver); colour: the octant as the initiator sees it",
            "anchor": "start",
            "limit": WIDTH + 150,
        },
        "width": 420,
        "height": 320,
        "layer": [
            {
                **zero,
                "mark": {"type": "rule", "color": "#888888"},
                "encoding": {"x": {**x, "field": "z"}},
            },
            {
                **zero,
                "mark": {"type": "rule", "color": "#888888"},
                "encoding": {"y": {**y, "field": "z"}},
            },
            {
                "data": {"values": [dict(r) for r in rows]},
                "mark": {"type": "point", "filled": True, "size": 90, "opacity": 0.85},
                "encoding": {
                    "x": {**x, "field": "eu_initiator"},
                    "y": {**y, "field": "eu_receiver"},
                    "color": {
                        "field": "octant_initiator_view",
                        "type": "nominal",
                        "title": "Octant (initiator's view)",
                    },
                    "tooltip": [
                        {"field": "pair", "title": "Initiator → receiver"},
                        {"field": "octant_initiator_view", "title": "Initiator's view"},
                        {"field": "octant_receiver_view", "title": "Receiver's view"},
                        {"field": "eu_initiator", "title": "EU initiator", "format": ".3f"},
                        {"field": "eu_receiver", "title": "EU receiver", "format": ".3f"},
                    ],
                },
            },
            *corner_layers,
        ],
    }


def interval_chart(issue: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> Spec:
    """Monte Carlo outcome of each model on one issue: median and 50/80/95% intervals.

    Args:
        issue: As for :func:`actors_chart`.
        rows: One per model: ``model``, ``median``, ``lo50``, ``hi50``, ``lo80``,
            ``hi80``, ``lo95``, ``hi95`` and the tooltip strings ``median_text``,
            ``mean_text``, ``i50_text``, ``i80_text``, ``i95_text``.
    """
    y = {"field": "model", "type": "nominal", "sort": None, "axis": {"title": None}}
    tooltip = [
        {"field": "model", "title": "Model"},
        {"field": "median_text", "title": "Median"},
        {"field": "mean_text", "title": "Mean"},
        {"field": "i50_text", "title": "50% interval"},
        {"field": "i80_text", "title": "80% interval"},
        {"field": "i95_text", "title": "95% interval"},
    ]
    # Three nested bars, thin and pale for 95%, thick and dark for 50%: the usual
    # reading of an interval plot, with the median as a white-centred dot on top.
    bands = [("lo95", "hi95", 3, 0.35), ("lo80", "hi80", 7, 0.55), ("lo50", "hi50", 13, 0.9)]
    layers: list[Spec] = [
        {
            "mark": {"type": "rule", "size": size, "opacity": opacity, "color": INTERVAL_COLOUR},
            "encoding": {
                "x": {"field": low, "type": "quantitative"},
                "x2": {"field": high},
                "y": y,
                "tooltip": tooltip,
            },
        }
        for low, high, size, opacity in bands
    ]
    layers.append(
        {
            "mark": {
                "type": "point",
                "filled": True,
                "fill": "#ffffff",
                "stroke": "#111111",
                "strokeWidth": 2,
                "size": 70,
                "opacity": 1,
            },
            "encoding": {
                "x": {"field": "median", "type": "quantitative"},
                "y": y,
                "tooltip": tooltip,
            },
        }
    )
    return _scale_chart(
        issue,
        layers,
        rows,
        subtitle="Dot: median over the draws; bars: 50% (thick), 80% and 95% (thin) "
        "intervals; red dashed line: status quo",
        x_title="Outcome over the draws",
        step=34,
    )


def verdict_chart(title: str, rows: Sequence[Mapping[str, Any]]) -> Spec:
    """Probability of each diagnosis verdict on one issue, as horizontal bars.

    Args:
        title: The chart title (the issue's question).
        rows: One per verdict: ``verdict`` (words, e.g. "deadlock"), ``p`` (0 to 1) and
            ``p_text`` ("84%").
    """
    present = [str(r["verdict"]) for r in rows]
    colours = {**VERDICT_COLOURS}
    y = {"field": "verdict", "type": "nominal", "sort": None, "axis": {"title": None}}
    tooltip = [
        {"field": "verdict", "title": "Verdict"},
        {"field": "p_text", "title": "Share of draws"},
    ]
    return {
        "$schema": SCHEMA,
        "config": CONFIG,
        "title": {
            "text": str(title),
            "subtitle": "Share of the draws with each verdict",
            "anchor": "start",
            "limit": 420,
        },
        "width": 300,
        "height": {"step": 24},
        "data": {"values": [dict(r) for r in rows]},
        "layer": [
            {
                "mark": {"type": "bar", "height": 16},
                "encoding": {
                    "x": {
                        "field": "p",
                        "type": "quantitative",
                        "scale": {"domain": [0, 1]},
                        "axis": {"title": "Share of draws", "format": ".0%", "tickCount": 5},
                    },
                    "y": y,
                    "color": {
                        "field": "verdict",
                        "type": "nominal",
                        "legend": None,
                        "scale": {
                            "domain": present,
                            "range": [colours.get(v, "#7a7a7a") for v in present],
                        },
                    },
                    "tooltip": tooltip,
                },
            },
            {
                "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11},
                "encoding": {
                    "x": {"field": "p", "type": "quantitative"},
                    "y": y,
                    "text": {"field": "p_text"},
                    "tooltip": tooltip,
                },
            },
        ],
    }


def tornado_chart(
    issue: Mapping[str, Any], model: str, base: float | None, rows: Sequence[Mapping[str, Any]]
) -> Spec:
    """One-at-a-time tornado for one issue and model: outcome at each end of each input.

    Args:
        issue: As for :func:`actors_chart`.
        model: The model's name (in the subtitle).
        base: The outcome with every input at its stated value (a rule), if known.
        rows: Two per input, largest swing first: ``label`` (the input in words),
            ``end`` ("low end" or "high end"), ``from`` (the base outcome), ``to`` (the
            outcome at that end), and the tooltip strings ``range_text``, ``to_text``,
            ``swing_text``, ``verdict``.
    """
    lo, hi = float(issue["min"]), float(issue["max"])
    unit = f" ({issue['unit']})" if issue.get("unit") else ""
    rows = [{**r, "label_lines": _lines(str(r["label"]), LABEL_CHARS)} for r in rows]
    order = list(dict.fromkeys(str(r["label_lines"]) for r in rows))
    y = {
        "field": "label_lines",
        "type": "nominal",
        "sort": order,
        "axis": {"title": None, "labelExpr": SPLIT_LINES},
    }
    tooltip = [
        {"field": "label", "title": "Input"},
        {"field": "range_text", "title": "Range"},
        {"field": "end", "title": "Input at"},
        {"field": "to_text", "title": "Outcome"},
        {"field": "swing_text", "title": "Swing"},
        {"field": "verdict", "title": "Verdict"},
    ]
    layers: list[Spec] = [
        {
            "mark": {"type": "bar", "height": 14},
            "encoding": {
                "x": {"field": "from", "type": "quantitative"},
                "x2": {"field": "to"},
                "y": y,
                "color": {
                    "field": "end",
                    "type": "nominal",
                    "title": "Input at its",
                    "scale": {
                        "domain": ["low end", "high end"],
                        "range": [LOW_END_COLOUR, HIGH_END_COLOUR],
                    },
                },
                "tooltip": tooltip,
            },
        }
    ]
    if base is not None:
        layers.append(
            {
                "data": {"values": [{"value": base, "label": "Forecast at the stated values"}]},
                "mark": {"type": "rule", "color": "#111111", "size": 1.5},
                "encoding": {
                    "x": {"field": "value", "type": "quantitative"},
                    "tooltip": [
                        {"field": "label", "title": "Reference point"},
                        {"field": "value", "title": "Value"},
                    ],
                },
            }
        )
    return {
        "$schema": SCHEMA,
        "config": CONFIG,
        "title": {
            "text": str(issue["question"]),
            "subtitle": f"Model {model}: outcome when one input is at the low or high end of "
            "its range, all others as stated; black line: the forecast as stated",
            "anchor": "start",
            "limit": WIDTH + 150,
        },
        "width": WIDTH - 120,
        "height": {"step": _step(rows, "label_lines")},
        "data": {"values": [dict(r) for r in rows]},
        "layer": _share_x(layers, _x(lo, hi, f"{model} outcome{unit}")),
    }
