"""The commands shown in docs/formats/ktab.md, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ASSETS, REPO

KTAB = ASSETS / "ktab"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "detente", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_validate_ktab_csv() -> None:
    r = run("validate", str(KTAB / "SOE-Policy.csv"))
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout


def test_forecast_ktab_xml_with_smp_trajectory() -> None:
    r = run(
        "forecast",
        str(KTAB / "smpExample.xml"),
        "--model",
        "smp",
        "--trajectory",
        "--format",
        "json",
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    smp = data["issues"]["SecondDim"]["models"]["smp"]
    assert 0 <= smp["outcome"] <= 100
    assert len(smp["rounds"]) >= 3
    assert set(smp["rounds"][0]["positions"]) == {"Alice", "Bob", "Carol", "David", "Ellie"}


def test_malformed_ktab_csv_exits_2_with_locations(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("S,D,2,1,\nActor,Description,Power,P,S,\nA,a,x,50,50,\nB,b,1,50,\n")
    r = run("validate", str(bad))
    assert r.returncode == 2
    assert "bad.csv:3:5: error[not-a-number]" in r.stderr
    assert "bad.csv:4:" in r.stderr and "error[ktab-columns]" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
