"""Deadlock diagnosis from the expected-utility model (Scholz, Calbert & Smith 2011).

For every pair of actors on every issue, the octant of the quad map as each side sees
it and the expected utilities behind it; then a verdict per issue by the rule written
down in ``docs/diagnosis.md`` (and in :func:`verdict_rule`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente import __version__
from detente.case.arrays import case_arrays
from detente.case.model import Case
from detente.diagnose.results import DiagnosisDict, IssueDiagnosisDict, PairDict
from detente.diagnose.rule import (
    AGREEMENT_GAP,
    DEADLOCK_GAP,
    VERDICTS,
    check_thresholds,
    verdict_code,
    verdict_rule,
)
from detente.errors import ModelError
from detente.forecast.bdm import (
    OCTANTS,
    BdmOptions,
    _octant,
    bdm_run,
    options_from_params,
)
from detente.forecast.closed_form import weighted_median
from detente.forecast.registry import ModelInput, get_model

__all__ = [
    "OCTANT_LABELS",
    "VERDICTS",
    "Diagnosis",
    "IssueDiagnosis",
    "PairView",
    "diagnose",
    "verdict_codes",
    "verdict_rule",
    "verdicts_from_run",
]

F = NDArray[np.float64]


OCTANT_LABELS = {
    "stalemate": "stalemate",
    "conflict_win": "conflict_initiator_wins",
    "conflict_lose": "conflict_receiver_wins",
    "compromise_gain": "compromise_receiver_concedes",
    "compromise_concede": "compromise_initiator_concedes",
    "compel": "receiver_capitulates",
    "capitulate": "initiator_capitulates",
    "none": "none",
}
"""Octant names as written in the diagnosis, always oriented initiator -> receiver."""


@dataclass(frozen=True)
class PairView:
    """One pair of actors on one issue, at the start (round 1 of the model).

    Attributes:
        initiator: Actor id of the initiator ``i`` (the first of the two in the case).
        receiver: Actor id of the receiver ``j``.
        octant_initiator_view: The octant as ``i`` sees it (both utilities with ``r_i``).
        octant_receiver_view: The octant as ``j`` sees it (both utilities with ``r_j``).
        eu_initiator: ``E^i(U_ij)``: what ``i`` expects from challenging ``j``.
        eu_receiver: ``E^j(U_ji)``: what ``j`` expects from challenging ``i``.
        eu_initiator_seen_by_receiver: ``E^j(U_ij)``.
        eu_receiver_seen_by_initiator: ``E^i(U_ji)``.
        prob_initiator_wins: ``P_ij`` (eq. 3).
        position_initiator: ``x_i`` at the start.
        position_receiver: ``x_j`` at the start.
    """

    initiator: str
    receiver: str
    octant_initiator_view: str
    octant_receiver_view: str
    eu_initiator: float
    eu_receiver: float
    eu_initiator_seen_by_receiver: float
    eu_receiver_seen_by_initiator: float
    prob_initiator_wins: float
    position_initiator: float
    position_receiver: float

    def to_dict(self) -> PairDict:
        """JSON-ready data."""
        return {
            "initiator": self.initiator,
            "receiver": self.receiver,
            "octant_initiator_view": self.octant_initiator_view,
            "octant_receiver_view": self.octant_receiver_view,
            "eu_initiator": self.eu_initiator,
            "eu_receiver": self.eu_receiver,
            "eu_initiator_seen_by_receiver": self.eu_initiator_seen_by_receiver,
            "eu_receiver_seen_by_initiator": self.eu_receiver_seen_by_initiator,
            "prob_initiator_wins": self.prob_initiator_wins,
            "position_initiator": self.position_initiator,
            "position_receiver": self.position_receiver,
        }


@dataclass(frozen=True)
class IssueDiagnosis:
    """The diagnosis of one issue.

    Attributes:
        issue: Issue id.
        verdict: One of :data:`VERDICTS`.
        explanation: The verdict in plain words, with the numbers behind it.
        principals: The two principal parties (ids).
        mutual_stalemate: Whether both principals see their pair as a stalemate.
        gap_start: Distance between the principals at the start, as a share of the scale.
        gap_end: The same after the last round.
        settled: Whether no actor moved more than 1% of the scale in the last round.
        outcome: Median voter position after the last round.
        pairs: Every pair of actors with a position on the issue.
        final_positions: Actor id -> position after the last round.
    """

    issue: str
    verdict: str
    explanation: str
    principals: tuple[str, str]
    mutual_stalemate: bool
    gap_start: float
    gap_end: float
    settled: bool
    outcome: float
    pairs: list[PairView]
    final_positions: dict[str, float]

    def to_dict(self) -> IssueDiagnosisDict:
        """JSON-ready data."""
        return {
            "verdict": self.verdict,
            "explanation": self.explanation,
            "principals": list(self.principals),
            "mutual_stalemate": self.mutual_stalemate,
            "gap_start": self.gap_start,
            "gap_end": self.gap_end,
            "settled": self.settled,
            "outcome": self.outcome,
            "final_positions": self.final_positions,
            "pairs": [p.to_dict() for p in self.pairs],
        }


@dataclass(frozen=True)
class Diagnosis:
    """A diagnosis of every issue of one case.

    Attributes:
        case: The case diagnosed.
        issues: Issue id -> :class:`IssueDiagnosis` (issues with fewer than two actors
            holding positions are left out and listed in ``skipped``).
        params: The model parameters used (including ``rounds``).
        thresholds: The verdict thresholds used.
        skipped: Issue id -> why it has no diagnosis.
    """

    case: Case
    issues: dict[str, IssueDiagnosis]
    params: dict[str, Any]
    thresholds: dict[str, float]
    skipped: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> DiagnosisDict:
        """JSON-ready data: ``{"case": {...}, "issues": {issue_id: {...}}}``."""
        return {
            "detente_version": __version__,
            "case": {
                "id": self.case.case.id,
                "title": self.case.case.title,
                "model": "bdm",
                "params": self.params,
                "thresholds": self.thresholds,
                "rule": verdict_rule(**self.thresholds),
            },
            "issues": {k: v.to_dict() for k, v in self.issues.items()},
            "skipped": self.skipped,
        }


def _principals(x: F, w: F, idx: Sequence[int]) -> tuple[int, int]:
    """The pair with the largest ``w_a * w_b * |x_a - x_b|`` (lowest indices on ties)."""
    best, pair = -1.0, (idx[0], idx[1])
    for m, a in enumerate(idx):
        for b in idx[m + 1 :]:
            score = float(w[a] * w[b] * abs(x[a] - x[b]))
            if score > best:
                best, pair = score, (a, b)
    return pair


def _fmt(v: float) -> str:
    return f"{v:+.3f}"


def _explain(
    name: dict[str, str],
    a: str,
    b: str,
    pv: PairView,
    verdict: str,
    stalemate: bool,
    gap_start: float,
    gap_end: float,
    rounds: int,
    settled: bool,
    thresholds: dict[str, float],
    top: list[tuple[str, str, float]],
) -> str:
    words = {
        "deadlock": "Deadlock",
        "compromise_expected": "Compromise expected",
        "agreement_likely": "Agreement likely",
    }[verdict]
    text = (
        f"{words}. The principal parties are {name[a]} ({a}, at {pv.position_initiator:g}) "
        f"and {name[b]} ({b}, at {pv.position_receiver:g}). "
        f"{a} expects {_fmt(pv.eu_initiator)} from challenging {b}; "
        f"{b} expects {_fmt(pv.eu_receiver)} from challenging {a}. "
    )
    if stalemate:
        text += "Neither expects to gain from challenging the other: a mutual stalemate, so "
        text += "neither can expect to move the other. "
    else:
        text += (
            f"{a} reads the pair as {pv.octant_initiator_view.replace('_', ' ')}; "
            f"{b} reads it as {pv.octant_receiver_view.replace('_', ' ')}. "
        )
    text += (
        f"They start {100 * gap_start:.0f}% of the scale apart and, after {rounds} rounds, "
        f"end {100 * gap_end:.0f}% apart (deadlock above {100 * thresholds['deadlock_gap']:.0f}%"
        f", agreement at or below {100 * thresholds['agreement_gap']:.0f}%)"
    )
    text += "." if settled else "; the positions were still moving in the last round."
    if top:
        parts = [f"{src} challenging {dst} ({_fmt(val)})" for src, dst, val in top]
        text += " Largest expected gains from a challenge: " + ", ".join(parts) + "."
    else:
        text += " No actor expects to gain from challenging any other."
    return text


def diagnose(
    case: Case,
    *,
    principals: Sequence[str] | None = None,
    deadlock_gap: float = DEADLOCK_GAP,
    agreement_gap: float = AGREEMENT_GAP,
    **params: Any,
) -> Diagnosis:
    """Diagnose every issue of ``case`` with the ``bdm`` model.

    Args:
        case: A validated case.
        principals: Two actor ids to treat as the principal parties on every issue
            where both hold positions; by default, per issue, the pair with the largest
            ``w_a * w_b * |x_a - x_b|`` (``w`` = capability x salience): the most
            consequential disagreement.
        deadlock_gap: Share of the scale above which the principals' final distance
            means deadlock.
        agreement_gap: Share of the scale at or below which it means agreement.
        **params: ``bdm`` model parameters (``rounds``, ``q``, ``offer_selection``...).

    Returns:
        A :class:`Diagnosis`.

    Raises:
        ModelError: For unknown parameters, bad thresholds or unknown principals.
    """
    check_thresholds(deadlock_gap, agreement_gap)
    spec = get_model("bdm")
    resolved = spec.resolve_params(params)
    rounds = int(resolved["rounds"])
    opts: BdmOptions = options_from_params(resolved)
    arrays = case_arrays(case)
    ids = list(arrays.actor_ids)
    if principals is not None:
        if len(principals) != 2 or principals[0] == principals[1]:
            raise ModelError("principals: give two different actor ids")
        unknown = [p for p in principals if p not in ids]
        if unknown:
            raise ModelError(
                f"principals: unknown actor id(s) {', '.join(unknown)}; "
                f"the case has {', '.join(ids)}"
            )
    inp = ModelInput.from_arrays(arrays)
    traj, states = bdm_run(inp, max(rounds, 1), opts, keep_states="first")
    traj = traj[:, : rounds + 1]
    first = states[0]
    name = {a.id: a.name for a in case.actors}
    thresholds = {"deadlock_gap": deadlock_gap, "agreement_gap": agreement_gap}
    out: dict[str, IssueDiagnosis] = {}
    skipped: dict[str, str] = {}
    for k, issue in enumerate(case.issues):
        present = [j for j in range(len(ids)) if arrays.present[j, k]]
        if len(present) < 2:
            skipped[issue.id] = "fewer than two actors hold a position on this issue"
            continue
        x0 = traj[0, 0, :, k]
        xt = traj[0, -1, :, k]
        width = float(issue.scale.max - issue.scale.min)
        w = inp.weight[0, :, k]
        # Pair arrays of the first round, on the merged axis n = issue k (one draw).
        own = first.eu_own[k]
        recv = first.eu_recv[k]
        valid = first.valid[k]
        # Initiator view: gain E^i(U_ij) = own, loss E^i(U_ji) = recv.T
        view_i = _octant(own, recv.T, valid, opts.compromise_clause)
        # Receiver view: gain E^j(U_ij) = recv, loss E^j(U_ji) = own.T
        view_j = _octant(recv, own.T, valid, opts.compromise_clause)
        pairs: list[PairView] = []
        lookup: dict[tuple[int, int], PairView] = {}
        for m, a in enumerate(present):
            for b in present[m + 1 :]:
                pv = PairView(
                    initiator=ids[a],
                    receiver=ids[b],
                    octant_initiator_view=OCTANT_LABELS[OCTANTS[view_i[a, b]]],
                    octant_receiver_view=OCTANT_LABELS[OCTANTS[view_j[a, b]]],
                    eu_initiator=float(own[a, b]),
                    eu_receiver=float(own[b, a]),
                    eu_initiator_seen_by_receiver=float(recv[a, b]),
                    eu_receiver_seen_by_initiator=float(recv[b, a]),
                    prob_initiator_wins=float(first.prob[k][a, b]),
                    position_initiator=float(x0[a]),
                    position_receiver=float(x0[b]),
                )
                pairs.append(pv)
                lookup[(a, b)] = pv
        if principals is not None and all(ids.index(p) in present for p in principals):
            pa, pb = sorted(ids.index(p) for p in principals)
        else:
            pa, pb = _principals(x0, w, present)
        ppv = lookup[(pa, pb)]
        # Each principal, by its own estimate, expects to lose by challenging the other.
        stalemate = ppv.eu_initiator <= 0 and ppv.eu_receiver <= 0
        gap_start = abs(float(x0[pa] - x0[pb])) / width
        gap_end = abs(float(xt[pa] - xt[pb])) / width
        last_move = (
            float(np.max(np.abs(traj[0, -1, present, k] - traj[0, -2, present, k]))) / width
            if rounds >= 1
            else 0.0
        )
        settled = last_move <= 0.01
        verdict = VERDICTS[int(verdict_code(gap_end, stalemate, deadlock_gap, agreement_gap))]
        gains = sorted(
            (
                (src, dst, val)
                for p in pairs
                for src, dst, val in (
                    (p.initiator, p.receiver, p.eu_initiator),
                    (p.receiver, p.initiator, p.eu_receiver),
                )
                if val > 0
            ),
            key=lambda t: -t[2],
        )
        outcome = float(weighted_median(traj[:, -1, :, k : k + 1], w[None, :, None])[0, 0])
        explanation = _explain(
            name,
            ids[pa],
            ids[pb],
            ppv,
            verdict,
            stalemate,
            gap_start,
            gap_end,
            rounds,
            settled,
            thresholds,
            gains[:3],
        )
        out[issue.id] = IssueDiagnosis(
            issue=issue.id,
            verdict=verdict,
            explanation=explanation,
            principals=(ids[pa], ids[pb]),
            mutual_stalemate=stalemate,
            gap_start=gap_start,
            gap_end=gap_end,
            settled=settled,
            outcome=outcome,
            pairs=pairs,
            final_positions={ids[j]: float(xt[j]) for j in present},
        )
    return Diagnosis(case, out, resolved, thresholds, skipped)


def verdict_codes(
    inp: ModelInput,
    *,
    principals: tuple[int, int] | None = None,
    deadlock_gap: float = DEADLOCK_GAP,
    agreement_gap: float = AGREEMENT_GAP,
    **params: Any,
) -> NDArray[np.int64]:
    """Verdicts for a whole batch at once: ``(B, I)`` codes into :data:`VERDICTS`.

    The same rule as :func:`diagnose` (``docs/diagnosis.md``), for sweeps: ``-1`` where
    an issue has fewer than two actors with a position (or a named principal is absent).
    Runs the ``bdm`` model; when its result is already at hand (a sweep that also
    forecasts with ``bdm`` and the same parameters), :func:`verdicts_from_run` gives the
    same codes without running it again.

    Args:
        inp: Batched model input ``(B, A, I)``.
        principals: Actor indices of the two principal parties; by default, per draw and
            issue, the pair with the largest ``w_a * w_b * |x_a - x_b|``.
        deadlock_gap: As in :func:`diagnose`.
        agreement_gap: As in :func:`diagnose`.
        **params: ``bdm`` model parameters.
    """
    spec = get_model("bdm")
    resolved = spec.resolve_params(params)
    rounds = int(resolved["rounds"])
    opts = options_from_params(resolved)
    b, a, n_issues = inp.position.shape
    traj, states = bdm_run(inp, max(rounds, 1), opts, keep_states="first")
    own = states[0].eu_own.reshape(b, n_issues, a, a)
    return verdicts_from_run(
        inp,
        traj,
        own,
        rounds,
        principals=principals,
        deadlock_gap=deadlock_gap,
        agreement_gap=agreement_gap,
    )


def verdicts_from_run(
    inp: ModelInput,
    trajectory: F,
    eu_own: F,
    rounds: int,
    *,
    principals: tuple[int, int] | None = None,
    deadlock_gap: float = DEADLOCK_GAP,
    agreement_gap: float = AGREEMENT_GAP,
) -> NDArray[np.int64]:
    """Verdict codes ``(B, I)`` from a ``bdm`` run already made on ``inp``.

    The rule of :func:`verdict_codes` (``docs/diagnosis.md``), applied to the model's own
    output, so that a sweep forecasting with ``bdm`` need not run it twice.

    Args:
        inp: The batched model input ``(B, A, I)`` the model ran on.
        trajectory: Its trajectory ``(B, T + 1, A, I)`` with ``T >= max(rounds, 1)``
            (the ``bdm`` model's ``extras["trajectory"]``).
        eu_own: ``(B, I, A, A)``: ``E^i(U_ij)`` of round 1, ``[b, k, i, j]`` (the ``bdm``
            model's ``extras["eu_own_round1"]``).
        rounds: The number of rounds the verdict is read after.
        principals: As in :func:`verdict_codes`.
        deadlock_gap: As in :func:`diagnose`.
        agreement_gap: As in :func:`diagnose`.

    Raises:
        ModelError: When the arrays do not fit ``inp`` and ``rounds``.
    """
    b, a, n_issues = inp.position.shape
    traj = np.asarray(trajectory)
    if (
        rounds < 0
        or traj.ndim != 4
        or traj.shape[0] != b
        or traj.shape[2:] != (a, n_issues)
        or traj.shape[1] < max(rounds, 1) + 1
        or np.shape(eu_own) != (b, n_issues, a, a)
    ):
        raise ModelError(
            f"verdicts_from_run: a trajectory (B, >= {max(rounds, 1) + 1}, {a}, {n_issues}) "
            f"and round-1 utilities (B, {n_issues}, {a}, {a}) are needed, got "
            f"{traj.shape} and {np.shape(eu_own)}"
        )
    x0 = np.moveaxis(traj[:, 0], 2, 1).reshape(b * n_issues, a)
    xt = np.moveaxis(traj[:, rounds], 2, 1).reshape(b * n_issues, a)
    w = np.moveaxis(inp.weight, 2, 1).reshape(b * n_issues, a)
    present = np.broadcast_to(inp.present.T[None], (b, n_issues, a)).reshape(b * n_issues, a)
    width = np.broadcast_to(inp.scale_max - inp.scale_min, (b, n_issues)).reshape(-1)
    own = eu_own.reshape(b * n_issues, a, a)
    upper = np.triu(np.ones((a, a), dtype=bool), 1)[None]
    both = present[:, :, None] & present[:, None, :] & upper
    if principals is None:
        score = w[:, :, None] * w[:, None, :] * np.abs(x0[:, :, None] - x0[:, None, :])
        flat = np.where(both, score, -1.0).reshape(len(x0), a * a)
        best = np.argmax(flat, axis=1)  # row-major: lowest a, then lowest b, on ties
        pa, pb = best // a, best % a
        ok = both.reshape(len(x0), a * a).any(axis=1)
    else:
        lo, hi = sorted(principals)
        pa = np.full(len(x0), lo)
        pb = np.full(len(x0), hi)
        ok = present[:, lo] & present[:, hi]
    rows = np.arange(len(x0))
    gap = np.abs(xt[rows, pa] - xt[rows, pb]) / width
    stalemate = (own[rows, pa, pb] <= 0) & (own[rows, pb, pa] <= 0)
    code = np.where(ok, verdict_code(gap, stalemate, deadlock_gap, agreement_gap), -1)
    return np.asarray(code.reshape(b, n_issues), dtype=np.int64)
