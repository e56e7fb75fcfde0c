"""Commands that write briefs: brief, demo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from detente.cli._common import (
    case_argument,
    case_id_option,
    check_output_path,
    input_format_option,
    load_one,
    output_option,
    write_output,
)
from detente.cli.uncertainty import parse_draws
from detente.errors import DetenteError
from detente.pipeline.analyses import BriefOptions, analyse
from detente.pipeline.demo import DEFAULT_OUT, run_demo
from detente.uncertainty.defaults import DEFAULT_DRAWS, DEFAULT_ROBUSTNESS_DRAWS, DEFAULT_SEED

__all__ = ["commands"]

FC = TypeVar("FC", bound=Callable[..., Any] | click.Command)

_models_option = click.option(
    "-m",
    "--model",
    "models",
    multiple=True,
    help="Model name (repeatable); default: compromise, median, nash, bdm, smp for the "
    "forecast and the sweep's defaults for the sweep.",
)


def _part_flag(name: str, what: str) -> Callable[[FC], FC]:
    return click.option(
        f"--{name}/--no-{name}",
        name.replace("-", "_"),
        default=True,
        show_default=True,
        help=f"Include {what}.",
    )


def _demo_folder(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """The default folder is created with its parents; a folder the user names is checked."""
    if value == DEFAULT_OUT:
        return value
    try:
        return check_output_path(value, folder=True, what="demo's output")
    except DetenteError as exc:
        raise click.BadParameter(exc.message) from None


@click.command()
@case_argument
@output_option(
    "-o",
    "--out",
    suffixes=(".html", ".htm"),
    what="brief (a self-contained HTML page)",
    required=True,
    help="The HTML file to write (its folder must exist).",
)
@_models_option
@_part_flag("diagnosis", "the deadlock diagnosis (why it is stuck)")
@_part_flag("sweep", "the Monte Carlo sweep over the stated ranges (how sure)")
@_part_flag("sensitivity", "the one-at-a-time tornado (which estimates matter)")
@_part_flag("interventions", "the intervention search for the mediators (what would move it)")
@click.option(
    "-n",
    "--draws",
    "draws_text",
    default=str(DEFAULT_DRAWS),
    show_default=True,
    help="Monte Carlo draws of the sweep (10000, 10k, 1e5); the same default as `sweep`.",
)
@click.option(
    "--seed",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="Seed of the sweep and of the robustness draws; the same default as `sweep`.",
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
    "--by",
    "by",
    multiple=True,
    help="Actor whose levers the intervention search moves (repeatable; default: the "
    "case's mediators).",
)
@click.option(
    "--whatif",
    "whatifs",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A what-if file to run against the case and show (repeatable).",
)
@click.option(
    "--ledger",
    "ledger",
    default=None,
    metavar="DB",
    help="A ledger (SQLite file or postgresql:// URL): show the case's guarantees from it, "
    "each with its receipt embedded.",
)
@input_format_option
@case_id_option
def brief(
    case_file: Path,
    out: Path,
    models: tuple[str, ...],
    diagnosis: bool,
    sweep: bool,
    sensitivity: bool,
    interventions: bool,
    draws_text: str,
    seed: int,
    robustness_draws: int,
    by: tuple[str, ...],
    whatifs: tuple[Path, ...],
    ledger: str | None,
    input_format: str | None,
    case_id: str | None,
) -> None:
    """Write the full HTML brief of a case: one self-contained page, readable offline.

    The brief opens with a three-sentence bottom line (why it is stuck, what would move
    it, how sure), then the diagnosis, the Monte Carlo sweep, the intervention search,
    the tornado, any what-if files and the guarantees of a ledger, then the forecasts
    and the case itself. Each part has a flag to leave it out,
    such as --no-sweep. CASE may be a case file or any import format.
    """
    case = load_one(case_file, input_format, case_id)
    options = BriefOptions(
        models=models or None,
        diagnosis=diagnosis,
        sweep=sweep,
        sensitivity=sensitivity,
        interventions=interventions,
        draws=parse_draws(draws_text),
        seed=seed,
        robustness_draws=robustness_draws,
        by=by or None,
        whatifs=whatifs,
        ledger=ledger,
    )
    results = analyse(case, options, case_file)
    write_output(out, results.brief())
    click.echo(f"wrote {out.resolve()}")


@click.command()
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    callback=_demo_folder,
    help="Output folder (created; a folder you name must have an existing parent).",
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
    """Run the flagship case end to end and write its full brief.

    The same brief as `detente brief`, with every part, plus (for the flagship case
    only) an illustrative guarantee recorded in a throwaway ledger. Writes
    forecast.json, diagnosis.json, sweep.json, sensitivity.json, interventions.json,
    the receipt and brief.html into the output folder, then prints a summary.
    """
    result = run_demo(case_file, out, models or None)
    click.echo(result.summary())


commands: list[click.Command] = [brief, demo]
