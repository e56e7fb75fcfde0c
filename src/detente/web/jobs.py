"""Runs as background jobs: forecast, diagnose, sweep, sensitivity, interventions, what-if.

A run is recorded in the workspace database (``web_runs``) against the case version it ran
on, executed on a small thread pool (a sweep may itself use a local process pool or a Dask
cluster through :mod:`detente.uncertainty.engines`), and reports progress to an in-memory
board that the server-sent-events endpoint reads. Cancelling sets a flag that the run's
progress callback turns into the interruption the library already handles: a sweep stops
after the chunk in flight and keeps the draws that finished.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from detente.case.model import Case
from detente.errors import DetenteError, Diagnostic
from detente.web.workspace import Conflict, NotFound, Principal, Workspace, _iso

__all__ = ["KINDS", "JobBoard", "RunState"]

KINDS = ("forecast", "diagnose", "sweep", "sensitivity", "interventions", "whatif")
"""The kinds of run the workspace offers (each is one library call)."""

MAX_WEB_DRAWS = 5_000_000
"""The most draws a sweep submitted over the web may ask for (bounded server time)."""


class _Cancelled(KeyboardInterrupt):
    """Raised from a progress callback to stop a run the way Ctrl-C stops the CLI."""


@dataclass
class RunState:
    """Live state of one run (what the progress bar shows)."""

    id: str
    status: str = "queued"
    done: int = 0
    total: int = 0
    message: str = ""
    seq: int = 0
    cancel: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.perf_counter)

    def to_dict(self) -> dict[str, Any]:
        """What an SSE event carries."""
        pct = 100.0 * self.done / self.total if self.total else 0.0
        if self.status == "done":
            pct = 100.0
        return {
            "id": self.id,
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "percent": round(pct, 1),
            "message": self.message,
        }


def _clean(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def _models(params: dict[str, Any]) -> list[str] | None:
    raw = params.get("models") or []
    names = [m.strip() for m in (raw.split(",") if isinstance(raw, str) else raw) if m.strip()]
    return names or None


def _int(params: dict[str, Any], name: str, default: int, lo: int, hi: int) -> int:
    raw = params.get(name, default)
    try:
        value = int(str(raw).strip() or default)
    except ValueError:
        value = lo - 1
    if not lo <= value <= hi:
        raise DetenteError(
            f"{name} must be a whole number from {lo:,} to {hi:,}",
            [Diagnostic(f"bad {name} {raw!r}", expected=f"{lo:,}..{hi:,}", code=f"bad-{name}")],
        )
    return value


def validate_params(kind: str, params: dict[str, Any], case: Case) -> dict[str, Any]:
    """Check a run's parameters before it is queued (errors are located and immediate)."""
    if kind not in KINDS:
        raise DetenteError(
            f"unknown run kind {kind!r}",
            [
                Diagnostic(
                    f"unknown run kind {kind!r}", expected=", ".join(KINDS), code="unknown-run-kind"
                )
            ],
        )
    out: dict[str, Any] = {"models": _models(params)}
    if kind == "sweep":
        out["draws"] = _int(params, "draws", 10_000, 1, MAX_WEB_DRAWS)
        out["seed"] = _int(params, "seed", 0, 0, 2**32 - 1)
        out["engine"] = str(params.get("engine") or "local")
        if out["engine"] not in ("local", "dask-local"):
            raise DetenteError(
                "engine must be local or dask-local",
                [Diagnostic("bad engine", expected="local or dask-local", code="unknown-engine")],
            )
        out["workers"] = _int(params, "workers", 1, 1, 64)
    elif kind == "interventions":
        issue = str(params.get("issue") or "")
        by = params.get("by") or []
        by = [b.strip() for b in (by.split(",") if isinstance(by, str) else by) if b.strip()]
        ids = {i.id for i in case.issues}
        actors = {a.id for a in case.actors}
        if issue not in ids or not by or set(by) - actors:
            raise DetenteError(
                "interventions need an issue of the case and actors of the case",
                [
                    Diagnostic(
                        "bad issue or actors",
                        expected=f"issue one of {', '.join(sorted(ids))}; actors among "
                        f"{', '.join(sorted(actors))}",
                        code="bad-interventions",
                    )
                ],
            )
        out.update(issue=issue, by=by, robustness=_int(params, "robustness", 200, 0, 20_000))
    elif kind == "whatif":
        from detente.uncertainty.whatif import apply_whatif, parse_whatif

        text = str(params.get("whatif") or "")
        if len(text) > 200_000:
            raise DetenteError("the what-if text is over 200 kB")
        wf = parse_whatif(text, "whatif")
        apply_whatif(case, wf)  # refuse a what-if that does not fit the case now
        out["whatif"] = text
    elif kind == "sensitivity":
        out["method"] = "tornado"
    return out


class JobBoard:
    """Queue, run, watch and cancel runs for a workspace.

    Args:
        ws: The workspace.
        threads: Runs executed at once (more wait in the queue).
    """

    def __init__(self, ws: Workspace, threads: int = 2) -> None:
        self.ws = ws
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="detente-run")
        self.states: dict[str, RunState] = {}
        self.lock = threading.Lock()
        # Runs left "running" by a server that stopped cannot resume: say so.
        ws.db.execute(
            "UPDATE web_runs SET status = 'failed', error = ? WHERE status IN "
            "('queued', 'running')",
            ("the server stopped before the run finished",),
        )

    def close(self) -> None:
        """Cancel what runs and stop the pool."""
        for st in list(self.states.values()):
            st.cancel.set()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, p: Principal, case_id: str, kind: str, params: dict[str, Any]) -> str:
        """Queue a run of ``kind`` on the latest version of ``case_id``; returns its id."""
        self.ws.require(p, "run", case_id)
        case, _, meta = self.ws.case(p, case_id)
        clean = validate_params(kind, params, case)
        rid = secrets.token_hex(6)
        total = int(clean.get("draws", 1))
        now = time.time()
        with self.ws.db.transaction() as tx:
            tx.execute(
                "INSERT INTO web_runs(id, case_id, version, kind, params, status, done, total, "
                "author, created) VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)",
                (rid, case_id, meta["version"], kind, json.dumps(clean), total, p.username, now),
            )
            self.ws._audit(
                tx, p.username, "run.submit", rid, {"case": case_id, "kind": kind, **clean}
            )
        st = RunState(rid, total=total)
        with self.lock:
            self.states[rid] = st
        self.pool.submit(self._run, rid, case, kind, clean, st)
        return rid

    def _bump(self, st: RunState, **kw: Any) -> None:
        for k, v in kw.items():
            setattr(st, k, v)
        st.seq += 1

    def _run(self, rid: str, case: Case, kind: str, params: dict[str, Any], st: RunState) -> None:
        if st.cancel.is_set():
            self._finish(rid, st, "cancelled", None, "cancelled before it started")
            return
        self._bump(st, status="running")
        self.ws.db.execute("UPDATE web_runs SET status = 'running' WHERE id = ?", (rid,))

        last_write = [time.monotonic()]

        def progress(done: int, total: int | None = None) -> None:
            if total is not None:
                st.total = total
            self._bump(st, done=done)
            now = time.monotonic()
            if now - last_write[0] > 1.0:  # other servers on the database see it too
                last_write[0] = now
                self.ws.db.execute("UPDATE web_runs SET done = ? WHERE id = ?", (done, rid))
            if st.cancel.is_set():
                raise _Cancelled()

        try:
            result, status = _execute(case, kind, params, progress)
        except _Cancelled:
            self._finish(rid, st, "cancelled", None, "cancelled")
            return
        except DetenteError as exc:
            self._finish(rid, st, "failed", None, exc.diagnostics())
            return
        except Exception as exc:  # a bug: keep the server up, record it, show no trace
            traceback.print_exc()
            self._finish(rid, st, "failed", None, f"internal error: {type(exc).__name__}")
            return
        self._finish(rid, st, status, result, None)

    def _finish(self, rid: str, st: RunState, status: str, result: Any, error: str | None) -> None:
        self.ws.db.execute(
            "UPDATE web_runs SET status = ?, done = ?, total = ?, result = ?, error = ?, "
            "finished = ? WHERE id = ?",
            (
                status,
                st.done if status != "done" else max(st.done, st.total),
                st.total,
                json.dumps(_clean(result), allow_nan=False) if result is not None else None,
                error,
                time.time(),
                rid,
            ),
        )
        self._bump(
            st,
            status=status,
            message=error or "",
            done=st.done if status != "done" else max(st.done, st.total),
        )

    def cancel(self, p: Principal, rid: str) -> None:
        """Ask a queued or running run to stop."""
        run = self.get(p, rid)
        self.ws.require(p, "run", run["case_id"])
        st = self.states.get(rid)
        if st is None or st.status not in ("queued", "running"):
            raise Conflict(f"run {rid} is {run['status']}; only a queued or running run stops")
        st.cancel.set()
        self.ws.db.execute(
            "INSERT INTO web_audit(id, at, username, action, target, detail) "
            "VALUES (?, ?, ?, 'run.cancel', ?, '{}')",
            (secrets.token_hex(8), time.time(), p.username, rid),
        )

    def state(self, rid: str) -> RunState | None:
        """The live state of a run started by this server, if any."""
        return self.states.get(rid)

    def get(self, p: Principal, rid: str, with_result: bool = True) -> dict[str, Any]:
        """A run's record (and result) if ``p`` may read its case."""
        sql = (
            "SELECT id, case_id, version, kind, params, status, done, total, result, error, "
            "author, created, finished FROM web_runs WHERE id = ?"
        )
        row = self.ws.db.one(sql, (rid,))
        if row is None or not self.ws.can(p, "read", row[1]):
            raise NotFound(f"no run {rid!r}")
        view = _run_view(row, with_result)
        st = self.states.get(rid)
        if st is not None and view["status"] in ("queued", "running"):
            if st.status in ("queued", "running"):
                view.update(status=st.status, done=st.done, total=st.total)  # live, not stored
            else:
                # It finished between the read and now: _finish stores the row before it
                # marks the live state, so a second read has the result with the status.
                row = self.ws.db.one(sql, (rid,))
                if row is not None:
                    view = _run_view(row, with_result)
        return view

    def runs(self, p: Principal, case_id: str) -> list[dict[str, Any]]:
        """Runs of a case, newest first (without results)."""
        if not self.ws.can(p, "read", case_id):
            raise NotFound(f"no case {case_id!r}")
        rows = self.ws.db.query(
            "SELECT id, case_id, version, kind, params, status, done, total, NULL, error, "
            "author, created, finished FROM web_runs WHERE case_id = ? ORDER BY created DESC",
            (case_id,),
        )
        return [_run_view(r, False) for r in rows]


def _run_view(row: tuple[Any, ...], with_result: bool) -> dict[str, Any]:
    return {
        "id": row[0],
        "case_id": row[1],
        "version": row[2],
        "kind": row[3],
        "params": json.loads(row[4]),
        "status": row[5],
        "done": row[6],
        "total": row[7],
        "result": json.loads(row[8]) if (with_result and row[8]) else None,
        "error": row[9],
        "author": row[10],
        "created": _iso(row[11]),
        "finished": _iso(row[12]),
    }


def _execute(
    case: Case,
    kind: str,
    params: dict[str, Any],
    progress: Callable[..., None],
) -> tuple[Mapping[str, Any], str]:
    """Run one library call; returns its JSON-ready result and the final status."""
    models = params.get("models")
    if kind == "forecast":
        from detente.forecast import forecast

        return forecast(case, models, trajectory=True).to_dict(), "done"
    if kind == "diagnose":
        from detente.diagnose import diagnose

        return diagnose(case).to_dict(), "done"
    if kind == "sweep":
        from detente.uncertainty.sweep import run_sweep

        res = run_sweep(
            case,
            params["draws"],
            params["seed"],
            models=models,
            engine=params["engine"],
            workers=params["workers"],
            progress=progress,
        )
        return res.to_dict(), "cancelled" if res.interrupted else "done"
    if kind == "sensitivity":
        from detente.uncertainty.sensitivity import tornado

        return tornado(case, models).to_dict(), "done"
    if kind == "interventions":
        from detente.uncertainty.interventions import search_interventions

        found = search_interventions(
            case,
            params["issue"],
            params["by"],
            robustness_draws=params["robustness"],
        )
        return found.to_dict(), "done"
    from detente.uncertainty.whatif import parse_whatif, run_whatif

    return run_whatif(case, parse_whatif(params["whatif"], "whatif"), models).to_dict(), "done"
