"""Statements pages and API: what was said, and what the record shows.

An analyst or a mediator records a statements file on a case (YAML, JSON or CSV, checked
against the case as ``detente statements validate`` does). The page shows each statement
with its coding (:mod:`detente.statements.coder`: PLOVER category, mode, source, target,
issue, evidence span, score) and the relation proposed against the record
(:func:`detente.statements.run.check_file`: the case's positions and the workspace ledger's
commitments) with the items it rests on. A mediator accepts, edits or rejects a proposal in
a signed ``statement_review`` entry (:mod:`detente.statements.entries`), signed like every
record in the workspace: by the mediator, over the exact bytes shown (``/pending/{pid}``).
Statement text is untrusted input: the templates autoescape it.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from detente.errors import CaseError, Diagnostic
from detente.web.api import RequestBody, case_id_param, hex_id_param, operation, who
from detente.web.app import Site, accepts_json
from detente.web.compliance import PendingOut
from detente.web.workspace import Principal

__all__ = ["register"]


class StatementsIn(RequestBody):
    """A statements file (as ``detente statements validate`` reads it)."""

    filename: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=2_000_000)


class StatementsRecorded(BaseModel):
    """The recorded set and its statements' ids."""

    id: str
    file: str
    statements: list[str]


class ReviewIn(RequestBody):
    """A reviewer's decision on one statement's proposed relation."""

    statement: str = Field(min_length=1, max_length=200, description="The statement's id.")
    decision: Literal["accept", "edit", "reject"]
    relation: (
        Literal[
            "consistent", "misrepresents", "contradicted", "unsupported", "not about the record"
        ]
        | None
    ) = None
    note: str | None = Field(default=None, max_length=4000)
    actor: str = Field(min_length=1, max_length=64, description="The mediator actor who signs.")


class StatementsOut(BaseModel):
    """The statements page's data (see docs/web.md)."""

    model_config = ConfigDict(extra="allow")

    case_id: str
    sets: list[dict[str, Any]]


def _p(p: Principal | None) -> Principal:
    assert p is not None  # guarded routes always have a principal
    return p


def register(site: Site) -> None:
    """Add the statements pages and their API."""
    ev = site.evidence
    site.case_nav("Statements", "statements")

    @site.page("/cases/{cid}/statements", "read", "statements.html.j2")
    async def statements(request: Request, p: Principal | None) -> Any:
        return await asyncio.to_thread(ev.statements, _p(p), request.path_params["cid"])

    @site.page("/cases/{cid}/statements", "record_statement", None, methods=("POST",), twin=False)
    async def record(request: Request, p: Principal | None) -> Any:
        cid = request.path_params["cid"]
        form = await request.form()
        f = form.get("file")
        if f is None or isinstance(f, str):
            raise CaseError("choose a statements file", [Diagnostic("no file", code="no-file")])
        out = await asyncio.to_thread(
            ev.put_statements, _p(p), cid, f.filename or "", await f.read()
        )
        if accepts_json(request):
            return out
        return RedirectResponse(f"/cases/{cid}/statements", status_code=303)

    @site.page("/statements/{sid}/review", "review_statement", None, methods=("POST",), twin=False)
    async def review(request: Request, p: Principal | None) -> Any:
        sid = request.path_params["sid"]
        form = await request.form()
        f = {k: v for k, v in form.items() if isinstance(v, str)}
        cid = site.case_of({"sid": sid})
        assert cid is not None
        out = await asyncio.to_thread(
            ev.prepare_review,
            _p(p),
            cid,
            sid,
            f.get("statement", ""),
            f.get("decision", ""),
            f.get("relation") or None,
            f.get("note") or None,
            f.get("actor", ""),
        )
        if accepts_json(request):
            return out
        return RedirectResponse(f"/pending/{out['id']}", status_code=303)

    # -- /api/v1 -------------------------------------------------------------------------
    op = operation(site)

    @op(
        "GET",
        "/api/v1/cases/{cid}/statements",
        "read",
        response_model=StatementsOut,
        tags=["statements"],
    )
    async def api_statements(request: Request, cid: str = case_id_param()) -> Any:
        return await asyncio.to_thread(ev.statements, who(request), cid)

    @op(
        "POST",
        "/api/v1/cases/{cid}/statements",
        "record_statement",
        response_model=StatementsRecorded,
        status_code=201,
        tags=["statements"],
    )
    async def api_record(body: StatementsIn, request: Request, cid: str = case_id_param()) -> Any:
        return await asyncio.to_thread(
            ev.put_statements, who(request), cid, body.filename, body.text.encode("utf-8")
        )

    @op(
        "POST",
        "/api/v1/statements/{sid}/reviews",
        "review_statement",
        response_model=PendingOut,
        status_code=201,
        tags=["statements"],
    )
    async def api_review(body: ReviewIn, request: Request, sid: str = hex_id_param()) -> Any:
        cid = site.case_of({"sid": sid})
        assert cid is not None
        return await asyncio.to_thread(
            ev.prepare_review,
            who(request),
            cid,
            sid,
            body.statement,
            body.decision,
            body.relation,
            body.note,
            body.actor,
        )
