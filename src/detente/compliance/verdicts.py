"""Signed, verifiable verdicts: each period's verdict as a lifecycle event in the ledger.

A verdict is a :class:`~detente.ledger.commitment.Event` of kind ``fulfilled`` (the period
is over and was kept), ``breached`` (over and breached) or ``compliance_claim`` (anything
else: still running, undetermined, or no data). Its ``note`` is the RFC 8785 canonical
JSON of a ``detente.verdict/v1`` payload (obligation, period, low/best/high, threshold,
comparison, verdict, the full metric definition and each dataset's figures), and its
``evidence`` names the metric and the dataset records used (a definition over 16 KiB, e.g.
with a detailed GeoJSON area, is named by its hash only)::

    metric:sha256:<hex of JCS(metric definition)>
    dataset:<ledger index of the dataset record>:sha256:<hex of the file>

so ``detente verify`` checks the verdict's receipt offline like any other entry, and anyone
holding the dataset file can recompute the measurement.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from detente.compliance.check import ComplianceReport, DatasetEvents
from detente.compliance.metrics import MetricsFile, metric_definition
from detente.errors import VerificationError
from detente.ledger.canonical import canonicalize
from detente.ledger.commitment import Event, event_entry, sign_event
from detente.ledger.log import Ledger
from detente.ledger.note import NoteSigner

__all__ = [
    "VERDICT_FORMAT",
    "RecordedVerdict",
    "read_verdicts",
    "record_verdicts",
    "verdict_events",
]

VERDICT_FORMAT = "detente.verdict/v1"

MAX_DEFINITION_BYTES = 16_384
"""A metric definition larger than this is named by its hash only (entries are <= 64 KiB)."""


class RecordedVerdict(BaseModel):
    """A verdict found in a ledger.

    Attributes:
        index: Its ledger index.
        kind: The event kind (``fulfilled``, ``breached``, ``compliance_claim``).
        commitment: The commitment's id.
        party: The commitment's committing party.
        by: Who recorded it.
        at: When.
        payload: The ``detente.verdict/v1`` payload.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int
    kind: str
    commitment: str
    party: str
    by: str
    at: dt.datetime
    payload: dict[str, Any]

    @property
    def period_start(self) -> dt.date:
        """First day of the period judged."""
        return dt.date.fromisoformat(self.payload["period"]["start"])

    @property
    def period_end(self) -> dt.date:
        """Last day of the period judged."""
        return dt.date.fromisoformat(self.payload["period"]["end"])


def verdict_events(
    report: ComplianceReport,
    mf: MetricsFile,
    data: Sequence[DatasetEvents],
    by: str,
    at: dt.datetime,
) -> list[Event]:
    """One event per obligation and period of ``report`` (see the module docstring).

    Raises:
        VerificationError: if a dataset has no dataset record in a ledger to name.
    """
    for d in data:
        if d.record_index is None:
            raise VerificationError(
                f"{d.label} has no dataset record: import it into the ledger first "
                "(`detente events import`) so the verdict can name it"
            )
    evidence_data = [f"dataset:{d.record_index}:sha256:{d.sha256}" for d in data]
    by_label = {d.label: d for d in data}
    out: list[Event] = []
    for ob in report.obligations:
        definition: dict[str, Any] | None = metric_definition(mf, ob.metric)
        if len(canonicalize(definition)) > MAX_DEFINITION_BYTES:
            definition = None  # a large GeoJSON area: the hash names it, the file holds it
        for p in ob.periods:
            payload = {
                "format": VERDICT_FORMAT,
                "obligation": ob.id,
                "metric": ob.metric,
                "metric_sha256": ob.metric_sha256,
                "metric_definition": definition,
                "period": {"start": p.start.isoformat(), "end": p.end.isoformat()},
                "as_of": report.as_of.isoformat(),
                "verdict": p.verdict,
                "final": p.final,
                "low": p.low,
                "best": p.best,
                "high": p.high,
                "threshold": p.threshold,
                "comparison": p.comparison,
                "headline": p.dataset,
                "disagreement": p.disagreement,
                "datasets": [
                    {
                        "dataset": f.dataset,
                        "version": f.version,
                        "record_index": by_label[f"{f.dataset} {f.version}"].record_index,
                        "sha256": by_label[f"{f.dataset} {f.version}"].sha256,
                        "coverage": f.coverage,
                        "low": f.low,
                        "best": f.best,
                        "high": f.high,
                        "verdict": f.verdict,
                        "events_low": f.events_low,
                        "n_events_low": f.n_events_low,
                        "n_events_possible": f.n_events_possible,
                    }
                    for f in p.datasets
                ],
            }
            if p.final and p.verdict == "kept":
                kind = "fulfilled"
            elif p.final and p.verdict == "breached":
                kind = "breached"
            else:
                kind = "compliance_claim"
            out.append(
                Event.model_validate(
                    {
                        "kind": kind,
                        "commitment": report.commitment,
                        "at": at,
                        "by": by,
                        "note": canonicalize(payload).decode("utf-8"),
                        "evidence": [f"metric:{ob.metric_sha256}", *evidence_data],
                    }
                )
            )
    return out


def _payload(ev: Event) -> dict[str, Any] | None:
    if ev.note is None or not ev.note.startswith("{"):
        return None
    try:
        doc = json.loads(ev.note)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == VERDICT_FORMAT else None


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Same verdict apart from the as-of date."""
    return {k: v for k, v in a.items() if k != "as_of"} == {
        k: v for k, v in b.items() if k != "as_of"
    }


def read_verdicts(led: Ledger) -> list[RecordedVerdict]:
    """Every verdict in the log (entries are verified as they are read), in log order."""
    from detente.ledger.commitment import verify_entry

    parties: dict[str, str] = {}
    out: list[RecordedVerdict] = []
    for index, data, _ in led.storage.iter_entries():
        try:
            doc = json.loads(data)
        except ValueError:
            continue
        kind = doc.get("type") if isinstance(doc, dict) else None
        if kind == "commitment":
            info = verify_entry(data)
            parties[info.id] = str(info.summary["committing_party"])
        elif kind == "event" and '"note":"{' in data.decode("utf-8", "replace"):
            verify_entry(data)
            ev = Event.model_validate(doc["event"])
            payload = _payload(ev)
            if payload is None or ev.commitment not in parties:
                continue
            out.append(
                RecordedVerdict(
                    index=index,
                    kind=ev.kind,
                    commitment=ev.commitment,
                    party=parties[ev.commitment],
                    by=ev.by,
                    at=ev.at,
                    payload=payload,
                )
            )
    return out


def record_verdicts(
    led: Ledger,
    report: ComplianceReport,
    mf: MetricsFile,
    data: Sequence[DatasetEvents],
    signer: NoteSigner,
    by: str,
    at: dt.datetime | None = None,
) -> list[int]:
    """Append each period's verdict, signed by ``by``; return the new entries' indexes.

    A verdict the log already holds from the same signer (same figures and datasets; only
    the as-of date may differ) is not appended again, so a check can be re-run safely.
    """
    when = at or dt.datetime.now(dt.UTC).replace(microsecond=0)
    events = verdict_events(report, mf, data, by, when)
    have = [
        v.payload for v in read_verdicts(led) if v.commitment == report.commitment and v.by == by
    ]
    entries = []
    for ev in events:
        payload = _payload(ev)
        assert payload is not None
        if any(_same(payload, old) for old in have):
            continue
        entries.append(event_entry(ev, [sign_event(ev, signer)]))
    if not entries:
        return []
    first = led.append_many(entries)
    return list(range(first, first + len(entries)))
