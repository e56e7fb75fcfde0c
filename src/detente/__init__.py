"""detente: model, diagnose and audit high-stakes negotiations.

The front door: load a case, validate it, forecast it.

    >>> import detente
    >>> case = detente.load_case("examples/istanbul-2025/case.yaml")
    >>> result = detente.forecast(case, models=["compromise", "median"])
"""

from __future__ import annotations

__version__ = "0.1.0"

from detente.case.formats import read_cases
from detente.case.loader import load_case
from detente.case.model import Case
from detente.errors import DetenteError
from detente.forecast import Forecast, available_models, forecast

__all__ = [
    "Case",
    "DetenteError",
    "Forecast",
    "__version__",
    "available_models",
    "forecast",
    "load_case",
    "read_cases",
]
