"""Checking statements against the record: find what each is about, propose a relation.

The record is every item a statement can be checked against:

* ``position``: an actor's recorded position on a case issue, with its source and quote;
* ``commitment``: a signed commitment in the ledger (verified), with its lifecycle state
  (the last lifecycle event recorded for it);
* ``compliance``: one measured period of an obligation, from the JSON of ``detente
  compliance check ... --format json`` (``start``, ``end``, ``low``, ``best``, ``high``,
  ``threshold``, ``comparison``, ``verdict``).

For each statement the candidate items are those that share its issue or one of its actors,
ranked by text similarity (Okapi BM25 plus, with an embedder, cosine similarity of sentence
embeddings). Then one rule, the first that applies, proposes a relation with its evidence:

1. ``event-claim``: a factual claim about violence ("no attacks this month", "attacks
   continue") against the compliance period that contains the statement's date: a claim
   of none against a ``breached`` period is ``contradicted``, against ``kept`` it is
   ``consistent``; the reverse for a claim that attacks go on; otherwise ``unsupported``.
2. ``relevance``: a statement calls a party's demand "unrelated" (or irrelevant) while
   the record holds that party's sourced position on the statement's issue, which it cares
   about (salience >= 0.5): ``misrepresents``.
3. ``existence``: a statement says a party "never promised" while the ledger holds a
   commitment signed by that party: ``misrepresents``.
4. ``truth``: a statement calls accounts of violence false ("baseless", "disinformation")
   while a measured period that contains its date is ``breached``: ``contradicted``.
5. ``judgement``: feasibility or legitimacy terms ("unrealistic", "non-negotiable") are
   judgements no record item decides: ``unsupported``, with the items listed.
6. ``stance``: a speaker's DEMAND or REJECT on an issue where the record holds its own
   position: ``consistent`` when the recorded positions agree with the stance (a demand
   above the status quo; a rejection of a party whose recorded position is at least a
   fifth of the scale away), else ``unsupported``.
7. otherwise ``unsupported`` when some item was found and the statement names an issue or
   shares a word with it, ``not about the record`` when not.

The rules name no party: they read only the roles (speaker, target, committing party) of
the ids they meet, so swapping two parties' labels everywhere swaps the results.
Proposals are never verdicts: :mod:`detente.statements.entries` records a reviewer's
decision on each.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from detente import boundedjson
from detente.case.model import Case
from detente.errors import CaseError, Diagnostic, StorageError, VerificationError
from detente.inputs import read_bounded
from detente.statements.coder import StatementCode
from detente.statements.embed import Embedder
from detente.statements.model import Statement
from detente.statements.rules import characterisations
from detente.statements.search import BM25

__all__ = [
    "CheckResult",
    "ProposalData",
    "Record",
    "RecordItem",
    "check_statements",
    "compliance_items",
    "ledger_items",
    "measured_range",
    "position_items",
    "read_compliance",
]

_MAX_COMPLIANCE_BYTES = 20 * 1024 * 1024
_CHUNK = 256
_VIOLENCE = r"(?:cross-border )?(?:attacks?|incidents?|violence|strikes?|infiltration)"
_NONE_CLAIM = re.compile(
    rf"\b(?:no|zero|not a single|not one|never any)\s+(?:\w+\s+){{0,2}}{_VIOLENCE}"
    rf"|\b{_VIOLENCE}\s+(?:have|has)?\s*(?:stopped|ceased|ended)\b",
    re.IGNORECASE,
)
_SOME_CLAIM = re.compile(
    rf"\b{_VIOLENCE}\s+(?:\w+\s+){{0,2}}(?:continue[sd]?|keep|rose|increased|go on|persist)\b"
    r"|\b(?:keep|continue[sd]?)\s+(?:to\s+)?(?:launch|carry out|mount)\w*\s+(?:\w+\s+){0,2}attacks",
    re.IGNORECASE,
)
_VIOLENCE_WORD = re.compile(rf"\b{_VIOLENCE}\b|\bterror\w*|\bmilitan\w*", re.IGNORECASE)


class RecordItem(TypedDict):
    """One thing of the record a statement can be checked against."""

    id: str
    kind: str  # position | commitment | compliance
    actor: str | None
    issues: list[str]
    text: str
    source: dict[str, Any] | None
    details: dict[str, Any]


class ProposalData(TypedDict):
    """A proposed relation and what it rests on (see :class:`entries.Proposal`)."""

    relation: str
    items: list[str]
    rule: str
    evidence: str


class CheckResult(TypedDict):
    """The check of one statement (the JSON of ``detente statements check``)."""

    id: str
    speaker: str | None
    target: list[str]
    issue: str | None
    plover: str
    proposal: ProposalData
    items: list[RecordItem]


class Record:
    """The record items, indexed for retrieval."""

    def __init__(self, items: Sequence[RecordItem], embedder: Embedder | None = None) -> None:
        self.items = list(items)
        self.bm25 = BM25([i["text"] for i in self.items])
        self.embedder = embedder
        self.emb = embedder.encode([i["text"] for i in self.items]) if embedder else None
        self.by_actor: dict[str | None, list[int]] = {}
        self.by_issue: dict[str, list[int]] = {}
        self.by_id = {it["id"]: k for k, it in enumerate(self.items)}
        self.compliance = [k for k, it in enumerate(self.items) if it["kind"] == "compliance"]
        for k, it in enumerate(self.items):
            self.by_actor.setdefault(it["actor"], []).append(k)
            for iss in it["issues"]:
                self.by_issue.setdefault(iss, []).append(k)


def _anchor_label(case: Case, issue_id: str, value: float | None) -> str:
    if value is None:
        return ""
    anchors = case.issue(issue_id).scale.anchors
    if not anchors:
        return ""
    best = min(anchors, key=lambda a: abs(a.value - value))
    return best.label


def position_items(case: Case) -> list[RecordItem]:
    """Every recorded position of the case, with its source."""
    out: list[RecordItem] = []
    for p in case.positions:
        actor = case.actor(p.actor)
        issue = case.issue(p.issue)
        est = p.position
        src_id = est.source if est is not None else p.salience.source
        source: dict[str, Any] | None = None
        if src_id is not None:
            try:
                s = case.source(src_id)
                source = {"id": s.id, "citation": s.citation, "kind": s.kind, "bias": s.bias}
            except KeyError:
                source = {"id": src_id}
            if est is not None and est.quote:
                source["quote"] = est.quote
        words = [
            f"{actor.name} on {issue.question}",
            _anchor_label(case, p.issue, est.value if est else None),
            (est.quote or est.note or "") if est else "",
        ]
        sq = issue.status_quo.value if issue.status_quo is not None else None
        out.append(
            RecordItem(
                id=f"position:{p.actor}:{p.issue}",
                kind="position",
                actor=p.actor,
                issues=[p.issue],
                text=". ".join(w for w in words if w),
                source=source,
                details={
                    "position": est.value if est else None,
                    "range": list(est.range) if est and est.range else None,
                    "salience": p.salience.value,
                    "status_quo": sq,
                    "scale": [issue.scale.min, issue.scale.max],
                },
            )
        )
    return out


def ledger_items(path: str | Path) -> list[RecordItem]:
    """The commitments of a ledger, each verified, with its last lifecycle event.

    Raises:
        StorageError: if the ledger cannot be opened.
        VerificationError: if an entry does not verify (the record must be sound).
    """
    from detente.ledger.commitment import SignedCommitment, commitment_id
    from detente.ledger.entries import verify_entry
    from detente.ledger.log import Ledger

    led = Ledger.open(path)
    try:
        commitments: dict[str, SignedCommitment] = {}
        state: dict[str, dict[str, Any]] = {}
        for index, data, _ in led.storage.iter_entries():
            info = verify_entry(data)
            if info.type == "commitment":
                sc = SignedCommitment.model_validate(json.loads(data)["signed"])
                commitments[commitment_id(sc.commitment)] = sc
            elif info.type == "event":
                state[info.id] = {**info.summary, "entry": index}
    finally:
        led.close()
    out: list[RecordItem] = []
    for cid, sc in commitments.items():
        c = sc.commitment
        obligations = "; ".join(o.text for o in c.obligations)
        out.append(
            RecordItem(
                id=f"commitment:{cid}",
                kind="commitment",
                actor=c.committing_party,
                issues=list(c.issues),
                text=f"{c.text} {obligations}",
                source={"id": cid, "citation": f"ledger commitment {c.id}", "kind": "ledger"},
                details={
                    "commitment": c.id,
                    "label": c.label,
                    "signed_by": [s.actor for s in sc.signatures],
                    "countersigned_by": [s.actor for s in sc.countersignatures],
                    "state": state.get(cid, {}).get("kind", "signed"),
                    "beneficiaries": list(c.beneficiaries),
                    "start": c.start.isoformat(),
                    "end": c.end.isoformat() if c.end else None,
                },
            )
        )
    return out


_PERIOD_KEYS = ("start", "end", "low", "best", "high", "threshold", "comparison", "verdict")
_VERDICTS = ("kept", "breached", "undetermined", "no data")


def _obligations(doc: Any) -> list[tuple[str, dict[str, Any], list[Any]]]:
    """(obligation id, its fields, its periods) from the accepted shapes of the JSON."""
    if isinstance(doc, Mapping) and "obligations" in doc:
        doc = doc["obligations"]
    if isinstance(doc, Mapping):
        out: list[tuple[str, dict[str, Any], list[Any]]] = []
        for k, v in doc.items():
            if isinstance(v, list):
                out.append((str(k), {}, v))
            elif isinstance(v, Mapping):
                out.append((str(k), {}, list(v.get("periods", []))))
            else:
                raise CaseError(
                    f"obligation {k!s}: expected a list of periods or an object with `periods`; "
                    "give the output of `detente compliance check ... --format json`"
                )
        return out
    if isinstance(doc, list):
        out = []
        for k, ob in enumerate(doc):
            if not isinstance(ob, Mapping):
                raise CaseError(f"obligation {k}: expected an object with `periods`")
            oid = str(ob.get("obligation") or ob.get("id") or k)
            out.append((oid, dict(ob), list(ob.get("periods", []))))
        return out
    raise CaseError("compliance JSON: expected an object or a list of obligations")


def measured_range(period: Mapping[str, Any]) -> str:
    """A measured period's interval in words: ``2-5``, or ``at least 2 (no upper bound)``.

    ``high`` is null where the measurement is open-ended (events that may belong to the
    period without a bound on their number); printing it as a number would invent one.
    """
    low, high = period["low"], period["high"]
    if high is None:
        return f"at least {low:g} (no upper bound)"
    if high == low:
        return f"{low:g}"
    return f"{low:g}-{high:g}"


def read_compliance(path: str | Path, default_actor: str | None = None) -> list[RecordItem]:
    """Measured periods from the JSON of ``detente compliance check ... --format json``.

    Each obligation may carry ``committing_party`` (or ``actor``), ``issues``, ``text`` and
    ``metric``; at the top level, ``commitment`` and ``committing_party`` apply to all.

    Raises:
        CaseError: listing every malformed period (missing key, bad date, unknown verdict,
            a non-finite number).
    """
    p = Path(path)
    try:
        doc = boundedjson.loads(
            read_bounded(p, _MAX_COMPLIANCE_BYTES, "compliance file").decode("utf-8")
        )
    except UnicodeDecodeError:
        raise CaseError(f"{p}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise CaseError(
            f"{p}: not valid JSON",
            [Diagnostic(exc.msg, str(p), exc.lineno, exc.colno, code=boundedjson.error_code(exc))],
        ) from None
    top = doc if isinstance(doc, Mapping) else {}
    top_actor = top.get("committing_party") or default_actor
    problems: list[Diagnostic] = []
    out: list[RecordItem] = []
    for oid, ob, periods in _obligations(doc):
        actor = ob.get("committing_party") or ob.get("actor") or top_actor
        raw_issues = ob.get("issues", top.get("issues")) or []
        issues = [str(i) for i in raw_issues] if isinstance(raw_issues, list) else []
        for k, per in enumerate(periods):
            where = f"obligation {oid}, period {k}"
            if not isinstance(per, Mapping):
                problems.append(Diagnostic(f"{where}: expected an object", str(p)))
                continue
            missing = [key for key in _PERIOD_KEYS if key not in per]
            if missing:
                problems.append(Diagnostic(f"{where}: missing {missing}", str(p)))
                continue
            try:
                start = dt.date.fromisoformat(str(per["start"]))
                end = dt.date.fromisoformat(str(per["end"]))
            except ValueError:
                problems.append(Diagnostic(f"{where}: dates must be YYYY-MM-DD", str(p)))
                continue
            # `high` is null where the measurement is unbounded (events that may belong to
            # the period without a bound on their number), as `compliance check` writes it.
            nums = [per[key] for key in ("low", "best", "threshold")]
            if per["high"] is not None:
                nums.append(per["high"])
            if not all(
                isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v)
                for v in nums
            ):
                problems.append(
                    Diagnostic(
                        f"{where}: low/best/threshold must be finite numbers, high a finite "
                        "number or null (unbounded)",
                        str(p),
                    )
                )
                continue
            if per["verdict"] not in _VERDICTS:
                problems.append(
                    Diagnostic(
                        f"{where}: unknown verdict {per['verdict']!r}",
                        str(p),
                        expected=", ".join(_VERDICTS),
                    )
                )
                continue
            metric = ob.get("metric") or ""
            text = (
                f"{ob.get('text') or oid} {metric.replace('_', ' ')}: measured "
                f"{measured_range(per)} (best {per['best']}) "
                f"against {per['comparison']} "
                f"{per['threshold']} from {start} to {end}, {per['verdict']}; attacks events"
            )
            out.append(
                RecordItem(
                    id=f"compliance:{oid}:{start.isoformat()}",
                    kind="compliance",
                    actor=str(actor) if actor else None,
                    issues=issues,
                    text=text,
                    source={
                        "id": f"compliance:{oid}",
                        "citation": f"compliance measurement of {oid} ({p.name})",
                        "kind": "dataset",
                    },
                    details={
                        "obligation": oid,
                        "start": start.isoformat(),
                        "end": end.isoformat(),
                        **{key: per[key] for key in ("low", "best", "high", "threshold")},
                        "comparison": per["comparison"],
                        "verdict": per["verdict"],
                        "commitment": ob.get("commitment") or top.get("commitment"),
                    },
                )
            )
    if problems:
        raise CaseError(f"{p}: {len(problems)} problem(s) in the compliance file", problems)
    return out


def compliance_items(path: str | Path, default_actor: str | None = None) -> list[RecordItem]:
    """Alias of :func:`read_compliance` (the record's third kind of item)."""
    return read_compliance(path, default_actor)


def _period_for(record: Record, date: dt.date | None, actors: Sequence[str]) -> RecordItem | None:
    """The measured period that contains ``date`` (else the latest that ended before it).

    Only obligations of the statement's actors (or of no stated party) count.
    """
    periods = [
        i
        for i in (record.items[k] for k in record.compliance)
        if i["actor"] is None or i["actor"] in actors
    ]
    if not periods:
        return None
    if date is None:
        return max(periods, key=lambda i: str(i["details"]["end"]))
    inside = [
        i
        for i in periods
        if dt.date.fromisoformat(i["details"]["start"])
        <= date
        <= dt.date.fromisoformat(i["details"]["end"])
    ]
    if inside:
        return sorted(inside, key=lambda i: i["id"])[0]
    before = [i for i in periods if dt.date.fromisoformat(i["details"]["end"]) < date]
    return max(before, key=lambda i: str(i["details"]["end"])) if before else None


def _ranked(
    record: Record,
    bm25_row: np.ndarray[Any, Any],
    actors: Sequence[str],
    issue: str | None,
    emb: np.ndarray[Any, Any] | None,
    limit: int = 5,
) -> tuple[list[int], float]:
    """Candidate items, best first, and the best raw BM25 score (0: no word in common)."""
    cand: set[int] = set()
    for a in actors:
        cand.update(record.by_actor.get(a, []))
    if issue is not None:
        cand.update(record.by_issue.get(issue, []))
    cand.update(record.compliance)
    if not cand:
        return [], 0.0
    idx = np.asarray(sorted(cand))
    s = bm25_row[idx]
    raw = float(s.max())
    if s.max() > 0:
        s = s / s.max()
    if emb is not None and record.emb is not None:
        s = s + record.emb[idx] @ emb
    same_issue = np.isin(idx, record.by_issue.get(issue, [])) if issue is not None else False
    mine = [k for a in actors for k in record.by_actor.get(a, [])]
    boost = np.asarray(same_issue, dtype=float) + np.isin(idx, mine)
    order = np.lexsort((idx, -(s + boost)))
    return [int(idx[o]) for o in order[:limit]], raw


def _pos(record: Record, actor: str | None, issue: str | None) -> RecordItem | None:
    if actor is None or issue is None:
        return None
    for k in record.by_actor.get(actor, []):
        it = record.items[k]
        if it["kind"] == "position" and issue in it["issues"]:
            return it
    return None


def _propose(
    st: Statement,
    code: StatementCode,
    speaker: str | None,
    targets: list[str],
    issue: str | None,
    record: Record,
    found: list[RecordItem],
    parties: Sequence[str],
    overlap: float,
) -> ProposalData:
    text = st.text
    chars = characterisations(text)
    claims = {c for _, c, _ in chars}
    # 1. factual claims about violence against the measured period of the statement's date
    none_claim, some_claim = _NONE_CLAIM.search(text), _SOME_CLAIM.search(text)
    if none_claim or some_claim:
        period = _period_for(record, st.date, [a for a in [speaker, *targets] if a])
        if period is not None:
            verdict = period["details"]["verdict"]
            said = (none_claim or some_claim).group(0)  # type: ignore[union-attr]
            where = (
                f"measured {measured_range(period['details'])} from "
                f"{period['details']['start']} to {period['details']['end']}: {verdict}"
            )
            if verdict in ("kept", "breached"):
                says_none = none_claim is not None
                agrees = (verdict == "kept") == says_none
                return ProposalData(
                    relation="consistent" if agrees else "contradicted",
                    items=[period["id"]],
                    rule="event-claim",
                    evidence=f"the statement says \u201c{said}\u201d; {where}",
                )
            return ProposalData(
                relation="unsupported",
                items=[period["id"]],
                rule="event-claim",
                evidence=(
                    f"the statement says \u201c{said}\u201d; the measurement cannot decide "
                    f"({where})"
                ),
            )
    others = [t for t in targets if t != speaker] or [
        p for p in parties if p != speaker and p in record.by_actor
    ]
    # 2. relevance: calling a recorded position "unrelated" to the issue it is about
    if "relevance" in claims:
        for t in others:
            pos = _pos(record, t, issue)
            if pos is not None and pos["source"] is not None and pos["details"]["salience"] >= 0.5:
                term = next(w for w, c, _ in chars if c == "relevance")
                return ProposalData(
                    relation="misrepresents",
                    items=[pos["id"]],
                    rule="relevance",
                    evidence=(
                        f"the statement calls {t}'s demand \u201c{term}\u201d; the record holds "
                        f"{t}'s position on '{issue}' (salience {pos['details']['salience']:g}, "
                        f"source {pos['source'].get('id')})"
                    ),
                )
    # 3. existence: "never promised" against a commitment the party signed
    if "existence" in claims:
        for t in others:
            for k in record.by_actor.get(t, []):
                it = record.items[k]
                if it["kind"] == "commitment" and t in it["details"]["signed_by"]:
                    return ProposalData(
                        relation="misrepresents",
                        items=[it["id"]],
                        rule="existence",
                        evidence=(
                            f"the statement says {t} made no commitment; the ledger holds "
                            f"commitment {it['details']['commitment']} signed by {t} "
                            f"(state: {it['details']['state']})"
                        ),
                    )
    # 4. truth: calling accounts of violence false against a breached period
    if "truth" in claims and _VIOLENCE_WORD.search(text):
        period = _period_for(record, st.date, [a for a in [speaker, *targets] if a])
        if period is not None and period["details"]["verdict"] == "breached":
            term = next(w for w, c, _ in chars if c == "truth")
            return ProposalData(
                relation="contradicted",
                items=[period["id"]],
                rule="truth",
                evidence=(
                    f"the statement calls accounts of violence \u201c{term}\u201d; measured "
                    f"{measured_range(period['details'])} from "
                    f"{period['details']['start']} to {period['details']['end']}: breached"
                ),
            )
    ids = [i["id"] for i in found]
    # 5. judgements no record item decides
    if claims & {"feasibility", "legitimacy", "truth"}:
        term = next(w for w, c, _ in chars if c in ("feasibility", "legitimacy", "truth"))
        return ProposalData(
            relation="unsupported",
            items=ids[:3],
            rule="judgement",
            evidence=(
                f"\u201c{term}\u201d is a judgement; the record holds positions and measurements, "
                "not a ruling on it"
            ),
        )
    # 6. the speaker's own stance against its recorded position
    own = _pos(record, speaker, issue)
    if own is not None and code["plover"] in ("DEMAND", "REJECT"):
        d = own["details"]
        lo, hi = d["scale"]
        width = hi - lo
        pos = d["position"]
        if code["plover"] == "DEMAND" and pos is not None and d["status_quo"] is not None:
            agrees = pos - d["status_quo"] >= 0.1 * width
            why = f"recorded position {pos:g} against status quo {d['status_quo']:g}"
        else:
            other = next((_pos(record, t, issue) for t in others if _pos(record, t, issue)), None)
            opos = other["details"]["position"] if other is not None else None
            agrees = pos is not None and opos is not None and abs(pos - opos) >= 0.2 * width
            why = f"recorded positions {pos} and {opos} on a scale of {width:g}"
        return ProposalData(
            relation="consistent" if agrees else "unsupported",
            items=[own["id"]] + ([] if agrees else ids[:2]),
            rule="stance",
            evidence=f"{code['plover']} by {speaker} on '{issue}'; {why}",
        )
    if found and (issue is not None or overlap > 0):
        return ProposalData(
            relation="unsupported",
            items=ids[:3],
            rule="no-rule",
            evidence="record items were found, but no rule decides the statement against them",
        )
    return ProposalData(
        relation="not about the record",
        items=[],
        rule="no-item",
        evidence="the statement names no issue and shares no word with any record item",
    )


def check_statements(
    statements: Sequence[Statement],
    codes: Sequence[StatementCode],
    record: Record,
    speakers: Mapping[str, str | None],
    parties: Sequence[str],
) -> list[CheckResult]:
    """Propose a relation to the record for every statement (see the module docstring).

    Args:
        statements: The statements.
        codes: Their codes, in the same order.
        record: The record to check against.
        speakers: Statement id to the actor it speaks for (None for an unlinked outlet).
        parties: The case's parties (used when a statement names no target).
    """
    if len(statements) != len(codes):
        raise VerificationError("one code per statement is needed")
    embs = record.embedder.encode([s.text for s in statements]) if record.embedder else None
    out: list[CheckResult] = []
    bm25: np.ndarray[Any, Any] = np.zeros((0, len(record.items)))
    for k, (st, code) in enumerate(zip(statements, codes, strict=True)):
        if k % _CHUNK == 0:  # BM25 for a chunk of statements at once, bounded memory
            bm25 = record.bm25.scores([s.text for s in statements[k : k + _CHUNK]])
        speaker = speakers.get(st.id)
        targets = list(st.target) or [t for t in code["target"] if t != speaker]
        issue = st.issue or code["issue"]
        actors = [a for a in [speaker, *targets] if a is not None]
        ranked, overlap = _ranked(
            record, bm25[k % _CHUNK], actors, issue, embs[k] if embs is not None else None
        )
        found = [record.items[i] for i in ranked]
        prop = _propose(st, code, speaker, targets, issue, record, found, parties, overlap)
        shown = {i["id"]: i for i in found}
        for iid in prop["items"]:
            if iid not in shown:
                shown[iid] = record.items[record.by_id[iid]]
        ordered = [shown[i] for i in prop["items"]] + [
            v for key, v in shown.items() if key not in prop["items"]
        ]
        out.append(
            CheckResult(
                id=st.id,
                speaker=speaker,
                target=targets,
                issue=issue,
                plover=code["plover"],
                proposal=prop,
                items=ordered[:5],
            )
        )
    return out


def load_record(
    case: Case,
    ledger: str | Path | None = None,
    compliance: Sequence[str | Path] = (),
    embedder: Embedder | None = None,
) -> Record:
    """The record of a case: its positions, a ledger's commitments, compliance files."""
    items = position_items(case)
    if ledger is not None:
        try:
            items += ledger_items(ledger)
        except StorageError:
            raise
    parties = [a.id for a in case.actors if a.role == "party"]
    for c in compliance:
        default = parties[0] if len(parties) == 1 else None
        items += read_compliance(c, default)
    return Record(items, embedder)
