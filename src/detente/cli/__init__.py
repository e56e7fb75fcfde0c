"""The ``detente`` command line: a thin shell over the library.

Every command prints human output by default and a data twin with ``--format json``.
Errors derived from :class:`detente.errors.DetenteError` print their diagnostics and
exit with status 2 (bad input) without a traceback; ``--verbose`` shows it.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any

import click

from detente import __version__
from detente.errors import DetenteError

__all__ = ["cli", "main"]

# Modules that add commands to the root group: (module, attribute).
COMMAND_MODULES: tuple[tuple[str, str], ...] = (
    ("detente.cli.case", "commands"),
    ("detente.cli.forecast", "commands"),
    ("detente.cli.report", "commands"),
    ("detente.cli.ledger", "commands"),
    ("detente.cli.backtest", "commands"),
    ("detente.cli.uncertainty", "commands"),
    ("detente.cli.diagnose", "commands"),
    ("detente.cli.web", "commands"),
)


class _Root(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DetenteError as exc:
            verbose = bool(ctx.obj and ctx.obj.get("verbose"))
            if verbose:
                traceback.print_exc()
            click.echo(exc.diagnostics(), err=True)
            if not verbose:
                click.echo("(run with --verbose for a traceback)", err=True)
            ctx.exit(2)
        except (KeyboardInterrupt, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except click.ClickException:
            raise
        except Exception as exc:  # an unexpected failure: say so, keep the trace opt-in
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            click.echo(
                f"internal error: {type(exc).__name__}: {exc}\n"
                "this is a bug in detente; rerun with --verbose and report the traceback",
                err=True,
            )
            ctx.exit(1)


@click.group(cls=_Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="detente")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    r"""detente: describe, forecast and audit high-stakes negotiations.

    \b
    Quick tour:
      detente validate examples/istanbul-2025/case.yaml
      detente forecast examples/istanbul-2025/case.yaml --format json
      detente brief examples/istanbul-2025/case.yaml --out brief.html
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose


def _install_commands() -> None:
    for module_name, attr in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        for command in getattr(module, attr):
            cli.add_command(command)


_install_commands()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="detente", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
