"""Commands that write briefs: brief, demo."""

from __future__ import annotations

from pathlib import Path

import click

from detente.cli._common import case_argument, case_id_option, input_format_option, load_one
from detente.forecast import forecast as run_forecast
from detente.report.brief import build_brief
from detente.report.demo import DEFAULT_OUT, SWEEP_ENGINE, SWEEP_SEED, run_demo

__all__ = ["commands"]

_models_option = click.option(
    "-m",
    "--model",
    "models",
    multiple=True,
    help="Model name (repeatable); default: compromise, median, nash.",
)


@click.command()
@case_argument
@click.option(
    "-o",
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write.",
)
@_models_option
@click.option(
    "--sweep-draws",
    "sweep_draws",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Add a Monte Carlo sweep of this many draws (0: none). Uses the --model list, "
    "else the sweep's defaults (with bdm, for P(deadlock)).",
)
@click.option(
    "--sweep-seed",
    "sweep_seed",
    type=int,
    default=SWEEP_SEED,
    show_default=True,
    help="Seed of the sweep.",
)
@input_format_option
@case_id_option
def brief(
    case_file: Path,
    out: Path,
    models: tuple[str, ...],
    sweep_draws: int,
    sweep_seed: int,
    input_format: str | None,
    case_id: str | None,
) -> None:
    """Write a self-contained HTML brief of a case and its forecasts.

    The brief opens offline in any browser: its charts' JavaScript is inlined.
    CASE may be a case file or any import format. With --sweep-draws N the brief also
    shows a Monte Carlo sweep over the case's ranges (engine local, in this process).
    """
    case = load_one(case_file, input_format, case_id)
    result = run_forecast(case, models or None, trajectory=True)
    sweep = None
    if sweep_draws > 0:
        from detente.uncertainty.sweep import run_sweep

        sweep = run_sweep(
            case,
            sweep_draws,
            sweep_seed,
            models=list(models) or None,
            engine=SWEEP_ENGINE,
            workers=1,
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build_brief(case, result, sweep=sweep), encoding="utf-8")
    click.echo(f"wrote {out.resolve()}")


@click.command()
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Output folder.",
)
@click.option(
    "--case",
    "case_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Case file (default: examples/istanbul-2025/case.yaml).",
)
@_models_option
def demo(out: Path, case_file: Path | None, models: tuple[str, ...]) -> None:
    """Run the flagship case end to end: validate, forecast, diagnose, sweep, brief.

    Writes forecast.json and brief.html (and, when those capabilities are installed,
    diagnosis.json, sweep.json, sensitivity.json, interventions.json and the guarantee
    receipt) into the output folder, then prints where they are and a summary. Exits 1
    if an installed part failed.
    """
    result = run_demo(case_file, out, models or None)
    click.echo(result.summary())
    if not result.ok:
        click.get_current_context().exit(1)


commands: list[click.Command] = [brief, demo]
