r"""Ledger entry types: one registry, so each capability defines its own signed records.

Every ledger entry is an RFC 8785 canonical JSON object whose ``type`` names its kind
(``commitment``, ``event``, and the kinds other capabilities register: dataset records,
compliance verdicts, statements, reviews...). A kind registers a verifier that checks the
entry's schema and signatures and returns an :class:`EntryInfo`; :func:`verify_entry`
dispatches on ``type``. Every verifier reports who signed the entry (``signers``), so the
ledger can check each signature against the key registered for its actor at that point of
the log, whatever the kind.

Signatures over any record are Ed25519 (RFC 8032) over a fixed, kind-specific context line
followed by the canonical JSON of the signed body (``context || JCS(body)``), so that a
signature made for one purpose can never be replayed as another.
"""

from __future__ import annotations

import base64
import functools
import importlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from detente.errors import Diagnostic, VerificationError
from detente.ledger.canonical import canonicalize, loads_canonical
from detente.ledger.note import ALG_ED25519, NoteSigner, parse_verifier_key

__all__ = [
    "BUILTIN_ENTRY_MODULES",
    "EntryInfo",
    "EntrySigner",
    "EntryType",
    "FastPath",
    "Signature",
    "check_signature",
    "entry_signer",
    "entry_types",
    "model_error",
    "read_fast",
    "register_entry_type",
    "sign_body",
    "sign_message",
    "verify_entries",
    "verify_entry",
]


class EntrySigner(BaseModel):
    """Who signed an entry, in which role, with which verifier key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: str
    role: str
    key: str = Field(description="The C2SP verifier key (``name+hexid+base64``).")


@functools.lru_cache(maxsize=4096)
def entry_signer(actor: str, role: str, key: str) -> EntrySigner:
    """An :class:`EntrySigner`, shared between entries.

    It is frozen, and a log sees the same few signers over and over (building one costs
    more than the rest of a binding check).
    """
    return EntrySigner(actor=actor, role=role, key=key)


class EntryInfo(BaseModel):
    """What a verified entry says.

    Attributes:
        type: The entry's kind (its ``type`` field).
        id: The entry's subject: a commitment's id (for events, the commitment referred
            to), or the record's own id for other kinds.
        summary: A short, kind-specific description for listings and verdicts.
        signers: Every signature the verifier checked, in entry order.
    """

    type: str
    id: str = Field(description="The commitment id (for events: the commitment referred to).")
    summary: dict[str, Any]
    signers: list[EntrySigner] = Field(default_factory=list)


class Signature(BaseModel):
    """An Ed25519 signature by an actor over ``context || JCS(body)``.

    Attributes:
        actor: The signing actor's id.
        role: The role the actor signs in (kind-specific: ``party``, ``mediator``,
            ``importer``, ``reviewer``...).
        key: The signer's C2SP verifier key (``name+hexid+base64``).
        sig: Base64 Ed25519 signature.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: str = Field(min_length=1)
    role: str = Field(min_length=1)
    key: str
    sig: str


@dataclass(frozen=True)
class FastPath:
    """How an entry kind's usual form is verified without parsing it (see :class:`EntryType`).

    Attributes:
        prefix: The text every entry of the usual form starts with.
        read: ``read(text, data)``: what the checks need, read off the entry's text, or
            None for anything but the usual form (then the entry is parsed). It never raises.
        finish: ``finish(read, trusted)``: the checks after the schema (signers,
            signatures), as the kind's verifier makes them.
        signatures: Optional, for :func:`verify_entries`: ``signatures(read, trusted)``
            makes every check of ``finish`` but the signatures themselves and yields them
            as ``(actor, key, sig, message, what)`` for :func:`check_signature`.
        info: With ``signatures``: ``info(read)``, the :class:`EntryInfo` ``finish``
            returns once they all verify.
    """

    prefix: str
    read: Callable[[str, bytes], Any]
    finish: Callable[[Any, Mapping[str, Sequence[str]] | None], EntryInfo]
    signatures: (
        Callable[
            [Any, Mapping[str, Sequence[str]] | None], Iterable[tuple[str, str, str, bytes, str]]
        ]
        | None
    ) = None
    info: Callable[[Any], EntryInfo] | None = None


@dataclass(frozen=True)
class EntryType:
    """A registered entry kind: its ``type`` string and the function that verifies it.

    Attributes:
        name: The ``type`` string.
        verify: The verifier.
        summary: One line for listings.
        exact: The verifier itself proves that the entry's bytes are exactly the canonical
            re-encoding of what it validated, so :func:`verify_entry` need not canonicalize
            the entry a second time (one canonicalization per entry on the append path).
        fast: Optional :class:`FastPath` for the kind's usual form: for an entry whose
            text starts with its prefix, :func:`verify_entry` first tries to read it off
            its text. It must accept only entries ``verify`` accepts, with the same result.
    """

    name: str
    verify: Callable[[dict[str, Any], bytes, Mapping[str, Sequence[str]] | None], EntryInfo]
    summary: str
    exact: bool = False
    fast: FastPath | None = None


_TYPES: dict[str, EntryType] = {}
_FAST: list[FastPath] = []

BUILTIN_ENTRY_MODULES: tuple[str, ...] = (
    "detente.ledger.commitment",
    "detente.ledger.keyreg",
    "detente.events.records",
    "detente.statements.entries",
)
"""Modules whose import registers the built-in entry kinds."""


def register_entry_type(
    name: str, summary: str, exact: bool = False, fast: FastPath | None = None
) -> Callable[
    [Callable[[dict[str, Any], bytes, Mapping[str, Sequence[str]] | None], EntryInfo]],
    Callable[[dict[str, Any], bytes, Mapping[str, Sequence[str]] | None], EntryInfo],
]:
    """Register the verifier of entries whose ``type`` is ``name``.

    The verifier gets the parsed entry, its exact bytes and the optional map of trusted
    keys per actor; it raises :class:`VerificationError` or returns an :class:`EntryInfo`
    that lists every signer it checked. With ``exact``, the verifier promises to refuse any
    ``data`` that is not byte for byte the RFC 8785 encoding of what it validated (then the
    registry skips its own canonical-form check, which would canonicalize a second time).
    ``fast`` is an optional text-level reading of the kind's usual form (see
    :class:`FastPath`).
    """

    def deco(
        fn: Callable[[dict[str, Any], bytes, Mapping[str, Sequence[str]] | None], EntryInfo],
    ) -> Callable[[dict[str, Any], bytes, Mapping[str, Sequence[str]] | None], EntryInfo]:
        if name in _TYPES:
            raise ValueError(f"ledger entry type '{name}' registered twice")
        _TYPES[name] = EntryType(name=name, verify=fn, summary=summary, exact=exact, fast=fast)
        if fast is not None:
            _FAST.append(fast)
        return fn

    return deco


_LOADED: list[bool] = []


def _registered() -> dict[str, EntryType]:
    """The registry itself, the built-in kinds loaded once (not once per entry verified)."""
    if not _LOADED:
        for module in BUILTIN_ENTRY_MODULES:
            importlib.import_module(module)
        _LOADED.append(True)
    return _TYPES


def entry_types() -> dict[str, EntryType]:
    """Every registered entry kind by name (loading the built-in ones first)."""
    return dict(_registered())


_DECODER = json.JSONDecoder()


def _loads(text: str) -> Any:
    """``json.loads(text)``, without its wrapper's cost for text that is one JSON value.

    ``raw_decode`` at index 0 parses the same way; text it does not take whole (leading or
    trailing whitespace, a byte order mark, trailing data, an error) goes to ``json.loads``,
    which gives its own result or error.
    """
    try:
        value, end = _DECODER.raw_decode(text)
    except ValueError:
        return json.loads(text)
    if end != len(text):
        return json.loads(text)
    return value


def read_fast(data: bytes) -> tuple[FastPath, Any] | None:
    """The :class:`FastPath` that reads ``data`` and what it read, or None (parse it).

    Never raises: bytes that are not UTF-8, or not a kind's usual form, give None.
    """
    _registered()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    for fast in _FAST:
        if text.startswith(fast.prefix):
            got = fast.read(text, data)
            if got is not None:
                return fast, got
    return None


def verify_entry(
    data: bytes,
    trusted: Mapping[str, Sequence[str]] | None = None,
) -> EntryInfo:
    """Check a ledger entry: canonical JSON, a known type, its schema and every signature.

    Args:
        data: The entry's bytes (RFC 8785 canonical JSON).
        trusted: Optional map from actor id to the verifier keys trusted for it.

    Raises:
        VerificationError: why the entry is refused.
    """
    types = _registered()
    fast = read_fast(data)
    if fast is not None:
        return fast[0].finish(fast[1], trusted)
    try:
        doc = _loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise VerificationError(f"entry is not valid UTF-8 JSON: {exc}") from exc
    kind = doc.get("type") if isinstance(doc, dict) else None
    if not isinstance(kind, str) or kind not in types:
        known = ", ".join(f"'{t}'" for t in sorted(types))
        raise VerificationError(f"entry must be an object with a type, one of {known}")
    assert isinstance(doc, dict)
    entry_type = types[kind]
    if not entry_type.exact:
        # The kind does not prove canonical form itself: check it here (duplicate names,
        # number forms, key order), on a strict parse.
        doc = loads_canonical(data)
    try:
        return entry_type.verify(doc, data, trusted)
    except VerificationError:
        if entry_type.exact:
            loads_canonical(data)  # a non-canonical entry: report that, the root cause
        raise


def verify_entries(
    datas: Sequence[bytes],
    trusted: Mapping[str, Sequence[str]] | None = None,
) -> list[EntryInfo]:
    """``[verify_entry(d, trusted) for d in datas]``, with the signatures checked together.

    Entries of a kind whose :class:`FastPath` splits its checks (``signatures`` and
    ``info``) are read first, then all their signatures are verified in one loop, then
    their infos are built; any other entry is verified whole, in its place. Python code
    run between two Ed25519 verifications runs 1.7-1.8 times slower than in a loop of its
    own (the verification evicts it from the caches; docs/performance.md, run K), so the
    batch's reading and its signature checks are kept apart. On any failure the batch is
    verified again one entry at a time, so the error raised is exactly the one
    :func:`verify_entry` gives for the first bad entry, in order.

    Raises:
        VerificationError: why the first bad entry is refused.
    """
    _registered()
    try:
        out: list[EntryInfo | None] = []
        pending: list[tuple[int, Callable[[Any], EntryInfo], Any]] = []
        checks: list[tuple[Ed25519PublicKey, bytes, bytes]] = []
        for data in datas:
            fast = read_fast(data)
            if fast is not None:
                path, got = fast
                if path.signatures is not None and path.info is not None:
                    for _actor, key, sig, msg, _what in path.signatures(got, trusted):
                        # check_signature's steps but the verification (a failure: below).
                        pub = _public_key(key)[2]
                        checks.append((pub, base64.b64decode(sig, validate=True), msg))
                    pending.append((len(out), path.info, got))
                    out.append(None)
                    continue
            out.append(verify_entry(data, trusted))
        for pub, raw, msg in checks:  # nothing but the verifications in this loop
            pub.verify(raw, msg)
        for k, info, got in pending:
            out[k] = info(got)
    except Exception:  # noqa: BLE001 - the one-at-a-time path decides what is raised
        return [verify_entry(d, trusted) for d in datas]
    return [info for info in out if info is not None]


def model_error(exc: ValidationError, what: str) -> VerificationError:
    """A :class:`VerificationError` listing each schema problem of ``what``."""
    items = [
        Diagnostic(message=f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}", code="entry-schema")
        for e in exc.errors()
    ]
    return VerificationError(f"{what} does not match its schema", items)


def sign_message(signer: NoteSigner, actor: str, role: str, msg: bytes) -> Signature:
    """Sign ``msg`` (already prefixed with its context line) for ``actor`` in ``role``.

    Raises:
        VerificationError: if ``signer`` is not an Ed25519 note key (type 0x01).
    """
    if signer.alg != ALG_ED25519:
        raise VerificationError("records are signed with Ed25519 note keys (type 0x01)")
    sig = base64.b64encode(signer.private_key.sign(msg)).decode("ascii")
    return Signature(actor=actor, role=role, key=signer.vkey, sig=sig)


def sign_body(
    signer: NoteSigner, actor: str, role: str, context: bytes, body: Mapping[str, Any]
) -> Signature:
    """Sign ``context || JCS(body)``."""
    return sign_message(signer, actor, role, context + canonicalize(dict(body)))


@functools.lru_cache(maxsize=1024)
def _public_key(vkey: str) -> tuple[str, int, Ed25519PublicKey]:
    """Parse a verifier key once; entries from the same signer repeat it."""
    v = parse_verifier_key(vkey)
    if v.alg != ALG_ED25519:
        raise VerificationError(f"key {v.name} is not an Ed25519 signing key (type 0x01)")
    return v.name, v.key_id, Ed25519PublicKey.from_public_bytes(v.public_key)


def check_signature(actor: str, key: str, sig_b64: str, msg: bytes, what: str) -> None:
    """Verify one Ed25519 signature by ``actor`` with verifier key ``key`` over ``msg``.

    Raises:
        VerificationError: naming ``what`` and the actor when it does not verify.
    """
    name, kid, pub = _public_key(key)
    try:
        raw = base64.b64decode(sig_b64, validate=True)
    except ValueError as exc:
        raise VerificationError(f"{what} by {actor}: signature is not base64") from exc
    try:
        pub.verify(raw, msg)
    except InvalidSignature as exc:
        raise VerificationError(
            f"{what} by {actor} (key {name}+{kid:08x}) does not verify"
        ) from exc
