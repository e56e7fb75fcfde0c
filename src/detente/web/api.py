"""The REST API under ``/api/v1``: the same workspace calls as the pages, with typed bodies.

Described by the OpenAPI 3.1 document at ``/api/v1/openapi.json``. Every operation but
``POST /api/v1/login`` and the document itself needs a session cookie (writes also send
``X-CSRF-Token``) or an API token (``Authorization: Bearer dtk_...``). Every error has
the shape of :class:`ErrorBody`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal

from fastapi import Depends, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from detente.web.app import ROUTES, SESSION_COOKIE, Site, set_session_cookie
from detente.web.workspace import Principal

__all__ = [
    "ErrorBody",
    "RequestBody",
    "case_id_param",
    "hex_id_param",
    "operation",
    "register",
    "who",
]

ID = r"^[A-Za-z0-9][A-Za-z0-9_.:+-]*$"
HEX = r"^[0-9a-f]{1,64}$"


class RequestBody(BaseModel):
    """Base of every request body: immutable, and an unknown field is a 422, not ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class DiagnosticOut(BaseModel):
    """A located problem (the CLI's diagnostic)."""

    code: str
    severity: str
    message: str
    file: str | None
    line: int | None
    column: int | None
    expected: str | None
    hint: str | None


class ErrorDetail(BaseModel):
    """What went wrong."""

    status: int
    code: str
    message: str
    diagnostics: list[DiagnosticOut]


class ErrorBody(BaseModel):
    """The one error shape of every response."""

    error: ErrorDetail


class LoginIn(RequestBody):
    """Credentials."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class LoginOut(BaseModel):
    """A new session: the cookie is set; writes send ``csrf`` as ``X-CSRF-Token``."""

    username: str
    admin: bool
    csrf: str


class Me(BaseModel):
    """Who is asking."""

    username: str
    admin: bool
    via: str
    scope: str


class CaseSummary(BaseModel):
    """A case in the list."""

    id: str
    title: str
    created: str | None
    version: int


class ImportIn(RequestBody):
    """A case file's text and name (the name's extension picks the reader)."""

    filename: str = Field(min_length=1, max_length=200)
    text: str = Field(max_length=2_000_000)
    format: str | None = None
    case_id: str | None = None


class Imported(BaseModel):
    """The imported case."""

    id: str
    version: int
    title: str


class CaseOut(BaseModel):
    """A case version: the validated case as JSON, its text and who saved it."""

    id: str
    version: int
    author: str
    created: str | None
    changes: list[str]
    case: dict[str, Any]
    text: str


class VersionOut(BaseModel):
    """One saved version."""

    version: int
    author: str
    created: str | None
    changes: list[str]


class EditIn(RequestBody):
    """New numbers for one position (empty range ends: no range)."""

    version: int = Field(
        ge=1, le=2**31, description="The version edited (refused if not the latest)."
    )
    actor: str = Field(min_length=1, max_length=64)
    issue: str = Field(min_length=1, max_length=64)
    position: str = Field(default="", max_length=40)
    position_low: str = Field(default="", max_length=40)
    position_high: str = Field(default="", max_length=40)
    salience: str = Field(default="", max_length=40)
    salience_low: str = Field(default="", max_length=40)
    salience_high: str = Field(default="", max_length=40)
    capability: str = Field(default="", max_length=40)
    capability_low: str = Field(default="", max_length=40)
    capability_high: str = Field(default="", max_length=40)


class EditOut(BaseModel):
    """The saved version and any warnings by field."""

    version: int
    warnings: dict[str, list[DiagnosticOut]]


class RunIn(RequestBody):
    """A run to queue on the latest version of a case."""

    kind: Literal["forecast", "diagnose", "sweep", "sensitivity", "interventions", "whatif"]
    models: list[str] = Field(default_factory=list, max_length=20)
    draws: int = Field(default=10_000, ge=1, le=5_000_000)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    engine: Literal["local", "dask-local"] = "local"
    workers: int = Field(default=1, ge=1, le=64)
    issue: str | None = None
    by: list[str] = Field(default_factory=list, max_length=50)
    robustness: int = Field(default=200, ge=0, le=20_000)
    whatif: str | None = Field(default=None, max_length=200_000)


class RunOut(BaseModel):
    """A run and (when finished) its result."""

    id: str
    case_id: str
    version: int
    kind: str
    params: dict[str, Any]
    status: str
    done: int
    total: int
    result: dict[str, Any] | None
    error: str | None
    author: str
    created: str | None
    finished: str | None


class Queued(BaseModel):
    """A queued run."""

    id: str


class DraftIn(RequestBody):
    """A commitment (JSON or YAML text), as ``detente ledger draft`` takes it."""

    commitment: str = Field(min_length=1, max_length=200_000)


class DraftOut(BaseModel):
    """A draft and its signature status."""

    id: str
    commitment_id: str
    name: str
    ledger_index: int | None
    ready: bool
    signed: dict[str, Any]


class MessageOut(BaseModel):
    """The exact bytes to sign (base64), for a party or a mediator."""

    role: str
    message: str


class SignatureIn(RequestBody):
    """A signature made by the party (browser WebCrypto or ``detente ledger sign``)."""

    role: Literal["party", "mediator"]
    actor: str = Field(min_length=1, max_length=64)
    key: str = Field(min_length=1, max_length=400)
    sig: str = Field(min_length=1, max_length=200)


class Appended(BaseModel):
    """Where the commitment landed in the log."""

    id: str
    index: int


class KeyIn(RequestBody):
    """A verifier key (``detente keys export``) or a raw Ed25519 public key (base64)."""

    actor: str = Field(min_length=1, max_length=64)
    vkey: str | None = Field(default=None, max_length=400)
    public_key: str | None = Field(default=None, max_length=100)
    at: str | None = Field(default=None, max_length=40)
    proof: str | None = Field(default=None, max_length=200)


class KeyMessageIn(RequestBody):
    """The key to register: a verifier key or a raw Ed25519 public key (base64)."""

    actor: str = Field(min_length=1, max_length=64)
    vkey: str | None = Field(default=None, max_length=400)
    public_key: str | None = Field(default=None, max_length=100)


class KeyMessageOut(BaseModel):
    """The registration the key's holder signs: its time and the exact bytes (base64)."""

    vkey: str
    action: str
    at: str
    message: str


class KeyOut(BaseModel):
    """A registered key."""

    user: str
    actor: str
    vkey: str
    created: str | None


class LedgerOut(BaseModel):
    """The log: origin, keys, size, latest checkpoint and its cosignatures."""

    origin: str
    log_keys: list[str]
    size: int
    checkpoint: str | None
    witness_cosignatures: list[str]


class WitnessIn(RequestBody):
    """Optionally a witness to add (its C2SP tlog-witness URL and cosignature/v1 key)."""

    url: str | None = Field(default=None, max_length=500)
    vkey: str | None = Field(default=None, max_length=400)


class WitnessReport(BaseModel):
    """What collecting cosignatures on the latest checkpoint gave."""

    size: int
    cosigned_by: list[str]
    failed: dict[str, str]
    stored: int


class VerifyIn(RequestBody):
    """A receipt (C2SP tlog-proof text)."""

    receipt: str = Field(min_length=1, max_length=1_000_000)


class VerdictOut(BaseModel):
    """The verify verdict."""

    model_config = ConfigDict(extra="allow")

    ok: bool
    verdict: str
    reason: str | None


class UserIn(RequestBody):
    """A new account."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=1024)
    admin: bool = False


class RoleIn(RequestBody):
    """A role on a case (``*``: every case)."""

    case: str = Field(default="*", min_length=1, max_length=64)
    role: str = Field(min_length=1, max_length=80)


class UserOut(BaseModel):
    """An account."""

    name: str
    admin: bool
    created: str | None
    roles: list[dict[str, str]]


class AuditOut(BaseModel):
    """An audit row."""

    at: str | None
    user: str
    action: str
    target: str
    detail: str


class TokenIn(RequestBody):
    """A new API token."""

    name: str = Field(min_length=1, max_length=100)
    scope: Literal["read", "write"] = "read"


class TokenOut(BaseModel):
    """An API token (``token`` only in the answer that creates it)."""

    id: str
    name: str
    scope: str
    created: str | None = None
    revoked: bool = False
    token: str | None = None


class Done(BaseModel):
    """An acknowledgement."""

    ok: bool


_ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody, "description": d}
    for s, d in (
        (400, "bad request"),
        (401, "no session or token"),
        (403, "not allowed for this account's roles, or no CSRF token"),
        (404, "not found"),
        (409, "conflict with the current state"),
        (413, "request too large"),
        (422, "invalid input, with located diagnostics"),
        (429, "too many failed logins"),
    )
}


def _case_id() -> Any:
    return Path(pattern=ID, max_length=64, description="A case id.")


def _hex_id() -> Any:
    return Path(pattern=HEX, max_length=64, description="A run, draft or token id.")


def operation(site: Site) -> Callable[..., Callable[[Any], Any]]:
    """``op(method, path, action, **kw)``: an ``/api/v1`` route behind the guard.

    The route is entered in :data:`~detente.web.app.ROUTES` with its action (the role
    matrix), answers the shared error responses, and finds the principal in
    ``request.state.principal`` (see :func:`who`). Capabilities' modules use it too.
    """

    def need(action: str) -> Callable[..., Any]:
        async def dep(request: Request) -> Principal | None:
            p = await site.guard(request, action, site.case_of)
            request.state.principal = p
            return p

        return dep

    def op(method: str, path: str, action: str, **kw: Any) -> Callable[[Any], Any]:
        ROUTES[(method, path)] = action
        kw.setdefault("responses", _ERRORS)
        return site.app.api_route(
            path, methods=[method], dependencies=[Depends(need(action))], **kw
        )

    return op


def who(request: Request) -> Principal:
    """The guarded request's principal."""
    p: Principal = request.state.principal
    return p


def case_id_param() -> Any:
    """The ``{cid}`` path parameter."""
    return _case_id()


def hex_id_param() -> Any:
    """A ``{rid}``, ``{did}``, ``{pid}`` or ``{sid}`` path parameter."""
    return _hex_id()


def register(site: Site) -> None:
    """Add the ``/api/v1`` operations."""
    app, ws, jobs = site.app, site.ws, site.jobs
    op = operation(site)

    @op("POST", "/api/v1/login", "public", response_model=LoginOut, tags=["session"])
    async def api_login(body: LoginIn, request: Request) -> Any:
        client = request.client.host if request.client else "?"
        cookie, p = await asyncio.to_thread(ws.login, body.username, body.password, client)
        resp = JSONResponse({"username": p.username, "admin": p.is_admin, "csrf": p.csrf})
        set_session_cookie(request, resp, cookie)
        return resp

    @op("POST", "/api/v1/logout", "login", response_model=Done, tags=["session"])
    async def api_logout(request: Request) -> Any:
        p = who(request)
        if p.via == "session":
            ws.logout(p)
        return {"ok": True}

    @op("GET", "/api/v1/me", "login", response_model=Me, tags=["session"])
    async def api_me(request: Request) -> Any:
        p = who(request)
        return {"username": p.username, "admin": p.is_admin, "via": p.via, "scope": p.scope}

    @op("GET", "/api/v1/cases", "login", response_model=list[CaseSummary], tags=["cases"])
    async def api_cases(request: Request) -> Any:
        return ws.cases(who(request))

    @op("POST", "/api/v1/cases", "import", response_model=Imported, status_code=201, tags=["cases"])
    async def api_import(body: ImportIn, request: Request) -> Any:
        return await asyncio.to_thread(
            ws.import_case,
            who(request),
            body.filename,
            body.text.encode("utf-8"),
            body.format,
            body.case_id,
        )

    @op("GET", "/api/v1/cases/{cid}", "read", response_model=CaseOut, tags=["cases"])
    async def api_case(
        request: Request, cid: str = _case_id(), version: int | None = Query(None, ge=1, le=2**31)
    ) -> Any:
        case, text, meta = ws.case(who(request), cid, version)
        return {"id": cid, **meta, "case": case.model_dump(mode="json"), "text": text}

    @op(
        "GET",
        "/api/v1/cases/{cid}/versions",
        "read",
        response_model=list[VersionOut],
        tags=["cases"],
    )
    async def api_versions(request: Request, cid: str = _case_id()) -> Any:
        return ws.versions(who(request), cid)

    @op("POST", "/api/v1/cases/{cid}/positions", "edit", response_model=EditOut, tags=["cases"])
    async def api_edit(body: EditIn, request: Request, cid: str = _case_id()) -> Any:
        fields = body.model_dump()
        version, by_field = await asyncio.to_thread(
            ws.edit_position, who(request), cid, body.version, body.actor, body.issue, fields
        )
        errors = [d for v in by_field.values() for d in v if d.severity == "error"]
        if version is None or errors:
            from detente.errors import CaseError

            raise CaseError("the change was not saved", errors)
        return {
            "version": version,
            "warnings": {k: [d.to_dict() for d in v] for k, v in by_field.items()},
        }

    @op("GET", "/api/v1/cases/{cid}/runs", "read", response_model=list[RunOut], tags=["runs"])
    async def api_runs(request: Request, cid: str = _case_id()) -> Any:
        return jobs.runs(who(request), cid)

    @op(
        "POST",
        "/api/v1/cases/{cid}/runs",
        "run",
        response_model=Queued,
        status_code=202,
        tags=["runs"],
    )
    async def api_submit(body: RunIn, request: Request, cid: str = _case_id()) -> Any:
        params = body.model_dump(exclude={"kind"})
        rid = await asyncio.to_thread(jobs.submit, who(request), cid, body.kind, params)
        return {"id": rid}

    @op("GET", "/api/v1/runs/{rid}", "read", response_model=RunOut, tags=["runs"])
    async def api_run(request: Request, rid: str = _hex_id()) -> Any:
        return jobs.get(who(request), rid)

    @op("POST", "/api/v1/runs/{rid}/cancel", "run", response_model=Done, tags=["runs"])
    async def api_cancel(request: Request, rid: str = _hex_id()) -> Any:
        jobs.cancel(who(request), rid)
        return {"ok": True}

    @op(
        "GET",
        "/api/v1/cases/{cid}/drafts",
        "read",
        response_model=list[DraftOut],
        tags=["guarantees"],
    )
    async def api_drafts(request: Request, cid: str = _case_id()) -> Any:
        return ws.drafts(who(request), cid)

    @op(
        "POST",
        "/api/v1/cases/{cid}/drafts",
        "draft",
        response_model=Queued,
        status_code=201,
        tags=["guarantees"],
    )
    async def api_new_draft(body: DraftIn, request: Request, cid: str = _case_id()) -> Any:
        return {"id": ws.create_draft(who(request), cid, body.commitment)}

    @op("GET", "/api/v1/drafts/{did}", "read", response_model=DraftOut, tags=["guarantees"])
    async def api_draft(request: Request, did: str = _hex_id()) -> Any:
        return ws.draft(who(request), did)[2]

    @op(
        "GET",
        "/api/v1/drafts/{did}/message",
        "read",
        response_model=MessageOut,
        tags=["guarantees"],
    )
    async def api_message(
        request: Request,
        did: str = _hex_id(),
        role: Literal["party", "mediator"] = Query("party"),
    ) -> Any:
        import base64

        _, sc, _ = ws.draft(who(request), did)
        return {"role": role, "message": base64.b64encode(ws.signing_message(sc, role)).decode()}

    @op(
        "POST",
        "/api/v1/drafts/{did}/signatures",
        "sign_or_countersign",
        response_model=Done,
        tags=["guarantees"],
    )
    async def api_sign(body: SignatureIn, request: Request, did: str = _hex_id()) -> Any:
        ws.add_signature(who(request), did, body.actor, body.key, body.sig, body.role)
        return {"ok": True}

    @op(
        "POST",
        "/api/v1/drafts/{did}/submit",
        "submit",
        response_model=Appended,
        tags=["guarantees"],
    )
    async def api_submit_draft(request: Request, did: str = _hex_id()) -> Any:
        index = await asyncio.to_thread(ws.submit, who(request), did)
        return {"id": did, "index": index}

    @op("GET", "/api/v1/cases/{cid}/keys", "read", response_model=list[KeyOut], tags=["guarantees"])
    async def api_keys(request: Request, cid: str = _case_id()) -> Any:
        return ws.keys(who(request), cid)

    @op(
        "POST",
        "/api/v1/cases/{cid}/keys",
        "register_key",
        response_model=KeyOut,
        status_code=201,
        tags=["guarantees"],
    )
    async def api_register_key(body: KeyIn, request: Request, cid: str = _case_id()) -> Any:
        p = who(request)
        vkey = await asyncio.to_thread(
            ws.register_key, p, cid, body.actor, body.vkey, body.public_key, body.at, body.proof
        )
        return {"user": p.username, "actor": body.actor, "vkey": vkey, "created": None}

    @op(
        "POST",
        "/api/v1/cases/{cid}/keys/message",
        "register_key",
        response_model=KeyMessageOut,
        tags=["guarantees"],
    )
    async def api_key_message(body: KeyMessageIn, request: Request, cid: str = _case_id()) -> Any:
        return await asyncio.to_thread(
            ws.key_message, who(request), cid, body.actor, body.vkey, body.public_key
        )

    @op("GET", "/api/v1/ledger", "login", response_model=LedgerOut, tags=["guarantees"])
    async def api_ledger(request: Request) -> Any:
        return ws.checkpoints(who(request))

    @op(
        "GET",
        "/api/v1/ledger/{index}/receipt",
        "read",
        response_class=PlainTextResponse,
        tags=["guarantees"],
        responses={
            **{
                k: {
                    "description": v["description"],
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
                    },
                }
                for k, v in _ERRORS.items()
            },
            200: {
                "content": {"text/plain": {"schema": {"type": "string"}}},
                "description": "the C2SP tlog-proof",
            },
        },
    )
    async def api_receipt(request: Request, index: int = Path(ge=0, le=2**62)) -> Any:
        return PlainTextResponse(ws.receipt(who(request), index)[0])

    @op(
        "POST",
        "/api/v1/cases/{cid}/witness",
        "collect_witness",
        response_model=WitnessReport,
        tags=["guarantees"],
    )
    async def api_witness(body: WitnessIn, request: Request, cid: str = _case_id()) -> Any:
        return await asyncio.to_thread(
            ws.collect_cosignatures, who(request), cid, body.url, body.vkey
        )

    @op(
        "POST", "/api/v1/cases/{cid}/verify", "read", response_model=VerdictOut, tags=["guarantees"]
    )
    async def api_verify(body: VerifyIn, request: Request, cid: str = _case_id()) -> Any:
        return await asyncio.to_thread(ws.verify, who(request), cid, body.receipt)

    @op("GET", "/api/v1/users", "accounts", response_model=list[UserOut], tags=["accounts"])
    async def api_users(request: Request) -> Any:
        return ws.users(who(request))

    @op(
        "POST", "/api/v1/users", "accounts", response_model=Done, status_code=201, tags=["accounts"]
    )
    async def api_new_user(body: UserIn, request: Request) -> Any:
        await asyncio.to_thread(
            ws.create_user, who(request), body.username, body.password, body.admin
        )
        return {"ok": True}

    @op("POST", "/api/v1/users/{name}/roles", "accounts", response_model=Done, tags=["accounts"])
    async def api_grant(
        body: RoleIn, request: Request, name: str = Path(min_length=1, max_length=64)
    ) -> Any:
        ws.grant(who(request), name, body.case, body.role)
        return {"ok": True}

    @op("GET", "/api/v1/audit", "audit", response_model=list[AuditOut], tags=["accounts"])
    async def api_audit(request: Request) -> Any:
        return ws.audit_log(who(request))

    @op("GET", "/api/v1/tokens", "login", response_model=list[TokenOut], tags=["session"])
    async def api_tokens(request: Request) -> Any:
        return ws.tokens(who(request))

    @op(
        "POST",
        "/api/v1/tokens",
        "login",
        response_model=TokenOut,
        status_code=201,
        tags=["session"],
    )
    async def api_new_token(body: TokenIn, request: Request) -> Any:
        return ws.create_token(who(request), body.name, body.scope)

    @op("POST", "/api/v1/tokens/{tid}/revoke", "login", response_model=Done, tags=["session"])
    async def api_revoke(request: Request, tid: str = _hex_id()) -> Any:
        ws.revoke_token(who(request), tid)
        return {"ok": True}

    ROUTES[("GET", "/api/v1/openapi.json")] = "public"

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        doc = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        doc.setdefault("components", {})["securitySchemes"] = {
            "token": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token (dtk_...) from /api/v1/tokens.",
            },
            "session": {
                "type": "apiKey",
                "in": "cookie",
                "name": SESSION_COOKIE,
                "description": "The session cookie from /api/v1/login; writes also "
                "send the X-CSRF-Token header.",
            },
        }
        doc["security"] = [{"token": []}, {"session": []}]
        doc["paths"]["/api/v1/login"]["post"]["security"] = []
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
