"""`detente brief` and `detente demo`, run end to end through the real CLI."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import detente
from detente.cli import cli
from detente.ledger.commitment import (
    Commitment,
    Indicator,
    Obligation,
    commitment_entry,
    countersign,
    sign_commitment,
)
from detente.ledger.keyreg import genesis_entry, registration_entry
from detente.ledger.log import Ledger
from detente.ledger.note import NoteSigner
from detente.pipeline.analyses import DEFAULT_BRIEF_MODELS, SENSITIVITY_MODEL, intervention_actors
from detente.pipeline.demo import FLAGSHIP_CASE_ID, run_demo
from detente.uncertainty import run_sweep, search_interventions, tornado
from detente.uncertainty.defaults import DEFAULT_DRAWS, DEFAULT_ROBUSTNESS_DRAWS, DEFAULT_SEED


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def twin(html: str) -> dict[str, Any]:
    """The brief's embedded data."""
    return json.loads(html.split('id="detente-data">', 1)[1].split("</script>", 1)[0])


def section_ids(html: str) -> list[str]:
    return re.findall(r'<section (?:class="[^"]*" )?id="([^"]+)"', html)


def test_brief_is_the_full_brief_by_default(small_case_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "brief.html"
    out.parent.mkdir()
    result = invoke("brief", str(small_case_path), "--out", str(out), "--draws", "500")
    assert result.exit_code == 0, result.output
    assert str(out.resolve()) in result.output
    html = out.read_text(encoding="utf-8")
    ids = section_ids(html)
    for part in ("bottom-line", "diagnosis", "sweep", "interventions", "tornado", "trajectories"):
        assert part in ids, part
    assert ids[0] == "bottom-line"  # the bottom line first
    data = twin(html)
    assert list(data["forecast"]["models"]) == list(DEFAULT_BRIEF_MODELS)
    assert data["sweep"]["draws"] == 500 and data["sweep"]["seed"] == DEFAULT_SEED
    # No guarantee without a ledger: the demo's is never pasted into another case.
    assert "guarantee" not in ids and data["guarantees"] is None


@pytest.mark.parametrize(
    ("flag", "section", "part"),
    [
        ("--no-diagnosis", "diagnosis", "diagnosis"),
        ("--no-sweep", "sweep", "sweep"),
        ("--no-sensitivity", "tornado", "sensitivity"),
        ("--no-interventions", "interventions", "interventions"),
    ],
)
def test_each_part_can_be_left_out(
    small_case_path: Path, tmp_path: Path, flag: str, section: str, part: str
) -> None:
    out = tmp_path / "brief.html"
    result = invoke("brief", str(small_case_path), "-o", str(out), "-n", "200", flag)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert section not in section_ids(html)
    data = twin(html)
    assert data["left_out"][part] == f"left out with {flag}"
    provenance = html.split('<section id="data">', 1)[1]
    assert f"Left out: {part}</th><td>left out with {flag}" in provenance
    if part != "sensitivity":  # the bottom line rests on the other three: it says so
        bottom = html.split('id="bottom-line"', 1)[1].split("</section>")[0]
        assert f"left out with {flag}" in bottom


def test_brief_runs_whatif_files(small_case_path: Path, tmp_path: Path) -> None:
    whatif = tmp_path / "mediator-moves.yaml"
    whatif.write_text(
        "name: mediator moves\nchanges:\n  - move: {actor: med, issue: access, to: 80}\n",
        encoding="utf-8",
    )
    out = tmp_path / "brief.html"
    args = ["brief", str(small_case_path), "-o", str(out), "--no-sweep", "--no-interventions"]
    result = invoke(*args, "--whatif", str(whatif))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "whatif" in section_ids(html)
    data = twin(html)
    (w,) = data["whatifs"]
    assert w["whatif"]["name"] == "mediator moves"
    after = w["issues"]["access"]["models"]["median"]["after"]
    assert after is not None and f"{after:.4g}" in html
    assert str(tmp_path) not in html  # the file's name only, never the path


def _ledger_with(tmp_path: Path, case_ids: list[str]) -> Path:
    """A ledger holding one signed commitment per case id, and a signed checkpoint."""
    db = tmp_path / "ledger.sqlite"
    log_key = NoteSigner("example.org/test-log", Ed25519PrivateKey.generate(), 0x01)
    south = NoteSigner("south", Ed25519PrivateKey.generate(), 0x01)
    med = NoteSigner("med", Ed25519PrivateKey.generate(), 0x01)
    # The mediator's key is the log's genesis; it witnesses the party's key registration.
    led = Ledger.create(
        db, "example.org/test-log", [log_key.vkey], genesis=genesis_entry("med", med)
    )
    try:
        led.append(registration_entry("south", south, "med", med))
        for n, cid in enumerate(case_ids):
            c = Commitment(
                id=f"open-harbour-{n}",
                label=f"Harbour opening for {cid}",
                case=cid,
                committing_party="south",
                beneficiaries=["north"],
                text=f"Southland opens the harbour by day ({cid}).",
                obligations=[
                    Obligation(
                        id="open",
                        text="Open by day.",
                        indicator=Indicator(
                            metric="days_open", comparison=">=", threshold=25, period="P30D"
                        ),
                    )
                ],
                start=dt.date(2025, 3, 1),
                guarantors=["med"],
            )
            signed = countersign(sign_commitment(c, "south", south), "med", med)
            led.append(commitment_entry(signed))
        led.checkpoint([log_key])
    finally:
        led.close()
    return db


def _downloads(html: str) -> dict[str, str]:
    """The files the page offers for download (name -> text), decoded from data: URLs."""
    out = {}
    for name, b64 in re.findall(
        r'download="([^"]+)" href="data:[^;]+;charset=utf-8;base64,([^"]+)"', html
    ):
        out[name] = base64.b64decode(b64).decode("utf-8")
    return out


def test_brief_shows_the_case_guarantees_from_a_ledger_verifiable_from_the_file(
    small_case_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _ledger_with(tmp_path, ["another-case", "harbour-talks"])
    out = tmp_path / "brief.html"
    args = ["brief", str(small_case_path), "-o", str(out), "--no-sweep", "--no-interventions"]
    result = invoke(*args, "--ledger", str(db))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    data = twin(html)
    (g,) = data["guarantees"]  # only this case's guarantee, not another case's
    assert g["label"] == "Harbour opening for harbour-talks"
    assert g["verification"]["ok"] is True
    assert "another-case" not in html.split('id="guarantee"', 1)[1].split("</section>")[0]
    assert str(tmp_path) not in html  # no absolute path: the receipt is in the page
    # Verify from the page alone: save its two downloads in an empty folder, run the command.
    files = _downloads(html)
    assert set(files) == {g["receipt_name"], g["policy_name"]}
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    for name, text in files.items():
        (fresh / name).write_text(text, encoding="utf-8")
    command = f"detente verify {g['receipt_name']} --policy {g['policy_name']}"
    assert command in html
    monkeypatch.chdir(fresh)
    verified = CliRunner().invoke(cli, command.split()[1:])
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("VALID")
    # A receipt tampered with in the page does not verify.
    (fresh / g["receipt_name"]).write_text(
        files[g["receipt_name"]].replace("index 3", "index 2"), encoding="utf-8"
    )
    assert CliRunner().invoke(cli, command.split()[1:]).exit_code == 1


def test_brief_refuses_a_file_that_is_not_a_ledger(small_case_path: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-ledger.sqlite"
    bogus.write_text("hello", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["brief", str(small_case_path), "-o", str(tmp_path / "b.html"), "--ledger", str(bogus)]
    )
    assert result.exit_code == 2, result.output
    assert "not a ledger" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "b.html").exists()


def test_brief_has_generation_time_and_case_sha256(small_case_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "brief.html"
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    assert invoke("brief", str(small_case_path), "-o", str(out), "--no-sweep").exit_code == 0
    html = out.read_text(encoding="utf-8")
    digest = hashlib.sha256(small_case_path.read_bytes()).hexdigest()
    assert f'<code class="hash" id="case-sha256">{digest}</code>' in html
    data = twin(html)
    assert data["case_sha256"] == digest and data["case_file"] == small_case_path.name
    made = dt.datetime.fromisoformat(data["generated_at"])
    assert before <= made <= dt.datetime.now(dt.UTC)
    assert made.strftime("%Y-%m-%d %H:%M:%S UTC") in html


def test_cli_and_brief_give_the_same_figure_for_the_same_question(
    small_case_path: Path, tmp_path: Path
) -> None:
    """One DEFAULT_SEED and the same draws: `sweep`, `interventions` and `brief` agree."""
    out = tmp_path / "brief.html"
    assert invoke("brief", str(small_case_path), "-o", str(out), "--by", "med").exit_code == 0
    data = twin(out.read_text(encoding="utf-8"))
    sweep = json.loads(invoke("sweep", str(small_case_path), "--format", "json").output)
    assert sweep["draws"] == DEFAULT_DRAWS and sweep["seed"] == DEFAULT_SEED
    for issue_id, d in sweep["issues"].items():
        assert data["sweep"]["issues"][issue_id]["p_verdict"] == d["p_verdict"]
    iv = json.loads(
        invoke(
            "interventions",
            str(small_case_path),
            "--issue",
            "access",
            "--by",
            "med",
            "--format",
            "json",
        ).output
    )
    brief_iv = next(r for r in data["interventions"] if r["issue"] == "access")
    assert iv["robustness"]["draws"] == DEFAULT_ROBUSTNESS_DRAWS
    assert brief_iv["robustness"]["p_goal_before"] == iv["robustness"]["p_goal_before"]
    assert [x["evidence"] for x in brief_iv["interventions"]] == [
        x["evidence"] for x in iv["interventions"]
    ]


def test_brief_command_reports_a_bad_case(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("detente: 1\ncase: {id: x}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["brief", str(bad), "--out", str(tmp_path / "b.html")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not (tmp_path / "b.html").exists()


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


def _check_demo_output(out: Path, output: str, case: Any) -> None:
    out = out.resolve()
    for role in ("forecast", "diagnosis", "sweep", "sensitivity", "interventions", "brief"):
        name = "brief.html" if role == "brief" else f"{role}.json"
        assert f"{role:<13} {out / name}" in output, output
    assert (out / "brief.html").as_uri() in output
    result = detente.forecast(case, list(DEFAULT_BRIEF_MODELS), trajectory=True)
    forecast = json.loads((out / "forecast.json").read_text(encoding="utf-8"))
    assert forecast == json.loads(json.dumps(result.to_dict()))
    sweep = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    expected = run_sweep(case, DEFAULT_DRAWS, DEFAULT_SEED, workers=1).to_dict()
    assert _timeless(sweep) == _timeless(dict(expected))
    sens = json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))
    assert sens == json.loads(json.dumps(tornado(case, [SENSITIVITY_MODEL]).to_dict()))
    ivs = json.loads((out / "interventions.json").read_text(encoding="utf-8"))
    by = intervention_actors(case)
    expected_ivs = [
        search_interventions(
            case, i.id, by, robustness_draws=DEFAULT_ROBUSTNESS_DRAWS, seed=DEFAULT_SEED
        ).to_dict()
        for i in case.issues
    ]
    assert ivs == json.loads(json.dumps(expected_ivs))
    html = (out / "brief.html").read_text(encoding="utf-8")
    assert case.case.title.replace("'", "&#39;") in html
    for issue_id, d in sweep["issues"].items():
        share = f"{d['p_verdict']['deadlock'] * 100:.0f}%"
        assert f"Deadlock in {share} of {DEFAULT_DRAWS:,} draws" in html, issue_id
        assert f"{issue_id} {share}" in output  # the Parts summary


def test_demo_end_to_end_on_a_small_case(
    small_case_path: Path, small_case: Any, tmp_path: Path
) -> None:
    out = tmp_path / "demo"
    result = invoke("demo", "--case", str(small_case_path), "--out", str(out))
    assert result.exit_code == 0, result.output
    _check_demo_output(out, result.output, small_case)
    assert "compromise   65.33 ≈ Daytime access with inspection" in result.output
    assert len(result.output.splitlines()) <= 40  # one screen
    assert "interventions: included (by med: access" in result.output
    # Not the flagship: no guarantee of the flagship's pasted in.
    assert "guarantees: skipped (the demo's illustrative guarantee belongs to" in result.output
    html = (out / "brief.html").read_text(encoding="utf-8")
    assert "guarantee" not in section_ids(html) and "ILLUSTRATIVE" not in html
    assert not (out / "guarantee.tlog-proof").exists()


def test_demo_end_to_end_on_the_flagship_case(
    istanbul_case_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default case is found beside the checkout
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    out = tmp_path / "out" / "istanbul-2025"
    case = detente.load_case(istanbul_case_path)
    assert case.case.id == FLAGSHIP_CASE_ID
    _check_demo_output(out, result.output, case)
    assert f"case {istanbul_case_path.resolve()}: valid" in result.output
    assert intervention_actors(case) == ["TUR", "QAT"]
    assert "interventions: included (by TUR, QAT:" in result.output
    assert "guarantees: included (illustrative example; verified offline)" in result.output
    html = (out / "brief.html").read_text(encoding="utf-8")
    assert "What could Türkiye and Qatar change to take this issue out of deadlock?" in html
    assert "guarantee" in section_ids(html)
    assert str(tmp_path) not in html  # the receipt is embedded, not a path
    files = _downloads(html)
    receipt = (out / "guarantee.tlog-proof").read_text(encoding="utf-8")
    assert files["guarantee.tlog-proof"] == receipt


def test_demo_refuses_a_missing_case(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["demo", "--case", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_run_demo_returns_what_it_wrote(small_case_path: Path, tmp_path: Path) -> None:
    res = run_demo(small_case_path, tmp_path / "o", ["median", "bdm"])
    assert res.files["brief"].is_file() and res.files["forecast"].is_file()
    assert res.analyses.forecast.models == ["median", "bdm"]
    assert [p.name for p in res.parts] == [
        "diagnosis",
        "sweep",
        "sensitivity",
        "interventions",
        "whatif",
        "guarantees",
    ]
    sweep = res.parts[1]
    assert sweep.included and res.analyses.sweep is not None
    assert res.analyses.sweep.models == ["median", "bdm"]
    assert res.files["sweep"].is_file()


def test_brief_of_a_ktab_file_without_ranges_or_mediators(assets: Path, tmp_path: Path) -> None:
    """Any case: parts that do not apply are skipped, with why, and the story says so."""
    out = tmp_path / "brief.html"
    result = invoke("brief", str(assets / "ktab" / "dummyData_3Dim.csv"), "-o", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    data = twin(html)
    assert data["sweep"] is None and data["tornado"] is None and data["interventions"] is None
    assert data["left_out"]["sweep"] == "the case states no ranges, so there is nothing to sample"
    assert data["left_out"]["interventions"] == "the case names no mediator whose levers to search"
    assert data["diagnosis"] is not None and "diagnosis" in section_ids(html)
    bottom = html.split('id="bottom-line"', 1)[1].split("</section>")[0]
    assert "How sure is not in this brief: the case states no ranges" in bottom
    assert "What would move it is not in this brief: the case names no mediator" in bottom


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "nrth"], "no actor 'nrth'"),
        (["--draws", "nope"], "bad --draws value 'nope'"),
        (["--robustness", "-1"], "--robustness"),
    ],
)
def test_brief_refuses_bad_options_before_writing(
    small_case_path: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "b.html"
    result = CliRunner().invoke(cli, ["brief", str(small_case_path), "-o", str(out), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists()
