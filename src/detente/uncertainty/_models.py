"""Resolve model names and parameters for sweeps (the same in every worker process)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# Imported for their side effect: they register the bdm and smp models.
import detente.forecast.bdm
import detente.forecast.smp  # noqa: F401
from detente.case.model import Case
from detente.forecast.registry import ModelSpec, available_models, get_model
from detente.forecast.run import DEFAULT_MODELS, case_params, check_params

__all__ = ["default_models", "ensure_registered", "resolve_models"]


def ensure_registered() -> dict[str, ModelSpec]:
    """Every registered model by name (bdm and smp included: imported above)."""
    return available_models()


def default_models() -> list[str]:
    """The forecast defaults plus ``bdm``, which drives the diagnosis (P(deadlock))."""
    return [*DEFAULT_MODELS, "bdm"]


def resolve_models(
    models: Sequence[str] | None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    case: Case | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """``[(name, resolved params)]``; ``["all"]`` means every registered model.

    With ``case``, the parameters its file declares for a model (``model_params``; a KTAB
    XML scenario's ``ModelParameters`` for ``smp``, :func:`detente.forecast.run.case_params`)
    fill in those not given.

    Raises:
        ModelError: For an unknown model or parameter.
    """
    registered = ensure_registered()
    if models and list(models) == ["all"]:
        names = sorted(registered)
    else:
        names = list(models) if models else default_models()
    # the case's declared model parameters, and a check of the caller's (a typo in a
    # model name is an error, not ignored)
    params = case_params(case, params) if case is not None else params
    check_params(params)
    return [(n, get_model(n).resolve_params((params or {}).get(n))) for n in names]
