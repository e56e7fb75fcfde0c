"""``detente serve``: the mediator's workspace in a browser (docs/web.md)."""

from __future__ import annotations

import getpass
import ipaddress
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from detente.errors import DetenteError

if TYPE_CHECKING:
    from detente.web.workspace import Workspace

__all__ = ["commands"]


def _first_admin(ws: Workspace, password_file: Path | None, username: str) -> bool:
    """Create the admin on first start; returns whether one was created."""
    if ws.has_users():
        return False
    if password_file is not None:
        try:
            password = password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise DetenteError(f"{password_file}: cannot read: {exc.strerror}") from None
    else:
        if not sys.stdin.isatty():
            raise DetenteError(
                "the workspace has no account yet: give --admin-password-file, or run "
                "`detente serve` in a terminal to type the admin's password"
            )
        password = getpass.getpass(f"password for the new admin '{username}': ")
        if getpass.getpass("again: ") != password:
            raise DetenteError("the two passwords differ; nothing was created")
    ws.create_admin(username, password)
    click.echo(f"created admin account '{username}'", err=True)
    return True


@click.command()
@click.argument("workspace", default="workspace", metavar="[WORKSPACE]")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--admin-password-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="First start: read the admin's password from this file instead of asking.",
)
@click.option("--admin-user", default="admin", show_default=True, help="First start: admin name.")
@click.option(
    "--threads",
    type=click.IntRange(1, 32),
    default=2,
    show_default=True,
    help="Runs executed at once.",
)
def serve(
    workspace: str,
    host: str,
    port: int,
    admin_password_file: Path | None,
    admin_user: str,
    threads: int,
) -> None:
    """Serve the workspace WORKSPACE (a folder, or a postgresql:// URL) in a browser.

    The folder is created with a SQLite database on first start, when the admin account
    is created (interactively, or from --admin-password-file). It listens on loopback
    unless --host says otherwise; put a TLS reverse proxy in front for a team.
    """
    try:
        import uvicorn

        from detente.web.app import create_app
        from detente.web.workspace import Workspace
    except ImportError as exc:  # optional engine
        raise DetenteError(
            f"detente serve needs the web extra: pip install 'detente[web]' ({exc.name})"
        ) from None
    ws = Workspace(workspace)
    _first_admin(ws, admin_password_file, admin_user)
    app = create_app(ws, threads)
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        click.echo(f"warning: listening on {host}, not loopback; use TLS (docs/web.md)", err=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"detente workspace {workspace} at http://{shown}:{port}/", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


commands = [serve]
