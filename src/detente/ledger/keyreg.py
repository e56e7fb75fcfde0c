r"""Key registrations: who may sign as which actor, recorded in the log itself.

A signature on a ledger entry says "actor X signed with key K"; by itself nothing ties K to
X, so anyone could sign as anyone. A *key registration* entry (``type: "key"``) binds an
actor's Ed25519 verifier key to the actor, and the log checks every signature of every entry,
whatever its kind (each kind's verifier lists its signers in
:attr:`~detente.ledger.entries.EntryInfo.signers`), against the key registered for that actor
*at that point of the log*. Rotation and revocation are later entries; nothing is edited.

Rules (checked in log order by :class:`KeyBindings`, both at append and offline):

* **Genesis.** Entry 0 of a log is the bootstrap registration: a mediator registers its own
  key, signed by that key alone (``detente ledger init --mediator``). It is trusted because
  it is the first entry of a log whose checkpoints the log key signed and the witnesses
  cosigned; a verifier may also pin its key in a policy.
* **register**: a new actor (no key yet) and a key never bound before; signed by the key
  being registered (``role: "subject"``, proof of possession) and by a registered mediator
  (``role: "mediator"``) who witnesses that the key belongs to the actor.
* **rotate**: the actor's key is replaced; signed by the new key (``subject``) and by a
  registered mediator. The old key signs nothing from then on.
* **revoke**: the actor's key stops being valid; signed by a registered mediator, or by the
  revoked key itself (``subject``: a holder who lost control of it).
* A key is bound to at most one actor, ever: one key cannot sign as two parties.

The registration body is signed as ``detente-key-registration/v1\n`` || JCS(body)
(RFC 8785 canonical JSON, RFC 8032 Ed25519), domain-separated from every other record.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from pydantic import Field, ValidationError

from detente.errors import VerificationError
from detente.ledger.canonical import CanonicalModel, canonicalize
from detente.ledger.entries import (
    EntryInfo,
    EntrySigner,
    Signature,
    check_signature,
    model_error,
    register_entry_type,
    sign_message,
)
from detente.ledger.note import ALG_ED25519, NoteSigner, parse_verifier_key

__all__ = [
    "KEY_ENTRY_TYPE",
    "BindingRow",
    "KeyBindings",
    "KeyRegistration",
    "SignerBinding",
    "genesis_entry",
    "key_entry",
    "normalize_key",
    "registration_entry",
    "revocation_entry",
    "sign_registration",
]

KEY_ENTRY_TYPE = "key"
_CONTEXT = b"detente-key-registration/v1\n"

Action = Literal["register", "rotate", "revoke"]


class KeyRegistration(CanonicalModel):
    """The signed body of a key registration, rotation or revocation.

    Attributes:
        actor: The actor whose key this is.
        action: ``register``, ``rotate`` or ``revoke``.
        key: The C2SP verifier key registered (or, for ``revoke``, revoked).
        mediator: Whether the actor is a mediator (may witness registrations).
        at: When it was made (informational; log order is what counts).
        note: Free text.
    """

    format: Literal["detente.key-registration/v1"] = "detente.key-registration/v1"
    actor: str = Field(min_length=1, max_length=200)
    action: Action
    key: str = Field(min_length=1, max_length=400)
    mediator: bool = False
    at: dt.datetime
    note: str | None = Field(default=None, max_length=2000)


@functools.lru_cache(maxsize=4096)
def normalize_key(vkey: str) -> str:
    """The canonical spelling of a verifier key (lower-case hex id), refusing other types.

    Raises:
        VerificationError: if malformed or not an Ed25519 signing key (type 0x01).
    """
    v = parse_verifier_key(vkey)
    if v.alg != ALG_ED25519:
        raise VerificationError(
            f"key {v.name}+{v.key_id:08x} is not an Ed25519 signing key (type 0x01)"
        )
    return v.vkey


def _short(vkey: str) -> str:
    parts = vkey.split("+")
    return "+".join(parts[:2]) if len(parts) >= 2 else vkey[:40]


def sign_registration(
    reg: KeyRegistration, signer: NoteSigner, actor: str, role: Literal["subject", "mediator"]
) -> Signature:
    """Sign a registration body as ``actor`` in ``role``."""
    return sign_message(signer, actor, role, _CONTEXT + reg.canonical())


def key_entry(reg: KeyRegistration, signatures: Sequence[Signature]) -> bytes:
    """The ledger entry (canonical JSON) for a signed key registration."""
    return _key_bytes(reg.canonical(), signatures)


def _key_bytes(body: bytes, signatures: Sequence[Signature]) -> bytes:
    # RFC 8785 member order: "registration" < "signatures" < "type".
    sigs = canonicalize([s.model_dump(mode="json") for s in signatures])
    return b'{"registration":' + body + b',"signatures":' + sigs + b',"type":"key"}'


@register_entry_type(KEY_ENTRY_TYPE, "a key registration, rotation or revocation", exact=True)
def _verify_key_entry(
    doc: dict[str, Any], data: bytes, trusted: Mapping[str, Sequence[str]] | None
) -> EntryInfo:
    """Check a key entry's schema and signatures (the log-order rules are KeyBindings')."""
    if set(doc) != {"type", "registration", "signatures"}:
        raise VerificationError(f"key entry has unexpected fields {sorted(doc)}")
    try:
        reg = KeyRegistration.model_validate(doc["registration"])
        raw_sigs = doc["signatures"]
        if not isinstance(raw_sigs, list):
            raise VerificationError("key entry signatures must be a list")
        sigs = [Signature.model_validate(s) for s in raw_sigs]
    except ValidationError as exc:
        raise model_error(exc, "key entry") from exc
    body = reg.canonical()
    if _key_bytes(body, sigs) != data:
        raise VerificationError("key entry does not round-trip through its schema")
    subject_key = normalize_key(reg.key)
    if not sigs or len(sigs) > 8:
        raise VerificationError("a key entry carries 1 to 8 signatures")
    msg = _CONTEXT + body
    roles = {s.role for s in sigs}
    if not roles <= {"subject", "mediator"}:
        raise VerificationError(f"key entry signature roles must be subject or mediator: {roles}")
    for s in sigs:
        if s.role == "subject" and (s.actor != reg.actor or normalize_key(s.key) != subject_key):
            raise VerificationError(
                f"the subject signature of a key entry must be {reg.actor}'s with the key "
                f"{_short(subject_key)} itself"
            )
        if trusted is not None and s.key not in trusted.get(s.actor, ()):
            raise VerificationError(f"key {_short(s.key)} is not a trusted key for {s.actor}")
        check_signature(s.actor, s.key, s.sig, msg, "key registration signature")
    if reg.action in ("register", "rotate") and "subject" not in roles:
        raise VerificationError(
            f"a key {reg.action} must be signed by the key it binds (proof of possession)"
        )
    return EntryInfo(
        type=KEY_ENTRY_TYPE,
        id=f"{reg.actor}:{subject_key}",
        summary={
            "actor": reg.actor,
            "action": reg.action,
            "key": subject_key,
            "mediator": reg.mediator,
            "by": [s.actor for s in sigs if s.role == "mediator"],
        },
        signers=[EntrySigner(actor=s.actor, role=s.role, key=s.key) for s in sigs],
    )


class BindingRow(TypedDict):
    """One key event as the log stores it, in log order."""

    idx: int
    actor: str
    key: str
    action: str
    mediator: bool


class SignerBinding(TypedDict):
    """A signer checked against the bindings: where its key was registered."""

    actor: str
    role: str
    key: str
    registered_at: int | None


@dataclass
class _Bound:
    key: str
    mediator: bool
    since: int


@dataclass
class KeyBindings:
    """The actor -> key bindings in force at a point of the log, replayed in log order."""

    current: dict[str, _Bound] = field(default_factory=dict)
    ever: dict[str, str] = field(default_factory=dict)  # key -> actor it was bound to
    started: bool = False

    @classmethod
    def from_rows(cls, rows: Iterable[BindingRow]) -> KeyBindings:
        """Replay stored key events (already checked when they were appended)."""
        b = cls()
        for r in rows:
            b._record(r)
        return b

    def _record(self, r: BindingRow) -> None:
        self.started = True
        if r["action"] == "revoke":
            self.current.pop(r["actor"], None)
        else:
            self.current[r["actor"]] = _Bound(r["key"], bool(r["mediator"]), r["idx"])
            self.ever[r["key"]] = r["actor"]

    def bound_key(self, actor: str) -> str | None:
        """The key in force for ``actor``, or None."""
        b = self.current.get(actor)
        return None if b is None else b.key

    def check(self, idx: int, signers: Sequence[EntrySigner], what: str = "entry") -> None:
        """Refuse unless every signer signed with the key registered for it at ``idx``.

        Raises:
            VerificationError: naming the signer, the key used and the key registered.
        """
        for s in signers:
            self._check_one(idx, s, what)

    def _check_one(self, idx: int, s: EntrySigner, what: str) -> _Bound:
        if not self.started:
            raise VerificationError(
                f"{what} {idx}: no key is registered in this log (entry 0 must be the genesis "
                "key registration; see `detente ledger init --mediator`)"
            )
        key = normalize_key(s.key)
        b = self.current.get(s.actor)
        if b is None:
            raise VerificationError(
                f"{what} {idx}: {s.actor} signed as {s.role} with key {_short(key)}, but no "
                f"key is registered for {s.actor} at that point of the log"
            )
        if b.key != key:
            owner = self.ever.get(key)
            whose = f" (that key is registered for {owner})" if owner else ""
            raise VerificationError(
                f"{what} {idx}: {s.actor} signed as {s.role} with key {_short(key)}{whose}, "
                f"but the key registered for {s.actor} is {_short(b.key)} (entry {b.since})"
            )
        return b

    def describe(self, signers: Sequence[EntrySigner]) -> list[SignerBinding]:
        """Each signer with the index of the registration that binds its key."""
        out: list[SignerBinding] = []
        for s in signers:
            b = self.current.get(s.actor)
            out.append(
                SignerBinding(
                    actor=s.actor,
                    role=s.role,
                    key=_short(s.key),
                    registered_at=None if b is None else b.since,
                )
            )
        return out

    def apply(self, idx: int, info: EntryInfo) -> BindingRow:
        """Check a key entry against the bindings at ``idx`` and record it.

        Raises:
            VerificationError: if it breaks a rule of :mod:`detente.ledger.keyreg`.
        """
        s = info.summary
        actor, action, key = str(s["actor"]), str(s["action"]), str(s["key"])
        mediator = bool(s["mediator"])
        where = f"key entry {idx}"
        witnesses = [x for x in info.signers if x.role == "mediator"]
        row = BindingRow(idx=idx, actor=actor, key=key, action=action, mediator=mediator)
        if not self.started:
            if idx != 0 or action != "register" or not mediator or witnesses:
                raise VerificationError(
                    f"{where}: the first key registration must be entry 0: a mediator "
                    "registering its own key, signed by that key alone (the genesis)"
                )
            self._record(row)
            return row
        for w in witnesses:
            b = self._check_one(idx, w, where)
            if not b.mediator:
                raise VerificationError(
                    f"{where}: {w.actor} is not registered as a mediator and cannot witness "
                    "key registrations"
                )
        if action in ("register", "rotate") and not witnesses:
            raise VerificationError(f"{where}: a key {action} must be witnessed by a mediator")
        cur = self.current.get(actor)
        if action == "register":
            if cur is not None:
                raise VerificationError(
                    f"{where}: {actor} already has key {_short(cur.key)} (entry {cur.since}); "
                    "rotate it instead"
                )
        elif action == "rotate":
            if cur is None:
                raise VerificationError(f"{where}: {actor} has no key to rotate; register one")
            mediator = mediator or cur.mediator
            row["mediator"] = mediator
        else:  # revoke
            if cur is None or cur.key != key:
                raise VerificationError(
                    f"{where}: {_short(key)} is not the key in force for {actor}"
                )
            if not witnesses and not any(x.role == "subject" for x in info.signers):
                raise VerificationError(f"{where}: a revocation needs a mediator or the key")
            self._record(row)
            return row
        if key in self.ever:
            raise VerificationError(
                f"{where}: key {_short(key)} was already bound to {self.ever[key]}; a key is "
                "bound to one actor once"
            )
        self._record(row)
        return row


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def genesis_entry(actor: str, signer: NoteSigner, at: dt.datetime | None = None) -> bytes:
    """Entry 0 of a log: mediator ``actor`` registers its own key, signed by that key alone."""
    reg = KeyRegistration(
        actor=actor,
        action="register",
        key=signer.vkey,
        mediator=True,
        at=at or _now(),
        note="genesis: the log's first mediator",
    )
    return key_entry(reg, [sign_registration(reg, signer, actor, "subject")])


def registration_entry(
    actor: str,
    signer: NoteSigner,
    mediator_actor: str,
    mediator_signer: NoteSigner,
    action: Literal["register", "rotate"] = "register",
    mediator: bool = False,
    at: dt.datetime | None = None,
) -> bytes:
    """A key registration (or rotation) of ``signer`` for ``actor``, witnessed by a mediator."""
    reg = KeyRegistration(
        actor=actor, action=action, key=signer.vkey, mediator=mediator, at=at or _now()
    )
    return key_entry(
        reg,
        [
            sign_registration(reg, signer, actor, "subject"),
            sign_registration(reg, mediator_signer, mediator_actor, "mediator"),
        ],
    )


def revocation_entry(
    actor: str,
    key: str,
    by_actor: str,
    by_signer: NoteSigner,
    at: dt.datetime | None = None,
) -> bytes:
    """Revoke ``actor``'s ``key``: signed by a mediator ``by_actor`` or by the key itself."""
    reg = KeyRegistration(actor=actor, action="revoke", key=key, at=at or _now())
    role: Literal["subject", "mediator"] = "subject" if by_actor == actor else "mediator"
    return key_entry(reg, [sign_registration(reg, by_signer, by_actor, role)])
