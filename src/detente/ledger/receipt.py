"""Portable receipts in C2SP tlog-proof form, and their fully offline verification.

**Key bindings.** A receipt from a checked log is a *bundle*: the entry's tlog-proof,
followed by one tlog-proof per key registration entry (:mod:`detente.ledger.keyreg`) that its
signers rely on: each signer's registrations, rotations and revocations before the entry,
those of the mediators who witnessed them, and the genesis (entry 0), all against the same
checkpoint. The first proof alone is a standard tlog-proof; tools that read one proof read
that one. The verifier replays the registrations in log order and checks that every
signature of the entry was made with the key registered for its actor at the entry's index.
What a bundle cannot prove offline is that the log left no later revocation out (a log that
omits one shows it to any monitor that replays the log, `detente ledger fsck`); a policy may
also pin party keys (``parties``), which are then checked as well.

A receipt (``c2sp.org/tlog-proof@v1``) is: the header line, an ``extra`` line (detente puts the
base64 entry there so the receipt is self-contained; the entry is authenticated by recomputing
its leaf hash, never trusted as is), ``index N``, the inclusion proof one base64 hash per line,
an empty line, then the checkpoint note verbatim with the log's signature and any witness
cosignatures (tlog-proof §Format).

:func:`verify_receipt` checks, in order: the receipt's syntax; the entry (RFC 8785 canonical
JSON, schema, every Ed25519 signature); the log's signature on the checkpoint (signed-note);
the witness cosignatures against a k-of-n policy (tlog-cosignature); the origin; and the
RFC 9162 §2.1.3.2 inclusion proof. The first failure becomes the verdict's reason.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from detente.errors import DetenteError, VerificationError
from detente.ledger import merkle
from detente.ledger.entries import EntryInfo, verify_entry
from detente.ledger.keyreg import KEY_ENTRY_TYPE, KeyBindings, SignerBinding
from detente.ledger.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    Checkpoint,
    VerifiedSignature,
    open_note,
    parse_verifier_key,
)

if TYPE_CHECKING:
    from detente.ledger.policy import TlogPolicy

__all__ = [
    "HEADER",
    "Policy",
    "Receipt",
    "Verdict",
    "format_receipt",
    "parse_receipt",
    "split_bundle",
    "verify_receipt",
]

HEADER = "c2sp.org/tlog-proof@v1"
MAX_RECEIPT_BYTES = 4 << 20
"""Largest receipt bundle read (a proof is a few KiB; a bundle holds at most 64)."""
MAX_PROOFS = 64


@dataclass(frozen=True)
class Receipt:
    """A parsed tlog-proof."""

    index: int
    proof: list[bytes]
    checkpoint: str
    extra: bytes | None = None


def format_receipt(
    index: int, proof: Sequence[bytes], checkpoint_note: str, extra: bytes | None = None
) -> str:
    """Write a tlog-proof (C2SP tlog-proof §Format)."""
    lines = [HEADER]
    if extra is not None:
        lines.append("extra " + base64.b64encode(extra).decode("ascii"))
    lines.append(f"index {index}")
    lines.extend(base64.b64encode(h).decode("ascii") for h in proof)
    return "\n".join(lines) + "\n\n" + checkpoint_note


def _b64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise VerificationError(f"receipt: {what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise VerificationError(f"receipt: {what} is not canonical base64")
    return raw


def parse_receipt(text: str) -> Receipt:
    """Parse a tlog-proof.

    Raises:
        VerificationError: naming the malformed line.
    """
    if "\r" in text:
        raise VerificationError("receipt: contains a carriage return (CRLF line ends?)")
    head, sep, checkpoint = text.partition("\n\n")
    if not sep:
        raise VerificationError("receipt: no empty line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise VerificationError(f"receipt: first line must be {HEADER!r}, got {lines[0][:40]!r}")
    pos = 1
    extra = None
    if pos < len(lines) and lines[pos].startswith("extra "):
        extra = _b64(lines[pos][6:], "extra data")
        pos += 1
    if pos >= len(lines) or not lines[pos].startswith("index "):
        raise VerificationError("receipt: missing 'index N' line")
    idx_s = lines[pos][6:]
    if not idx_s.isdigit() or not idx_s.isascii() or (idx_s != "0" and idx_s.startswith("0")):
        raise VerificationError(
            f"receipt: index {idx_s[:40]!r} is not a decimal without leading zeroes"
        )
    if len(idx_s) > 19 or int(idx_s) >= 2**63:
        raise VerificationError(f"receipt: index {idx_s[:40]}... is beyond 2^63-1")
    if len(lines) - pos - 1 > 63:
        raise VerificationError(
            f"receipt: {len(lines) - pos - 1} inclusion proof lines; a proof has at most 63"
        )
    proof = []
    for k, line in enumerate(lines[pos + 1 :]):
        h = _b64(line, f"inclusion proof line {k + 1}")
        if len(h) != merkle.HASH_SIZE:
            raise VerificationError(
                f"receipt: inclusion proof line {k + 1} is {len(h)} bytes, expected 32"
            )
        proof.append(h)
    return Receipt(int(idx_s), proof, checkpoint, extra)


@dataclass(frozen=True)
class Policy:
    """What a verifier trusts: the log, its keys, and a k-of-n witness quorum.

    Attributes:
        origin: The log's origin.
        log_keys: Verifier keys of the log (any one signature suffices).
        witnesses: Witness verifier keys (cosignature/v1, type 0x04).
        quorum: How many distinct witnesses must cosign (k of n).
        parties: Optional map actor id -> trusted verifier keys for entry signatures.
        origins: With several trusted logs (a C2SP tlog-policy), the accepted origins; the
            checkpoint's origin must also be the name of the log key that signed it.
        rule: A C2SP tlog-policy whose quorum (groups and thresholds) replaces ``quorum``.
    """

    origin: str
    log_keys: Sequence[str]
    witnesses: Sequence[str] = ()
    quorum: int = 0
    parties: Mapping[str, Sequence[str]] | None = None
    origins: Sequence[str] = ()
    rule: TlogPolicy | None = None

    def __post_init__(self) -> None:
        if not self.log_keys:
            raise VerificationError("policy names no log key")
        for k in self.log_keys:
            v = parse_verifier_key(k)
            if v.alg != ALG_ED25519:
                raise VerificationError(
                    f"log key {v.name!r} is not an Ed25519 signed-note key (type 0x01); a "
                    "witness key cannot stand in for the log's signature"
                )
            if not self.origins and v.name != self.origin:
                raise VerificationError(
                    f"log key is named {v.name!r}, not after the log's origin {self.origin!r}"
                )
        if not 0 <= self.quorum <= len(self.witnesses):
            raise VerificationError(
                f"policy quorum {self.quorum} is not within 0..{len(self.witnesses)} witnesses"
            )
        pubs: set[bytes] = set()
        for w in self.witnesses:
            v = parse_verifier_key(w)
            if v.alg != ALG_COSIGNATURE_V1:
                raise VerificationError(
                    f"witness key {v.name!r} is not a cosignature/v1 key (type 0x04)"
                )
            if v.public_key in pubs:
                raise VerificationError(
                    f"witness key {v.name!r} repeats another witness's public key; each "
                    "witness is counted once, by key"
                )
            pubs.add(v.public_key)


@dataclass
class Verdict:
    """The outcome of verifying a receipt."""

    ok: bool
    verdict: str
    reason: str | None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {"ok": self.ok, "verdict": self.verdict, "reason": self.reason, **self.details}


def split_bundle(text: str) -> list[str]:
    """Split a receipt bundle into its tlog-proofs (the entry's first).

    A proof ends after its checkpoint's signature lines (each starts with ``— ``); the next
    proof, if any, starts with the tlog-proof header.

    Raises:
        VerificationError: if a proof has no checkpoint, or there are too many.
    """
    parts: list[str] = []
    pos = 0
    while pos < len(text):
        if len(parts) >= MAX_PROOFS:
            raise VerificationError(f"receipt: more than {MAX_PROOFS} proofs in one bundle")
        head_end = text.find("\n\n", pos)
        if head_end < 0:
            raise VerificationError("receipt: no empty line before the checkpoint")
        sig_sep = text.find("\n\n", head_end + 2)
        if sig_sep < 0:
            raise VerificationError("receipt: the checkpoint has no signature block")
        p = sig_sep + 2
        while text.startswith("\u2014 ", p):
            nl = text.find("\n", p)
            p = len(text) if nl < 0 else nl + 1
        parts.append(text[pos:p])
        pos = p
    if not parts:
        raise VerificationError("receipt: empty")
    return parts


def _decode(text: str | bytes) -> str:
    if isinstance(text, bytes):
        if len(text) > MAX_RECEIPT_BYTES:
            raise VerificationError(f"receipt: over {MAX_RECEIPT_BYTES} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VerificationError(
                f"receipt: not valid UTF-8 (byte {exc.start} is 0x{text[exc.start]:02x})"
            ) from exc
    if len(text) > MAX_RECEIPT_BYTES:
        raise VerificationError(f"receipt: over {MAX_RECEIPT_BYTES} characters")
    if "\r" in text:
        raise VerificationError("receipt: contains a carriage return (CRLF line ends?)")
    return text


def _bind_signers(
    main: Receipt, info: EntryInfo, extra: list[Receipt], cp: Checkpoint, text: str
) -> list[SignerBinding]:
    """Replay the bundle's key registrations and check the entry's signers against them."""
    bindings = KeyBindings()
    seen: set[int] = set()
    for b in sorted(extra, key=lambda r: r.index):
        if b.checkpoint != main.checkpoint:
            # Byte for byte: the bundle's proofs share one (verified) checkpoint note.
            raise VerificationError(
                f"key registration proof for entry {b.index} is not against the same "
                "checkpoint note as the entry's"
            )
        if b.extra is None:
            raise VerificationError(f"key registration proof for entry {b.index} has no entry")
        if b.index >= main.index:
            raise VerificationError(
                f"key registration entry {b.index} comes after entry {main.index}"
            )
        if b.index in seen:
            raise VerificationError(f"key registration entry {b.index} is included twice")
        seen.add(b.index)
        merkle.verify_inclusion(merkle.leaf_hash(b.extra), b.index, cp.size, b.proof, cp.root)
        kinfo = verify_entry(b.extra)
        if kinfo.type != KEY_ENTRY_TYPE:
            raise VerificationError(f"entry {b.index} in the bundle is not a key registration")
        bindings.apply(b.index, kinfo)
    if info.type == KEY_ENTRY_TYPE:
        bindings.apply(main.index, info)
        return bindings.describe([s for s in info.signers if s.role != "subject"]) + [
            SignerBinding(actor=s.actor, role=s.role, key=s.key, registered_at=main.index)
            for s in info.signers
            if s.role == "subject"
        ]
    bindings.check(main.index, info.signers)
    return bindings.describe(info.signers)


def verify_receipt(text: str | bytes, policy: Policy, entry: bytes | None = None) -> Verdict:
    """Verify a receipt (or receipt bundle) fully offline against ``policy``; never raises.

    Args:
        text: The tlog-proof text, or its bytes (which must be UTF-8; decided here, once).
        policy: The trusted log keys and witness quorum.
        entry: The entry data, if not carried in the receipt's extra line (if both are
            present they must be equal).
    """
    details: dict[str, Any] = {}
    step = "receipt"
    try:
        parts = split_bundle(_decode(text))
        r = parse_receipt(parts[0])
        extra = [parse_receipt(p) for p in parts[1:]]
        details["index"] = r.index
        step = "entry"
        if entry is None and r.extra is None:
            raise VerificationError("no entry: the receipt has no extra line and none was given")
        if entry is not None and r.extra is not None and entry != r.extra:
            raise VerificationError("the given entry differs from the one in the receipt")
        data = entry if entry is not None else r.extra
        assert data is not None
        info = verify_entry(data, policy.parties)
        details["entry"] = {"type": info.type, "id": info.id, **info.summary}
        step = "checkpoint"
        body, log_sigs, _ = open_note(r.checkpoint, list(policy.log_keys))
        details["log_signers"] = [f"{s.name}+{s.key_id:08x}" for s in log_sigs]
        cp = Checkpoint.parse(body)
        details.update(origin=cp.origin, tree_size=cp.size, root=base64.b64encode(cp.root).decode())
        if cp.origin not in {s.name for s in log_sigs}:
            raise VerificationError(
                f"checkpoint origin {cp.origin!r} is not signed by a log key of that name"
            )
        if policy.origins:
            if cp.origin not in policy.origins:
                raise VerificationError(
                    f"checkpoint origin {cp.origin!r} is not signed by a trusted log of that "
                    f"name (trusted: {', '.join(policy.origins)})"
                )
        elif cp.origin != policy.origin:
            raise VerificationError(
                f"checkpoint origin {cp.origin!r} is not the trusted log {policy.origin!r}"
            )
        step = "witnesses"
        wsigs: list[VerifiedSignature] = []
        if policy.witnesses:
            try:
                _, wsigs, _ = open_note(r.checkpoint, list(policy.witnesses))
            except VerificationError as exc:
                if "no verifiable signatures" not in str(exc):
                    raise
                wsigs = []
        for s in wsigs:
            if s.timestamp is None:
                raise VerificationError(f"witness {s.name} did not sign a cosignature/v1")
        # Count witnesses by public key: one key under two names is one witness.
        by_key = {parse_verifier_key(s.vkey).public_key: s.name for s in wsigs}
        cosigners = sorted(set(by_key.values()))
        details["witnesses"] = cosigners
        if policy.rule is not None:
            signed_pubs = set(by_key)
            named = {
                name
                for name, vk in policy.rule.witnesses.items()
                if parse_verifier_key(vk).public_key in signed_pubs
            }
            details["witnesses"] = sorted(named)
            if not policy.rule.satisfied(named):
                raise VerificationError(
                    f"the policy's quorum {policy.rule.quorum!r} is not met; cosigned by: "
                    f"{', '.join(sorted(named)) or 'no trusted witness'}"
                )
        elif len(by_key) < policy.quorum:
            raise VerificationError(
                f"{len(by_key)} of {len(policy.witnesses)} trusted witnesses cosigned; "
                f"the policy needs {policy.quorum}"
            )
        step = "inclusion"
        merkle.verify_inclusion(merkle.leaf_hash(data), r.index, cp.size, r.proof, cp.root)
        step = "signers"
        if extra or (info.type == KEY_ENTRY_TYPE and r.index == 0):  # the genesis binds itself
            details["signers"] = _bind_signers(r, info, extra, cp, r.checkpoint.split("\n\n", 1)[0])
        elif policy.parties is not None:
            details["signers"] = [
                {
                    "actor": s.actor,
                    "role": s.role,
                    "key": "+".join(s.key.split("+")[:2]),
                    "registered_at": None,
                }
                for s in info.signers
            ]
        else:
            raise VerificationError(
                "the receipt carries no key registrations and the policy pins no party keys, "
                "so who signed the entry cannot be established (prove it again from a log "
                "with key registrations, or pin the parties' keys in a JSON policy)"
            )
    except DetenteError as exc:
        return Verdict(False, "INVALID", f"{step}: {exc}", details)
    return Verdict(True, "VALID", None, details)
