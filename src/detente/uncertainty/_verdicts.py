"""Batched diagnosis verdicts, for P(verdict) in sweeps and for the intervention search.

This is a thin adapter: the rule and the model run live in :mod:`detente.diagnose`
(:func:`detente.diagnose.verdict_codes`, the batched form of
:func:`detente.diagnose.diagnose`, rule in ``docs/diagnosis.md``). Nothing of the model
or the rule is re-implemented here. When that package is missing,
:func:`verdict_function` returns None and results carry no verdict probabilities.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente.forecast.registry import ModelInput

__all__ = ["VERDICTS", "verdict_function"]

VERDICTS = ("deadlock", "compromise_expected", "agreement_likely")
"""Verdict names, in code order (code -1: no verdict for that draw and issue)."""

VerdictFn = Callable[[ModelInput], NDArray[np.int64]]


def verdict_function(params: Mapping[str, Any] | None = None) -> VerdictFn | None:
    """``ModelInput (B, A, I) -> (B, I)`` verdict codes, or None if unavailable.

    Args:
        params: ``bdm`` parameters for the diagnosis (the same as the sweep's ``bdm``).
    """
    try:
        diagnose: Any = importlib.import_module("detente.diagnose")
        fn = diagnose.verdict_codes
    except (ImportError, AttributeError):
        return None
    if tuple(diagnose.VERDICTS) != VERDICTS:  # codes would be misread: refuse
        return None
    given = dict(params or {})

    def verdicts(inp: ModelInput) -> NDArray[np.int64]:
        return np.asarray(fn(inp, **given), dtype=np.int64)

    return verdicts
