"""Batched diagnosis verdicts, for P(verdict) in sweeps and for the intervention search.

Filled in against :mod:`detente.diagnose` once that package is available; until then
:func:`verdict_function` returns None and results carry no verdict probabilities.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from detente.forecast.registry import ModelInput

__all__ = ["VERDICTS", "verdict_function"]

VERDICTS = ("deadlock", "compromise_expected", "agreement_likely")
"""Verdict names, in code order (code -1: no verdict for that draw and issue)."""

VerdictFn = Callable[[ModelInput], NDArray[np.int64]]


def verdict_function() -> VerdictFn | None:
    """A function ``ModelInput (B, A, I) -> (B, I)`` verdict codes, or None if unavailable."""
    return None
