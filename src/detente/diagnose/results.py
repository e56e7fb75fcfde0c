"""The diagnosis as data: the shapes of :meth:`Diagnosis.to_dict` and its parts.

These TypedDicts are the contract with the packages that read a diagnosis (the brief,
the JSON output): they are owned here, next to the code that writes them.
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = ["DiagnosisCaseDict", "DiagnosisDict", "IssueDiagnosisDict", "PairDict"]


class PairDict(TypedDict):
    """One pair of actors on one issue (:class:`detente.diagnose.PairView`)."""

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


class IssueDiagnosisDict(TypedDict):
    """The diagnosis of one issue (:class:`detente.diagnose.IssueDiagnosis`)."""

    verdict: str
    explanation: str
    principals: list[str]
    mutual_stalemate: bool
    gap_start: float
    gap_end: float
    settled: bool
    outcome: float
    final_positions: dict[str, float]
    pairs: list[PairDict]


class DiagnosisCaseDict(TypedDict):
    """What was diagnosed and how."""

    id: str
    title: str
    model: str
    params: dict[str, Any]
    thresholds: dict[str, float]
    rule: str


class DiagnosisDict(TypedDict):
    """A whole diagnosis (:meth:`detente.diagnose.Diagnosis.to_dict`)."""

    detente_version: str
    case: DiagnosisCaseDict
    issues: dict[str, IssueDiagnosisDict]
    skipped: dict[str, str]
