r"""C2SP signed notes, verifier keys, checkpoints and Ed25519 cosignatures.

Implements:

* ``c2sp.org/signed-note`` (v1.0.0): note text, signature lines ``— <name> base64(keyid ||
  sig)``, key IDs ``SHA-256(name || "\n" || type || pubkey)[:4]``, verifier keys
  ``<name>+<hex key id>+base64(type || pubkey)`` and the ``PRIVATE+KEY+...`` signer-key
  encoding used by Go's ``golang.org/x/mod/sumdb/note``. Signature type 0x01 is Ed25519.
* ``c2sp.org/tlog-cosignature`` (Ed25519, signature type 0x04): the signed message is
  ``cosignature/v1\ntime <t>\n`` followed by the checkpoint body, the signature is the
  ``timestamped_signature`` structure (u64 big-endian time, then the 64-byte signature).
* ``c2sp.org/tlog-checkpoint``: origin, tree size, base64 root hash, optional extension lines.

Verification follows the signed-note rules: unknown keys are ignored, a known key with a bad
signature is an error, and a note with no verifiable signature is refused.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
import struct
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from detente.errors import VerificationError

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "Checkpoint",
    "NoteSigner",
    "Signature",
    "VerifiedSignature",
    "Verifier",
    "checkpoint_of",
    "format_verifier_key",
    "key_id",
    "open_note",
    "parse_note",
    "parse_signer_key",
    "parse_verifier_key",
    "sign_note",
    "verify_note",
]

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100
SIG_PREFIX = "\u2014 "  # EM DASH, then a space (signed-note §Signatures)


def _b64decode(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise VerificationError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise VerificationError(f"{what} is not canonical base64")
    return raw


def _check_name(name: str, what: str = "key name") -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise VerificationError(
            f"malformed {what} {name!r}: must be non-empty, without spaces or '+' (signed-note)"
        )
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise VerificationError(f"malformed {what} {name!r}: contains control characters")


def key_id(name: str, alg: int, public_key: bytes) -> int:
    """The 32-bit key ID: ``SHA-256(name || newline || alg || public_key)[:4]`` (signed-note)."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def format_verifier_key(name: str, public_key: bytes, alg: int = ALG_ED25519) -> str:
    """Encode a verifier key as ``<name>+<hex key id>+<base64(alg || key)>`` (signed-note)."""
    _check_name(name)
    if len(public_key) != 32:
        raise VerificationError(f"Ed25519 public key must be 32 bytes, got {len(public_key)}")
    kid = key_id(name, alg, public_key)
    return f"{name}+{kid:08x}+{base64.b64encode(bytes([alg]) + public_key).decode('ascii')}"


@dataclass(frozen=True)
class Verifier:
    """A parsed verifier key.

    Attributes:
        name: The key name (for a log, its origin; for a witness, its name).
        key_id: The 32-bit key ID.
        alg: Signature type: 0x01 Ed25519 note signature, 0x04 Ed25519 cosignature/v1.
        public_key: The 32-byte Ed25519 public key.
    """

    name: str
    key_id: int
    alg: int
    public_key: bytes

    @property
    def vkey(self) -> str:
        """The verifier key string."""
        return format_verifier_key(self.name, self.public_key, self.alg)

    def verify(self, text: str, sig: bytes) -> int | None:
        """Check ``sig`` (key ID stripped) over note ``text``.

        Returns:
            The cosignature timestamp for type 0x04, else None.

        Raises:
            VerificationError: if the signature does not verify.
        """
        pub = Ed25519PublicKey.from_public_bytes(self.public_key)
        if self.alg == ALG_COSIGNATURE_V1:
            if len(sig) != 72:
                raise VerificationError(
                    f"invalid signature for key {self.name}+{self.key_id:08x}: a cosignature "
                    f"is 72 bytes (timestamp + Ed25519), got {len(sig)}"
                )
            ts = int(struct.unpack(">Q", sig[:8])[0])
            if ts >= 2**63:
                raise VerificationError(
                    f"invalid cosignature for key {self.name}+{self.key_id:08x}: timestamp "
                    f"{ts} exceeds 2^63-1 (tlog-cosignature)"
                )
            message = _cosigned_message(text, ts)
            raw = sig[8:]
        else:
            ts = None
            message = text.encode("utf-8")
            raw = sig
            if len(raw) != 64:
                raise VerificationError(
                    f"invalid signature for key {self.name}+{self.key_id:08x}: "
                    f"an Ed25519 signature is 64 bytes, got {len(raw)}"
                )
        try:
            pub.verify(raw, message)
        except InvalidSignature as exc:
            raise VerificationError(
                f"invalid signature for key {self.name}+{self.key_id:08x}"
            ) from exc
        return ts


def parse_verifier_key(vkey: str) -> Verifier:
    """Parse ``<name>+<hex key id>+<base64(alg || key)>`` (signed-note §Verifier keys).

    Raises:
        VerificationError: if the string is malformed, uses an unknown signature type, or its
            key ID does not match the name and key.
    """
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise VerificationError(
            f"malformed verifier key {vkey!r}: expected <name>+<hex key id>+<base64 key>"
        )
    name, hex_id, b64 = parts
    _check_name(name)
    if len(hex_id) != 8 or any(c not in "0123456789abcdefABCDEF" for c in hex_id):
        raise VerificationError(f"malformed verifier key {vkey!r}: key id must be 8 hex digits")
    raw = _b64decode(b64, f"verifier key {name!r}")
    if not raw:
        raise VerificationError(f"malformed verifier key {vkey!r}: empty key")
    alg, pub = raw[0], raw[1:]
    if alg not in (ALG_ED25519, ALG_COSIGNATURE_V1):
        raise VerificationError(
            f"verifier key {name!r} has unsupported signature type 0x{alg:02x} "
            "(supported: 0x01 Ed25519, 0x04 Ed25519 cosignature/v1)"
        )
    if len(pub) != 32:
        raise VerificationError(
            f"verifier key {name!r}: Ed25519 public key must be 32 bytes, got {len(pub)}"
        )
    kid = int(hex_id, 16)
    if kid != key_id(name, alg, pub):
        raise VerificationError(
            f"verifier key {name!r}: key id {hex_id} does not match the name and key"
        )
    return Verifier(name=name, key_id=kid, alg=alg, public_key=pub)


@dataclass(frozen=True)
class NoteSigner:
    """An Ed25519 note signer (type 0x01) or cosigner (type 0x04).

    Attributes:
        name: The key name.
        private_key: The Ed25519 private key.
        alg: 0x01 for note signatures, 0x04 for tlog-cosignature/v1.
    """

    name: str
    private_key: Ed25519PrivateKey = field(repr=False)
    alg: int = ALG_ED25519

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.alg not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise VerificationError(f"unsupported signature type 0x{self.alg:02x}")

    # Cached: a signer is immutable, and the log asks for its key id on every checkpoint.
    @functools.cached_property
    def public_key(self) -> bytes:
        """The raw 32-byte public key."""
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @functools.cached_property
    def key_id(self) -> int:
        """The 32-bit key ID."""
        return key_id(self.name, self.alg, self.public_key)

    @property
    def verifier(self) -> Verifier:
        """The matching verifier."""
        return Verifier(self.name, self.key_id, self.alg, self.public_key)

    @functools.cached_property
    def vkey(self) -> str:
        """The verifier key string."""
        return format_verifier_key(self.name, self.public_key, self.alg)

    def signature(self, text: str, timestamp: int | None = None) -> Signature:
        """Sign note ``text``; cosigners stamp ``timestamp`` (default: now)."""
        if self.alg == ALG_COSIGNATURE_V1:
            ts = int(time.time()) if timestamp is None else timestamp
            if not 0 <= ts < 2**63:
                raise VerificationError(f"cosignature timestamp {ts} out of range")
            raw = struct.pack(">Q", ts) + self.private_key.sign(_cosigned_message(text, ts))
        else:
            raw = self.private_key.sign(text.encode("utf-8"))
        blob = struct.pack(">I", self.key_id) + raw
        return Signature(self.name, self.key_id, base64.b64encode(blob).decode("ascii"))


def parse_signer_key(skey: str) -> NoteSigner:
    """Parse Go's ``PRIVATE+KEY+<name>+<hex id>+base64(alg || seed)`` signer-key encoding.

    Raises:
        VerificationError: if malformed or the key ID does not match.
    """
    parts = skey.split("+", 4)
    if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
        raise VerificationError("malformed signer key: expected PRIVATE+KEY+<name>+<id>+<key>")
    name, hex_id, b64 = parts[2:]
    _check_name(name)
    if len(hex_id) != 8 or any(c not in "0123456789abcdefABCDEF" for c in hex_id):
        raise VerificationError("malformed signer key: key id must be 8 hex digits")
    raw = _b64decode(b64, "signer key")
    if len(raw) != 33 or raw[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
        raise VerificationError("malformed signer key: expected a type byte and a 32-byte seed")
    signer = NoteSigner(name, Ed25519PrivateKey.from_private_bytes(raw[1:]), raw[0])
    if signer.key_id != int(hex_id, 16):
        raise VerificationError("malformed signer key: key id does not match name and key")
    return signer


def _cosigned_message(text: str, timestamp: int) -> bytes:
    """The tlog-cosignature/v1 Ed25519 signed message."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode("utf-8")


@dataclass(frozen=True)
class Signature:
    """One signature line: name, key ID and the base64 of ``keyid || signature``."""

    name: str
    key_id: int
    b64: str

    @property
    def line(self) -> str:
        """The signature line, without the final newline."""
        return f"{SIG_PREFIX}{self.name} {self.b64}"


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature that verified against a trusted key.

    Attributes:
        name: The signer's key name.
        key_id: The signer's key ID.
        vkey: The verifier key string that verified it.
        timestamp: For cosignatures, the POSIX time the cosigner stamped; else None.
    """

    name: str
    key_id: int
    vkey: str
    timestamp: int | None = None


_BAD_TEXT_CHAR = re.compile("[\x00-\x09\x0b-\x1f\x7f\ufffd]")
"""What a note's text may not hold: controls but the newline, DEL, the replacement character."""


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise VerificationError("malformed note: text must end with a newline")
    bad = _BAD_TEXT_CHAR.search(text)
    if bad is not None:
        raise VerificationError(
            f"malformed note: text contains control character U+{ord(bad.group()):04X}"
        )


def parse_note(message: str | bytes) -> tuple[str, list[Signature]]:
    """Split a signed note into its text and signature lines (signed-note §Format).

    Raises:
        VerificationError: if the note is malformed.
    """
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VerificationError("malformed note: not valid UTF-8") from exc
    if "\r" in message:
        raise VerificationError("malformed note: contains a carriage return")
    split = message.rfind("\n\n")
    if split < 0:
        raise VerificationError("malformed note: no blank line before the signatures")
    text, block = message[: split + 1], message[split + 2 :]
    _check_text(text)
    if not block.endswith("\n"):
        raise VerificationError("malformed note: signature block must end with a newline")
    sigs: list[Signature] = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise VerificationError(f"malformed note: unexpected line {line[:40]!r}")
        rest = line[len(SIG_PREFIX) :]
        name, sep, b64 = rest.rpartition(" ")
        if not sep:
            raise VerificationError(f"malformed note: signature line {line[:40]!r} lacks a name")
        _check_name(name, "signature name")
        blob = _b64decode(b64, f"signature by {name!r}")
        if len(blob) < 5:
            raise VerificationError(f"malformed note: signature by {name!r} is too short")
        sigs.append(Signature(name, int.from_bytes(blob[:4], "big"), b64))
    if len(sigs) > MAX_SIGNATURES:
        raise VerificationError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    return text, sigs


def sign_note(
    text: str,
    signers: Sequence[NoteSigner],
    existing: Iterable[Signature] = (),
    timestamp: int | None = None,
) -> str:
    """Sign ``text`` with every signer, keeping ``existing`` signatures from other keys.

    An existing signature by the same name and key ID as a new one is replaced (as Go does).

    Raises:
        VerificationError: if the text is malformed.
    """
    _check_text(text)
    new = [s.signature(text, timestamp) for s in signers]
    replaced = {(s.name, s.key_id) for s in new}
    kept = [s for s in existing if (s.name, s.key_id) not in replaced]
    lines = [s.line for s in kept + new]
    return text + "\n" + "".join(line + "\n" for line in lines)


def open_note(
    message: str | bytes, verifier_keys: Sequence[str | Verifier]
) -> tuple[str, list[VerifiedSignature], list[Signature]]:
    """Verify a signed note against trusted verifier keys.

    Returns:
        The note text, the verified signatures (in note order, duplicates merged) and the
        signatures from unknown keys.

    Raises:
        VerificationError: if the note is malformed, a known key's signature is invalid, two
            trusted keys share a name and key ID, or no signature verifies.
    """
    text, sigs = parse_note(message)
    verifiers: dict[tuple[str, int], Verifier] = {}
    ambiguous: set[tuple[str, int]] = set()
    for vk in verifier_keys:
        v = parse_verifier_key(vk) if isinstance(vk, str) else vk
        k = (v.name, v.key_id)
        if k in verifiers and verifiers[k] != v:
            ambiguous.add(k)
        verifiers[k] = v
    verified: list[VerifiedSignature] = []
    unverified: list[Signature] = []
    seen: set[Signature] = set()
    for sig in sigs:
        if sig in seen:
            continue
        seen.add(sig)
        k = (sig.name, sig.key_id)
        if k in ambiguous:
            raise VerificationError(f"ambiguous key {sig.name}+{sig.key_id:08x}")
        found = verifiers.get(k)
        if found is None:
            unverified.append(sig)
            continue
        v = found
        blob = base64.b64decode(sig.b64)
        ts = v.verify(text, blob[4:])
        verified.append(VerifiedSignature(v.name, v.key_id, v.vkey, ts))
    if not verified:
        names = ", ".join(f"{s.name}+{s.key_id:08x}" for s in unverified) or "none"
        raise VerificationError(f"note has no verifiable signatures (signatures present: {names})")
    return text, verified, unverified


def verify_note(message: str | bytes, verifier_keys: Sequence[str | Verifier]) -> list[str]:
    """Verify a signed note and return the names of the verified signers.

    Raises:
        VerificationError: as :func:`open_note`.
    """
    _, verified, _ = open_note(message, verifier_keys)
    return [v.name for v in verified]


@dataclass(frozen=True)
class Checkpoint:
    """A C2SP tlog-checkpoint body.

    Attributes:
        origin: The log's unique origin line.
        size: The tree size.
        root: The 32-byte root hash.
        extensions: Optional extension lines (non-empty).
    """

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The note text: origin, size, base64 root, extension lines, each newline-ended."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii")]
        lines.extend(self.extensions)
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse checkpoint note text (signatures already split off).

        Raises:
            VerificationError: if a line is missing or malformed (tlog-checkpoint §Note text).
        """
        if not text.endswith("\n"):
            raise VerificationError("malformed checkpoint: text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise VerificationError(
                f"malformed checkpoint: expected origin, size and root lines, got {len(lines)}"
            )
        origin, size_s, root_s = lines[:3]
        if not origin:
            raise VerificationError("malformed checkpoint: empty origin line")
        if not size_s.isdigit() or not size_s.isascii() or (size_s != "0" and size_s[0] == "0"):
            raise VerificationError(
                f"malformed checkpoint: tree size {size_s!r} is not a decimal without "
                "leading zeroes"
            )
        root = _b64decode(root_s, "checkpoint root hash")
        if len(root) != 32:
            raise VerificationError(
                f"malformed checkpoint: root hash is {len(root)} bytes, expected 32"
            )
        ext = tuple(lines[3:])
        if any(not e for e in ext):
            raise VerificationError("malformed checkpoint: empty extension line")
        return cls(origin, int(size_s), root, ext)


def checkpoint_of(note: str | bytes) -> Checkpoint:
    """The checkpoint a signed checkpoint note carries (signatures not verified).

    The one place a checkpoint's size and root are read from note text; callers that trust
    the result must verify the note (:func:`open_note`) themselves.

    Raises:
        VerificationError: if the note or its checkpoint body is malformed.
    """
    text, _ = parse_note(note)
    return Checkpoint.parse(text)
