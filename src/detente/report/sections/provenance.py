"""Data and provenance: when the brief was made, and from which case file.

The case file's name and SHA-256, and what the embedded data twin holds.
"""

from __future__ import annotations

from typing import Any

from detente import __version__
from detente.report.sections.base import BriefInputs, Charts, Section

__all__ = ["PROVENANCE"]


def build_provenance(inputs: BriefInputs, charts_: Charts) -> dict[str, Any]:
    """Generation time, the case file and its hash, what the data twin holds."""
    p = inputs.provenance
    held = ["the case", "the forecasts"]
    for name, value in (
        ("the diagnosis", inputs.diagnosis),
        ("the Monte Carlo sweep", inputs.sweep),
        ("the tornado", inputs.tornado),
        ("the intervention search", inputs.interventions),
        ("the what-if runs", inputs.whatifs),
        ("the guarantee records with their receipts", inputs.guarantees),
    ):
        if value is not None:
            held.append(name)
    return {
        "generated_at": p.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "case_file": p.case_file or "",
        "case_sha256": p.case_sha256 or "",
        "version": __version__,
        "held": ", ".join(held),
        "left_out": sorted(inputs.left_out.items()),
    }


PROVENANCE: Section[dict[str, Any]] = Section(
    "data", "Data", "sections/provenance.html.j2", build_provenance
)
