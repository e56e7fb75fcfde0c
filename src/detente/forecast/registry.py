"""The model registry: every bargaining model registers a name, a function and its contract.

A model is a function ``fn(inp: ModelInput, **params) -> ModelResult``. ``ModelInput``
holds batched arrays with a leading draw axis ``B``; the function must treat each draw
independently, so that a batched call equals the one-by-one calls exactly.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente.case.arrays import CaseArrays
from detente.errors import Diagnostic, ModelError

__all__ = [
    "BUILTIN_HOMES",
    "BUILTIN_MODULES",
    "ModelInput",
    "ModelResult",
    "ModelSpec",
    "Param",
    "available_models",
    "get_model",
    "did_you_mean",
    "param_error",
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


_TYPE_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


def did_you_mean(word: str, choices: Sequence[str]) -> str | None:
    """A "did you mean 'x'?" hint for the closest of ``choices``, if any is close."""
    import difflib  # only when a name is wrong: not on every start-up

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def param_error(
    message: str,
    where: str,
    *,
    expected: str | None = None,
    hint: str | None = None,
    code: str = "bad-param",
) -> ModelError:
    """A :class:`ModelError` with one diagnostic located at ``where`` (``--param m.x``)."""
    return ModelError(
        f"{where}: {message}",
        [Diagnostic(message, where, expected=expected, hint=hint, code=code)],
    )


@dataclass(frozen=True)
class Param:
    """A model parameter: default, allowed values, type and bounds, and what it means.

    Attributes:
        default: The value used when none is given.
        doc: What the parameter means.
        choices: The allowed values, when the parameter is a choice.
        value_type: ``bool``, ``int``, ``float`` or ``str``; inferred from ``default`` when
            not given (an ``int`` default accepts whole numbers only, a ``float`` default any
            finite number, integers included).
        low: Smallest allowed value (inclusive), for numbers. A parameter named ``seed``
            is a numpy seed and gets ``low=0`` unless it declares another.
        high: Largest allowed value (inclusive), for numbers.
    """

    default: Any
    doc: str
    choices: tuple[Any, ...] | None = None
    value_type: type | None = None
    low: float | None = None
    high: float | None = None

    def effective_type(self) -> type | None:
        """The declared type, else the default's (``None`` when neither says)."""
        if self.value_type is not None:
            return self.value_type
        for t in (bool, int, float, str):  # bool first: True is also an int
            if isinstance(self.default, t):
                return t
        return None

    def bounds(self, name: str = "") -> tuple[float | None, float | None]:
        """``(low, high)``; a ``seed`` (numpy takes seeds >= 0) is bounded below by 0."""
        low = self.low
        if low is None and name == "seed" and self.effective_type() is int:
            low = 0
        return low, self.high

    def describe(self, name: str = "") -> str:
        """What the parameter accepts, in words (for error messages and ``models``)."""
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        words = _TYPE_WORDS.get(self.effective_type() or object, "a value")
        low, high = self.bounds(name)
        if low is not None and high is not None:
            return f"{words} in [{low:g}, {high:g}]"
        if low is not None:
            return f"{words} >= {low:g}"
        if high is not None:
            return f"{words} <= {high:g}"
        return words

    def check(self, value: Any, where: str, name: str = "") -> Any:
        """``value`` converted to the parameter's type, or a located ModelError.

        Args:
            value: The given value (from JSON on the command line, or a case file).
            where: Where it was given, for the diagnostic (``--param smp.max_turns``).
            name: The parameter's name (a ``seed`` is bounded below by 0).

        Raises:
            ModelError: Wrong type, non-finite number, out of bounds, not a choice.
        """
        expected = self.describe(name)
        if self.choices is not None:
            for choice in self.choices:
                same_kind = type(value) is type(choice) or (
                    isinstance(value, int | float)
                    and isinstance(choice, int | float)
                    and not isinstance(value, bool)
                    and not isinstance(choice, bool)
                )
                if same_kind and value == choice:
                    return choice
            hint = (
                did_you_mean(value, [str(c) for c in self.choices])
                if isinstance(value, str)
                else None
            )
            raise param_error(
                f"must be {expected}, not {value!r}",
                where,
                expected=expected,
                hint=hint,
                code="bad-param",
            )
        t = self.effective_type()
        out: Any = value
        if t is bool:
            if not isinstance(value, bool):
                raise param_error(f"{value!r} is not true or false", where, expected=expected)
        elif t is int:
            if isinstance(value, float) and math.isfinite(value) and value.is_integer():
                out = int(value)
            elif isinstance(value, bool) or not isinstance(value, int):
                raise param_error(
                    f"{value!r} is not a whole number",
                    where,
                    expected=expected,
                    hint="write digits only, e.g. 50",
                )
        elif t is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise param_error(
                    f"{value!r} is not a number",
                    where,
                    expected=expected,
                    hint="use a dot as decimal separator, e.g. 0.5",
                )
            out = float(value)
            if not math.isfinite(out):
                raise param_error(
                    f"{value!r} is not a finite number",
                    where,
                    expected=expected,
                    hint="NaN and infinity are not accepted",
                )
        elif t is str and not isinstance(value, str):
            raise param_error(f"{value!r} is not text", where, expected=expected)
        numeric = isinstance(out, int | float) and not isinstance(out, bool)
        low, high = self.bounds(name)
        if numeric and ((low is not None and out < low) or (high is not None and out > high)):
            raise param_error(
                f"{out!r} is out of range", where, expected=expected, code="param-range"
            )
        return out


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
                k: {
                    "default": p.default,
                    "doc": p.doc,
                    "choices": p.choices,
                    "type": getattr(p.effective_type(), "__name__", None),
                    "low": p.bounds(k)[0],
                    "high": p.bounds(k)[1],
                }
                for k, p in self.params.items()
            },
        }

    def resolve_params(
        self, given: Mapping[str, Any] | None, where: str = "--param"
    ) -> dict[str, Any]:
        """Defaults overlaid with ``given``, each value checked against its :class:`Param`.

        Args:
            given: Parameter values by name.
            where: How the values were given, for diagnostics (``--param``, or the case
                file's ``model_params``); each diagnostic names ``WHERE MODEL.NAME``.

        Raises:
            ModelError: Unknown name (with a did-you-mean), wrong type, out of bounds.
        """
        out = {k: p.default for k, p in self.params.items()}
        for k, v in (given or {}).items():
            loc = f"{where} {self.name}.{k}"
            if k not in self.params:
                known = ", ".join(self.params) or "(none)"
                raise param_error(
                    f"model '{self.name}' has no parameter '{k}'",
                    loc,
                    expected=f"one of: {known}",
                    hint=did_you_mean(k, list(self.params)),
                    code="unknown-param",
                )
            out[k] = self.params[k].check(v, loc, k)
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


BUILTIN_HOMES: dict[str, str] = {
    "compromise": "detente.forecast.closed_form",
    "median": "detente.forecast.closed_form",
    "nash": "detente.forecast.closed_form",
    "deu-compromise": "detente.forecast.deu_compromise",
    "smp": "detente.forecast.smp",
    "bdm": "detente.forecast.bdm",
    "choice": "detente.forecast.choice",
}
"""The module that registers each built-in model: :func:`get_model` imports only that one
(``detente forecast`` with the default models does not import smp, bdm or choice; issue 17,
start-up). A test holds it equal to what importing :data:`BUILTIN_MODULES` registers."""


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
    if name not in _REGISTRY and name in BUILTIN_HOMES:
        importlib.import_module(BUILTIN_HOMES[name])
    if name in _REGISTRY:
        return _REGISTRY[name]
    models = available_models()
    if name not in models:
        hint = did_you_mean(name, sorted(models))
        raise ModelError(
            f"unknown model '{name}'; available: {', '.join(sorted(models))}",
            [
                Diagnostic(
                    f"unknown model '{name}'",
                    expected="one of " + ", ".join(sorted(models)),
                    hint=hint or "`detente models` lists them",
                    code="unknown-model",
                )
            ],
        )
    return models[name]
