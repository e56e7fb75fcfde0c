"""`detente brief` and `detente demo`, run end to end through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import detente
from detente.cli import cli
from detente.report.demo import (
    DEMO_MODELS,
    ROBUSTNESS_DRAWS,
    SWEEP_DRAWS,
    SWEEP_SEED,
    TORNADO_MODEL,
    _module_available,
    intervention_actors,
    run_demo,
)
from detente.uncertainty import run_sweep, search_interventions, tornado


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_brief_command_writes_a_brief(small_case_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "brief.html"
    result = invoke("brief", str(small_case_path), "--out", str(out), "--model", "median")
    assert result.exit_code == 0, result.output
    assert str(out.resolve()) in result.output
    html = out.read_text(encoding="utf-8")
    assert "Harbour access talks (invented test case)" in html
    assert '"median"' in html and '"compromise"' not in html


def test_brief_command_adds_a_sweep_on_request(small_case_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "brief.html"
    assert invoke("brief", str(small_case_path), "--out", str(out)).exit_code == 0
    assert 'id="sweep"' not in out.read_text(encoding="utf-8")  # default: no sweep
    result = invoke(
        "brief",
        str(small_case_path),
        "--out",
        str(out),
        "--sweep-draws",
        "300",
        "--sweep-seed",
        "5",
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert 'id="sweep"' in html and "300 draws" in html
    case = detente.load_case(small_case_path)
    expected = run_sweep(case, 300, 5, workers=1).to_dict()
    twin = json.loads(html.split('id="detente-data">', 1)[1].split("</script>", 1)[0])
    for key in ("seconds", "draws_per_second"):
        twin["sweep"].pop(key), expected.pop(key)
    assert twin["sweep"] == json.loads(json.dumps(expected))
    bad = CliRunner().invoke(
        cli, ["brief", str(small_case_path), "--out", str(out), "--sweep-draws", "-1"]
    )
    assert bad.exit_code == 2


def test_brief_command_reports_a_bad_case(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "case: {id: x, title: X}\nactors: []\nissues: []\npositions: []\n"
        "sources: [{id: s, citation: c, kind: rumour}]\n",
        encoding="utf-8",
    )
    out = tmp_path / "brief.html"
    result = CliRunner().invoke(cli, ["brief", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "bad.yaml:5:38" in result.output and "sources[0].kind" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_brief_command_rejects_an_unknown_model(small_case_path: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["brief", str(small_case_path), "--out", str(tmp_path / "b.html"), "-m", "nope"]
    )
    assert result.exit_code == 2
    assert "nope" in result.output


def _timeless(data: dict[str, Any]) -> dict[str, Any]:
    """A sweep's JSON without its timings (the only part that differs between runs)."""
    data = json.loads(json.dumps(data))
    data.pop("seconds"), data.pop("draws_per_second")
    return data


def _check_uncertainty_output(out: Path, output: str, case: Any) -> None:
    """sweep.json, sensitivity.json and interventions.json are the library's results."""
    out = out.resolve()
    for role in ("sweep", "sensitivity", "interventions"):
        assert f"{role:<13} {out / (role + '.json')}" in output, output
        assert f"{role}: included" in output, output
    sweep = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    expected = run_sweep(case, SWEEP_DRAWS, SWEEP_SEED, workers=1).to_dict()
    assert _timeless(sweep) == _timeless(expected)
    assert sweep["draws"] == 2000 and sweep["seed"] == 2026 and sweep["engine"] == "local"
    assert "bdm" in sweep["models"] and sweep["verdict_basis"] == "bdm"
    sens = json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))
    assert sens == json.loads(json.dumps(tornado(case, [TORNADO_MODEL]).to_dict()))
    ivs = json.loads((out / "interventions.json").read_text(encoding="utf-8"))
    by = intervention_actors(case)
    expected_ivs = [
        search_interventions(
            case, i.id, by, robustness_draws=ROBUSTNESS_DRAWS, seed=SWEEP_SEED
        ).to_dict()
        for i in case.issues
    ]
    assert ivs == json.loads(json.dumps(expected_ivs))
    html = (out / "brief.html").read_text(encoding="utf-8")
    for section in ("sweep", "tornado", "interventions"):
        assert f'<section id="{section}">' in html
    for issue_id, d in sweep["issues"].items():
        share = f"{d['p_verdict']['deadlock'] * 100:.0f}%"
        assert f"Deadlock in {share} of 2,000 draws" in html, issue_id
        assert f"{issue_id} {share}" in output  # the Parts summary


def _check_demo_output(out: Path, output: str, case: Any) -> None:
    forecast_file, brief_file = out.resolve() / "forecast.json", out.resolve() / "brief.html"
    assert f"forecast      {forecast_file}" in output
    assert f"brief         {brief_file}" in output
    assert brief_file.as_uri() in output
    result = detente.forecast(case, list(DEMO_MODELS), trajectory=True)
    expected = json.loads(json.dumps(result.to_dict()))
    assert json.loads(forecast_file.read_text(encoding="utf-8")) == expected
    html = brief_file.read_text(encoding="utf-8")
    assert case.case.title.replace("'", "&#39;") in html
    # The demo says which optional parts it included, and includes exactly those.
    for part, module in (("diagnosis", "detente.diagnose"), ("guarantee", "detente.ledger.demo")):
        if _module_available(module):
            assert f"{part}: included" in output, output
        else:
            assert f"{part}: not installed ({module} is not available yet)" in output
    assert ('id="diagnosis"' in html) == _module_available("detente.diagnose")
    assert ('id="guarantee"' in html) == _module_available("detente.ledger.demo")
    assert (out / "diagnosis.json").exists() == _module_available("detente.diagnose")
    if _module_available("detente.diagnose"):
        _check_uncertainty_output(out, output, case)


def test_demo_end_to_end_on_a_small_case(
    small_case_path: Path, small_case: Any, tmp_path: Path
) -> None:
    out = tmp_path / "demo"
    result = invoke("demo", "--case", str(small_case_path), "--out", str(out))
    assert result.exit_code == 0, result.output
    _check_demo_output(out, result.output, small_case)
    assert "compromise   65.33 ≈ Daytime access with inspection" in result.output
    assert "nash         42.98 ≈ Verbal assurance" in result.output
    assert len(result.output.splitlines()) <= 40  # one screen
    assert "interventions: included (by med: access" in result.output


def test_demo_end_to_end_on_the_flagship_case(
    istanbul_case_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default case is found beside the checkout
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    out = tmp_path / "out" / "istanbul-2025"
    _check_demo_output(out, result.output, detente.load_case(istanbul_case_path))
    assert f"case {istanbul_case_path.resolve()}: valid" in result.output
    # The mediator's question: what could Türkiye and Qatar change?
    case = detente.load_case(istanbul_case_path)
    assert intervention_actors(case) == ["TUR", "QAT"]
    assert "interventions: included (by TUR, QAT:" in result.output
    html = (out / "brief.html").read_text(encoding="utf-8")
    assert "What could Türkiye and Qatar change to take this issue out of deadlock?" in html


def test_demo_refuses_a_missing_case(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["demo", "--case", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_run_demo_returns_what_it_wrote(small_case_path: Path, tmp_path: Path) -> None:
    res = run_demo(small_case_path, tmp_path / "o", ["median"])
    assert res.ok
    assert res.files["brief"].is_file() and res.files["forecast"].is_file()
    assert res.forecast.models == ["median"]
    assert [p.name for p in res.parts] == [
        "diagnosis",
        "sweep",
        "sensitivity",
        "interventions",
        "guarantee",
    ]
    sweep = res.parts[1]
    assert sweep.included and res.sweep is not None and res.sweep["models"] == ["median"]
    assert res.files["sweep"].is_file()


def test_module_available() -> None:
    assert _module_available("detente.forecast")
    assert not _module_available("detente.no_such_module")
    assert not _module_available("detente.no_such_package.demo")
