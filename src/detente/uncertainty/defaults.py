"""Default seed and draw counts: one set, used by the CLI, the brief and the demo.

The same question asked of ``detente sweep``, ``detente interventions``, ``detente
brief`` or ``detente demo`` with no seed or draw count given draws the same numbers and
so gives the same figure.
"""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_DRAWS", "DEFAULT_ROBUSTNESS_DRAWS", "DEFAULT_SEED"]

DEFAULT_SEED: Final = 2026
"""Seed of every sampling step when none is given (sweep, robustness draws, Sobol)."""

DEFAULT_DRAWS: Final = 10_000
"""Monte Carlo draws of a sweep when none is given."""

DEFAULT_ROBUSTNESS_DRAWS: Final = 500
"""Draws of the case's ranges on which each intervention is tested."""
