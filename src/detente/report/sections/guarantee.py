"""Written guarantees: each with its receipt embedded, so it can be checked from the file.

The receipt (a C2SP tlog-proof, self-contained: the entry travels in it) and the
verifier policy it was checked against are in the page, as text and as download links
(``data:`` URLs), with the exact ``detente verify`` command; nothing points at a path on
the machine that made the brief.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from detente.case.model import Case
from detente.ledger.commitment import Obligation, SignedCommitment, commitment_id
from detente.pipeline.records import GuaranteeRecord
from detente.report.format import num
from detente.report.sections.base import BriefInputs, Charts, Section, actor_name

__all__ = ["GUARANTEES", "data_url", "verify_command"]


def data_url(text: str, mime: str = "text/plain") -> str:
    """``text`` as a ``data:`` URL (base64, UTF-8): a download link needing no file."""
    return f"data:{mime};charset=utf-8;base64,{base64.b64encode(text.encode()).decode()}"


def verify_command(record: GuaranteeRecord) -> str:
    """The exact command that checks the receipt, with the two files saved from the page."""
    return f"detente verify {record['receipt_name']} --policy {record['policy_name']}"


def _names(case: Case, ids: Sequence[str]) -> str:
    return ", ".join(actor_name(case, i) for i in ids)


def _obligation_text(ob: Obligation) -> str:
    text = ob.text
    ind = ob.indicator
    if ind.metric:
        measure = f"{ind.metric} {ind.comparison} {num(ind.threshold)}"
        if ind.period:
            measure += f" per {ind.period}"
        text += f" [measured: {measure}]"
    return text


def guarantee_view(case: Case, g: GuaranteeRecord) -> dict[str, Any]:
    """One guarantee as the template shows it.

    The record's commitment is read through the ledger's own model
    (:class:`detente.ledger.commitment.SignedCommitment`), not as loose JSON.
    """
    envelope = g["commitment"]
    sc = SignedCommitment.model_validate({k: v for k, v in envelope.items() if k != "id"})
    c = sc.commitment
    check = g["verification"]
    period = " – ".join(d.isoformat() for d in (c.start, c.end) if d is not None)
    fields = [
        ("Committing party", actor_name(case, c.committing_party)),
        ("Beneficiaries", _names(case, c.beneficiaries)),
        ("In force", period),
        ("Guarantors", _names(case, c.guarantors)),
        ("Witnesses", _names(case, c.witnesses)),
        ("Issues", ", ".join(c.issues)),
        ("Signed by", _names(case, [s.actor for s in sc.signatures])),
        ("Countersigned by", _names(case, [s.actor for s in sc.countersignatures])),
        ("Commitment id", str(envelope.get("id") or commitment_id(c))),
    ]
    policy_text = json.dumps(g["policy"], indent=2, ensure_ascii=False) + "\n"
    return {
        "label": g["label"],
        "source": g["source"],
        "text": c.text,
        "fields": [(k, v) for k, v in fields if v],
        "obligations": [_obligation_text(o) for o in c.obligations],
        "commitment_json": json.dumps(envelope, indent=2, ensure_ascii=False),
        "log_origin": g["log_origin"],
        "index": g["index"],
        "tree_size": g["tree_size"],
        "checkpoint": g["checkpoint"],
        "ok": check["ok"] is True,
        "status": "verified" if check["ok"] is True else "NOT verified",
        "verdict": check["verdict"],
        "reason": check["reason"] or "",
        "receipt": g["receipt"],
        "receipt_name": g["receipt_name"],
        "receipt_url": data_url(g["receipt"]),
        "policy_text": policy_text,
        "policy_name": g["policy_name"],
        "policy_url": data_url(policy_text, "application/json"),
        "policy_note": g["policy_note"],
        "command": verify_command(g),
    }


def build_guarantees(inputs: BriefInputs, charts_: Charts) -> dict[str, Any] | None:
    """Every guarantee given, or the reason none is shown when a ledger had none."""
    if inputs.guarantees is None:
        return None
    return {
        "items": [guarantee_view(inputs.case, g) for g in inputs.guarantees],
        "case_id": inputs.case.case.id,
    }


GUARANTEES: Section[dict[str, Any]] = Section(
    "guarantee", "Written guarantees", "sections/guarantee.html.j2", build_guarantees
)
