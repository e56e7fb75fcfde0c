"""The mediator's workspace: a web dashboard and REST API over a detente workspace.

``detente serve WORKSPACE`` runs :func:`detente.web.app.create_app` on uvicorn. The app is
one more thin shell over the library (like the CLI): pages and ``/api/v1`` call
:class:`detente.web.workspace.Workspace`, which calls :mod:`detente.case`,
:mod:`detente.forecast`, :mod:`detente.uncertainty`, :mod:`detente.ledger` and
:mod:`detente.report`. See docs/web.md.

Needs the ``web`` extra: ``pip install 'detente[web]'``.
"""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(workspace: object, threads: int = 2) -> object:
    """The ASGI app over a workspace folder or ``postgresql://`` URL (see :mod:`.app`)."""
    from detente.web.app import create_app as _create

    return _create(workspace, threads)  # type: ignore[arg-type]
