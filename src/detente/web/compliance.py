"""Compliance pages and API: "Are they keeping it?" for a case's commitments.

Events files go into the workspace's ledger (:func:`detente.events.import_events`, a
dataset record signed by a mediator), the metrics file is kept per case, each commitment of
the case in the ledger is checked with :func:`detente.compliance.check_commitment`, shown
with the brief's own section data and Vega-Lite charts
(:func:`detente.compliance.brief.section_data`), and a mediator records the verdicts as
signed lifecycle events (:func:`detente.compliance.record_verdicts`). Every signature is
made by the mediator (in the browser, or by any client holding the key) over the exact
bytes the server shows: see :mod:`detente.web.evidence` and the ``/pending/{pid}`` page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from detente.errors import CaseError, Diagnostic
from detente.web.api import RequestBody, case_id_param, hex_id_param, operation, who
from detente.web.app import Site, accepts_json
from detente.web.workspace import Principal, WebError

__all__ = ["register"]


class MetricsIn(RequestBody):
    """A metrics file (``detente.metrics/v1`` YAML)."""

    filename: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=1_000_000)


class MetricsOut(BaseModel):
    """The stored metrics file and the metrics it defines."""

    file: str
    metrics: list[str]


class EventsIn(RequestBody):
    """An events file (UCDP GED CSV/JSON, ACLED CSV or plain CSV) to import for a case."""

    filename: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=3_500_000)
    dataset: str = Field(min_length=1, max_length=64, description="ucdp-ged*, acled* or any")
    version: str = Field(min_length=1, max_length=64)
    actor: str = Field(min_length=1, max_length=64, description="The mediator actor who signs.")
    coverage_start: dt.date | None = None
    coverage_end: dt.date | None = None


class VerdictsIn(RequestBody):
    """Record the verdicts of one commitment of the case (ledger index), signed by ``actor``."""

    index: int = Field(ge=0, le=2**62)
    actor: str = Field(min_length=1, max_length=64)
    as_of: dt.date | None = None


class PendingOut(BaseModel):
    """A record waiting for its signer: the exact messages to sign (base64), then the result."""

    model_config = ConfigDict(extra="allow")

    id: str
    case_id: str
    kind: str
    actor: str
    vkey: str
    title: str
    messages: list[str]
    author: str
    created: str | None
    result: dict[str, Any] | None
    mine: bool


class LinkedOut(BaseModel):
    """An events file already imported (same dataset, version and file): linked to the case."""

    linked: int


class SignaturesIn(RequestBody):
    """The signer's Ed25519 signatures (base64), one per message in order, and its key."""

    key: str = Field(min_length=1, max_length=400)
    sigs: list[str] = Field(min_length=1, max_length=2000)


class ComplianceOut(BaseModel):
    """The compliance page's data (see docs/web.md)."""

    model_config = ConfigDict(extra="allow")

    case_id: str
    datasets: list[dict[str, Any]]
    metrics: dict[str, Any] | None
    commitments: list[dict[str, Any]]
    verdicts: list[dict[str, Any]]
    trust: list[dict[str, Any]]


def _date(raw: str | None, what: str) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CaseError(
            f"{what} must be a date (YYYY-MM-DD)",
            [Diagnostic(f"bad {what} {raw!r}", expected="YYYY-MM-DD", code="bad-date")],
        ) from None


def _coverage(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date] | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise CaseError(
            "give both ends of the coverage, or neither",
            [Diagnostic("coverage needs a start and an end", code="bad-coverage")],
        )
    return start, end


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _p(p: Principal | None) -> Principal:
    assert p is not None  # guarded routes always have a principal
    return p


def register(site: Site) -> None:
    """Add the compliance pages, the pending-signature page and their API."""
    ev = site.evidence
    site.case_nav("Compliance", "compliance")

    async def upload(request: Request) -> tuple[dict[str, str], str, bytes]:
        form = await request.form()
        f = form.get("file")
        if f is None or isinstance(f, str):
            raise CaseError("choose a file to upload", [Diagnostic("no file", code="no-file")])
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        return fields, f.filename or "", await f.read()

    @site.page("/cases/{cid}/compliance", "read", "compliance.html.j2")
    async def compliance(request: Request, p: Principal | None) -> Any:
        cid = request.path_params["cid"]
        as_of = _date(request.query_params.get("as_of"), "as_of")
        return await asyncio.to_thread(ev.compliance, _p(p), cid, as_of)

    @site.page("/cases/{cid}/compliance/metrics", "metrics", None, methods=("POST",), twin=False)
    async def metrics(request: Request, p: Principal | None) -> Any:
        cid = request.path_params["cid"]
        _, name, data = await upload(request)
        done = await asyncio.to_thread(ev.put_metrics, _p(p), cid, name, data)
        return done if accepts_json(request) else _redirect(f"/cases/{cid}/compliance")

    @site.page(
        "/cases/{cid}/compliance/events", "import_events", None, methods=("POST",), twin=False
    )
    async def events(request: Request, p: Principal | None) -> Any:
        cid = request.path_params["cid"]
        fields, name, data = await upload(request)
        cov = _coverage(
            _date(fields.get("coverage_start"), "coverage start"),
            _date(fields.get("coverage_end"), "coverage end"),
        )
        out = await asyncio.to_thread(
            ev.prepare_dataset,
            _p(p),
            cid,
            name,
            data,
            fields.get("dataset", ""),
            fields.get("version", ""),
            fields.get("actor", ""),
            cov,
        )
        if accepts_json(request):
            return out
        return _redirect(f"/pending/{out['id']}" if "id" in out else f"/cases/{cid}/compliance")

    @site.page(
        "/cases/{cid}/compliance/verdicts", "record_verdict", None, methods=("POST",), twin=False
    )
    async def verdicts(request: Request, p: Principal | None) -> Any:
        cid = request.path_params["cid"]
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        try:
            index = int(fields.get("index", ""))
        except ValueError:
            raise WebError("choose the commitment (its ledger entry)") from None
        out = await asyncio.to_thread(
            ev.prepare_verdicts,
            _p(p),
            cid,
            index,
            fields.get("actor", ""),
            _date(fields.get("as_of"), "as_of"),
        )
        return out if accepts_json(request) else _redirect(f"/pending/{out['id']}")

    @site.page("/pending/{pid}", "read", "pending.html.j2")
    async def pending(request: Request, p: Principal | None) -> Any:
        info = ev.pending(_p(p), request.path_params["pid"])
        back = "statements" if info["kind"] == "review" else "compliance"
        return {
            **info,
            "back": f"/cases/{info['case_id']}/{back}",
            "can_sign": info["mine"] and site.ws.can(_p(p), "sign_record", info["case_id"]),
        }

    @site.page("/pending/{pid}/sign", "sign_record", None, methods=("POST",), twin=False)
    async def sign(request: Request, p: Principal | None) -> Any:
        pid = request.path_params["pid"]
        form = await request.form()
        key = form.get("key")
        sigs = form.get("sigs")
        if not isinstance(key, str) or not isinstance(sigs, str) or not key or not sigs:
            raise CaseError(
                "send the key and the signatures (one base64 signature per line)",
                [Diagnostic("key and sigs are required", code="missing-field")],
            )
        lines = [s.strip() for s in sigs.replace(",", "\n").splitlines() if s.strip()]
        out = await asyncio.to_thread(ev.sign_pending, _p(p), pid, key.strip(), lines)
        return out if accepts_json(request) else _redirect(f"/pending/{pid}")

    # -- /api/v1 -------------------------------------------------------------------------
    op = operation(site)

    @op(
        "GET",
        "/api/v1/cases/{cid}/compliance",
        "read",
        response_model=ComplianceOut,
        tags=["compliance"],
    )
    async def api_compliance(
        request: Request, cid: str = case_id_param(), as_of: dt.date | None = None
    ) -> Any:
        return await asyncio.to_thread(ev.compliance, who(request), cid, as_of)

    @op(
        "POST",
        "/api/v1/cases/{cid}/metrics",
        "metrics",
        response_model=MetricsOut,
        status_code=201,
        tags=["compliance"],
    )
    async def api_metrics(body: MetricsIn, request: Request, cid: str = case_id_param()) -> Any:
        return await asyncio.to_thread(
            ev.put_metrics, who(request), cid, body.filename, body.text.encode("utf-8")
        )

    @op(
        "POST",
        "/api/v1/cases/{cid}/events",
        "import_events",
        response_model=PendingOut | LinkedOut,
        status_code=201,
        tags=["compliance"],
    )
    async def api_events(body: EventsIn, request: Request, cid: str = case_id_param()) -> Any:
        return await asyncio.to_thread(
            ev.prepare_dataset,
            who(request),
            cid,
            body.filename,
            body.text.encode("utf-8"),
            body.dataset,
            body.version,
            body.actor,
            _coverage(body.coverage_start, body.coverage_end),
        )

    @op(
        "POST",
        "/api/v1/cases/{cid}/verdicts",
        "record_verdict",
        response_model=PendingOut,
        status_code=201,
        tags=["compliance"],
    )
    async def api_verdicts(body: VerdictsIn, request: Request, cid: str = case_id_param()) -> Any:
        return await asyncio.to_thread(
            ev.prepare_verdicts, who(request), cid, body.index, body.actor, body.as_of
        )

    @op("GET", "/api/v1/pending/{pid}", "read", response_model=PendingOut, tags=["signing"])
    async def api_pending(request: Request, pid: str = hex_id_param()) -> Any:
        return ev.pending(who(request), pid)

    @op(
        "POST",
        "/api/v1/pending/{pid}/signatures",
        "sign_record",
        response_model=PendingOut,
        tags=["signing"],
    )
    async def api_sign(body: SignaturesIn, request: Request, pid: str = hex_id_param()) -> Any:
        return await asyncio.to_thread(ev.sign_pending, who(request), pid, body.key, body.sigs)
