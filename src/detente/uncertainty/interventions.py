"""Intervention search: the smallest changes to named actors that move an issue.

The mediator's question: what could these actors change to take the issue out of
deadlock (or bring the forecast to a target)? The levers are, for each named actor on
the issue, its **position**, its **salience** and its **capability**. A change's size is
the sum over the levers it touches of the change as a share of that lever's room:

* position: ``|dx| / (scale max - scale min)``;
* salience: ``|ds|`` (salience lives in [0, 1]);
* capability: ``|dc| / C``, with ``C`` the total capability of the actors on the issue.

So 0.1 means "a tenth of the scale", "a tenth of full salience" or "a tenth of the room's
total capability". The search is exhaustive on a grid, then refined:

1. **Single levers**: each lever on a grid of ``grid`` values across its range
   (position: the scale; salience: [0, 1]; capability: 0 to current + 2C). In each
   direction the grid point nearest the current value that meets the goal is refined by
   bisection against its neighbour nearer the current value, to 1e-4 of the lever's
   room. This assumes the goal's boundary lies between the two grid points; a goal met
   only in a window narrower than the grid step can be missed.
2. **Pairs of levers**: every pair on a coarser grid; the smallest meeting point is
   refined by bisection along the ray from the current values.

All candidates of a step are evaluated in one batched model call. Results are ranked by
size, each with the evidence (outcome and verdict before and after).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente import __version__
from detente.case.arrays import case_arrays
from detente.case.checks import did_you_mean
from detente.case.model import Case
from detente.errors import Diagnostic
from detente.forecast.registry import ModelInput, get_model
from detente.forecast.run import case_params
from detente.uncertainty._models import ensure_registered
from detente.uncertainty._verdicts import VERDICTS, verdict_from_run_function, verdict_function
from detente.uncertainty.defaults import DEFAULT_SEED
from detente.uncertainty.errors import UncertaintyError
from detente.uncertainty.results import (
    EvidenceDict,
    InterventionDict,
    InterventionItemDict,
    RobustnessDict,
)
from detente.uncertainty.sampling import input_space

__all__ = ["Intervention", "InterventionResult", "Lever", "search_interventions"]

F = NDArray[np.float64]
_KINDS = ("position", "salience", "capability")
_BISECT = 20


@dataclass(frozen=True)
class Lever:
    """One number an actor could change."""

    actor: str
    issue: str
    kind: str
    a: int
    i: int
    current: float
    low: float
    high: float
    unit: float

    @property
    def name(self) -> str:
        """``kind:actor:issue``."""
        return f"{self.kind}:{self.actor}:{self.issue}"


@dataclass(frozen=True)
class Intervention:
    """A set of changes that meets the goal, with its evidence."""

    changes: tuple[tuple[Lever, float], ...]
    size: float
    outcome_before: float
    outcome_after: float
    verdict_before: str | None
    verdict_after: str | None
    p_goal_after: float | None = None

    def to_dict(self) -> InterventionItemDict:
        """JSON-ready (``rank`` is 0 here: the result numbers its interventions)."""
        evidence: EvidenceDict = {
            "outcome_before": self.outcome_before,
            "outcome_after": self.outcome_after,
            "verdict_before": self.verdict_before,
            "verdict_after": self.verdict_after,
        }
        if self.p_goal_after is not None:
            evidence["p_goal_after"] = self.p_goal_after
        return {
            "rank": 0,
            "size": self.size,
            "changes": [
                {
                    "actor": lv.actor,
                    "issue": lv.issue,
                    "input": lv.kind,
                    "from": lv.current,
                    "to": v,
                    "share_of_room": abs(v - lv.current) / lv.unit,
                }
                for lv, v in self.changes
            ],
            "whatif": self.to_whatif(),
            "evidence": evidence,
        }

    def to_whatif(self, name: str = "intervention") -> dict[str, Any]:
        """The changes as a what-if document (``docs/whatif-format.md``)."""
        verb = {"position": "move", "salience": "salience", "capability": "capability"}
        return {
            "detente-whatif": 1,
            "name": name,
            "changes": [
                {verb[lv.kind]: {"actor": lv.actor, "issue": lv.issue, "to": v}}
                for lv, v in self.changes
            ],
        }

    def describe(self) -> str:
        """In words."""
        return "; ".join(
            f"{lv.actor} {lv.kind} on {lv.issue} {lv.current:.3g} -> {v:.3g}"
            for lv, v in self.changes
        )


@dataclass
class InterventionResult:
    """Ranked interventions for one issue."""

    case_id: str
    issue: str
    actors: list[str]
    model: str
    goal: str
    before_outcome: float
    before_verdict: str | None
    interventions: list[Intervention]
    evaluations: int
    note: str | None = None
    robustness: RobustnessDict | None = None

    def to_dict(self) -> InterventionDict:
        """JSON-ready: the goal, the state before, and the ranked interventions."""
        return {
            "detente_version": __version__,
            "case": {"id": self.case_id},
            "issue": self.issue,
            "by": self.actors,
            "model": self.model,
            "goal": self.goal,
            "size_measure": "sum of |change| as a share of each lever's room (see docs)",
            "before": {"outcome": self.before_outcome, "verdict": self.before_verdict},
            "evaluations": self.evaluations,
            "note": self.note,
            "robustness": self.robustness,
            "interventions": [
                {**iv.to_dict(), "rank": k} for k, iv in enumerate(self.interventions, 1)
            ],
        }

    def rows(self) -> list[dict[str, Any]]:
        """Table rows."""
        rows = []
        for k, iv in enumerate(self.interventions, 1):
            row: dict[str, Any] = {
                "rank": k,
                "size": iv.size,
                "change": iv.describe(),
                "outcome": iv.outcome_after,
                "verdict": iv.verdict_after,
            }
            if iv.p_goal_after is not None:
                row["p_goal"] = iv.p_goal_after
            rows.append(row)
        return rows


class _Goal:
    """Evaluates a batch of lever settings: outcome, verdict code, and whether met."""

    def __init__(
        self,
        base: ModelInput,
        levers: Sequence[Lever],
        model: str,
        params: Mapping[str, Any],
        issue: int,
        target: float | None,
        tolerance: float,
    ) -> None:
        self.base, self.levers, self.issue = base, list(levers), issue
        self.spec = get_model(model)
        self.params = self.spec.resolve_params(params)
        self.target, self.tolerance = target, tolerance
        # With bdm as the model the verdicts are read from its own run (same input and
        # parameters); with another model, bdm runs for the verdicts alone.
        self.verdict_from_run = verdict_from_run_function(self.params) if model == "bdm" else None
        self.verdict = None if self.verdict_from_run is not None else verdict_function(None)
        self.evaluations = 0

    def __call__(self, values: F) -> tuple[F, NDArray[np.int64], NDArray[np.bool_]]:
        n = values.shape[0]
        return self.evaluate(self.apply(_repeat(self.base, n), values, range(len(self.levers))))

    def apply(self, inp: ModelInput, values: F, keys: Sequence[int]) -> ModelInput:
        """``inp`` (batch ``n``) with the levers ``keys`` set to ``values[:, keys]``."""
        pos, sal, cap = inp.position.copy(), inp.salience.copy(), inp.capability.copy()
        for k in keys:
            lv = self.levers[k]
            arr = {"position": pos, "salience": sal, "capability": cap}[lv.kind]
            arr[:, lv.a, lv.i] = values[:, k]
        return ModelInput(
            pos,
            sal,
            cap,
            inp.present,
            inp.status_quo,
            inp.scale_min,
            inp.scale_max,
            inp.actor_ids,
            inp.issue_ids,
        )

    def evaluate(self, inp: ModelInput) -> tuple[F, NDArray[np.int64], NDArray[np.bool_]]:
        """Outcome, verdict code and goal met for every draw of ``inp``."""
        n = inp.batch
        self.evaluations += n
        result = self.spec.fn(inp, **self.params)
        out = result.outcome[:, self.issue]
        if self.verdict_from_run is not None:
            codes = self.verdict_from_run(inp, result)[:, self.issue]
        elif self.verdict is not None:
            codes = self.verdict(inp)[:, self.issue]
        else:
            codes = np.full(n, -1, dtype=np.int64)
        if self.target is not None:
            met = np.abs(out - self.target) <= self.tolerance
        else:
            met = (codes >= 0) & (codes != VERDICTS.index("deadlock"))
        return out, codes, met


def _repeat(inp: ModelInput, n: int) -> ModelInput:
    """``n`` copies of a one-draw input."""
    return ModelInput(
        np.repeat(inp.position, n, axis=0),
        np.repeat(inp.salience, n, axis=0),
        np.repeat(inp.capability, n, axis=0),
        inp.present,
        np.repeat(inp.status_quo, n, axis=0),
        inp.scale_min,
        inp.scale_max,
        inp.actor_ids,
        inp.issue_ids,
    )


def _concat(parts: Sequence[ModelInput]) -> ModelInput:
    """Stack inputs of the same case along the batch axis."""
    first = parts[0]
    return ModelInput(
        np.concatenate([p.position for p in parts]),
        np.concatenate([p.salience for p in parts]),
        np.concatenate([p.capability for p in parts]),
        first.present,
        np.concatenate([p.status_quo for p in parts]),
        first.scale_min,
        first.scale_max,
        first.actor_ids,
        first.issue_ids,
    )


def _levers(case: Case, issue: str, actors: Sequence[str], kinds: Sequence[str]) -> list[Lever]:
    arr = case_arrays(case)
    i = arr.issue_ids.index(issue)
    width = float(arr.scale_max[i] - arr.scale_min[i])
    total_cap = float(np.where(arr.present[:, i], arr.capability[:, i], 0.0).sum()) or 1.0
    out = []
    for actor in actors:
        a = arr.actor_ids.index(actor)
        if not arr.present[a, i]:
            continue
        for kind in kinds:
            if kind == "position":
                out.append(
                    Lever(
                        actor,
                        issue,
                        kind,
                        a,
                        i,
                        float(arr.position[a, i]),
                        float(arr.scale_min[i]),
                        float(arr.scale_max[i]),
                        width,
                    )
                )
            elif kind == "salience":
                out.append(
                    Lever(actor, issue, kind, a, i, float(arr.salience[a, i]), 0.0, 1.0, 1.0)
                )
            else:
                c = float(arr.capability[a, i])
                out.append(Lever(actor, issue, kind, a, i, c, 0.0, c + 2 * total_cap, total_cap))
    return out


def _label(code: int) -> str | None:
    return VERDICTS[code] if code >= 0 else None


def _robustness(
    goal: _Goal,
    case: Case,
    found: list[Intervention],
    cur: F,
    draws: int,
    seed: int,
) -> tuple[list[Intervention], RobustnessDict]:
    """P(goal met) across the case's ranges, before and after each intervention.

    All candidates see the same draws (one batched model call), so their shares are
    directly comparable (common random numbers).
    """
    space = input_space(case)
    if space.size == 0:
        return found, {
            "draws": 0,
            "seed": seed,
            "note": "the case states no ranges; robustness not tested",
        }
    sampled = space.build(space.sample(np.random.default_rng(seed), draws))
    index = {lv.name: k for k, lv in enumerate(goal.levers)}
    parts = [sampled]
    for iv in found:
        vals = np.repeat(cur[None, :], draws, axis=0)
        keys = []
        for lv, v in iv.changes:
            vals[:, index[lv.name]] = v
            keys.append(index[lv.name])
        parts.append(goal.apply(sampled, vals, keys))
    _, _, met = goal.evaluate(_concat(parts))
    shares = met.reshape(len(parts), draws).mean(axis=1)
    updated = [replace(iv, p_goal_after=float(p)) for iv, p in zip(found, shares[1:], strict=True)]
    return updated, {
        "draws": draws,
        "seed": seed,
        "p_goal_before": float(shares[0]),
        "method": "every ranged input drawn from its distribution; the intervention's "
        "levers held at their new values; the same draws for every candidate",
    }


def search_interventions(
    case: Case,
    issue: str,
    by: Sequence[str],
    *,
    model: str | None = None,
    params: Mapping[str, Any] | None = None,
    target: float | None = None,
    tolerance: float = 1.0,
    kinds: Sequence[str] = _KINDS,
    grid: int = 41,
    pair_grid: int = 11,
    pairs: bool = True,
    top: int = 10,
    robustness_draws: int = 0,
    seed: int = DEFAULT_SEED,
) -> InterventionResult:
    """Find the smallest changes to ``by``'s inputs on ``issue`` that meet the goal.

    Args:
        case: A validated case.
        issue: The issue id.
        by: Actor ids whose inputs may change.
        model: Model whose outcome is judged (default ``bdm`` when registered, else
            ``compromise``). With no ``target`` the goal is "not deadlock" by the diagnosis.
        params: That model's parameters.
        target: Bring the outcome within ``tolerance`` of this value.
        tolerance: Scale points either side of ``target``.
        kinds: Levers to use: position, salience, capability.
        grid: Grid values per single lever.
        pair_grid: Grid values per lever for pairs.
        pairs: Also search pairs of levers.
        top: How many interventions to return.
        robustness_draws: When positive, test each intervention under uncertainty: draw
            every ranged input of the case this many times (seed ``seed``; the same draws
            for every candidate), hold the intervention's changed levers at their new
            values, and report the share of draws in which the goal is met, before
            (``robustness.p_goal_before``) and after (``evidence.p_goal_after``). A change
            that meets the goal only at the stated values but rarely across the ranges is
            a knife-edge result, not advice.
        seed: Seed of the robustness draws.

    Raises:
        UncertaintyError: Unknown issue or actor, no lever, or no goal available.
    """
    registered = ensure_registered()
    arr = case_arrays(case)
    if issue not in arr.issue_ids:
        raise UncertaintyError(
            f"unknown issue '{issue}'",
            [
                Diagnostic(
                    f"no issue '{issue}' in case '{case.case.id}'",
                    code="unknown-issue",
                    expected="one of: " + ", ".join(arr.issue_ids),
                    hint=did_you_mean(issue, arr.issue_ids),
                )
            ],
        )
    bad = [a for a in by if a not in arr.actor_ids]
    if bad or not by:
        raise UncertaintyError(
            "unknown or missing actors for --by",
            [
                Diagnostic(
                    f"no actor '{a}' in case '{case.case.id}'",
                    code="unknown-actor",
                    expected="one of: " + ", ".join(arr.actor_ids),
                    hint=did_you_mean(a, arr.actor_ids),
                )
                for a in bad
            ]
            or [Diagnostic("name at least one actor with --by", code="missing-actor")],
        )
    unknown_kinds = [k for k in kinds if k not in _KINDS]
    if unknown_kinds:
        raise UncertaintyError(f"unknown lever(s) {unknown_kinds}; use {', '.join(_KINDS)}")
    name = model or ("bdm" if "bdm" in registered else "compromise")
    i = arr.issue_ids.index(issue)
    levers = _levers(case, issue, by, kinds)
    if not levers:
        raise UncertaintyError(f"none of {', '.join(by)} has a position on '{issue}'")
    base = ModelInput.from_arrays(arr)
    model_params = case_params(case, {name: dict(params or {})}).get(name, {})
    goal = _Goal(base, levers, name, model_params, i, target, tolerance)
    cur = np.array([lv.current for lv in levers])
    units = np.array([lv.unit for lv in levers])
    out0, code0, met0 = goal(cur[None, :])
    goal_text = (
        f"outcome of {name} within {tolerance:g} of {target:g}"
        if target is not None
        else "diagnosis is not deadlock"
    )

    def result(found: list[Intervention], note: str | None = None) -> InterventionResult:
        found.sort(key=lambda iv: (round(iv.size, 9), iv.describe()))
        found = found[:top]
        robust: RobustnessDict | None = None
        if robustness_draws > 0:
            found, robust = _robustness(goal, case, found, cur, robustness_draws, seed)
        return InterventionResult(
            case.case.id,
            issue,
            list(by),
            name,
            goal_text,
            float(out0[0]),
            _label(int(code0[0])),
            found,
            goal.evaluations,
            note,
            robust,
        )

    if met0[0]:
        return result([], "the goal is already met at the stated values; nothing to change")

    def intervention(vals: F, keys: Sequence[int]) -> Intervention:
        o, c, _ = goal(vals[None, :])
        size = float(np.sum(np.abs(vals - cur) / units))
        return Intervention(
            tuple((levers[k], float(vals[k])) for k in keys),
            size,
            float(out0[0]),
            float(o[0]),
            _label(int(code0[0])),
            _label(int(c[0])),
        )

    found: list[Intervention] = []
    # 1. single levers: grid, then bisection per (lever, direction), all in one batch
    n_l = len(levers)
    grids = np.stack([np.linspace(lv.low, lv.high, grid) for lv in levers])  # (L, G)
    rows = np.repeat(cur[None, :], n_l * grid, axis=0)
    rows[np.arange(n_l * grid), np.repeat(np.arange(n_l), grid)] = grids.reshape(-1)
    _, _, met = goal(rows)
    met = met.reshape(n_l, grid)
    inner, outer, owner = [], [], []
    for k in range(n_l):
        g = grids[k]
        for side in (g > cur[k], g < cur[k]):
            idx = np.flatnonzero(side & met[k])
            if idx.size == 0:
                continue
            j = idx[np.argmin(np.abs(g[idx] - cur[k]))]
            nb = j - 1 if g[j] > cur[k] else j + 1
            near = g[nb] if 0 <= nb < grid and side[nb] else cur[k]
            inner.append(near)
            outer.append(g[j])
            owner.append(k)
    if owner:
        lo_v, hi_v, own = np.array(inner), np.array(outer), np.array(owner)
        for _ in range(_BISECT):
            mid = (lo_v + hi_v) / 2.0
            r = np.repeat(cur[None, :], len(own), axis=0)
            r[np.arange(len(own)), own] = mid
            _, _, ok = goal(r)
            hi_v = np.where(ok, mid, hi_v)
            lo_v = np.where(ok, lo_v, mid)
        for k, v in zip(own.tolist(), hi_v.tolist(), strict=True):
            vals = cur.copy()
            vals[k] = v
            found.append(intervention(vals, [k]))
    # 2. pairs of levers: coarse grid, smallest meeting point, ray bisection
    if pairs and n_l > 1:
        pg = np.stack([np.linspace(lv.low, lv.high, pair_grid) for lv in levers])
        best_single = min((iv.size for iv in found), default=np.inf)
        cand_rows, cand_keys = [], []
        for k1, k2 in combinations(range(n_l), 2):
            a, b = np.meshgrid(pg[k1], pg[k2], indexing="ij")
            r = np.repeat(cur[None, :], a.size, axis=0)
            r[:, k1], r[:, k2] = a.reshape(-1), b.reshape(-1)
            cand_rows.append(r)
            cand_keys.append((k1, k2))
        allr = np.concatenate(cand_rows)
        _, _, ok = goal(allr)
        per = pair_grid * pair_grid
        tips, keys = [], []
        for n, (k1, k2) in enumerate(cand_keys):
            r, m = allr[n * per : (n + 1) * per], ok[n * per : (n + 1) * per]
            moved = (r[:, k1] != cur[k1]) & (r[:, k2] != cur[k2])
            m = m & moved
            if not m.any():
                continue
            sizes = np.sum(np.abs(r - cur) / units, axis=1)
            j = int(np.argmin(np.where(m, sizes, np.inf)))
            tips.append(r[j])
            keys.append((k1, k2))
        if tips:
            tip = np.array(tips)
            lo_t, hi_t = np.zeros(len(tips)), np.ones(len(tips))
            for _ in range(_BISECT):
                mid = (lo_t + hi_t) / 2.0
                _, _, ok2 = goal(cur + mid[:, None] * (tip - cur))
                hi_t = np.where(ok2, mid, hi_t)
                lo_t = np.where(ok2, lo_t, mid)
            for t, row, (k1, k2) in zip(hi_t, tip, keys, strict=True):
                vals = cur + t * (row - cur)
                iv = intervention(vals, [k1, k2])
                # a pair is worth showing only if both levers matter and it beats singles
                if iv.size < best_single - 1e-9:
                    found.append(iv)
    note = (
        None
        if found
        else (
            "no change to these actors' levers meets the goal on the search grid; "
            "try more actors (--by) or a looser --tolerance"
        )
    )
    return result(found, note)
