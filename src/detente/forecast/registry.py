"""The model registry: every bargaining model registers a name, a function and its contract.

A model is a function ``fn(inp: ModelInput, **params) -> ModelResult``. ``ModelInput``
holds batched arrays with a leading draw axis ``B``; the function must treat each draw
independently, so that a batched call equals the one-by-one calls exactly.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente.case.arrays import CaseArrays
from detente.errors import ModelError

__all__ = [
    "ModelInput",
    "ModelResult",
    "ModelSpec",
    "Param",
    "available_models",
    "get_model",
    "register",
]

F = NDArray[np.float64]


@dataclass(frozen=True)
class ModelInput:
    """Batched model inputs. ``B`` draws, ``A`` actors, ``I`` issues.

    Attributes:
        position: ``(B, A, I)`` ideal points; where ``present`` is false the value is
            meaningless (it is set to the scale minimum) and must be ignored.
        salience: ``(B, A, I)`` in [0, 1]; 0 where not present.
        capability: ``(B, A, I)`` >= 0; 0 where not present.
        present: ``(A, I)`` whether the actor has a position on the issue.
        status_quo: ``(B, I)``; NaN where the case gives none.
        scale_min: ``(I,)``.
        scale_max: ``(I,)``.
        actor_ids: Actor ids, ``(A,)``.
        issue_ids: Issue ids, ``(I,)``.
    """

    position: F
    salience: F
    capability: F
    present: NDArray[np.bool_]
    status_quo: F
    scale_min: F
    scale_max: F
    actor_ids: tuple[str, ...] = ()
    issue_ids: tuple[str, ...] = ()

    @property
    def batch(self) -> int:
        """Number of draws ``B``."""
        return int(self.position.shape[0])

    @property
    def weight(self) -> F:
        """Capability x salience, zero where not present, ``(B, A, I)``."""
        return np.where(self.present, self.capability * self.salience, 0.0)

    @classmethod
    def from_arrays(cls, arr: CaseArrays) -> ModelInput:
        """A batch of one draw: the case's stated values."""
        pos = np.where(arr.present, arr.position, arr.scale_min[None, :])
        return cls(
            position=pos[None],
            salience=np.where(arr.present, arr.salience, 0.0)[None],
            capability=np.where(arr.present, arr.capability, 0.0)[None],
            present=arr.present,
            status_quo=arr.status_quo[None],
            scale_min=arr.scale_min,
            scale_max=arr.scale_max,
            actor_ids=arr.actor_ids,
            issue_ids=arr.issue_ids,
        )

    def take(self, index: int | slice) -> ModelInput:
        """The draws ``index`` (keeps the batch axis)."""
        sl = slice(index, index + 1) if isinstance(index, int) else index
        return ModelInput(
            position=self.position[sl],
            salience=self.salience[sl],
            capability=self.capability[sl],
            present=self.present,
            status_quo=self.status_quo[sl],
            scale_min=self.scale_min,
            scale_max=self.scale_max,
            actor_ids=self.actor_ids,
            issue_ids=self.issue_ids,
        )


@dataclass(frozen=True)
class ModelResult:
    """What a model returns.

    Attributes:
        outcome: ``(B, I)`` predicted outcome per draw and issue (NaN where the model
            cannot say, e.g. no actor has weight on the issue).
        extras: Model-specific arrays (trajectories, diagnostics), each with the batch
            axis first. A model with rounds returns ``extras["trajectory"]`` of shape
            ``(B, T + 1, A, I)``: every actor's position per round, round 0 the start;
            the runner turns it into the ``rounds`` JSON.
    """

    outcome: F
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Param:
    """A model parameter: default, allowed values or type, and what it means."""

    default: Any
    doc: str
    choices: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A registered model and its declared contract (cf. Axelrod's strategy classifier)."""

    name: str
    fn: Callable[..., ModelResult]
    summary: str
    reference: str
    deterministic: bool = True
    multi_issue: bool = False
    needs_status_quo: bool = False
    trajectory: bool = False
    params: Mapping[str, Param] = field(default_factory=dict)
    uses_status_quo: bool = False
    """Reads the status quo when the case gives one, and works without it."""

    def metadata(self) -> dict[str, Any]:
        """The contract as JSON-ready data."""
        return {
            "name": self.name,
            "summary": self.summary,
            "reference": self.reference,
            "deterministic": self.deterministic,
            "multi_issue": self.multi_issue,
            "needs_status_quo": self.needs_status_quo,
            "uses_status_quo": self.uses_status_quo or self.needs_status_quo,
            "trajectory": self.trajectory,
            "params": {
                k: {"default": p.default, "doc": p.doc, "choices": p.choices}
                for k, p in self.params.items()
            },
        }

    def resolve_params(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults overlaid with ``given``; unknown names and bad choices raise ModelError."""
        out = {k: p.default for k, p in self.params.items()}
        for k, v in (given or {}).items():
            if k not in self.params:
                known = ", ".join(self.params) or "(none)"
                raise ModelError(f"model '{self.name}' has no parameter '{k}'; it takes: {known}")
            choices = self.params[k].choices
            if choices is not None and v not in choices:
                raise ModelError(
                    f"model '{self.name}': parameter '{k}' must be one of "
                    f"{', '.join(map(str, choices))}, not {v!r}"
                )
            out[k] = v
        return out

    def __call__(self, inp: ModelInput, **params: Any) -> ModelResult:
        """Run the model with validated parameters."""
        return self.fn(inp, **self.resolve_params(params))


_REGISTRY: dict[str, ModelSpec] = {}


def register(
    name: str,
    *,
    summary: str,
    reference: str,
    deterministic: bool = True,
    multi_issue: bool = False,
    needs_status_quo: bool = False,
    trajectory: bool = False,
    params: Mapping[str, Param] | None = None,
    uses_status_quo: bool = False,
) -> Callable[[Callable[..., ModelResult]], Callable[..., ModelResult]]:
    """Register a model function under ``name`` with its contract."""

    def deco(fn: Callable[..., ModelResult]) -> Callable[..., ModelResult]:
        if name in _REGISTRY:
            raise ValueError(f"model '{name}' registered twice")
        _REGISTRY[name] = ModelSpec(
            name=name,
            fn=fn,
            summary=summary,
            reference=reference,
            deterministic=deterministic,
            multi_issue=multi_issue,
            needs_status_quo=needs_status_quo,
            trajectory=trajectory,
            params=dict(params or {}),
            uses_status_quo=uses_status_quo,
        )
        return fn

    return deco


BUILTIN_MODULES = (
    "detente.forecast.closed_form",
    "detente.forecast.deu_compromise",
    "detente.forecast.smp",
    "detente.forecast.bdm",
    "detente.forecast.choice",
)
"""Modules whose import registers the built-in models."""


def _load_builtin() -> None:
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


def available_models() -> dict[str, ModelSpec]:
    """Every registered model by name."""
    _load_builtin()
    return dict(_REGISTRY)


def get_model(name: str) -> ModelSpec:
    """The model registered as ``name``.

    Raises:
        ModelError: If no model has that name.
    """
    models = available_models()
    if name not in models:
        raise ModelError(f"unknown model '{name}'; available: {', '.join(sorted(models))}")
    return models[name]
