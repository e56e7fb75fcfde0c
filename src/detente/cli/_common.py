"""Helpers shared by the commands: loading a case from any format, rendering output."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from detente.case.formats import FORMATS, read_cases
from detente.case.model import Case
from detente.errors import CaseError, Diagnostic

__all__ = [
    "case_argument",
    "format_option",
    "load_one",
    "render_csv",
    "render_json",
    "render_table",
]

case_argument = click.argument(
    "case_file", metavar="CASE", type=click.Path(dir_okay=False, path_type=Path)
)


FC = TypeVar("FC", bound=Callable[..., Any])


def format_option(*choices: str, default: str = "table") -> Callable[[FC], FC]:
    """A ``--format`` option restricted to ``choices``."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Output format.",
    )


input_format_option = click.option(
    "--from",
    "input_format",
    type=click.Choice(list(FORMATS)),
    default=None,
    help="Input format (detected from the file when omitted).",
)
case_id_option = click.option(
    "--case",
    "case_id",
    default=None,
    help="Pick one case from a file that holds several (DEU III).",
)


def load_one(path: Path, fmt: str | None = None, case_id: str | None = None) -> Case:
    """Load one case from ``path``, choosing ``case_id`` in multi-case files.

    The reader's warnings (what an import ignored) are printed on stderr.
    """
    warnings: list[Diagnostic] = []
    cases = read_cases(path, fmt, warnings)
    for w in warnings:
        click.echo(w.render(), err=True)
    if case_id is not None:
        for c in cases:
            if c.case.id == case_id:
                return c
        some = ", ".join(c.case.id for c in cases[:5])
        raise CaseError(f"{path}: no case with id '{case_id}' (ids look like: {some}, ...)")
    if len(cases) != 1:
        some = ", ".join(c.case.id for c in cases[:5])
        raise CaseError(
            f"{path}: holds {len(cases)} cases; pick one with --case ID (for example {some}); "
            f"`detente cases {path}` lists them"
        )
    return cases[0]


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.2f}"
    return str(v)


def render_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Plain aligned text table."""
    if not rows:
        return "(no rows)"
    cols = list(columns or rows[0].keys())
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[k]) for row in cells)) for k, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def render_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """CSV with a header row."""
    buf = io.StringIO()
    cols = list(columns or (rows[0].keys() if rows else []))
    writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
    return buf.getvalue()


def render_json(data: Any) -> str:
    """Indented JSON; NaN is written as null."""

    def clean(x: Any) -> Any:
        if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        return x

    return json.dumps(clean(data), indent=2, ensure_ascii=False)
