"""The command line as a user meets it: real subprocesses, exit codes, no tracebacks."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ASSETS, REPO

BAD = ASSETS / "case" / "bad"


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "detente", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_validate_ok_on_flagship(istanbul_case_path: Path) -> None:
    r = run("validate", str(istanbul_case_path))
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout


def test_validate_bad_file_exits_2_without_traceback() -> None:
    r = run("validate", str(BAD / "01-unknown-actor.yaml"))
    assert r.returncode == 2
    assert "01-unknown-actor.yaml:17:12: error[unknown-actor]" in r.stderr
    assert "did you mean 'A'?" in r.stderr or "expected: one of: A, B" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_validate_json_lists_every_diagnostic() -> None:
    r = run("validate", str(BAD / "01-unknown-actor.yaml"), "--format", "json")
    assert r.returncode == 2
    data = json.loads(r.stdout)
    assert data["valid"] is False and data["errors"] == 1
    assert data["diagnostics"][0]["line"] == 17


def test_forecast_of_a_broken_file_is_a_clear_error_and_verbose_shows_the_trace() -> None:
    r = run("forecast", str(BAD / "02-salience-above-one.yaml"))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "02-salience-above-one.yaml:8:" in r.stderr
    r = run("--verbose", "forecast", str(BAD / "02-salience-above-one.yaml"))
    assert r.returncode == 2
    assert "Traceback" in r.stderr


def test_missing_file() -> None:
    r = run("forecast", "no/such/case.yaml")
    assert r.returncode == 2
    assert "no such file" in r.stderr
    assert "Traceback" not in r.stderr


def test_unknown_model_names_the_available_ones(istanbul_case_path: Path) -> None:
    r = run("forecast", str(istanbul_case_path), "--model", "oracle")
    assert r.returncode == 2
    assert "unknown model 'oracle'" in r.stderr and "compromise" in r.stderr


def test_forecast_json_has_outcome_per_issue_and_model(istanbul_case_path: Path) -> None:
    r = run("forecast", str(istanbul_case_path), "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    for issue in ("sanctuaries", "guarantee"):
        for model in ("compromise", "median", "nash"):
            entry = data["issues"][issue]["models"][model]
            assert isinstance(entry["outcome"], float)
            assert 0 <= entry["outcome"] <= 100
            assert entry["nearest_anchor"]["label"]


def test_forecast_csv_and_table(istanbul_case_path: Path) -> None:
    r = run("forecast", str(istanbul_case_path), "--format", "csv", "-m", "compromise")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["issue"] for row in rows] == ["sanctuaries", "guarantee"]
    r = run("forecast", str(istanbul_case_path), "-m", "median")
    assert "sanctuaries" in r.stdout and "median" in r.stdout


def test_forecast_param_reaches_the_model(istanbul_case_path: Path) -> None:
    r = run(
        "forecast",
        str(istanbul_case_path),
        "-m",
        "nash",
        "-p",
        "nash.utility=linear",
        "--format",
        "json",
    )
    assert json.loads(r.stdout)["models"]["nash"]["params_used"] == {"utility": "linear"}
    r = run("forecast", str(istanbul_case_path), "-m", "nash", "-p", "nash.utility=cubic")
    assert r.returncode == 2 and "quadratic, linear" in r.stderr


def test_forecast_reads_a_table_directly(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(
        "actor,issue,position,salience,capability\nA,x,20,0.5,1\nB,x,80,1,2\n", encoding="utf-8"
    )
    r = run("forecast", str(tmp_path / "t.csv"), "-m", "compromise", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["issues"]["x"]["models"]["compromise"]["outcome"] == pytest.approx(
        68.0
    )


def test_bad_table_names_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(
        "actor,issue,position,salience,capability\nA,x,20,0.5,1\nB,x,eighty,1,2\n", encoding="utf-8"
    )
    r = run("forecast", str(tmp_path / "t.csv"))
    assert r.returncode == 2
    assert "t.csv:3:3: error[not-a-number]" in r.stderr


def test_schema_and_models_and_version() -> None:
    assert json.loads(run("schema").stdout)["title"] == "detente case file"
    assert "compromise" in json.loads(run("models", "--format", "json").stdout)
    assert run("--version").stdout.startswith("detente, version")


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).with_name("detente")
    r = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "forecast" in r.stdout


def test_convert_writes_atomically(istanbul_case_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "case.json"
    out.parent.mkdir()
    r = run("convert", str(istanbul_case_path), "--to", "json", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["case"]["id"] == "istanbul-2025-round3"
    assert [p.name for p in out.parent.iterdir()] == ["case.json"]  # no temporary file left
