"""Briefs: self-contained HTML pages that put a case, its forecasts and checks in front of people.

The brief is a shell over the library: :func:`build_brief` takes a validated case and the
typed results of the other capabilities and lays them out, one section per module in
:mod:`detente.report.sections` (the interface is :class:`~detente.report.sections.Section`),
with Vega-Lite charts whose JavaScript is vendored in ``vendor/`` so the page opens with
no network. How the results are made for a brief is :mod:`detente.pipeline`'s business.
"""

from __future__ import annotations

from detente.report.brief import build_brief

__all__ = ["build_brief"]
