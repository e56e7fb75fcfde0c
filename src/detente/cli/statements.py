"""Commands about public statements: ``detente statements schema|validate|code|check|...``.

A thin shell over :mod:`detente.statements`. Bad input prints located diagnostics and exits
with status 2 (through the root group); proposals are printed, never recorded as verdicts:
only ``review`` records a decision, signed by the reviewer.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from detente.cli._common import format_option, load_one, render_csv, render_json, render_table
from detente.errors import CaseError, VerificationError
from detente.statements.check import CheckResult
from detente.statements.coder import StatementCode
from detente.statements.io import check_against_case, read_coding_inputs, read_statements
from detente.statements.model import Statement, StatementsFile, statements_json_schema
from detente.statements.run import EMBEDDERS, check_file, make_coder, make_embedder

__all__ = ["commands"]

_CODE_COLUMNS = ("id", "plover", "mode", "source", "target", "issue", "score", "evidence")


embedder_option = click.option(
    "--embedder",
    type=click.Choice(list(EMBEDDERS)),
    default="auto",
    show_default=True,
    help="static: MiniLM's word-piece embeddings (fast); minilm: the full MiniLM-L6 "
    "encoder in numpy (slow, see docs/statements.md); none: rules and a model on rule "
    "scores; auto: static when the model package is installed, else none.",
)
case_option = click.option(
    "--case",
    "case_file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The case file the statements are about.",
)


def _row(c: StatementCode) -> dict[str, Any]:
    ev = c["evidence"]
    shown = ev.get("text") if ev.get("kind") == "rule" else ev.get("example") or ev.get("reason")
    return {**c, "target": ";".join(c["target"]), "evidence": shown}


@click.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of statements files."""
    click.echo(json.dumps(statements_json_schema(), indent=2))


@click.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--case",
    "case_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The case whose actors and issues the statements name.",
)
def validate_cmd(file: Path, case_file: Path | None) -> None:
    """Check a statements file (and its actors and issues against a case)."""
    sf = read_statements(file)
    if case_file is not None:
        check_against_case(sf, load_one(case_file), str(file))
    click.echo(f"{file}: {len(sf.statements)} statements, valid")


@click.command("code")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--case",
    "case_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The case whose actors and issues the statements name.",
)
@embedder_option
@format_option("table", "json", "csv")
def code_cmd(file: Path, case_file: Path | None, embedder: str, fmt: str) -> None:
    """Code each statement: PLOVER category, mode, source, target, issue, score, evidence.

    FILE is a statements file (YAML, JSON, CSV) or a JSON array of PLOVER-shaped records
    (`id`, `text`, `source`, `target`, `date`).
    """
    inputs, sf = read_coding_inputs(file)
    case = load_one(case_file) if case_file is not None else None
    if sf is not None and case is not None:
        check_against_case(sf, case, str(file))
    coder = make_coder(embedder, sf, case)
    codes = coder.code(inputs)
    if fmt == "json":
        click.echo(render_json({"coder": coder.describe(), "codes": codes}))
    elif fmt == "csv":
        click.echo(render_csv([_row(c) for c in codes], _CODE_COLUMNS), nl=False)
    else:
        click.echo(render_table([_row(c) for c in codes], _CODE_COLUMNS))


def _checked(
    file: Path,
    case_file: Path,
    ledger: str | None,
    compliance: tuple[Path, ...],
    embedder: str,
) -> tuple[StatementsFile, list[StatementCode], list[CheckResult], Any]:
    case = load_one(case_file)
    sf, codes, checks = check_file(file, case, ledger, compliance, embedder)
    return sf, codes, checks, case


ledger_option = click.option(
    "--ledger", default=None, help="A ledger (SQLite file or postgresql:// URL) to check against."
)
compliance_option = click.option(
    "--compliance",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON of `detente compliance check ... --format json` (repeatable).",
)


@click.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@case_option
@ledger_option
@compliance_option
@embedder_option
@format_option("table", "json")
def check_cmd(
    file: Path,
    case_file: Path,
    ledger: str | None,
    compliance: tuple[Path, ...],
    embedder: str,
    fmt: str,
) -> None:
    """Propose, per statement, its relation to the record (positions, ledger, compliance)."""
    _, _, checks, _ = _checked(file, case_file, ledger, compliance, embedder)
    if fmt == "json":
        click.echo(render_json(checks))
        return
    rows = [
        {
            "id": c["id"],
            "speaker": c["speaker"],
            "plover": c["plover"],
            "issue": c["issue"],
            "proposed": c["proposal"]["relation"],
            "rule": c["proposal"]["rule"],
            "items": " ".join(c["proposal"]["items"]),
        }
        for c in checks
    ]
    click.echo(render_table(rows))
    click.echo("\nproposals only: a reviewer decides each with `detente statements review`")


def _signer(keys_dir: Path | None, key: str, passphrase_file: Path | None) -> Any:
    from detente.cli.ledger import _signer as ledger_signer

    return ledger_signer(keys_dir, key, passphrase_file)


keys_option = click.option(
    "--keys",
    "keys_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Key folder (default: $DETENTE_KEYS or ~/.detente/keys).",
)
passphrase_option = click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="File whose first line is the passphrase (default: $DETENTE_PASSPHRASE).",
)


@click.command("record")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@case_option
@click.option("--ledger", required=True, help="The ledger to append to.")
@click.option("--key", "key_name", required=True, help="Key of the recorder (`recorded_by`).")
@keys_option
@passphrase_option
def record_cmd(
    file: Path,
    case_file: Path,
    ledger: str,
    key_name: str,
    keys_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Append each statement to the ledger, signed by its recorder (already recorded: skipped)."""
    from detente.ledger.log import Ledger
    from detente.statements.entries import (
        StatementRecord,
        read_ledger,
        record_id,
        sign_statement,
        statement_entry,
    )

    sf = read_statements(file)
    case = load_one(case_file)
    check_against_case(sf, case, str(file))
    signer = _signer(keys_dir, key_name, passphrase_file)
    existing, _ = read_ledger(ledger)

    def key(case_id: str | None, st: Statement) -> str:
        return json.dumps([case_id, st.model_dump(mode="json")], sort_keys=True)

    seen = {key(r.case, r.statement) for _, r in existing}
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    entries = []
    for s in sf.statements:
        if key(case.case.id, s) in seen:
            continue
        outlet = next((o for o in sf.outlets if o.id == s.speaker.outlet), None)
        rec = StatementRecord(case=case.case.id, statement=s, outlet=outlet, recorded_at=now)
        entries.append((rec, statement_entry(rec, [sign_statement(rec, signer)])))
    if not entries:
        click.echo("nothing to record: every statement is already in the ledger")
        return
    led = Ledger.open(ledger)
    try:
        first = led.append_many([e for _, e in entries])
    finally:
        led.close()
    for k, (rec, _) in enumerate(entries):
        click.echo(f"entry {first + k}: statement {rec.statement.id} {record_id(rec)}")


@click.command("review")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@case_option
@click.option("--ledger", required=True, help="The ledger holding the recorded statement.")
@compliance_option
@click.option("--statement", "statement_id", required=True, help="The statement's id.")
@click.option(
    "--decision",
    type=click.Choice(["accept", "edit", "reject"]),
    required=True,
    help="Accept, edit or reject the proposal.",
)
@click.option(
    "--relation",
    type=click.Choice(
        ["consistent", "misrepresents", "contradicted", "unsupported", "not about the record"]
    ),
    default=None,
    help="The reviewed relation (with --decision edit).",
)
@click.option("--note", default=None, help="The reviewer's reasoning.")
@click.option("--reviewer", required=True, help="The reviewer's actor id.")
@click.option("--key", "key_name", required=True, help="The reviewer's key.")
@embedder_option
@keys_option
@passphrase_option
def review_cmd(
    file: Path,
    case_file: Path,
    ledger: str,
    compliance: tuple[Path, ...],
    statement_id: str,
    decision: str,
    relation: str | None,
    note: str | None,
    reviewer: str,
    key_name: str,
    embedder: str,
    keys_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Accept, edit or reject the proposed relation of one statement: a signed ledger entry."""
    from detente.ledger.log import Ledger
    from detente.statements.entries import (
        Proposal,
        Review,
        read_ledger,
        record_id,
        review_entry,
        sign_review,
    )

    sf, _, checks, case = _checked(file, case_file, ledger, compliance, embedder)
    chk = next((c for c in checks if c["id"] == statement_id), None)
    if chk is None:
        raise CaseError(f"{file}: no statement with id '{statement_id}'")
    st: Statement = next(s for s in sf.statements if s.id == statement_id)
    recorded, _ = read_ledger(ledger)
    rec = next((r for _, r in reversed(recorded) if r.statement == st), None)
    if rec is None:
        raise VerificationError(
            f"statement {statement_id} (as in {file}) is not in the ledger; "
            "record it first with `detente statements record`"
        )
    prop = Proposal.model_validate(dict(chk["proposal"]))
    final = prop.relation if decision == "accept" else relation
    if decision == "edit" and relation is None:
        raise CaseError("--decision edit needs --relation")
    try:
        rv = Review(
            statement=record_id(rec),
            statement_id=statement_id,
            proposal=prop,
            decision=decision,
            relation=final,
            note=note,
            reviewer=reviewer,
            at=dt.datetime.now(dt.UTC).replace(microsecond=0),
        )
    except ValueError as exc:
        raise CaseError(f"review refused: {exc}") from None
    entry = review_entry(rv, [sign_review(rv, _signer(keys_dir, key_name, passphrase_file))])
    led = Ledger.open(ledger)
    try:
        index = led.append(entry)
    finally:
        led.close()
    click.echo(
        f"entry {index}: {statement_id} proposed {prop.relation}, {decision} -> "
        f"{final or 'rejected'} by {reviewer}"
    )


@click.command("export")
@click.option("--claimreview", is_flag=True, required=True, help="ClaimReview JSON-LD.")
@click.option("--ledger", required=True, help="The ledger with statements and reviews.")
@click.option(
    "--case",
    "case_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The case the statements are about.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the export here (default: stdout).",
)
def export_cmd(claimreview: bool, ledger: str, case_file: Path | None, out: Path | None) -> None:
    """Export every reviewed statement as schema.org ClaimReview JSON-LD."""
    from detente.statements.claimreview import claim_reviews
    from detente.statements.entries import read_ledger

    statements, reviews = read_ledger(ledger)
    names = {a.id: a.name for a in load_one(case_file).actors} if case_file else {}
    text = render_json(claim_reviews(statements, reviews, names))
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {out}")


@click.command("evaluate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@embedder_option
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds.")
@click.option("--seeds", default="0,1,2", show_default=True, help="Comma-separated seeds.")
@click.option("--limit", type=int, default=None, help="At most this many records per category.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Markdown file whose generated block to replace (e.g. docs/statements.md).",
)
def evaluate_cmd(
    file: Path, embedder: str, folds: int, seeds: str, limit: int | None, out: Path | None
) -> None:
    """Cross-validate the coder on PLOVER-shaped gold records; write the figures."""
    from detente.statements.evaluate import evaluate_file, report_markdown, write_report

    seed_list = tuple(int(s) for s in seeds.split(",") if s.strip())
    results, n = evaluate_file(file, make_embedder(embedder), folds, seed_list, limit)
    body = report_markdown(results, n, folds, seed_list, f"`{file.name}`")
    if out is None:
        click.echo(body)
    else:
        write_report(out, body)
        click.echo(f"wrote the figures into {out}")


@click.group("statements")
def statements() -> None:
    """Public statements: record, code (PLOVER), check against the record, review, export."""


for _cmd in (
    schema_cmd,
    validate_cmd,
    code_cmd,
    check_cmd,
    record_cmd,
    review_cmd,
    export_cmd,
    evaluate_cmd,
):
    statements.add_command(_cmd)

commands = [statements]
