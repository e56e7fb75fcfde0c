"""Commands for uncertainty: sweep, sensitivity, whatif, interventions."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from detente.cli._common import (
    FiniteFloat,
    case_argument,
    case_id_option,
    emit,
    format_option,
    input_format_option,
    load_one,
    output_option,
    render_table,
)
from detente.cli.forecast import parse_params
from detente.errors import Diagnostic
from detente.uncertainty.defaults import DEFAULT_DRAWS, DEFAULT_ROBUSTNESS_DRAWS, DEFAULT_SEED
from detente.uncertainty.engines import ENGINES
from detente.uncertainty.errors import UncertaintyError

__all__ = ["commands", "parse_draws"]

_models_option = click.option(
    "-m",
    "--model",
    "models",
    multiple=True,
    help="Model name (repeatable; 'all' for every registered model); default: compromise, "
    "median, nash and bdm.",
)
_params_option = click.option(
    "-p", "--param", "params", multiple=True, help="Model parameter MODEL.NAME=VALUE."
)


def parse_draws(text: str) -> int:
    """``10000``, ``10_000``, ``10,000``, ``1e5`` or ``100k`` as a positive whole number.

    Raises:
        UncertaintyError: When it is not a positive whole number.
    """
    raw = text.strip().lower().replace("_", "").replace(",", "")
    mult = 1
    if raw.endswith("k"):
        raw, mult = raw[:-1], 1000
    elif raw.endswith("m"):
        raw, mult = raw[:-1], 1_000_000
    try:
        value = float(raw) * mult
    except ValueError:
        value = float("nan")
    if not (value == value and value >= 1 and value == int(value)):
        raise UncertaintyError(
            f"--draws: '{text}' is not a positive whole number",
            [
                Diagnostic(
                    f"bad --draws value '{text}'",
                    expected="a whole number >= 1",
                    hint="for example --draws 10000 (also 10k, 1e5)",
                    code="bad-draws",
                )
            ],
        )
    return int(value)


class _Progress:
    """Draws done, rate and time left on stderr: a bar on a terminal, else a line a second."""

    def __init__(self, total: int, label: str = "draws") -> None:
        self.total = total
        self.label = label
        self.started = time.perf_counter()
        self.last_line = 0.0
        self.done = 0
        self.tty = sys.stderr.isatty()
        self.bar: Any = None
        if self.tty:
            self.bar = click.progressbar(
                length=total,
                label=label,
                file=sys.stderr,
                show_eta=True,
                show_pos=True,
                item_show_func=lambda s: s,
            )
            self.bar.__enter__()

    def __call__(self, done: int) -> None:
        now = time.perf_counter()
        rate = done / max(now - self.started, 1e-9)
        if self.bar is not None:
            self.bar.update(done - self.done, current_item=f"{rate:,.0f}/s")
        elif now - self.last_line >= 1.0 or done == self.total:
            left = (self.total - done) / rate if rate > 0 else float("nan")
            click.echo(
                f"{self.label} {done:,}/{self.total:,}  {rate:,.0f}/s  {left:,.0f} s left",
                err=True,
            )
            self.last_line = now
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.command()
@case_argument
@click.option(
    "-n",
    "--draws",
    "draws_text",
    default=str(DEFAULT_DRAWS),
    show_default=True,
    help="Number of Monte Carlo draws (10000, 10k, 1e5).",
)
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Random seed.")
@_models_option
@_params_option
@click.option(
    "--engine",
    type=click.Choice(list(ENGINES)),
    default="local",
    show_default=True,
    help="local process pool, a new Dask LocalCluster, or a Dask scheduler.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all CPUs; 1 runs in this process).",
)
@click.option("--scheduler", default=None, help="Dask scheduler address for --engine dask.")
@output_option(
    "--draws-out",
    suffixes=(".csv", ".parquet"),
    what="draws file",
    help="Write every draw (inputs, outcomes, verdicts) to a .csv or .parquet file.",
)
@click.option(
    "--diagnosis/--no-diagnosis",
    default=True,
    show_default=True,
    help="Diagnose every draw for P(deadlock) (when bdm is among the models).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr (default: when stderr is a terminal).",
)
@input_format_option
@case_id_option
@format_option("table", "json", "csv")
def sweep(
    case_file: Path,
    draws_text: str,
    seed: int,
    models: tuple[str, ...],
    params: tuple[str, ...],
    engine: str,
    workers: int | None,
    scheduler: str | None,
    draws_out: Path | None,
    diagnosis: bool,
    progress: bool | None,
    input_format: str | None,
    case_id: str | None,
    fmt: str,
) -> None:
    """Monte Carlo over every number of CASE that has a range.

    Reports per issue and model the mean, median, and 50/80/95% intervals of the
    outcome, and P(deadlock) from the diagnosis of each draw. The same --seed gives
    identical numbers on every engine and worker count. Ctrl-C stops and reports the
    draws that finished.
    """
    from detente.uncertainty.sweep import run_sweep

    draws = parse_draws(draws_text)
    case = load_one(case_file, input_format, case_id)
    show = sys.stderr.isatty() if progress is None else progress
    progress_fn = _Progress(draws) if show else None
    try:
        result = run_sweep(
            case,
            draws,
            seed,
            models=list(models) or None,
            params=parse_params(params),
            engine=engine,
            workers=workers,
            scheduler=scheduler,
            draws_out=draws_out,
            progress=progress_fn,
            diagnosis=diagnosis,
        )
    finally:
        if progress_fn is not None:
            progress_fn.close()
    if result.interrupted:
        click.echo(
            f"interrupted: {result.draws_done:,} of {result.draws:,} draws finished; "
            "the results below cover those draws",
            err=True,
        )

    def text() -> list[str]:
        lines = [
            f"{case.case.title}\n{result.draws_done:,} draws, seed {result.seed}, "
            f"engine {result.engine} x{result.workers}, {result.seconds:.2f} s "
            f"({result.rate:,.0f} draws/s)",
            render_table(result.rows()),
        ]
        if result.p_verdict is None and diagnosis:
            lines.append("(no P(deadlock): the diagnosis needs the bdm model in the sweep)")
        return lines

    emit(fmt, result, text=text)
    if draws_out is not None:
        click.echo(f"draws written to {draws_out}", err=True)
    if result.interrupted:
        sys.exit(130)


@click.command()
@case_argument
@click.option(
    "--method",
    type=click.Choice(["tornado", "sobol", "both"]),
    default="both",
    show_default=True,
    help="One-at-a-time tornado, Sobol indices, or both.",
)
@click.option(
    "--samples",
    type=click.IntRange(min=2),
    default=256,
    show_default=True,
    help="Sobol base sample N, a power of 2 (N x (inputs + 2) model runs).",
)
@click.option(
    "--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Seed of the Sobol design."
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Sobol progress on stderr (default: when stderr is a terminal).",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Inputs shown per output in the table.",
)
@_models_option
@_params_option
@input_format_option
@case_id_option
@format_option("table", "json")
def sensitivity(
    case_file: Path,
    method: str,
    samples: int,
    seed: int,
    top: int,
    progress: bool | None,
    models: tuple[str, ...],
    params: tuple[str, ...],
    input_format: str | None,
    case_id: str | None,
    fmt: str,
) -> None:
    """Which estimates the forecast hangs on: tornado and Sobol indices (SALib)."""
    from detente.uncertainty.sensitivity import sobol, tornado

    case = load_one(case_file, input_format, case_id)
    chosen = list(models) or None
    mp = parse_params(params)
    t = tornado(case, chosen, mp, source=str(case_file)) if method in ("tornado", "both") else None
    s = None
    if method in ("sobol", "both"):
        bar: _Progress | None = None
        t0 = time.perf_counter()

        def tick(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = _Progress(total, label="Sobol runs")
                bar.started = t0  # the rate counts from the start of the design
            bar(done)

        done = [0, 0]

        show = sys.stderr.isatty() if progress is None else progress

        def count(n_done: int, total: int) -> None:
            done[0], done[1] = n_done, total
            if show:
                tick(n_done, total)

        try:
            s = sobol(
                case,
                samples,
                seed,
                chosen,
                mp,
                source=str(case_file),
                progress=count,
            )
        except KeyboardInterrupt:
            if bar is not None:
                bar.close()
                bar = None
            if t is not None and fmt != "json":
                click.echo(f"Tornado (one at a time), top {top} per issue and model")
                click.echo(render_table(t.rows(top)))
            click.echo(
                f"interrupted: the Sobol design stopped after {done[0]:,} of {done[1]:,} model "
                "runs; indices need the whole design, so none are reported"
                + ("; the tornado above is complete" if t is not None and fmt != "json" else ""),
                err=True,
            )
            raise SystemExit(130) from None
        finally:
            if bar is not None:
                bar.close()
    if fmt == "json":
        emit(fmt, {"tornado": t.to_dict() if t else None, "sobol": s.to_dict() if s else None})
        return
    if t is not None:
        click.echo(f"Tornado (one at a time), top {top} per issue and model")
        click.echo(render_table(t.rows(top)))
    if s is not None:
        click.echo(f"\nSobol indices (N={s.n}, {s.evaluations:,} runs), top {top} by ST")
        click.echo(render_table(s.rows(top)))


@click.command()
@case_argument
@click.argument("whatif_file", metavar="WHATIF", type=click.Path(dir_okay=False, path_type=Path))
@_models_option
@_params_option
@input_format_option
@case_id_option
@format_option("table", "json", "csv")
def whatif(
    case_file: Path,
    whatif_file: Path,
    models: tuple[str, ...],
    params: tuple[str, ...],
    input_format: str | None,
    case_id: str | None,
    fmt: str,
) -> None:
    """Forecast and diagnosis before and after the changes in a WHATIF file.

    See docs/whatif-format.md for the file format.
    """
    from detente.uncertainty.whatif import load_whatif, run_whatif

    case = load_one(case_file, input_format, case_id)
    wf = load_whatif(whatif_file)
    result = run_whatif(case, wf, list(models) or None, parse_params(params))
    if fmt != "table":
        emit(fmt, result)
    else:
        click.echo(f"What if: {wf.name}")
        for c in wf.changes:
            click.echo(f"  - {c.describe()}")
        click.echo(render_table(result.rows()))


@click.command()
@case_argument
@click.option("--issue", required=True, help="Issue id.")
@click.option(
    "--by", "by", multiple=True, required=True, help="Actor whose inputs may change (repeatable)."
)
@click.option(
    "-m",
    "--model",
    "model",
    default=None,
    help="Model judged (default: bdm when available, else compromise).",
)
@_params_option
@click.option(
    "--target",
    type=FiniteFloat(),
    default=None,
    help="Move the forecast to this value (default goal: out of deadlock).",
)
@click.option(
    "--tolerance",
    type=FiniteFloat(min=0.0, min_open=True),
    default=1.0,
    show_default=True,
    help="Scale points either side of --target.",
)
@click.option(
    "--lever",
    "levers",
    multiple=True,
    type=click.Choice(["position", "salience", "capability"]),
    help="Inputs that may change (repeatable; default: all three).",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Interventions shown, best first.",
)
@click.option(
    "--robustness",
    "robustness_draws",
    type=click.IntRange(min=0),
    default=DEFAULT_ROBUSTNESS_DRAWS,
    show_default=True,
    help="Test each intervention over this many draws of the case's ranges (0: skip).",
)
@click.option(
    "--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Seed of those draws."
)
@input_format_option
@case_id_option
@format_option("table", "json")
def interventions(
    case_file: Path,
    issue: str,
    by: tuple[str, ...],
    model: str | None,
    params: tuple[str, ...],
    target: float | None,
    tolerance: float,
    levers: tuple[str, ...],
    top: int,
    robustness_draws: int,
    seed: int,
    input_format: str | None,
    case_id: str | None,
    fmt: str,
) -> None:
    """The smallest changes by the named actors that take ISSUE out of deadlock.

    Or, with --target, that bring the forecast within --tolerance of a value. Each change
    is also tested across the case's stated ranges (--robustness draws): p_goal is the
    share of draws in which the goal is met with the change in place.
    """
    from detente.uncertainty.interventions import search_interventions as _search

    case = load_one(case_file, input_format, case_id)
    mp = parse_params(params)
    name = model
    try:
        result = _search(
            case,
            issue,
            list(by),
            model=name,
            params=mp.get(name or "", {}) if name else None,
            target=target,
            tolerance=tolerance,
            kinds=list(levers) or ("position", "salience", "capability"),
            top=top,
            robustness_draws=robustness_draws,
            seed=seed,
        )
    except KeyboardInterrupt:
        click.echo(
            "interrupted: the search was stopped before it finished; nothing found yet is reported",
            err=True,
        )
        raise SystemExit(130) from None
    if fmt == "json":
        emit(fmt, result)
        return
    click.echo(
        f"Goal: {result.goal}; before: outcome {result.before_outcome:.2f}, "
        f"verdict {result.before_verdict or '-'} ({result.evaluations:,} evaluations)"
    )
    if result.note:
        click.echo(result.note)
    rob = result.robustness
    if rob and "p_goal_before" in rob:
        click.echo(
            f"Robustness: the goal is met in {rob['p_goal_before']:.0%} of {rob['draws']:,} "
            f"draws of the case's ranges without any change (seed {rob['seed']}); "
            "p_goal is that share with the change in place."
        )
    elif rob:
        click.echo(f"Robustness: {rob.get('note')}")
    if result.interventions:
        click.echo(render_table(result.rows()))


commands = [sweep, sensitivity, whatif, interventions]
"""The commands this module adds to ``detente``."""
