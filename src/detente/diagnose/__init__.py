"""Deadlock diagnosis: who expects what from challenging whom, and a verdict per issue.

Built on the expected-utility model of :mod:`detente.forecast.bdm` (Scholz, Calbert &
Smith 2011); the verdict rule is in ``docs/diagnosis.md``.
"""

from detente.diagnose.core import (
    OCTANT_LABELS,
    Diagnosis,
    IssueDiagnosis,
    PairView,
    diagnose,
    verdict_codes,
    verdicts_from_run,
)
from detente.diagnose.results import DiagnosisDict, IssueDiagnosisDict, PairDict
from detente.diagnose.rule import (
    AGREEMENT_GAP,
    DEADLOCK_GAP,
    VERDICT_LABELS,
    VERDICT_SENTENCES,
    VERDICTS,
    verdict_code,
    verdict_label,
    verdict_rule,
)

__all__ = [
    "AGREEMENT_GAP",
    "DEADLOCK_GAP",
    "OCTANT_LABELS",
    "VERDICT_LABELS",
    "VERDICT_SENTENCES",
    "VERDICTS",
    "Diagnosis",
    "DiagnosisDict",
    "IssueDiagnosisDict",
    "PairDict",
    "IssueDiagnosis",
    "PairView",
    "diagnose",
    "verdict_code",
    "verdict_codes",
    "verdict_label",
    "verdict_rule",
    "verdicts_from_run",
]
