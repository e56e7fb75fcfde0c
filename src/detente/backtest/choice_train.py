"""Train the ``choice`` model on DEU III and write the shipped coefficients.

``python -m detente.backtest.choice_train data/deu3/deu3-public.csv -o FILE`` chooses the
L2 penalty by 5-fold cross-validation grouped by proposal (held-out negative
log-likelihood, docs/models/choice.md), fits on every scorable issue of the file, and
writes the coefficients with the command, the data's SHA-256 and the CV table. The
package's ``detente/forecast/choice_coefficients.json`` was made this way from the public
part of DEU III.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente import __version__
from detente.backtest.data import Benchmark, load_benchmark
from detente.forecast.choice import (
    FEATURES,
    Candidates,
    ChoiceFit,
    candidate_set,
    choice_probabilities,
    fit_choice,
    nearest_candidate,
)

__all__ = [
    "L2_GRID",
    "bench_candidates",
    "choose_l2",
    "grouped_folds",
    "heldout_nll",
    "main",
    "train",
]

F = NDArray[np.float64]

L2_GRID = (0.1, 1.0, 10.0, 100.0)
"""Penalties the cross-validation chooses from (docs/models/choice.md)."""

TRAIN_SEED = 16
"""Seed of the folds used to choose the penalty of the shipped fit."""


def grouped_folds(proposal: Sequence[str], k: int, seed: int) -> NDArray[np.int64]:
    """Fold number per issue, ``0..k-1``; every issue of a proposal shares a fold.

    Proposals are sorted, permuted by ``np.random.default_rng(seed)`` and dealt in turn,
    so that fold sizes differ by at most one proposal.
    """
    props = sorted(set(proposal))
    perm = np.random.default_rng(seed).permutation(len(props))
    fold = {props[j]: i % k for i, j in enumerate(perm)}
    return np.array([fold[p] for p in proposal], dtype=np.int64)


def is_unanimity(vote: Sequence[str]) -> NDArray[np.bool_]:
    """True where the Council votes by unanimity (DEU ``counvte`` starting ``Unan``)."""
    return np.array([v.strip().lower().startswith("unan") for v in vote], dtype=bool)


def bench_candidates(bench: Benchmark) -> Candidates:
    """The choice model's candidates for every issue of a DEU III benchmark.

    The Commission (``com``) is the agenda setter; DEU III has no mediator and no
    labelled points; the decision rule is the Council's voting rule.
    """
    present = bench.present.T
    setter = np.broadcast_to(np.array([a == "com" for a in bench.actor_ids]), present.shape)
    return candidate_set(
        np.where(bench.present, bench.position, 0.0).T,
        np.where(bench.present, bench.capability * bench.salience, 0.0).T,
        present,
        bench.status_quo,
        np.zeros(bench.n_issues),
        np.full(bench.n_issues, 100.0),
        setter=setter,
        unanimity=is_unanimity(bench.vote),
    )


def fit_bench(bench: Benchmark, l2: float) -> ChoiceFit:
    """Fit the conditional logit on a benchmark's issues (they must have outcomes)."""
    cand = bench_candidates(bench)
    return fit_choice(cand, nearest_candidate(cand, bench.outcome), l2)


def heldout_nll(train: Benchmark, test: Benchmark, l2: float) -> F:
    """Per test issue, ``-log P(chosen)`` of a fit on ``train``."""
    fit = fit_bench(train, l2)
    cand = bench_candidates(test)
    p = choice_probabilities(cand, fit.beta)
    k = nearest_candidate(cand, test.outcome)
    out: F = -np.log(np.maximum(p[np.arange(test.n_issues), k], 1e-300))
    return out


def choose_l2(
    bench: Benchmark, k: int = 5, seed: int = TRAIN_SEED, grid: Sequence[float] = L2_GRID
) -> tuple[float, dict[float, float]]:
    """The penalty with the lowest grouped-CV held-out NLL on ``bench`` (the larger on ties).

    Returns:
        ``(chosen, {penalty: mean held-out NLL})``.
    """
    folds = grouped_folds(bench.proposal, k, seed)
    table: dict[float, float] = {}
    for l2 in grid:
        losses = np.full(bench.n_issues, np.nan)
        for f in range(k):
            test = folds == f
            if not test.any() or test.all():
                continue
            losses[test] = heldout_nll(bench.subset(~test), bench.subset(test), l2)
        table[float(l2)] = float(np.nanmean(losses))
    best = min(table, key=lambda x: (table[x], -x))
    return best, table


def train(path: str | Path, k: int = 5, seed: int = TRAIN_SEED) -> dict[str, Any]:
    """The shipped-coefficients record for the DEU III file at ``path``."""
    bench = load_benchmark(path)
    l2, table = choose_l2(bench, k, seed)
    fit = fit_bench(bench, l2)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return {
        "model": "choice",
        "features": list(FEATURES),
        "beta": [round(float(b), 10) for b in fit.beta],
        "l2": l2,
        "cv_mean_heldout_nll": {str(key): round(v, 10) for key, v in table.items()},
        "cv": {"folds": k, "seed": seed, "grouped_by": "proposal"},
        "issues": bench.n_issues,
        "proposals": len(set(bench.proposal)),
        "data": {"file": Path(path).name, "sha256": digest},
        "command": f"python -m detente.backtest.choice_train {Path(path).as_posix()} -o "
        "src/detente/forecast/choice_coefficients.json",
        "detente_version": __version__,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m detente.backtest.choice_train FILE [-o OUT]``."""
    parser = argparse.ArgumentParser(prog="python -m detente.backtest.choice_train")
    parser.add_argument("file")
    parser.add_argument("-o", "--output", default="-")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    text = json.dumps(train(args.file), indent=2) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    main()
