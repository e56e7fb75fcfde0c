"""Deadlock diagnosis: who expects what from challenging whom, and a verdict per issue.

Built on the expected-utility model of :mod:`detente.forecast.bdm` (Scholz, Calbert &
Smith 2011); the verdict rule is in ``docs/diagnosis.md``.
"""

from detente.diagnose.core import (
    OCTANT_LABELS,
    VERDICTS,
    Diagnosis,
    IssueDiagnosis,
    PairView,
    diagnose,
    verdict_codes,
    verdict_rule,
    verdicts_from_run,
)

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
