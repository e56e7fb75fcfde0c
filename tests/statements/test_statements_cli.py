"""The ``detente statements`` commands end to end, each a fresh invocation (a restart)."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pytest
from click.testing import CliRunner

from detente.cli import cli
from detente.statements.brief import TEMPLATE, TITLE, statements_section
from detente.statements.check import check_statements, load_record
from detente.statements.coder import Coder
from detente.statements.entries import read_ledger
from detente.statements.io import coding_inputs, read_statements, speaker_actor
from tests.statements.helpers import CASE, STATEMENTS

ENV = {"DETENTE_PASSPHRASE": "correct horse battery staple"}


def run(*args: str, code: int = 0) -> str:
    res = CliRunner().invoke(cli, list(args), env=ENV, catch_exceptions=False)
    assert res.exit_code == code, res.output
    return res.output


@pytest.fixture
def keyed_ledger(tmp_path: Path) -> tuple[Path, Path]:
    keys = tmp_path / "keys"
    for name in ("log.example", "analyst", "reviewer"):
        run("keys", "new", name, "--keys", str(keys))
    db = tmp_path / "ledger.db"
    run(
        "ledger",
        "init",
        str(db),
        "--origin",
        "log.example",
        "--key",
        "log.example",
        "--mediator",
        "analyst",
        "--mediator-key",
        "analyst",
        "--keys",
        str(keys),
    )
    # The analyst is the log's first mediator; it witnesses the reviewer's key.
    run("ledger", "register", str(db), "--actor", "reviewer", "--key", "reviewer", "--by",
        "analyst", "--by-key", "analyst", "--keys", str(keys))  # fmt: skip
    return db, keys


def test_code_json_fields_on_statements_and_plover_records(data_dir: Path, tmp_path: Path) -> None:
    out = json.loads(
        run(
            "statements",
            "code",
            str(STATEMENTS),
            "--case",
            str(CASE),
            "--format",
            "json",
            "--embedder",
            "none",
        )
    )
    codes = out["codes"]
    assert len(codes) == 8
    for c in codes:
        assert {"id", "plover", "mode", "source", "target", "issue", "score", "evidence"} <= set(c)
    assert out["coder"]["method"].startswith("rules+none+logistic")
    gold = json.loads((data_dir / "plover" / "plover-gsr-dev.json").read_text(encoding="utf-8"))
    small = tmp_path / "p.json"
    small.write_text(json.dumps(gold[:6]), encoding="utf-8")
    csv_out = run("statements", "code", str(small), "--format", "csv", "--embedder", "none")
    lines = csv_out.strip().splitlines()
    assert lines[0] == "id,plover,mode,source,target,issue,score,evidence"
    assert len(lines) == 6  # header + 5 records (the documentation record is skipped)


def test_bad_input_exits_2_with_located_diagnostics(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        STATEMENTS.read_text(encoding="utf-8").replace(
            "speaker: {actor: TUR}", "speaker: {actor: XYZ}"
        ),
        encoding="utf-8",
    )
    res = CliRunner().invoke(cli, ["statements", "check", str(bad), "--case", str(CASE)])
    assert res.exit_code == 2
    assert "unknown speaker actor 'XYZ'" in res.output
    assert "Traceback" not in res.output


def test_record_review_restart_export(keyed_ledger: tuple[Path, Path], tmp_path: Path) -> None:
    db, keys = keyed_ledger
    common = ["--case", str(CASE), "--ledger", str(db)]
    out = run(
        "statements", "record", str(STATEMENTS), *common, "--key", "analyst", "--keys", str(keys)
    )
    assert out.count("statement ") == 8
    again = run(
        "statements", "record", str(STATEMENTS), *common, "--key", "analyst", "--keys", str(keys)
    )
    assert "nothing to record" in again
    checked = json.loads(
        run(
            "statements",
            "check",
            str(STATEMENTS),
            *common,
            "--format",
            "json",
            "--embedder",
            "none",
        )
    )
    assert {c["id"]: c["proposal"]["relation"] for c in checked}["afg-unrelated"] == "misrepresents"
    review = [
        "statements",
        "review",
        str(STATEMENTS),
        *common,
        "--embedder",
        "none",
        "--reviewer",
        "reviewer",
        "--key",
        "reviewer",
        "--keys",
        str(keys),
    ]
    run(
        *review,
        "--statement",
        "afg-unrelated",
        "--decision",
        "accept",
        "--note",
        "the record holds the demand",
    )
    run(
        *review,
        "--statement",
        "afg-mujahid-unrealistic",
        "--decision",
        "edit",
        "--relation",
        "not about the record",
    )
    run(*review, "--statement", "pak-disinformation", "--decision", "reject")
    res = CliRunner().invoke(cli, [*review, "--statement", "nope", "--decision", "accept"], env=ENV)
    assert res.exit_code == 2
    # a fresh read of the ledger (a restart): the decisions are there and verify
    statements, reviews = read_ledger(db)
    assert len(statements) == 8 and [r.decision for _, r in reviews] == ["accept", "edit", "reject"]
    exported = json.loads(
        run("statements", "export", "--claimreview", "--ledger", str(db), "--case", str(CASE))
    )
    assert len(exported) == 2  # the rejected proposal publishes no rating
    first = exported[0]
    assert first["@type"] == "ClaimReview" and first["claimReviewed"] == "unrelated"
    assert first["reviewRating"]["alternateName"] == "misrepresents"
    assert first["itemReviewed"]["author"]["name"].startswith("Afghan officials")
    assert first["itemReviewed"]["author"]["parentOrganization"]["name"].startswith("Taliban")
    assert first["itemReviewed"]["appearance"]["publisher"]["description"] == "partisan source"
    assert first["citation"][0]["identifier"] == "position:PAK:sanctuaries"
    assert exported[1]["reviewRating"]["alternateName"] == "not about the record"
    # verify the review entries with the generic ledger tools
    assert "ok" in run("ledger", "fsck", str(db)).lower()


def test_brief_section_renders(keyed_ledger: tuple[Path, Path]) -> None:
    sf = read_statements(STATEMENTS)
    from detente.case.loader import load_case

    case = load_case(CASE)
    codes = Coder(embedder=None, training=[]).code(coding_inputs(sf))
    speakers = {s.id: speaker_actor(sf, s) for s in sf.statements}
    checks = check_statements(sf.statements, codes, load_record(case), speakers, ["PAK", "AFG"])
    section = statements_section(
        sf.statements, codes, checks, {}, {s.id: str(speakers[s.id]) for s in sf.statements}
    )
    assert section["title"] == TITLE and section["total"] == 8 and section["reviewed"] == 0
    html = jinja2.Environment(autoescape=True).from_string(TEMPLATE).render(section=section)
    assert TITLE in html and "misrepresents" in html and "(partisan source)" in html
    assert "position:PAK:sanctuaries" in html and "not reviewed" in html


def test_evaluate_writes_the_figures_block(data_dir: Path, tmp_path: Path) -> None:
    doc = tmp_path / "statements.md"
    doc.write_text("# Statements\n\nprose kept\n", encoding="utf-8")
    run(
        "statements",
        "evaluate",
        str(data_dir / "plover" / "plover-gsr-dev.json"),
        "--embedder",
        "none",
        "--folds",
        "2",
        "--seeds",
        "0",
        "--limit",
        "3",
        "--out",
        str(doc),
    )
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Statements\n\nprose kept\n")
    assert "| rules (lexicon argmax) |" in text and "53 labelled records" in text
    assert "Confusion matrix" in text
