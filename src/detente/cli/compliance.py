"""Commands for compliance: ``detente compliance check|schema`` and ``detente trust``.

A thin shell over :mod:`detente.compliance`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from detente.cli._common import format_option, render_csv, render_json, render_table
from detente.cli.events import key_options, ledger_location, parse_span, signer_from
from detente.compliance.check import ComplianceReport, check_commitment
from detente.compliance.metrics import load_metrics, metrics_json_schema
from detente.compliance.sources import (
    datasets_from_files,
    datasets_from_ledger,
    find_commitment,
    load_commitment_file,
)
from detente.compliance.trust import credibility, trust_over_time
from detente.compliance.verdicts import read_verdicts, record_verdicts
from detente.errors import CaseError
from detente.ledger.log import Ledger

__all__ = ["commands"]

_COLUMNS = [
    "obligation", "start", "end", "low", "best", "high", "comparison", "threshold", "verdict",
    "final", "dataset", "disagreement",
]  # fmt: skip


def _rows(report: ComplianceReport) -> list[dict[str, Any]]:
    out = []
    for ob in report.obligations:
        for p in ob.periods:
            d = p.model_dump(mode="json")
            d["obligation"] = ob.id
            d["high"] = "inf" if p.high is None and p.low is not None else p.high
            out.append(d)
    return out


def _date(value: str | None, what: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{what} {value!r} is not a date YYYY-MM-DD") from exc


@click.group("compliance")
def compliance() -> None:
    """Are they keeping it? Commitments measured on event data (docs/compliance.md)."""


@compliance.command("check")
@click.argument("target", metavar="LEDGER|COMMITMENT.json")
@click.option("--commitment", "commitment_ref", default=None, help="Commitment id in LEDGER.")
@click.option(
    "--events",
    "events_specs",
    multiple=True,
    help="With a ledger: DATASET or DATASET@VERSION imported (default: all). With a "
    "commitment file: FILE or DATASET@VERSION=FILE.",
)
@click.option(
    "--metrics",
    "metrics_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    required=True,
    help="The metrics file (YAML) the indicators name.",
)
@click.option("--as-of", "as_of", default=None, help="Check up to this date (YYYY-MM-DD).")
@click.option(
    "--coverage",
    "coverages",
    multiple=True,
    help="With files: DATASET=START/END days a dataset covers (default: its events' span).",
)
@click.option("--record", is_flag=True, help="Append each period's verdict, signed, to LEDGER.")
@click.option("--key", "key_name", default=None, help="Signing key for --record.")
@click.option("--by", "by", default=None, help="Actor recording verdicts (default: key name).")
@key_options
@format_option("table", "json", "csv")
def compliance_check(
    target: str,
    commitment_ref: str | None,
    events_specs: tuple[str, ...],
    metrics_path: Path,
    as_of: str | None,
    coverages: tuple[str, ...],
    record: bool,
    key_name: str | None,
    by: str | None,
    keys_dir: Path | None,
    passphrase_file: Path | None,
    fmt: str,
) -> None:
    """Measure a commitment's indicators period by period and give each a verdict."""
    mf = load_metrics(metrics_path)
    when = _date(as_of, "--as-of")
    is_file = Path(target).suffix.lower() in (".json", ".yaml", ".yml")
    if is_file:
        if record:
            raise click.UsageError("--record needs a ledger, not a commitment file")
        if not events_specs:
            raise click.UsageError("give --events FILE (one or more)")
        commitment = load_commitment_file(Path(target))
        spans = {}
        for c in coverages:
            name, eq, span = c.partition("=")
            if not eq:
                raise click.BadParameter(f"--coverage {c!r} must be DATASET=START/END")
            spans[name] = parse_span(span)
        data = datasets_from_files(list(events_specs), coverage=spans)
        report = check_commitment(commitment, mf, data, when)
    else:
        if commitment_ref is None:
            raise click.UsageError("with a ledger, give --commitment ID")
        if record and key_name is None:
            raise click.UsageError("--record needs --key")
        loc = ledger_location(target)
        led = Ledger.open(loc)
        try:
            commitment = find_commitment(led, commitment_ref)
            data = datasets_from_ledger(loc, list(events_specs))
            report = check_commitment(commitment, mf, data, when)
            if record:
                assert key_name is not None
                signer = signer_from(keys_dir, key_name, passphrase_file)
                added = record_verdicts(led, report, mf, data, signer, by or key_name)
                click.echo(
                    f"recorded {len(added)} verdict(s)"
                    + (
                        f" at indexes {added[0]}..{added[-1]}"
                        if added
                        else " (all already in the log)"
                    ),
                    err=True,
                )
        finally:
            led.close()
    if fmt == "json":
        click.echo(render_json(report.to_json()))
    elif fmt == "csv":
        click.echo(render_csv(_rows(report), _COLUMNS), nl=False)
    else:
        label = f" [{report.commitment_label}]" if report.commitment_label else ""
        click.echo(f"{report.commitment_name}{label} as of {report.as_of}")
        for ob in report.obligations:
            click.echo(f"\n{ob.id}: {ob.metric} ({ob.count}) - proxy for: {ob.proxy_for}")
            click.echo(f"  caveat: {ob.caveat}")
        click.echo("")
        click.echo(render_table(_rows(report), _COLUMNS))
        for ob in report.obligations:
            for p in ob.periods:
                if p.disagreement:
                    verdicts = ", ".join(
                        f"{f.dataset} {f.version}: {f.verdict}" for f in p.datasets
                    )
                    click.echo(f"datasets disagree on {ob.id} {p.start}..{p.end}: {verdicts}")


@compliance.command("schema")
def compliance_schema() -> None:
    """Print the JSON Schema of metrics files."""
    click.echo(json.dumps(metrics_json_schema(), indent=2))


@click.command("trust")
@click.argument("ledger_db", metavar="LEDGER")
@click.option(
    "--prior", default="1,1", show_default=True, help="Beta prior a,b (Jøsang & Ismail: 1,1)."
)
@click.option(
    "--forgetting",
    type=float,
    default=1.0,
    show_default=True,
    help="Forgetting factor in (0, 1]; 1 keeps all evidence.",
)
@click.option("--by", "by", multiple=True, help="Count only verdicts recorded by these actors.")
@click.option("--history", is_flag=True, help="Print every point over time, not only the last.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write each party's current credibility (detente.trust/v1 JSON) here.",
)
@format_option("table", "json")
def trust(
    ledger_db: str,
    prior: str,
    forgetting: float,
    by: tuple[str, ...],
    history: bool,
    out: Path | None,
    fmt: str,
) -> None:
    """Each party's record of periods kept and breached, as a Beta reputation."""
    try:
        a, b = (float(x) for x in prior.split(","))
    except ValueError as exc:
        raise click.BadParameter(f"--prior {prior!r} must be two numbers a,b") from exc
    led = Ledger.open(ledger_location(ledger_db))
    try:
        verdicts = read_verdicts(led)
    finally:
        led.close()
    try:
        series = trust_over_time(verdicts, (a, b), forgetting, list(by) or None)
    except ValueError as exc:
        raise CaseError(str(exc)) from exc
    if out is not None:
        out.write_text(
            json.dumps(credibility(series), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    if fmt == "json":
        click.echo(render_json([s.model_dump(mode="json") for s in series]))
        return
    rows = []
    for s in series:
        pts = s.points if history else s.points[-1:]
        if not pts:
            rows.append({"party": s.party, "observations": 0, "mean": None})
        for p in pts:
            rows.append(
                {
                    "party": s.party,
                    "date": p.date.isoformat(),
                    "observations": s.observations,
                    "kept": p.kept,
                    "breached": p.breached,
                    "mean": p.mean,
                    "low80": p.low80,
                    "high80": p.high80,
                }
            )
    click.echo(
        f"Beta reputation (Jøsang & Ismail 2002), prior Beta({a:g}, {b:g}), λ={forgetting:g}"
    )
    click.echo(render_table(rows))


commands: list[click.Command] = [compliance, trust]
