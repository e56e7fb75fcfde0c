"""``choice``: a conditional logit over the outcomes on the table (McFadden 1974).

Specification: ``docs/models/choice.md`` (written before the model was scored). Per issue
the candidate outcomes are the distinct values among the actors' positions, the
reference point, the compromise (capability x salience weighted mean), the two ends of
the scale and the labelled points of the scale where the case has them. Each candidate
``c`` has a feature vector ``x_c`` (:data:`FEATURES`) and probability

    P(c) = exp(beta . x_c) / sum_{c'} exp(beta . x_c')

(McFadden 1974, "Conditional logit analysis of qualitative choice behavior", in
Zarembka (ed.), *Frontiers in Econometrics*, eq. 13). ``beta`` is fitted by L2-penalised
maximum likelihood (Newton's method) on issues with known outcomes, the chosen candidate
being the one nearest the outcome. The forecast is the median of the predicted
distribution; its mean and the probability of every candidate are returned too, on the
batch axis like every model.

The shipped coefficients (``choice_coefficients.json`` beside this module) were made by
``python -m detente.backtest.choice_train data/deu3/deu3-public.csv`` on the public part
of DEU III (EU legislation); the file records the command and the data's digest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from detente.errors import ModelError
from detente.forecast.closed_form import weighted_median
from detente.forecast.registry import ModelInput, ModelResult, Param, register

__all__ = [
    "FEATURES",
    "Candidates",
    "ChoiceCoefficients",
    "ChoiceFit",
    "candidate_set",
    "choice_model",
    "choice_probabilities",
    "distribution_median",
    "fit_choice",
    "nearest_candidate",
    "option_probabilities",
    "read_coefficients",
    "shipped_coefficients",
]

F = NDArray[np.float64]
B = NDArray[np.bool_]

FEATURES = (
    "dist_compromise",
    "dist_median",
    "weight_share",
    "status_quo",
    "scale_end",
    "agenda_setter",
    "mediator",
    "compromise",
    "unanimity_x_status_quo",
    "unanimity_x_dist_compromise",
)
"""Candidate features, in the order of the coefficient vector (docs/models/choice.md)."""

TOL = 1e-6
"""Two values closer than ``TOL`` x the scale's range are the same candidate."""


@dataclass(frozen=True)
class Candidates:
    """Candidate outcomes of ``R`` issue rows, padded to ``C`` columns.

    Attributes:
        value: ``(R, C)`` candidate values, sorted ascending; NaN in padding.
        mask: ``(R, C)`` true for real candidates.
        features: ``(R, C, K)``; zero in padding.
    """

    value: F
    mask: B
    features: F


def _same(a: F, b: F, tol: F) -> B:
    out: B = np.abs(a - b) <= tol
    return out


def candidate_set(
    position: F,
    weight: F,
    present: B,
    status_quo: F,
    scale_min: F,
    scale_max: F,
    *,
    setter: B | None = None,
    mediator: B | None = None,
    unanimity: B | None = None,
    anchors: F | None = None,
) -> Candidates:
    """Candidates and their features for ``R`` issue rows with ``A`` actors each.

    Args:
        position: ``(R, A)``; ignored where not ``present``.
        weight: ``(R, A)`` capability x salience, >= 0.
        present: ``(R, A)``.
        status_quo: ``(R,)``; NaN where none.
        scale_min: ``(R,)``.
        scale_max: ``(R,)``.
        setter: ``(R, A)`` true for agenda setters (DEU: the Commission).
        mediator: ``(R, A)`` true for mediators.
        unanimity: ``(R,)`` true where the decision needs unanimity.
        anchors: ``(R, M)`` labelled points of the scale; NaN padding.

    Returns:
        :class:`Candidates`; features depend only on a candidate's value and on the
        issue, never on the order of actors.
    """
    r, a = position.shape
    setter = np.zeros((r, a), bool) if setter is None else setter
    mediator = np.zeros((r, a), bool) if mediator is None else mediator
    unanimity = np.zeros(r, bool) if unanimity is None else unanimity
    anchors = np.full((r, 0), np.nan) if anchors is None else anchors
    w = np.where(present, weight, 0.0)
    pos = np.where(present, position, np.nan)
    # The compromise (Achen 2006), summed along a contiguous actor axis so that a row's
    # value does not depend on how many rows are computed with it (batched = one by one).
    w = np.ascontiguousarray(w)
    total_w = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        comp = np.where(
            total_w > 0, (w * np.where(present, position, 0.0)).sum(axis=1) / total_w, np.nan
        )
    # The closed-form median takes (B, A, I): here one batch, rows as issues.
    med = weighted_median(np.where(present, position, np.inf).T[None], w.T[None])[0]
    raw = np.concatenate(
        [pos, status_quo[:, None], comp[:, None], scale_min[:, None], scale_max[:, None], anchors],
        axis=1,
    )
    raw = np.where((raw >= scale_min[:, None]) & (raw <= scale_max[:, None]), raw, np.nan)
    value = np.sort(raw, axis=1)  # NaN last
    span = scale_max - scale_min
    tol = (TOL * span)[:, None]
    dup = np.zeros_like(value, dtype=bool)
    dup[:, 1:] = _same(value[:, 1:], value[:, :-1], tol)
    mask = ~np.isnan(value) & ~dup
    # Compact: real candidates first (stable), then trim to the widest row.
    order = np.argsort(~mask, axis=1, kind="stable")
    value = np.take_along_axis(np.where(mask, value, np.nan), order, axis=1)
    mask = np.take_along_axis(mask, order, axis=1)
    width = max(int(mask.sum(axis=1).max(initial=0)), 1)
    value, mask = value[:, :width], mask[:, :width]
    v = np.where(mask, value, 0.0)
    at = _same(pos[:, None, :], v[:, :, None], tol[:, :, None]) & present[:, None, :]  # (R,C,A)
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total[:, None] > 0, (at * w[:, None, :]).sum(axis=2) / total[:, None], 0.0)
    d_comp = np.abs(v - comp[:, None]) / span[:, None]
    d_med = np.abs(v - med[:, None]) / span[:, None]
    is_sq = _same(v, status_quo[:, None], tol)  # NaN status quo compares false
    is_end = _same(v, scale_min[:, None], tol) | _same(v, scale_max[:, None], tol)
    is_setter = (at & setter[:, None, :]).any(axis=2)
    is_med = (at & mediator[:, None, :]).any(axis=2)
    is_comp = _same(v, comp[:, None], tol)
    un = unanimity[:, None].astype(float)
    feats = np.stack(
        [
            np.nan_to_num(d_comp),
            np.nan_to_num(d_med),
            share,
            is_sq.astype(float),
            is_end.astype(float),
            is_setter.astype(float),
            is_med.astype(float),
            is_comp.astype(float),
            un * is_sq,
            un * np.nan_to_num(d_comp),
        ],
        axis=2,
    )
    feats = np.where(mask[:, :, None], feats, 0.0)
    return Candidates(value=np.where(mask, value, np.nan), mask=mask, features=feats)


def choice_probabilities(cand: Candidates, beta: F) -> F:
    """Conditional-logit probabilities ``(R, C)``; zero in padding, rows sum to one.

    Uses the max-shifted softmax so that large utilities do not overflow.
    """
    u = cand.features @ beta
    u = np.where(cand.mask, u, -np.inf)
    top = np.max(u, axis=1, keepdims=True)
    e = np.where(cand.mask, np.exp(u - np.where(np.isfinite(top), top, 0.0)), 0.0)
    total = e.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p: F = np.where(total > 0, e / total, 0.0)
    return p


def distribution_median(value: F, prob: F) -> F:
    """Lower median of discrete distributions ``(R,)``: smallest value with P(X <= v) >= 1/2."""
    return distribution_quantile(value, prob, 0.5)


def distribution_quantile(value: F, prob: F, q: float) -> F:
    """Lower ``q``-quantile of discrete distributions given as sorted atoms ``(R, C)``.

    NaN atoms (padding) must carry zero probability. Returns ``(R,)``; NaN for a row
    without mass.
    """
    order = np.argsort(np.where(np.isnan(value), np.inf, value), axis=1, kind="stable")
    v = np.take_along_axis(value, order, axis=1)
    p = np.take_along_axis(prob, order, axis=1)
    cum = np.cumsum(p, axis=1)
    # A small slack so that 0.5 reached by rounding (0.4999999) still counts.
    k = np.argmax(cum >= q - 1e-12, axis=1)
    out: F = np.take_along_axis(v, k[:, None], axis=1)[:, 0]
    return np.where(cum[:, -1] > 0, out, np.nan)


def nearest_candidate(cand: Candidates, outcome: F) -> NDArray[np.int64]:
    """Index of the candidate nearest each outcome (the lower one on ties), ``(R,)``."""
    d = np.where(cand.mask, np.abs(cand.value - outcome[:, None]), np.inf)
    out: NDArray[np.int64] = np.argmin(d, axis=1).astype(np.int64)
    return out


@dataclass(frozen=True)
class ChoiceFit:
    """A fitted conditional logit.

    Attributes:
        beta: ``(K,)`` coefficients in :data:`FEATURES` order.
        l2: The penalty ``lambda`` of ``lambda / 2 * |beta|^2``.
        n: Issues fitted.
        iterations: Newton steps taken.
        neg_log_likelihood: Unpenalised negative log-likelihood at ``beta``.
    """

    beta: F
    l2: float
    n: int
    iterations: int
    neg_log_likelihood: float


def fit_choice(
    cand: Candidates, chosen: NDArray[np.int64], l2: float, max_iter: int = 100
) -> ChoiceFit:
    """L2-penalised maximum likelihood: minimise ``-sum_r log P_r(chosen_r) + l2/2 |beta|^2``.

    Newton's method with step halving (the objective is strictly convex for ``l2 > 0``);
    the gradient is ``sum_r (E_r[x] - x_r,chosen) + l2 beta`` and the Hessian
    ``sum_r Cov_r(x) + l2 I`` (McFadden 1974, sec. 3).

    Raises:
        ModelError: If there are no rows, ``l2`` is not positive, or Newton fails.
    """
    if cand.value.shape[0] == 0:
        raise ModelError("choice: no issue to fit on")
    if not l2 > 0 or not np.isfinite(l2):
        raise ModelError(f"choice: the L2 penalty must be a positive number, not {l2!r}")
    x = cand.features
    rows = np.arange(x.shape[0])
    x_chosen = x[rows, chosen]
    k = x.shape[2]

    def objective(beta: F) -> tuple[float, float]:
        p = choice_probabilities(cand, beta)
        ll = float(np.sum(np.log(np.maximum(p[rows, chosen], 1e-300))))
        return -ll + 0.5 * l2 * float(beta @ beta), -ll

    beta = np.zeros(k)
    obj, _ = objective(beta)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        p = choice_probabilities(cand, beta)
        mean_x = np.einsum("rc,rck->rk", p, x)
        grad = (mean_x - x_chosen).sum(axis=0) + l2 * beta
        centred = x - mean_x[:, None, :]
        hess = np.einsum("rc,rck,rcl->kl", p, centred, centred) + l2 * np.eye(k)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:
            new = beta - t * step
            new_obj, _ = objective(new)
            if new_obj <= obj + 1e-12 or t < 1e-8:
                break
            t /= 2.0
        done = abs(obj - new_obj) < 1e-10 * max(1.0, abs(obj))
        beta, obj = new, new_obj
        if done:
            break
    if not np.all(np.isfinite(beta)):
        raise ModelError("choice: the fit did not converge")
    _, nll = objective(beta)
    return ChoiceFit(
        beta=beta, l2=float(l2), n=int(x.shape[0]), iterations=it, neg_log_likelihood=nll
    )


class ChoiceCoefficients(BaseModel):
    """The record ``python -m detente.backtest.choice_train`` writes (validated on read)."""

    # defer_build: built when a record is read, not when the model registry imports this
    # module (every `detente forecast` does; issue 17, start-up)
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    model: Literal["choice"]
    features: tuple[str, ...]
    beta: tuple[float, ...]
    l2: float = Field(gt=0, allow_inf_nan=False)
    cv_mean_heldout_nll: dict[str, float]
    cv: dict[str, int | str]
    issues: int = Field(gt=0)
    proposals: int = Field(gt=0)
    data: dict[str, str]
    command: str
    detente_version: str

    @model_validator(mode="after")
    def _matches_the_code(self) -> ChoiceCoefficients:
        if self.features != FEATURES:
            raise ValueError("the file lists other features than detente.forecast.choice")
        if len(self.beta) != len(FEATURES) or not all(math.isfinite(b) for b in self.beta):
            raise ValueError("beta must hold one finite number per feature")
        return self


def read_coefficients(text: str) -> ChoiceCoefficients:
    """Parse and check a coefficients file.

    Raises:
        ModelError: If it is not valid JSON or not a coefficients record for these features.
    """
    try:
        return ChoiceCoefficients.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(top level)"
        raise ModelError(f"choice coefficients: {where}: {first['msg']}") from None


@cache
def shipped_coefficients() -> ChoiceCoefficients:
    """The shipped fit, from ``choice_coefficients.json`` in the package.

    Raises:
        ModelError: If the file does not match this module's features.
    """
    text = resources.files("detente.forecast").joinpath("choice_coefficients.json").read_text()
    return read_coefficients(text)


def choice_model(
    inp: ModelInput,
    beta: F,
    *,
    setters: Sequence[str] = (),
    mediators: Sequence[str] = (),
    unanimity: bool | Sequence[bool] = False,
    anchors: Sequence[Sequence[float]] | None = None,
) -> tuple[Candidates, F]:
    """Candidates and probabilities for every draw and issue of ``inp``.

    Returns:
        ``(candidates, probabilities)`` with rows ordered draw-major: row ``b * I + i``.
    """
    bsz, a, n = inp.position.shape
    ids = list(inp.actor_ids) if inp.actor_ids else [""] * a
    for name, given in (("setters", setters), ("mediators", mediators)):
        if isinstance(given, str) or not all(isinstance(x, str) for x in given):
            raise ModelError(f"choice: {name} must be a list of actor ids, not {given!r}")
    role_setter = np.array([x in set(setters) for x in ids])
    role_med = np.array([x in set(mediators) for x in ids])

    def rows(arr: F) -> F:  # (B, A, I) -> (B*I, A)
        out: F = arr.transpose(0, 2, 1).reshape(bsz * n, a)
        return out

    present = np.broadcast_to(inp.present.T[None], (bsz, n, a)).reshape(bsz * n, a)
    un_arr = np.asarray(unanimity, dtype=bool)
    if un_arr.shape not in ((), (n,)):
        raise ModelError(f"choice: a decision rule for {un_arr.size} issues, the input has {n}")
    un = np.broadcast_to(un_arr, (n,))
    anc = np.full((n, 0), np.nan)
    if anchors is not None:
        try:
            rows_ = [np.asarray(x, dtype=float).reshape(-1) for x in anchors]
        except (TypeError, ValueError) as exc:
            raise ModelError(
                f"choice: anchors must be lists of numbers per issue ({exc})"
            ) from None
        if len(rows_) != n:
            raise ModelError(f"choice: anchors for {len(rows_)} issues, the input has {n}")
        if any(not np.isfinite(r).all() for r in rows_):
            raise ModelError("choice: anchors must be finite numbers")
        m = max((len(r) for r in rows_), default=0)
        anc = np.full((n, m), np.nan)
        for i, r in enumerate(rows_):
            anc[i, : len(r)] = r
    cand = candidate_set(
        rows(inp.position),
        rows(inp.weight),
        present,
        inp.status_quo.reshape(bsz * n),
        np.tile(inp.scale_min, bsz),
        np.tile(inp.scale_max, bsz),
        setter=np.broadcast_to(role_setter, (bsz * n, a)),
        mediator=np.broadcast_to(role_med, (bsz * n, a)),
        unanimity=np.tile(un, bsz),
        anchors=np.tile(anc, (bsz, 1)),
    )
    return cand, choice_probabilities(cand, beta)


def _ids(given: Any, name: str) -> list[str]:
    if given is None:
        return []
    if isinstance(given, str) or not isinstance(given, list | tuple):
        raise ModelError(f"choice: {name} must be a list of actor ids, not {given!r}")
    return list(given)


@register(
    "choice",
    summary="Conditional logit over the candidate outcomes (positions, reference point, "
    "compromise, scale ends and labelled points); forecast = median of its distribution.",
    reference="McFadden (1974); trained on DEU III public part (docs/models/choice.md)",
    uses_status_quo=True,
    params={
        "rule": Param(
            "unanimity",
            "Decision rule: unanimity (every party must agree; bilateral talks) or qmv, "
            "or a list with one per issue (the DEU backtest passes the Council's).",
            value_type=object,  # a rule name, or a list of them: the model checks each
        ),
        "setters": Param(["com"], "Actor ids whose position is an agenda setter's."),
        "mediators": Param(
            None, "Actor ids of mediators (detente forecast fills them from the case's roles)."
        ),
        "anchors": Param(
            None, "Per issue, the labelled points of the scale (filled from the case)."
        ),
    },
)
def _choice(
    inp: ModelInput,
    rule: Any = "unanimity",
    setters: Any = ("com",),
    mediators: Any = None,
    anchors: Any = None,
) -> ModelResult:
    beta = np.asarray(shipped_coefficients().beta, dtype=float)
    rules = [rule] if isinstance(rule, str) else list(rule)
    if not rules or any(r not in ("unanimity", "qmv") for r in rules):
        raise ModelError(f"choice: rule must be unanimity or qmv (or one per issue), not {rule!r}")
    cand, prob = choice_model(
        inp,
        beta,
        setters=_ids(setters, "setters"),
        mediators=_ids(mediators, "mediators"),
        unanimity=[r == "unanimity" for r in rules] if len(rules) > 1 else rules[0] == "unanimity",
        anchors=anchors,
    )
    bsz, n = inp.batch, inp.position.shape[2]
    med = distribution_median(cand.value, prob).reshape(bsz, n)
    mean = np.nansum(np.nan_to_num(cand.value) * prob, axis=1).reshape(bsz, n)
    c = cand.value.shape[1]
    no_weight = ~(inp.weight > 0).any(axis=1)
    med = np.where(no_weight, np.nan, med)
    return ModelResult(
        med,
        {
            "mean": np.where(no_weight, np.nan, mean),
            "candidate_value": cand.value.reshape(bsz, n, c),
            "candidate_probability": prob.reshape(bsz, n, c),
        },
    )


def option_probabilities(
    anchors: Sequence[tuple[float, str]], value: F, prob: F
) -> list[dict[str, Any]]:
    """Probability of each labelled option: the mass of the candidates nearest to it.

    Every candidate's probability goes to the labelled point of the scale nearest to it
    (the lower one on ties), so the options' probabilities sum to one. The labelled
    points are candidates themselves, so an option's own mass stays with it.

    Args:
        anchors: ``(value, label)`` of the issue's labelled points.
        value: ``(C,)`` candidate values (NaN padding).
        prob: ``(C,)`` their probabilities.

    Returns:
        ``[{"value", "label", "probability"}]`` in the order of ``anchors``.
    """
    if not anchors:
        return []
    at = np.array([a for a, _ in anchors], dtype=float)
    ok = ~np.isnan(value)
    d = np.abs(value[ok, None] - at[None, :])
    # Lower anchor on ties: order candidates by (distance, anchor value).
    key = d + 1e-12 * (at[None, :] - at.min()) / max(float(np.ptp(at)), 1.0)
    nearest = np.argmin(key, axis=1)
    mass = np.bincount(nearest, weights=prob[ok], minlength=len(at))
    return [
        {"value": float(v), "label": label, "probability": float(m)}
        for (v, label), m in zip(anchors, mass, strict=True)
    ]
