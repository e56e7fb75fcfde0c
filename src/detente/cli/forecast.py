"""Commands that forecast: forecast, models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from detente import boundedjson
from detente.cli._common import (
    case_argument,
    case_id_option,
    emit,
    format_option,
    input_format_option,
    load_one,
    render_table,
)
from detente.errors import ModelError

__all__ = ["commands", "parse_params"]


def parse_params(items: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Turn ``MODEL.NAME=VALUE`` strings into ``{model: {name: value}}``.

    Values are parsed as JSON where they can be (``3``, ``true``), else kept as text.
    """
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        model, dot, name = key.partition(".")
        if not sep or not dot or not model or not name:
            raise ModelError(
                f"--param '{item}': expected MODEL.NAME=VALUE, e.g. nash.utility=linear"
            )
        try:
            value: Any = boundedjson.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out.setdefault(model, {})[name] = value
    return out


@click.command()
@case_argument
@click.option(
    "-m",
    "--model",
    "models",
    multiple=True,
    help="Model name (repeatable); default: compromise, median, nash.",
)
@click.option(
    "-p", "--param", "params", multiple=True, help="Model parameter MODEL.NAME=VALUE (repeatable)."
)
@click.option(
    "--rounds",
    type=click.IntRange(min=1),
    default=None,
    help="Rounds for models that iterate (sets MODEL.rounds).",
)
@click.option(
    "--trajectory",
    is_flag=True,
    help="Include every actor's position per round (JSON: per issue a `rounds` list).",
)
@input_format_option
@case_id_option
@format_option("table", "json", "csv")
def forecast(
    case_file: Path,
    models: tuple[str, ...],
    params: tuple[str, ...],
    rounds: int | None,
    trajectory: bool,
    input_format: str | None,
    case_id: str | None,
    fmt: str,
) -> None:
    """Forecast every issue of a case with the chosen models.

    CASE may be a case file or any import format (KTAB CSV/XML, BDM table, DEU III).
    """
    from detente.forecast import forecast as run_forecast
    from detente.forecast import get_model

    case = load_one(case_file, input_format, case_id)
    model_params = parse_params(params)
    if rounds is not None:
        for name in models or ():
            if "rounds" in get_model(name).params:
                model_params.setdefault(name, {})["rounds"] = rounds
    result = run_forecast(case, models or None, model_params, trajectory=trajectory)
    columns = ["issue", "model", "outcome", "nearest_anchor", "anchor_label", "note"]

    def text() -> list[str]:
        lines = [f"{case.case.title}  ({case_file})", render_table(result.rows(), columns)]
        options = [
            {
                "issue": i,
                "model": m,
                "option": o["value"],
                "label": o["label"],
                "probability": f"{o['probability']:.0%}",
            }
            for i, issue in result.to_dict()["issues"].items()
            for m, entry in issue["models"].items()
            for o in entry.get("option_probabilities", [])
        ]
        if options:
            lines += ["\nProbability of each labelled option:", render_table(options)]
        return lines

    emit(fmt, result, text=text)


@click.command()
@format_option("table", "json")
def models(fmt: str) -> None:
    """List the registered models and their contracts."""
    from detente.forecast import available_models

    specs = available_models()
    if fmt == "json":
        emit(fmt, {n: s.metadata() for n, s in sorted(specs.items())})
        return
    rows = [
        {
            "model": n,
            "multi_issue": s.multi_issue,
            "needs_status_quo": s.needs_status_quo,
            "trajectory": s.trajectory,
            "summary": s.summary,
        }
        for n, s in sorted(specs.items())
    ]
    emit(fmt, rows)


commands = [forecast, models]
