"""The server-rendered pages: cases, edits and versions, runs, guarantees, accounts.

Each handler calls the workspace (or the job board) and returns plain data; the layout and
the JSON twin come from :meth:`detente.web.app.Site.page`. Case text is untrusted input:
templates autoescape it and chart specs travel as JSON in ``data-spec`` attributes (never
in a script), read by the vendored ``static/app.js``.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import threading
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse

from detente.case.model import Case
from detente.errors import CaseError, DetenteError, Diagnostic
from detente.web.app import SESSION_COOKIE, Site, accepts_json, set_session_cookie
from detente.web.jobs import KINDS
from detente.web.workspace import Principal, WebError

__all__ = ["case_view", "register"]

_view_lock = threading.Lock()


@lru_cache(maxsize=64)
def _case_view_cached(case_id: str, version: int, text: str) -> dict[str, Any]:
    # The page is built from the producers' typed results (the forecast's data, the
    # sections' issue view and position rows, the charts' specs), not from the brief's
    # whole context: the web shows the case, not the brief's layout.
    from detente.case.loader import parse_case_text
    from detente.forecast import forecast
    from detente.forecast.results import forecast_data
    from detente.report import charts
    from detente.report.format import est_text
    from detente.report.sections.base import capability_of, issue_view
    from detente.report.sections.case_sections import position_rows

    case = parse_case_text(text, f"{case_id}@v{version}")
    fc = forecast_data(forecast(case))
    caps = [c.value for p in case.positions if (c := capability_of(case, p))]
    max_cap = max(caps, default=1.0)
    keys = (
        "actor_id",
        "actor",
        "role",
        "position_text",
        "salience_text",
        "capability_text",
        "source",
        "quote",
    )
    issues = []
    for issue in case.issues:
        view = issue_view(case, issue, max_cap)
        rows = position_rows(case, issue)
        entries = fc["issues"][issue.id]["models"] if issue.id in fc["issues"] else {}
        issues.append(
            {
                "id": issue.id,
                "question": view["question"],
                "min": view["min"],
                "max": view["max"],
                "status_quo": view["status_quo_text"],
                "positions": [{k: r[k] for k in keys} for r in rows],
                "chart": charts.responsive(charts.actors_chart(view, rows)) if rows else None,
                "forecasts": [
                    {"model": m, "outcome": entries[m]["outcome"]}
                    for m in fc["models"]
                    if m in entries
                ],
            }
        )
    info = case.case
    dates = " – ".join(
        dict.fromkeys(d.isoformat() for d in (info.start, info.end) if d is not None)
    )
    return {
        "id": case_id,
        "version": version,
        "title": info.title,
        "summary": info.summary or "",
        "place": info.place or "",
        "dates": dates,
        "sources": [
            {"id": s.id, "citation": s.citation, "kind": s.kind, "bias": s.bias or ""}
            for s in case.sources
        ],
        "actors": [
            {
                "id": a.id,
                "name": a.name,
                "kind": a.kind.replace("_", " "),
                "role": a.role,
                "capability": est_text(a.capability),
            }
            for a in case.actors
        ],
        "issues": issues,
    }


def case_view(case_id: str, version: int, text: str) -> dict[str, Any]:
    """The case page's data (cached by case version: a version never changes)."""
    with _view_lock:
        return _case_view_cached(case_id, version, text)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _p(p: Principal | None) -> Principal:
    assert p is not None  # guarded routes always have a principal
    return p


def _diff(a: str, b: str) -> list[dict[str, Any]]:
    """Side-by-side rows ``{kind, left, right, ln_left, ln_right}`` of two texts."""
    la, lb = a.splitlines(), b.splitlines()
    rows: list[dict[str, Any]] = []
    sm = difflib.SequenceMatcher(a=la, b=lb, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            if i2 - i1 > 6:  # fold long unchanged stretches
                for k in range(3):
                    rows.append(_row("same", la, lb, i1 + k, j1 + k))
                rows.append(
                    {
                        "kind": "fold",
                        "left": f"… {i2 - i1 - 6} unchanged lines …",
                        "right": "",
                        "ln_left": "",
                        "ln_right": "",
                    }
                )
                for k in range(i2 - i1 - 3, i2 - i1):
                    rows.append(_row("same", la, lb, i1 + k, j1 + k))
            else:
                for k in range(i2 - i1):
                    rows.append(_row("same", la, lb, i1 + k, j1 + k))
        else:
            n = max(i2 - i1, j2 - j1)
            for k in range(n):
                li = i1 + k if i1 + k < i2 else None
                rj = j1 + k if j1 + k < j2 else None
                rows.append(
                    {
                        "kind": "changed",
                        "left": la[li] if li is not None else "",
                        "right": lb[rj] if rj is not None else "",
                        "ln_left": li + 1 if li is not None else "",
                        "ln_right": rj + 1 if rj is not None else "",
                    }
                )
    return rows


def _row(kind: str, la: list[str], lb: list[str], i: int, j: int) -> dict[str, Any]:
    return {"kind": kind, "left": la[i], "right": lb[j], "ln_left": i + 1, "ln_right": j + 1}


def _int_arg(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
        if not 0 <= value <= 2**31:
            raise ValueError(raw)
        return value
    except ValueError:
        raise CaseError(
            f"{name} must be a whole number",
            [Diagnostic(f"bad {name} {raw!r}", expected="a whole number", code="bad-query")],
        ) from None


def run_outcomes(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{issue: {model: headline number}}`` of a run, to compare runs side by side."""
    res = run.get("result") or {}
    out: dict[str, dict[str, Any]] = {}
    if run["kind"] == "forecast":
        for iid, issue in (res.get("issues") or {}).items():
            out[iid] = {m: v.get("outcome") for m, v in (issue.get("models") or {}).items()}
    elif run["kind"] == "sweep":
        for iid, per in (res.get("mean") or res.get("issues") or {}).items():
            if isinstance(per, dict):
                out[iid] = {f"{m} (mean)": v for m, v in per.items() if not isinstance(v, dict)}
    elif run["kind"] == "diagnose":
        for iid, issue in (res.get("issues") or {}).items():
            out[iid] = {"verdict": issue.get("verdict")}
    elif run["kind"] == "whatif":
        for iid, per in (res.get("after") or {}).items():
            if isinstance(per, dict):
                out[iid] = {f"{m} (after)": v for m, v in per.items()}
    return out


def register(site: Site) -> None:
    """Add the pages to the app."""
    ws, jobs = site.ws, site.jobs
    site.nav("Cases", "/cases")
    site.nav("Ledger", "/ledger")
    site.nav("Account", "/account")
    site.nav("Accounts", "/admin/users", admin=True)
    site.nav("Audit", "/admin/audit", admin=True)

    @site.page("/", "public", None, twin=False)
    async def home(request: Request, p: Principal | None) -> Any:
        return _redirect("/cases" if p else "/login")

    @site.page("/login", "public", "login.html.j2", twin=False)
    async def login_page(request: Request, p: Principal | None) -> Any:
        return {"error": None, "setup": not ws.has_users()}

    @site.page("/login", "public", "login.html.j2", methods=("POST",), twin=False)
    async def login(request: Request, p: Principal | None) -> Any:
        form = await _form(request)
        client = request.client.host if request.client else "?"
        try:
            cookie, _ = await asyncio.to_thread(
                ws.login, form.get("username", ""), form.get("password", ""), client
            )
        except WebError as exc:
            return site.render(
                request, "login.html.j2", {"error": exc.message, "setup": False}, None, exc.status
            )
        resp = _redirect("/cases")
        set_session_cookie(request, resp, cookie)
        return resp

    @site.page("/logout", "login", None, methods=("POST",), twin=False)
    async def logout(request: Request, p: Principal | None) -> Any:
        ws.logout(_p(p))
        resp = _redirect("/login")
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    # -- cases ---------------------------------------------------------------------------
    @site.page("/cases", "login", "cases.html.j2")
    async def cases(request: Request, p: Principal | None) -> Any:
        pp = _p(p)
        return {"cases": ws.cases(pp), "can_import": ws.can(pp, "import")}

    @site.page("/cases", "import", "cases.html.j2", methods=("POST",), twin=False)
    async def import_case(request: Request, p: Principal | None) -> Any:
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise CaseError("choose a case file to import", [Diagnostic("no file", code="no-file")])
        data = await upload.read()
        fmt = form.get("format")
        pick = form.get("case_id")
        done = await asyncio.to_thread(
            ws.import_case,
            _p(p),
            upload.filename or "",
            data,
            fmt if isinstance(fmt, str) and fmt else None,
            pick if isinstance(pick, str) and pick else None,
        )
        if accepts_json(request):
            return done
        return _redirect(f"/cases/{done['id']}")

    def case_key(request: Request, p: Principal) -> Any:
        # A saved version never changes; the buttons follow the roles and token scope.
        cid = request.path_params["cid"]
        version = _int_arg(request, "version")
        if version is None:
            row = ws.db.one("SELECT MAX(version) FROM web_case_versions WHERE case_id = ?", (cid,))
            version = row[0] if row else None
        if version is None:
            return None
        return ("case", cid, int(version), p.scope, tuple(sorted(ws.roles(p.username, cid))))

    def run_key(request: Request, p: Principal) -> Any:
        # A finished run never changes; one still going shows live progress: not cached.
        rid = request.path_params["rid"]
        row = ws.db.one("SELECT status, case_id FROM web_runs WHERE id = ?", (rid,))
        st = jobs.state(rid)
        if row is None or row[0] in ("queued", "running"):
            return None
        if st is not None and st.status in ("queued", "running"):
            return None
        roles = tuple(sorted(ws.roles(p.username, str(row[1]))))
        return ("run", rid, str(row[0]), p.scope, roles)

    @site.page("/cases/{cid}", "read", "case.html.j2", cache_key=case_key)
    async def case_page(request: Request, p: Principal | None) -> Any:
        pp = _p(p)
        cid = request.path_params["cid"]
        case, text, meta = ws.case(pp, cid, _int_arg(request, "version"))
        view = await asyncio.to_thread(case_view, cid, meta["version"], text)
        return {
            **view,
            "meta": meta,
            "can_edit": ws.can(pp, "edit", cid),
            "can_run": ws.can(pp, "run", cid),
            "roles": ws.roles(pp.username, cid),
        }

    @site.page("/cases/{cid}/text", "read", None, twin=False)
    async def case_text(request: Request, p: Principal | None) -> Any:
        _, text, meta = ws.case(_p(p), request.path_params["cid"], _int_arg(request, "version"))
        return PlainTextResponse(text, media_type="text/yaml; charset=utf-8")

    @site.page("/cases/{cid}/edit", "edit", "edit.html.j2")
    async def edit_page(request: Request, p: Principal | None) -> Any:
        cid = request.path_params["cid"]
        case, _, meta = ws.case(_p(p), cid)
        return _edit_data(
            case,
            meta,
            request.query_params.get("actor"),
            request.query_params.get("issue"),
            None,
            {},
        )

    @site.page("/cases/{cid}/edit", "edit", "edit.html.j2", methods=("POST",), twin=False)
    async def edit(request: Request, p: Principal | None) -> Any:
        cid = request.path_params["cid"]
        form = await _form(request)
        try:
            base = int(form.get("version", "0"))
        except ValueError:
            base = -1
        actor, issue = form.get("actor", ""), form.get("issue", "")
        version, by_field = await asyncio.to_thread(
            ws.edit_position, _p(p), cid, base, actor, issue, form
        )
        errors = {k: [d.to_dict() for d in v if d.severity == "error"] for k, v in by_field.items()}
        errors = {k: v for k, v in errors.items() if v}
        if version is not None and not errors:
            if accepts_json(request):
                return {"version": version, "diagnostics": {}}
            return _redirect(f"/cases/{cid}?version={version}")
        case, _, meta = ws.case(_p(p), cid)
        data = _edit_data(case, meta, actor, issue, form, errors)
        if accepts_json(request):
            from fastapi.responses import JSONResponse

            return JSONResponse(
                {
                    "error": {
                        "status": 422,
                        "code": "invalid-input",
                        "message": "the change was not saved",
                        "diagnostics": [d for v in errors.values() for d in v],
                    },
                    "fields": errors,
                },
                status_code=422,
            )
        return site.render(request, "edit.html.j2", data, p, 422)

    @site.page("/cases/{cid}/versions", "read", "versions.html.j2")
    async def versions(request: Request, p: Principal | None) -> Any:
        cid = request.path_params["cid"]
        return {"case_id": cid, "versions": ws.versions(_p(p), cid)}

    @site.page("/cases/{cid}/compare", "read", "compare.html.j2")
    async def compare(request: Request, p: Principal | None) -> Any:
        cid = request.path_params["cid"]
        a = _int_arg(request, "a") or 1
        b = _int_arg(request, "b")
        _, ta, ma = ws.case(_p(p), cid, a)
        _, tb, mb = ws.case(_p(p), cid, b)
        return {"case_id": cid, "a": ma, "b": mb, "rows": _diff(ta, tb)}

    # -- runs ----------------------------------------------------------------------------
    @site.page("/cases/{cid}/runs", "read", "runs.html.j2")
    async def runs(request: Request, p: Principal | None) -> Any:
        pp = _p(p)
        cid = request.path_params["cid"]
        case, _, meta = ws.case(pp, cid)
        return {
            "case_id": cid,
            "version": meta["version"],
            "runs": jobs.runs(pp, cid),
            "kinds": list(KINDS),
            "can_run": ws.can(pp, "run", cid),
            "issues": [i.id for i in case.issues],
            "actors": [a.id for a in case.actors],
        }

    @site.page("/cases/{cid}/runs", "run", None, methods=("POST",), twin=False)
    async def submit_run(request: Request, p: Principal | None) -> Any:
        cid = request.path_params["cid"]
        form = await _form(request)
        kind = form.pop("kind", "")
        form.pop("csrf", None)
        rid = await asyncio.to_thread(jobs.submit, _p(p), cid, kind, form)
        if accepts_json(request):
            return {"id": rid}
        return _redirect(f"/runs/{rid}")

    @site.page("/runs/{rid}", "read", "run.html.j2", cache_key=run_key)
    async def run_page(request: Request, p: Principal | None) -> Any:
        pp = _p(p)
        run = jobs.get(pp, request.path_params["rid"])
        st = jobs.state(run["id"])
        live = st.to_dict() if st else None
        return {
            **run,
            "live": live,
            "can_run": ws.can(pp, "run", run["case_id"]),
            "outcomes": run_outcomes(run),
        }

    @site.page("/runs/{rid}/events", "read", None, twin=False)
    async def run_events(request: Request, p: Principal | None) -> Any:
        rid = request.path_params["rid"]
        run = jobs.get(_p(p), rid, with_result=False)

        async def stream() -> Any:
            last = -1
            yield "retry: 1000\n\n"
            while True:
                st = jobs.state(rid)
                if st is None:  # finished before this server started, or on another one
                    data = {k: run[k] for k in ("id", "status", "done", "total")}
                    data["percent"] = 100.0 if run["status"] == "done" else 0.0
                    yield f"event: progress\ndata: {json.dumps(data)}\n\n"
                    yield f"event: end\ndata: {json.dumps(data)}\n\n"
                    return
                if st.seq != last:
                    last = st.seq
                    data = st.to_dict()
                    yield f"event: progress\ndata: {json.dumps(data)}\n\n"
                    if st.status not in ("queued", "running"):
                        yield f"event: end\ndata: {json.dumps(data)}\n\n"
                        return
                if await request.is_disconnected():
                    return
                await asyncio.sleep(0.05)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    @site.page("/runs/{rid}/cancel", "run", None, methods=("POST",), twin=False)
    async def cancel_run(request: Request, p: Principal | None) -> Any:
        rid = request.path_params["rid"]
        jobs.cancel(_p(p), rid)
        if accepts_json(request):
            return {"id": rid, "cancel": "requested"}
        return _redirect(f"/runs/{rid}")

    @site.page("/runs/{rid}/brief.html", "read", None, twin=False)
    async def run_brief(request: Request, p: Principal | None) -> Any:
        pp = _p(p)
        run = jobs.get(pp, request.path_params["rid"])
        if run["status"] not in ("done", "cancelled") or run["result"] is None:
            raise WebError("the run has no result yet")
        case, _, _ = ws.case(pp, run["case_id"], run["version"])
        html = await asyncio.to_thread(_brief, case, run)
        return Response(
            html,
            media_type="text/html; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="brief-{run["id"]}.html"'},
        )

    @site.page("/cases/{cid}/compare-runs", "read", "compare_runs.html.j2")
    async def compare_runs(request: Request, p: Principal | None) -> Any:
        pp = _p(p)
        cid = request.path_params["cid"]
        ids = [request.query_params.get("a", ""), request.query_params.get("b", "")]
        chosen = [jobs.get(pp, r) for r in ids]
        if any(r["case_id"] != cid for r in chosen):
            raise WebError("both runs must belong to this case")
        oa, ob = (run_outcomes(r) for r in chosen)
        rows = []
        for iid in sorted(set(oa) | set(ob)):
            for key in sorted(set(oa.get(iid, {})) | set(ob.get(iid, {}))):
                rows.append(
                    {
                        "issue": iid,
                        "key": key,
                        "a": oa.get(iid, {}).get(key),
                        "b": ob.get(iid, {}).get(key),
                    }
                )
        strip = [{k: v for k, v in r.items() if k != "result"} for r in chosen]
        return {"case_id": cid, "a": strip[0], "b": strip[1], "rows": rows}

    # -- guarantees ----------------------------------------------------------------------
    @site.page("/cases/{cid}/guarantees", "read", "guarantees.html.j2")
    async def guarantees(request: Request, p: Principal | None) -> Any:
        pp = _p(p)
        cid = request.path_params["cid"]
        entries = await asyncio.to_thread(ws.entries, pp, cid)
        for e in entries:
            receipt = (await asyncio.to_thread(ws.receipt, pp, int(e["index"])))[0]
            e["verdict"] = await asyncio.to_thread(ws.verify, pp, cid, receipt)
        return {
            "case_id": cid,
            "drafts": [
                {k: v for k, v in d.items() if k not in ("signed", "commitment")}
                for d in ws.drafts(pp, cid)
            ],
            "entries": entries,
            "log": ws.checkpoints(pp),
            "can_draft": ws.can(pp, "draft", cid),
            "witnesses": ws.witnesses(),
            "witness_report": ws.last_witness_report(),
            "can_witness": ws.can(pp, "collect_witness", cid),
        }

    @site.page(
        "/cases/{cid}/guarantees/witness", "collect_witness", None, methods=("POST",), twin=False
    )
    async def witness(request: Request, p: Principal | None) -> Any:
        cid = request.path_params["cid"]
        form = await _form(request)
        report = await asyncio.to_thread(
            ws.collect_cosignatures,
            _p(p),
            cid,
            form.get("url") or None,
            form.get("vkey") or None,
        )
        if accepts_json(request):
            return report
        return _redirect(f"/cases/{cid}/guarantees#witnesses")

    @site.page("/cases/{cid}/guarantees", "draft", None, methods=("POST",), twin=False)
    async def new_draft(request: Request, p: Principal | None) -> Any:
        cid = request.path_params["cid"]
        form = await _form(request)
        did = ws.create_draft(_p(p), cid, form.get("commitment", ""))
        if accepts_json(request):
            return {"id": did}
        return _redirect(f"/drafts/{did}")

    @site.page("/drafts/{did}", "read", "draft.html.j2")
    async def draft_page(request: Request, p: Principal | None) -> Any:
        pp = _p(p)
        cid, sc, view = ws.draft(pp, request.path_params["did"])
        case = ws.case(pp, cid)[0]
        roles = ws.roles(pp.username, cid)
        mine = [k for k in ws.keys(pp, cid) if k["user"] == pp.username]
        c = sc.commitment
        signed = {x.actor for x in sc.signatures}
        countersigned = {x.actor for x in sc.countersignatures}
        party_actors = sorted(
            {r.split(":", 1)[1] for r in roles if r.startswith("party:")}
            & {c.committing_party, *c.beneficiaries} - signed
        )
        med_actors = sorted(
            ({*c.guarantors, *c.witnesses} - countersigned) if "mediator" in roles else set()
        )
        if sc.countersignatures:  # a countersignature covers the party signatures: closed
            party_actors = []
        import base64

        return {
            **view,
            "case_id": cid,
            "case_title": case.case.title,
            "sign_as": [
                {"actor": a, "vkeys": [k["vkey"] for k in mine if k["actor"] == a]}
                for a in party_actors
            ],
            "countersign_as": [
                {"actor": a, "vkeys": [k["vkey"] for k in mine if k["actor"] == a]}
                for a in med_actors
            ],
            "party_message": base64.b64encode(ws.signing_message(sc, "party")).decode(),
            "counter_message": base64.b64encode(ws.signing_message(sc, "mediator")).decode(),
            "can_submit": ws.can(pp, "submit", cid),
        }

    @site.page(
        "/drafts/{did}/signature", "sign_or_countersign", None, methods=("POST",), twin=False
    )
    async def add_signature(request: Request, p: Principal | None) -> Any:
        # Which of sign / countersign applies depends on the role asked for: checked inside.
        did = request.path_params["did"]
        form = await _form(request)
        role = form.get("role", "")
        ws.add_signature(
            _p(p), did, form.get("actor", ""), form.get("key", ""), form.get("sig", ""), role
        )
        if accepts_json(request):
            return {"id": did, "signed": form.get("actor", "")}
        return _redirect(f"/drafts/{did}")

    @site.page("/drafts/{did}/upload", "sign_or_countersign", None, methods=("POST",), twin=False)
    async def upload_signed(request: Request, p: Principal | None) -> Any:
        did = request.path_params["did"]
        form = await request.form()
        upload = form.get("file")
        role = form.get("role", "party")
        if upload is None or isinstance(upload, str) or role not in ("party", "mediator"):
            raise WebError("send the signed draft file and role party or mediator")
        text = (await upload.read()).decode("utf-8", "replace")
        added = ws.upload_signed(_p(p), did, text, str(role))
        if accepts_json(request):
            return {"id": did, "added": added}
        return _redirect(f"/drafts/{did}")

    @site.page("/drafts/{did}/submit", "submit", None, methods=("POST",), twin=False)
    async def submit(request: Request, p: Principal | None) -> Any:
        did = request.path_params["did"]
        index = await asyncio.to_thread(ws.submit, _p(p), did)
        if accepts_json(request):
            return {"id": did, "index": index}
        return _redirect(f"/drafts/{did}")

    @site.page("/drafts/{did}/draft.json", "read", None, twin=False)
    async def draft_file(request: Request, p: Principal | None) -> Any:
        _, sc, _ = ws.draft(_p(p), request.path_params["did"])
        return Response(
            json.dumps(sc.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
            media_type="application/json",
            headers={"content-disposition": 'attachment; filename="draft.json"'},
        )

    @site.page("/cases/{cid}/keys", "read", "keys.html.j2")
    async def keys(request: Request, p: Principal | None) -> Any:
        pp = _p(p)
        cid = request.path_params["cid"]
        case = ws.case(pp, cid)[0]
        roles = ws.roles(pp.username, cid)
        mine = sorted(ws._signing_actors(pp, cid, case))
        return {
            "case_id": cid,
            "registered": ws.keys(pp, cid),
            "my_actors": mine if ws.can(pp, "register_key", cid) else [],
            "roles": roles,
        }

    @site.page("/cases/{cid}/keys", "register_key", None, methods=("POST",), twin=False)
    async def register_key(request: Request, p: Principal | None) -> Any:
        cid = request.path_params["cid"]
        form = await _form(request)
        vkey = await asyncio.to_thread(
            ws.register_key,
            _p(p),
            cid,
            form.get("actor", ""),
            form.get("vkey") or None,
            form.get("public_key") or None,
            form.get("at") or None,
            form.get("proof") or None,
        )
        if accepts_json(request):
            return {"vkey": vkey}
        return _redirect(f"/cases/{cid}/keys")

    @site.page("/cases/{cid}/keys/message", "register_key", None, methods=("POST",), twin=False)
    async def key_message(request: Request, p: Principal | None) -> Any:
        # The bytes the key's holder signs to prove possession (the browser signs them
        # with its WebCrypto key, then posts the signature to /cases/{cid}/keys).
        form = await _form(request)
        return await asyncio.to_thread(
            ws.key_message,
            _p(p),
            request.path_params["cid"],
            form.get("actor", ""),
            form.get("vkey") or None,
            form.get("public_key") or None,
        )

    @site.page("/ledger", "login", "ledger.html.j2")
    async def ledger(request: Request, p: Principal | None) -> Any:
        return ws.checkpoints(_p(p))

    @site.page("/ledger/{index}/receipt", "read", None, twin=False)
    async def receipt(request: Request, p: Principal | None) -> Any:
        text, _ = ws.receipt(_p(p), int(request.path_params["index"]))
        return Response(
            text,
            media_type="text/plain; charset=utf-8",
            headers={
                "content-disposition": (
                    f'attachment; filename="entry-{int(request.path_params["index"])}.tlog-proof"'
                )
            },
        )

    @site.page("/cases/{cid}/policy", "read", None, twin=False)
    async def policy(request: Request, p: Principal | None) -> Any:
        pol = ws.policy(request.path_params["cid"])
        return {
            "origin": pol.origin,
            "log_keys": list(pol.log_keys),
            "witnesses": list(pol.witnesses),
            "quorum": pol.quorum,
            "parties": {k: list(v) for k, v in (pol.parties or {}).items()},
        }

    @site.page("/cases/{cid}/verify", "read", "verify.html.j2")
    async def verify_page(request: Request, p: Principal | None) -> Any:
        return {"case_id": request.path_params["cid"], "verdict": None}

    @site.page("/cases/{cid}/verify", "read", "verify.html.j2", methods=("POST",), twin=False)
    async def verify(request: Request, p: Principal | None) -> Any:
        cid = request.path_params["cid"]
        form = await request.form()
        upload = form.get("file")
        text = form.get("receipt")
        if upload is not None and not isinstance(upload, str):
            text = (await upload.read()).decode("utf-8", "replace")
        if not isinstance(text, str) or not text:
            raise WebError("send a receipt (file or text)")
        verdict = await asyncio.to_thread(ws.verify, _p(p), cid, text)
        return {"case_id": cid, "verdict": verdict}

    # -- accounts ------------------------------------------------------------------------
    @site.page("/account", "login", "account.html.j2")
    async def account(request: Request, p: Principal | None) -> Any:
        pp = _p(p)
        return {
            "username": pp.username,
            "admin": pp.is_admin,
            "tokens": ws.tokens(pp),
            "new_token": None,
        }

    @site.page("/account/tokens", "login", "account.html.j2", methods=("POST",), twin=False)
    async def new_token(request: Request, p: Principal | None) -> Any:
        pp = _p(p)
        form = await _form(request)
        tok = ws.create_token(pp, form.get("name", "token"), form.get("scope", "read"))
        return {
            "username": pp.username,
            "admin": pp.is_admin,
            "tokens": ws.tokens(pp),
            "new_token": tok,
        }

    @site.page("/account/tokens/{tid}/revoke", "login", None, methods=("POST",), twin=False)
    async def revoke_token(request: Request, p: Principal | None) -> Any:
        ws.revoke_token(_p(p), request.path_params["tid"])
        return _redirect("/account")

    @site.page("/admin/users", "accounts", "users.html.j2")
    async def users(request: Request, p: Principal | None) -> Any:
        return {
            "users": ws.users(_p(p)),
            "roles": ["observer", "analyst", "mediator", "party:<actor>"],
        }

    @site.page("/admin/users", "accounts", None, methods=("POST",), twin=False)
    async def create_user(request: Request, p: Principal | None) -> Any:
        form = await _form(request)
        await asyncio.to_thread(
            ws.create_user,
            _p(p),
            form.get("username", ""),
            form.get("password", ""),
            form.get("admin") == "on",
        )
        return _redirect("/admin/users")

    @site.page("/admin/roles", "accounts", None, methods=("POST",), twin=False)
    async def grant(request: Request, p: Principal | None) -> Any:
        form = await _form(request)
        ws.grant(
            _p(p), form.get("username", ""), form.get("case", "*") or "*", form.get("role", "")
        )
        return _redirect("/admin/users")

    @site.page("/admin/audit", "audit", "audit.html.j2")
    async def audit(request: Request, p: Principal | None) -> Any:
        return {"rows": ws.audit_log(_p(p))}


def _edit_data(
    case: Case,
    meta: dict[str, Any],
    actor: str | None,
    issue: str | None,
    form: dict[str, str] | None,
    errors: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for pos in case.positions:
        cap = pos.capability
        if cap is None:
            try:
                cap = case.actor(pos.actor).capability
            except KeyError:
                cap = None
        rows.append(
            {
                "actor": pos.actor,
                "issue": pos.issue,
                "selected": pos.actor == actor and pos.issue == issue,
                "fields": {
                    "position": _est(pos.position),
                    "salience": _est(pos.salience),
                    "capability": _est(cap),
                },
            }
        )
    chosen: dict[str, Any] | None = next((r for r in rows if r["selected"]), None)
    if chosen is not None and form is not None:
        for name in ("position", "salience", "capability"):
            chosen["fields"][name] = {
                "value": form.get(name, ""),
                "low": form.get(f"{name}_low", ""),
                "high": form.get(f"{name}_high", ""),
            }
    return {
        "case_id": case.case.id,
        "title": case.case.title,
        "version": meta["version"],
        "rows": rows,
        "chosen": chosen,
        "errors": errors,
    }


def _est(e: Any) -> dict[str, str]:
    if e is None:
        return {"value": "", "low": "", "high": ""}
    return {
        "value": f"{e.value:g}",
        "low": f"{e.range[0]:g}" if e.range else "",
        "high": f"{e.range[1]:g}" if e.range else "",
    }


def _brief(case: Case, run: dict[str, Any]) -> str:
    from detente.forecast import forecast
    from detente.report.brief import build_brief

    res = run["result"]
    kw: dict[str, Any] = {}
    if run["kind"] == "diagnose":
        kw["diagnosis"] = res
    elif run["kind"] == "sweep":
        kw["sweep"] = res
    elif run["kind"] == "sensitivity":
        kw["tornado"] = res
    elif run["kind"] == "interventions":
        kw["interventions"] = res
    fc = res if run["kind"] == "forecast" else forecast(case, trajectory=True)
    try:
        return build_brief(case, fc, **kw)
    except DetenteError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise WebError(f"this run's result cannot be laid out as a brief: {exc}") from exc
