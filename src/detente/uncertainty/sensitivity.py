"""Which estimates a forecast hangs on: a one-at-a-time tornado and Sobol indices.

* **Tornado** (one at a time): each ranged input is set to the low and then the high
  end of its range while every other number stays at its stated value; the bar is the
  outcome at each end, and bars are ranked by swing ``|outcome(high) - outcome(low)|``
  (largest first, ties by input name). It shows local, one-input effects and misses
  interactions; the Sobol indices catch those.
* **Sobol** (global, variance-based): first-order ``S1`` (share of the outcome's
  variance explained by the input alone) and total ``ST`` (including every interaction)
  indices, estimated with Saltelli's scheme and the Jansen estimator as implemented in
  SALib (Saltelli et al. 2010, "Variance based sensitivity analysis of model output",
  Computer Physics Communications 181(2); Herman & Usher 2017, SALib, JOSS 2(9)). The
  design is ``N (P + 2)`` points of a scrambled Sobol' sequence mapped through each
  input's inverse CDF (its PERT, triangular or uniform distribution), so the indices are
  for the same uncertainty the Monte Carlo sweep samples. Indices for P(deadlock) are
  those of the 0/1 deadlock indicator, whose mean is P(deadlock).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from detente import __version__
from detente.case.model import Case
from detente.uncertainty._models import resolve_models
from detente.uncertainty._verdicts import VERDICTS
from detente.uncertainty.defaults import DEFAULT_SEED
from detente.uncertainty.errors import UncertaintyError
from detente.uncertainty.results import TornadoBarDict, TornadoDict
from detente.uncertainty.sampling import InputSpace, input_space
from detente.uncertainty.sweep import run_models_with_verdicts

__all__ = ["SobolResult", "TornadoResult", "sobol", "tornado"]

F = NDArray[np.float64]
_BATCH = 5000


def _space_with_ranges(case: Case, source: str | None = None) -> InputSpace:
    space = input_space(case)
    if space.size == 0:
        from detente.errors import Diagnostic

        raise UncertaintyError(
            "the case states no ranges, so there is nothing to vary",
            [
                Diagnostic(
                    "no number in the case has a range [low, high]",
                    file=source,
                    expected="at least one estimate written as {value: V, range: [LOW, HIGH]}",
                    hint="add ranges to the positions, saliences or capabilities you are "
                    "unsure of (see docs/case-format.md)",
                    code="no-ranges",
                )
            ],
        )
    return space


def _verdict_names(codes: NDArray[np.int64]) -> list[list[str | None]]:
    return [[VERDICTS[c] if c >= 0 else None for c in row] for row in codes.tolist()]


@dataclass
class TornadoResult:
    """One-at-a-time swings, ranked per issue and model."""

    case_id: str
    models: list[str]
    issues: list[str]
    inputs: list[dict[str, object]]
    base: F  # (M, I)
    at_low: F  # (M, P, I)
    at_high: F  # (M, P, I)
    verdict_base: list[str | None] | None = None
    verdict_low: list[list[str | None]] | None = None  # (P, I)
    verdict_high: list[list[str | None]] | None = None

    def bars(self, issue: str, model: str) -> list[TornadoBarDict]:
        """Bars for one issue and model, largest swing first."""
        m, i = self.models.index(model), self.issues.index(issue)
        out = []
        for p, u in enumerate(self.inputs):
            lo, hi = float(self.at_low[m, p, i]), float(self.at_high[m, p, i])
            swing = abs(hi - lo) if not (np.isnan(lo) or np.isnan(hi)) else float("nan")
            bar: TornadoBarDict = {
                "input": str(u["name"]),
                "range": [float(x) for x in cast("list[float]", u["range"])],
                "outcome_low": lo,
                "outcome_high": hi,
                "swing": swing,
            }
            if self.verdict_low is not None and self.verdict_high is not None:
                bar["verdict_low"] = self.verdict_low[p][i]
                bar["verdict_high"] = self.verdict_high[p][i]
            out.append(bar)
        out.sort(
            key=lambda b: (-(b["swing"] if b["swing"] == b["swing"] else -1.0), str(b["input"]))
        )
        return out

    def to_dict(self) -> TornadoDict:
        """JSON-ready: per issue and model, the base outcome and the ranked bars."""
        return {
            "detente_version": __version__,
            "case": {"id": self.case_id},
            "method": "one-at-a-time: each input at the low and high end of its range",
            "models": self.models,
            "issues": {
                iid: {
                    "verdict_base": self.verdict_base[i] if self.verdict_base else None,
                    "models": {
                        mm: {"base": float(self.base[m, i]), "bars": self.bars(iid, mm)}
                        for m, mm in enumerate(self.models)
                    },
                }
                for i, iid in enumerate(self.issues)
            },
        }

    def rows(self, top: int | None = None) -> list[dict[str, Any]]:
        """Table rows: issue, model, input, outcome at low and high, swing."""
        out = []
        for iid in self.issues:
            for mm in self.models:
                for rank, b in enumerate(self.bars(iid, mm)[:top], start=1):
                    out.append(
                        {
                            "issue": iid,
                            "model": mm,
                            "rank": rank,
                            "input": b["input"],
                            "at_low": b["outcome_low"],
                            "at_high": b["outcome_high"],
                            "swing": b["swing"],
                        }
                    )
        return out


def tornado(
    case: Case,
    models: Sequence[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    source: str | None = None,
) -> TornadoResult:
    """One-at-a-time sensitivity of every model's outcome to every ranged input.

    Args:
        case: A validated case with at least one range.
        models: Model names (defaults as :func:`detente.uncertainty.sweep.run_sweep`).
        params: Per-model parameters.
        source: The case file's name, for error messages.

    Raises:
        UncertaintyError: The case has no ranges.
    """
    space = _space_with_ranges(case, source)
    resolved = resolve_models(models, params, case)
    p = space.size
    rows = np.tile(space.mode, (2 * p + 1, 1))
    rows[np.arange(p), np.arange(p)] = space.low
    rows[p + np.arange(p), np.arange(p)] = space.high
    inp = space.build(rows)
    out, codes = run_models_with_verdicts(inp, resolved)  # (M, 2P+1, I), (2P+1, I)
    result = TornadoResult(
        case_id=case.case.id,
        models=[n for n, _ in resolved],
        issues=list(space.arrays.issue_ids),
        inputs=[u.to_dict() for u in space.inputs],
        base=out[:, 2 * p, :],
        at_low=out[:, :p, :],
        at_high=out[:, p : 2 * p, :],
    )
    if codes is not None:
        names = _verdict_names(codes)
        result.verdict_low, result.verdict_high = names[:p], names[p : 2 * p]
        result.verdict_base = names[2 * p]
    return result


@dataclass
class SobolResult:
    """Sobol indices per issue and model, and for P(deadlock) per issue."""

    case_id: str
    n: int
    seed: int
    evaluations: int
    models: list[str]
    issues: list[str]
    names: list[str]
    indices: dict[str, dict[str, dict[str, Any]]]
    p_deadlock: dict[str, dict[str, Any]] | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready indices with their 95% bootstrap confidence half-widths."""
        return {
            "detente_version": __version__,
            "case": {"id": self.case_id},
            "method": "Sobol indices, Saltelli sampling and Jansen estimator (SALib)",
            "n": self.n,
            "seed": self.seed,
            "evaluations": self.evaluations,
            "inputs": self.names,
            "issues": {
                iid: {
                    "models": self.indices[iid],
                    "p_deadlock": self.p_deadlock[iid] if self.p_deadlock else None,
                }
                for iid in self.issues
            },
        }

    def rows(self, top: int | None = None) -> list[dict[str, Any]]:
        """Table rows: issue, output, input, S1, ST (largest ST first)."""
        out = []
        for iid in self.issues:
            outputs = dict(self.indices[iid])
            if self.p_deadlock:
                outputs["P(deadlock)"] = self.p_deadlock[iid]
            for name, idx in outputs.items():
                if idx.get("note"):
                    out.append(
                        {
                            "issue": iid,
                            "output": name,
                            "input": "-",
                            "S1": None,
                            "ST": None,
                            "note": idx["note"],
                        }
                    )
                    continue
                order = sorted(self.names, key=lambda k: (-idx["ST"][k], k))
                for k in order[:top]:
                    out.append(
                        {
                            "issue": iid,
                            "output": name,
                            "input": k,
                            "S1": idx["S1"][k],
                            "ST": idx["ST"][k],
                            "note": "",
                        }
                    )
        return out


def _salib(module: str) -> Any:
    """Import a SALib module (the ``[sensitivity]`` extra; untyped, so ``Any``)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise UncertaintyError("Sobol indices need SALib; install detente[sensitivity]") from exc


def _bootstrap_seed(seed: int) -> int:
    """A nonzero seed for SALib's bootstrap of the confidence intervals, derived from ``seed``.

    SALib seeds that bootstrap only when its ``seed`` is truthy: with ``seed=0`` (our
    default) it draws from numpy's global generator, and the ``_conf`` half-widths change
    from run to run. Every seed, 0 included, maps to a fixed nonzero one here.
    """
    return int(np.random.SeedSequence(seed).generate_state(1)[0]) or 1


def _analyze(problem: dict[str, Any], y: F, seed: int) -> dict[str, Any]:
    sobol_analyze: Any = _salib("SALib.analyze.sobol")

    names: list[str] = problem["names"]
    if np.isnan(y).any():
        return {"note": "the model gives no outcome on some draws (e.g. no status quo)"}
    if float(np.var(y)) == 0.0:
        zero = dict.fromkeys(names, 0.0)
        return {
            "S1": zero,
            "S1_conf": zero,
            "ST": zero,
            "ST_conf": zero,
            "note": "constant over the design: no input moves it",
        }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sobol_analyze.analyze(
            problem,
            y,
            calc_second_order=False,
            seed=_bootstrap_seed(seed),
            print_to_console=False,
        )
    return {
        key: {k: float(v) for k, v in zip(names, res[key], strict=True)}
        for key in ("S1", "S1_conf", "ST", "ST_conf")
    }


def sobol(
    case: Case,
    n: int = 256,
    seed: int = DEFAULT_SEED,
    models: Sequence[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    source: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SobolResult:
    """Global Sobol indices of every model's outcome, and of P(deadlock), per issue.

    Args:
        case: A validated case with at least one range.
        n: Base sample size, a power of 2 (the design has ``n (P + 2)`` points).
        seed: Seed of the scrambled Sobol' sequence and of SALib's bootstrap.
        models: Model names (defaults as the sweep).
        params: Per-model parameters.
        source: The case file's name, for error messages.
        progress: Called with (model runs done, model runs in all) after each batch.

    Raises:
        UncertaintyError: No ranges, or ``n`` not a power of 2.
    """
    sobol_sample: Any = _salib("SALib.sample.sobol")

    if n < 2 or n & (n - 1):
        raise UncertaintyError(
            f"--samples must be a power of 2 (Sobol' sequences), not {n}; try "
            f"{1 << max(1, (max(n, 2) - 1).bit_length())}"
        )
    space = _space_with_ranges(case, source)
    resolved = resolve_models(models, params, case)
    names = space.names
    problem = {"num_vars": space.size, "names": names, "bounds": [[0.0, 1.0]] * space.size}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        unit = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    values = space.from_unit(np.clip(unit, 1e-12, 1.0 - 1e-12))
    outs, codes = [], []
    for start in range(0, len(values), _BATCH):
        inp = space.build(values[start : start + _BATCH])
        out_b, codes_b = run_models_with_verdicts(inp, resolved)
        outs.append(out_b)
        if codes_b is not None:
            codes.append(codes_b)
        if progress is not None:
            progress(min(start + _BATCH, len(values)), len(values))
    out = np.concatenate(outs, axis=1)  # (M, E, I)
    issues = list(space.arrays.issue_ids)
    models_ = [m for m, _ in resolved]
    indices = {
        iid: {mm: _analyze(problem, out[m, :, i], seed) for m, mm in enumerate(models_)}
        for i, iid in enumerate(issues)
    }
    p_dead = None
    if codes:
        dead = (np.concatenate(codes, axis=0) == VERDICTS.index("deadlock")).astype(float)
        p_dead = {iid: _analyze(problem, dead[:, i], seed) for i, iid in enumerate(issues)}
    return SobolResult(
        case_id=case.case.id,
        n=n,
        seed=seed,
        evaluations=len(values),
        models=models_,
        issues=issues,
        names=names,
        indices=indices,
        p_deadlock=p_dead,
    )
