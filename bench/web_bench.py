"""Benchmark of the web workspace (issue 15, Speed).

Run: ``.venv/bin/python bench/web_bench.py`` (``--quick`` for a smoke run).

Starts ``detente serve`` in its own process on a free loopback port over a fresh
workspace, imports the Istanbul case, runs one forecast, then:

1. **Reads under load.** ``--clients`` (50) concurrent clients, each with its own API
   token connection, read the case page and the run page (HTML) in turn until
   ``--requests`` requests are done; the same load on the static stylesheet is the
   baseline measured in the same run (the cost of an HTTP round trip through the same
   server and middleware). Throughput (requests/s) and p50/p95 latency per page; the
   pages are "cached" in the sense of the issue: the first request of a case version
   computes its view (forecast, chart specs), later ones reuse it.
2. **First progress event of a 100,000-draw sweep.** Time from sending the POST that
   submits the sweep to the first ``progress`` server-sent event, and to the first event
   that reports draws done (the first chunk of 5,000 draws); the sweep is then cancelled.
   Median of ``--sweeps`` (5) submissions.

3. **Where the time goes.** Every response carries ``Server-Timing: app;dur=<ms>`` (the
   server's time to the response's headers); the bench reports its p50/p95 beside the
   latency the client saw, so what is server work and what is queueing (in the client or
   on the shared cores) can be told apart.

Each read phase runs twice: on a server with the page cache off
(``DETENTE_WEB_PAGE_CACHE=0``: every request builds and renders its page, as before the
cache) and on one with it on (rendered bytes per case version and principal), and the
cached server is read both by the single-process client and by ``--procs`` (4) client
processes sharing the 50 clients (a cheaper client: one asyncio loop in one process on
the same cores is itself a bottleneck). Each row has its own static-file baseline from the
same server and client.

The machine is shared and noisy: compare the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
ISTANBUL = REPO / "examples" / "istanbul-2025" / "case.yaml"
PASSWORD = "bench password 123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(tmp: Path, page_cache: bool = True) -> tuple[subprocess.Popen[str], str]:
    tmp.mkdir(parents=True, exist_ok=True)
    pw = tmp / "pw"
    pw.write_text(PASSWORD, encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "detente",
            "serve",
            str(tmp / "ws"),
            "--port",
            str(port),
            "--admin-password-file",
            str(pw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "DETENTE_WEB_PAGE_CACHE": "1" if page_cache else "0"},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(url + "/login", timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the server did not start")


def setup(url: str) -> tuple[str, str, str]:
    """An analyst's token, the case id and a finished forecast run id."""
    admin = httpx.Client(base_url=url, timeout=60)
    csrf = admin.post("/api/v1/login", json={"username": "admin", "password": PASSWORD}).json()
    admin.headers["X-CSRF-Token"] = csrf["csrf"]
    admin.post("/api/v1/users", json={"username": "ana", "password": PASSWORD})
    admin.post("/api/v1/users/ana/roles", json={"case": "*", "role": "analyst"})
    ana = httpx.Client(base_url=url, timeout=60)
    ana.headers["X-CSRF-Token"] = ana.post(
        "/api/v1/login", json={"username": "ana", "password": PASSWORD}
    ).json()["csrf"]
    token = ana.post("/api/v1/tokens", json={"name": "bench", "scope": "write"}).json()["token"]
    case = ana.post(
        "/api/v1/cases", json={"filename": "case.yaml", "text": ISTANBUL.read_text("utf-8")}
    ).json()["id"]
    rid = ana.post(f"/api/v1/cases/{case}/runs", json={"kind": "forecast"}).json()["id"]
    while ana.get(f"/api/v1/runs/{rid}").json()["status"] != "done":
        time.sleep(0.05)
    return token, case, rid


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def _server_ms(header: str | None) -> float | None:
    if not header or "dur=" not in header:
        return None
    return float(header.split("dur=", 1)[1].split(",")[0].split(";")[0])


async def _load_raw(
    url: str, token: str, paths: list[str], clients: int, total: int, offset: int = 0
) -> dict[str, object]:
    """``clients`` concurrent readers cycling through ``paths`` until ``total`` requests.

    Returns raw samples: per path the client-side latencies and the server's own times.
    """
    lat: dict[str, list[float]] = {p: [] for p in paths}
    srv: dict[str, list[float]] = {p: [] for p in paths}
    errors = 0
    counter = iter(range(total))

    async def client(k: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(
            base_url=url,
            headers={"Authorization": f"Bearer {token}", "Accept": "text/html"},
            timeout=60,
        ) as c:
            mine = k + offset  # each client starts on a different page, then alternates
            for _ in counter:
                path = paths[mine % len(paths)]
                mine += 1
                t0 = time.perf_counter()
                r = await c.get(path)
                dt = time.perf_counter() - t0
                if r.status_code != 200:
                    errors += 1
                lat[path].append(dt)
                ms = _server_ms(r.headers.get("server-timing"))
                if ms is not None:
                    srv[path].append(ms / 1000)

    t0 = time.time()
    await asyncio.gather(*(client(k) for k in range(clients)))
    return {"start": t0, "end": time.time(), "errors": errors, "lat": lat, "srv": srv}


def _proc(args: tuple[str, str, list[str], int, int, int]) -> dict[str, object]:
    return asyncio.run(_load_raw(*args))


def load(
    url: str, token: str, paths: list[str], clients: int, total: int, procs: int = 1
) -> dict[str, object]:
    """The read phase with its clients spread over ``procs`` client processes.

    Throughput is the requests over the span from the first process's start of load to
    the last one's end (process start-up is not counted).
    """
    if procs <= 1:
        parts = [asyncio.run(_load_raw(url, token, paths, clients, total))]
    else:
        jobs = [
            (url, token, paths, clients // procs + (k < clients % procs),
             total // procs + (k < total % procs), k)
            for k in range(procs)
        ]  # fmt: skip
        with multiprocessing.get_context("spawn").Pool(procs) as pool:
            parts = pool.map(_proc, jobs)
    wall = max(float(p["end"]) for p in parts) - min(float(p["start"]) for p in parts)  # type: ignore[arg-type]
    lat = {p: [x for part in parts for x in part["lat"][p]] for p in paths}  # type: ignore[index]
    srv = {p: [x for part in parts for x in part["srv"][p]] for p in paths}  # type: ignore[index]
    return {
        "requests": total,
        "procs": procs,
        "seconds": wall,
        "throughput": total / wall,
        "errors": sum(int(p["errors"]) for p in parts),  # type: ignore[call-overload]
        "pages": {
            p: {
                "n": len(v),
                "p50_ms": 1000 * pct(v, 0.5),
                "p95_ms": 1000 * pct(v, 0.95),
                "server_p50_ms": 1000 * pct(srv[p], 0.5) if srv[p] else None,
                "server_p95_ms": 1000 * pct(srv[p], 0.95) if srv[p] else None,
            }
            for p, v in lat.items()
        },
    }


def first_progress(url: str, token: str, case: str) -> dict[str, float]:
    """Seconds from submitting a 100,000-draw sweep to its first progress events."""
    c = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    t0 = time.perf_counter()
    rid = c.post(
        f"/api/v1/cases/{case}/runs", json={"kind": "sweep", "draws": 100_000, "seed": 1}
    ).json()["id"]
    first = first_done = None
    with c.stream("GET", f"/runs/{rid}/events") as resp:
        for line in resp.iter_lines():
            if not line.startswith("data:"):
                continue
            now = time.perf_counter() - t0
            ev = json.loads(line[5:])
            if first is None:
                first = now
            if ev["done"] > 0:
                first_done = now
                break
    c.post(f"/api/v1/runs/{rid}/cancel")
    while c.get(f"/api/v1/runs/{rid}").json()["status"] in ("queued", "running"):
        time.sleep(0.05)
    assert first is not None and first_done is not None
    return {"first_event_s": first, "first_draws_s": first_done}


def _row(label: str, res: dict[str, object], path: str, base_p95: float) -> str:
    v = res["pages"][path]  # type: ignore[index]
    return (
        f"  {label:<34} {res['throughput']:6.0f} req/s  p50 {v['p50_ms']:7.1f} ms  "
        f"p95 {v['p95_ms']:7.1f} ms ({v['p95_ms'] / base_p95:4.2f}x static)  server p50 "
        f"{v['server_p50_ms']:6.2f} ms  p95 {v['server_p95_ms']:6.2f} ms  errors {res['errors']}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--sweeps", type=int, default=5)
    ap.add_argument("--procs", type=int, default=4, help="client processes for the cheap client")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.clients, args.requests, args.sweeps = 10, 200, 1
    load0 = os.getloadavg()[0]
    results: dict[str, dict[str, object]] = {}
    sse: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="detente-web-bench-") as tmp:
        for cache in (False, True):
            proc, url = start(Path(tmp) / ("cached" if cache else "uncached"), cache)
            try:
                token, case, rid = setup(url)
                pages = [f"/cases/{case}", f"/runs/{rid}"]
                for p in pages:  # the first read of a version computes its view
                    httpx.get(url + p, headers={"Authorization": f"Bearer {token}"}, timeout=60)
                runs = [(1, "1proc")] + ([(args.procs, f"{args.procs}procs")] if cache else [])
                for procs, tag in runs:
                    name = ("cached" if cache else "uncached") + "-" + tag
                    results[name + "-static"] = load(
                        url, token, ["/static/style.css"], args.clients, args.requests, procs
                    )
                    results[name] = load(url, token, pages, args.clients, args.requests, procs)
                if cache:
                    sse = [first_progress(url, token, case) for _ in range(args.sweeps)]
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    print(
        f"# web bench  {time.strftime('%Y-%m-%d %H:%M')}  python {platform.python_version()}"
        f"  load average {load0:.1f} at start, {os.getloadavg()[0]:.1f} at end"
        f"  cpus {os.cpu_count()}"
    )
    print(f"{args.clients} clients, {args.requests} requests per phase")
    for name in ("uncached-1proc", "cached-1proc", f"cached-{args.procs}procs"):
        base = results[name + "-static"]
        b = base["pages"]["/static/style.css"]  # type: ignore[index]
        print(f"{name}:")
        print(_row("static file (baseline)", base, "/static/style.css", b["p95_ms"]))
        res = results[name]
        for p in res["pages"]:  # type: ignore[attr-defined]
            print(_row(p.split("/")[1] + " page", res, p, b["p95_ms"]))
    fe = statistics.median(s["first_event_s"] for s in sse)
    fd = statistics.median(s["first_draws_s"] for s in sse)
    print(
        f"100,000-draw sweep, median of {len(sse)}: first progress event {fe * 1000:.0f} ms "
        f"after submitting; first event with draws done {fd * 1000:.0f} ms"
    )
    print("raw:", json.dumps({"results": results, "sweeps": sse}))


if __name__ == "__main__":
    main()
