"""`detente compliance check` and `detente trust` end to end, on files and on ledgers."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from tests.events.event_helpers import EVENTS

COMMITMENT = EVENTS / "commitment-monthly.json"
METRICS = EVENTS / "metrics-test.yaml"
COVER = "2023-01-01/2023-04-30"
GED_VERDICTS = ["undetermined", "undetermined", "kept", "kept"]


def _file_check(run, fmt: str = "json") -> str:
    return run(
        "compliance",
        "check",
        COMMITMENT,
        "--events",
        f"ucdp-ged@23.1={EVENTS / 'ged-small.csv'}",
        "--events",
        f"acled@2024-01-15={EVENTS / 'acled-synthetic.csv'}",
        "--coverage",
        f"ucdp-ged={COVER}",
        "--coverage",
        f"acled={COVER}",
        "--metrics",
        METRICS,
        "--format",
        fmt,
    )


def test_commitment_file_json(run) -> None:
    doc = json.loads(_file_check(run))
    periods = doc["obligations"][0]["periods"]
    assert [p["verdict"] for p in periods] == GED_VERDICTS
    p0 = periods[0]
    assert {
        k: p0[k] for k in ("start", "end", "low", "best", "high", "threshold", "comparison")
    } == {
        "start": "2023-01-01",
        "end": "2023-01-31",
        "low": 1.0,
        "best": 2.0,
        "high": 3.0,
        "threshold": 1.0,
        "comparison": "<=",
    }
    assert p0["disagreement"] is True
    assert [d["dataset"] for d in doc["datasets"]] == ["ucdp-ged", "acled"]


def test_commitment_file_csv_and_table(run) -> None:
    rows = list(csv.DictReader(io.StringIO(_file_check(run, "csv"))))
    assert [r["verdict"] for r in rows] == GED_VERDICTS
    assert rows[0]["high"] == "3.0"
    table = _file_check(run, "table")
    assert "datasets disagree on o1 2023-01-01..2023-01-31" in table
    assert "Not the same as attacks launched from Afghan territory" in table


def test_partial_coverage_shows_unbounded_high(run) -> None:
    out = run(
        "compliance",
        "check",
        COMMITMENT,
        "--events",
        f"acled@2024-01-15={EVENTS / 'acled-synthetic.csv'}",
        "--metrics",
        METRICS,
        "--format",
        "json",
    )
    periods = json.loads(out)["obligations"][0]["periods"]
    assert periods[0]["high"] is None and periods[0]["verdict"] == "undetermined"


def test_bad_input_exits_2(run, tmp_path: Path) -> None:
    out = run(
        "compliance",
        "check",
        COMMITMENT,
        "--events",
        f"ucdp-ged@23.1={EVENTS / 'ged-bad-rows.csv'}",
        "--metrics",
        METRICS,
        code=2,
    )
    assert "error[bad-precision-code]" in out and "Traceback" not in out
    out = run(
        "compliance",
        "check",
        COMMITMENT,
        "--events",
        f"ucdp-ged@19.1={EVENTS / 'ged-small.csv'}",
        "--metrics",
        METRICS,
        code=2,
    )
    assert "error[unmapped-dataset]" in out
    out = run(
        "compliance",
        "check",
        COMMITMENT,
        "--events",
        tmp_path / "ged-small.csv",
        "--metrics",
        METRICS,
        code=2,
    )
    assert "error[no-file]" in out
    out = run(
        "compliance",
        "check",
        COMMITMENT,
        "--events",
        EVENTS / "acled-synthetic.csv",
        "--metrics",
        METRICS,
        code=2,
    )
    assert "error[no-version]" in out
    out = run(
        "compliance",
        "check",
        COMMITMENT,
        "--events",
        EVENTS / "ged-small.csv",
        "--metrics",
        EVENTS / "metrics-bad.yaml",
        code=2,
    )
    assert "metrics-bad.yaml:11" in out


def _ledger_flow(run, tmp_path: Path, db: str | Path) -> dict[str, Any]:
    origin = "cli.example/compliance"
    keys = {}
    have = run("keys", "list")
    for name in (origin, "analyst", "AFG", "TUR"):
        keys[name] = run("keys", "export" if name in have else "new", name).strip()
    # TUR, the mediator, is the log's genesis and witnesses AFG's and the analyst's keys.
    run("ledger", "init", db, "--origin", origin, "--key", origin, "--mediator", "TUR",
        "--mediator-key", "TUR")  # fmt: skip
    for actor in ("AFG", "analyst"):
        run("ledger", "register", db, "--actor", actor, "--key", actor, "--by", "TUR",
            "--by-key", "TUR")  # fmt: skip
    draft = tmp_path / "draft.json"
    run("ledger", "draft", COMMITMENT, "--out", draft)
    run("ledger", "sign", draft, "--actor", "AFG", "--key", "AFG")
    run("ledger", "countersign", draft, "--actor", "TUR", "--key", "TUR")
    run("ledger", "submit", db, draft)
    run(
        "events",
        "import",
        db,
        EVENTS / "ged-small.csv",
        "--dataset",
        "ucdp-ged",
        "--version",
        "23.1",
        "--key",
        "analyst",
        "--coverage",
        COVER,
    )
    run(
        "events",
        "import",
        db,
        EVENTS / "acled-synthetic.csv",
        "--dataset",
        "acled",
        "--version",
        "2024-01-15",
        "--key",
        "analyst",
        "--coverage",
        COVER,
    )
    check = [
        "compliance",
        "check",
        db,
        "--commitment",
        "test-monthly",
        "--metrics",
        METRICS,
        "--format",
        "json",
    ]
    report = json.loads(run(*check))
    recorded = run(*check, "--record", "--key", "analyst")
    again = run(*check, "--record", "--key", "analyst")
    run("ledger", "checkpoint", db, "--key", origin)
    shown = json.loads(run("ledger", "show", db, "--format", "json"))
    trust = json.loads(run("trust", db, "--format", "json"))
    return {
        "report": report,
        "recorded": recorded,
        "again": again,
        "shown": shown,
        "trust": trust,
        "keys": keys,
        "origin": origin,
    }


def test_ledger_record_verify_and_trust(run, tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite"
    got = _ledger_flow(run, tmp_path, db)
    periods = got["report"]["obligations"][0]["periods"]
    assert [p["verdict"] for p in periods] == GED_VERDICTS
    assert [d["record_index"] for d in got["report"]["datasets"]] == [4, 5]
    # The ledger check equals the file check, period for period.
    assert periods == json.loads(_file_check(run))["obligations"][0]["periods"]
    assert "recorded 4 verdict(s) at indexes 6..9" in got["recorded"]
    assert "recorded 0 verdict(s)" in got["again"]
    kinds = [e["what"] for e in got["shown"][6:]]
    assert kinds == ["compliance_claim", "compliance_claim", "fulfilled", "fulfilled"]
    entry = json.loads(run("ledger", "show", db, 8))
    note = json.loads(entry["event"]["note"])
    assert note["verdict"] == "kept" and note["period"] == {
        "start": "2023-03-01",
        "end": "2023-03-31",
    }
    assert note["metric_sha256"] in entry["event"]["evidence"][0]
    assert entry["event"]["evidence"][1:] == [
        f"dataset:{d['record_index']}:sha256:{d['sha256']}" for d in got["report"]["datasets"]
    ]
    receipt = tmp_path / "verdict.tlog-proof"
    run("ledger", "prove", db, 8, "--out", receipt)
    out = run("verify", receipt, "--origin", got["origin"], "--log-key", got["keys"][got["origin"]])
    assert out.startswith("VALID")
    (afg,) = got["trust"]
    assert afg["party"] == "AFG" and afg["observations"] == 2
    last = afg["points"][-1]
    assert (last["kept"], last["breached"], last["mean"]) == (2.0, 0.0, 0.75)
    table = run("trust", db, "--out", tmp_path / "trust.json")
    assert "Jøsang & Ismail 2002" in table and "AFG" in table
    cred = json.loads((tmp_path / "trust.json").read_text(encoding="utf-8"))
    assert cred["format"] == "detente.trust/v1" and cred["parties"]["AFG"]["mean"] == 0.75


def test_sqlite_and_postgres_give_identical_verdicts(run, tmp_path: Path, pg_url: str) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    lite = _ledger_flow(run, tmp_path / "a", tmp_path / "a" / "ledger.sqlite")
    pg = _ledger_flow(run, tmp_path / "b", pg_url)
    assert lite["report"]["obligations"] == pg["report"]["obligations"]
    assert [e["what"] for e in lite["shown"]] == [e["what"] for e in pg["shown"]]
    assert lite["trust"][0]["points"] == pg["trust"][0]["points"]
