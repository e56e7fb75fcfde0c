"""Portable receipts in C2SP tlog-proof form, and their fully offline verification.

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
from detente.ledger.commitment import verify_entry
from detente.ledger.note import ALG_COSIGNATURE_V1, Checkpoint, open_note, parse_verifier_key

if TYPE_CHECKING:
    from detente.ledger.policy import TlogPolicy

__all__ = [
    "HEADER",
    "Policy",
    "Receipt",
    "Verdict",
    "format_receipt",
    "parse_receipt",
    "verify_receipt",
]

HEADER = "c2sp.org/tlog-proof@v1"


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
        raise VerificationError(f"receipt: index {idx_s!r} is not a decimal without leading zeroes")
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
        if not 0 <= self.quorum <= len(self.witnesses):
            raise VerificationError(
                f"policy quorum {self.quorum} is not within 0..{len(self.witnesses)} witnesses"
            )
        for w in self.witnesses:
            if parse_verifier_key(w).alg != ALG_COSIGNATURE_V1:
                raise VerificationError(
                    f"witness key {w.split('+')[0]!r} is not a cosignature/v1 key (type 0x04)"
                )


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


def verify_receipt(text: str, policy: Policy, entry: bytes | None = None) -> Verdict:
    """Verify a receipt fully offline against ``policy``; never raises for bad input.

    Args:
        text: The tlog-proof text.
        policy: The trusted log keys and witness quorum.
        entry: The entry data, if not carried in the receipt's extra line (if both are
            present they must be equal).
    """
    details: dict[str, Any] = {}
    step = "receipt"
    try:
        r = parse_receipt(text)
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
        if policy.origins:
            if cp.origin not in policy.origins or cp.origin not in {s.name for s in log_sigs}:
                raise VerificationError(
                    f"checkpoint origin {cp.origin!r} is not signed by a trusted log of that "
                    f"name (trusted: {', '.join(policy.origins)})"
                )
        elif cp.origin != policy.origin:
            raise VerificationError(
                f"checkpoint origin {cp.origin!r} is not the trusted log {policy.origin!r}"
            )
        step = "witnesses"
        cosigners: list[str] = []
        if policy.witnesses:
            try:
                _, wsigs, _ = open_note(r.checkpoint, list(policy.witnesses))
            except VerificationError as exc:
                if "no verifiable signatures" not in str(exc):
                    raise
                wsigs = []
            cosigners = sorted({s.name for s in wsigs})
        details["witnesses"] = cosigners
        if policy.rule is not None:
            signed = {(s.name, s.key_id) for s in wsigs} if policy.witnesses else set()
            named = {
                name
                for name, vk in policy.rule.witnesses.items()
                if (parse_verifier_key(vk).name, parse_verifier_key(vk).key_id) in signed
            }
            details["witnesses"] = sorted(named)
            if not policy.rule.satisfied(named):
                raise VerificationError(
                    f"the policy's quorum {policy.rule.quorum!r} is not met; cosigned by: "
                    f"{', '.join(sorted(named)) or 'no trusted witness'}"
                )
        elif len(cosigners) < policy.quorum:
            raise VerificationError(
                f"{len(cosigners)} of {len(policy.witnesses)} trusted witnesses cosigned; "
                f"the policy needs {policy.quorum}"
            )
        step = "inclusion"
        merkle.verify_inclusion(merkle.leaf_hash(data), r.index, cp.size, r.proof, cp.root)
    except DetenteError as exc:
        return Verdict(False, "INVALID", f"{step}: {exc}", details)
    return Verdict(True, "VALID", None, details)
