"""Commands that write briefs: brief, demo."""

from __future__ import annotations

from pathlib import Path

import click

from detente.cli._common import case_argument, case_id_option, input_format_option, load_one
from detente.forecast import forecast as run_forecast
from detente.report.brief import build_brief
from detente.report.demo import DEFAULT_OUT, run_demo

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
@input_format_option
@case_id_option
def brief(
    case_file: Path,
    out: Path,
    models: tuple[str, ...],
    input_format: str | None,
    case_id: str | None,
) -> None:
    """Write a self-contained HTML brief of a case and its forecasts.

    The brief opens offline in any browser: its charts' JavaScript is inlined.
    CASE may be a case file or any import format.
    """
    case = load_one(case_file, input_format, case_id)
    result = run_forecast(case, models or None, trajectory=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build_brief(case, result), encoding="utf-8")
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
    """Run the flagship case end to end: validate, forecast, diagnose, brief.

    Writes forecast.json and brief.html (and the diagnosis and guarantee receipt when
    those capabilities are installed) into the output folder, then prints where they
    are and a summary. Exits 1 if an installed part failed.
    """
    result = run_demo(case_file, out, models or None)
    click.echo(result.summary())
    if not result.ok:
        click.get_current_context().exit(1)


commands: list[click.Command] = [brief, demo]
