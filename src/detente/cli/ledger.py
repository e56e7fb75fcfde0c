"""Commands for signed guarantees: ``keys``, ``ledger``, ``verify`` and ``witness``.

A thin shell over :mod:`detente.ledger`. Private keys are unlocked with a passphrase from
``--passphrase-file``, ``DETENTE_PASSPHRASE``, or (on a terminal) a hidden prompt, and are
never printed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from detente import boundedjson
from detente.cli._common import format_option, render_json, render_table
from detente.errors import Diagnostic, VerificationError
from detente.inputs import INPUT_LIMIT_ENV, max_input_bytes, read_bounded
from detente.ledger._files import write_atomic
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
    verify_signed_commitment,
)
from detente.ledger.entries import verify_entry as verify_any_entry
from detente.ledger.keyreg import genesis_entry, registration_entry, revocation_entry
from detente.ledger.keys import KeyStore, read_passphrase
from detente.ledger.log import Ledger
from detente.ledger.note import NoteSigner, checkpoint_of
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


def _prompt() -> str:
    """A hidden passphrase prompt, only when a person is at a terminal."""
    if not sys.stdin.isatty():
        return ""
    return str(
        click.prompt("passphrase", hide_input=True, err=True, default="", show_default=False)
    )


def _passphrase(passphrase_file: Path | None) -> bytes:
    return read_passphrase(passphrase_file, prompt=_prompt)


def _signer(keys_dir: Path | None, name: str, passphrase_file: Path | None) -> NoteSigner:
    store = _store(keys_dir)
    signer = store.signer(name, _passphrase(passphrase_file))
    for w in store.warnings:
        click.echo(w, err=True)
    return signer


def _read_json(path: Path) -> Any:
    raw = _read_bytes(path)
    try:
        return boundedjson.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise VerificationError(f"{path}: not UTF-8 (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise VerificationError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}",
            [
                Diagnostic(
                    exc.msg,
                    str(path),
                    exc.lineno,
                    exc.colno,
                    code=boundedjson.error_code(exc, "bad-json"),
                )
            ],
        ) from exc


def _located_source(path: Path) -> tuple[Any, Any]:
    """Load JSON or YAML keeping where each value was, for located schema errors.

    Returns the data, and the same document as ruamel's round-trip nodes (which know each
    key's line and column), or None when positions are not available. Dates stay strings
    so that the schema reports a bad one (``2025-13-01``) with its position.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import RoundTripConstructor
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    class _Dates(RoundTripConstructor):
        pass

    _Dates.add_constructor(
        "tag:yaml.org,2002:timestamp", lambda self, node: str(self.construct_scalar(node))
    )
    try:
        text = _read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerificationError(f"{path}: not UTF-8 (byte {exc.start})") from exc
    if path.suffix == ".json":
        data = _read_json(path)
    yaml = YAML(typ="rt")
    yaml.Constructor = _Dates
    try:
        nodes = yaml.load(text)
    except MarkedYAMLError as exc:
        if path.suffix == ".json":
            return data, None
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        col = mark.column + 1 if mark is not None else None
        msg = str(exc.problem or exc.context or "malformed YAML")
        where = f"{path}:{line}:{col}" if line else str(path)
        raise VerificationError(
            f"{where}: not valid YAML: {msg}",
            [Diagnostic(msg, str(path), line, col, code="bad-yaml")],
        ) from exc
    except (YAMLError, ValueError, RecursionError) as exc:
        if path.suffix == ".json":
            return data, None
        raise VerificationError(f"{path}: not valid YAML: {exc}") from exc
    if path.suffix == ".json":
        return data, nodes
    return nodes, nodes


def _position(nodes: Any, loc: tuple[Any, ...]) -> tuple[int | None, int | None]:
    """1-based line and column of the value at ``loc`` in ruamel round-trip nodes."""
    node, line, col = nodes, None, None
    for part in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(part, int) and isinstance(node, list):
                if lc is not None:
                    line, col = lc.item(part)
                node = node[part]
            elif isinstance(node, dict) and part in node:
                if lc is not None:
                    line, col = lc.value(part) if part in node else lc.key(part)
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return (line + 1 if line is not None else None, col + 1 if col is not None else None)


def _read_signed(path: Path) -> SignedCommitment:
    from pydantic import ValidationError

    try:
        return SignedCommitment.model_validate(_read_json(path))
    except ValidationError as exc:
        raise VerificationError(f"{path}: not a signed commitment: {_brief(exc)}") from exc


def _brief(exc: Any) -> str:
    """A pydantic error as one line per problem: ``loc: message``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
    )


def _write_signed(path: Path, sc: SignedCommitment) -> None:
    text = json.dumps(sc.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode("utf-8"), mode=0o644)


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
    info = _store(keys_dir).new(name, _passphrase(passphrase_file), cosigner=witness)
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
    old, new = _store(keys_dir).rotate(name, _passphrase(passphrase_file))
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
@click.option(
    "--mediator",
    default=None,
    help="Actor id of the first mediator: its key registration becomes entry 0 (the genesis).",
)
@click.option("--mediator-key", default=None, help="The first mediator's signing key.")
@keys_dir_option
@passphrase_option
def ledger_init(
    db: Path | str,
    origin: str,
    key_name: str,
    mediator: str | None,
    mediator_key: str | None,
    keys_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Create ledger DB with ORIGIN, trusting the log key's verifier key.

    With --mediator and --mediator-key, entry 0 registers that mediator's key, signed by
    the key itself: the root from which every other key registration is witnessed.
    """
    if (mediator is None) != (mediator_key is None):
        raise click.UsageError("give --mediator and --mediator-key together")
    genesis = None
    if mediator is not None and mediator_key is not None:
        genesis = genesis_entry(mediator, _signer(keys_dir, mediator_key, passphrase_file))
    led = Ledger.create(db, origin, [_store(keys_dir).vkey(key_name)], genesis=genesis)
    click.echo(f"ledger {db} origin {led.origin} size {led.size}")
    if genesis is None and led.size == 0:
        click.echo(
            "note: no key is registered yet; signed entries are refused until entry 0 "
            "registers the first mediator (`detente ledger register DB --genesis --actor M "
            "--key M`)",
            err=True,
        )
    led.close()


@ledger.command("register")
@db_argument
@click.option("--actor", required=True, help="The actor whose key is registered.")
@click.option("--key", "key_name", required=True, help="The actor's signing key.")
@click.option("--by", "by_actor", default=None, help="The mediator who witnesses it.")
@click.option("--by-key", "by_key", default=None, help="The mediator's signing key.")
@click.option("--mediator", "is_mediator", is_flag=True, help="Register the actor as a mediator.")
@click.option("--rotate", is_flag=True, help="Replace the actor's registered key with KEY.")
@click.option(
    "--genesis",
    is_flag=True,
    help="Entry 0 of an empty log: ACTOR, a mediator, registers its own KEY (no --by).",
)
@keys_dir_option
@passphrase_option
def ledger_register(
    db: Path | str,
    actor: str,
    key_name: str,
    by_actor: str | None,
    by_key: str | None,
    is_mediator: bool,
    rotate: bool,
    genesis: bool,
    keys_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Bind KEY to ACTOR in the log, witnessed by a registered mediator (or rotate it)."""
    if genesis:
        if by_actor or by_key or rotate:
            raise click.UsageError("--genesis is self-signed: drop --by, --by-key and --rotate")
        entry = genesis_entry(actor, _signer(keys_dir, key_name, passphrase_file))
    else:
        if by_actor is None or by_key is None:
            raise click.UsageError("give --by and --by-key: the mediator who witnesses it")
        entry = registration_entry(
            actor,
            _signer(keys_dir, key_name, passphrase_file),
            by_actor,
            _signer(keys_dir, by_key, passphrase_file),
            action="rotate" if rotate else "register",
            mediator=is_mediator,
        )
    led = Ledger.open(db)
    click.echo(f"index {led.append(entry)} {'rotated' if rotate else 'registered'} {actor}")


@ledger.command("revoke")
@db_argument
@click.option("--actor", required=True, help="The actor whose key is revoked.")
@click.option("--vkey", required=True, help="The verifier key revoked.")
@click.option("--by", "by_actor", required=True, help="A mediator, or the actor itself.")
@click.option("--by-key", "by_key", required=True, help="Their signing key.")
@keys_dir_option
@passphrase_option
def ledger_revoke(
    db: Path | str,
    actor: str,
    vkey: str,
    by_actor: str,
    by_key: str,
    keys_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Revoke ACTOR's key: nothing signed with it is accepted after this entry."""
    entry = revocation_entry(actor, vkey, by_actor, _signer(keys_dir, by_key, passphrase_file))
    led = Ledger.open(db)
    click.echo(f"index {led.append(entry)} revoked {actor}")


@ledger.command("add-key")
@db_argument
@click.option(
    "--key", "key_name", required=True, help="The log key to trust (named like the origin)."
)
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
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The draft file to write.",
)
def ledger_draft(source: Path, out: Path) -> None:
    """Validate a commitment (JSON or YAML) and write an unsigned draft to OUT.

    Every problem is reported with its file:line:column; nothing is written unless the
    commitment is valid.
    """
    from pydantic import ValidationError

    data, nodes = _located_source(source)
    try:
        c = Commitment.model_validate(data)
    except ValidationError as exc:
        items = []
        for e in exc.errors():
            line, col = _position(nodes, tuple(e["loc"])) if nodes is not None else (None, None)
            field = ".".join(str(p) for p in e["loc"]) or "(top)"
            items.append(
                Diagnostic(f"{field}: {e['msg']}", str(source), line, col, code="bad-commitment")
            )
        raise VerificationError(
            f"{source}: not a valid commitment ({len(items)} problem(s)); nothing written", items
        ) from exc
    _write_signed(out, SignedCommitment(commitment=c))
    click.echo(f"draft {out} id {commitment_id(c)}")


@ledger.command("sign")
@click.argument("draft", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--actor", required=True, help="The signing party's actor id.")
@click.option(
    "--key",
    "key_name",
    required=True,
    help="The party's signing key (bound to --actor in the log).",
)
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
@click.option(
    "--key",
    "key_name",
    required=True,
    help="The mediator's signing key (bound to --actor in the log).",
)
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
@click.option(
    "--checkpoint-key",
    "checkpoint_keys",
    multiple=True,
    help="Log key(s): sign a checkpoint in the same transaction and acknowledge only then.",
)
@click.option(
    "--receipt-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --checkpoint-key: write the entry's receipt here (the provable acknowledgement).",
)
@keys_dir_option
@passphrase_option
def ledger_submit(
    db: Path | str,
    draft: Path,
    checkpoint_keys: tuple[str, ...],
    receipt_out: Path | None,
    keys_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Verify every signature of DRAFT and append it; print its index and id.

    Each signer's key must be the one registered for it in the log; a draft already in the
    log is refused. With --checkpoint-key the command returns only once the entry is in a
    signed checkpoint, and --receipt-out writes the receipt that proves it.
    """
    if receipt_out is not None and not checkpoint_keys:
        raise click.UsageError("--receipt-out needs --checkpoint-key")
    sc = _read_signed(draft)
    verify_signed_commitment(sc)
    led = Ledger.open(db)
    signers = _log_signers(keys_dir, checkpoint_keys, passphrase_file) if checkpoint_keys else None
    idx = led.append_many([commitment_entry(sc)], checkpoint=signers)
    if receipt_out is not None:
        write_atomic(receipt_out, led.receipt(idx).encode("utf-8"), mode=0o644)
    click.echo(f"index {idx} id {commitment_id(sc.commitment)}")


def _log_signers(
    keys_dir: Path | None, key_names: tuple[str, ...], passphrase_file: Path | None
) -> list[NoteSigner]:
    """The log keys named, with their retired predecessors (they co-sign during rotation)."""
    store = _store(keys_dir)
    pw = _passphrase(passphrase_file)
    signers = []
    for name in key_names:
        signers.append(store.signer(name, pw))
        signers += [
            store.signer(name, pw, k.path) for k in store.list() if k.retired and k.name == name
        ]
    for w in dict.fromkeys(store.warnings):
        click.echo(w, err=True)
    return signers


@ledger.command("event")
@db_argument
@click.option("--commitment", "cid", required=True, help="Commitment id (sha256:...).")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(list(EVENT_KINDS)),
    help="What happened to the commitment (lifecycle order).",
)
@click.option("--by", "actor", required=True, help="Actor making the statement.")
@click.option("--note", default=None, help="A short note stored in the signed event.")
@click.option("--at", "at", default=None, help="ISO time (default: now, UTC).")
@click.option(
    "--key", "key_name", required=True, help="The signing key of --by (bound to it in the log)."
)
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
    click.echo(f"index {Ledger.open(db).append(_read_bytes(entry))}")


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
        info = verify_any_entry(led.entry(i))
        s = info.summary
        if info.type == "commitment":
            what = s.get("commitment")
        elif info.type == "key":
            what = f"{s.get('action')} {s.get('actor')}"
        else:
            what = s.get("kind", info.type)
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
    """Sign a C2SP checkpoint of the current tree and print it.

    Refuses (loudly) a tree that does not extend the last checkpoint this machine signed
    for the log, even if the database no longer holds it.
    """
    signers = _log_signers(keys_dir, key_names, passphrase_file)
    click.echo(Ledger.open(db).checkpoint(signers), nl=False)


@ledger.command("prove")
@db_argument
@click.argument("index", type=int, required=False)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the receipt here (default: stdout).",
)
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
        size = checkpoint_of(note).size
        text = format_add_checkpoint(old, led.consistency_proof(old, size), note)
    elif index is None:
        raise click.UsageError("give INDEX, or --consistency-from OLD")
    else:
        text = led.receipt(index)
    if out is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out, text.encode("utf-8"), mode=0o644)
        click.echo(f"wrote {out}")


@ledger.command("add-cosignatures")
@db_argument
@click.argument("cosigned", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--witness-key",
    "wkeys",
    multiple=True,
    required=True,
    help="A trusted witness's verifier key (repeatable).",
)
def ledger_add_cosignatures(db: Path | str, cosigned: Path, wkeys: tuple[str, ...]) -> None:
    """Attach verified witness cosignatures to the matching stored checkpoint."""
    n = Ledger.open(db).add_cosignatures(_read_text(cosigned), list(wkeys))
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
    """Check the whole ledger (read-only); name the first bad entry.

    Recomputes every hash, checks every entry's signatures and key bindings, every
    checkpoint and cosignature, the log-key table, the append-only triggers, SQLite's
    quick_check, and the checkpoint state kept outside the database.
    """
    report = Ledger.open(db, readonly=True).fsck()
    if fmt == "json":
        click.echo(render_json(report.to_dict()))
    elif report.ok:
        click.echo(f"ok: {report.size} entries, {report.checkpoints} checkpoints verified")
    else:
        click.echo("\n".join(report.problems))
        if report.first_bad_entry is not None:
            click.echo(f"BAD: first bad entry {report.first_bad_entry}")
        else:
            click.echo(f"BAD: {len(report.problems)} problem(s)")
    if not report.ok:
        raise SystemExit(1)


@ledger.command("backup")
@db_argument
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def ledger_backup(db: Path | str, out: Path) -> None:
    """Copy a SQLite ledger to OUT with SQLite's online backup API (WAL included).

    Copying the database file alone misses what is still in its -wal file. For a
    PostgreSQL ledger use pg_dump (see docs/ledger.md).
    """
    if is_postgres_url(db):
        raise VerificationError(
            "a PostgreSQL ledger is backed up with the server's tools: "
            "pg_dump --format=custom --file=ledger.dump DBNAME (see docs/ledger.md)"
        )
    from detente.ledger.storage import backup_sqlite

    n = backup_sqlite(Path(db), out)
    click.echo(f"backup {out}: {n} entries")


@ledger.command("demo")
@click.argument("case_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the demo ledger, keys and receipt.",
)
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
@click.option("--origin", default=None, help="The log's origin (with --log-key; or use --policy).")
@click.option(
    "--log-key", "log_keys", multiple=True, help="The log's verifier key (repeatable; rotation)."
)
@click.option(
    "--witness-key",
    "wkeys",
    multiple=True,
    help="A witness verifier key (repeatable; see --quorum).",
)
@click.option("--quorum", type=int, default=None, help="Witnesses needed (k of n).")
@click.option(
    "--entry",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="The entry file the receipt must prove (optional).",
)
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
    raw = _read_bytes(receipt)
    entry_data = _read_bytes(entry) if entry else None
    if policy_file is not None and not _read_bytes(policy_file).lstrip().startswith(b"{"):
        from detente.ledger.policy import parse_policy

        if origin or log_keys or wkeys or quorum is not None:
            raise click.UsageError(
                "a tlog-policy file says it all: drop --origin/--log-key/--witness-key/--quorum"
            )
        tlog = parse_policy(_read_bytes(policy_file), str(policy_file))
        _print_verdict(verify_receipt(raw, tlog.to_policy(), entry_data), fmt)
        return
    doc = _json_policy(policy_file) if policy_file else {}
    log = doc.get("log", {})
    pol_origin = origin or log.get("origin")
    if not pol_origin:
        raise click.UsageError("give --policy or --origin and --log-key")
    policy = Policy(
        origin=pol_origin,
        log_keys=list(log_keys) or list(log.get("keys", [])),
        witnesses=list(wkeys) or list(doc.get("witnesses", [])),
        quorum=quorum if quorum is not None else int(doc.get("quorum", 0)),
        parties=doc.get("parties"),
    )
    _print_verdict(verify_receipt(raw, policy, entry_data), fmt)


def _read_bytes(path: Path) -> bytes:
    """A file's bytes, at most the input limit (``DETENTE_MAX_INPUT_BYTES``, 8 MiB)."""
    return read_bounded(
        path,
        max_input_bytes(),
        "file",
        hint=f"raise the limit with {INPUT_LIMIT_ENV}=BYTES if the file is genuine",
        error=VerificationError,
    )


def _read_text(path: Path) -> str:
    raw = _read_bytes(path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerificationError(f"{path}: not UTF-8 (byte {exc.start})") from exc


def _json_policy(path: Path) -> dict[str, Any]:
    """A JSON policy, each field checked for its type (a wrong one is a located error)."""
    doc = _read_json(path)

    def bad(field: str, expected: str) -> VerificationError:
        return VerificationError(
            f"{path}: policy field {field} must be {expected}",
            [
                Diagnostic(
                    f"{field} has the wrong type", str(path), expected=expected, code="bad-policy"
                )
            ],
        )

    if not isinstance(doc, dict):
        raise bad("(top)", "an object")
    log = doc.get("log", {})
    if not isinstance(log, dict):
        raise bad("log", "an object {origin, keys}")
    if "origin" in log and not isinstance(log["origin"], str):
        raise bad("log.origin", "a string")
    if not _strings(log.get("keys", [])):
        raise bad("log.keys", "a list of verifier keys")
    if not _strings(doc.get("witnesses", [])):
        raise bad("witnesses", "a list of verifier keys")
    q = doc.get("quorum", 0)
    if not isinstance(q, int) or isinstance(q, bool) or not 0 <= q <= 1000:
        raise bad("quorum", "a whole number of witnesses")
    parties = doc.get("parties")
    if parties is not None and not (
        isinstance(parties, dict) and all(_strings(v) for v in parties.values())
    ):
        raise bad("parties", "an object mapping each actor to a list of verifier keys")
    return doc


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


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
            e = d.get("entry", {})
            if e.get("type") == "commitment":
                click.echo(
                    f"commitment {e.get('commitment')} ({e.get('id')}), label: "
                    f"{e.get('label') or '(none)'}; committing party: {e.get('committing_party')}"
                )
            elif e.get("type") == "key":
                click.echo(f"key {e.get('action')} for {e.get('actor')}: {e.get('key')}")
            else:
                click.echo(f"{e.get('type')} {e.get('id')}")
            for s in d.get("signers", []):
                at = s.get("registered_at")
                bound = f"registered at entry {at}" if at is not None else "pinned by the policy"
                click.echo(f"signed by {s['actor']} as {s['role']} with key {s['key']} ({bound})")
    if not v.ok:
        raise SystemExit(1)


# -- witness -----------------------------------------------------------------------------------
@click.group("witness")
def witness() -> None:
    """A witness that cosigns consistent checkpoints (C2SP tlog-witness, tlog-cosignature)."""


@witness.command("cosign")
@click.argument("request", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--key", "key_name", required=True, help="The witness key (keys new --witness).")
@click.option(
    "--state",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The witness's state folder (last size per log).",
)
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
    body = _read_text(request)
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
@click.option(
    "--state",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The witness's state folder (last size per log).",
)
@click.option("--log", "logs", multiple=True, required=True, help="A trusted log's verifier key.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=7380,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option("--prefix", default="", help="Submission prefix, e.g. /witness/v1.")
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 3600),
    default=10.0,
    show_default=True,
    help="Seconds a connection may stall or idle before it is closed.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(1, 10_000),
    default=64,
    show_default=True,
    help="Connections served at once; more are answered 503 and closed.",
)
@keys_dir_option
@passphrase_option
def witness_serve(
    key_name: str,
    state: Path,
    logs: tuple[str, ...],
    host: str,
    port: int,
    prefix: str,
    timeout: float,
    max_connections: int,
    keys_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Serve C2SP tlog-witness add-checkpoint over HTTP until interrupted (Ctrl-C)."""
    from detente.ledger.witness_http import WitnessServer

    w = Witness(_signer(keys_dir, key_name, passphrase_file), state, _trusted_logs(logs))
    try:
        server = WitnessServer(
            w,
            (host, port),
            prefix,
            log=lambda m: click.echo(m, err=True),
            timeout=timeout,
            max_connections=max_connections,
        )
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
@click.option(
    "--witness-key",
    "wkeys",
    multiple=True,
    required=True,
    help="A witness's verifier key (repeatable).",
)
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
