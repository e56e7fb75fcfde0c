"""``detente serve``: first start creates the admin from a file, prints the URL, serves."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from detente.cli import cli
from tests.web.conftest import free_port


def test_serve_creates_admin_prints_url_and_serves(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("a long admin password\n", encoding="utf-8")
    port = free_port()
    ws = tmp_path / "ws"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "detente",
            "serve",
            str(ws),
            "--port",
            str(port),
            "--admin-password-file",
            str(pw),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stderr.readline() if proc.stderr else ""
            lines.append(line)
            if "http://" in line:
                break
        assert f"http://127.0.0.1:{port}/" in "".join(lines), lines
        assert "created admin account 'admin'" in "".join(lines)
        for _ in range(200):
            try:
                r = httpx.post(
                    f"http://127.0.0.1:{port}/api/v1/login",
                    json={"username": "admin", "password": "a long admin password"},
                )
                break
            except httpx.ConnectError:
                time.sleep(0.05)
        assert r.status_code == 200 and r.json()["admin"] is True
        assert (ws / "workspace.sqlite").exists() and (ws / "ledger.sqlite").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_without_a_terminal_or_password_file_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", str(tmp_path / "ws")])
    assert result.exit_code == 2
    assert "--admin-password-file" in result.output
    assert "Traceback" not in result.output
