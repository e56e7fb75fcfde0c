"""Ctrl-C (SIGINT) stops long runs cleanly and says what finished."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO


def _interrupt(args: list[str], after: float) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "detente", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.slow
def test_sobol_interrupted_reports_and_exits_130() -> None:
    r = _interrupt(
        [
            "sensitivity",
            "examples/istanbul-2025/case.yaml",
            "--method",
            "sobol",
            "--samples",
            "8192",
            "-m",
            "smp",
        ],
        after=6.0,
    )
    assert r.returncode == 130, r.stderr[-2000:]
    assert "interrupted: the Sobol design stopped after" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.slow
def test_sweep_interrupted_reports_draws_done() -> None:
    r = _interrupt(
        [
            "sweep",
            "examples/istanbul-2025/case.yaml",
            "--draws",
            "2000000",
            "-m",
            "smp",
            "--workers",
            "1",
            "--no-progress",
        ],
        after=6.0,
    )
    assert r.returncode == 130, r.stderr[-2000:]
    assert "interrupted:" in r.stdout + r.stderr and "draws finished" in r.stdout + r.stderr
    assert "Traceback" not in r.stderr
