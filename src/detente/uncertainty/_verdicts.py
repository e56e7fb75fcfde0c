"""Batched diagnosis verdicts, for P(verdict) in sweeps and for the intervention search.

This is a thin adapter: the rule and the model run live in :mod:`detente.diagnose`
(:func:`detente.diagnose.verdict_codes`, the batched form of
:func:`detente.diagnose.diagnose`; the rule in :mod:`detente.diagnose.rule` and
``docs/diagnosis.md``). Nothing of the model or the rule is re-implemented here.

A sweep that forecasts with ``bdm`` already holds the model's run; with the same
parameters, :func:`verdict_from_run_function` reads the verdicts from that run
(:func:`detente.diagnose.verdicts_from_run`) instead of running the model again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente.diagnose import VERDICTS, verdict_codes, verdicts_from_run
from detente.forecast.registry import ModelInput, ModelResult, get_model

__all__ = ["VERDICTS", "verdict_from_run_function", "verdict_function"]

VerdictFn = Callable[[ModelInput], NDArray[np.int64]]
RunVerdictFn = Callable[[ModelInput, ModelResult], NDArray[np.int64]]


def verdict_function(params: Mapping[str, Any] | None = None) -> VerdictFn:
    """``ModelInput (B, A, I) -> (B, I)`` verdict codes into :data:`VERDICTS`.

    Args:
        params: ``bdm`` parameters for the diagnosis (the same as the sweep's ``bdm``).
    """
    given = dict(params or {})

    def verdicts(inp: ModelInput) -> NDArray[np.int64]:
        return np.asarray(verdict_codes(inp, **given), dtype=np.int64)

    return verdicts


def verdict_from_run_function(params: Mapping[str, Any] | None = None) -> RunVerdictFn:
    """``(ModelInput, bdm ModelResult) -> (B, I)`` verdict codes.

    The codes equal :func:`verdict_function`'s on the same input: the rule is applied
    to the ``bdm`` result given, which must come from the model run on that input with
    the same ``params``. Where the result lacks what the rule reads (``rounds = 0``:
    no round-1 utilities), the model is run again as :func:`verdict_function` does.

    Args:
        params: ``bdm`` parameters of the run (and of the diagnosis).
    """
    again = verdict_function(params)
    rounds = int(get_model("bdm").resolve_params(dict(params or {}))["rounds"])

    def verdicts(inp: ModelInput, result: ModelResult) -> NDArray[np.int64]:
        own = result.extras.get("eu_own_round1")
        traj = result.extras.get("trajectory")
        if own is None or traj is None:
            return again(inp)
        return np.asarray(verdicts_from_run(inp, traj, own, rounds), dtype=np.int64)

    return verdicts
