"""The end-to-end pipeline: every analysis of a case, into one brief.

- :mod:`detente.pipeline.analyses`: :func:`~detente.pipeline.analyses.analyse` runs what
  the brief shows for any case (``detente brief``).
- :mod:`detente.pipeline.demo`: :func:`~detente.pipeline.demo.run_demo`, the flagship
  run (``detente demo``).
- :mod:`detente.pipeline.guarantees`: the case's guarantees from a ledger, with receipts.
- :mod:`detente.pipeline.records`: the guarantee record the brief shows.

The pipeline sits above the capabilities (forecast, diagnose, uncertainty, ledger) and
the report. This package imports none of its modules itself, so that the report can
import :mod:`detente.pipeline.records` without importing the pipeline that imports it.
"""

__all__: list[str] = []
