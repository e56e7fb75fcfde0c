"""The demo step: the Istanbul case's illustrative commitment checked on real UCDP data.

:func:`run_demo` imports the shipped 1,000-event sample of UCDP GED 23.1 (CC BY 4.0,
``data/ucdp/README.md``) into a throwaway ledger, records the ILLUSTRATIVE commitment
``commitment-ttp.json`` that sits beside the case, checks it retrospectively over the
sample's years with ``metrics.yaml``, records each period's verdict signed, proves one
verdict with a receipt and verifies it offline, and computes trust. Keys are generated in
memory and thrown away (only verifier keys are written). The sample says nothing about the
2025 talks: every output says so.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import TypedDict

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from detente.compliance.brief import ComplianceSection, render_section, section_data
from detente.compliance.check import check_commitment
from detente.compliance.metrics import load_metrics
from detente.compliance.sources import datasets_from_ledger, load_commitment_file
from detente.compliance.trust import trust_over_time
from detente.compliance.verdicts import read_verdicts, record_verdicts
from detente.errors import CaseError
from detente.events.importer import import_events
from detente.ledger.commitment import (
    SignedCommitment,
    commitment_entry,
    commitment_id,
    countersign,
    sign_commitment,
)
from detente.ledger.keyreg import genesis_entry, registration_entry
from detente.ledger.log import Ledger
from detente.ledger.note import NoteSigner
from detente.ledger.receipt import Policy, verify_receipt

__all__ = ["DemoResult", "run_demo"]

ORIGIN = "detente.example/compliance-demo"
ANALYST = "analyst"
SAMPLE = Path("data") / "ucdp" / "ged231-sample.csv"
CAVEAT = (
    "ILLUSTRATIVE EXAMPLE: a made-up commitment measured retrospectively on a 1,000-event "
    "random sample of UCDP GED 23.1 (1989-2022). It says nothing about the 2025 talks and "
    "is neither current nor complete evidence."
)


class DemoResult(TypedDict):
    """What the demo produced."""

    caveat: str
    ledger: str
    commitment: str
    dataset_record: int
    verdict_indexes: list[int]
    receipt: str | None
    receipt_verified: bool
    verdicts: dict[str, int]
    section: ComplianceSection
    section_html: str


def _find_sample(case_path: Path) -> Path:
    for folder in [case_path.resolve().parent, *case_path.resolve().parents]:
        if (folder / SAMPLE).is_file():
            return folder / SAMPLE
    raise CaseError(f"cannot find {SAMPLE} above {case_path}; run from the repository")


def run_demo(out_dir: Path, case_path: Path, events_path: Path | None = None) -> DemoResult:
    """Import, check, record, prove and verify; write the section's data and HTML.

    Args:
        out_dir: Folder for ``compliance-ledger.sqlite``, ``compliance.json``,
            ``compliance-check.json`` (the check, as ``compliance check --format json``),
            ``compliance-section.html``, ``compliance-verdict.tlog-proof`` and
            ``compliance-keys.json``.
        case_path: The case file; ``commitment-ttp.json`` and ``metrics.yaml`` are read
            from its folder.
        events_path: The GED file (default: the shipped sample, found above the case).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(case_path).parent
    commitment = load_commitment_file(folder / "commitment-ttp.json")
    mf = load_metrics(folder / "metrics.yaml")
    sample = events_path or _find_sample(Path(case_path))

    def key(name: str) -> NoteSigner:
        return NoteSigner(name, Ed25519PrivateKey.generate())

    signers = {a: key(a) for a in {commitment.committing_party, *commitment.guarantors, ANALYST}}
    log_key = key(ORIGIN)
    db = out_dir / "compliance-ledger.sqlite"
    for suffix in ("", "-wal", "-shm"):
        p = db.with_name(db.name + suffix)
        if p.exists():
            p.unlink()
    mediators = list(commitment.guarantors) or [ANALYST]
    first = mediators[0]
    # The log's equivocation guard keeps its state beside this throwaway ledger (a real log
    # keeps it where the operator says), so a fresh demo log never meets an old one's state.
    state = out_dir / "checkpoint-state"
    shutil.rmtree(state, ignore_errors=True)
    led = Ledger.create(
        db,
        ORIGIN,
        [log_key.vkey],
        genesis=genesis_entry(first, signers[first]),
        state_dir=state,
    )
    try:
        # Every signer's key is bound to its actor in the log, witnessed by the first mediator.
        led.append_many(
            [
                registration_entry(a, signers[a], first, signers[first], mediator=a in mediators)
                for a in sorted(signers)
                if a != first
            ]
        )
        sc = sign_commitment(
            SignedCommitment(commitment=commitment),
            commitment.committing_party,
            signers[commitment.committing_party],
        )
        for g in commitment.guarantors:
            sc = countersign(sc, g, signers[g])
        led.append(commitment_entry(sc))
    finally:
        led.close()
    imported = import_events(db, sample, "ucdp-ged", "23.1", signers[ANALYST], ANALYST)
    data = datasets_from_ledger(db, ["ucdp-ged@23.1"])
    report = check_commitment(commitment, mf, data)
    led = Ledger.open(db, state_dir=state)
    try:
        when = dt.datetime.now(dt.UTC).replace(microsecond=0)
        added = record_verdicts(led, report, mf, data, signers[ANALYST], ANALYST, when)
        led.checkpoint([log_key])
        verdicts = read_verdicts(led)
        breached = [v.index for v in verdicts if v.kind == "breached"]
        receipt = led.receipt(breached[0] if breached else added[0]) if added else None
    finally:
        led.close()
    ok = False
    receipt_path: Path | None = None
    parties = {a: [s.vkey] for a, s in signers.items()}
    if receipt is not None:
        receipt_path = out_dir / "compliance-verdict.tlog-proof"
        receipt_path.write_text(receipt, encoding="utf-8")
        policy = Policy(origin=ORIGIN, log_keys=[log_key.vkey], witnesses=[], quorum=0,
                        parties=parties)  # fmt: skip
        ok = verify_receipt(receipt, policy).ok
    (out_dir / "compliance-keys.json").write_text(
        json.dumps({"log": {"origin": ORIGIN, "keys": [log_key.vkey]}, "parties": parties},
                   indent=2),
        encoding="utf-8",
    )  # fmt: skip
    trust = trust_over_time(verdicts)
    section = section_data(report, trust)
    html = render_section(section)
    (out_dir / "compliance-section.html").write_text(html, encoding="utf-8")
    counts: dict[str, int] = {}
    for ob in report.obligations:
        for period in ob.periods:
            counts[period.verdict] = counts.get(period.verdict, 0) + 1
    result = DemoResult(
        caveat=CAVEAT,
        ledger=str(db),
        commitment=commitment_id(commitment),
        dataset_record=imported.record_index,
        verdict_indexes=added,
        receipt=str(receipt_path) if receipt_path else None,
        receipt_verified=ok,
        verdicts=counts,
        section=section,
        section_html=str(out_dir / "compliance-section.html"),
    )
    (out_dir / "compliance.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    # The check itself, as `detente compliance check ... --format json` prints it.
    (out_dir / "compliance-check.json").write_text(
        json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return result
