"""Uncertainty results as data: the shapes of the ``to_dict()`` of each result.

Owned here, next to the code that writes them (:class:`~detente.uncertainty.SweepResult`,
:class:`~detente.uncertainty.TornadoResult`,
:class:`~detente.uncertainty.InterventionResult`,
:class:`~detente.uncertainty.WhatIfResult`); the brief and the pipeline read these.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

__all__ = [
    "ChangeDict",
    "EvidenceDict",
    "InterventionDict",
    "InterventionItemDict",
    "RobustnessDict",
    "SkippedSearchDict",
    "SweepDict",
    "SweepIssueDict",
    "SweepModelDict",
    "TornadoBarDict",
    "TornadoDict",
    "TornadoIssueDict",
    "TornadoModelDict",
    "WhatIfDict",
    "WhatIfIssueDict",
]


class SweepModelDict(TypedDict):
    """One model's outcome distribution on one issue."""

    mean: float
    median: float
    intervals: dict[str, list[float]]
    min: float
    max: float
    n: int
    p_verdict: NotRequired[dict[str, float]]


class SweepIssueDict(TypedDict):
    """One issue of a sweep."""

    scale: list[float]
    p_verdict: dict[str, float] | None
    models: dict[str, SweepModelDict]


class SweepDict(TypedDict):
    """A Monte Carlo sweep (:meth:`detente.uncertainty.SweepResult.to_dict`)."""

    detente_version: str
    case: dict[str, str]
    seed: int
    draws: int
    draws_done: int
    interrupted: bool
    engine: str
    workers: int
    chunk_size: int
    quantiles: dict[str, Any]
    seconds: float
    draws_per_second: float
    models: list[str]
    params: dict[str, dict[str, Any]]
    verdict_basis: str | None
    inputs: list[dict[str, object]]
    issues: dict[str, SweepIssueDict]


class TornadoBarDict(TypedDict):
    """One input at the ends of its range."""

    input: str
    range: list[float]
    outcome_low: float
    outcome_high: float
    swing: float
    verdict_low: NotRequired[str | None]
    verdict_high: NotRequired[str | None]


class TornadoModelDict(TypedDict):
    """One model on one issue: the outcome as stated, and the bars."""

    base: float
    bars: list[TornadoBarDict]


class TornadoIssueDict(TypedDict):
    """One issue of a tornado."""

    verdict_base: str | None
    models: dict[str, TornadoModelDict]


class TornadoDict(TypedDict):
    """A tornado (:meth:`detente.uncertainty.TornadoResult.to_dict`)."""

    detente_version: str
    case: dict[str, str]
    method: str
    models: list[str]
    issues: dict[str, TornadoIssueDict]


ChangeDict = TypedDict(  # functional form: "from" is a keyword in Python, a key in the data
    "ChangeDict",
    {
        "actor": str,
        "issue": str,
        "input": str,
        "from": float,
        "to": float,
        "share_of_room": float,
    },
)
"""One lever moved by an intervention: whose, on which issue, from and to what value."""


class EvidenceDict(TypedDict):
    """What an intervention does at the stated values (and across the ranges)."""

    outcome_before: float
    outcome_after: float
    verdict_before: str | None
    verdict_after: str | None
    p_goal_after: NotRequired[float]


class InterventionItemDict(TypedDict):
    """One intervention found."""

    rank: int
    size: float
    changes: list[ChangeDict]
    whatif: dict[str, Any]
    evidence: EvidenceDict


class RobustnessDict(TypedDict):
    """How the interventions were tested across the case's ranges."""

    draws: int
    seed: int
    p_goal_before: NotRequired[float]
    method: NotRequired[str]
    note: NotRequired[str]


class BeforeDict(TypedDict):
    """The state before any change."""

    outcome: float
    verdict: str | None


class InterventionDict(TypedDict):
    """An intervention search (:meth:`detente.uncertainty.InterventionResult.to_dict`)."""

    detente_version: str
    case: dict[str, str]
    issue: str
    by: list[str]
    model: str
    goal: str
    size_measure: str
    before: BeforeDict
    evaluations: int
    note: str | None
    robustness: RobustnessDict | None
    interventions: list[InterventionItemDict]


class WhatIfModelDict(TypedDict):
    """One model's outcome before and after a what-if."""

    before: float | None
    after: float | None
    change: float | None


class WhatIfIssueDict(TypedDict):
    """One issue before and after."""

    models: dict[str, WhatIfModelDict]
    verdict: dict[str, str | None] | None


class WhatIfDict(TypedDict):
    """A what-if run (:meth:`detente.uncertainty.WhatIfResult.to_dict`)."""

    detente_version: str
    whatif: dict[str, Any]
    models: list[str]
    issues: dict[str, WhatIfIssueDict]


class SkippedSearchDict(TypedDict):
    """An issue the intervention search could not be run on, and why."""

    issue: str
    by: list[str]
    error: str
