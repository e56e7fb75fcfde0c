"""The ``detente`` command line: a thin shell over the library.

Every command prints human output by default and a data twin with ``--format json``.
Errors derived from :class:`detente.errors.DetenteError` print their diagnostics and
exit with status 2 (bad input) without a traceback; ``--verbose`` (before or after the
subcommand) shows it. With ``--format json`` the error itself is printed as JSON, in the
one error shape of :func:`detente.errors.error_document`.

Commands are loaded lazily: ``detente --help`` imports neither numpy nor pydantic, and each
command imports only what it needs (``docs/performance.md``, start-up).
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import Any

import click

from detente._version import __version__
from detente.errors import DetenteError

__all__ = ["COMMANDS", "cli", "main"]

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (module, attribute), in the order `detente --help` lists them.
    "validate": ("detente.cli.case", "validate"),
    "schema": ("detente.cli.case", "schema"),
    "convert": ("detente.cli.case", "convert"),
    "cases": ("detente.cli.case", "cases"),
    "forecast": ("detente.cli.forecast", "forecast"),
    "models": ("detente.cli.forecast", "models"),
    "diagnose": ("detente.cli.diagnose", "diagnose"),
    "sweep": ("detente.cli.uncertainty", "sweep"),
    "sensitivity": ("detente.cli.uncertainty", "sensitivity"),
    "whatif": ("detente.cli.uncertainty", "whatif"),
    "interventions": ("detente.cli.uncertainty", "interventions"),
    "backtest": ("detente.cli.backtest", "backtest"),
    "brief": ("detente.cli.report", "brief"),
    "demo": ("detente.cli.report", "demo"),
    "keys": ("detente.cli.ledger", "keys"),
    "ledger": ("detente.cli.ledger", "ledger"),
    "verify": ("detente.cli.ledger", "verify"),
    "witness": ("detente.cli.ledger", "witness"),
    "events": ("detente.cli.events", "events"),
    "compliance": ("detente.cli.compliance", "compliance"),
    "trust": ("detente.cli.compliance", "trust"),
    "statements": ("detente.cli.statements", "statements"),
    "serve": ("detente.cli.web", "serve"),
}
"""Every top-level command and where it lives; a test checks each entry loads."""

SHORT_HELP: dict[str, str] = {
    "validate": "Check a case file and report every problem at once (exit 2 if any error).",
    "schema": "Print the JSON Schema of case files (for editors and CI).",
    "convert": "Convert a case between formats (import KTAB/BDM/DEU III, export YAML/JSON/CSV...).",
    "cases": "List the cases a file holds (a DEU III file holds one per issue).",
    "forecast": "Forecast every issue of a case with the chosen models.",
    "models": "List the registered models and their contracts.",
    "diagnose": "Diagnose deadlocks with the expected-utility model (Scholz et al. 2011).",
    "sweep": "Monte Carlo over every number of CASE that has a range.",
    "sensitivity": "Which estimates the forecast hangs on: tornado and Sobol indices (SALib).",
    "whatif": "Forecast and diagnosis before and after the changes in a WHATIF file.",
    "interventions": "The smallest changes by the named actors that take ISSUE out of deadlock.",
    "backtest": "Score models against real outcomes (DEU III EU legislative data).",
    "brief": "Write the full HTML brief of a case: one self-contained page, readable offline.",
    "demo": "Run the flagship case end to end and write its full brief.",
    "keys": "Ed25519 keys, encrypted at rest with scrypt and a passphrase.",
    "ledger": "Signed commitments in an append-only Merkle log (RFC 9162, C2SP formats).",
    "verify": "Verify RECEIPT fully offline and print a verdict (exit 1 if INVALID).",
    "witness": (
        "A witness that cosigns consistent checkpoints (C2SP tlog-witness, tlog-cosignature)."
    ),
    "events": "Conflict-event data: UCDP GED, ACLED exports, plain CSV (docs/formats/events.md).",
    "compliance": "Are they keeping it? Commitments measured on event data (docs/compliance.md).",
    "trust": "Each party's record of periods kept and breached, as a Beta reputation.",
    "statements": (
        "Public statements: record, code (PLOVER), check against the record, review, export."
    ),
    "serve": "Serve the workspace WORKSPACE (a folder, or a postgresql:// URL) in a browser.",
}
"""What ``detente --help`` shows for each command without importing it (tested equal)."""


def _set_verbose(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_root().ensure_object(dict)["verbose"] = True


def _verbose_option() -> click.Option:
    return click.Option(
        ["-v", "--verbose"],
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_verbose,
        help="Show tracebacks on errors (also accepted before the subcommand).",
    )


def _with_verbose(cmd: click.Command) -> click.Command:
    """Accept ``--verbose`` after the (sub)command too, on every level."""
    if not any("--verbose" in p.opts for p in cmd.params):
        cmd.params.append(_verbose_option())
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            _with_verbose(sub)
    return cmd


def _wants_json(ctx: click.Context) -> bool:
    """Whether the innermost invoked command was asked for ``--format json``."""
    args = sys.argv[1:] if ctx.obj is None or "argv" not in ctx.obj else ctx.obj["argv"]
    for k, a in enumerate(args):
        if a == "--format" and k + 1 < len(args) and args[k + 1] == "json":
            return True
        if a == "--format=json":
            return True
    return False


class _Root(click.Group):
    """The root group: lazy subcommands, one error path for the whole CLI."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = COMMANDS.get(cmd_name)
        if where is None:
            return None
        module = importlib.import_module(where[0])
        cmd = getattr(module, where[1])
        if not isinstance(cmd, click.Command):  # pragma: no cover - a table typo
            raise TypeError(f"{where[0]}.{where[1]} is not a click command")
        return _with_verbose(cmd)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SHORT_HELP.get(name, "")) for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        argv = kwargs.get("args")
        kwargs.setdefault("obj", {})["argv"] = list(sys.argv[1:] if argv is None else argv)
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DetenteError as exc:
            verbose = bool(ctx.obj and ctx.obj.get("verbose"))
            if verbose:
                traceback.print_exc()
            if _wants_json(ctx):
                from detente.errors import render_error_json

                click.echo(render_error_json(exc))
            else:
                click.echo(exc.diagnostics(), err=True)
                if not verbose:
                    click.echo("(run with --verbose for a traceback)", err=True)
            ctx.exit(2)
        except (KeyboardInterrupt, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except click.ClickException as exc:
            if not _wants_json(ctx):
                raise
            import json

            from detente.errors import error_document

            doc = error_document("usage-error", exc.format_message(), [], exc.exit_code)
            click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
            ctx.exit(exc.exit_code)
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
@click.option(
    "-v", "--verbose", is_flag=True, help="Show tracebacks on errors (also after the command)."
)
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """detente: describe, forecast and audit high-stakes negotiations.

    \b
    Quick tour:
      detente validate examples/istanbul-2025/case.yaml
      detente forecast examples/istanbul-2025/case.yaml --format json
      detente brief examples/istanbul-2025/case.yaml --out brief.html
    """  # noqa: D301 - click's \b (no rewrap) must be a real backspace, not a raw "\\b"
    obj = ctx.ensure_object(dict)
    obj["verbose"] = bool(obj.get("verbose")) or verbose


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    # OpenBLAS's worker threads spin-wait around the small matrix products detente does:
    # fitting the statements coder (158 x 402 features) took 35 CPU s with the default
    # threads and 1.5 s with one, on a loaded 2-core machine. One BLAS thread unless the
    # user sets it; this must happen before numpy is first imported (commands load lazily).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    cli.main(args=argv, prog_name="detente", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
