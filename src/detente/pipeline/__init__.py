"""The end-to-end pipeline: every analysis of a case, into one brief.

:func:`analyse` runs what the brief shows for any case (``detente brief``);
:func:`run_demo` is the flagship run (``detente demo``). The pipeline sits above the
capabilities (forecast, diagnose, uncertainty, ledger) and the report, which knows
nothing of how its inputs were made.
"""

from detente.pipeline.analyses import PARTS, Analyses, BriefOptions, Part, analyse, write_brief
from detente.pipeline.demo import DEFAULT_OUT, DemoResult, run_demo
from detente.pipeline.guarantees import demo_guarantee, guarantees_from_ledger
from detente.pipeline.records import GuaranteeRecord

__all__ = [
    "DEFAULT_OUT",
    "PARTS",
    "Analyses",
    "BriefOptions",
    "DemoResult",
    "GuaranteeRecord",
    "Part",
    "analyse",
    "demo_guarantee",
    "guarantees_from_ledger",
    "run_demo",
    "write_brief",
]
