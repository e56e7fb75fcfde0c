"""What would it take? The intervention search, ranked by what holds across the ranges.

The search (:func:`detente.uncertainty.search_interventions`) finds the smallest changes
that meet the goal at the stated values. A change is a lever only if, across the case's
stated ranges, the goal is met more often with it than with no change at all: the
brief ranks by that difference (``p_goal_after - p_goal_before``, on the same draws for
every candidate), and marks the rest as knife-edge results of the coding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard, cast

from detente.case.model import Case
from detente.diagnose.rule import verdict_label
from detente.report.format import count, finite, num, pct, share, signed_points, size, words
from detente.report.sections.base import (
    BriefInputs,
    Charts,
    IssueView,
    Section,
    actor_name,
    and_names,
    fallback_issue_view,
    nearest_anchor,
)
from detente.uncertainty.results import (
    ChangeDict,
    InterventionDict,
    InterventionItemDict,
    SkippedSearchDict,
)

__all__ = [
    "DEFAULT_GOAL",
    "INTERVENTIONS",
    "INTERVENTIONS_TOP",
    "Ranked",
    "change_words",
    "p_goal_before",
    "rank_interventions",
    "searched",
]

INTERVENTIONS_TOP = 5
"""Levers spelt out per issue; the others found are in a table below."""

DEFAULT_GOAL = "diagnosis is not deadlock"
"""The goal text of a search with no target (``search_interventions``)."""


@dataclass(frozen=True)
class Ranked:
    """One intervention as the brief ranks it.

    Attributes:
        item: The intervention as the search gave it.
        lift: How much more often the goal is met across the ranges with it than with
            no change (``None`` when robustness was not tested).
        knife_edge: True when the goal is met across the ranges no more often than with
            no change: it works only at the stated values.
    """

    item: InterventionItemDict
    lift: float | None
    knife_edge: bool


def searched(r: InterventionDict | SkippedSearchDict) -> TypeGuard[InterventionDict]:
    """Whether ``r`` is a search that ran (not an issue skipped with its reason)."""
    return "error" not in r


def p_goal_before(result: InterventionDict) -> float | None:
    """The share of draws meeting the goal with no change, when robustness was tested."""
    rob = result["robustness"]
    p = rob.get("p_goal_before") if rob is not None else None
    return p if finite(p) else None


def rank_interventions(result: InterventionDict) -> list[Ranked]:
    """Levers first, by lift (largest first, then smallest size); knife-edge ones last.

    Without robustness figures every intervention keeps the search's order (by size)
    and none is called a lever or a knife edge.
    """
    before = p_goal_before(result)
    ranked = []
    for iv in result["interventions"]:
        after = iv["evidence"].get("p_goal_after")
        if finite(before) and finite(after):
            lift = after - before
            ranked.append(Ranked(iv, lift, lift <= 0))
        else:
            ranked.append(Ranked(iv, None, False))
    if not finite(before):
        return ranked
    return sorted(
        ranked,
        key=lambda r: (r.knife_edge, -(r.lift or 0.0), r.item["size"], r.item["rank"]),
    )


def change_words(case: Case, ch: ChangeDict, view: IssueView) -> str:
    """One lever change in plain words, with its size as a share of the lever's room."""
    actor = actor_name(case, ch["actor"])
    kind = ch["input"]
    before, after = ch["from"], ch["to"]
    verb = "raises" if after > before else "lowers"
    span = f"from {num(before)} to {num(after)}"
    part = share(ch["share_of_room"])
    if kind == "position":
        near = nearest_anchor(view, after)
        where = f" (nearest labelled point: {near})" if near else ""
        return f"{actor} moves its position {span}{where}: {part} of the scale"
    if kind == "salience":
        return (
            f"{actor} {verb} the weight it gives this issue (salience) {span}: "
            f"{part} of full salience"
        )
    if kind == "capability":
        return (
            f"{actor} {verb} the capability it brings to this issue {span}: "
            f"{part} of the total capability at the table"
        )
    return f"{actor} changes its {words(kind)} {span}: {part} of its room"


def _item_view(
    case: Case, r: Ranked, model: str, view: IssueView, before: float | None
) -> dict[str, Any]:
    iv = r.item
    ev = iv["evidence"]
    outcome = f"{model} outcome {num(ev['outcome_before'])} → {num(ev['outcome_after'])}"
    verdict = (
        f"verdict {verdict_label(ev['verdict_before'])} → {verdict_label(ev['verdict_after'])}"
        if ev["verdict_before"] is not None or ev["verdict_after"] is not None
        else ""
    )
    after = ev.get("p_goal_after")
    robust = ""
    if finite(after) and finite(before) and r.lift is not None:
        robust = (
            f"across the ranges the goal is met in {pct(after)} of the draws, "
            f"against {pct(before)} with no change ({signed_points(r.lift)})"
        )
    return {
        "search_rank": iv["rank"],
        "size": iv["size"],
        "size_text": size(iv["size"]),
        "lift": r.lift,
        "lift_text": signed_points(r.lift) if r.lift is not None else "",
        "knife_edge": r.knife_edge,
        "robust": robust,
        "changes": [change_words(case, ch, view) for ch in iv["changes"]],
        "evidence": "; ".join(x for x in (verdict, outcome) if x),
    }


def _search_view(inputs: BriefInputs, r: InterventionDict | SkippedSearchDict) -> dict[str, Any]:
    case = inputs.case
    issue_id = r["issue"]
    view = inputs.issue_views.get(issue_id) or fallback_issue_view(issue_id)
    names = and_names(case, r["by"])
    base: dict[str, Any] = {
        "issue_id": issue_id,
        "question": view["question"],
        "by": names,
        "ask": f"What could {names} change to take this issue out of deadlock?",
    }
    if not searched(r):
        return {**base, "error": cast("SkippedSearchDict", r)["error"]}
    goal, model, before = r["goal"], r["model"], r["before"]
    default_goal = goal == DEFAULT_GOAL
    rob = r["robustness"]
    p_before = p_goal_before(r)
    ranked = rank_interventions(r)
    items = [_item_view(case, x, model, view, p_before) for x in ranked]
    levers = [x for x in items if not x["knife_edge"]]
    knife = [x for x in items if x["knife_edge"]]
    robust_text = ""
    if rob is not None and p_before is not None:
        robust_text = (
            f"Tested across the case's stated ranges ({count(rob['draws'])} draws, seed "
            f"{rob['seed']}): with no change the goal is met in {pct(p_before)} of the "
            "draws. Changes are ranked by how much more often the goal is met with them; "
            "one that meets the goal at the stated values but no more often across the "
            "ranges is marked knife-edge: a result of the coding, not a lever."
        )
    elif rob is not None and "note" in rob:
        robust_text = f"Robustness not tested: {rob['note']}; ranked by size only."
    elif items:
        robust_text = "Robustness not tested; ranked by size only."
    return {
        **base,
        "ask": base["ask"] if default_goal else f"What could {names} change so that the {goal}?",
        "model": model,
        "goal": goal,
        "before_text": f"{model} outcome {num(before['outcome'])}"
        + (f", verdict {verdict_label(before['verdict'])}" if before["verdict"] else ""),
        "error": "",
        "note": r["note"] or "",
        "robust_text": robust_text,
        "already_met": default_goal
        and before["verdict"] is not None
        and before["verdict"] != "deadlock"
        and not items,
        "evaluations": count(r["evaluations"]),
        "top": levers[:INTERVENTIONS_TOP],
        "rest": levers[INTERVENTIONS_TOP:],
        "knife_edge": knife,
        "n_found": len(items),
    }


def build_interventions(inputs: BriefInputs, charts_: Charts) -> list[dict[str, Any]] | None:
    """Per issue searched: the question asked, the state before, the ranked changes."""
    if inputs.interventions is None:
        return None
    return [_search_view(inputs, r) for r in inputs.interventions]


INTERVENTIONS: Section[list[dict[str, Any]]] = Section(
    "interventions", "What would it take?", "sections/interventions.html.j2", build_interventions
)
