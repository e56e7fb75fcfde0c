"""The ASGI app: FastAPI over a :class:`~detente.web.workspace.Workspace`.

Every page is declared once with :func:`Site.page` and the action it needs from the role
matrix; the declaration gives the HTML page, its JSON twin (the same URL with ``.json`` or
``Accept: application/json``, Datasette's convention) and the guard. The REST API lives
under ``/api/v1`` (:mod:`detente.web.api`) and is described by the OpenAPI 3.1 document at
``/api/v1/openapi.json``. Every error, on any route, is one JSON shape
(``{"error": {"status", "code", "message", "diagnostics"}}``) or the same on an HTML page.

New capabilities add pages as routers: a module that defines ``register(site)`` calls
``site.page(...)`` for its pages and ``site.nav(...)`` for its nav entry (see
docs/web.md); the nav lists only what is registered.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import json
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from detente import __version__
from detente.errors import (
    CaseError,
    DetenteError,
    Diagnostic,
    ModelError,
    StorageError,
    VerificationError,
)
from detente.web.evidence import Evidence
from detente.web.jobs import JobBoard
from detente.web.workspace import Forbidden, NotFound, Principal, Unauthorized, WebError, Workspace

__all__ = [
    "CSP",
    "MAX_BODY",
    "PAGE_MODULES",
    "ROUTES",
    "Site",
    "accepts_json",
    "create_app",
    "set_session_cookie",
]

MAX_BODY = 4_000_000
"""Largest request body accepted (bytes); larger ones get 413 before they are read."""

CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
"""No inline script anywhere (only files under ``/static`` and ``/vendor``); ``'unsafe-eval'``
because Vega compiles its expressions with ``Function``, and inline styles because Vega and
vega-embed set ``style`` attributes on the charts they draw."""

SESSION_COOKIE = "detente_session"

PAGE_MODULES: tuple[str, ...] = (
    "detente.web.pages",
    "detente.web.api",
    "detente.web.compliance",
    "detente.web.statements",
)
"""Modules whose ``register(site)`` adds pages, API operations and nav entries. A new
capability (compliance, statements) adds its module here; see docs/web.md."""

ROUTES: dict[tuple[str, str], str] = {}
"""(method, path) -> the action of :data:`detente.web.auth.PERMISSIONS` it needs, or
``public`` / ``login`` (any signed-in account). The role-matrix test reads it."""


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("detente.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=False, allow_nan=False)
    env.filters["num"] = _num
    return env


def _num(value: Any) -> str:
    if value is None:
        return "–"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return "–"
    return f"{v:.4g}" if abs(v) < 1000 else f"{v:,.0f}"


def wants_json(request: Request) -> bool:
    """JSON for ``.json`` URLs, ``/api/`` URLs and ``Accept: application/json``."""
    path = request.url.path
    accept = request.headers.get("accept", "")
    return (
        path.endswith(".json")
        or path.startswith("/api/")
        or ("application/json" in accept and "text/html" not in accept)
    )


def set_session_cookie(request: Request, resp: Response, cookie: str) -> None:
    """Set the signed session cookie: HttpOnly, SameSite=Strict, Secure behind TLS.

    Behind TLS means the request came over https, or a reverse proxy says so with
    ``X-Forwarded-Proto: https`` (docs/web.md). The page login and the API login share it.
    """
    resp.set_cookie(
        SESSION_COOKIE,
        cookie,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https",
        path="/",
        max_age=12 * 3600,
    )


def accepts_json(request: Request) -> bool:
    """Whether a form post asked for JSON (scripts, fetch) rather than a redirect."""
    return "application/json" in request.headers.get("accept", "")


@dataclass(frozen=True)
class CachedPage:
    """Rendered bytes of a page, with their media type and entity tag."""

    body: bytes
    media_type: str
    etag: str

    def response(self, request: Request) -> Response:
        """The page, or ``304 Not Modified`` when the client holds this version."""
        if request.headers.get("if-none-match") == self.etag:
            return Response(status_code=304, headers={"etag": self.etag})
        return Response(self.body, media_type=self.media_type, headers={"etag": self.etag})


class PageCache:
    """Rendered pages by (page key, principal): a bounded LRU map.

    A page is cached only under a key that changes whenever what it shows changes (a saved
    case version never changes; a finished run never changes), and per principal (user
    name, admin flag, CSRF token), because the layout shows who is asking and carries
    the session's CSRF token. ``DETENTE_WEB_PAGE_CACHE=0`` turns it off.

    Args:
        size: Pages kept.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.enabled = os.environ.get("DETENTE_WEB_PAGE_CACHE", "1") != "0"
        self._pages: OrderedDict[Hashable, CachedPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> CachedPage | None:
        """The cached page, marked recently used, or None."""
        with self._lock:
            hit = self._pages.get(key)
            if hit is not None:
                self._pages.move_to_end(key)
            return hit

    def put(self, key: Hashable, resp: Response) -> CachedPage:
        """Keep a rendered response (200 only) and return it as a cached page."""
        body = bytes(resp.body)
        page = CachedPage(
            body,
            resp.media_type or "text/html",
            '"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        )
        if resp.status_code == 200:
            with self._lock:
                self._pages[key] = page
                while len(self._pages) > self.size:
                    self._pages.popitem(last=False)
        return page


@dataclass
class NavItem:
    """A nav entry: shown only when its capability registered pages."""

    label: str
    href: str
    admin: bool = False


class Site:
    """The pages of the app, their guards and the nav."""

    def __init__(
        self, app: FastAPI, ws: Workspace, jobs: JobBoard, statements_embedder: str = "auto"
    ) -> None:
        self.app = app
        self.ws = ws
        self.jobs = jobs
        self.evidence = Evidence(ws, statements_embedder)
        self.pages = PageCache()
        self.env = _env()
        self.nav_items: list[NavItem] = []
        self.case_nav_items: list[NavItem] = []

    def nav(self, label: str, href: str, admin: bool = False) -> None:
        """Add a nav entry (capabilities call this from their ``register``)."""
        self.nav_items.append(NavItem(label, href, admin))

    def case_nav(self, label: str, suffix: str) -> None:
        """Add an entry to every case's nav: ``/cases/{id}/<suffix>``."""
        self.case_nav_items.append(NavItem(label, suffix))

    # -- who is asking ---------------------------------------------------------------------
    def principal(self, request: Request) -> Principal | None:
        """The principal of a bearer token or session cookie, else None."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return self.ws.token_principal(header[7:].strip())
        cookie = request.cookies.get(SESSION_COOKIE)
        return self.ws.session(cookie) if cookie else None

    async def guard(
        self, request: Request, action: str, case_of: Callable[[dict[str, Any]], str | None]
    ) -> Principal | None:
        """Authenticate, check CSRF on cookie writes, and check the role matrix."""
        if action == "public":
            return self.principal(request)
        p = self.principal(request)
        if p is None:
            raise Unauthorized("log in first (or send an API token)")
        if request.method not in ("GET", "HEAD") and p.via == "session":
            sent = request.headers.get("x-csrf-token", "")
            if not sent and "form" in request.headers.get("content-type", ""):
                form = await request.form()
                value = form.get("csrf")
                sent = value if isinstance(value, str) else ""
            if not sent or sent != p.csrf:
                raise Forbidden("missing or wrong CSRF token; reload the page and try again")
        if action == "login":
            return p
        case_id = case_of(dict(request.path_params))
        if case_id is not None and not self.ws.can(p, "read", case_id):
            raise NotFound("not found")
        self.ws.require(p, action, case_id)
        return p

    def case_of(self, params: dict[str, Any]) -> str | None:
        """The case a route's path names, directly or through a run, draft or entry."""
        if "cid" in params:
            return str(params["cid"])
        if "rid" in params:
            row = self.ws.db.one("SELECT case_id FROM web_runs WHERE id = ?", (params["rid"],))
            if row is None:
                raise NotFound(f"no run {params['rid']!r}")
            return str(row[0])
        if "did" in params:
            row = self.ws.db.one("SELECT case_id FROM web_drafts WHERE id = ?", (params["did"],))
            if row is None:
                raise NotFound(f"no draft {params['did']!r}")
            return str(row[0])
        if "index" in params:
            try:
                index = int(params["index"])
            except ValueError:
                raise NotFound("no such entry") from None
            found = self.ws._case_of_entry(index)
            if found is None:
                raise NotFound(f"no ledger entry {params['index']}")
            return found
        for key, table, what in (
            ("pid", "web_pending", "pending signature"),
            ("sid", "web_statements", "statements"),
        ):
            if key in params:
                row = self.ws.db.one(f"SELECT case_id FROM {table} WHERE id = ?", (params[key],))
                if row is None:
                    raise NotFound(f"no {what} {params[key]!r}")
                return str(row[0])
        return None

    # -- declaring pages -------------------------------------------------------------------
    def page(
        self,
        path: str,
        action: str,
        template: str | None,
        methods: tuple[str, ...] = ("GET",),
        twin: bool = True,
        cache_key: Callable[[Request, Principal], Hashable | None] | None = None,
    ) -> Callable[
        [Callable[..., Awaitable[Any]]],
        Callable[..., Awaitable[Any]],
    ]:
        """Declare a page: ``handler(request, p) -> dict | Response``.

        GET pages get a JSON twin at ``path + ".json"``; the handler's dict is the data of
        both. Other methods return a Response (usually a redirect) or a dict for JSON.

        ``cache_key(request, p)``, when given, names everything the page shows apart from
        who asks (a case version, a finished run, the roles that decide its buttons), or
        None when it may not be cached (a run still going). The rendered bytes are then
        kept per key and principal (see :class:`PageCache`): the guard runs on every
        request, the handler and the template only on a miss.
        """

        def deco(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
            async def endpoint(request: Request) -> Response:
                p = await self.guard(request, action, self.case_of)
                key: Hashable | None = None
                if cache_key is not None and p is not None and self.pages.enabled:
                    key = cache_key(request, p)
                    if key is not None:
                        as_json = wants_json(request) or template is None
                        key = (key, as_json, request.url.path, request.url.query,
                               p.username, p.is_admin, p.csrf)  # fmt: skip
                        hit = self.pages.get(key)
                        if hit is not None:
                            return hit.response(request)
                out = await fn(request, p)
                if isinstance(out, Response):
                    return out
                resp: Response
                if wants_json(request) or template is None:
                    resp = JSONResponse(_jsonable(out))
                else:
                    resp = self.render(request, template, out, p)
                if key is not None:
                    return self.pages.put(key, resp).response(request)
                return resp

            paths = [path]
            if twin and "GET" in methods:
                paths.insert(0, path + ".json")  # before {param} routes could swallow it
            for pth in paths:
                for m in methods:
                    ROUTES[(m, pth)] = action
                self.app.add_api_route(
                    pth, endpoint, methods=list(methods), include_in_schema=False
                )
            return fn

        return deco

    def render(
        self,
        request: Request,
        template: str,
        data: dict[str, Any],
        p: Principal | None,
        status: int = 200,
    ) -> HTMLResponse:
        """Render a page with the layout's context (nav, user, CSRF token)."""
        nav = [n for n in self.nav_items if not n.admin or (p is not None and p.is_admin)]
        html = self.env.get_template(template).render(
            data=data,
            user=p,
            csrf=p.csrf if p else "",
            nav=nav if p else [],
            case_nav=self.case_nav_items,
            version=__version__,
            path=request.url.path,
            json_url=request.url.path
            + ".json"
            + (("?" + request.url.query) if request.url.query else ""),
        )
        return HTMLResponse(html, status_code=status)


def _jsonable(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, Principal):
        return {"username": x.username, "admin": x.is_admin}
    return x


# -- errors -----------------------------------------------------------------------------------
def _status_of(exc: DetenteError) -> tuple[int, str]:
    if isinstance(exc, WebError):
        return exc.status, exc.code
    if isinstance(exc, CaseError | ModelError):
        return 422, "invalid-input"
    if isinstance(exc, VerificationError):
        return 422, "verification-failed"
    if isinstance(exc, StorageError):
        return 409, "storage"
    return 422, "invalid-input"


def error_body(
    status: int, code: str, message: str, diagnostics: list[Diagnostic] | None = None
) -> dict[str, Any]:
    """The one error shape of every response."""
    return {
        "error": {
            "status": status,
            "code": code,
            "message": message,
            "diagnostics": [d.to_dict() for d in diagnostics or []],
        }
    }


class _Limits:
    """ASGI middleware: security headers on every response, and a request-size limit."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _send_json(send, 413, "too-large", f"request body over {self.max_body} bytes")
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge()
            return msg

        started = False
        t0 = time.perf_counter()

        async def send_headers(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
                hs = list(msg.get("headers") or [])
                # Server-side time to the response's headers (W3C Server Timing): what the
                # server spent, apart from the network and the client's own queueing.
                ms = (time.perf_counter() - t0) * 1000
                hs += [
                    (b"server-timing", f"app;dur={ms:.2f}".encode()),
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if not any(k.lower() == b"cache-control" for k, _ in hs):
                    hs.append((b"cache-control", b"no-store"))
                msg = {**msg, "headers": hs}
            await send(msg)

        try:
            await self.app(scope, limited, send_headers)
        except _TooLarge:
            if not started:
                await _send_json(send, 413, "too-large", f"request body over {self.max_body} bytes")


class _TooLarge(Exception):
    pass


async def _send_json(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(status, code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"content-security-policy", CSP.encode()),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(
    workspace: Workspace | str | Path, threads: int = 2, statements_embedder: str = "auto"
) -> FastAPI:
    """The ASGI app over a workspace (a folder, a ``postgresql://`` URL or a Workspace).

    Args:
        workspace: The workspace.
        threads: How many runs execute at once.
        statements_embedder: The statement coder's embedder (see
            :class:`~detente.web.evidence.Evidence`).
    """
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    jobs = JobBoard(ws, threads)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await asyncio.to_thread(jobs.close)

    app = FastAPI(
        lifespan=lifespan,
        title="detente workspace API",
        version=__version__,
        description="Cases, runs and guarantees of a detente workspace. Every operation but "
        "login and this document needs a session cookie (with X-CSRF-Token on writes) or an "
        "API token (Authorization: Bearer dtk_...).",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    site = Site(app, ws, jobs, statements_embedder)
    app.state.site = site
    app.state.workspace = ws
    app.state.jobs = jobs

    def respond_error(
        request: Request, status: int, code: str, message: str, diags: list[Diagnostic]
    ) -> Response:
        if wants_json(request):
            return JSONResponse(error_body(status, code, message, diags), status_code=status)
        if status == 401:
            return RedirectResponse("/login", status_code=303)
        p = None
        try:
            p = site.principal(request)
        except DetenteError:
            p = None
        return site.render(
            request,
            "error.html.j2",
            {"status": status, "code": code, "message": message, "diagnostics": diags},
            p,
            status,
        )

    @app.exception_handler(DetenteError)
    async def _detente(request: Request, exc: DetenteError) -> Response:
        status, code = _status_of(exc)
        return respond_error(request, status, code, exc.message, exc.items)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and isinstance(exc.__cause__, RecursionError | ValueError):
            # FastAPI's JSON body parse gave up on what json.loads cannot read (a syntax
            # error is a 422 of its own): say what, as the command line does for files.
            why = (
                f"arrays and objects nest too deeply ({exc.__cause__.__class__.__name__})"
                if isinstance(exc.__cause__, RecursionError)
                else str(exc.__cause__).split(";")[0]
            )
            return respond_error(
                request, 400, "bad-json", f"the request body is not JSON detente reads: {why}", []
            )
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
        return respond_error(request, exc.status_code, code, str(exc.detail), [])

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        diags = [
            Diagnostic(
                f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg', 'invalid')}",
                code="invalid-request",
            )
            for e in exc.errors()
        ]
        return respond_error(request, 422, "invalid-request", "the request is not valid", diags)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        # Never a stack trace in a response; the server's log has it.
        import traceback

        traceback.print_exception(exc)
        return respond_error(
            request, 500, "internal", "internal error; the server log has the details", []
        )

    static = resources.files("detente.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    vendor = resources.files("detente.report") / "vendor"
    app.mount("/vendor", StaticFiles(directory=str(vendor)), name="vendor")
    ROUTES[("GET", "/static/{path}")] = "public"
    ROUTES[("GET", "/vendor/{path}")] = "public"

    for module in PAGE_MODULES:
        importlib.import_module(module).register(site)

    app.add_middleware(_Limits)
    return app
