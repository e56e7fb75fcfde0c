"""Forecasts: bargaining models over case arrays, and the runner that applies them."""

from detente.forecast.registry import (
    ModelInput,
    ModelResult,
    ModelSpec,
    available_models,
    get_model,
    register,
)
from detente.forecast.run import DEFAULT_MODELS, Forecast, forecast

__all__ = [
    "DEFAULT_MODELS",
    "Forecast",
    "ModelInput",
    "ModelResult",
    "ModelSpec",
    "available_models",
    "forecast",
    "get_model",
    "register",
]
