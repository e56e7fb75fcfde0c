"""Briefs: self-contained HTML pages that put a case, its forecasts and checks in front of people.

The brief is a shell over the library: it takes a validated case and the JSON-ready
results of the other capabilities and lays them out, with Vega-Lite charts whose
JavaScript is vendored in ``vendor/`` so the page opens with no network.
"""

from __future__ import annotations

from detente.report.brief import build_brief

__all__ = ["build_brief"]
