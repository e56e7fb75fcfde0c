"""The bottom line: three sentences, first on the page, generated from the results.

1. Why it is stuck: the diagnosis verdicts and what is behind them.
2. What would move it: the strongest lever the intervention search found, ranked as in
   the interventions section (by how much more often the goal is met across the ranges
   than with no change), or why there is none.
3. How sure: the share of Monte Carlo draws in which the verdict holds.

Each sentence says plainly when its part was not run or left out.
"""

from __future__ import annotations

from typing import Any, cast

from detente.diagnose.rule import verdict_label
from detente.report.format import count, finite, interval_text, pct
from detente.report.sections.base import BriefInputs, Charts, Section, and_names
from detente.report.sections.interventions import (
    DEFAULT_GOAL,
    Ranked,
    change_words,
    p_goal_before,
    rank_interventions,
    searched,
)
from detente.uncertainty.results import SkippedSearchDict

__all__ = ["BOTTOM_LINE", "bottom_line"]

MAX_ISSUES = 3
"""Issues named in one sentence; more are counted."""


def _q(inputs: BriefInputs, issue_id: str) -> str:
    view = inputs.issue_views.get(issue_id)
    return f"“{view['question'] if view else issue_id}”"


def _join(parts: list[str], sep: str = "; ") -> str:
    """``a; b; and c`` (``a, b and c`` with ``sep=", "``), at most :data:`MAX_ISSUES`."""
    if len(parts) > MAX_ISSUES:
        rest = len(parts) - MAX_ISSUES
        parts = [*parts[:MAX_ISSUES], f"{rest} more issue{'s' if rest > 1 else ''}"]
    if len(parts) <= 1:
        return "".join(parts)
    last = f"{sep.strip()} and " if sep.strip() == ";" else " and "
    return sep.join(parts[:-1]) + last + parts[-1]


def _left_out(inputs: BriefInputs, part: str, what: str) -> str:
    why = inputs.left_out.get(part, "it was not run")
    return f"{what} is not in this brief: {why}."


def _why_stuck(inputs: BriefInputs) -> str:
    d = inputs.diagnosis
    if d is None:
        return _left_out(inputs, "diagnosis", "Why it is stuck")
    if not d["issues"]:
        return "No issue could be diagnosed: none has two actors with positions on it."
    case = inputs.case
    stuck = []
    for issue_id, v in d["issues"].items():
        if v["verdict"] != "deadlock":
            continue
        a, b = and_names(case, v["principals"][:1]), and_names(case, v["principals"][1:])
        reason = f"{a} and {b} end {pct(v['gap_end'])} of the scale apart"
        if v["mutual_stalemate"]:
            reason += " and each expects to lose by challenging the other"
        stuck.append(f"on {_q(inputs, issue_id)}, {reason}")
    if not stuck:
        verdicts = [
            f"{verdict_label(v['verdict'])} on {_q(inputs, i)}" for i, v in d["issues"].items()
        ]
        return "No issue is diagnosed as deadlocked: " + _join(verdicts) + "."
    n = len(stuck)
    head = "It is stuck" if n == len(d["issues"]) else f"{n} of {len(d['issues'])} issues are stuck"
    return f"{head} because, in the expected-utility model, " + _join(stuck) + "."


def _best(inputs: BriefInputs) -> tuple[str, Ranked] | None:
    best: tuple[str, Ranked] | None = None
    for r in inputs.interventions or []:
        if not searched(r):
            continue
        for x in rank_interventions(r):
            if x.knife_edge:
                continue
            if best is None or (x.lift or 0.0) > (best[1].lift or 0.0):
                best = (r["issue"], x)
            break  # the first of each issue is its best
    return best


def _what_moves(inputs: BriefInputs) -> str:
    if inputs.interventions is None:
        return _left_out(inputs, "interventions", "What would move it")
    ran = [r for r in inputs.interventions if searched(r)]
    if not ran:
        skipped = [
            f"{_q(inputs, r['issue'])}: {cast('SkippedSearchDict', r)['error']}"
            for r in inputs.interventions
            if not searched(r)
        ]
        return "What would move it could not be searched: " + _join(skipped) + "."
    by = and_names(inputs.case, ran[0]["by"])
    best = _best(inputs)
    if best is not None:
        issue_id, x = best
        view = inputs.issue_views.get(issue_id) or {"anchors": []}
        change = "; and ".join(change_words(inputs.case, ch, view) for ch in x.item["changes"])
        after = x.item["evidence"].get("p_goal_after")
        before = p_goal_before(next(r for r in ran if r["issue"] == issue_id))
        if x.lift is None:
            return (
                f"The smallest change found on {_q(inputs, issue_id)}: {change} "
                "(not tested across the stated ranges)."
            )
        goal = next(r for r in ran if r["issue"] == issue_id)["goal"]
        met = (
            "the issue is then out of deadlock"
            if goal == DEFAULT_GOAL
            else f"the goal ({goal}) is then met"
        )
        return (
            f"The strongest lever found on {_q(inputs, issue_id)}: {change}; across the "
            f"stated ranges {met} in {pct(after)} of the draws, against {pct(before)} with "
            "no change."
        )
    found = sum(len(r["interventions"]) for r in ran)
    if found:
        return (
            f"No change by {by} that the search tried is a lever: the {found} that meet the "
            "goal at the stated values meet it across the ranges no more often than no "
            "change does (knife-edge results of the coding)."
        )
    return f"No change to {by}'s levers that the search tried meets the goal on any issue."


def _how_sure(inputs: BriefInputs) -> str:
    s = inputs.sweep
    if s is None:
        return _left_out(inputs, "sweep", "How sure")
    n = count(s["draws_done"])
    if not s["inputs"]:
        return (
            f"How sure cannot be measured: the case states no ranges, so all {n} draws of "
            "the sweep are the case as stated."
        )
    shares = [
        f"{pct(d['p_verdict']['deadlock'])} on {_q(inputs, i)}"
        for i, d in s["issues"].items()
        if d["p_verdict"] is not None and finite(d["p_verdict"].get("deadlock"))
    ]
    if shares:
        return (
            f"Over {n} draws of the case's stated ranges, deadlock holds in "
            + _join(shares, ", ")
            + "."
        )
    spans = []
    for i, d in s["issues"].items():
        for m, v in d["models"].items():
            iv = v["intervals"].get("80")
            if iv and all(finite(x) for x in iv):
                spans.append(f"{m} {interval_text(iv)} on {_q(inputs, i)}")
                break
    if not spans:
        return f"The sweep of {n} draws gave no interval to judge by."
    return (
        f"Over {n} draws of the case's stated ranges (no verdict shares: the sweep did not "
        "diagnose its draws), the middle 80% of outcomes span " + _join(spans, ", ") + "."
    )


def bottom_line(inputs: BriefInputs) -> list[str]:
    """The three sentences: why it is stuck, what would move it, how sure."""
    return [_why_stuck(inputs), _what_moves(inputs), _how_sure(inputs)]


def build_bottom_line(inputs: BriefInputs, charts_: Charts) -> dict[str, Any]:
    """The bottom line's view: its three sentences."""
    return {"sentences": bottom_line(inputs)}


BOTTOM_LINE: Section[dict[str, Any]] = Section(
    "bottom-line", "Bottom line", "sections/bottom_line.html.j2", build_bottom_line
)
