"""detente: model, diagnose and audit high-stakes negotiations.

The front door: load a case, validate it, forecast it.

    >>> import detente
    >>> case = detente.load_case("examples/istanbul-2025/case.yaml")
    >>> result = detente.forecast(case, models=["compromise", "median"])

The names below are imported on first use (PEP 562), so ``import detente`` (and the
command line's start-up) does not pay for numpy and pydantic until they are needed.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from detente._version import __version__

if TYPE_CHECKING:
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

_LAZY: dict[str, str] = {
    "Case": "detente.case.model",
    "DetenteError": "detente.errors",
    "Forecast": "detente.forecast",
    "available_models": "detente.forecast",
    "load_case": "detente.case.loader",
    "read_cases": "detente.case.formats",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'detente' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


class _FrontDoor(types.ModuleType):
    """``detente.forecast`` is the function, although a subpackage has the same name.

    Importing the subpackage makes the import system bind it on this module; a data
    descriptor on the module's class wins over that binding, so the function stays the
    public name whichever was imported first (as it was when this module imported it
    eagerly).
    """

    @property
    def forecast(self) -> Any:
        from detente.forecast.run import forecast

        return forecast

    @forecast.setter
    def forecast(self, value: Any) -> None:
        """Ignore the subpackage binding; ``sys.modules`` keeps the subpackage."""


sys.modules[__name__].__class__ = _FrontDoor
