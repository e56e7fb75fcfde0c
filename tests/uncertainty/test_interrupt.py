"""Ctrl-C (SIGINT) stops long runs cleanly and says what finished."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

import pytest

from tests.conftest import REPO


def _interrupt(args: list[str], started: str) -> subprocess.CompletedProcess[str]:
    """Run ``detente ARGS``, send SIGINT once stderr shows ``started``, collect the result.

    Waiting for the run's own progress line (not a fixed sleep) makes sure the signal
    arrives while the work is under way, however slow the machine is.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "detente", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None and proc.stdout is not None
    lines: list[str] = []
    seen = threading.Event()

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if started in line:
                seen.set()
        seen.set()  # the stream ended: let the test see why

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    assert seen.wait(timeout=300), "the run never reported progress"
    proc.send_signal(signal.SIGINT)
    out = proc.stdout.read()
    proc.wait(timeout=120)
    reader.join(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "".join(lines))


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
            "--progress",
        ],
        started="Sobol runs",
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
            "--progress",
        ],
        started="draws ",
    )
    assert r.returncode == 130, r.stderr[-2000:]
    assert "interrupted:" in r.stdout + r.stderr and "draws finished" in r.stdout + r.stderr
    assert "Traceback" not in r.stderr
