"""Forecasts: every model's outcome per issue, and the rounds of models that have them."""

from __future__ import annotations

from typing import Any

from detente.forecast.results import ModelEntryDict, RoundDict
from detente.report import charts
from detente.report.format import num
from detente.report.sections.base import (
    BriefInputs,
    Charts,
    IssueView,
    Section,
    actor_name,
    and_names,
)

__all__ = ["FORECASTS", "TRAJECTORIES", "OUTCOME_WORDS", "oscillating_actors"]

OUTCOME_WORDS = {
    "smp": (
        "smp's outcome is the probability-weighted position: each distinct final position "
        "weighted by its chance of winning against all the others (KTAB's expected "
        "outcome; KAPSARC KTAB, Wise et al.). The thick line is a different "
        "summary, the capability × salience weighted median of where the actors stand; "
        "the two part when a heavy actor sits at one end and the coalitions that would "
        "win put weight on the middle."
    ),
    "bdm": (
        "bdm's outcome is the weighted median after the last round (the median voter "
        "position of Scholz, Calbert & Smith 2011), so it sits on the thick line."
    ),
}
"""Why a model's outcome is where it is, relative to the median line."""

OSCILLATION_WORDS = (
    "{actors} jump between the ends of the scale from round to round. This is how the "
    "expected-utility model moves actors (Scholz, Calbert & Smith 2011): each round an "
    "actor takes the most credible offer made to it, in full, and forgets the last one; "
    "when challengers at opposite ends each win in turn, the actor is pulled all the way "
    "back and forth. Read it as a sign that the actor is contested from both sides, not as "
    "a forecast that it will swing; the outcome is read from the weighted median."
)
"""The explanation shown beside a bdm chart in which some actor oscillates."""


def oscillating_actors(rounds: list[RoundDict], lo: float, hi: float) -> list[str]:
    """Actor ids whose position reverses by at least half the scale twice or more in a row.

    Args:
        rounds: A model's rounds on one issue.
        lo: The scale's minimum.
        hi: The scale's maximum.
    """
    half = (hi - lo) / 2
    out = []
    for actor in rounds[0]["positions"] if rounds else {}:
        path = [r["positions"][actor] for r in rounds if actor in r["positions"]]
        steps = [b - a for a, b in zip(path, path[1:], strict=False)]
        big = [s for s in steps if abs(s) >= half]
        flips = sum(1 for a, b in zip(big, big[1:], strict=False) if a * b < 0)
        if flips >= 2:
            out.append(actor)
    return out


def _forecast_rows(
    entries: dict[str, ModelEntryDict], model_names: list[str]
) -> list[dict[str, Any]]:
    rows = []
    for m in model_names:
        entry = entries.get(m)
        if entry is None:
            continue
        value = entry["outcome"]
        anchor = entry["nearest_anchor"]
        rows.append(
            {
                "model": m,
                "outcome": value,
                "outcome_text": num(value),
                "anchor": anchor["label"] if anchor else "",
                "anchor_value": anchor["value"] if anchor else None,
                "distance": anchor["distance"] if anchor else None,
                "label": num(value),
                "note": entry.get("note", ""),
            }
        )
    return rows


def build_forecasts(inputs: BriefInputs, charts_: Charts) -> list[dict[str, Any]]:
    """Per issue: a chart and a table of every model's forecast."""
    fc = inputs.forecast
    names = list(fc["models"])
    out = []
    for issue_id, view in inputs.issue_views.items():
        entries = fc["issues"][issue_id]["models"] if issue_id in fc["issues"] else {}
        rows = _forecast_rows(entries, names)
        plotted = [r for r in rows if r["outcome"] is not None]
        out.append(
            {
                "issue": view,
                "rows": rows,
                "chart": charts_.add(charts.forecast_chart(view, plotted)) if plotted else None,
            }
        )
    return out


def _rounds_view(
    inputs: BriefInputs, view: IssueView, model: str, entry: ModelEntryDict, charts_: Charts
) -> dict[str, Any] | None:
    rounds = entry.get("rounds")
    if not rounds:
        return None
    case = inputs.case
    rows: list[dict[str, Any]] = []
    for r in rounds:
        for actor_id, value in r["positions"].items():
            rows.append(
                {
                    "round": r["round"],
                    "series": actor_name(case, actor_id),
                    "kind": "actor",
                    "value": value,
                }
            )
        rows.append(
            {
                "round": r["round"],
                "series": "Weighted median",
                "kind": "median",
                "value": r["median"],
            }
        )
        rows.append(
            {"round": r["round"], "series": "Weighted mean", "kind": "mean", "value": r["mean"]}
        )
    moves = []
    for prev, r in zip(rounds, rounds[1:], strict=False):
        for actor_id, why in r.get("moved_by", {}).items():
            moves.append(
                {
                    "round": r["round"],
                    "actor": actor_name(case, actor_id),
                    "before": prev["positions"].get(actor_id),
                    "after": r["positions"].get(actor_id),
                    "initiator": actor_name(case, why["initiator"]),
                    "receiver": actor_name(case, why["receiver"]),
                }
            )
    last = rounds[-1]
    outcome = entry["outcome"]
    lo, hi = float(view["min"]), float(view["max"])
    swinging = oscillating_actors(rounds, lo, hi)
    gap = abs(outcome - last["median"]) if outcome is not None else 0.0
    words = OUTCOME_WORDS.get(model, "")
    on_median = gap <= (hi - lo) / 1000
    if model == "bdm" and not on_median:
        words = ""  # the words say it sits on the median line: only where it does
    if outcome is not None and not words and not on_median:
        words = (
            f"{model}'s outcome is its own summary of the final state, not the weighted "
            "median of the positions (the thick line)."
        )
    return {
        "model": model,
        "moves": moves,
        "n_rounds": len(rounds) - 1,
        "n_actors": len(rounds[0]["positions"]),
        "outcome": outcome,
        "outcome_text": num(outcome),
        "final_median": last["median"],
        "final_mean": last["mean"],
        "median_gap_text": num(gap),
        "outcome_words": words,
        "oscillation": OSCILLATION_WORDS.format(actors=and_names(case, swinging))
        if swinging
        else "",
        "chart": charts_.add(charts.rounds_chart(view, model, rows, outcome)),
    }


def build_trajectories(inputs: BriefInputs, charts_: Charts) -> list[dict[str, Any]] | None:
    """Per issue and model with rounds: positions by round, the outcome marked."""
    fc = inputs.forecast
    out = []
    for issue_id, view in inputs.issue_views.items():
        entries = fc["issues"][issue_id]["models"] if issue_id in fc["issues"] else {}
        for model in fc["models"]:
            entry = entries.get(model)
            rv = _rounds_view(inputs, view, model, entry, charts_) if entry else None
            if rv is not None:
                out.append({"issue": view, **rv})
    return out or None


FORECASTS: Section[list[dict[str, Any]]] = Section(
    "forecasts", "Forecasts", "sections/forecasts.html.j2", build_forecasts
)
TRAJECTORIES: Section[list[dict[str, Any]]] = Section(
    "trajectories", "By round", "sections/trajectories.html.j2", build_trajectories
)
