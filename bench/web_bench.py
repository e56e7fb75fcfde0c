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

The machine is shared and noisy: compare the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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


def start(tmp: Path) -> tuple[subprocess.Popen[str], str]:
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


async def load(
    url: str, token: str, paths: list[str], clients: int, total: int
) -> dict[str, object]:
    """``clients`` concurrent readers cycling through ``paths`` until ``total`` requests."""
    lat: dict[str, list[float]] = {p: [] for p in paths}
    errors = 0
    counter = iter(range(total))

    async def client(k: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(
            base_url=url,
            headers={"Authorization": f"Bearer {token}", "Accept": "text/html"},
            timeout=60,
        ) as c:
            mine = k  # each client starts on a different page, then alternates
            for _ in counter:
                path = paths[mine % len(paths)]
                mine += 1
                t0 = time.perf_counter()
                r = await c.get(path)
                dt = time.perf_counter() - t0
                if r.status_code != 200:
                    errors += 1
                lat[path].append(dt)

    t0 = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(clients)))
    wall = time.perf_counter() - t0
    return {
        "requests": total,
        "seconds": wall,
        "throughput": total / wall,
        "errors": errors,
        "pages": {
            p: {"n": len(v), "p50_ms": 1000 * pct(v, 0.5), "p95_ms": 1000 * pct(v, 0.95)}
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--sweeps", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.clients, args.requests, args.sweeps = 10, 200, 1
    with tempfile.TemporaryDirectory(prefix="detente-web-bench-") as tmp:
        proc, url = start(Path(tmp))
        try:
            token, case, rid = setup(url)
            pages = [f"/cases/{case}", f"/runs/{rid}"]
            for p in pages:  # the first read of a version computes its view
                httpx.get(url + p, headers={"Authorization": f"Bearer {token}"}, timeout=60)
            base = asyncio.run(load(url, token, ["/static/style.css"], args.clients, args.requests))
            read = asyncio.run(load(url, token, pages, args.clients, args.requests))
            sse = [first_progress(url, token, case) for _ in range(args.sweeps)]
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(
        f"# web bench  {time.strftime('%Y-%m-%d %H:%M')}  python {platform.python_version()}"
        f"  load average {os.getloadavg()[0]:.1f}  cpus {os.cpu_count()}"
    )
    print(f"{args.clients} clients, {args.requests} requests per phase")
    b = base["pages"]["/static/style.css"]  # type: ignore[index]
    print(
        f"baseline static file: {base['throughput']:.0f} req/s, p50 {b['p50_ms']:.1f} ms, "
        f"p95 {b['p95_ms']:.1f} ms, errors {base['errors']}"
    )
    print(f"case + run pages:     {read['throughput']:.0f} req/s, errors {read['errors']}")
    for p, v in read["pages"].items():  # type: ignore[union-attr]
        print(
            f"  {p}: n {v['n']}, p50 {v['p50_ms']:.1f} ms, p95 {v['p95_ms']:.1f} ms "
            f"(p95 {v['p95_ms'] / b['p95_ms']:.1f}x the static file's)"
        )
    fe = statistics.median(s["first_event_s"] for s in sse)
    fd = statistics.median(s["first_draws_s"] for s in sse)
    print(
        f"100,000-draw sweep, median of {len(sse)}: first progress event {fe * 1000:.0f} ms "
        f"after submitting; first event with draws done {fd * 1000:.0f} ms"
    )
    print("raw:", json.dumps({"baseline": base, "pages": read, "sweeps": sse}))


if __name__ == "__main__":
    main()
