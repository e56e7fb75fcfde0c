"""``detente backtest``: score the forecasting models on negotiations with known outcomes."""

from __future__ import annotations

from pathlib import Path

import click

from detente.backtest import CAPABILITY_OPTIONS, load_benchmark, run_backtest
from detente.backtest.protocol import PROTOCOL_MODELS, markdown, run_protocol
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
@click.option(
    "--cv",
    "cv",
    type=click.IntRange(min=2),
    default=None,
    help="Honest protocol: K-fold cross-validation grouped by proposal, every parameter "
    "tuned inside the training folds (nested), probabilistic scores.",
)
@click.option(
    "--repeats",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="With --cv: independent fold assignments, scores averaged per issue.",
)
@format_option("table", "json", "markdown")
def deu(
    file: Path,
    models: tuple[str, ...],
    capability: str,
    seed: int,
    n_boot: int,
    params: tuple[str, ...],
    cv: int | None,
    repeats: int,
    fmt: str,
) -> None:
    """Backtest on a DEU III file: MAE, RMSE, median absolute error, 95% intervals.

    Issues without an outcome or with fewer than 3 actors holding a position are
    skipped. Intervals resample whole proposals; `vs_compromise` is each model's metric
    minus the compromise model's on the same issues and resamples (negative = better).

    With --cv K the models are scored by nested cross-validation grouped by proposal
    (default models: compromise, median, deu-compromise, choice), with log score, CRPS
    and the coverage of 50% and 80% intervals, overall and per subset.

    \b
    Examples:
      detente backtest deu data/deu3/deu3-public.csv --format json
      detente backtest deu data/deu3/deu3-public.csv --cv 5 --repeats 5
    """  # noqa: D301 - click's \b (no rewrap) must be a real backspace
    names = [n.strip() for item in models for n in item.split(",") if n.strip()]
    bench = load_benchmark(file, capability)
    if cv is not None:
        if params:
            raise click.UsageError("--param is not used with --cv: the protocol tunes parameters")
        res = run_protocol(
            bench, names or list(PROTOCOL_MODELS), k=cv, repeats=repeats, seed=seed, n_boot=n_boot
        )
        if fmt == "json":
            click.echo(render_json(res.to_dict()))
        elif fmt == "markdown":
            click.echo(markdown(res))
        else:
            click.echo(
                f"DEU III nested {cv}-fold CV of {file} grouped by proposal, {repeats} repeat(s): "
                f"{bench.n_issues} issues in {len(set(bench.proposal))} proposals; "
                f"bootstrap {n_boot} by proposal, seed {seed}"
            )
            click.echo(render_table(res.rows()))
        return
    if repeats != 1:
        raise click.UsageError("--repeats needs --cv")
    if fmt == "markdown":
        raise click.UsageError("--format markdown needs --cv")
    names = names or default_models()
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
