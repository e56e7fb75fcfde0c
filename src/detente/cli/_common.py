"""Helpers shared by the commands: loading a case, checking output paths, rendering output.

Every command prints through :func:`emit` (one place for the table / JSON / CSV branch)
and names the files it writes with :func:`output_option` (checked before any work starts:
the folder exists, the name has the right suffix, the file can be written).
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click

from detente.errors import CaseError, DetenteError

if TYPE_CHECKING:
    from detente.case.model import Case
    from detente.errors import Diagnostic

__all__ = [
    "case_argument",
    "check_output_path",
    "FiniteFloat",
    "emit",
    "format_option",
    "load_one",
    "output_option",
    "render_csv",
    "render_json",
    "render_table",
    "write_output",
]

INPUT_FORMATS = ("yaml", "json", "csv", "ktab-csv", "ktab-xml", "bdm-csv", "deu3")
"""The names ``--from`` takes (kept equal to ``detente.case.formats.FORMATS`` by a test)."""

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
    type=click.Choice(list(INPUT_FORMATS)),
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
    from detente.case.formats import read_cases

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


def render_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
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


def render_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """CSV with a header row."""
    import csv  # only for --format csv: not on every start-up

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


class FiniteFloat(click.FloatRange):
    """A float option that refuses NaN and infinities (and, optionally, values out of range)."""

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        out = super().convert(value, param, ctx)
        if not math.isfinite(out):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return out


class Renderable(Protocol):
    """A result with a JSON twin and table rows (what every command prints)."""

    def to_dict(self) -> Mapping[str, Any]:
        """The JSON-ready result."""
        ...

    def rows(self) -> Sequence[Mapping[str, Any]]:
        """One flat row per line of the table / CSV."""
        ...


def emit(
    fmt: str,
    result: Renderable | Any,
    *,
    text: Callable[[], str | Iterable[str]] | None = None,
    columns: Sequence[str] | None = None,
) -> None:
    """Print ``result`` in the chosen format: the one place for the format branch.

    Args:
        fmt: ``json``, ``csv``, ``table`` or ``text``.
        result: An object with ``to_dict()`` and ``rows()``, or plain JSON-ready data
            (then the table and CSV views are its rows, if it is a list of mappings).
        text: For ``table``/``text``, the human view (a string or lines); default: the
            table of ``result.rows()`` restricted to ``columns``.
        columns: The table's columns, in order.
    """
    if fmt == "json":
        data = result.to_dict() if hasattr(result, "to_dict") else result
        click.echo(render_json(data))
        return
    rows: Sequence[Mapping[str, Any]] = result.rows() if hasattr(result, "rows") else result  # type: ignore[assignment]
    if fmt == "csv":
        click.echo(render_csv(rows, columns), nl=False)
        return
    if text is not None:
        out = text()
        click.echo(out if isinstance(out, str) else "\n".join(out))
        return
    click.echo(render_table(rows, columns))


def check_output_path(
    path: Path, *, suffixes: Sequence[str] = (), folder: bool = False, what: str = "output"
) -> Path:
    """Refuse an output path before any work is done.

    Checks that the parent folder exists (nothing is created silently), that a file name
    ends in one of ``suffixes`` (``--out x.pdf`` for an HTML writer is an error, not HTML
    with a wrong name) and that a file can be created there.

    Raises:
        DetenteError: saying what is wrong and what to do.
    """
    parent = path.parent if str(path.parent) else Path(".")
    if folder and path.exists() and not path.is_dir():
        raise DetenteError(f"{path}: exists and is not a folder; give a folder for the {what}")
    if not folder and path.is_dir():
        raise DetenteError(f"{path}: is a folder; give a file name for the {what}")
    if suffixes and not folder and path.suffix.lower() not in suffixes:
        want = " or ".join(suffixes)
        raise DetenteError(
            f"{path}: the {what} is written as {want}; give a file name ending in {want}"
        )
    if not parent.is_dir():
        raise DetenteError(
            f"{path}: folder {parent} does not exist; create it first (mkdir -p {parent})"
        )
    try:
        import tempfile  # only when an output path is probed: not on every start-up

        fd, probe = tempfile.mkstemp(prefix=".detente-probe-", dir=parent)
    except OSError as exc:
        raise DetenteError(
            f"{path}: cannot write in {parent}: {exc.strerror or exc}; choose another place"
        ) from None
    os.close(fd)
    os.unlink(probe)
    return path


def output_option(
    *decls: str,
    suffixes: Sequence[str] = (),
    folder: bool = False,
    what: str = "output",
    required: bool = False,
    help: str,
) -> Callable[[FC], FC]:
    """A ``--out``-style option whose path is checked by :func:`check_output_path`."""

    def callback(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
        if value is None:
            return None
        try:
            return check_output_path(value, suffixes=suffixes, folder=folder, what=what)
        except DetenteError as exc:
            raise click.BadParameter(exc.message) from None

    return click.option(
        *decls,
        type=click.Path(file_okay=not folder, dir_okay=folder, path_type=Path),
        required=required,
        callback=callback,
        help=help,
    )


def write_output(path: Path, text: str | bytes) -> None:
    """Write ``path`` atomically (a temporary file renamed into place).

    A failed write (full disk, permissions) leaves any previous file as it was and never
    a half-written one.

    Raises:
        DetenteError: naming the file and the system's reason.
    """
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        if isinstance(text, bytes):
            tmp.write_bytes(text)
        else:
            tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DetenteError(f"{path}: cannot write: {exc.strerror or exc}") from None
