"""Monte Carlo sweeps: sample every ranged input, run the models on batches, reduce.

How a sweep runs
----------------
Draws are cut into chunks of ``chunk_size`` (fixed, independent of the engine). Chunk
``k`` draws its inputs from its own stream,
``Generator(PCG64(SeedSequence(seed, spawn_key=(k,))))``, which is exactly the ``k``-th
child of ``SeedSequence(seed).spawn(...)``. A chunk returns partial reductions; the
driver merges them in chunk order. So the same seed and chunk size give bit-identical
numbers on every engine and with any number of workers.

Streamed reductions (memory flat in the number of draws)
--------------------------------------------------------
* **Mean**: exact, a float64 sum and count per model and issue.
* **P(verdict)**: exact, integer counts of each verdict per issue.
* **Min and max**: exact.
* **Median and intervals**: from a fixed histogram of ``bins`` equal bins over each
  issue's scale (integer counts, merged exactly). A quantile is read by linear
  interpolation inside the bin where the cumulative count crosses it and clipped to
  the observed min and max. Its error against the empirical quantile of the same draws
  is at most one bin width, ``(scale max - scale min) / bins``: 0.01 points on a 0-100
  scale with the default 10,000 bins. Outcomes outside the scale (which no built-in
  model produces) are counted in the end bins.

Intervals are central: the 50% interval is the 25th to 75th percentile, 80% the 10th to
90th, 95% the 2.5th to 97.5th.
"""

from __future__ import annotations

import csv
import importlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente import __version__
from detente.case.model import Case
from detente.forecast.registry import ModelInput, ModelResult, get_model
from detente.uncertainty._models import ensure_registered, resolve_models
from detente.uncertainty._verdicts import VERDICTS, verdict_from_run_function
from detente.uncertainty.defaults import DEFAULT_DRAWS, DEFAULT_SEED
from detente.uncertainty.engines import Engine, make_engine
from detente.uncertainty.errors import UncertaintyError
from detente.uncertainty.results import SweepDict, SweepIssueDict, SweepModelDict
from detente.uncertainty.sampling import InputSpace, input_space

__all__ = [
    "CHUNK_SIZE",
    "INTERVALS",
    "MAX_DRAWS",
    "SweepResult",
    "evaluate_chunk",
    "run_sweep",
]

F = NDArray[np.float64]
I64 = NDArray[np.int64]

CHUNK_SIZE = 5000
"""Draws per chunk (the unit of work and of random streams)."""

BINS = 10_000
"""Histogram bins per model and issue for quantiles."""

MAX_DRAWS = 100_000_000
"""Upper bound on ``draws`` (a typo guard; memory does not grow with draws)."""

INTERVALS: dict[str, tuple[float, float]] = {
    "50": (0.25, 0.75),
    "80": (0.10, 0.90),
    "95": (0.025, 0.975),
}


def rng_for_chunk(seed: int, chunk: int) -> np.random.Generator:
    """The random stream of chunk ``chunk``: child ``chunk`` of ``SeedSequence(seed)``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(chunk,))))


@dataclass(frozen=True)
class ChunkTask:
    """Everything one chunk needs (picklable, so it can travel to any worker)."""

    space: InputSpace
    models: tuple[tuple[str, dict[str, Any]], ...]
    seed: int
    index: int
    start: int
    size: int
    bins: int
    verdicts: bool
    keep_draws: bool


@dataclass
class ChunkResult:
    """Partial reductions of one chunk (and its raw draws when asked for)."""

    index: int
    size: int
    total: F
    count: I64
    hist: I64
    low: F
    high: F
    verdict_counts: I64 | None
    inputs: F | None = None
    outcomes: F | None = None
    verdict_codes: I64 | None = None


def run_models(inp: ModelInput, models: Sequence[tuple[str, Mapping[str, Any]]]) -> F:
    """Outcomes of every model on a batch, ``(M, B, I)``."""
    return np.stack([r.outcome for r in _run_results(inp, models)])


def _run_results(
    inp: ModelInput, models: Sequence[tuple[str, Mapping[str, Any]]]
) -> list[ModelResult]:
    """Every model's full result on a batch, in the order given."""
    ensure_registered()
    return [get_model(n).fn(inp, **dict(p)) for n, p in models]


def run_models_with_verdicts(
    inp: ModelInput, models: Sequence[tuple[str, Mapping[str, Any]]]
) -> tuple[F, I64 | None]:
    """Outcomes ``(M, B, I)`` and the diagnosis verdict codes ``(B, I)`` from one run.

    The verdicts follow :func:`detente.diagnose.verdict_codes` with the ``bdm``
    parameters given here, and are read from that ``bdm`` run
    (:func:`~detente.uncertainty._verdicts.verdict_from_run_function`), so the model runs
    once. They are None when ``bdm`` is not among ``models`` or the diagnosis package is
    missing.
    """
    results = _run_results(inp, models)
    out = np.stack([r.outcome for r in results])
    return out, _verdicts_of(inp, models, results)


def _verdicts_of(
    inp: ModelInput, models: Sequence[tuple[str, Mapping[str, Any]]], results: list[ModelResult]
) -> I64 | None:
    names = [n for n, _ in models]
    if "bdm" not in names:
        return None
    k = names.index("bdm")
    return verdict_from_run_function(models[k][1])(inp, results[k])


def evaluate_chunk(task: ChunkTask) -> ChunkResult:
    """Draw one chunk's inputs, run the models, and reduce (runs on a worker)."""
    rng = rng_for_chunk(task.seed, task.index)
    values = task.space.sample(rng, task.size)
    inp = task.space.build(values)
    results = _run_results(inp, task.models)
    out = np.stack([r.outcome for r in results])  # (M, n, I)
    m, n, i = out.shape
    lo = inp.scale_min[None, None, :]
    width = (inp.scale_max - inp.scale_min)[None, None, :]
    finite = ~np.isnan(out)
    idx = np.floor((out - lo) / width * task.bins)
    idx = np.clip(np.nan_to_num(idx, nan=0.0), 0, task.bins - 1).astype(np.int64)
    cell = (np.arange(m)[:, None, None] * i + np.arange(i)[None, None, :]) * task.bins
    flat = (cell + idx)[finite]
    hist = np.bincount(flat, minlength=m * i * task.bins).reshape(m, i, task.bins)
    with np.errstate(invalid="ignore"):
        total = np.where(finite, out, 0.0).sum(axis=1)
        low = np.min(np.where(finite, out, np.inf), axis=1)
        high = np.max(np.where(finite, out, -np.inf), axis=1)
    counts: I64 | None = None
    codes: I64 | None = None
    if task.verdicts:
        # The verdicts use the sweep's bdm parameters, so they read the bdm run just
        # made (same input, same parameters) instead of running the model again.
        codes = _verdicts_of(inp, task.models, results)
        if codes is not None:
            onehot = codes[:, :, None] == np.arange(len(VERDICTS))[None, None, :]
            counts = onehot.sum(axis=0).astype(np.int64)
    return ChunkResult(
        index=task.index,
        size=n,
        total=total,
        count=finite.sum(axis=1).astype(np.int64),
        hist=hist.astype(np.int64),
        low=low,
        high=high,
        verdict_counts=counts,
        inputs=values if task.keep_draws else None,
        outcomes=out if task.keep_draws else None,
        verdict_codes=codes if task.keep_draws else None,
    )


def _quantiles(
    hist: I64, lo: float, hi: float, qs: Sequence[float], obs_lo: float, obs_hi: float
) -> list[float]:
    """Quantiles from histogram counts over ``[lo, hi]`` (see the module docstring)."""
    n = int(hist.sum())
    if n == 0:
        return [float("nan")] * len(qs)
    width = (hi - lo) / len(hist)
    cum = np.cumsum(hist)
    out = []
    for q in qs:
        target = q * n
        k = int(np.searchsorted(cum, target, side="left"))
        k = min(k, len(hist) - 1)
        before = float(cum[k - 1]) if k > 0 else 0.0
        frac = (target - before) / hist[k] if hist[k] > 0 else 0.0
        value = lo + (k + min(max(frac, 0.0), 1.0)) * width
        out.append(float(min(max(value, obs_lo), obs_hi)))
    return out


class _DrawWriter:
    """Writes the draws as chunks arrive: ``.parquet``/``.pq`` as Parquet, else CSV.

    Uses pyarrow (the ``[parquet]`` extra) when it is installed: whole columns per chunk,
    NaN written as an empty CSV cell or a Parquet null. Without pyarrow, CSV is written
    with the standard library, row by row (slower).
    """

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path = path
        self.columns = columns
        self._parquet = path.suffix.lower() in (".parquet", ".pq")
        self._writer: Any = None
        self._file: Any = None
        self._pa: Any = None
        try:
            self._pa = importlib.import_module("pyarrow")
            self._fmt: Any = importlib.import_module(
                "pyarrow.parquet" if self._parquet else "pyarrow.csv"
            )
        except ImportError as exc:
            if self._parquet:
                raise UncertaintyError(
                    f"{path}: writing Parquet needs pyarrow; install detente[parquet] or write .csv"
                ) from exc
            self._pa = None
        # Open now, so that an unwritable path fails before any work is done.
        self._file = path.open("wb" if self._pa is not None else "w", **self._open_kw())
        if self._pa is None:
            self._csv = csv.writer(self._file, lineterminator="\n")
            self._csv.writerow(columns)

    def _open_kw(self) -> dict[str, Any]:
        return {} if self._pa is not None else {"newline": "", "encoding": "utf-8"}

    def write(self, table: dict[str, NDArray[Any]]) -> None:
        if self._pa is not None:
            batch = self._pa.table(
                {c: self._pa.array(table[c], from_pandas=True) for c in self.columns}
            )
            if self._writer is None:
                writer = self._fmt.ParquetWriter if self._parquet else self._fmt.CSVWriter
                self._writer = writer(self._file, batch.schema)
            self._writer.write_table(batch)
            return
        cols = [table[c] for c in self.columns]
        for row in zip(*cols, strict=True):
            self._csv.writerow(["" if (isinstance(v, float) and v != v) else v for v in row])

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._file is not None:
            self._file.close()


@dataclass
class SweepResult:
    """What a sweep found, reduced per issue and model.

    Attributes:
        case_id, case_title: The case.
        seed: The seed of the root ``SeedSequence``.
        draws: Draws asked for.
        draws_done: Draws completed (fewer when interrupted).
        interrupted: Whether the run was stopped (Ctrl-C) before the end.
        engine, workers, chunk_size, bins: How it ran.
        models: Model names.
        issues: Issue ids.
        scales: ``{issue: (min, max)}``.
        inputs: The uncertain inputs sampled (JSON-ready).
        mean, median: ``{issue: {model: value}}``.
        intervals: ``{issue: {model: {"50": [lo, hi], "80": ..., "95": ...}}}``.
        minimum, maximum, count: ``{issue: {model: ...}}``.
        p_verdict: ``{issue: {verdict: probability}}`` or None when no diagnosis ran.
        seconds: Wall time of the run.
    """

    case_id: str
    case_title: str
    seed: int
    draws: int
    draws_done: int
    interrupted: bool
    engine: str
    workers: int
    chunk_size: int
    bins: int
    models: list[str]
    issues: list[str]
    scales: dict[str, tuple[float, float]]
    inputs: list[dict[str, object]]
    mean: dict[str, dict[str, float]]
    median: dict[str, dict[str, float]]
    intervals: dict[str, dict[str, dict[str, list[float]]]]
    minimum: dict[str, dict[str, float]]
    maximum: dict[str, dict[str, float]]
    count: dict[str, dict[str, int]]
    p_verdict: dict[str, dict[str, float]] | None
    verdict_basis: str | None = None
    seconds: float = 0.0
    params: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Draws per second."""
        return self.draws_done / self.seconds if self.seconds > 0 else float("nan")

    def to_dict(self) -> SweepDict:
        """JSON-ready data: per issue and model, mean, median, intervals, P(verdict)."""
        issues: dict[str, SweepIssueDict] = {}
        for iid in self.issues:
            per_model: dict[str, SweepModelDict] = {}
            for m in self.models:
                per_model[m] = {
                    "mean": self.mean[iid][m],
                    "median": self.median[iid][m],
                    "intervals": self.intervals[iid][m],
                    "min": self.minimum[iid][m],
                    "max": self.maximum[iid][m],
                    "n": self.count[iid][m],
                }
                if self.p_verdict is not None and m == self.verdict_basis:
                    per_model[m]["p_verdict"] = self.p_verdict[iid]
            issues[iid] = {
                "scale": list(self.scales[iid]),
                "p_verdict": self.p_verdict[iid] if self.p_verdict is not None else None,
                "models": per_model,
            }
        return {
            "detente_version": __version__,
            "case": {"id": self.case_id, "title": self.case_title},
            "seed": self.seed,
            "draws": self.draws,
            "draws_done": self.draws_done,
            "interrupted": self.interrupted,
            "engine": self.engine,
            "workers": self.workers,
            "chunk_size": self.chunk_size,
            "quantiles": {
                "method": "fixed histogram over the issue scale, linear within a bin",
                "bins": self.bins,
                "max_error": "one bin width: (scale max - scale min) / bins",
            },
            "seconds": self.seconds,
            "draws_per_second": self.rate,
            "models": self.models,
            "params": self.params,
            "verdict_basis": self.verdict_basis,
            "inputs": self.inputs,
            "issues": issues,
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per issue and model (tables and CSV)."""
        out = []
        for iid in self.issues:
            for m in self.models:
                iv = self.intervals[iid][m]
                row: dict[str, Any] = {
                    "issue": iid,
                    "model": m,
                    "mean": self.mean[iid][m],
                    "median": self.median[iid][m],
                    "50%": f"{iv['50'][0]:.1f}-{iv['50'][1]:.1f}",
                    "80%": f"{iv['80'][0]:.1f}-{iv['80'][1]:.1f}",
                    "95%": f"{iv['95'][0]:.1f}-{iv['95'][1]:.1f}",
                }
                if self.p_verdict is not None:
                    row["P(deadlock)"] = (
                        self.p_verdict[iid]["deadlock"] if m == self.verdict_basis else None
                    )
                out.append(row)
        return out


def check_draws(draws: int) -> None:
    """Refuse a draw count that is not a positive integer below :data:`MAX_DRAWS`."""
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
        raise UncertaintyError(
            f"draws must be a positive whole number, not {draws!r}",
        )
    if draws > MAX_DRAWS:
        raise UncertaintyError(f"draws must be at most {MAX_DRAWS:,}, not {draws:,}")


def run_sweep(
    case: Case,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    *,
    models: Sequence[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    engine: str | Engine = "local",
    workers: int | None = 1,
    scheduler: str | None = None,
    processes: bool = True,
    chunk_size: int = CHUNK_SIZE,
    bins: int = BINS,
    draws_out: Path | None = None,
    progress: Callable[[int], None] | None = None,
    diagnosis: bool = True,
) -> SweepResult:
    """Monte Carlo over every ranged number of ``case``.

    Args:
        case: A validated case.
        draws: Number of draws.
        seed: Seed of the root :class:`numpy.random.SeedSequence` (recorded in the result).
        models: Model names (default: compromise, median, nash, and bdm when registered;
            ``["all"]`` for every registered model).
        params: Per-model parameters, ``{"nash": {"utility": "linear"}}``.
        engine: ``local``, ``dask-local`` or ``dask``; or an engine from
            :func:`detente.uncertainty.engines.make_engine` to reuse across sweeps (it is
            left open; ``workers``, ``scheduler`` and ``processes`` are then ignored).
        workers: Worker processes (None: CPU count; 1 with ``local``: this process).
        scheduler: Dask scheduler address for ``engine="dask"``.
        processes: ``dask-local`` workers as processes (True) or threads.
        chunk_size: Draws per chunk; results are identical across engines for a given
            ``seed`` and ``chunk_size``.
        bins: Histogram bins for quantiles (error at most one bin width).
        draws_out: Write every draw (sampled inputs, outcomes, verdicts) to this ``.csv``
            or ``.parquet`` file, keyed by ``draw``.
        progress: Called with the number of draws finished after each chunk.
        diagnosis: Diagnose every draw for P(verdict) (needs ``bdm`` among the models;
            the verdicts are read from the sweep's own bdm run, with its parameters).

    Returns:
        A :class:`SweepResult`. Ctrl-C during the run returns what finished, marked
        ``interrupted``.

    Raises:
        UncertaintyError: Bad ``draws``, engine or output path.
        ModelError: Unknown model or parameter.
    """
    check_draws(draws)
    if chunk_size < 1 or bins < 1:
        raise UncertaintyError("chunk_size and bins must be at least 1")
    resolved = resolve_models(models, params, case)
    names = [n for n, _ in resolved]
    space = input_space(case)
    use_verdicts = diagnosis and "bdm" in names
    n_chunks = -(-draws // chunk_size)
    tasks = [
        ChunkTask(
            space=space,
            models=tuple(resolved),
            seed=int(seed),
            index=k,
            start=k * chunk_size,
            size=min(chunk_size, draws - k * chunk_size),
            bins=bins,
            verdicts=use_verdicts,
            keep_draws=draws_out is not None,
        )
        for k in range(n_chunks)
    ]
    iids = list(space.arrays.issue_ids)
    m, i = len(names), len(iids)
    total = np.zeros((m, i))
    count = np.zeros((m, i), dtype=np.int64)
    hist = np.zeros((m, i, bins), dtype=np.int64)
    low = np.full((m, i), np.inf)
    high = np.full((m, i), -np.inf)
    vcounts = np.zeros((i, len(VERDICTS)), dtype=np.int64)
    done = 0
    interrupted = False
    writer: _DrawWriter | None = None
    if draws_out is not None:
        columns = ["draw", *space.names, *(f"{mm}:{ii}" for mm in names for ii in iids)]
        if use_verdicts:
            columns += [f"verdict:{ii}" for ii in iids]
        try:
            writer = _DrawWriter(Path(draws_out), columns)
        except OSError as exc:
            raise UncertaintyError(
                f"{draws_out}: cannot write the draws: {exc.strerror}",
                [],
            ) from exc
    started = time.perf_counter()
    owned = isinstance(engine, str)
    eng: Engine = (
        make_engine(engine, workers, scheduler, processes) if isinstance(engine, str) else engine
    )
    try:
        for _, part in eng.map(evaluate_chunk, tasks):
            total += part.total
            count += part.count
            hist += part.hist
            low = np.minimum(low, part.low)
            high = np.maximum(high, part.high)
            if part.verdict_counts is not None:
                vcounts += part.verdict_counts
            if writer is not None and part.inputs is not None and part.outcomes is not None:
                start = part.index * chunk_size
                table: dict[str, NDArray[Any]] = {"draw": np.arange(start, start + part.size)}
                for c, name in enumerate(space.names):
                    table[name] = part.inputs[:, c]
                for a, mm in enumerate(names):
                    for b, ii in enumerate(iids):
                        table[f"{mm}:{ii}"] = part.outcomes[a, :, b]
                if part.verdict_codes is not None:
                    labels = np.array([*VERDICTS, ""], dtype=object)
                    for b, ii in enumerate(iids):
                        table[f"verdict:{ii}"] = labels[part.verdict_codes[:, b]]
                writer.write(table)
            done += part.size
            if progress is not None:
                progress(done)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if writer is not None:
            writer.close()
        if owned:
            eng.close()
    seconds = time.perf_counter() - started

    def per(arr: NDArray[Any], cast: Callable[[Any], Any] = float) -> dict[str, dict[str, Any]]:
        return {
            ii: {mm: cast(arr[a, b]) for a, mm in enumerate(names)} for b, ii in enumerate(iids)
        }

    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    qs = [0.5] + [q for pair in INTERVALS.values() for q in pair]
    median: dict[str, dict[str, float]] = {ii: {} for ii in iids}
    intervals: dict[str, dict[str, dict[str, list[float]]]] = {ii: {} for ii in iids}
    for b, ii in enumerate(iids):
        lo_s, hi_s = float(space.arrays.scale_min[b]), float(space.arrays.scale_max[b])
        for a, mm in enumerate(names):
            vals = _quantiles(hist[a, b], lo_s, hi_s, qs, float(low[a, b]), float(high[a, b]))
            median[ii][mm] = vals[0]
            intervals[ii][mm] = {
                k: [vals[1 + 2 * n], vals[2 + 2 * n]] for n, k in enumerate(INTERVALS)
            }
    p_verdict: dict[str, dict[str, float]] | None = None
    if use_verdicts and done > 0:
        p_verdict = {
            ii: {v: float(vcounts[b, k]) / done for k, v in enumerate(VERDICTS)}
            for b, ii in enumerate(iids)
        }
    finite_low = np.where(np.isfinite(low), low, np.nan)
    finite_high = np.where(np.isfinite(high), high, np.nan)
    return SweepResult(
        case_id=case.case.id,
        case_title=case.case.title,
        seed=int(seed),
        draws=draws,
        draws_done=done,
        interrupted=interrupted,
        engine=eng.name,
        workers=eng.workers,
        chunk_size=chunk_size,
        bins=bins,
        models=names,
        issues=iids,
        scales={
            ii: (float(space.arrays.scale_min[b]), float(space.arrays.scale_max[b]))
            for b, ii in enumerate(iids)
        },
        inputs=[u.to_dict() for u in space.inputs],
        mean=per(mean),
        median=median,
        intervals=intervals,
        minimum=per(finite_low),
        maximum=per(finite_high),
        count=per(count, int),
        p_verdict=p_verdict,
        verdict_basis="bdm" if use_verdicts else None,
        seconds=seconds,
        params={n: dict(p) for n, p in resolved},
    )
