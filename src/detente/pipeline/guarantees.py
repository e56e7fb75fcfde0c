"""Written guarantees for the brief: read from a ledger, or the demo's illustrative one.

:func:`guarantees_from_ledger` lists the commitments a ledger records for one case
(``Commitment.case`` equal to the case id), makes each a receipt against the ledger's
latest checkpoint, and verifies it against a policy of the log's own keys. Only the
case's own guarantees are shown: a brief never borrows another case's.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from detente.case.model import Case
from detente.errors import StorageError, VerificationError
from detente.ledger.commitment import SignedCommitment, commitment_id, verify_entry
from detente.ledger.log import Ledger
from detente.ledger.receipt import Policy, verify_receipt
from detente.pipeline.records import GuaranteeRecord, VerificationDict

__all__ = ["demo_guarantee", "guarantees_from_ledger"]

_LEDGER_POLICY_NOTE = (
    "This policy trusts the log keys the ledger itself records, and no witness: it shows "
    "that the receipt matches the log's signed checkpoint. A verifier who holds the log's "
    "key from another channel, or requires witnesses, should verify with their own policy."
)


def _record(
    *,
    label: str,
    source: str,
    commitment: dict[str, Any],
    origin: str,
    index: int,
    tree_size: int,
    checkpoint: str,
    receipt: str,
    policy: dict[str, Any],
    policy_note: str,
    stem: str,
) -> GuaranteeRecord:
    log = policy["log"]
    verdict = verify_receipt(
        receipt,
        Policy(
            origin=log["origin"],
            log_keys=list(log["keys"]),
            witnesses=list(policy.get("witnesses", [])),
            quorum=int(policy.get("quorum", 0)),
            parties=policy.get("parties"),
        ),
    )
    check: VerificationDict = {
        "ok": verdict.ok,
        "verdict": verdict.verdict,
        "reason": verdict.reason,
    }
    return {
        "label": label,
        "source": source,
        "commitment": commitment,
        "log_origin": origin,
        "index": index,
        "tree_size": tree_size,
        "checkpoint": checkpoint,
        "receipt": receipt,
        "receipt_name": f"{stem}.tlog-proof",
        "policy": policy,
        "policy_name": f"{stem}.policy.json",
        "policy_note": policy_note,
        "verification": check,
    }


def guarantees_from_ledger(path: str | pathlib.Path, case: Case) -> list[GuaranteeRecord]:
    """Every guarantee the ledger at ``path`` records for ``case``, with its receipt.

    Args:
        path: A ledger: a SQLite file or a ``postgresql://`` URL.
        case: The case; commitments whose ``case`` is its id are taken.

    Returns:
        One record per commitment, in log order (empty when the ledger has none).

    Raises:
        StorageError: If ``path`` is not a ledger, or a commitment of the case is not
            covered by a signed checkpoint yet.
        VerificationError: If an entry of the case does not verify.
    """
    led = Ledger.open(path)
    try:
        found: list[tuple[int, bytes, SignedCommitment]] = []
        for index, data, _ in led.storage.iter_entries():
            try:
                doc = json.loads(data)
            except ValueError:
                continue  # not JSON: fsck's business, not the brief's
            if not isinstance(doc, dict) or doc.get("type") != "commitment":
                continue
            signed = doc.get("signed")
            body = signed.get("commitment") if isinstance(signed, dict) else None
            if not isinstance(body, dict) or body.get("case") != case.case.id:
                continue
            verify_entry(data)  # the case's own entries must verify in full
            found.append((index, data, SignedCommitment.model_validate(signed)))
        if not found:
            return []
        latest = led.latest_checkpoint()
        if latest is None:
            raise StorageError(
                f"{path}: the ledger has no signed checkpoint, so its guarantees have no "
                "receipt yet; run `detente ledger checkpoint` first"
            )
        checkpoint = led.cosigned_checkpoint()
        keys = led.log_keys
        policy = {"log": {"origin": led.origin, "keys": keys}, "witnesses": [], "quorum": 0}
        out = []
        for n, (index, _, sc) in enumerate(found, start=1):
            try:
                receipt = led.receipt(index)
            except VerificationError as exc:
                raise StorageError(f"{path}: guarantee {sc.commitment.id}: {exc}") from None
            out.append(
                _record(
                    label=sc.commitment.label or f"Written guarantee {sc.commitment.id}",
                    source=f"ledger {pathlib.Path(str(path)).name}",
                    commitment={
                        "id": commitment_id(sc.commitment),
                        **sc.model_dump(mode="json"),
                    },
                    origin=led.origin,
                    index=index,
                    tree_size=latest[1],
                    checkpoint=checkpoint,
                    receipt=receipt,
                    policy=policy,
                    policy_note=_LEDGER_POLICY_NOTE,
                    stem=f"guarantee-{n}",
                )
            )
        return out
    finally:
        led.close()


def demo_guarantee(out_dir: pathlib.Path, case: Case) -> GuaranteeRecord:
    """Record the demo's ILLUSTRATIVE guarantee for ``case`` and return it for the brief.

    The keys are throwaway and the policy (``keys.json``) names the log key, the
    witness and the parties' keys, so the receipt verifies with the witness quorum.
    """
    from detente.ledger.demo import record_demo_guarantee

    g = record_demo_guarantee(out_dir, case)
    receipt = pathlib.Path(g["receipt_path"]).read_text(encoding="utf-8")
    policy = json.loads((pathlib.Path(out_dir) / "keys.json").read_text(encoding="utf-8"))
    return _record(
        label=str(g["label"]),
        source="demo: throwaway keys, made up to show the mechanism",
        commitment=dict(g["commitment"]),
        origin=str(g["log_origin"]),
        index=int(g["index"]),
        tree_size=int(g["tree_size"]),
        checkpoint=str(g["checkpoint"]),
        receipt=receipt,
        policy=policy,
        policy_note="The policy names the demo log's key, its witness (quorum 1) and the "
        "parties' keys, all generated for this run and thrown away after.",
        stem="guarantee",
    )
