r"""Written guarantees: the commitment model, its signatures and lifecycle events.

A :class:`Commitment` is serialised as RFC 8785 canonical JSON (see
:mod:`detente.ledger.canonical`) and signed with Ed25519 (RFC 8032) by each committing party;
mediators then countersign the commitment together with the parties' signatures. Each
signature is domain-separated by a fixed first line so that a signature made for one purpose
can never be replayed as another:

* party signature: ``detente-commitment/v1\n`` || JCS(commitment)
* countersignature: ``detente-countersignature/v1\n`` || JCS({commitment, signatures})
* event signature: ``detente-event/v1\n`` || JCS(event)

Ledger entries are canonical JSON envelopes ``{"type": "commitment", "signed": ...}`` or
``{"type": "event", "event": ..., "signatures": [...]}``. Nothing is ever edited: a change of
state is a new event entry that names the commitment by its ID (``sha256:`` + hex of the
commitment's canonical JSON).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from json.encoder import encode_basestring as _quote
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from detente.errors import VerificationError
from detente.ledger.canonical import CanonicalModel, canonicalize, plain_dumps
from detente.ledger.entries import (
    EntryInfo,
    EntrySigner,
    FastPath,
    check_signature,
    entry_signer,
    model_error,
    register_entry_type,
    verify_entry,
)
from detente.ledger.note import ALG_ED25519, NoteSigner

__all__ = [
    "EVENT_KINDS",
    "Commitment",
    "EntryInfo",
    "Event",
    "Indicator",
    "Obligation",
    "PartySignature",
    "SignedCommitment",
    "commitment_entry",
    "commitment_id",
    "countersign",
    "event_entry",
    "sign_commitment",
    "sign_event",
    "signed_event_entry",
    "verify_entry",
    "verify_signed_commitment",
]

ILLUSTRATIVE = "ILLUSTRATIVE EXAMPLE \u2014 not a real agreement"

EventKind = Literal[
    "proposed",
    "signed",
    "countersigned",
    "in_force",
    "compliance_claim",
    "fulfilled",
    "breached",
    "withdrawn",
]
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)
"""The event kinds, in lifecycle order."""

_PARTY_CONTEXT = b"detente-commitment/v1\n"
_COUNTER_CONTEXT = b"detente-countersignature/v1\n"
_EVENT_CONTEXT = b"detente-event/v1\n"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Indicator(_Frozen):
    """A measurable test of an obligation: ``metric comparison threshold`` over ``period``."""

    metric: str = Field(min_length=1, description="What is measured, e.g. 'cross_border_attacks'.")
    comparison: Literal["<", "<=", "==", ">=", ">"]
    threshold: float
    period: str = Field(min_length=1, description="ISO 8601 duration, e.g. 'P30D'.")
    source: str | None = Field(default=None, description="Event data the metric is measured on.")


class Obligation(_Frozen):
    """One obligation of a commitment, with its indicator."""

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    indicator: Indicator


class Commitment(CanonicalModel):
    """A written guarantee by one committing party.

    Attributes are the guarantee's content; signatures live in :class:`SignedCommitment`.
    """

    format: Literal["detente.commitment/v1"] = "detente.commitment/v1"
    id: str = Field(min_length=1, description="A human identifier, unique within the case.")
    label: str | None = Field(default=None, description="E.g. 'ILLUSTRATIVE EXAMPLE ...'.")
    case: str | None = Field(default=None, description="The case id this belongs to.")
    committing_party: str = Field(min_length=1, description="Actor id of the party bound.")
    beneficiaries: list[str] = Field(min_length=1)
    text: str = Field(min_length=1, description="The guarantee as written.")
    obligations: list[Obligation] = Field(min_length=1)
    start: dt.date
    end: dt.date | None = None
    guarantors: list[str] = Field(default_factory=list, description="Mediators who guarantee.")
    witnesses: list[str] = Field(default_factory=list, description="Mediators who witness.")
    issues: list[str] = Field(default_factory=list, description="Linked case issue ids.")

    @model_validator(mode="after")
    def _dates(self) -> Commitment:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class PartySignature(_Frozen):
    """An Ed25519 signature by an actor.

    Attributes:
        actor: The signing actor's id.
        role: ``party`` (committing party or beneficiary) or ``mediator``.
        key: The signer's C2SP verifier key (``name+hexid+base64``).
        sig: Base64 Ed25519 signature.
    """

    actor: str = Field(min_length=1)
    role: Literal["party", "mediator"]
    key: str
    sig: str


class SignedCommitment(_Frozen):
    """A commitment with the parties' signatures and the mediators' countersignatures."""

    commitment: Commitment
    signatures: list[PartySignature] = Field(default_factory=list)
    countersignatures: list[PartySignature] = Field(default_factory=list)


class Event(CanonicalModel):
    """A lifecycle event about a commitment already in the ledger."""

    format: Literal["detente.event/v1"] = "detente.event/v1"
    kind: EventKind
    commitment: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    at: dt.datetime
    by: str = Field(min_length=1, description="Actor id making the statement.")
    note: str | None = None
    evidence: list[str] = Field(default_factory=list, description="Source references.")


def commitment_id(commitment: Commitment) -> str:
    """``sha256:`` + hex SHA-256 of the commitment's canonical JSON."""
    return "sha256:" + hashlib.sha256(commitment.canonical()).hexdigest()


def _sign(
    signer: NoteSigner, actor: str, role: Literal["party", "mediator"], msg: bytes
) -> PartySignature:
    if signer.alg != ALG_ED25519:
        raise VerificationError("records are signed with Ed25519 note keys (type 0x01)")
    sig = base64.b64encode(signer.private_key.sign(msg)).decode("ascii")
    return PartySignature(actor=actor, role=role, key=signer.vkey, sig=sig)


def _signatures_bytes(sigs: Sequence[PartySignature]) -> bytes:
    """JCS of a signature list, without dumping each model first (all four are strings)."""
    rows = [{"actor": s.actor, "key": s.key, "role": s.role, "sig": s.sig} for s in sigs]
    try:
        return plain_dumps(rows).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: let canonicalize refuse it by name
        return canonicalize(rows)


def _check(sig: PartySignature, msg: bytes, what: str) -> None:
    check_signature(sig.actor, sig.key, sig.sig, msg, what)


def _counter_message(sc: SignedCommitment) -> bytes:
    body = {
        "commitment": sc.commitment.model_dump(mode="json"),
        "signatures": [s.model_dump(mode="json") for s in sc.signatures],
    }
    return _COUNTER_CONTEXT + canonicalize(body)


def sign_commitment(
    sc: SignedCommitment | Commitment, actor: str, signer: NoteSigner
) -> SignedCommitment:
    """Add a party signature by ``actor``.

    Raises:
        VerificationError: if the commitment is already countersigned (a countersignature
            covers the party signatures, so none may be added after it).
    """
    if isinstance(sc, Commitment):
        sc = SignedCommitment(commitment=sc)
    if sc.countersignatures:
        raise VerificationError(
            "commitment is already countersigned; party signatures must come first"
        )
    sig = _sign(signer, actor, "party", _PARTY_CONTEXT + sc.commitment.canonical())
    return sc.model_copy(update={"signatures": [*sc.signatures, sig]})


def countersign(sc: SignedCommitment, actor: str, signer: NoteSigner) -> SignedCommitment:
    """Add a mediator's countersignature over the commitment and the party signatures.

    Raises:
        VerificationError: if ``actor`` is not a guarantor or witness, or no party signed.
    """
    c = sc.commitment
    if actor not in c.guarantors and actor not in c.witnesses:
        raise VerificationError(
            f"{actor} is neither a guarantor nor a witness of commitment {c.id}"
        )
    if not sc.signatures:
        raise VerificationError(f"commitment {c.id} has no party signature to countersign")
    sig = _sign(signer, actor, "mediator", _counter_message(sc))
    return sc.model_copy(update={"countersignatures": [*sc.countersignatures, sig]})


def _trusted(actor: str, key: str, trusted: Mapping[str, Sequence[str]] | None) -> None:
    if trusted is None:
        return
    if key not in trusted.get(actor, ()):
        raise VerificationError(
            f"key {key.split('+')[0]}+{key.split('+')[1] if '+' in key else ''} is not a "
            f"trusted key for {actor}"
        )


def verify_signed_commitment(
    sc: SignedCommitment,
    trusted: Mapping[str, Sequence[str]] | None = None,
    require_countersignature: bool = True,
) -> None:
    """Verify every signature of a signed commitment.

    Args:
        sc: The signed commitment.
        trusted: Optional map from actor id to the verifier keys trusted for it; without it
            the keys embedded in the signatures are taken at face value.
        require_countersignature: Require at least one mediator countersignature.

    Raises:
        VerificationError: naming the first signature that fails or the one that is missing.
    """
    _verify_signed(sc, trusted, require_countersignature, *_parts(sc))


def _parts(sc: SignedCommitment) -> tuple[bytes, bytes, bytes]:
    """JCS of the commitment, of its signatures and of its countersignatures (each once)."""
    return (
        sc.commitment.canonical(),
        canonicalize([s.model_dump(mode="json") for s in sc.signatures]),
        canonicalize([s.model_dump(mode="json") for s in sc.countersignatures]),
    )


def _verify_signed(
    sc: SignedCommitment,
    trusted: Mapping[str, Sequence[str]] | None,
    require_countersignature: bool,
    c_bytes: bytes,
    sigs_bytes: bytes,
    _csigs_bytes: bytes,
) -> None:
    c = sc.commitment
    if not any(s.actor == c.committing_party for s in sc.signatures):
        raise VerificationError(
            f"commitment {c.id} is not signed by its committing party {c.committing_party}"
        )
    msg = _PARTY_CONTEXT + c_bytes
    for s in sc.signatures:
        if s.role != "party":
            raise VerificationError(f"signature by {s.actor} has role {s.role}, expected party")
        _trusted(s.actor, s.key, trusted)
        _check(s, msg, "party signature")
    if require_countersignature and not sc.countersignatures:
        raise VerificationError(f"commitment {c.id} has no mediator countersignature")
    # JCS({commitment, signatures}) assembled from the parts: members in sorted order.
    cmsg = _COUNTER_CONTEXT + b'{"commitment":' + c_bytes + b',"signatures":' + sigs_bytes + b"}"
    for s in sc.countersignatures:
        if s.role != "mediator":
            raise VerificationError(f"countersignature by {s.actor} has role {s.role}")
        if s.actor not in c.guarantors and s.actor not in c.witnesses:
            raise VerificationError(
                f"countersignature by {s.actor}, who is neither guarantor nor witness"
            )
        _trusted(s.actor, s.key, trusted)
        _check(s, cmsg, "countersignature")


def sign_event(event: Event, signer: NoteSigner) -> PartySignature:
    """Sign a lifecycle event on behalf of ``event.by``."""
    return _sign(signer, event.by, "party", _EVENT_CONTEXT + event.canonical())


def _commitment_bytes(c_bytes: bytes, sigs_bytes: bytes, csigs_bytes: bytes) -> bytes:
    # RFC 8785 member order: "commitment" < "countersignatures" < "signatures", and
    # "signed" < "type"; each part is already canonical, so this is JCS of the whole.
    return (
        b'{"signed":{"commitment":'
        + c_bytes
        + b',"countersignatures":'
        + csigs_bytes
        + b',"signatures":'
        + sigs_bytes
        + b'},"type":"commitment"}'
    )


def _event_bytes(body: bytes, sigs_bytes: bytes) -> bytes:
    # Member order: "event" < "signatures" < "type".
    return b'{"event":' + body + b',"signatures":' + sigs_bytes + b',"type":"event"}'


def commitment_entry(sc: SignedCommitment) -> bytes:
    """The ledger entry (canonical JSON) for a signed commitment."""
    return _commitment_bytes(*_parts(sc))


def event_entry(event: Event, signatures: Sequence[PartySignature]) -> bytes:
    """The ledger entry (canonical JSON) for a signed lifecycle event."""
    return _event_bytes(event.canonical(), _signatures_bytes(signatures))


def _plain_event_fields(fmt: Any, kind: Any, cid: Any, by: Any, note: Any, evidence: Any) -> bool:
    """Whether an event's fields, all but its time, are exactly what :class:`Event` keeps.

    Exact types and forms that the model accepts unchanged: the fast paths take nothing else.
    """
    return (
        type(fmt) is str
        and fmt == "detente.event/v1"
        and type(kind) is str
        and kind in _EVENT_KIND_SET
        and type(cid) is str
        and _CID.fullmatch(cid) is not None
        and type(by) is str
        and bool(by)
        and (note is None or type(note) is str)
        and type(evidence) is list
        and all(type(x) is str for x in evidence)
    )


def signed_event_entry(fields: Mapping[str, Any], signer: NoteSigner) -> bytes:
    """Build, sign and encode an event entry from plain data, in one canonicalization.

    Exactly ``event_entry(ev, [sign_event(ev, signer)])`` with ``ev = Event(**fields)``
    (Ed25519 signatures are deterministic, RFC 8032 §5.1.6, so the bytes are the same),
    without building the pydantic models when the values are already of the types the
    model checks: strings, ``None``, a list of strings for ``evidence`` and a
    :class:`datetime.datetime` for ``at`` (naive or with a whole-minute fixed offset).
    Anything else, and anything the model would refuse, takes the model path, so every
    error is the model's. ``tests/ledger/test_ledger_fast_event.py`` holds the two paths
    to each other.

    Raises:
        pydantic.ValidationError: if the fields do not make an :class:`Event`.
        VerificationError: if ``signer`` is not an Ed25519 note key.
    """
    fast = _fast_event_body(fields)
    if fast is None or signer.alg != ALG_ED25519:
        ev = Event(**fields)
        return event_entry(ev, [sign_event(ev, signer)])
    body, by = fast
    sig = base64.b64encode(signer.private_key.sign(_EVENT_CONTEXT + body)).decode("ascii")
    # JCS([{"actor", "key", "role", "sig"}]): members in sorted order, strings quoted by
    # the same function the encoder uses; the signature is base64 (nothing to escape).
    row = f'[{{"actor":{_quote(by)},"key":{_quote(signer.vkey)},"role":"party","sig":"{sig}"}}]'
    try:
        return _event_bytes(body, row.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate in the key's name: the model path refuses
        ev = Event(**fields)
        return event_entry(ev, [sign_event(ev, signer)])


def _at_json(at: dt.datetime) -> str | None:
    """How the model writes ``at`` in JSON mode, for the datetimes the fast path takes."""
    tz = at.tzinfo
    if tz is None:
        return at.isoformat()
    if type(tz) is not dt.timezone:
        return None
    off = tz.utcoffset(None)
    if off.seconds % 60 or off.microseconds:
        return None  # isoformat would write seconds; the model truncates them
    text = at.isoformat()  # ends with the offset as +hh:mm
    return text[:-6] + "Z" if not off else text


def _fast_event_body(fields: Mapping[str, Any]) -> tuple[bytes, str] | None:
    """The canonical JSON of ``Event(**fields)`` and its ``by``, or None (the model decides).

    Takes only values the model keeps as they are: exact ``str`` (a valid kind, a
    ``sha256:`` id, a non-empty ``by``), ``None`` or ``str`` for ``note``, a ``list`` of
    ``str`` for ``evidence``, an exact :class:`datetime.datetime` for ``at``.
    """
    if type(fields) is not dict or not fields.keys() <= _EVENT_FIELDS:
        return None
    get = fields.get
    fmt = get("format", "detente.event/v1")
    kind, cid, at, by = get("kind"), get("commitment"), get("at"), get("by")
    note, evidence = get("note"), get("evidence", [])
    if type(at) is not dt.datetime or not _plain_event_fields(fmt, kind, cid, by, note, evidence):
        return None
    at_text = _at_json(at)
    if at_text is None:
        return None
    doc = {
        "at": at_text,
        "by": by,
        "commitment": cid,
        "evidence": evidence,
        "format": fmt,
        "kind": kind,
        "note": note,
    }
    try:
        return _dumps(doc), str(by)  # a str (checked above)
    except UnicodeEncodeError:  # a lone surrogate: the model path refuses it by name
        return None


def _signers(sigs: Sequence[PartySignature]) -> list[EntrySigner]:
    return [EntrySigner(actor=s.actor, role=s.role, key=s.key) for s in sigs]


@register_entry_type("commitment", "a written guarantee with its signatures", exact=True)
def _verify_commitment_entry(
    doc: dict[str, Any], data: bytes, trusted: Mapping[str, Sequence[str]] | None
) -> EntryInfo:
    if set(doc) != {"type", "signed"}:
        raise VerificationError(f"commitment entry has unexpected fields {sorted(doc)}")
    try:
        sc = SignedCommitment.model_validate(doc["signed"])
    except ValidationError as exc:
        raise model_error(exc, "commitment entry") from exc
    # One canonicalization of each part: the round trip (exact bytes), the signed
    # messages and the id all reuse them.
    parts = _parts(sc)
    if _commitment_bytes(*parts) != data:
        raise VerificationError("commitment entry does not round-trip through its schema")
    _verify_signed(sc, trusted, True, *parts)
    c = sc.commitment
    return EntryInfo(
        type="commitment",
        id="sha256:" + hashlib.sha256(parts[0]).hexdigest(),
        summary={
            "commitment": c.id,
            "label": c.label,
            "committing_party": c.committing_party,
            "signed_by": [s.actor for s in sc.signatures],
            "countersigned_by": [s.actor for s in sc.countersignatures],
        },
        signers=_signers([*sc.signatures, *sc.countersignatures]),
    )


def _event_outcome(
    by: str,
    sigs: Sequence[tuple[str, str, str, str]],
    body: bytes,
    commitment: str,
    kind: str,
    at_iso: str,
    trusted: Mapping[str, Sequence[str]] | None,
) -> EntryInfo:
    """The checks after the schema, shared by both validators: signers, then signatures.

    ``sigs`` are ``(actor, role, key, sig)``; ``body`` is the event's canonical JSON.
    """
    read = (by, sigs, body, commitment, kind, at_iso)
    for actor, key, sig, msg, what in _event_signatures(read, trusted):
        check_signature(actor, key, sig, msg, what)
    return _event_info(read)


def _event_info(
    read: tuple[str, Sequence[tuple[str, str, str, str]], bytes, str, str, str],
) -> EntryInfo:
    """The :class:`EntryInfo` of a verified event, from what :func:`_fast_event_text` read."""
    by, sigs, _body, commitment, kind, at_iso = read
    return EntryInfo(
        type="event",
        id=commitment,
        summary={"kind": kind, "by": by, "at": at_iso},
        signers=[entry_signer(actor, role, key) for actor, role, key, _sig in sigs],
    )


def _event_signatures(
    read: tuple[str, Sequence[tuple[str, str, str, str]], bytes, str, str, str],
    trusted: Mapping[str, Sequence[str]] | None,
) -> Iterator[tuple[str, str, str, bytes, str]]:
    """An event's checks but the signatures, yielding each signature to verify, in order.

    The event's maker must have signed it; each signer's key must be trusted (when a
    ``trusted`` map is given), checked just before its signature is handed out, so a
    caller that verifies each one as it comes (:func:`_event_outcome`) meets the problems
    in entry order, and :func:`~detente.ledger.entries.verify_entries` can take them all
    first and verify them together.
    """
    by, sigs, body = read[0], read[1], read[2]
    if not any(s[0] == by for s in sigs):
        raise VerificationError(f"event is not signed by {by}, who makes it")
    msg = _EVENT_CONTEXT + body
    for actor, _role, key, sig in sigs:
        _trusted(actor, key, trusted)
        yield actor, key, sig, msg, "event signature"


def _verify_event_model(
    doc: dict[str, Any], data: bytes, trusted: Mapping[str, Sequence[str]] | None
) -> EntryInfo:
    """The reference validator of event entries: the pydantic models, then the round trip."""
    if set(doc) != {"type", "event", "signatures"}:
        raise VerificationError(f"event entry has unexpected fields {sorted(doc)}")
    try:
        ev = Event.model_validate(doc["event"])
        sigs = [PartySignature.model_validate(s) for s in doc["signatures"]]
    except (ValidationError, TypeError) as exc:
        if isinstance(exc, ValidationError):
            raise model_error(exc, "event entry") from exc
        raise VerificationError("event entry signatures must be a list") from exc
    body = ev.canonical()
    if _event_bytes(body, canonicalize([s.model_dump(mode="json") for s in sigs])) != data:
        raise VerificationError("event entry does not round-trip through its schema")
    return _event_outcome(
        ev.by,
        [(s.actor, s.role, s.key, s.sig) for s in sigs],
        body,
        ev.commitment,
        ev.kind,
        ev.at.isoformat(),
        trusted,
    )


_EVENT_FIELDS = frozenset(Event.model_fields)
_EVENT_KIND_SET = frozenset(EVENT_KINDS)
_SIG_FIELDS = frozenset(PartySignature.model_fields)
_SIG_ROLES = frozenset(get_args(PartySignature.model_fields["role"].annotation))
_CID = re.compile(r"sha256:[0-9a-f]{64}")
# The only spelling of a datetime that survives the round trip: what pydantic writes in JSON
# mode (microseconds as six digits and only when non-zero; "Z" for UTC, else +hh:mm). Each
# field is bounded here as pydantic bounds it: datetime.fromisoformat alone would take an
# offset of +12:99 (as +13:39), which pydantic refuses; it still checks the calendar.
_AT = re.compile(
    r"\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{6})?"
    r"(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?"
)
_NOT_CANONICAL_AT = (".000000", "+00:00", "-00:00")


def _canonical_at(at: str) -> bool:
    """Whether ``at`` is a time in the one spelling the model writes, and a real date."""
    m = _AT.fullmatch(at)
    if m is None or m.group(1) in _NOT_CANONICAL_AT or m.group(2) in _NOT_CANONICAL_AT:
        return False
    try:
        dt.datetime.fromisoformat(at)  # the calendar: no February 30th
    except ValueError:
        return False
    return True


def _dumps(value: Any) -> bytes:
    # RFC 8785 for values of strings, null and lists/objects of them with ASCII names: the
    # only values _fast_event lets through (no numbers, no names outside the BMP). A lone
    # surrogate fails the UTF-8 encoding (UnicodeEncodeError).
    return plain_dumps(value).encode("utf-8")


def _fast_event(
    doc: dict[str, Any], data: bytes
) -> tuple[dict[str, Any], list[tuple[str, str, str, str]], bytes, str] | None:
    """An exact, pydantic-free validator of the canonical event entries the log is sent.

    It accepts an entry only when the reference validator (:func:`_verify_event_model`)
    would: every field of :class:`Event` present with a value of exactly the type and
    constraint the model checks, in the one spelling that re-encodes to the same bytes, and
    ``data`` byte for byte the canonical encoding. On anything else (a missing default, a
    number, another datetime spelling, a lone surrogate, a byte out of canonical form) it
    returns None and the reference decides, so every refusal, and its message, is the
    model's. tests/ledger/test_ledger_fast_event.py checks both against each other.

    Returns:
        ``(event, signatures, canonical body, at in isoformat)``, or None.
    """
    ev = doc.get("event")
    raw = doc.get("signatures")
    if type(ev) is not dict or type(raw) is not list or len(doc) != 3 or "type" not in doc:
        return None
    if ev.keys() != _EVENT_FIELDS:
        return None
    kind, cid, at, by, note, evidence = (
        ev["kind"],
        ev["commitment"],
        ev["at"],
        ev["by"],
        ev["note"],
        ev["evidence"],
    )
    if type(at) is not str or not _plain_event_fields(ev["format"], kind, cid, by, note, evidence):
        return None
    if not _canonical_at(at):
        return None
    sigs: list[tuple[str, str, str, str]] = []
    for s in raw:
        if type(s) is not dict or s.keys() != _SIG_FIELDS:
            return None
        actor, role, key, sig = s["actor"], s["role"], s["key"], s["sig"]
        if (
            type(actor) is not str
            or not actor
            or type(role) is not str
            or role not in _SIG_ROLES
            or type(key) is not str
            or type(sig) is not str
        ):
            return None
        sigs.append((actor, role, key, sig))
    try:
        # One encoding of the whole entry. Its members are exactly "event", "signatures"
        # and "type" (checked above), so in sorted order it is _event_bytes(JCS(event),
        # JCS(signatures)), the reference's comparison, byte for byte.
        if _dumps(doc) != data:
            return None
    except UnicodeEncodeError:  # a lone surrogate: the reference explains the refusal
        return None
    # The event's own bytes, for the signed message: data is '{"event":' + JCS(event) +
    # ',"signatures":' + JCS(signatures) + ',"type":"event"}'. A string never holds a bare
    # '"' (the encoding escapes it) and no signature has a member named "signatures", so
    # the last ',"signatures":' in data is the one between the two parts.
    body = data[9 : data.rindex(b',"signatures":')]
    # What datetime.isoformat() writes for the parsed time: the canonical spelling has six
    # fraction digits or none and an offset of hours and minutes, so only "Z" differs.
    return ev, sigs, body, at[:-1] + "+00:00" if at[-1] == "Z" else at


# The canonical event entry as the log is sent it, as one pattern over its text: the
# members in RFC 8785 order (sorted), no whitespace, no numbers, and strings with nothing
# to escape (no '"', no backslash, no control character), so each string's text is its
# value and the entry is byte for byte its own canonical encoding. Anything else (an
# escape, another member, another spelling) does not match and goes to _fast_event, which
# parses it.
_PLAIN = r'[^"\\\x00-\x1f]'
_ROLES = "|".join(sorted(_SIG_ROLES))
_KINDS = "|".join(sorted(_EVENT_KIND_SET))
_SIG_TEXT = (
    r'\{"actor":"(' + _PLAIN + r'+)","key":"(' + _PLAIN + r'*)","role":"(' + _ROLES + r')",'
    r'"sig":"(' + _PLAIN + r'*)"\}'
)
_SIG_MATCH = _SIG_TEXT.replace("(", "(?:")  # the same, capturing nothing
_EVENT_TEXT = re.compile(
    r'\{"event":(\{"at":"([^"]*)","by":"(' + _PLAIN + r'+)",'
    r'"commitment":"(sha256:[0-9a-f]{64})",'
    r'"evidence":\[(?:"' + _PLAIN + r'*"(?:,"' + _PLAIN + r'*")*)?\],'
    r'"format":"detente\.event/v1","kind":"(' + _KINDS + r')",'
    r'"note":(?:null|"' + _PLAIN + r'*")\}),'
    r'"signatures":\[(' + _SIG_MATCH + r"(?:," + _SIG_MATCH + r')*)\],"type":"event"\}'
)
_SIG_ITEM = re.compile(_SIG_TEXT)
assert sorted(_EVENT_FIELDS) == ["at", "by", "commitment", "evidence", "format", "kind", "note"]
assert sorted(_SIG_FIELDS) == ["actor", "key", "role", "sig"]


def _fast_event_text(
    text: str, data: bytes
) -> tuple[str, list[tuple[str, str, str, str]], bytes, str, str, str] | None:
    """:func:`_fast_event` for the usual entry, read off its text without parsing it.

    ``text`` is ``data`` decoded (strict UTF-8, so no lone surrogate). It accepts only what
    :func:`_fast_event` accepts, with the same result (tests/ledger/test_ledger_fast_event.py
    holds the two to each other), and returns None for anything else.

    Returns:
        ``(by, signatures, canonical body, commitment, kind, at in isoformat)``, or None.
    """
    m = _EVENT_TEXT.fullmatch(text)
    if m is None:
        return None
    at = m.group(2)
    if not _canonical_at(at):
        return None
    # The members come in sorted order (actor, key, role, sig); the outcome takes
    # (actor, role, key, sig).
    sigs = [(a, r, k, s) for a, k, r, s in _SIG_ITEM.findall(m.group(6))]
    # The body's bytes: the text's span where every character is one byte, else re-encoded.
    body = data[m.start(1) : m.end(1)] if len(text) == len(data) else m.group(1).encode()
    return (
        m.group(3),
        sigs,
        body,
        m.group(4),
        m.group(5),
        at[:-1] + "+00:00" if at[-1] == "Z" else at,
    )


def _finish_event(
    read: tuple[str, list[tuple[str, str, str, str]], bytes, str, str, str],
    trusted: Mapping[str, Sequence[str]] | None,
) -> EntryInfo:
    """The checks of :func:`_verify_event_entry` after what :func:`_fast_event_text` read."""
    return _event_outcome(*read, trusted)


@register_entry_type(
    "event",
    "a signed lifecycle event about a commitment",
    exact=True,
    fast=FastPath('{"event":', _fast_event_text, _finish_event, _event_signatures, _event_info),
)
def _verify_event_entry(
    doc: dict[str, Any], data: bytes, trusted: Mapping[str, Sequence[str]] | None
) -> EntryInfo:
    fast = _fast_event(doc, data)
    if fast is None:
        return _verify_event_model(doc, data, trusted)
    ev, sigs, body, at_iso = fast
    return _event_outcome(ev["by"], sigs, body, ev["commitment"], ev["kind"], at_iso, trusted)
