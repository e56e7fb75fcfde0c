"""Resolve model names and parameters for sweeps (the same in every worker process)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from detente.case.model import Case
from detente.forecast.registry import ModelSpec, available_models, get_model
from detente.forecast.run import DEFAULT_MODELS, case_params, check_params

__all__ = ["default_models", "ensure_registered", "resolve_models"]

# Models that live in modules the registry may not import yet (added by other work).
_OPTIONAL_MODULES = ("detente.forecast.bdm", "detente.forecast.smp")


def ensure_registered() -> dict[str, ModelSpec]:
    """Import built-in and optional model modules; every registered model by name."""
    for module in _OPTIONAL_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:  # pragma: no cover - depends on what is installed
            continue
    return available_models()


def default_models() -> list[str]:
    """The forecast defaults, plus ``bdm`` when it is registered (it drives the diagnosis)."""
    names = list(DEFAULT_MODELS)
    if "bdm" in ensure_registered():
        names.append("bdm")
    return names


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
