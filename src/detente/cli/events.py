"""Commands for event data: ``detente events import|check|list``.

A thin shell over :mod:`detente.events`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from detente.cli._common import format_option, render_json, render_table
from detente.events.importer import import_events, reader_for
from detente.events.readers import read_events
from detente.events.store import EventStore
from detente.ledger.keys import KeyStore, read_passphrase
from detente.ledger.log import Ledger
from detente.ledger.note import NoteSigner
from detente.ledger.postgres import is_postgres_url

__all__ = ["commands", "key_options", "ledger_location", "parse_span", "signer_from"]


def _keys_dir(value: Path | None) -> Path:
    return value or Path(os.environ.get("DETENTE_KEYS", Path.home() / ".detente" / "keys"))


def signer_from(keys_dir: Path | None, name: str, passphrase_file: Path | None) -> NoteSigner:
    """Unlock key ``name`` (passphrase from the file or ``DETENTE_PASSPHRASE``)."""
    return KeyStore(_keys_dir(keys_dir)).signer(name, read_passphrase(passphrase_file))


def key_options(f: click.decorators.FC) -> click.decorators.FC:
    """``--keys`` and ``--passphrase-file``, as the ledger commands have them."""
    f = click.option(
        "--keys",
        "keys_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Key folder (default: $DETENTE_KEYS or ~/.detente/keys).",
    )(f)
    return click.option(
        "--passphrase-file",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        default=None,
        help="File whose first line is the passphrase (default: $DETENTE_PASSPHRASE).",
    )(f)


def parse_span(value: str, what: str = "--coverage") -> tuple[dt.date, dt.date]:
    """``START/END`` (ISO 8601 interval of two dates)."""
    try:
        a, b = value.split("/")
        start, end = dt.date.fromisoformat(a), dt.date.fromisoformat(b)
    except ValueError as exc:
        raise click.BadParameter(f"{what} {value!r} must be START/END dates") from exc
    if end < start:
        raise click.BadParameter(f"{what} {value!r} ends before it starts")
    return start, end


def ledger_location(value: str) -> Path | str:
    """A ledger: a SQLite file, or a PostgreSQL database named by URL."""
    if is_postgres_url(value):
        return value
    path = Path(value)
    if path.is_dir():
        raise click.BadParameter(f"{value} is a folder; give the ledger's database file")
    return path


@click.group("events")
def events() -> None:
    """Conflict-event data: UCDP GED, ACLED exports, plain CSV (docs/formats/events.md)."""


@events.command("import")
@click.argument("ledger_db", metavar="LEDGER")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--dataset", required=True, help="ucdp-ged, acled, or your own dataset's name.")
@click.option("--version", "version", required=True, help="Dataset version, e.g. 23.1.")
@click.option("--key", "key_name", required=True, help="The importer's signing key.")
@click.option("--actor", default=None, help="The importer's actor id (default: the key name).")
@click.option("--skip-bad", is_flag=True, help="Leave out unusable rows (counted) instead.")
@click.option(
    "--coverage",
    default=None,
    help="START/END days the dataset covers (default: its events' first and last day).",
)
@key_options
@format_option("table", "json")
def events_import(
    ledger_db: str,
    file: Path,
    dataset: str,
    version: str,
    key_name: str,
    actor: str | None,
    skip_bad: bool,
    coverage: str | None,
    keys_dir: Path | None,
    passphrase_file: Path | None,
    fmt: str,
) -> None:
    """Store FILE's events in LEDGER's database and append a signed dataset record."""
    signer = signer_from(keys_dir, key_name, passphrase_file)
    res = import_events(
        ledger_location(ledger_db), file, dataset, version, signer, actor or key_name,
        skip_bad=skip_bad, coverage=parse_span(coverage) if coverage else None,
    )  # fmt: skip
    if fmt == "json":
        click.echo(render_json(res.model_dump(mode="json")))
        return
    if res.already_imported:
        click.echo(
            f"already imported: {dataset} {version} sha256 {res.sha256[:16]}... "
            f"(record {res.record_index}, {res.rows} events); nothing written"
        )
        return
    click.echo(
        f"imported {res.rows} events of {dataset} {version} (sha256 {res.sha256[:16]}...); "
        f"dataset record at index {res.record_index}"
    )
    if res.summary is not None:
        s = res.summary
        click.echo(f"rows read {s.rows_read}, kept {s.rows_kept}, skipped {s.rows_skipped}")
        for code, n in {**s.skipped_by_reason, **s.warnings}.items():
            click.echo(f"  {code}: {n}")


@events.command("check")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--dataset", default=None, help="Reader to use (default: from the header).")
@click.option("--skip-bad", is_flag=True, help="Count unusable rows instead of failing.")
@format_option("table", "json")
def events_check(file: Path, dataset: str | None, skip_bad: bool, fmt: str) -> None:
    """Read FILE and report every problem (exit 2), or a summary of what it holds."""
    _, summary = read_events(file, reader_for(dataset) if dataset else None, skip_bad=skip_bad)
    if fmt == "json":
        click.echo(render_json(summary.model_dump(mode="json")))
    else:
        click.echo(
            f"{summary.kind}: {summary.rows_read} rows read, {summary.rows_kept} kept, "
            f"{summary.rows_skipped} skipped"
        )
        for code, n in {**summary.skipped_by_reason, **summary.warnings}.items():
            click.echo(f"  {code}: {n}")


@events.command("list")
@click.argument("ledger_db", metavar="LEDGER")
@format_option("table", "json")
def events_list(ledger_db: str, fmt: str) -> None:
    """List the datasets imported into LEDGER."""
    loc = ledger_location(ledger_db)
    Ledger.open(loc).close()  # refuse what is not a ledger before adding tables to it
    with EventStore(loc) as store:
        rows = [i.model_dump(mode="json") for i in store.imports()]
    if fmt == "json":
        click.echo(render_json(rows))
    else:
        click.echo(
            render_table(
                rows,
                ["record_index", "dataset", "version", "rows", "coverage_start", "coverage_end"],
            )
        )


commands: list[click.Command] = [events]
