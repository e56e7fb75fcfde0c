"""``detente backtest``: score the forecasting models on negotiations with known outcomes."""

from __future__ import annotations

from pathlib import Path

import click

from detente.backtest import CAPABILITY_OPTIONS, load_benchmark, run_backtest
from detente.backtest.scoring import default_models
from detente.cli._common import format_option, render_json, render_table
from detente.cli.forecast import parse_params

__all__ = ["backtest", "commands"]


@click.group()
def backtest() -> None:
    """Score models against real outcomes (DEU III EU legislative data)."""


@backtest.command("deu")
@click.argument("file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-m",
    "--model",
    "--models",
    "models",
    multiple=True,
    help="Model names, repeatable or comma-separated (default: compromise, median, nash, "
    "deu-compromise, and bdm when installed). compromise is always scored.",
)
@click.option(
    "--capability",
    type=click.Choice(list(CAPABILITY_OPTIONS)),
    default="gdp",
    show_default=True,
    help="Capability: GDP from the file, Council votes by treaty period, population, or equal.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@click.option(
    "--bootstrap",
    "n_boot",
    type=click.IntRange(min=100),
    default=2000,
    show_default=True,
    help="Bootstrap replicates (resampling whole proposals).",
)
@click.option(
    "-p", "--param", "params", multiple=True, help="Model parameter MODEL.NAME=VALUE (repeatable)."
)
@format_option("table", "json")
def deu(
    file: Path,
    models: tuple[str, ...],
    capability: str,
    seed: int,
    n_boot: int,
    params: tuple[str, ...],
    fmt: str,
) -> None:
    """Backtest on a DEU III file: MAE, RMSE, median absolute error, 95% intervals.

    Issues without an outcome or with fewer than 3 actors holding a position are
    skipped. Intervals resample whole proposals; `vs_compromise` is each model's metric
    minus the compromise model's on the same issues and resamples (negative = better).

    \b
    Example:
      detente backtest deu data/deu3/deu3-public.csv --format json
    """  # noqa: D301 - click's \b (no rewrap) must be a real backspace
    names = [n.strip() for item in models for n in item.split(",") if n.strip()] or default_models()
    bench = load_benchmark(file, capability)
    result = run_backtest(bench, names, parse_params(params), seed=seed, n_boot=n_boot)
    if fmt == "json":
        click.echo(render_json(result.to_dict()))
        return
    click.echo(
        f"DEU III backtest of {file}: {result.n_issues} issues in {result.n_proposals} proposals "
        f"({len(result.skipped)} skipped); capability {capability}; "
        f"bootstrap {n_boot} by proposal, seed {seed}"
    )
    click.echo(render_table(result.rows()))
    cover = {n: s for n, s in result.models.items() if "interval_coverage" in s}
    for name, s in cover.items():
        click.echo(
            f"{name}: prediction intervals cover {s['interval_coverage']:.1%} of outcomes "
            f"(mean width {s['interval_mean_width']:.1f})"
        )


commands = [backtest]
