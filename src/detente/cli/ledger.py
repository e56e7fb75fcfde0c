"""Commands for signed guarantees: ``keys``, ``ledger``, ``verify`` and ``witness``.

A thin shell over :mod:`detente.ledger`. Private keys are unlocked with a passphrase from
``--passphrase-file`` or ``DETENTE_PASSPHRASE`` and are never printed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from detente.cli._common import format_option, render_json, render_table
from detente.errors import VerificationError
from detente.ledger.canonical import loads_canonical
from detente.ledger.commitment import (
    EVENT_KINDS,
    Commitment,
    Event,
    SignedCommitment,
    commitment_entry,
    commitment_id,
    countersign,
    event_entry,
    sign_commitment,
    sign_event,
    verify_entry,
    verify_signed_commitment,
)
from detente.ledger.keys import KeyStore, read_passphrase
from detente.ledger.log import Ledger
from detente.ledger.note import NoteSigner
from detente.ledger.postgres import is_postgres_url
from detente.ledger.receipt import Policy, Verdict, verify_receipt
from detente.ledger.tiles import export_tiles
from detente.ledger.witness import Witness, format_add_checkpoint

__all__ = ["commands"]


def _default_keys() -> Path:
    return Path(os.environ.get("DETENTE_KEYS", Path.home() / ".detente" / "keys"))


keys_dir_option = click.option(
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


def _ledger_location(ctx: click.Context, param: click.Parameter, value: str) -> Path | str:
    """A SQLite file (a path), or a PostgreSQL database named by a ``postgresql://`` URL."""
    if is_postgres_url(value):
        return value
    path = Path(value)
    if path.is_dir():
        raise click.BadParameter(f"{value} is a folder; give the ledger's database file")
    return path


db_argument = click.argument("db", metavar="DB", callback=_ledger_location)


def _store(keys_dir: Path | None) -> KeyStore:
    return KeyStore(keys_dir or _default_keys())


def _signer(keys_dir: Path | None, name: str, passphrase_file: Path | None) -> NoteSigner:
    return _store(keys_dir).signer(name, read_passphrase(passphrase_file))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VerificationError(f"{path}: cannot read JSON: {exc}") from exc


def _read_signed(path: Path) -> SignedCommitment:
    from pydantic import ValidationError

    try:
        return SignedCommitment.model_validate(_read_json(path))
    except ValidationError as exc:
        raise VerificationError(f"{path}: not a signed commitment: {exc}") from exc


def _write_signed(path: Path, sc: SignedCommitment) -> None:
    path.write_text(
        json.dumps(sc.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )


# -- keys --------------------------------------------------------------------------------------
@click.group("keys")
def keys() -> None:
    """Ed25519 keys, encrypted at rest with scrypt and a passphrase."""


@keys.command("new")
@click.argument("name")
@keys_dir_option
@passphrase_option
@click.option("--witness", is_flag=True, help="Make a witness cosigning key (cosignature/v1).")
def keys_new(name: str, keys_dir: Path | None, passphrase_file: Path | None, witness: bool) -> None:
    """Create key NAME and print its verifier key (the private key is never shown)."""
    info = _store(keys_dir).new(name, read_passphrase(passphrase_file), cosigner=witness)
    click.echo(info.vkey)


@keys.command("export")
@click.argument("name")
@keys_dir_option
def keys_export(name: str, keys_dir: Path | None) -> None:
    """Print the C2SP verifier key of NAME."""
    click.echo(_store(keys_dir).vkey(name))


@keys.command("rotate")
@click.argument("name")
@keys_dir_option
@passphrase_option
def keys_rotate(name: str, keys_dir: Path | None, passphrase_file: Path | None) -> None:
    """Retire key NAME (kept for old signatures) and create a new one under the same name."""
    old, new = _store(keys_dir).rotate(name, read_passphrase(passphrase_file))
    click.echo(f"old {old}\nnew {new}")


@keys.command("list")
@keys_dir_option
@format_option("table", "json")
def keys_list(keys_dir: Path | None, fmt: str) -> None:
    """List keys (public parts only)."""
    rows = [
        {
            "name": k.name,
            "vkey": k.vkey,
            "type": "witness" if k.alg == 4 else "signer",
            "retired": k.retired,
        }
        for k in _store(keys_dir).list()
    ]
    click.echo(render_json(rows) if fmt == "json" else render_table(rows))


# -- ledger ------------------------------------------------------------------------------------
@click.group("ledger")
def ledger() -> None:
    """Signed commitments in an append-only Merkle log (RFC 9162, C2SP formats)."""


@ledger.command("init")
@db_argument
@click.option("--origin", required=True, help="The log's unique origin, e.g. example.org/log.")
@click.option("--key", "key_name", required=True, help="Log signing key (named like the origin).")
@keys_dir_option
def ledger_init(db: Path | str, origin: str, key_name: str, keys_dir: Path | None) -> None:
    """Create ledger DB with ORIGIN, trusting the log key's verifier key."""
    led = Ledger.create(db, origin, [_store(keys_dir).vkey(key_name)])
    click.echo(f"ledger {db} origin {led.origin} size {led.size}")
    led.close()


@ledger.command("add-key")
@db_argument
@click.option("--key", "key_name", required=True)
@keys_dir_option
def ledger_add_key(db: Path | str, key_name: str, keys_dir: Path | None) -> None:
    """Trust another log key (rotation: checkpoints are then signed by old and new)."""
    led = Ledger.open(db)
    led.add_log_key(_store(keys_dir).vkey(key_name))
    click.echo("\n".join(led.log_keys))


@ledger.command("retire-key")
@db_argument
@click.option("--vkey", required=True, help="The verifier key to retire.")
def ledger_retire_key(db: Path | str, vkey: str) -> None:
    """Stop signing with a log key (old checkpoints stay verifiable)."""
    led = Ledger.open(db)
    led.retire_log_key(vkey)
    click.echo("\n".join(led.log_keys))


@ledger.command("draft")
@click.argument("source", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def ledger_draft(source: Path, out: Path) -> None:
    """Validate a commitment (JSON or YAML) and write an unsigned draft to OUT."""
    from pydantic import ValidationError
    from ruamel.yaml import YAML

    text = source.read_text(encoding="utf-8")
    data = json.loads(text) if source.suffix == ".json" else YAML(typ="safe").load(text)
    try:
        c = Commitment.model_validate(data)
    except ValidationError as exc:
        raise VerificationError(f"{source}: not a valid commitment: {exc}") from exc
    _write_signed(out, SignedCommitment(commitment=c))
    click.echo(f"draft {out} id {commitment_id(c)}")


@ledger.command("sign")
@click.argument("draft", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--actor", required=True, help="The signing party's actor id.")
@click.option("--key", "key_name", required=True)
@keys_dir_option
@passphrase_option
def ledger_sign(
    draft: Path, actor: str, key_name: str, keys_dir: Path | None, passphrase_file: Path | None
) -> None:
    """Add a party signature to DRAFT (in place)."""
    sc = sign_commitment(_read_signed(draft), actor, _signer(keys_dir, key_name, passphrase_file))
    _write_signed(draft, sc)
    click.echo(f"signed by {actor}")


@ledger.command("countersign")
@click.argument("draft", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--actor", required=True, help="The mediator's actor id.")
@click.option("--key", "key_name", required=True)
@keys_dir_option
@passphrase_option
def ledger_countersign(
    draft: Path, actor: str, key_name: str, keys_dir: Path | None, passphrase_file: Path | None
) -> None:
    """Add a mediator's countersignature to DRAFT (in place)."""
    sc = countersign(_read_signed(draft), actor, _signer(keys_dir, key_name, passphrase_file))
    _write_signed(draft, sc)
    click.echo(f"countersigned by {actor}")


@ledger.command("submit")
@db_argument
@click.argument("draft", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def ledger_submit(db: Path | str, draft: Path) -> None:
    """Verify every signature of DRAFT and append it; print its index and id."""
    sc = _read_signed(draft)
    verify_signed_commitment(sc)
    led = Ledger.open(db)
    idx = led.append(commitment_entry(sc))
    click.echo(f"index {idx} id {commitment_id(sc.commitment)}")


@ledger.command("event")
@db_argument
@click.option("--commitment", "cid", required=True, help="Commitment id (sha256:...).")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(list(EVENT_KINDS)),
)
@click.option("--by", "actor", required=True, help="Actor making the statement.")
@click.option("--note", default=None)
@click.option("--at", "at", default=None, help="ISO time (default: now, UTC).")
@click.option("--key", "key_name", required=True)
@keys_dir_option
@passphrase_option
def ledger_event(
    db: Path | str,
    cid: str,
    kind: str,
    actor: str,
    note: str | None,
    at: str | None,
    key_name: str,
    keys_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Append a signed lifecycle event about a commitment already in the ledger."""
    import datetime as dt

    led = Ledger.open(db)
    if led.find_commitment(cid) is None:
        raise VerificationError(f"no commitment {cid} in {db}")
    when = dt.datetime.fromisoformat(at) if at else dt.datetime.now(dt.UTC).replace(microsecond=0)
    ev = Event.model_validate(
        {"kind": kind, "commitment": cid, "at": when, "by": actor, "note": note}
    )
    signer = _signer(keys_dir, key_name, passphrase_file)
    click.echo(f"index {led.append(event_entry(ev, [sign_event(ev, signer)]))}")


@ledger.command("append")
@db_argument
@click.argument("entry", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def ledger_append(db: Path | str, entry: Path) -> None:
    """Append a ready entry file (canonical JSON, signatures checked)."""
    click.echo(f"index {Ledger.open(db).append(entry.read_bytes())}")


@ledger.command("show")
@db_argument
@click.argument("index", type=int, required=False)
@format_option("table", "json")
def ledger_show(db: Path | str, index: int | None, fmt: str) -> None:
    """List the entries, or show entry INDEX in full."""
    led = Ledger.open(db)
    if index is not None:
        click.echo(render_json(loads_canonical(led.entry(index))))
        return
    rows = []
    for i in range(led.size):
        info = verify_entry(led.entry(i))
        s = info.summary
        what = s.get("commitment") if info.type == "commitment" else s.get("kind")
        rows.append({"index": i, "type": info.type, "what": what, "id": info.id[:19] + "..."})
    click.echo(render_json(rows) if fmt == "json" else render_table(rows))


@ledger.command("checkpoint")
@db_argument
@click.option("--key", "key_names", multiple=True, required=True, help="Log key(s) to sign with.")
@keys_dir_option
@passphrase_option
def ledger_checkpoint(
    db: Path | str, key_names: tuple[str, ...], keys_dir: Path | None, passphrase_file: Path | None
) -> None:
    """Sign a C2SP checkpoint of the current tree and print it."""
    store = _store(keys_dir)
    pw = read_passphrase(passphrase_file)
    signers = []
    for name in key_names:
        signers.append(store.signer(name, pw))
        signers += [
            store.signer(name, pw, k.path) for k in store.list() if k.retired and k.name == name
        ]
    click.echo(Ledger.open(db).checkpoint(signers), nl=False)


@ledger.command("prove")
@db_argument
@click.argument("index", type=int, required=False)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--consistency-from",
    "old",
    type=int,
    default=None,
    help="Instead, write a tlog-witness add-checkpoint request from size OLD.",
)
def ledger_prove(db: Path | str, index: int | None, out: Path | None, old: int | None) -> None:
    """Write a receipt (C2SP tlog-proof) for entry INDEX against the last checkpoint."""
    led = Ledger.open(db)
    if old is not None:
        note = led.cosigned_checkpoint()
        size = int(note.split("\n")[1])
        text = format_add_checkpoint(old, led.consistency_proof(old, size), note)
    elif index is None:
        raise click.UsageError("give INDEX, or --consistency-from OLD")
    else:
        text = led.receipt(index)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")


@ledger.command("add-cosignatures")
@db_argument
@click.argument("cosigned", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--witness-key", "wkeys", multiple=True, required=True)
def ledger_add_cosignatures(db: Path | str, cosigned: Path, wkeys: tuple[str, ...]) -> None:
    """Attach verified witness cosignatures to the matching stored checkpoint."""
    n = Ledger.open(db).add_cosignatures(cosigned.read_text(encoding="utf-8"), list(wkeys))
    click.echo(f"stored {n} cosignature(s)")


@ledger.command("tiles")
@db_argument
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
def ledger_tiles(db: Path | str, out: Path) -> None:
    """Export the log as static C2SP tlog-tiles under OUT."""
    counts = export_tiles(Ledger.open(db), out)
    click.echo(render_json(counts))


@ledger.command("fsck")
@db_argument
@format_option("text", "json", default="text")
def ledger_fsck(db: Path | str, fmt: str) -> None:
    """Recompute every hash and check every signature; name the first bad entry."""
    report = Ledger.open(db).fsck()
    if fmt == "json":
        click.echo(render_json(report.to_dict()))
    elif report.ok:
        click.echo(f"ok: {report.size} entries, {report.checkpoints} checkpoints verified")
    else:
        click.echo("\n".join(report.problems))
        click.echo(f"BAD: first bad entry {report.first_bad_entry}")
    if not report.ok:
        raise SystemExit(1)


@ledger.command("demo")
@click.argument("case_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def ledger_demo(case_file: Path, out: Path) -> None:
    """Record and verify an ILLUSTRATIVE guarantee for a case (throwaway keys)."""
    from detente.case.loader import load_case
    from detente.ledger.demo import record_demo_guarantee

    click.echo(render_json(record_demo_guarantee(out, load_case(case_file))))


# -- verify ------------------------------------------------------------------------------------
@click.command("verify")
@click.argument("receipt", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="A C2SP tlog-policy file (log/witness/group/quorum lines), or JSON "
    "{log: {origin, keys}, witnesses, quorum, parties}.",
)
@click.option("--origin", default=None)
@click.option("--log-key", "log_keys", multiple=True)
@click.option("--witness-key", "wkeys", multiple=True)
@click.option("--quorum", type=int, default=None, help="Witnesses needed (k of n).")
@click.option("--entry", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None)
@format_option("text", "json", default="text")
def verify(
    receipt: Path,
    policy_file: Path | None,
    origin: str | None,
    log_keys: tuple[str, ...],
    wkeys: tuple[str, ...],
    quorum: int | None,
    entry: Path | None,
    fmt: str,
) -> None:
    """Verify RECEIPT fully offline and print a verdict (exit 1 if INVALID)."""
    if policy_file is not None and not policy_file.read_text(encoding="utf-8").lstrip().startswith(
        "{"
    ):
        from detente.ledger.policy import parse_policy

        if origin or log_keys or wkeys or quorum is not None:
            raise click.UsageError(
                "a tlog-policy file says it all: drop --origin/--log-key/--witness-key/--quorum"
            )
        tlog = parse_policy(policy_file.read_bytes(), str(policy_file))
        _print_verdict(
            verify_receipt(
                receipt.read_text(encoding="utf-8"),
                tlog.to_policy(),
                entry.read_bytes() if entry else None,
            ),
            fmt,
        )
        return
    doc: dict[str, Any] = _read_json(policy_file) if policy_file else {}
    log = doc.get("log", {})
    pol_origin = origin or log.get("origin")
    if not pol_origin:
        raise click.UsageError("give --policy or --origin and --log-key")
    witnesses = list(wkeys) or list(doc.get("witnesses", []))
    policy = Policy(
        origin=pol_origin,
        log_keys=list(log_keys) or list(log.get("keys", [])),
        witnesses=witnesses,
        quorum=quorum if quorum is not None else int(doc.get("quorum", 0)),
        parties=doc.get("parties"),
    )
    v = verify_receipt(
        receipt.read_text(encoding="utf-8"), policy, entry.read_bytes() if entry else None
    )
    _print_verdict(v, fmt)


def _print_verdict(v: Verdict, fmt: str) -> None:
    if fmt == "json":
        click.echo(render_json(v.to_dict()))
    else:
        click.echo(v.verdict if v.ok else f"{v.verdict}: {v.reason}")
        if v.ok:
            d = v.details
            click.echo(
                f"entry {d.get('index')} of {d.get('origin')} at size {d.get('tree_size')}; "
                f"witnesses: {', '.join(d.get('witnesses', [])) or 'none'}"
            )
    if not v.ok:
        raise SystemExit(1)


# -- witness -----------------------------------------------------------------------------------
@click.group("witness")
def witness() -> None:
    """A witness that cosigns consistent checkpoints (C2SP tlog-witness, tlog-cosignature)."""


@witness.command("cosign")
@click.argument("request", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--key", "key_name", required=True, help="The witness key (keys new --witness).")
@click.option("--state", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--log", "logs", multiple=True, required=True, help="A trusted log's verifier key.")
@keys_dir_option
@passphrase_option
def witness_cosign(
    request: Path,
    key_name: str,
    state: Path,
    logs: tuple[str, ...],
    keys_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Check an add-checkpoint REQUEST and print the cosigned checkpoint."""
    w = Witness(_signer(keys_dir, key_name, passphrase_file), state, _trusted_logs(logs))
    body = request.read_text(encoding="utf-8")
    line = w.add_checkpoint(body)
    note = body.partition("\n\n")[2]
    click.echo(note + line)


def _trusted_logs(logs: tuple[str, ...]) -> dict[str, list[str]]:
    trusted: dict[str, list[str]] = {}
    for vk in logs:
        trusted.setdefault(vk.split("+", 1)[0], []).append(vk)
    return trusted


@witness.command("serve")
@click.option("--key", "key_name", required=True, help="The witness key (keys new --witness).")
@click.option("--state", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--log", "logs", multiple=True, required=True, help="A trusted log's verifier key.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=7380, show_default=True)
@click.option("--prefix", default="", help="Submission prefix, e.g. /witness/v1.")
@keys_dir_option
@passphrase_option
def witness_serve(
    key_name: str,
    state: Path,
    logs: tuple[str, ...],
    host: str,
    port: int,
    prefix: str,
    keys_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Serve C2SP tlog-witness add-checkpoint over HTTP until interrupted (Ctrl-C)."""
    from detente.ledger.witness_http import WitnessServer

    w = Witness(_signer(keys_dir, key_name, passphrase_file), state, _trusted_logs(logs))
    try:
        server = WitnessServer(w, (host, port), prefix, log=lambda m: click.echo(m, err=True))
    except OSError as exc:
        raise VerificationError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    click.echo(f"witness {key_name} listening on {server.url}/add-checkpoint", nl=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("witness stopped", err=True)
    finally:
        server.server_close()


@ledger.command("witness")
@db_argument
@click.option("--url", "urls", multiple=True, required=True, help="A witness's submission URL.")
@click.option("--witness-key", "wkeys", multiple=True, required=True)
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per request.")
def ledger_witness(
    db: Path | str, urls: tuple[str, ...], wkeys: tuple[str, ...], timeout: float
) -> None:
    """Have the latest checkpoint cosigned by witnesses over HTTP (C2SP tlog-witness).

    Exits 1 if any witness refused or could not be reached; the cosignatures that were
    obtained are stored either way.
    """
    from detente.ledger.witness_http import witness_checkpoint

    led = Ledger.open(db)
    try:
        report = witness_checkpoint(led, list(urls), list(wkeys), timeout)
    finally:
        led.close()
    click.echo(render_json(report))
    if report["failed"]:
        raise SystemExit(1)


commands: list[click.Command] = [keys, ledger, verify, witness]
