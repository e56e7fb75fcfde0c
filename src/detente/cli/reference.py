"""The command-line reference (``docs/cli.md``), generated from the commands themselves.

``python -m detente.cli.reference > docs/cli.md`` rewrites it; a test checks that the file
in the repository is what this prints, so every command and option is documented and the
page never drifts from the code.
"""

from __future__ import annotations

import inspect
import sys

import click

from detente.cli import COMMANDS, cli

__all__ = ["render_reference"]


def _walk(path: str, cmd: click.Command) -> list[tuple[str, click.Command]]:
    out = [(path, cmd)]
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.commands):
            out += _walk(f"{path} {name}", cmd.commands[name])
    return out


def _opt_row(p: click.Parameter, ctx: click.Context) -> str:
    names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
    kind = "flag" if isinstance(p, click.Option) and p.is_flag else p.type.name
    if isinstance(p.type, click.Choice):
        kind = " \\| ".join(str(c) for c in p.type.choices)
    default = ""
    if isinstance(p, click.Option) and p.show_default and p.default not in (None, (), False):
        default = f"`{p.default}`"
    help_text = (getattr(p, "help", None) or "").replace("|", "\\|").replace("\n", " ")
    if getattr(p, "required", False):
        help_text = "**required.** " + help_text
    return f"| {names} | {kind} | {default} | {help_text} |"


def render_reference() -> str:
    """The Markdown reference of every command, subcommand and option."""
    root = click.Context(cli, info_name="detente")
    lines = [
        "# Command-line reference",
        "",
        "Generated from the commands by `python -m detente.cli.reference > docs/cli.md`; a test",
        "keeps it current. Every command also takes `-v/--verbose` (tracebacks on errors, before",
        "or after the subcommand) and `-h/--help`. With `--format json`, an error is printed as",
        'JSON: `{"error": {"status", "code", "message", "diagnostics": [...]}}`.',
        "",
    ]
    for name in COMMANDS:
        top = cli.get_command(root, name)
        assert top is not None
        for path, cmd in _walk(name, top):
            ctx = click.Context(cmd, info_name=path, parent=root)
            lines += [f"## `detente {path}`", ""]
            lines += [f"    detente {path} {' '.join(cmd.collect_usage_pieces(ctx))}", ""]
            if cmd.help:
                text = inspect.cleandoc(cmd.help).replace("\b\n", "").strip()
                lines += [text, ""]
            opts = [
                p
                for p in cmd.params
                if isinstance(p, click.Option) and "--verbose" not in p.opts and not p.hidden
            ]
            if opts:
                lines += ["| option | type | default | what |", "|---|---|---|---|"]
                lines += [_opt_row(p, ctx) for p in opts]
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(render_reference())
