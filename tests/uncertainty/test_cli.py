"""The uncertainty commands as a user meets them: real subprocesses, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ASSETS, REPO

UNC = ASSETS / "uncertainty"
CASE = str(REPO / "examples" / "istanbul-2025" / "case.yaml")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "detente", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sweep_json_same_for_engines(tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    a = run(
        "sweep",
        CASE,
        "-n",
        "6000",
        "--seed",
        "9",
        "-m",
        "compromise",
        "--workers",
        "1",
        "--format",
        "json",
        "--draws-out",
        str(out),
    )
    b = run(
        "sweep",
        CASE,
        "-n",
        "6k",
        "--seed",
        "9",
        "-m",
        "compromise",
        "--engine",
        "dask-local",
        "--workers",
        "2",
        "--format",
        "json",
    )
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    da, db = json.loads(a.stdout), json.loads(b.stdout)
    assert da["issues"] == db["issues"] and da["seed"] == 9
    assert len(out.read_text().splitlines()) == 6001


def test_sweep_table_and_bad_draws() -> None:
    r = run("sweep", CASE, "-n", "2000", "-m", "compromise", "--workers", "1")
    assert r.returncode == 0 and "95%" in r.stdout
    r = run("sweep", CASE, "--draws", "lots")
    assert r.returncode == 2 and "bad-draws" in r.stderr and "Traceback" not in r.stderr


def test_sensitivity_rangeless_case_is_refused() -> None:
    r = run("sensitivity", str(UNC / "no-ranges.yaml"), "-m", "compromise")
    assert r.returncode == 2 and "no-ranges" in r.stderr and "Traceback" not in r.stderr


def test_sensitivity_json() -> None:
    r = run(
        "sensitivity",
        str(UNC / "tornado-three.yaml"),
        "-m",
        "compromise",
        "--samples",
        "64",
        "--format",
        "json",
    )
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    bars = d["tornado"]["issues"]["x"]["models"]["compromise"]["bars"]
    assert bars[0]["input"] == "position:B:x"
    assert set(d["sobol"]["issues"]["x"]["models"]["compromise"]["ST"]) == {
        "position:A:x",
        "position:B:x",
        "position:C:x",
    }


def test_whatif_unknown_actor_points_at_the_line() -> None:
    r = run("whatif", CASE, str(UNC / "whatif-unknown-actor.yaml"))
    assert r.returncode == 2
    assert "whatif-unknown-actor.yaml:5:23: error[unknown-actor]" in r.stderr
    assert "Traceback" not in r.stderr


def test_whatif_example_runs() -> None:
    wf = REPO / "examples" / "istanbul-2025" / "whatif-mediators-back-written-guarantee.yaml"
    r = run("whatif", CASE, str(wf), "-m", "compromise", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["issues"]["guarantee"]["models"]["compromise"]["change"] > 0


def test_interventions_planted() -> None:
    r = run(
        "interventions",
        str(UNC / "planted.yaml"),
        "--issue",
        "x",
        "--by",
        "B",
        "-m",
        "compromise",
        "--target",
        "40",
        "--tolerance",
        "0.5",
        "--format",
        "json",
    )
    assert r.returncode == 0, r.stderr
    first = json.loads(r.stdout)["interventions"][0]["changes"][0]
    assert first["input"] == "position" and abs(first["to"] - 59.0) < 1e-3


def test_sweep_progress_bar_and_bad_workers() -> None:
    r = run("sweep", CASE, "-n", "12000", "-m", "compromise", "--workers", "1", "--progress")
    assert r.returncode == 0 and "/s" in r.stderr and "draws 12,000/12,000" in r.stderr
    r = run("sweep", CASE, "-n", "100", "--workers", "0")
    assert r.returncode == 2 and "'--workers': 0 is not in the range x>=1" in r.stderr


def test_every_command_in_the_docs_runs(tmp_path: Path) -> None:
    import re
    import shlex

    text = (REPO / "docs" / "uncertainty.md").read_text()
    blocks = re.findall(r"```\n(.*?)```", text, flags=re.S)
    commands = [ln for b in blocks for ln in b.splitlines() if ln.startswith("detente ")]
    assert len(commands) >= 7
    for line in commands:
        args = [str(REPO / a) if a.startswith("examples/") else a for a in shlex.split(line)]
        r = subprocess.run(
            [sys.executable, "-m", "detente", *args[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, (line, r.stderr)
    assert (tmp_path / "draws.parquet").stat().st_size > 0
