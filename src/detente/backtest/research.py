"""The model research behind ``deu-compromise``: every variant tried, scored honestly.

Protocol (issue 6, item 3): only ``deu3-public.csv`` is used. Its proposals are split
once, at random with a fixed seed, into a training part (60%) and a development part
(40%) (:func:`split_by_proposal`). Every variant's free parameters are chosen by 5-fold
cross-validation *by proposal* inside the training part; the development part is scored
once per variant with those parameters. Calibrated intervals (item 4) take their
half-widths from out-of-fold residuals on the training part and are checked on the
development part, and with a nested leave-fold-out run over the whole public file.

Run ``python -m detente.backtest.research FILE`` to print the tables of
``docs/backtest.md``.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente.backtest.data import Benchmark, load_benchmark
from detente.backtest.scoring import bootstrap_weights, predict, weighted_metrics
from detente.forecast.closed_form import weighted_mean, weighted_median
from detente.forecast.deu_compromise import GAMMA, MIX, deu_compromise_weights
from detente.forecast.registry import available_models

__all__ = [
    "SPLIT_SEED",
    "VARIANTS",
    "Variant",
    "conformal_half_width",
    "evaluate",
    "group_folds",
    "main",
    "split_by_proposal",
]

F = NDArray[np.float64]
B = NDArray[np.bool_]

SPLIT_SEED = 20261126
"""Seed of the one train/dev split of the public proposals."""


def split_by_proposal(
    proposal: Sequence[str], dev_fraction: float = 0.4, seed: int = SPLIT_SEED
) -> B:
    """Development mask: a random ``dev_fraction`` of the proposals (sorted, then permuted)."""
    props = sorted(set(proposal))
    perm = np.random.default_rng(seed).permutation(len(props))
    n_dev = round(dev_fraction * len(props))
    dev = {props[k] for k in perm[:n_dev]}
    return np.array([p in dev for p in proposal])


def group_folds(proposal: Sequence[str], k: int = 5, seed: int = SPLIT_SEED) -> NDArray[np.int64]:
    """Fold number per issue; all issues of a proposal share a fold."""
    props = sorted(set(proposal))
    perm = np.random.default_rng(seed + 1).permutation(len(props))
    fold = {props[j]: i % k for i, j in enumerate(perm)}
    return np.array([fold[p] for p in proposal], dtype=np.int64)


def _pos(b: Benchmark) -> F:
    return np.where(b.present, b.position, 0.0)


def _mean(b: Benchmark, w: F) -> F:
    out: F = weighted_mean(_pos(b)[None], np.where(b.present, w, 0.0)[None])[0]
    return out


def _by_proposal(b: Benchmark, fn: Callable[[Benchmark], F]) -> F:
    out = np.full(b.n_issues, np.nan)
    props = np.asarray(b.proposal)
    for p in dict.fromkeys(b.proposal):
        m = props == p
        out[m] = fn(b.subset(m))
    return out


State = Any


@dataclass(frozen=True)
class Variant:
    """A candidate model: a parameter grid, an optional fit on training issues, a predictor.

    Attributes:
        name: Short name used in the docs table.
        note: What it is and why it was tried.
        predict: ``(bench, params, state) -> (N,)`` forecasts (NaN where none).
        grid: Parameter settings to choose from by cross-validation.
        fit: ``(train bench, params) -> state`` for variants with fitted coefficients.
        capability: The capability option the variant reads the data with.
    """

    name: str
    note: str
    predict: Callable[[Benchmark, Mapping[str, Any], State], F]
    grid: Sequence[Mapping[str, Any]] = field(default_factory=lambda: [{}])
    fit: Callable[[Benchmark, Mapping[str, Any]], State] | None = None
    capability: str = "gdp"


def _grid(**axes: Sequence[Any]) -> list[dict[str, Any]]:
    keys = list(axes)
    return [dict(zip(keys, vals, strict=True)) for vals in itertools.product(*axes.values())]


def _compromise(b: Benchmark, p: Mapping[str, Any], s: State) -> F:
    return _mean(b, b.capability * b.salience)


def _median(b: Benchmark, p: Mapping[str, Any], s: State) -> F:
    w = np.where(b.present, b.capability * b.salience, 0.0)
    out: F = weighted_median(_pos(b)[None], w[None])[0]
    return out


def _nash(b: Benchmark, p: Mapping[str, Any], s: State) -> F:
    return predict(b, "nash", {"utility": p.get("utility", "quadratic")})


def _rp_pull(b: Benchmark, p: Mapping[str, Any], s: State) -> F:
    comp = _compromise(b, p, s)
    a = float(p["a"])
    return np.where(np.isnan(b.status_quo), comp, (1 - a) * comp + a * b.status_quo)


def _procedure(b: Benchmark, p: Mapping[str, Any], s: State) -> F:
    """EP weight scaled under consultation; reference-point pull under unanimity."""
    w = b.capability * b.salience
    cns = np.array([x == "CNS" for x in b.procedure])
    ep = list(b.actor_ids).index("ep")
    w = w.copy()
    w[ep] = np.where(cns, w[ep] * float(p["ep_cns"]), w[ep])
    comp = _mean(b, w)
    unan = np.array([v.startswith("Unan") for v in b.vote])
    a = float(p["a_unan"])
    pulled = np.where(np.isnan(b.status_quo), comp, (1 - a) * comp + a * b.status_quo)
    return np.where(unan, pulled, comp)


def _sal_exp(b: Benchmark, p: Mapping[str, Any], s: State) -> F:
    return _mean(b, b.capability * b.salience ** float(p["k"]))


def _cap_exp(b: Benchmark, p: Mapping[str, Any], s: State) -> F:
    return _mean(b, b.capability ** float(p["gamma"]) * b.salience)


def _exchange(b: Benchmark, p: Mapping[str, Any], s: State) -> F:
    def one(sub: Benchmark) -> F:
        w = deu_compromise_weights(
            sub.salience[None],
            sub.capability[None],
            sub.present,
            float(p["gamma"]),
            float(p["mix"]),
        )[0]
        return _mean(sub, w)

    return _by_proposal(b, one)


def _features(b: Benchmark) -> F:
    comp = _compromise(b, {}, None)
    med = _median(b, {}, None)
    unw = _mean(b, np.ones_like(b.salience))
    return np.stack([np.ones(b.n_issues), comp, med, unw], axis=1)


def _lad(x: F, y: F, iters: int = 100) -> F:
    """Least absolute deviations by iteratively reweighted least squares."""
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    for _ in range(iters):
        w = np.sqrt(1.0 / np.maximum(np.abs(y - x @ beta), 1e-3))
        beta = np.linalg.lstsq(x * w[:, None], y * w, rcond=None)[0]
    return np.asarray(beta, dtype=float)


def _blend_fit(b: Benchmark, p: Mapping[str, Any]) -> State:
    return _lad(_features(b), b.outcome)


def _blend(b: Benchmark, p: Mapping[str, Any], s: State) -> F:
    out: F = np.clip(_features(b) @ s, 0.0, 100.0)
    return out


def _snap(b: Benchmark, p: Mapping[str, Any], s: State) -> F:
    comp = _compromise(b, p, s)
    pos = np.where(b.present, b.position, np.inf)
    k = np.argmin(np.abs(pos - comp[None]), axis=0)
    out: F = pos[k, np.arange(b.n_issues)]
    return out


def _shrink(b: Benchmark, p: Mapping[str, Any], s: State) -> F:
    a = float(p["a"])
    return (1 - a) * _compromise(b, p, s) + a * 50.0


def _registered(name: str) -> Callable[[Benchmark, Mapping[str, Any], State], F]:
    def fn(b: Benchmark, p: Mapping[str, Any], s: State) -> F:
        return predict(b, name)

    return fn


VARIANTS: tuple[Variant, ...] = (
    Variant("compromise", "Baseline: capability (GDP) x salience weighted mean.", _compromise),
    Variant(
        "compromise/votes",
        "Council votes by treaty period as capability.",
        _compromise,
        capability="votes",
    ),
    Variant(
        "compromise/population",
        "Population (2015) as capability.",
        _compromise,
        capability="population",
    ),
    Variant(
        "compromise/equal",
        "Equal capability: salience-weighted mean.",
        _compromise,
        capability="equal",
    ),
    Variant("median", "Weighted median (Black 1948).", _median),
    Variant(
        "nash",
        "Asymmetric Nash bargaining, reference point as disagreement; only issues "
        "with a reference point.",
        _nash,
        _grid(utility=["quadratic", "linear"]),
    ),
    Variant(
        "rp-pull",
        "Compromise pulled towards the reference point by a share a.",
        _rp_pull,
        _grid(a=[0.0, 0.05, 0.1, 0.2, 0.3]),
    ),
    Variant(
        "procedure",
        "Procedure-aware: EP weight x ep_cns under consultation (CNS); pull a_unan "
        "towards the reference point under unanimity.",
        _procedure,
        _grid(ep_cns=[0.0, 0.5, 1.0], a_unan=[0.0, 0.1, 0.2, 0.3]),
    ),
    Variant("salience^k", "Salience exponent k.", _sal_exp, _grid(k=[0.25, 0.5, 1.0, 1.5, 2.0])),
    Variant(
        "capability^gamma",
        "Capability exponent gamma (Penrose-style damping).",
        _cap_exp,
        _grid(gamma=[0.0, 0.25, 0.5, 0.75, 1.0, 1.5]),
    ),
    Variant(
        "exchange-salience",
        "Salience relative to the actor's other issues in the proposal "
        "(first-order position exchange), mixed with raw salience; capability exponent.",
        _exchange,
        _grid(gamma=[0.25, 0.5, 0.75, 1.0], mix=[0.0, 0.25, 0.5, 0.75, 1.0]),
    ),
    Variant(
        "lad-blend",
        "Least-absolute-deviation blend of compromise, median and unweighted "
        "mean (fitted coefficients).",
        _blend,
        fit=_blend_fit,
    ),
    Variant(
        "snap",
        "Compromise snapped to the nearest actor position (outcomes often equal one).",
        _snap,
    ),
    Variant(
        "shrink-50",
        "Compromise shrunk towards the scale midpoint by a.",
        _shrink,
        _grid(a=[0.0, 0.1, 0.2, 0.3]),
    ),
)


def _predict(v: Variant, b: Benchmark, params: Mapping[str, Any], train: Benchmark) -> F:
    state = v.fit(train, params) if v.fit is not None else None
    return v.predict(b, params, state)


def _cv_pred(v: Variant, b: Benchmark, params: Mapping[str, Any], folds: NDArray[np.int64]) -> F:
    out = np.full(b.n_issues, np.nan)
    for f in np.unique(folds):
        test = folds == f
        out[test] = _predict(v, b.subset(test), params, b.subset(~test))
    return out


def _mae(pred: F, y: F) -> float:
    err = np.abs(pred - y)
    return float(np.nanmean(err))


def conformal_half_width(abs_residuals: F, level: float) -> float:
    """Split-conformal half-width: the ``ceil((n + 1) level)``-th smallest residual."""
    r = np.sort(abs_residuals[~np.isnan(abs_residuals)])
    k = int(np.ceil((len(r) + 1) * level)) - 1
    return float(r[min(k, len(r) - 1)])


def evaluate(
    path: str, extra_models: Sequence[str] = (), n_boot: int = 2000, seed: int = 0
) -> dict[str, Any]:
    """Run the whole protocol on the public file; JSON-ready results for the docs.

    Returns:
        ``{"split": ..., "variants": [...], "intervals": {...}}``: per variant the chosen
        parameters, the train cross-validated MAE, the dev MAE / RMSE / median AE, and the
        dev paired MAE difference to the compromise with a 95% bootstrap interval.
    """
    benches = {c: load_benchmark(path, c) for c in ("gdp", "votes", "population", "equal")}
    base = benches["gdp"]
    dev = split_by_proposal(base.proposal)
    y_dev = base.outcome[dev]
    train = {c: b.subset(~dev) for c, b in benches.items()}
    test = {c: b.subset(dev) for c, b in benches.items()}
    folds = group_folds(train["gdp"].proposal)
    counts = bootstrap_weights(test["gdp"].proposal, n_boot, seed)
    comp_dev = _compromise(test["gdp"], {}, None)
    comp_err = np.abs(comp_dev - y_dev)
    variants = list(VARIANTS)
    registered = available_models()
    for name in extra_models:
        if name in registered:
            variants.append(
                Variant(name, f"Registered model '{name}' as shipped.", _registered(name))
            )
    rows: list[dict[str, Any]] = []
    for v in variants:
        tr, te = train[v.capability], test[v.capability]
        cv = [(_mae(_cv_pred(v, tr, g, folds), tr.outcome), g) for g in v.grid]
        cv_mae, best = min(cv, key=lambda t: t[0])
        pred = _predict(v, te, best, tr)
        err = np.abs(pred - y_dev)
        ok = ~np.isnan(err)
        d = err[ok] - comp_err[ok]
        boot_m = weighted_metrics(err[ok], counts[:, ok])["mae"]
        boot_c = weighted_metrics(comp_err[ok], counts[:, ok])["mae"]
        lo, hi = np.nanpercentile(boot_m - boot_c, [2.5, 97.5])
        rows.append(
            {
                "variant": v.name,
                "note": v.note,
                "params": best,
                "train_cv_mae": cv_mae,
                "dev_n": int(ok.sum()),
                "dev_mae": float(np.mean(err[ok])),
                "dev_rmse": float(np.sqrt(np.mean(err[ok] ** 2))),
                "dev_median_ae": float(np.median(err[ok])),
                "dev_d_mae": float(np.mean(d)),
                "dev_d_mae_ci": [float(lo), float(hi)],
            }
        )
    return {
        "split": {
            "seed": SPLIT_SEED,
            "train_issues": int((~dev).sum()),
            "train_proposals": len(set(train["gdp"].proposal)),
            "dev_issues": int(dev.sum()),
            "dev_proposals": len(set(test["gdp"].proposal)),
        },
        "variants": rows,
        "intervals": intervals(base, dev),
    }


def _exchange_pred(b: Benchmark, gamma: float = GAMMA, mix: float = MIX) -> F:
    return _exchange(b, {"gamma": gamma, "mix": mix}, None)


def intervals(b: Benchmark, dev: B, levels: Sequence[float] = (0.5, 0.8, 0.9)) -> dict[str, Any]:
    """Conformal intervals for the shipped model: half-widths and their coverage.

    Half-widths come from the training part's out-of-fold residuals (the model has no
    fitted coefficients once its two parameters are fixed, so in-fold residuals would
    do as well; out-of-fold keeps the procedure general). Coverage is measured on the
    development part, and by a 5-fold leave-proposals-out run over the whole file where
    each fold's half-width comes from the other four folds.
    """
    pred = _exchange_pred(b)
    res = np.abs(pred - b.outcome)
    folds = group_folds(b.proposal)
    out: dict[str, Any] = {}
    for level in levels:
        q = conformal_half_width(res[~dev], level)
        cover_dev = float(np.mean(res[dev] <= q))
        covered = np.zeros(b.n_issues, dtype=bool)
        for f in np.unique(folds):
            qf = conformal_half_width(res[folds != f], level)
            covered[folds == f] = res[folds == f] <= qf
        out[str(level)] = {
            "half_width_train": q,
            "half_width_all": conformal_half_width(res, level),
            "coverage_dev": cover_dev,
            "coverage_cv_all": float(np.mean(covered)),
            "dev_issues": int(dev.sum()),
        }
    return out


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        "| variant | chosen parameters | train CV MAE | dev n | dev MAE | dev RMSE | dev median AE "
        "| dev MAE - compromise [95% CI] |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result["variants"]:
        params = ", ".join(f"{k}={v}" for k, v in r["params"].items()) or "-"
        lo, hi = r["dev_d_mae_ci"]
        lines.append(
            f"| {r['variant']} | {params} | {r['train_cv_mae']:.2f} | {r['dev_n']} "
            f"| {r['dev_mae']:.2f} | {r['dev_rmse']:.2f} | {r['dev_median_ae']:.2f} "
            f"| {r['dev_d_mae']:+.2f} [{lo:+.2f}, {hi:+.2f}] |"
        )
    lines += [
        "",
        "| nominal | half-width (train) | coverage on dev | half-width (all public) "
        "| coverage, 5-fold by proposal |",
        "|---|---|---|---|---|",
    ]
    for level, r in result["intervals"].items():
        lines.append(
            f"| {float(level):.0%} | {r['half_width_train']:.1f} | {r['coverage_dev']:.1%} "
            f"| {r['half_width_all']:.1f} | {r['coverage_cv_all']:.1%} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m detente.backtest.research FILE [MODEL ...]``: print the docs tables."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m detente.backtest.research DEU3_FILE [MODEL ...]", file=sys.stderr)
        raise SystemExit(2)
    result = evaluate(args[0], args[1:])
    split = result["split"]
    print(
        f"split seed {split['seed']}: train {split['train_issues']} issues / "
        f"{split['train_proposals']} proposals; dev {split['dev_issues']} issues / "
        f"{split['dev_proposals']} proposals\n"
    )
    print(_markdown(result))


if __name__ == "__main__":  # pragma: no cover
    main()
