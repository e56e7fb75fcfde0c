"""Run registered models on a case and shape the results for people and programs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detente import __version__
from detente.case.arrays import case_arrays
from detente.case.model import Case, Issue
from detente.errors import Diagnostic, ModelError
from detente.forecast.registry import (
    ModelInput,
    available_models,
    did_you_mean,
    get_model,
    param_error,
)

__all__ = [
    "DEFAULT_MODELS",
    "Forecast",
    "case_params",
    "check_params",
    "forecast",
    "nearest_anchor",
]

DEFAULT_MODELS = ("compromise", "median", "nash")


def nearest_anchor(issue: Issue, value: float) -> dict[str, Any] | None:
    """The labelled point of the issue's scale closest to ``value`` (lower one on ties)."""
    if not issue.scale.anchors or math.isnan(value):
        return None
    best = min(issue.scale.anchors, key=lambda a: (abs(a.value - value), a.value))
    return {"value": best.value, "label": best.label, "distance": abs(best.value - value)}


@dataclass
class Forecast:
    """Forecasts of several models on every issue of one case.

    Attributes:
        case: The case forecast.
        models: Model names, in the order asked for.
        outcomes: ``{issue_id: {model: outcome or None}}``.
        notes: ``{issue_id: {model: why there is no outcome}}``.
        extras: ``{model: model-specific JSON-ready data}``.
        params: ``{model: resolved parameters}``.
    """

    case: Case
    models: list[str]
    outcomes: dict[str, dict[str, float | None]]
    notes: dict[str, dict[str, str]] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: per issue, per model, the ``outcome`` and nearest anchor."""
        issues: dict[str, Any] = {}
        for issue in self.case.issues:
            per_model: dict[str, Any] = {}
            for m in self.models:
                value = self.outcomes[issue.id][m]
                entry: dict[str, Any] = {
                    "outcome": value,
                    "nearest_anchor": nearest_anchor(issue, value) if value is not None else None,
                }
                note = self.notes.get(issue.id, {}).get(m)
                if note:
                    entry["note"] = note
                extra = self.extras.get(m, {}).get(issue.id)
                if extra:
                    entry.update(extra)
                per_model[m] = entry
            issues[issue.id] = {
                "question": issue.question,
                "scale": {"min": issue.scale.min, "max": issue.scale.max, "unit": issue.scale.unit},
                "status_quo": issue.status_quo.value if issue.status_quo else None,
                "observed_outcome": issue.outcome.value if issue.outcome else None,
                "models": per_model,
            }
        return {
            "detente_version": __version__,
            "case": {"id": self.case.case.id, "title": self.case.case.title},
            "models": {
                m: {**get_model(m).metadata(), "params_used": self.params.get(m, {})}
                for m in self.models
            },
            "issues": issues,
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per issue and model (for tables and CSV)."""
        out = []
        for issue in self.case.issues:
            for m in self.models:
                value = self.outcomes[issue.id][m]
                anchor = nearest_anchor(issue, value) if value is not None else None
                out.append(
                    {
                        "issue": issue.id,
                        "model": m,
                        "outcome": value,
                        "nearest_anchor": anchor["value"] if anchor else None,
                        "anchor_label": anchor["label"] if anchor else None,
                        "note": self.notes.get(issue.id, {}).get(m, ""),
                    }
                )
        return out


def _rounds(
    traj: np.ndarray,
    weight: np.ndarray,
    present: np.ndarray,
    actor_ids: Sequence[str],
    issue_ids: Sequence[str],
    moved_by: np.ndarray | None = None,
) -> dict[str, dict[str, Any]]:
    """Per issue, the ``rounds`` list from a ``(T+1, A, I)`` trajectory (round 0 = start).

    ``median`` and ``mean`` are the capability x salience weighted median and mean of
    the positions in that round (the median voter position and mean of Scholz et al. 2011).
    With ``moved_by`` (``(T, A, 2)``: initiator and receiver of the bargain each actor
    adopted in each turn, -1 for none; KTAB's "why did this actor move"), each round
    after the first also names, per actor that moved, the bargain that moved it.
    """
    from detente.forecast.closed_form import weighted_mean, weighted_median

    w = np.broadcast_to(weight, traj.shape)
    med = weighted_median(traj, w)
    mean = weighted_mean(traj, w)
    out: dict[str, dict[str, Any]] = {}
    for k, issue in enumerate(issue_ids):
        rounds = []
        for t in range(traj.shape[0]):
            entry: dict[str, Any] = {
                "round": t,
                "median": float(med[t, k]),
                "mean": float(mean[t, k]),
                "positions": {
                    a: float(traj[t, j, k]) for j, a in enumerate(actor_ids) if present[j, k]
                },
            }
            if moved_by is not None and 0 < t <= moved_by.shape[0]:
                entry["moved_by"] = {
                    a: {
                        "initiator": actor_ids[int(moved_by[t - 1, j, 0])],
                        "receiver": actor_ids[int(moved_by[t - 1, j, 1])],
                    }
                    for j, a in enumerate(actor_ids)
                    if present[j, k]
                    and moved_by[t - 1, j, 0] >= 0
                    and traj[t, j, k] != traj[t - 1, j, k]
                }
            rounds.append(entry)
        out[issue] = {"rounds": rounds}
    return out


def check_params(params: Mapping[str, Mapping[str, Any]] | None, where: str = "--param") -> None:
    """Refuse parameters for models that do not exist, and check the others' values.

    A typo in the model name (``-p bmd.q=0.5``) would otherwise be ignored without a
    word; here it is an error with a did-you-mean. Parameters of a registered model are
    checked against its declared types and bounds even when the model is not run.

    Raises:
        ModelError: Located at ``WHERE MODEL.NAME``.
    """
    if not params:
        return
    models = available_models()
    for name, given in params.items():
        if name not in models:
            first = next(iter(given), "NAME")
            raise param_error(
                f"no model is called '{name}'",
                f"{where} {name}.{first}",
                expected="one of " + ", ".join(sorted(models)),
                hint=did_you_mean(name, sorted(models)) or "`detente models` lists them",
                code="unknown-model",
            )
        models[name].resolve_params(given, where)


def case_params(
    case: Case, params: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """Per-model parameters: the caller's, then the defaults the case file declares.

    A case declares default parameters for models in ``model_params`` (a KTAB XML
    scenario's ``ModelParameters`` arrive there as ``smp``'s, see
    :mod:`detente.case.formats.ktab_xml`); they apply whenever that model runs on the
    case, unless the caller sets the same parameter (``-p MODEL.NAME=VALUE`` wins).

    Raises:
        ModelError: If the caller's parameters or the case's name a model or a value
            that does not exist.
    """
    check_params(params)
    out = {name: dict(p) for name, p in (params or {}).items()}
    declared = case.model_params
    if not declared:
        return out
    check_params(declared, "the case file's model_params:")
    for model, values in declared.items():
        mine = out.setdefault(model, {})
        for name, value in values.items():
            mine.setdefault(name, value)
    return out


def _from_case(case: Case, declared: Mapping[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    """Fill the parameters a model reads from the case (labelled points, mediators) if unset."""
    if "anchors" in declared and p.get("anchors") is None:
        p["anchors"] = [[a.value for a in i.scale.anchors] for i in case.issues]
    if "mediators" in declared and p.get("mediators") is None:
        p["mediators"] = [a.id for a in case.actors if a.role == "mediator"]
    return p


def _options(case: Case, extras: Mapping[str, Any]) -> dict[str, Any]:
    """Per issue: candidate probabilities, the distribution's mean, each labelled option's."""
    from detente.forecast.choice import option_probabilities

    out: dict[str, Any] = {}
    for k, issue in enumerate(case.issues):
        value = np.asarray(extras["candidate_value"])[0, k]
        prob = np.asarray(extras["candidate_probability"])[0, k]
        ok = ~np.isnan(value)
        anchors = [(a.value, a.label) for a in issue.scale.anchors]
        mean = float(np.asarray(extras["mean"])[0, k]) if "mean" in extras else None
        out[issue.id] = {
            "mean": None if mean is None or math.isnan(mean) else mean,
            "candidates": [
                {"value": float(v), "probability": float(q)}
                for v, q in zip(value[ok], prob[ok], strict=True)
            ],
            "option_probabilities": option_probabilities(anchors, value, prob),
        }
    return out


def forecast(
    case: Case,
    models: Sequence[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    trajectory: bool = False,
) -> Forecast:
    """Forecast every issue of ``case`` with each model.

    Args:
        case: A validated case.
        models: Model names (default: compromise, median, nash; see
            :func:`detente.forecast.available_models`).
        params: Per-model parameters, ``{"nash": {"utility": "linear"}}``; they win over
            the defaults the case declares (``case.model_params``).
        trajectory: Include, per issue, the ``rounds`` of models that have trajectories
            (each round: ``median``, ``mean`` and ``positions`` by actor id).

    Returns:
        A :class:`Forecast`. Issues a model cannot handle (no status quo for ``nash``,
        no actor with weight) get ``None`` and a note saying why.

    Raises:
        ModelError: For an unknown model or parameter, or a value of the wrong type or
            out of bounds (located at ``--param MODEL.NAME``).
    """
    names = list(models or DEFAULT_MODELS)
    specs = [get_model(n) for n in names]
    empty = [s for s in ("actors", "issues") if not getattr(case, s)]
    if empty:
        # validation refuses such a case; a case built in code can still be empty, and
        # the models index their first actor or issue
        what = " and no ".join(empty)
        raise ModelError(
            f"case '{case.case.id}' has no {what}: nothing to forecast",
            [
                Diagnostic(
                    f"the case has no {what}",
                    case.case.id,
                    expected="at least one actor and one issue",
                    code="empty-case",
                )
            ],
        )
    params = case_params(case, params)
    arrays = case_arrays(case)
    inp = ModelInput.from_arrays(arrays)
    outcomes: dict[str, dict[str, float | None]] = {i.id: {} for i in case.issues}
    notes: dict[str, dict[str, str]] = {i.id: {} for i in case.issues}
    extras: dict[str, Any] = {}
    used: dict[str, dict[str, Any]] = {}
    no_weight = ~(inp.weight[0] > 0).any(axis=0)
    for spec in specs:
        p = _from_case(case, spec.params, spec.resolve_params((params or {}).get(spec.name)))
        used[spec.name] = p
        try:
            result = spec.fn(inp, **p)
        except ModelError as exc:
            if exc.items:
                raise
            # a model's own refusal (too few actors, a parameter out of its range):
            # located at the model, like every other error of the command line
            raise ModelError(
                exc.message,
                [Diagnostic(exc.message, f"--model {spec.name}", code="model-refused")],
            ) from None
        if "candidate_probability" in result.extras:
            extras[spec.name] = _options(case, result.extras)
        if result.outcome.shape != (1, arrays.n_issues):
            raise ModelError(f"model '{spec.name}' returned shape {result.outcome.shape}")
        traj = result.extras.get("trajectory")
        if trajectory and traj is not None:
            moved = result.extras.get("moved_by")
            extras[spec.name] = _rounds(
                traj[0],
                inp.weight[0],
                inp.present,
                arrays.actor_ids,
                arrays.issue_ids,
                None if moved is None else moved[0],
            )
        for k, issue in enumerate(case.issues):
            value = float(result.outcome[0, k])
            if np.isnan(value):
                outcomes[issue.id][spec.name] = None
                if no_weight[k]:
                    notes[issue.id][spec.name] = "no actor has a position with weight on this issue"
                elif spec.needs_status_quo and issue.status_quo is None:
                    notes[issue.id][spec.name] = "needs a status quo; the issue gives none"
                else:
                    notes[issue.id][spec.name] = "the model gives no outcome for this issue"
            else:
                outcomes[issue.id][spec.name] = value
    return Forecast(case, names, outcomes, notes, extras, used)
