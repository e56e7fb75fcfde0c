"""Case files: the negotiation as an analyst describes it, validated, and as arrays."""

from detente.case.arrays import CaseArrays, case_arrays
from detente.case.formats import read_any, read_cases, write_case
from detente.case.loader import load_case, parse_case_text, validate_case_text
from detente.case.model import Actor, Case, Estimate, Issue, Position, Round, Source

__all__ = [
    "Actor",
    "Case",
    "CaseArrays",
    "Estimate",
    "Issue",
    "Position",
    "Round",
    "Source",
    "case_arrays",
    "load_case",
    "parse_case_text",
    "read_any",
    "read_cases",
    "validate_case_text",
    "write_case",
]
