"""Record an illustrative written guarantee for a case, end to end, and verify it offline.

Everything here is throwaway: keys are generated in memory (only their public verifier keys
are written out), and the guarantee is labelled ``ILLUSTRATIVE EXAMPLE — not a real
agreement``. It exercises the whole chain: RFC 8785 canonical JSON, Ed25519 party signatures
and mediator countersignatures, an RFC 9162 log on SQLite, a C2SP checkpoint cosigned by a
witness (tlog-cosignature), a C2SP tlog-proof receipt, and offline verification.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import shutil
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from detente.case.model import Case
from detente.ledger.commitment import (
    ILLUSTRATIVE,
    Commitment,
    Event,
    Indicator,
    Obligation,
    commitment_entry,
    commitment_id,
    countersign,
    event_entry,
    sign_commitment,
    sign_event,
)
from detente.ledger.keyreg import genesis_entry, registration_entry
from detente.ledger.log import Ledger
from detente.ledger.note import ALG_COSIGNATURE_V1, NoteSigner
from detente.ledger.receipt import Policy, verify_receipt
from detente.ledger.witness import Witness, format_add_checkpoint

__all__ = ["record_demo_guarantee"]

ORIGIN = "detente.example/demo-ledger"
WITNESS_NAME = "witness.detente.example/demo"


def _pick(case: Case, preferred: str, *hints: str) -> str:
    """The case's actor id for ``preferred`` (by id, then by name hints), else ``preferred``."""
    ids = {a.id for a in case.actors}
    if preferred in ids:
        return preferred
    for a in case.actors:
        text = f"{a.id} {a.name}".lower()
        if any(h in text for h in hints):
            return a.id
    return preferred


def _issues(case: Case) -> list[str]:
    keys = ("haven", "ttp", "guarantee", "written", "verif", "border", "militan")
    chosen = [i.id for i in case.issues if any(k in f"{i.id} {i.question}".lower() for k in keys)]
    return chosen or [i.id for i in case.issues[:1]]


def record_demo_guarantee(out_dir: pathlib.Path, case: Case) -> dict[str, Any]:
    """Record, checkpoint, cosign, prove and verify an illustrative guarantee.

    Args:
        out_dir: Folder for the ledger (``ledger.sqlite``), the receipt
            (``guarantee.tlog-proof``) and the public keys (``keys.json``).
        case: The case; its actor ids are used where they exist (PAK, AFG, TUR, QAT, TTP).

    Returns:
        JSON-ready data: ``label``, ``commitment``, ``log_origin``, ``index``, ``tree_size``,
        ``checkpoint`` (text), ``receipt_path``, ``verification`` {ok, verdict, reason}.
    """
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pak = _pick(case, "PAK", "pakistan")
    afg = _pick(case, "AFG", "afghan", "taliban", "kabul")
    tur = _pick(case, "TUR", "türkiye", "turkey", "turkiye")
    qat = _pick(case, "QAT", "qatar")
    ttp = _pick(case, "TTP", "tehrik", "ttp")

    def key(name: str, alg: int = 0x01) -> NoteSigner:
        return NoteSigner(name, Ed25519PrivateKey.generate(), alg)

    parties = {a: key(a) for a in (afg, pak, tur, qat)}
    log_key = key(ORIGIN)
    witness_key = key(WITNESS_NAME, ALG_COSIGNATURE_V1)

    start = case.case.start or dt.date(2025, 11, 7)
    commitment = Commitment(
        id=f"{case.case.id}-demo-guarantee-1",
        label=ILLUSTRATIVE,
        case=case.case.id,
        committing_party=afg,
        beneficiaries=[pak],
        text=(
            f"{ILLUSTRATIVE}. The government in Kabul ({afg}) undertakes in writing that "
            f"Afghan territory will not be used by the {ttp} to plan or launch attacks on "
            f"Pakistan ({pak}), and accepts monitoring by the mediators {tur} and {qat}."
        ),
        obligations=[
            Obligation(
                id="no-cross-border-attacks",
                text=f"No cross-border attacks attributed to {ttp} launched from Afghan territory.",
                indicator=Indicator(
                    metric=f"cross_border_attacks_attributed_to_{ttp}",
                    comparison="<=",
                    threshold=0,
                    period="P30D",
                    source="UCDP GED / ACLED events, Pakistan–Afghanistan border districts",
                ),
            ),
            Obligation(
                id="joint-verification",
                text="Attend a monthly joint verification meeting hosted by the mediators.",
                indicator=Indicator(
                    metric="verification_meetings_attended",
                    comparison=">=",
                    threshold=1,
                    period="P30D",
                ),
            ),
        ],
        start=start,
        end=start + dt.timedelta(days=180),
        guarantors=[tur, qat],
        witnesses=[],
        issues=_issues(case),
    )
    sc = sign_commitment(commitment, afg, parties[afg])
    sc = sign_commitment(sc, pak, parties[pak])
    sc = countersign(sc, tur, parties[tur])
    sc = countersign(sc, qat, parties[qat])

    db = out_dir / "ledger.sqlite"
    for suffix in ("", "-wal", "-shm"):  # a fresh throwaway ledger and witness each run
        p = db.with_name(db.name + suffix)
        if p.exists():
            p.unlink()
    shutil.rmtree(out_dir / "witness-state", ignore_errors=True)
    # The log's equivocation guard keeps its state next to this throwaway ledger (a real
    # log keeps it with the operator's keys, outside the database).
    shutil.rmtree(out_dir / "checkpoint-state", ignore_errors=True)
    at = dt.datetime.combine(start, dt.time(9, 0), tzinfo=dt.UTC)
    ledger = Ledger.create(
        db,
        ORIGIN,
        [log_key.vkey],
        genesis=genesis_entry(tur, parties[tur], at=at),
        state_dir=out_dir / "checkpoint-state",
    )
    try:
        # Bind each actor's key to the actor in the log itself, witnessed by a mediator.
        ledger.append_many(
            [
                registration_entry(qat, parties[qat], tur, parties[tur], mediator=True, at=at),
                registration_entry(afg, parties[afg], tur, parties[tur], at=at),
                registration_entry(pak, parties[pak], qat, parties[qat], at=at),
            ]
        )
        index = ledger.append(commitment_entry(sc))
        cid = commitment_id(commitment)
        ev = Event(
            kind="countersigned",
            commitment=cid,
            at=dt.datetime.combine(start, dt.time(12, 0), tzinfo=dt.UTC),
            by=tur,
            note=f"{ILLUSTRATIVE}: countersigned by the mediators.",
        )
        ledger.append(event_entry(ev, [sign_event(ev, parties[tur])]))
        checkpoint = ledger.checkpoint([log_key])
        witness = Witness(witness_key, out_dir / "witness-state", {ORIGIN: [log_key.vkey]})
        cosig = witness.add_checkpoint(format_add_checkpoint(0, [], checkpoint))
        ledger.add_cosignatures(checkpoint + cosig + "\n", [witness_key.vkey])
        receipt = ledger.receipt(index)
        tree_size = ledger.size
        full_checkpoint = ledger.cosigned_checkpoint()
    finally:
        ledger.close()
    receipt_path = out_dir / "guarantee.tlog-proof"
    receipt_path.write_text(receipt, encoding="utf-8")
    keys_doc = {
        "label": ILLUSTRATIVE,
        "log": {"origin": ORIGIN, "keys": [log_key.vkey]},
        "witnesses": [witness_key.vkey],
        "quorum": 1,
        "parties": {a: [s.vkey] for a, s in parties.items()},
    }
    (out_dir / "keys.json").write_text(json.dumps(keys_doc, indent=2), encoding="utf-8")
    policy = Policy(
        origin=ORIGIN,
        log_keys=[log_key.vkey],
        witnesses=[witness_key.vkey],
        quorum=1,
        parties={a: [s.vkey] for a, s in parties.items()},
    )
    verdict = verify_receipt(receipt_path.read_text(encoding="utf-8"), policy)
    return {
        "label": ILLUSTRATIVE,
        "commitment": {"id": cid, **sc.model_dump(mode="json")},
        "log_origin": ORIGIN,
        "index": index,
        "tree_size": tree_size,
        "checkpoint": full_checkpoint,
        "receipt_path": str(receipt_path),
        "verification": {"ok": verdict.ok, "verdict": verdict.verdict, "reason": verdict.reason},
    }
