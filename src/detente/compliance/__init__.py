"""Are they keeping it? Commitments measured on conflict-event data.

Metrics files (:mod:`~detente.compliance.metrics`), measurement with low/best/high and
verdicts per period (:mod:`~detente.compliance.measure`, :mod:`~detente.compliance.check`),
signed verdicts in the ledger (:mod:`~detente.compliance.verdicts`), trust over time
(:mod:`~detente.compliance.trust`), and the brief's section (:mod:`~detente.compliance.brief`).
See docs/compliance.md.
"""

from __future__ import annotations

from detente.compliance.check import ComplianceReport, DatasetEvents, check_commitment
from detente.compliance.metrics import MetricsFile, load_metrics, metric_sha256
from detente.compliance.trust import TrustSeries, trust_over_time
from detente.compliance.verdicts import read_verdicts, record_verdicts

__all__ = [
    "ComplianceReport",
    "DatasetEvents",
    "MetricsFile",
    "TrustSeries",
    "check_commitment",
    "load_metrics",
    "metric_sha256",
    "read_verdicts",
    "record_verdicts",
    "trust_over_time",
]
