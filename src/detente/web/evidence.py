"""Compliance and statements in the workspace: events, metrics, verdicts, statements, reviews.

A thin layer over :mod:`detente.events`, :mod:`detente.compliance` and
:mod:`detente.statements`: it stores what a team uploads (events files go into the ledger's
events tables through :func:`detente.events.import_events`; metrics and statements files are
kept per case in the workspace database), and turns every signed record the ledger takes (a
dataset record, the verdicts of a commitment, a statement review) into a *pending
signature*: the server builds the exact record with the library, hands the exact bytes to
the signer (the mediator's browser, WebCrypto Ed25519, or any client holding the key), checks
the signatures that come back against the key the account registered, and only then lets
the library build and append the entry.

The server never holds a private key: :func:`handed_signer` is a
:class:`~detente.ledger.note.NoteSigner` whose "private key" only hands back signatures the
key's holder made, for exactly the messages they signed, so the library's own signing paths
(``dataset_entry``, ``record_verdicts``, ``sign_review``) run unchanged; asked to sign any
other bytes, it refuses.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import json
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from detente.errors import CaseError, DetenteError, Diagnostic, StorageError, VerificationError
from detente.ledger.entries import check_signature
from detente.ledger.keyreg import normalize_key
from detente.ledger.log import Ledger
from detente.ledger.note import NoteSigner, parse_verifier_key

if TYPE_CHECKING:
    from detente.compliance.check import ComplianceReport, DatasetEvents
    from detente.compliance.metrics import MetricsFile
    from detente.web.workspace import Principal, Workspace

__all__ = ["MAX_EVENTS_BYTES", "MAX_STATEMENTS_BYTES", "Evidence", "handed_signer"]

MAX_EVENTS_BYTES = 3_500_000
"""Largest events file accepted in one upload (under the request limit)."""

MAX_STATEMENTS_BYTES = 2_000_000
"""Largest statements file accepted in one upload."""

MAX_METRICS_BYTES = 1_000_000
"""Largest metrics file accepted."""

SIGNED_KINDS = ("dataset", "verdicts", "review")
"""What a pending signature can become: a dataset record, a commitment's verdicts, a review."""


class _Capture:
    """Stands in for a private key to learn the exact bytes the library would sign."""

    def __init__(self, public: Ed25519PublicKey) -> None:
        self._public = public
        self.messages: list[bytes] = []

    def public_key(self) -> Ed25519PublicKey:
        return self._public

    def sign(self, data: bytes) -> bytes:
        self.messages.append(bytes(data))
        return bytes(64)


class _Handed:
    """Stands in for a private key the server never has.

    It hands back signatures made by the key's holder, for exactly the messages they
    signed, and refuses anything else.
    """

    def __init__(self, public: Ed25519PublicKey, sigs: Mapping[bytes, bytes]) -> None:
        self._public = public
        self._sigs = dict(sigs)

    def public_key(self) -> Ed25519PublicKey:
        return self._public

    def sign(self, data: bytes) -> bytes:
        sig = self._sigs.get(bytes(data))
        if sig is None:
            raise VerificationError(
                "the record changed since it was prepared (new data or verdicts): prepare and "
                "sign it again"
            )
        return sig


def _signer(vkey: str, key: _Capture | _Handed) -> NoteSigner:
    s = NoteSigner(parse_verifier_key(vkey).name, cast(Any, key))
    if normalize_key(s.vkey) != normalize_key(vkey):
        raise VerificationError("the verifier key does not round-trip")
    return s


def _public(vkey: str) -> Ed25519PublicKey:
    v = parse_verifier_key(vkey)
    if v.alg != 0x01:
        raise VerificationError("records are signed with Ed25519 keys (type 0x01)")
    return Ed25519PublicKey.from_public_bytes(v.public_key)


def capture_signer(vkey: str) -> tuple[NoteSigner, _Capture]:
    """A signer that records what it is asked to sign (its signatures are zeros)."""
    cap = _Capture(_public(vkey))
    return _signer(vkey, cap), cap


def handed_signer(vkey: str, sigs: Mapping[bytes, bytes]) -> NoteSigner:
    """A :class:`NoteSigner` for ``vkey`` that only hands back the signatures ``sigs``.

    Args:
        vkey: The signer's verifier key (registered in the ledger for its actor).
        sigs: Message -> raw Ed25519 signature, made by the key's holder.
    """
    return _signer(vkey, _Handed(_public(vkey), sigs))


@contextmanager
def uploaded(name: str, data: bytes, prefix: str = "detente-upload-") -> Iterator[Path]:
    """The upload as a file named ``name`` in a private temporary folder.

    A library error about it names the file as uploaded, never the server's folder.
    """
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            yield path
        except DetenteError as exc:
            exc.message = exc.message.replace(str(path), name).replace(tmp, "")
            exc.items = [
                dataclasses.replace(
                    d,
                    file=name if d.file and d.file.endswith(name) else d.file,
                    message=d.message.replace(str(path), name),
                )
                for d in exc.items
            ]
            exc.args = (exc.message,)
            raise


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(float(ts), dt.UTC).isoformat(timespec="seconds")


def _now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _bad(
    message: str, code: str, expected: str | None = None, file: str | None = None
) -> CaseError:
    return CaseError(message, [Diagnostic(message, file, expected=expected, code=code)])


class Evidence:
    """Compliance and statements of a workspace's cases (see the module docstring).

    Args:
        ws: The workspace.
        embedder: The statement coder's embedder (``detente.statements.run.EMBEDDERS``;
            ``auto``: the static MiniLM embedder when installed). The coder's model is
            fitted once per server process, on the first statements page it codes.
    """

    def __init__(self, ws: Workspace, embedder: str = "auto") -> None:
        self.ws = ws
        self.embedder = embedder
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    # -- helpers ---------------------------------------------------------------------------
    def _cached(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = make()
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > 64:
                self._cache.pop(next(iter(self._cache)))
        return value

    def _entry_bytes(self, index: int) -> bytes:
        def read(led: Ledger) -> bytes:
            return led.entry(index)

        return self.ws._led(read)

    def _ledger_size(self) -> int:
        return self.ws._led(lambda led: led.size)

    def signer_actors(self, p: Principal, case_id: str) -> list[str]:
        """The case's mediator actors ``p`` may sign records for (verdicts, reviews, data)."""
        from detente.web.workspace import REGISTRAR

        if not self.ws.can(p, "record_verdict", case_id):
            return []
        case = self.ws.case(p, case_id)[0]
        mediators = {a.id for a in case.actors if a.role == "mediator"}
        return sorted((self.ws._signing_actors(p, case_id, case) & mediators) - {REGISTRAR})

    def _check_actor(self, p: Principal, case_id: str, actor: str) -> None:
        if not actor:
            raise _bad("choose the actor who signs", "missing-field", "a mediator actor")
        if actor not in self.signer_actors(p, case_id):
            from detente.web.workspace import Forbidden

            raise Forbidden(
                f"{p.username} may not sign records as {actor!r} on {case_id} "
                "(a mediator signs as one of the case's mediator actors)"
            )

    def _my_key(self, p: Principal, case_id: str, actor: str) -> str:
        row = self.ws.db.one(
            "SELECT vkey FROM web_keys WHERE username = ? AND case_id = ? AND actor = ? "
            "ORDER BY created DESC LIMIT 1",
            (p.username, case_id, actor),
        )
        if row is None:
            raise VerificationError(
                f"{p.username} has no key registered for {actor} on {case_id}; register one "
                "on the keys page first"
            )
        return str(row[0])

    # -- metrics ---------------------------------------------------------------------------
    def put_metrics(self, p: Principal, case_id: str, filename: str, data: bytes) -> dict[str, Any]:
        """Store a case's metrics file (checked with :func:`parse_metrics_text` first)."""
        from detente.compliance.metrics import parse_metrics_text
        from detente.web.workspace import _safe_filename

        self.ws.require(p, "metrics", case_id)
        self.ws.case(p, case_id)
        name = _safe_filename(filename)
        if len(data) > MAX_METRICS_BYTES:
            raise _bad(f"{name}: over {MAX_METRICS_BYTES:,} bytes", "too-large", file=name)
        text = _utf8(data, name)
        mf = parse_metrics_text(text, name, None)  # located diagnostics on bad input
        with self.ws.db.transaction() as tx:
            tx.execute(
                "INSERT INTO web_metrics(id, case_id, filename, text, author, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (secrets.token_hex(6), case_id, name, text, p.username, _ts()),
            )
            self.ws._audit(tx, p.username, "metrics.upload", case_id, {"file": name})
        return {"file": name, "metrics": sorted(mf.metrics)}

    def metrics(self, case_id: str) -> tuple[MetricsFile, dict[str, Any]] | None:
        """The latest metrics file of a case, parsed, and its row."""
        from detente.compliance.metrics import parse_metrics_text

        row = self.ws.db.one(
            "SELECT filename, text, author, created FROM web_metrics WHERE case_id = ? "
            "ORDER BY created DESC LIMIT 1",
            (case_id,),
        )
        if row is None:
            return None
        mf = self._cached(("metrics", row[1]), lambda: parse_metrics_text(row[1], row[0], None))
        return mf, {
            "file": row[0],
            "author": row[2],
            "created": _iso(row[3]),
            "metrics": sorted(mf.metrics),
        }

    # -- datasets --------------------------------------------------------------------------
    def datasets(self, case_id: str) -> list[dict[str, Any]]:
        """The events datasets imported for a case, with their ledger record."""
        from detente.events.store import EventStore

        mine = {
            int(r[0]): (r[1], _iso(r[2]))
            for r in self.ws.db.query(
                "SELECT record_index, author, created FROM web_datasets WHERE case_id = ?",
                (case_id,),
            )
        }
        if not mine:
            return []
        with EventStore(self.ws.ledger_location) as store:
            imports = store.imports()
        return [
            {
                "record_index": i.record_index,
                "dataset": i.dataset,
                "version": i.version,
                "reader": i.kind,
                "file": i.file,
                "sha256": i.sha256,
                "rows": i.rows,
                "coverage": [
                    i.coverage_start.isoformat() if i.coverage_start else None,
                    i.coverage_end.isoformat() if i.coverage_end else None,
                ],
                "author": mine[i.record_index][0],
                "created": mine[i.record_index][1],
            }
            for i in imports
            if i.record_index in mine
        ]

    def _case_data(self, case_id: str) -> list[DatasetEvents]:
        from detente.compliance.sources import datasets_from_ledger

        sel = [f"{d['dataset']}@{d['version']}" for d in self.datasets(case_id)]
        if not sel:
            return []
        return cast(
            "list[DatasetEvents]",
            self._cached(
                ("data", case_id, tuple(sel)),
                lambda: datasets_from_ledger(self.ws.ledger_location, sel),
            ),
        )

    def prepare_dataset(
        self,
        p: Principal,
        case_id: str,
        filename: str,
        data: bytes,
        dataset: str,
        version: str,
        actor: str,
        coverage: tuple[dt.date, dt.date] | None = None,
    ) -> dict[str, Any]:
        """Read an events file and prepare its signed dataset record (or link an import).

        The file is read with the reader its dataset name implies (``ucdp-ged*``,
        ``acled*``, else the plain events reader), so a bad file is refused at once with
        every problem located. A dataset version already imported from the same file is
        linked to the case without a new record.

        Returns:
            ``{"linked": index}`` or the pending signature (see :meth:`pending`).
        """
        from detente.events.importer import file_sha256, reader_for
        from detente.events.readers import read_events
        from detente.events.records import DatasetRecord, dataset_entry
        from detente.events.store import EventStore
        from detente.web.workspace import _safe_filename

        self.ws.require(p, "import_events", case_id)
        self.ws.case(p, case_id)
        name = _safe_filename(filename)
        for what, value in (("dataset", dataset), ("version", version)):
            if (
                not value
                or len(value) > 64
                or not value.replace("-", "").replace(".", "").replace("_", "").isalnum()
            ):
                raise _bad(
                    f"bad {what} name {value!r}",
                    f"bad-{what}",
                    "letters, digits, '-', '_' or '.', at most 64",
                )
        if len(data) > MAX_EVENTS_BYTES:
            raise _bad(f"{name}: over {MAX_EVENTS_BYTES:,} bytes", "too-large", file=name)
        self._check_actor(p, case_id, actor)
        vkey = self._my_key(p, case_id, actor)
        with uploaded(name, data, "detente-events-") as path:
            sha = file_sha256(path)
            with EventStore(self.ws.ledger_location) as store:
                existing = store.find(dataset, version)
            if existing is not None:
                if existing.sha256 != sha:
                    raise StorageError(
                        f"{dataset} {version} was already imported from another file; a "
                        "corrected file is a new version: import it with another version"
                    )
                self._link_dataset(p, case_id, existing.record_index)
                return {"linked": existing.record_index}
            events, summary = read_events(path, reader_for(dataset))
        cov = coverage or events.coverage()
        if cov is not None and cov[1] < cov[0]:
            raise _bad(f"coverage {cov[0]}/{cov[1]} ends before it starts", "bad-coverage")
        # The record import_events will write for this file, signed by ``actor``.
        record = DatasetRecord(
            dataset=dataset,
            version=version,
            reader=cast(Any, events.kind),
            file=name,
            sha256=sha,
            rows=len(events),
            rows_read=summary.rows_read,
            coverage_start=cov[0] if cov else None,
            coverage_end=cov[1] if cov else None,
            importer=actor,
            imported_at=_now_utc(),
        )
        signer, cap = capture_signer(vkey)
        dataset_entry(record, signer)
        body = {
            "record": record.model_dump(mode="json"),
            "file_b64": base64.b64encode(data).decode("ascii"),
            "coverage": [c.isoformat() for c in cov] if cov else None,
            "summary": {"rows": len(events), "rows_read": summary.rows_read},
        }
        return self._new_pending(
            p, case_id, "dataset", actor, vkey, body, cap.messages, f"{dataset} {version}"
        )

    def _link_dataset(self, p: Principal, case_id: str, index: int) -> None:
        with self.ws.db.transaction() as tx:
            if not tx.query(
                "SELECT 1 FROM web_datasets WHERE case_id = ? AND record_index = ?",
                (case_id, index),
            ):
                tx.execute(
                    "INSERT INTO web_datasets(case_id, record_index, author, created) "
                    "VALUES (?, ?, ?, ?)",
                    (case_id, index, p.username, _ts()),
                )
            self.ws._audit(tx, p.username, "events.link", case_id, {"record": index})
            _entry(tx, index, case_id, "dataset")

    # -- compliance ------------------------------------------------------------------------
    def commitments(self, p: Principal, case_id: str) -> list[dict[str, Any]]:
        """The case's commitments in the ledger: (ledger index, name, commitment)."""
        from detente.ledger.commitment import SignedCommitment

        out = []
        for did, index in self.ws.db.query(
            "SELECT id, ledger_index FROM web_drafts WHERE case_id = ? AND ledger_index IS NOT "
            "NULL ORDER BY ledger_index",
            (case_id,),
        ):
            data = self._entry_bytes(int(index))
            sc = SignedCommitment.model_validate(json.loads(data)["signed"])
            out.append({"draft": did, "index": int(index), "commitment": sc.commitment})
        return out

    def _report(
        self, p: Principal, case_id: str, index: int, as_of: dt.date | None
    ) -> tuple[ComplianceReport, MetricsFile, list[DatasetEvents]]:
        from detente.compliance.check import check_commitment

        got = next((c for c in self.commitments(p, case_id) if c["index"] == index), None)
        if got is None:
            from detente.web.workspace import NotFound

            raise NotFound(f"no commitment at ledger entry {index} in case {case_id}")
        mf = self.metrics(case_id)
        if mf is None:
            raise _bad("no metrics file for this case: upload one first", "no-metrics")
        data = self._case_data(case_id)
        if not data:
            raise _bad("no events imported for this case: import a file first", "no-events")
        report = check_commitment(got["commitment"], mf[0], data, as_of)
        return report, mf[0], data

    def compliance(
        self, p: Principal, case_id: str, as_of: dt.date | None = None
    ) -> dict[str, Any]:
        """The compliance page: datasets, metrics, each commitment checked, verdicts, trust."""
        from detente.compliance.brief import section_data
        from detente.compliance.trust import trust_over_time
        from detente.compliance.verdicts import read_verdicts
        from detente.errors import DetenteError
        from detente.ledger.commitment import commitment_id

        self.ws.case(p, case_id)
        verdicts = self.ws._led(read_verdicts)
        commitments = self.commitments(p, case_id)
        ids = {commitment_id(c["commitment"]) for c in commitments}
        case_verdicts = [v for v in verdicts if v.commitment in ids]
        series = trust_over_time(case_verdicts)
        checked = []
        for c in commitments:
            item: dict[str, Any] = {
                "index": c["index"],
                "name": c["commitment"].id,
                "committing_party": c["commitment"].committing_party,
                "section": None,
                "error": None,
                "diagnostics": [],
            }
            try:
                report, _, _ = self._report(p, case_id, c["index"], as_of)
                parties = {c["commitment"].committing_party}
                sec = section_data(report, [s for s in series if s.party in parties])
                item["section"] = {
                    **sec,
                    "charts": [{"id": k, "spec": v} for k, v in sec["charts"]],
                }
                item["report"] = report.to_json()
            except DetenteError as exc:
                item["error"] = exc.message
                item["diagnostics"] = [d.to_dict() for d in exc.items]
            checked.append(item)
        metrics = self.metrics(case_id)
        trust_rows = [
            {
                "party": s.party,
                "observations": s.observations,
                **(s.points[-1].model_dump(mode="json") if s.points else {}),
            }
            for s in series
        ]
        return {
            "case_id": case_id,
            "datasets": self.datasets(case_id),
            "metrics": metrics[1] if metrics else None,
            "commitments": checked,
            "verdicts": [
                {
                    "index": v.index,
                    "kind": v.kind,
                    "commitment": v.commitment,
                    "party": v.party,
                    "by": v.by,
                    "at": v.at.isoformat(),
                    "obligation": v.payload.get("obligation"),
                    "period": v.payload.get("period"),
                    "verdict": v.payload.get("verdict"),
                    "final": v.payload.get("final"),
                }
                for v in case_verdicts
            ],
            "trust": trust_rows,
            "signer_actors": self.signer_actors(p, case_id),
            "can_metrics": self.ws.can(p, "metrics", case_id),
            "can_import": self.ws.can(p, "import_events", case_id),
            "can_record": self.ws.can(p, "record_verdict", case_id),
        }

    def prepare_verdicts(
        self, p: Principal, case_id: str, index: int, actor: str, as_of: dt.date | None
    ) -> dict[str, Any]:
        """Prepare the verdicts of one commitment for the mediator ``actor`` to sign.

        The messages are those :func:`~detente.compliance.verdicts.record_verdicts` signs
        (one lifecycle event per obligation and period), learnt by running it against a
        capturing signer on nothing (no entry is written).
        """
        from detente.compliance.verdicts import read_verdicts, verdict_events
        from detente.ledger.commitment import sign_event

        self.ws.require(p, "record_verdict", case_id)
        self._check_actor(p, case_id, actor)
        vkey = self._my_key(p, case_id, actor)
        report, mf, data = self._report(p, case_id, index, as_of)
        at = _now_utc()
        events = verdict_events(report, mf, data, actor, at)
        have = [
            v.payload
            for v in self.ws._led(read_verdicts)
            if v.commitment == report.commitment and v.by == actor
        ]
        signer, cap = capture_signer(vkey)
        for ev in events:
            sign_event(ev, signer)
        new = len(events) - sum(
            1 for ev in events if any(_same_verdict(ev.note or "", old) for old in have)
        )
        if new == 0:
            from detente.web.workspace import Conflict

            raise Conflict("every verdict of this check is already in the ledger")
        body = {
            "index": index,
            "as_of": report.as_of.isoformat(),
            "at": at.isoformat(),
            "report": report.to_json(),
        }
        return self._new_pending(
            p, case_id, "verdicts", actor, vkey, body, cap.messages,
            f"{len(events)} verdict(s) of {report.commitment_name} as of {report.as_of}",
        )  # fmt: skip

    # -- statements ------------------------------------------------------------------------
    def put_statements(
        self, p: Principal, case_id: str, filename: str, data: bytes
    ) -> dict[str, Any]:
        """Record a statements file on a case (checked against the case first)."""
        from detente.statements.io import check_against_case, read_statements
        from detente.web.workspace import _safe_filename

        self.ws.require(p, "record_statement", case_id)
        case = self.ws.case(p, case_id)[0]
        name = _safe_filename(filename)
        if len(data) > MAX_STATEMENTS_BYTES:
            raise _bad(f"{name}: over {MAX_STATEMENTS_BYTES:,} bytes", "too-large", file=name)
        text = _utf8(data, name)
        with uploaded(name, text.encode("utf-8"), "detente-statements-") as path:
            sf = read_statements(path)
            if sf.case is not None and sf.case != case_id:
                raise _bad(
                    f"{name} is about case {sf.case!r}, not {case_id!r}",
                    "wrong-case",
                    case_id,
                    name,
                )
            check_against_case(sf, case, name)
        sid = secrets.token_hex(6)
        with self.ws.db.transaction() as tx:
            tx.execute(
                "INSERT INTO web_statements(id, case_id, filename, text, author, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (sid, case_id, name, text, p.username, _ts()),
            )
            self.ws._audit(
                tx, p.username, "statements.record", case_id,
                {"file": name, "set": sid, "statements": len(sf.statements)},
            )  # fmt: skip
        return {"id": sid, "file": name, "statements": [s.id for s in sf.statements]}

    def _checked(self, p: Principal, case_id: str, sid: str, text: str, name: str) -> Any:
        """Code and check one statements file against the case and the workspace's ledger."""
        from detente.statements.run import check_file

        case, _, meta = self.ws.case(p, case_id)

        def run() -> Any:
            with uploaded(name, text.encode("utf-8"), "detente-statements-") as path:
                return check_file(path, case, str(self.ws.ledger_location), (), self.embedder)

        key = ("statements", sid, meta["version"], self._ledger_size(), self.embedder)
        return self._cached(key, run)

    def statements(self, p: Principal, case_id: str) -> dict[str, Any]:
        """Every recorded statement of a case: its coding, proposal, record items, reviews."""
        from detente.statements.entries import Review

        self.ws.case(p, case_id)
        reviews: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for set_id, st_id, index in self.ws.db.query(
            "SELECT set_id, statement_id, ledger_index FROM web_reviews WHERE case_id = ? "
            "ORDER BY ledger_index",
            (case_id,),
        ):
            data = self._entry_bytes(int(index))
            rv = Review.model_validate(json.loads(data)["review"])
            reviews.setdefault((set_id, st_id), []).append(
                {"index": int(index), **rv.model_dump(mode="json")}
            )
        sets = []
        for sid, name, text, author, created in self.ws.db.query(
            "SELECT id, filename, text, author, created FROM web_statements WHERE case_id = ? "
            "ORDER BY created",
            (case_id,),
        ):
            sf, codes, checks = self._checked(p, case_id, sid, text, name)
            rows = []
            for st, code, chk in zip(sf.statements, codes, checks, strict=True):
                rows.append(
                    {
                        "id": st.id,
                        "date": st.date.isoformat(),
                        "speaker": st.speaker.actor or st.speaker.outlet,
                        "person": st.speaker.person,
                        "text": st.text,
                        "quote": st.quote,
                        "url": st.url,
                        "citation": st.citation,
                        "reported_by": st.reported_by.model_dump(mode="json")
                        if st.reported_by
                        else None,
                        "coding": {
                            "plover": code["plover"],
                            "mode": code["mode"],
                            "source": code["source"],
                            "target": code["target"],
                            "issue": code["issue"],
                            "score": code["score"],
                            "evidence": code["evidence"],
                            "method": code["method"],
                        },
                        "proposal": dict(chk["proposal"]),
                        "record_items": [dict(i) for i in chk["items"]],
                        "reviews": reviews.get((sid, st.id), []),
                    }
                )
            sets.append(
                {"id": sid, "file": name, "author": author, "created": _iso(created),
                 "statements": rows}
            )  # fmt: skip
        return {
            "case_id": case_id,
            "sets": sets,
            "signer_actors": self.signer_actors(p, case_id)
            if self.ws.can(p, "review_statement", case_id)
            else [],
            "can_record": self.ws.can(p, "record_statement", case_id),
            "can_review": self.ws.can(p, "review_statement", case_id),
            "relations": list(_relations()),
        }

    def prepare_review(
        self,
        p: Principal,
        case_id: str,
        sid: str,
        statement_id: str,
        decision: str,
        relation: str | None,
        note: str | None,
        actor: str,
    ) -> dict[str, Any]:
        """Prepare a reviewer's signed decision on one statement's proposed relation.

        The review names the statement by the id of its record (``sha256:`` of the
        canonical :class:`~detente.statements.entries.StatementRecord` with the case, the
        outlet and the time the workspace recorded it).
        """
        from pydantic import ValidationError

        from detente.statements.entries import (
            Proposal,
            Review,
            StatementRecord,
            record_id,
            sign_review,
        )

        self.ws.require(p, "review_statement", case_id)
        self._check_actor(p, case_id, actor)
        vkey = self._my_key(p, case_id, actor)
        row = self.ws.db.one(
            "SELECT filename, text, created FROM web_statements WHERE id = ? AND case_id = ?",
            (sid, case_id),
        )
        if row is None:
            from detente.web.workspace import NotFound

            raise NotFound(f"no statements {sid!r} in case {case_id}")
        sf, _, checks = self._checked(p, case_id, sid, row[1], row[0])
        st = next((s for s in sf.statements if s.id == statement_id), None)
        chk = next((c for c in checks if c["id"] == statement_id), None)
        if st is None or chk is None:
            raise _bad(
                f"no statement {statement_id!r} in {row[0]}",
                "unknown-statement",
                ", ".join(s.id for s in sf.statements[:20]),
            )
        if decision not in ("accept", "edit", "reject"):
            raise _bad(f"unknown decision {decision!r}", "bad-decision", "accept, edit or reject")
        prop = Proposal.model_validate(dict(chk["proposal"]))
        outlet = next((o for o in sf.outlets if o.id == st.speaker.outlet), None)
        rec = StatementRecord(
            case=case_id,
            statement=st,
            outlet=outlet,
            recorded_at=dt.datetime.fromtimestamp(float(row[2]), dt.UTC).replace(microsecond=0),
        )
        final = prop.relation if decision == "accept" else (relation or None)
        try:
            rv = Review(
                statement=record_id(rec),
                statement_id=statement_id,
                proposal=prop,
                decision=cast(Any, decision),
                relation=cast(Any, final),
                note=note or None,
                reviewer=actor,
                at=_now_utc(),
            )
        except ValidationError as exc:
            raise CaseError(
                "the review is not valid",
                [
                    Diagnostic(str(e["msg"]), code="bad-review")
                    for e in exc.errors(include_url=False)
                ],
            ) from None
        signer, cap = capture_signer(vkey)
        sign_review(rv, signer)
        body = {"set": sid, "review": rv.model_dump(mode="json")}
        return self._new_pending(
            p, case_id, "review", actor, vkey, body, cap.messages,
            f"{decision} the proposal '{prop.relation}' on statement {statement_id}",
        )  # fmt: skip

    # -- pending signatures ----------------------------------------------------------------
    def _new_pending(
        self,
        p: Principal,
        case_id: str,
        kind: str,
        actor: str,
        vkey: str,
        body: dict[str, Any],
        messages: list[bytes],
        title: str,
    ) -> dict[str, Any]:
        pid = secrets.token_hex(6)
        msgs = [base64.b64encode(m).decode("ascii") for m in messages]
        with self.ws.db.transaction() as tx:
            tx.execute(
                "INSERT INTO web_pending(id, case_id, kind, actor, vkey, title, body, messages, "
                "author, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (pid, case_id, kind, actor, vkey, title, json.dumps(body), json.dumps(msgs),
                 p.username, _ts()),
            )  # fmt: skip
            self.ws._audit(tx, p.username, f"{kind}.prepare", pid, {"case": case_id})
        return self.pending(p, pid)

    def pending(self, p: Principal, pid: str) -> dict[str, Any]:
        """A pending signature: what it is, who signs, the exact messages (base64)."""
        from detente.web.workspace import NotFound

        row = self.ws.db.one(
            "SELECT case_id, kind, actor, vkey, title, messages, author, created, result "
            "FROM web_pending WHERE id = ?",
            (pid,),
        )
        if row is None or not self.ws.can(p, "read", row[0]):
            raise NotFound(f"no pending signature {pid!r}")
        return {
            "id": pid,
            "case_id": row[0],
            "kind": row[1],
            "actor": row[2],
            "vkey": row[3],
            "title": row[4],
            "messages": json.loads(row[5]),
            "author": row[6],
            "created": _iso(row[7]),
            "result": json.loads(row[8]) if row[8] else None,
            "mine": row[6] == p.username,
        }

    def sign_pending(self, p: Principal, pid: str, key: str, sigs: list[str]) -> dict[str, Any]:
        """Check the signer's signatures over the pending messages, then append the entry.

        Raises:
            Forbidden: Someone other than the account that prepared it.
            VerificationError: A key not registered by the account for the actor, a count of
                signatures that does not match, or a signature that does not verify.
        """
        from detente.web.workspace import Conflict, Forbidden

        info = self.pending(p, pid)
        case_id, actor = info["case_id"], info["actor"]
        self.ws.require(p, "sign_record", case_id)
        if not info["mine"]:
            raise Forbidden("only the account that prepared a record signs it")
        if info["result"] is not None:
            raise Conflict("this record is already in the ledger")
        self._check_actor(p, case_id, actor)
        if normalize_key(key) != normalize_key(info["vkey"]) or normalize_key(key) not in {
            normalize_key(k) for k in self._keys_of(p, case_id, actor)
        }:
            raise VerificationError(
                f"key {key.split('+')[0]} is not the key {p.username} registered for {actor}"
            )
        messages = [base64.b64decode(m) for m in info["messages"]]
        if len(sigs) != len(messages):
            raise VerificationError(
                f"{len(sigs)} signature(s) for {len(messages)} message(s); sign each message"
            )
        raw: dict[bytes, bytes] = {}
        for k, (msg, sig) in enumerate(zip(messages, sigs, strict=True)):
            check_signature(actor, info["vkey"], sig, msg, f"signature {k + 1}")
            try:
                raw[msg] = base64.b64decode(sig, validate=True)
            except (binascii.Error, ValueError):
                raise VerificationError(f"signature {k + 1} is not base64") from None
        signer = handed_signer(info["vkey"], raw)
        row = self.ws.db.one("SELECT body FROM web_pending WHERE id = ?", (pid,))
        assert row is not None
        body = json.loads(row[0])
        kind = info["kind"]
        if kind == "dataset":
            result = self._finish_dataset(p, case_id, actor, signer, body)
        elif kind == "verdicts":
            result = self._finish_verdicts(p, case_id, actor, signer, body)
        else:
            result = self._finish_review(p, case_id, signer, body)
        with self.ws.db.transaction() as tx:
            tx.execute("UPDATE web_pending SET result = ? WHERE id = ?", (json.dumps(result), pid))
            self.ws._audit(tx, p.username, f"{kind}.sign", pid, {"case": case_id, **result})
        return {**info, "result": result}

    def _keys_of(self, p: Principal, case_id: str, actor: str) -> list[str]:
        return [
            str(r[0])
            for r in self.ws.db.query(
                "SELECT vkey FROM web_keys WHERE username = ? AND case_id = ? AND actor = ?",
                (p.username, case_id, actor),
            )
        ]

    def _checkpoint(self) -> None:
        self.ws._led(lambda led: led.checkpoint([self.ws.log_signer]))

    def _finish_dataset(
        self, p: Principal, case_id: str, actor: str, signer: NoteSigner, body: dict[str, Any]
    ) -> dict[str, Any]:
        from detente.events.importer import import_events

        rec = body["record"]
        cov = body.get("coverage")
        with uploaded(rec["file"], base64.b64decode(body["file_b64"]), "detente-events-") as path:
            done = import_events(
                self.ws.ledger_location,
                path,
                rec["dataset"],
                rec["version"],
                signer,
                actor,
                now=dt.datetime.fromisoformat(rec["imported_at"]),
                coverage=(dt.date.fromisoformat(cov[0]), dt.date.fromisoformat(cov[1]))
                if cov
                else None,
            )
        self._checkpoint()
        self._link_dataset(p, case_id, done.record_index)
        return {"index": done.record_index, "rows": done.rows}

    def _finish_verdicts(
        self, p: Principal, case_id: str, actor: str, signer: NoteSigner, body: dict[str, Any]
    ) -> dict[str, Any]:
        from detente.compliance.check import ComplianceReport
        from detente.compliance.verdicts import record_verdicts

        report = ComplianceReport.model_validate(body["report"])
        mf = self.metrics(case_id)
        if mf is None:
            raise _bad("the metrics file is gone", "no-metrics")
        data = self._case_data(case_id)
        at = dt.datetime.fromisoformat(body["at"])

        def record(led: Ledger) -> list[int]:
            return record_verdicts(led, report, mf[0], data, signer, actor, at)

        added = self.ws._led(record)
        if added:
            self._checkpoint()
            with self.ws.db.transaction() as tx:
                for i in added:
                    _entry(tx, i, case_id, "verdict")
        return {"indexes": added}

    def _finish_review(
        self, p: Principal, case_id: str, signer: NoteSigner, body: dict[str, Any]
    ) -> dict[str, Any]:
        from detente.statements.entries import Review, review_entry, sign_review

        rv = Review.model_validate(body["review"])
        entry = review_entry(rv, [sign_review(rv, signer)])

        def append(led: Ledger) -> int:
            index = led.append(entry)
            led.checkpoint([self.ws.log_signer])
            return index

        index = self.ws._led(append)
        with self.ws.db.transaction() as tx:
            tx.execute(
                "INSERT INTO web_reviews(case_id, set_id, statement_id, ledger_index, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (case_id, body["set"], rv.statement_id, index, _ts()),
            )
            _entry(tx, index, case_id, "statement_review")
        return {"index": index}


def _entry(tx: Any, index: int, case_id: str, kind: str) -> None:
    """Note which case a ledger entry belongs to (receipts are read through its case)."""
    if not tx.query("SELECT 1 FROM web_entries WHERE ledger_index = ?", (index,)):
        tx.execute(
            "INSERT INTO web_entries(ledger_index, case_id, kind) VALUES (?, ?, ?)",
            (index, case_id, kind),
        )


def _same_verdict(note: str, old: dict[str, Any]) -> bool:
    try:
        new = json.loads(note)
    except ValueError:
        return False
    return {k: v for k, v in new.items() if k != "as_of"} == {
        k: v for k, v in old.items() if k != "as_of"
    }


def _relations() -> tuple[str, ...]:
    from detente.statements.entries import RELATIONS

    return tuple(RELATIONS)


def _utf8(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CaseError(
            f"{name}: not UTF-8 text",
            [Diagnostic("not UTF-8 text", name, hint="re-save as UTF-8", code="encoding")],
        ) from None


def _ts() -> float:
    import time

    return time.time()
