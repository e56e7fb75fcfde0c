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

__all__ = [
    "actors_chart",
    "forecast_chart",
    "interval_chart",
    "quad_map_chart",
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
        "titleOrient": "left",
        "labelFontSize": 10,
    },
    "axis": {"labelFontSize": 11, "titleFontSize": 11},
    "title": {"fontSize": 14, "subtitleFontSize": 11, "subtitleColor": "#555555"},
}
"""Shared look: legends under the chart so the plot keeps its width."""


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
    rows = [{"value": a["value"], "label": a["label"]} for a in anchors]
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
    # collide, they alternate between two rows, and each is cut to the room it has.
    rows = sorted(rows, key=lambda r: float(r["value"]))
    span = scale_max - scale_min
    px = [(float(r["value"]) - scale_min) / span * WIDTH if span else WIDTH / 2 for r in rows]
    est = [_text_width(str(r["label"])) for r in rows]
    fits = all((est[k] + est[k + 1]) / 2 + 8 <= px[k + 1] - px[k] for k in range(len(rows) - 1))
    stride = 1 if fits else 2
    for k, row in enumerate(rows):
        frac = px[k] / WIDTH
        align = "left" if frac <= 0.05 else "right" if frac >= 0.95 else "center"
        d_prev = px[k] - px[k - stride] if k - stride >= 0 else float("inf")
        d_next = px[k + stride] - px[k] if k + stride < len(rows) else float("inf")
        if align == "left":
            room = d_next / 2
        elif align == "right":
            room = d_prev / 2
        else:
            room = min(d_prev, d_next)
        room = min(max(room - 8, 30.0), 260.0)
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
                    "limit": room,
                },
                "encoding": {
                    "x": {"field": "value", "type": "quantitative"},
                    "y": {"value": 0},
                    "text": {"field": "label"},
                },
            }
        )
    return layers


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
        "field": "actor",
        "type": "nominal",
        "sort": {"field": "position", "order": "descending"},
        "axis": {"title": None, "labelLimit": 180},
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
                    "legend": {"values": [max_cap / 4, max_cap / 2, max_cap]},
                },
                "opacity": {
                    "field": "salience",
                    "type": "quantitative",
                    "title": "Salience",
                    "scale": {"domain": [0, 1], "range": [0.2, 1]},
                    "legend": {"values": [0.2, 0.6, 1]},
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
    return _scale_chart(
        issue,
        layers,
        rows,
        subtitle="Position on the issue's scale; bar: stated range; size: capability; "
        "opacity: salience; red dashed line: status quo",
        x_title="Position",
        step=30,
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
            "mark": {"type": "text", "align": "left", "dx": 10, "fontSize": 11, "limit": 260},
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


def rounds_chart(issue: Mapping[str, Any], model: str, rows: Sequence[Mapping[str, Any]]) -> Spec:
    """Positions by round for one model and issue, with the weighted median and mean.

    Args:
        issue: As for :func:`actors_chart`.
        model: The model's name.
        rows: ``{"round", "series", "kind" (actor|median|mean), "value"}``.
    """
    lo, hi = float(issue["min"]), float(issue["max"])
    return {
        "$schema": SCHEMA,
        "config": CONFIG,
        "title": {
            "text": str(issue["question"]),
            "subtitle": f"Model {model}: each actor's position by round; "
            "thick line: weighted median, dashed: weighted mean",
            "anchor": "start",
            "limit": WIDTH + 150,
        },
        "width": WIDTH,
        "height": 240,
        "data": {"values": [dict(r) for r in rows]},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "round", "type": "ordinal", "axis": {"title": "Round", "labelAngle": 0}},
            "y": {
                "field": "value",
                "type": "quantitative",
                "scale": {"domain": [lo, hi], "nice": False, "zero": False},
                "axis": {"title": "Position"},
            },
            "color": {"field": "series", "type": "nominal", "title": "Series", "sort": None},
            "strokeDash": {
                "field": "kind",
                "type": "nominal",
                "title": "Line",
                "scale": {"domain": ["actor", "median", "mean"], "range": [[1, 0], [1, 0], [5, 4]]},
            },
            "strokeWidth": {
                "field": "kind",
                "type": "ordinal",
                "sort": ["actor", "median", "mean"],
                "legend": None,
                "scale": {"domain": ["actor", "median", "mean"], "range": [1.5, 4, 2]},
            },
            "tooltip": [
                {"field": "series", "title": "Series"},
                {"field": "round", "title": "Round"},
                {"field": "value", "title": "Position", "format": ".2f"},
            ],
        },
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
    order = list(dict.fromkeys(str(r["label"]) for r in rows))
    y = {
        "field": "label",
        "type": "nominal",
        "sort": order,
        "axis": {"title": None, "labelLimit": 240},
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
        "height": {"step": 24},
        "data": {"values": [dict(r) for r in rows]},
        "layer": _share_x(layers, _x(lo, hi, f"{model} outcome{unit}")),
    }
