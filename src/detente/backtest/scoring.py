"""Score forecasting models against observed outcomes, with a bootstrap by proposal.

Errors are absolute differences between a model's forecast and the DEU III outcome on
the 0-100 scale. Issues of one proposal are negotiated together and their errors are
correlated, so confidence intervals resample whole proposals (a cluster bootstrap;
Davison & Hinkley 1997, sec. 3.8) and report percentile intervals. Paired differences
to ``compromise`` use the same resamples for both models, on the issues both score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente import __version__
from detente.backtest.data import Benchmark
from detente.errors import ModelError
from detente.forecast.registry import available_models, get_model

__all__ = [
    "BASELINE",
    "BacktestResult",
    "bootstrap_weights",
    "default_models",
    "metrics",
    "predict",
    "run_backtest",
    "weighted_metrics",
]

F = NDArray[np.float64]

BASELINE = "compromise"
"""The model every other one is compared with."""

METRICS = ("mae", "rmse", "median_ae")


def default_models() -> list[str]:
    """compromise, median, nash, and the models built for this benchmark when registered."""
    names = available_models()
    wanted = ["compromise", "median", "nash", "bdm", "deu-compromise"]
    return [n for n in wanted if n in names]


def predict(bench: Benchmark, model: str, params: Mapping[str, Any] | None = None) -> F:
    """A model's forecast per issue, ``(N,)``; NaN where it gives none.

    Raises:
        ModelError: For an unknown model or parameter, or a result of the wrong shape.
    """
    return predict_with_extras(bench, model, params)[0]


def predict_with_extras(
    bench: Benchmark, model: str, params: Mapping[str, Any] | None = None
) -> tuple[F, dict[str, F]]:
    """A model's forecast per issue and its per-issue extras (``(N,)`` arrays).

    Single-issue models see all issues at once (they solve each on its own). Models
    declared ``multi_issue`` see one proposal at a time: the issues of a proposal are
    negotiated together, issues of different proposals are not.

    Raises:
        ModelError: For an unknown model or parameter, or a result of the wrong shape.
    """
    spec = get_model(model)
    if spec.multi_issue:
        groups = [
            np.flatnonzero(np.asarray(bench.proposal) == p) for p in dict.fromkeys(bench.proposal)
        ]
    else:
        groups = [np.arange(bench.n_issues)]
    out = np.full(bench.n_issues, np.nan)
    extras: dict[str, F] = {}
    for idx in groups:
        sub = (
            bench
            if len(idx) == bench.n_issues
            else bench.subset(np.isin(np.arange(bench.n_issues), idx))
        )
        given = dict(params or {})
        if "rule" in spec.params and "rule" not in given:
            # Models that read the decision rule get the Council's, issue by issue.
            given["rule"] = [
                "unanimity" if v.lower().startswith("unan") else "qmv" for v in sub.vote
            ]
        result = spec(sub.model_input(), **given)
        got = np.asarray(result.outcome, dtype=float)
        if got.shape != (1, len(idx)):
            raise ModelError(
                f"model '{model}' returned shape {got.shape}, expected (1, {len(idx)})"
            )
        out[idx] = got[0]
        for key, value in result.extras.items():
            arr = np.asarray(value)
            if arr.shape == (1, len(idx)):
                extras.setdefault(key, np.full(bench.n_issues, np.nan))[idx] = arr[0]
    return out, extras


def metrics(abs_err: F) -> dict[str, float]:
    """MAE, RMSE and median absolute error of a vector of absolute errors."""
    return {
        "mae": float(np.mean(abs_err)),
        "rmse": float(np.sqrt(np.mean(abs_err**2))),
        "median_ae": float(np.median(abs_err)),
    }


def bootstrap_weights(proposal: Sequence[str], n_boot: int, seed: int) -> NDArray[np.int64]:
    """Cluster-bootstrap counts per issue, ``(n_boot, N)``.

    Each replicate draws as many proposals as there are, with replacement, from
    ``np.random.default_rng(seed)``; an issue's count is the number of times its
    proposal was drawn.
    """
    _, inv = np.unique(np.asarray(proposal), return_inverse=True)
    n_prop = int(inv.max()) + 1
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_prop, size=(n_boot, n_prop))
    counts = np.zeros((n_boot, n_prop), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(n_boot), n_prop), draws.ravel()), 1)
    return counts[:, inv]


def weighted_metrics(abs_err: F, counts: NDArray[np.int64]) -> dict[str, F]:
    """Metrics of the resampled error vectors: issue ``j`` repeated ``counts[r, j]`` times.

    The median is that of the repeated multiset (mean of the two middle values when the
    total count is even), so a replicate of all ones equals :func:`metrics`.

    Returns:
        ``{metric: (R,)}``; NaN for a replicate that drew no issue.
    """
    w = counts.astype(float)
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mae = (w * abs_err).sum(axis=1) / total
        rmse = np.sqrt((w * abs_err**2).sum(axis=1) / total)
    order = np.argsort(abs_err, kind="stable")
    sorted_err = abs_err[order]
    cum = np.cumsum(counts[:, order], axis=1)
    tot = cum[:, -1]
    lo_k = np.maximum(tot - 1, 0) // 2
    hi_k = tot // 2
    lo = (
        sorted_err[np.argmax(cum > lo_k[:, None], axis=1)]
        if sorted_err.size
        else np.full(len(tot), np.nan)
    )
    hi = (
        sorted_err[np.argmax(cum > hi_k[:, None], axis=1)]
        if sorted_err.size
        else np.full(len(tot), np.nan)
    )
    med = np.where(tot > 0, (lo + hi) / 2.0, np.nan)
    return {"mae": mae, "rmse": rmse, "median_ae": med}


def _ci(x: F) -> list[float]:
    x = x[~np.isnan(x)]
    if x.size == 0:
        return [float("nan"), float("nan")]
    lo, hi = np.percentile(x, [2.5, 97.5])
    return [float(lo), float(hi)]


@dataclass
class BacktestResult:
    """Scores of several models on one benchmark.

    Attributes:
        n_issues: Scorable issues.
        n_proposals: Distinct proposals among them.
        models: ``{model: scores}`` as in :meth:`to_dict`.
        predictions: ``{model: (N,) forecasts}``.
        issue_ids: The scored issues.
        skipped: ``{issue id: why it was not scored}``.
        settings: Capability option, seed, bootstrap replicates, version.
    """

    n_issues: int
    n_proposals: int
    models: dict[str, dict[str, Any]]
    predictions: dict[str, F]
    issue_ids: tuple[str, ...]
    skipped: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"issues": N, "models": {name: {"mae", "rmse", "median_ae", ...}}, ...}``."""
        return {
            "issues": self.n_issues,
            "models": self.models,
            "proposals": self.n_proposals,
            "skipped": self.skipped,
            "settings": self.settings,
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per model for the table view."""
        out = []
        for name, s in self.models.items():
            vs = s.get("vs_compromise") or {}
            out.append(
                {
                    "model": name,
                    "n": s["n"],
                    "mae": s["mae"],
                    "mae_95ci": "[{:.2f}, {:.2f}]".format(*s["mae_ci"]),
                    "rmse": s["rmse"],
                    "median_ae": s["median_ae"],
                    "d_mae": vs.get("mae"),
                    "d_mae_95ci": "[{:.2f}, {:.2f}]".format(*vs["mae_ci"]) if vs else "-",
                }
            )
        return out


def run_backtest(
    bench: Benchmark,
    models: Sequence[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    seed: int = 0,
    n_boot: int = 2000,
) -> BacktestResult:
    """Score ``models`` on ``bench`` with bootstrap intervals and paired differences.

    Args:
        bench: The issues to score.
        models: Model names (default :func:`default_models`); ``compromise`` is always
            scored, first, as the baseline.
        params: Per-model parameters, ``{"nash": {"utility": "linear"}}``.
        seed: Seed of the bootstrap's generator; the same seed gives the same intervals.
        n_boot: Bootstrap replicates.

    Returns:
        A :class:`BacktestResult`. Per model: ``n`` (issues it scores), ``missing``,
        ``mae``, ``rmse``, ``median_ae``, their ``*_ci`` 95% percentile intervals and, for
        models other than the baseline, ``vs_compromise``: the model's metric minus the
        baseline's on the issues both score, with intervals (negative is better). Models
        that return prediction intervals also get ``interval_coverage`` (share of
        outcomes inside) and ``interval_mean_width``.
    """
    names = list(dict.fromkeys([BASELINE, *(models or default_models())]))
    for n in names:
        get_model(n)
    counts = bootstrap_weights(bench.proposal, n_boot, seed)
    preds: dict[str, F] = {}
    extras: dict[str, dict[str, F]] = {}
    for n in names:
        preds[n], extras[n] = predict_with_extras(bench, n, (params or {}).get(n))
    base_err = np.abs(preds[BASELINE] - bench.outcome)
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        err = np.abs(preds[name] - bench.outcome)
        ok = ~np.isnan(err)
        entry: dict[str, Any] = {"n": int(ok.sum()), "missing": int((~ok).sum())}
        if ok.any():
            entry.update(metrics(err[ok]))
            boot = weighted_metrics(err[ok], counts[:, ok])
            for m in METRICS:
                entry[f"{m}_ci"] = _ci(boot[m])
        else:
            entry.update({m: None for m in METRICS})
            entry.update({f"{m}_ci": [None, None] for m in METRICS})
        low, high = extras[name].get("interval_low"), extras[name].get("interval_high")
        if low is not None and high is not None and ok.any():
            inside = (bench.outcome >= low) & (bench.outcome <= high)
            entry["interval_coverage"] = float(np.mean(inside[ok]))
            entry["interval_mean_width"] = float(np.mean((high - low)[ok]))
        if name != BASELINE:
            both = ok & ~np.isnan(base_err)
            vs: dict[str, Any] = {"n": int(both.sum())}
            if both.any():
                mine, base = metrics(err[both]), metrics(base_err[both])
                b_mine = weighted_metrics(err[both], counts[:, both])
                b_base = weighted_metrics(base_err[both], counts[:, both])
                for m in METRICS:
                    vs[m] = mine[m] - base[m]
                    vs[f"{m}_ci"] = _ci(b_mine[m] - b_base[m])
            entry["vs_compromise"] = vs
        out[name] = entry
    return BacktestResult(
        n_issues=bench.n_issues,
        n_proposals=len(set(bench.proposal)),
        models=out,
        predictions=preds,
        issue_ids=bench.issue_ids,
        skipped=dict(bench.skipped),
        settings={
            "capability": bench.capability_option,
            "seed": seed,
            "bootstrap": n_boot,
            "resampled_by": "proposal",
            "interval": "95% percentile",
            "detente_version": __version__,
        },
    )
