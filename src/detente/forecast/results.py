"""A forecast as data: the shape of :meth:`detente.forecast.Forecast.to_dict`.

Owned by the forecast package, next to the code that writes it; readers (the brief,
the pipeline) go through :func:`forecast_data` and these TypedDicts instead of
``dict[str, Any]`` read with ``.get()`` chains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, cast

if TYPE_CHECKING:
    from detente.forecast.run import Forecast

__all__ = [
    "AnchorDict",
    "ForecastDict",
    "ForecastIssueDict",
    "ModelEntryDict",
    "ModelInfoDict",
    "MovedByDict",
    "RoundDict",
    "forecast_data",
]


class AnchorDict(TypedDict):
    """The labelled point of the scale nearest an outcome."""

    value: float
    label: str
    distance: float


class MovedByDict(TypedDict):
    """The bargain an actor adopted in a round: who proposed it to whom."""

    initiator: str
    receiver: str


class RoundDict(TypedDict):
    """One round of a model with a trajectory (round 0 is the start)."""

    round: int
    median: float
    mean: float
    positions: dict[str, float]
    moved_by: NotRequired[dict[str, MovedByDict]]


class ModelEntryDict(TypedDict):
    """One model's forecast on one issue."""

    outcome: float | None
    nearest_anchor: AnchorDict | None
    note: NotRequired[str]
    rounds: NotRequired[list[RoundDict]]


class ScaleDict(TypedDict):
    """An issue's scale."""

    min: float
    max: float
    unit: str | None


class ForecastIssueDict(TypedDict):
    """Every model's forecast on one issue."""

    question: str
    scale: ScaleDict
    status_quo: float | None
    observed_outcome: float | None
    models: dict[str, ModelEntryDict]


class ModelInfoDict(TypedDict):
    """A model's contract (:meth:`detente.forecast.registry.ModelSpec.metadata`)."""

    name: str
    summary: str
    reference: str
    deterministic: bool
    multi_issue: bool
    needs_status_quo: bool
    trajectory: bool
    params: dict[str, Any]
    params_used: dict[str, Any]


class CaseRefDict(TypedDict):
    """Which case a result is about."""

    id: str
    title: str


class ForecastDict(TypedDict):
    """A whole forecast."""

    detente_version: str
    case: CaseRefDict
    models: dict[str, ModelInfoDict]
    issues: dict[str, ForecastIssueDict]


def forecast_data(forecast: Forecast | ForecastDict) -> ForecastDict:
    """A forecast's data: ``forecast.to_dict()``, or the data itself when given it.

    ``Forecast.to_dict`` builds exactly the shape above (``detente/forecast/run.py``);
    the cast names that shape without re-checking it value by value.
    """
    if isinstance(forecast, dict):
        return forecast
    return cast("ForecastDict", forecast.to_dict())
