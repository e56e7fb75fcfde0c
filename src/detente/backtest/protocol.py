"""The honest protocol: nested cross-validation grouped by proposal, probabilistic scores.

``detente backtest deu FILE --cv K --repeats R`` (issue 16):

1. The proposals are dealt into ``K`` folds (:func:`grouped_folds`, seed ``seed + r`` for
   repeat ``r``); every issue of a proposal is in the same fold, since the issues of one
   proposal are negotiated together.
2. For each outer fold, every free parameter of a model is chosen by an inner ``K``-fold
   cross-validation grouped by proposal on the *other* folds only (nested CV), the model
   is fitted on those folds with the chosen parameters, and the fold is predicted once.
   Test issues reach a model with their outcomes blanked (NaN), and every tuning and
   fitting call is audited: the proposals it saw must not meet the fold's test proposals
   (:class:`LeakError` otherwise).
3. Each model's predictive distribution is its own (``choice``) or split-conformal from
   its residuals on the training folds (Vovk et al. 2017), see ``docs/models/choice.md``.
   Scores per issue are averaged over the repeats; intervals and paired differences to
   the compromise model come from a cluster bootstrap by proposal (Davison & Hinkley
   1997, sec. 3.8), overall and per subset.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

import numpy as np
from numpy.typing import NDArray

from detente import __version__
from detente.backtest.choice_train import (
    L2_GRID,
    bench_candidates,
    fit_bench,
    grouped_folds,
    is_unanimity,
)
from detente.backtest.data import Benchmark
from detente.backtest.research import _exchange
from detente.backtest.scoring import bootstrap_weights, predict
from detente.errors import ModelError
from detente.forecast.choice import choice_probabilities, distribution_quantile, nearest_candidate
from detente.forecast.closed_form import weighted_mean, weighted_median
from detente.forecast.registry import available_models

__all__ = [
    "LOG_SCORE_FLOOR",
    "PROTOCOL_MODELS",
    "SUBSETS",
    "Audit",
    "Learner",
    "LeakError",
    "ModelScores",
    "Prediction",
    "ProtocolData",
    "ProtocolResult",
    "Scores",
    "VsCompromise",
    "crps_discrete",
    "learner",
    "log_score_binned",
    "nested_cv",
    "run_protocol",
]

F = NDArray[np.float64]
B = NDArray[np.bool_]

LOG_SCORE_FLOOR = 0.01
"""Share of a uniform distribution over the 12 bins mixed into every forecast's log score."""

N_BINS = 12
LEVELS = (0.5, 0.8)
PROTOCOL_MODELS = ("compromise", "median", "deu-compromise", "choice")
"""Models with a learner in the protocol; other registered models are scored as registered."""


class LeakError(ModelError):
    """A tuning or fitting step saw a proposal of the fold it is about to be scored on."""


@dataclass(frozen=True)
class Prediction:
    """A model's forecasts for ``N`` issues.

    Attributes:
        point: ``(N,)`` point forecasts.
        value: ``(N, M)`` atoms of the predictive distribution (NaN padding), or None
            for a point model (the protocol makes its distribution from residuals).
        prob: ``(N, M)`` their probabilities.
    """

    point: F
    value: F | None = None
    prob: F | None = None


State = Any
Params = Mapping[str, Any]


@dataclass(frozen=True)
class Learner:
    """How the protocol tunes, fits and predicts one model.

    Attributes:
        name: The model's name.
        grid: Parameter settings the inner cross-validation chooses from.
        fit: ``(train bench, params) -> state``; sees the training outcomes.
        predict: ``(bench with outcomes blanked, params, state) -> Prediction``.
        inner_loss: ``(bench, prediction, state) -> (N,)`` per-issue loss for tuning
            (default: absolute error of the point forecast).
    """

    name: str
    predict: Callable[[Benchmark, Params, State], Prediction]
    grid: Sequence[Params] = ({},)
    fit: Callable[[Benchmark, Params], State] | None = None
    inner_loss: Callable[[Benchmark, Prediction, State], F] | None = None


def _pos(b: Benchmark) -> F:
    return np.where(b.present, b.position, 0.0)


def _w(b: Benchmark) -> F:
    return np.where(b.present, b.capability * b.salience, 0.0)


def _compromise(b: Benchmark, p: Params, s: State) -> Prediction:
    return Prediction(weighted_mean(_pos(b)[None], _w(b)[None])[0])


def _median(b: Benchmark, p: Params, s: State) -> Prediction:
    return Prediction(weighted_median(_pos(b)[None], _w(b)[None])[0])


def _deu(b: Benchmark, p: Params, s: State) -> Prediction:
    return Prediction(_exchange(b, p, None))


def _choice_fit(b: Benchmark, p: Params) -> State:
    return fit_bench(b, float(p["l2"]))


def _choice_predict(b: Benchmark, p: Params, s: State) -> Prediction:
    cand = bench_candidates(b)
    prob = choice_probabilities(cand, s.beta)
    return Prediction(distribution_quantile(cand.value, prob, 0.5), cand.value, prob)


def _choice_nll(b: Benchmark, pred: Prediction, s: State) -> F:
    cand = bench_candidates(b)
    assert pred.prob is not None
    k = nearest_candidate(cand, b.outcome)
    out: F = -np.log(np.maximum(pred.prob[np.arange(b.n_issues), k], 1e-300))
    return out


def _registered(name: str) -> Callable[[Benchmark, Params, State], Prediction]:
    def fn(b: Benchmark, p: Params, s: State) -> Prediction:
        return Prediction(predict(b, name))

    return fn


def learner(name: str) -> Learner:
    """The protocol's learner for model ``name``.

    ``deu-compromise`` re-tunes its two parameters on the research grid inside each
    training part (not the shipped constants, which were chosen on the whole public
    file); ``choice`` tunes its L2 penalty and fits its coefficients there. Other
    registered models have nothing to tune and are scored as registered.

    Raises:
        ModelError: For an unknown model.
    """
    if name == "compromise":
        return Learner(name, _compromise)
    if name == "median":
        return Learner(name, _median)
    if name == "deu-compromise":
        grid = [
            {"gamma": g, "mix": m} for g in (0.25, 0.5, 0.75, 1.0) for m in (0, 0.25, 0.5, 0.75, 1)
        ]
        return Learner(name, _deu, grid)
    if name == "choice":
        return Learner(
            name,
            _choice_predict,
            [{"l2": x} for x in L2_GRID],
            fit=_choice_fit,
            inner_loss=_choice_nll,
        )
    if name not in available_models():
        raise ModelError(
            f"unknown model '{name}'; available: {', '.join(sorted(available_models()))}"
        )
    return Learner(name, _registered(name))


@dataclass
class Audit:
    """Every set of proposals whose outcomes a tuning or fitting step saw, per outer fold."""

    seen: list[tuple[int, int, str, frozenset[str]]] = field(default_factory=list)

    def record(
        self, repeat: int, fold: int, stage: str, bench: Benchmark, test: frozenset[str]
    ) -> None:
        """Log what ``stage`` saw and refuse it if it meets the test proposals."""
        props = frozenset(bench.proposal)
        self.seen.append((repeat, fold, stage, props))
        if props & test:
            shared = ", ".join(sorted(props & test)[:5])
            raise LeakError(
                f"{stage} in repeat {repeat}, fold {fold} saw test proposal(s) {shared}: "
                "folds must keep every issue of a proposal together"
            )


def _blind(b: Benchmark) -> Benchmark:
    return replace(b, outcome=np.full(b.n_issues, np.nan))


def _loss(lrn: Learner, b: Benchmark, pred: Prediction, state: State) -> F:
    if lrn.inner_loss is not None:
        return lrn.inner_loss(b, pred, state)
    out: F = np.abs(pred.point - b.outcome)
    return out


def _fit(lrn: Learner, b: Benchmark, p: Params) -> State:
    return lrn.fit(b, p) if lrn.fit is not None else None


def _tune(
    lrn: Learner,
    train: Benchmark,
    k: int,
    seed: int,
    audit: Audit,
    where: tuple[int, int],
    test: frozenset[str],
) -> Params:
    """Choose a grid point by grouped ``k``-fold CV on ``train`` only."""
    if len(lrn.grid) == 1:
        return lrn.grid[0]
    # Tuning reads the outcomes of every training issue (inner train and inner test).
    audit.record(*where, "tuning", train, test)
    k = min(k, len(set(train.proposal)))
    if k < 2:  # one training proposal: nothing to cross-validate on; the first grid point
        return lrn.grid[0]
    folds = grouped_folds(train.proposal, k, seed)
    scores = []
    for p in lrn.grid:
        losses = np.full(train.n_issues, np.nan)
        for f in range(k):
            te = folds == f
            if not te.any() or te.all():
                continue
            inner_train = train.subset(~te)
            state = _fit(lrn, inner_train, p)
            inner_test = train.subset(te)
            pred = lrn.predict(_blind(inner_test), p, state)
            losses[te] = _loss(lrn, inner_test, pred, state)
        scores.append(float(np.nanmean(losses)))
    return lrn.grid[int(np.argmin(scores))]


@dataclass(frozen=True)
class FoldOutput:
    """Out-of-fold predictions of one model in one repeat, ``N`` issues."""

    point: F
    lo: dict[float, F]
    hi: dict[float, F]
    crps: F
    log_score: F
    params: list[dict[str, Any]]


def _bins(y: F) -> NDArray[np.int64]:
    """Bin of each value on 0-100: 0 = the lower end, 1..10 interior tenths, 11 = the upper end."""
    u = np.clip(y / 100.0, 0.0, 1.0)
    inner = 1 + np.minimum(np.floor(u * 10.0), 9).astype(np.int64)
    out: NDArray[np.int64] = np.where(u <= 1e-9, 0, np.where(u >= 1 - 1e-9, N_BINS - 1, inner))
    return out


def log_score_binned(value: F, prob: F, y: F) -> F:
    """``-log P(bin of y)`` per issue, with :data:`LOG_SCORE_FLOOR` uniform mass mixed in."""
    vb = _bins(np.nan_to_num(value))
    yb = _bins(y)
    p_bin = np.where(vb == yb[:, None], prob, 0.0).sum(axis=1)
    out: F = -np.log((1 - LOG_SCORE_FLOOR) * p_bin + LOG_SCORE_FLOOR / N_BINS)
    return out


def crps_discrete(value: F, prob: F, y: F) -> F:
    """CRPS of discrete distributions: ``E|X - y| - E|X - X'| / 2`` (Gneiting & Raftery 2007)."""
    v = np.nan_to_num(value)
    a = (prob * np.abs(v - y[:, None])).sum(axis=1)
    pair = np.abs(v[:, :, None] - v[:, None, :])
    b = np.einsum("nm,nmk,nk->n", prob, pair, prob)
    out: F = a - 0.5 * b
    return out


def _conformal(point: F, residuals: F) -> tuple[F, F]:
    """Atoms ``clip(point + r_k)`` with equal weights (split-conformal predictive system)."""
    r = residuals[~np.isnan(residuals)]
    if r.size == 0:  # no training forecast to learn the spread from: no distribution
        return np.full((len(point), 1), np.nan), np.zeros((len(point), 1))
    value = np.clip(point[:, None] + r[None, :], 0.0, 100.0)
    prob = np.full(value.shape, 1.0 / len(r))
    return value, prob


def _half_width(abs_res: F, level: float) -> float:
    r = np.sort(abs_res[~np.isnan(abs_res)])
    if r.size == 0:
        return float("nan")
    k = int(np.ceil((len(r) + 1) * level)) - 1
    return float(r[min(k, len(r) - 1)])


def nested_cv(
    bench: Benchmark,
    lrn: Learner,
    folds: NDArray[np.int64],
    *,
    inner_k: int,
    seed: int,
    repeat: int = 0,
    audit: Audit | None = None,
) -> FoldOutput:
    """Out-of-fold predictions and scores of ``lrn`` over the given outer ``folds``.

    Raises:
        LeakError: If a tuning or fitting step would see a test proposal (e.g. folds
            that split a proposal).
    """
    audit = audit if audit is not None else Audit()
    n = bench.n_issues
    point = np.full(n, np.nan)
    lo = {lv: np.full(n, np.nan) for lv in LEVELS}
    hi = {lv: np.full(n, np.nan) for lv in LEVELS}
    crps = np.full(n, np.nan)
    logs = np.full(n, np.nan)
    chosen: list[dict[str, Any]] = []
    for f in np.unique(folds):
        te = folds == f
        test = bench.subset(te)
        test_props = frozenset(test.proposal)
        train = bench.subset(~te)
        where = (repeat, int(f))
        params = _tune(
            lrn, train, inner_k, seed + 1000 * (repeat + 1) + int(f), audit, where, test_props
        )
        chosen.append(dict(params))
        audit.record(*where, "fitting", train, test_props)
        state = _fit(lrn, train, params)
        pred = lrn.predict(_blind(test), params, state)
        point[te] = pred.point
        y = test.outcome
        if pred.value is not None and pred.prob is not None:
            value, prob = pred.value, pred.prob
            for lv in LEVELS:
                lo[lv][te] = distribution_quantile(value, prob, (1 - lv) / 2)
                hi[lv][te] = distribution_quantile(value, prob, (1 + lv) / 2)
        else:
            train_pred = lrn.predict(_blind(train), params, state).point
            res = train.outcome - train_pred
            value, prob = _conformal(pred.point, res)
            for lv in LEVELS:
                q = _half_width(np.abs(res), lv)
                lo[lv][te] = np.clip(pred.point - q, 0.0, 100.0)
                hi[lv][te] = np.clip(pred.point + q, 0.0, 100.0)
        ok = ~np.isnan(pred.point) & (prob.sum(axis=1) > 0)
        c = np.full(len(y), np.nan)
        ls = np.full(len(y), np.nan)
        c[ok] = crps_discrete(value[ok], prob[ok], y[ok])
        ls[ok] = log_score_binned(value[ok], prob[ok], y[ok])
        crps[te], logs[te] = c, ls
    return FoldOutput(point, lo, hi, crps, logs, chosen)


SUBSETS: dict[str, Callable[[Benchmark], B]] = {
    "procedure=COD": lambda b: np.array([p == "COD" for p in b.procedure]),
    "procedure=CNS": lambda b: np.array([p == "CNS" for p in b.procedure]),
    "vote=QMV": lambda b: ~is_unanimity(b.vote),
    "vote=unanimity": lambda b: is_unanimity(b.vote),
    "reference point": lambda b: ~np.isnan(b.status_quo),
    "no reference point": lambda b: np.isnan(b.status_quo),
    "outcome at an end": lambda b: (b.outcome <= 0.0) | (b.outcome >= 100.0),
    "outcome interior": lambda b: (b.outcome > 0.0) & (b.outcome < 100.0),
}
"""Subsets reported separately (issue 16): procedure, voting rule, reference point, ends."""


def _ci(x: F) -> list[float]:
    x = x[~np.isnan(x)]
    if x.size == 0:
        return [float("nan"), float("nan")]
    lo, hi = np.percentile(x, [2.5, 97.5])
    return [float(lo), float(hi)]


def _boot_mean(loss: F, counts: NDArray[np.int64]) -> F:
    w = counts.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: F = (w * loss).sum(axis=1) / w.sum(axis=1)
    return out


class VsCompromise(TypedDict):
    """Paired differences to the compromise model (negative = better), 95% bootstrap CIs."""

    mae: float
    mae_ci: list[float]
    crps: float
    crps_ci: list[float]
    log_score: float
    log_score_ci: list[float]
    mae_by_repeat: list[float]


class Scores(TypedDict, total=False):
    """A model's scores on a set of issues (only ``n`` when it scores none of them)."""

    n: int
    mae: float
    mae_ci: list[float]
    rmse: float
    median_ae: float
    log_score: float
    crps: float
    coverage: dict[str, float]
    width_median: dict[str, float]
    width_mean: dict[str, float]
    vs_compromise: VsCompromise


class ModelScores(Scores, total=False):
    """Scores on every issue, plus per subset and the parameters chosen per repeat and fold."""

    missing: int
    subsets: dict[str, Scores]
    chosen_params: list[list[dict[str, Any]]]


class ProtocolData(TypedDict):
    """The JSON of ``detente backtest deu --cv``."""

    issues: int
    proposals: int
    models: dict[str, ModelScores]
    settings: dict[str, Any]


@dataclass(frozen=True)
class ProtocolResult:
    """Scores of the nested protocol; :meth:`to_dict` is the JSON."""

    data: ProtocolData

    def to_dict(self) -> ProtocolData:
        """JSON-ready scores (see :func:`run_protocol`)."""
        return self.data

    def rows(self) -> list[dict[str, Any]]:
        """One row per model for the table view."""
        out = []
        for name, s in self.data["models"].items():
            vs = s.get("vs_compromise")
            out.append(
                {
                    "model": name,
                    "n": s["n"],
                    "mae": s["mae"],
                    "d_mae": vs["mae"] if vs else None,
                    "d_mae_95ci": "[{:+.2f}, {:+.2f}]".format(*vs["mae_ci"]) if vs else "-",
                    "log_score": s["log_score"],
                    "crps": s["crps"],
                    "cover_50": s["coverage"]["0.5"],
                    "cover_80": s["coverage"]["0.8"],
                    "width_80_median": s["width_median"]["0.8"],
                }
            )
        return out


def _summary(
    bench: Benchmark,
    outs: list[FoldOutput],
    base: list[FoldOutput] | None,
    counts: NDArray[np.int64],
) -> ModelScores:
    y = bench.outcome
    err = np.mean([np.abs(o.point - y) for o in outs], axis=0)
    crps = np.mean([o.crps for o in outs], axis=0)
    logs = np.mean([o.log_score for o in outs], axis=0)
    inside = {
        lv: np.mean([(y >= o.lo[lv] - 1e-9) & (y <= o.hi[lv] + 1e-9) for o in outs], axis=0)
        for lv in LEVELS
    }
    width = {lv: np.mean([o.hi[lv] - o.lo[lv] for o in outs], axis=0) for lv in LEVELS}
    ok = ~np.isnan(err)

    def block(mask: B) -> Scores:
        m = mask & ok
        entry: Scores = {"n": int(m.sum())}
        if not m.any():
            return entry
        entry["mae"] = float(np.mean(err[m]))
        entry["mae_ci"] = _ci(_boot_mean(err[m], counts[:, m]))
        entry["rmse"] = float(np.sqrt(np.mean(err[m] ** 2)))
        entry["median_ae"] = float(np.median(err[m]))
        entry["log_score"] = float(np.mean(logs[m]))
        entry["crps"] = float(np.mean(crps[m]))
        entry["coverage"] = {str(lv): float(np.mean(inside[lv][m])) for lv in LEVELS}
        entry["width_median"] = {str(lv): float(np.median(width[lv][m])) for lv in LEVELS}
        entry["width_mean"] = {str(lv): float(np.mean(width[lv][m])) for lv in LEVELS}
        if base is not None:
            b_err = np.mean([np.abs(o.point - y) for o in base], axis=0)
            b_crps = np.mean([o.crps for o in base], axis=0)
            b_logs = np.mean([o.log_score for o in base], axis=0)

            def diff(mine: F, theirs: F) -> tuple[float, list[float]]:
                d = mine[m] - theirs[m]
                return float(np.mean(d)), _ci(_boot_mean(d, counts[:, m]))

            d_mae, d_mae_ci = diff(err, b_err)
            d_crps, d_crps_ci = diff(crps, b_crps)
            d_logs, d_logs_ci = diff(logs, b_logs)
            entry["vs_compromise"] = {
                "mae": d_mae,
                "mae_ci": d_mae_ci,
                "crps": d_crps,
                "crps_ci": d_crps_ci,
                "log_score": d_logs,
                "log_score_ci": d_logs_ci,
                "mae_by_repeat": [
                    float(np.nanmean(np.abs(o.point - y)[m]) - np.nanmean(np.abs(b.point - y)[m]))
                    for o, b in zip(outs, base, strict=True)
                ],
            }
        return entry

    whole = block(np.ones(bench.n_issues, dtype=bool))
    out: ModelScores = {**whole}  # type: ignore[typeddict-item]
    out["missing"] = int((~ok).sum())
    out["subsets"] = {name: block(fn(bench)) for name, fn in SUBSETS.items()}
    out["chosen_params"] = [o.params for o in outs]
    return out


def run_protocol(
    bench: Benchmark,
    models: Sequence[str] | None = None,
    *,
    k: int = 5,
    repeats: int = 1,
    seed: int = 0,
    n_boot: int = 2000,
    audit: Audit | None = None,
) -> ProtocolResult:
    """Nested, grouped cross-validation of ``models`` with probabilistic scores.

    Args:
        bench: The scorable issues.
        models: Model names (default :data:`PROTOCOL_MODELS`); ``compromise`` is always
            scored, first, as the baseline.
        k: Outer folds (and inner folds inside each training part), grouped by proposal.
        repeats: Independent fold assignments (seeds ``seed``, ``seed + 1``, ...).
        seed: Seed of the folds and of the bootstrap.
        n_boot: Bootstrap replicates (resampling proposals).
        audit: Collects what every tuning and fitting step saw.

    Returns:
        A :class:`ProtocolResult`: per model ``n``, ``mae`` (with ``mae_ci``), ``rmse``,
        ``median_ae``, ``log_score``, ``crps``, ``coverage`` and ``width_median`` /
        ``width_mean`` of the 50% and 80% intervals, ``vs_compromise`` (paired
        differences of MAE, CRPS and log score with cluster-bootstrap intervals, and the
        MAE difference per repeat), the same per subset under ``subsets``, and
        ``chosen_params`` per repeat and fold.

    Raises:
        ModelError: For an unknown model, ``k`` below 2 or above the number of proposals.
    """
    n_props = len(set(bench.proposal))
    if k < 2 or k > n_props:
        raise ModelError(f"--cv needs 2 <= K <= {n_props} (the proposals), not {k}")
    if repeats < 1:
        raise ModelError(f"--repeats must be at least 1, not {repeats}")
    names = list(dict.fromkeys(["compromise", *(models or PROTOCOL_MODELS)]))
    learners = [learner(n) for n in names]
    audit = audit if audit is not None else Audit()
    outs: dict[str, list[FoldOutput]] = {n: [] for n in names}
    for r in range(repeats):
        folds = grouped_folds(bench.proposal, k, seed + r)
        for lrn in learners:
            outs[lrn.name].append(
                nested_cv(bench, lrn, folds, inner_k=k, seed=seed, repeat=r, audit=audit)
            )
    counts = bootstrap_weights(bench.proposal, n_boot, seed)
    models_out = {
        n: _summary(bench, outs[n], None if n == "compromise" else outs["compromise"], counts)
        for n in names
    }
    return ProtocolResult(
        {
            "issues": bench.n_issues,
            "proposals": n_props,
            "models": models_out,
            "settings": {
                "protocol": "nested cross-validation grouped by proposal",
                "cv": k,
                "repeats": repeats,
                "seed": seed,
                "bootstrap": n_boot,
                "resampled_by": "proposal",
                "interval": "95% percentile",
                "capability": bench.capability_option,
                "log_score": f"12 bins (ends exact, interior tenths), "
                f"{LOG_SCORE_FLOOR:.0%} uniform mixed in",
                "detente_version": __version__,
            },
        }
    )


def _fmt_ci(ci: Sequence[float]) -> str:
    return f"[{ci[0]:+.2f}, {ci[1]:+.2f}]"


def _plain_ci(ci: Sequence[float]) -> str:
    return f"[{ci[0]:.2f}, {ci[1]:.2f}]"


def markdown(result: ProtocolResult) -> str:
    """The tables of ``docs/backtest.md`` ("The honest protocol") from a result."""
    d = result.to_dict()
    s = d["settings"]
    models = d["models"]
    lines = [
        f"{d['issues']} issues, {d['proposals']} proposals; {s['cv']}-fold CV grouped by "
        f"proposal, nested tuning, {s['repeats']} repeat(s), seed {s['seed']}, "
        f"bootstrap {s['bootstrap']} by proposal.",
        "",
        "| model | n | MAE [95% CI] | MAE − compromise [95% CI] | MAE − compromise per repeat "
        "| log score | − compromise [95% CI] | CRPS | − compromise [95% CI] |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in models.items():
        vs = m.get("vs_compromise")
        if vs:
            rep = ", ".join(f"{x:+.2f}" for x in vs["mae_by_repeat"])
            lines.append(
                f"| {name} | {m['n']} | {m['mae']:.2f} {_plain_ci(m['mae_ci'])} "
                f"| {vs['mae']:+.2f} {_fmt_ci(vs['mae_ci'])} | {rep} | {m['log_score']:.3f} "
                f"| {vs['log_score']:+.3f} {_fmt_ci(vs['log_score_ci'])} | {m['crps']:.2f} "
                f"| {vs['crps']:+.2f} {_fmt_ci(vs['crps_ci'])} |"
            )
        else:
            lines.append(
                f"| {name} | {m['n']} | {m['mae']:.2f} {_plain_ci(m['mae_ci'])} "
                f"| — | — | {m['log_score']:.3f} | — | {m['crps']:.2f} | — |"
            )
    lines += [
        "",
        "Intervals: coverage of the 50% and 80% intervals, and their median width (0–100):",
        "",
        "| model | subset | n | cover 50% | cover 80% | median width 50% | median width 80% |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, m in models.items():
        for sub, e in [("all", m), *m["subsets"].items()]:
            if not e.get("n"):
                continue
            lines.append(
                f"| {name} | {sub} | {e['n']} | {e['coverage']['0.5']:.1%} "
                f"| {e['coverage']['0.8']:.1%} | {e['width_median']['0.5']:.1f} "
                f"| {e['width_median']['0.8']:.1f} |"
            )
    lines += [
        "",
        "Per subset, MAE and the paired MAE difference to the compromise model [95% CI]:",
        "",
        "| subset | n | compromise MAE | "
        + " | ".join(f"{n} − compromise" for n in models if n != "compromise")
        + " |",
        "|---|---|---|" + "---|" * (len(models) - 1),
    ]
    base = models["compromise"]
    for sub, e in base["subsets"].items():
        if not e.get("n"):
            continue
        cells = []
        for name, m in models.items():
            if name == "compromise":
                continue
            vs = m["subsets"][sub].get("vs_compromise")
            cells.append(f"{vs['mae']:+.2f} {_fmt_ci(vs['mae_ci'])}" if vs else "—")
        lines.append(f"| {sub} | {e['n']} | {e['mae']:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
