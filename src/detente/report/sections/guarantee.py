"""Written guarantees: each with its receipt embedded, so it can be checked from the file.

The receipt (a C2SP tlog-proof, self-contained: the entry travels in it) and the
verifier policy it was checked against are in the page, as text and as download links
(``data:`` URLs), with the exact ``detente verify`` command; nothing points at a path on
the machine that made the brief.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from detente.case.model import Case
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


def _names(case: Case, ids: object) -> str:
    if isinstance(ids, str):
        ids = [ids]
    if not isinstance(ids, list | tuple):
        return ""
    return ", ".join(actor_name(case, str(i)) for i in ids)


def _obligation_text(ob: object) -> str:
    if not isinstance(ob, Mapping):
        return str(ob)
    text = str(ob.get("text") or ob.get("id") or "")
    ind = ob.get("indicator")
    if isinstance(ind, Mapping) and ind.get("metric"):
        measure = f"{ind.get('metric')} {ind.get('comparison', '')} {num(ind.get('threshold'))}"
        if ind.get("period"):
            measure += f" per {ind['period']}"
        text += f" [measured: {measure.strip()}]"
    return text


def guarantee_view(case: Case, g: GuaranteeRecord) -> dict[str, Any]:
    """One guarantee as the template shows it."""
    envelope = g["commitment"]
    # A signed record wraps the commitment: {"id", "commitment": {...}, "signatures": [...]}.
    inner = envelope.get("commitment")
    body: Mapping[str, Any] = inner if isinstance(inner, Mapping) else envelope
    check = g["verification"]

    def signers(key: str) -> str:
        sigs = envelope.get(key) or []
        return ", ".join(
            actor_name(case, str(s.get("actor", "?"))) for s in sigs if isinstance(s, Mapping)
        )

    period = " – ".join(str(body[k]) for k in ("start", "end") if body.get(k))
    fields = [
        ("Committing party", _names(case, body.get("committing_party"))),
        ("Beneficiaries", _names(case, body.get("beneficiaries"))),
        ("In force", period),
        ("Guarantors", _names(case, body.get("guarantors"))),
        ("Witnesses", _names(case, body.get("witnesses"))),
        ("Issues", ", ".join(str(i) for i in body.get("issues") or [])),
        ("Signed by", signers("signatures")),
        ("Countersigned by", signers("countersignatures")),
        ("Commitment id", str(envelope.get("id") or body.get("id") or "")),
    ]
    obligations = body.get("obligations") or []
    policy_text = json.dumps(g["policy"], indent=2, ensure_ascii=False) + "\n"
    return {
        "label": g["label"],
        "source": g["source"],
        "text": str(body.get("text") or ""),
        "fields": [(k, v) for k, v in fields if v],
        "obligations": [_obligation_text(o) for o in obligations]
        if isinstance(obligations, list)
        else [],
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
