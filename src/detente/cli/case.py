"""Commands about case files: schema, validate, convert, cases."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from detente.cli._common import (
    case_argument,
    case_id_option,
    emit,
    format_option,
    input_format_option,
    load_one,
    output_option,
    render_json,
    write_output,
)
from detente.errors import CaseError, Diagnostic

__all__ = ["commands"]


@click.command()
def schema() -> None:
    """Print the JSON Schema of case files (for editors and CI)."""
    from detente.case.schema import case_json_schema

    click.echo(json.dumps(case_json_schema(), indent=2))


@click.command()
@case_argument
@input_format_option
@format_option("text", "json", default="text")
@click.pass_context
def validate(ctx: click.Context, case_file: Path, input_format: str | None, fmt: str) -> None:
    """Check a case file and report every problem at once (exit 2 if any error)."""
    from detente.case.formats import read_cases
    from detente.case.limits import read_input
    from detente.case.loader import validate_case_text

    diags: list[Diagnostic]
    n_cases = 0
    if input_format in (None, "yaml", "json") and case_file.suffix.lower() in (
        ".yaml",
        ".yml",
        ".json",
    ):
        try:
            text = read_input(case_file, "case file")
            case, diags = validate_case_text(text, str(case_file))
        except CaseError as exc:
            case, diags = None, exc.items or [Diagnostic(exc.message, str(case_file))]
        n_cases = 1 if case is not None else 0
    else:
        diags = []
        try:
            n_cases = len(read_cases(case_file, input_format, diags))
        except CaseError as exc:
            diags += exc.items or [Diagnostic(exc.message, str(case_file))]
    errors = [d for d in diags if d.severity == "error"]
    warnings = [d for d in diags if d.severity != "error"]
    if fmt == "json":
        click.echo(
            render_json(
                {
                    "file": str(case_file),
                    "valid": not errors,
                    "cases": n_cases,
                    "errors": len(errors),
                    "warnings": len(warnings),
                    "diagnostics": [d.to_dict() for d in diags],
                }
            )
        )
    else:
        for d in diags:
            click.echo(d.render(), err=bool(errors))
        if errors:
            click.echo(
                f"{case_file}: {len(errors)} error(s), {len(warnings)} warning(s); not valid",
                err=True,
            )
        else:
            extra = f" ({n_cases} cases)" if n_cases > 1 else ""
            click.echo(f"{case_file}: valid{extra}, {len(warnings)} warning(s)")
    if errors:
        ctx.exit(2)


@click.command()
@case_argument
@click.option(
    "--to",
    "to_format",
    type=click.Choice(["yaml", "json", "csv", "ktab-csv", "ktab-xml", "bdm-csv"]),
    default="yaml",
    show_default=True,
    help="Output format.",
)
@output_option("-o", "--out", what="converted case", help="Write here (default: stdout).")
@input_format_option
@case_id_option
def convert(
    case_file: Path, to_format: str, out: Path | None, input_format: str | None, case_id: str | None
) -> None:
    """Convert a case between formats (import KTAB/BDM/DEU III, export YAML/JSON/CSV...)."""
    from detente.case.formats import write_case

    case = load_one(case_file, input_format, case_id)
    text = write_case(case, to_format)
    if out is None:
        sys.stdout.write(text)
    else:
        write_output(out, text)  # never a half-written file
        click.echo(f"wrote {out}", err=True)


@click.command()
@case_argument
@input_format_option
@format_option("table", "json")
def cases(case_file: Path, input_format: str | None, fmt: str) -> None:
    """List the cases a file holds (a DEU III file holds one per issue)."""
    from detente.case.formats import read_cases

    found = read_cases(case_file, input_format)
    rows = [
        {
            "id": c.case.id,
            "title": c.case.title,
            "actors": len(c.actors),
            "issues": len(c.issues),
            "positions": sum(p.position is not None for p in c.positions),
        }
        for c in found
    ]
    emit(fmt, rows)


commands = [schema, validate, convert, cases]
