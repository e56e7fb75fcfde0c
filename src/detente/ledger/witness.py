"""A witness: remember the last checkpoint per log, check consistency, cosign.

Implements the cosigner side of C2SP tlog-witness (add-checkpoint): the request body is
the tlog-witness one, ``old <size>`` then the consistency proof one base64 hash per line, an
empty line, then the signed checkpoint. The witness verifies the log's signature, refuses a
smaller tree or a different root at the same size (a split view), verifies the RFC 9162
§2.1.4.2 consistency proof from the size it last saw, records the new tree head durably
(write, fsync, rename), and only then returns its tlog-cosignature/v1 line. Every refusal
is a :class:`WitnessRefusal` carrying the HTTP status that tlog-witness prescribes for it;
:mod:`detente.ledger.witness_http` serves the same object over HTTP.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from detente import boundedjson
from detente.errors import StorageError, VerificationError
from detente.ledger import merkle
from detente.ledger._files import write_atomic
from detente.ledger.note import ALG_COSIGNATURE_V1, Checkpoint, NoteSigner, open_note

__all__ = ["Witness", "WitnessRefusal", "format_add_checkpoint", "parse_add_checkpoint"]


@dataclass
class WitnessRefusal(VerificationError):
    """A refused add-checkpoint request, with the status C2SP tlog-witness prescribes.

    Attributes:
        status: 400 (malformed, or old size above the checkpoint's), 403 (no valid
            signature from a trusted log key), 404 (unknown origin), 409 (the old size is
            not the last one cosigned, or the same size with another root), 422 (the
            consistency proof does not verify).
        size: With a 409 for a stale old size: the size this witness last cosigned, the
            body of a ``text/x.tlog.size`` response.
    """

    status: int = 400
    size: int | None = None


def format_add_checkpoint(old_size: int, proof: Sequence[bytes], checkpoint_note: str) -> str:
    """The tlog-witness add-checkpoint request body."""
    lines = [f"old {old_size}"] + [base64.b64encode(h).decode("ascii") for h in proof]
    return "\n".join(lines) + "\n\n" + checkpoint_note


def parse_add_checkpoint(body: str) -> tuple[int, list[bytes], str]:
    """Parse an add-checkpoint body into ``(old_size, proof, checkpoint note)``.

    Raises:
        VerificationError: if malformed.
    """
    head, sep, note = body.partition("\n\n")
    if not sep:
        raise WitnessRefusal("add-checkpoint: no empty line before the checkpoint")
    lines = head.split("\n")
    if not lines[0].startswith("old ") or not lines[0][4:].isdigit() or not lines[0].isascii():
        raise WitnessRefusal("add-checkpoint: first line must be 'old <size>'")
    if len(lines) - 1 > 63:
        raise WitnessRefusal(
            f"add-checkpoint: {len(lines) - 1} consistency proof lines, at most 63 allowed"
        )
    size_s = lines[0][4:]
    if size_s != "0" and size_s.startswith("0"):
        raise WitnessRefusal("add-checkpoint: old size has leading zeroes")
    if len(size_s) > 19 or int(size_s) >= 2**63:
        raise WitnessRefusal("add-checkpoint: old size is beyond 2^63-1")
    proof = []
    for k, line in enumerate(lines[1:]):
        try:
            h = base64.b64decode(line, validate=True)
        except ValueError as exc:
            raise WitnessRefusal(f"add-checkpoint: proof line {k + 1} is not base64") from exc
        if len(h) != 32:
            raise WitnessRefusal(f"add-checkpoint: proof line {k + 1} is not a 32-byte hash")
        proof.append(h)
    return int(lines[0][4:]), proof, note


@dataclass
class Witness:
    """A cosigner with a state folder.

    Args:
        signer: The witness key (tlog-cosignature/v1, type 0x04).
        state_dir: Where the last seen checkpoint of each log is kept.
        logs: Map origin -> trusted log verifier keys.
    """

    signer: NoteSigner
    state_dir: Path
    logs: dict[str, list[str]]

    def __post_init__(self) -> None:
        if self.signer.alg != ALG_COSIGNATURE_V1:
            raise VerificationError(
                "a witness key must be a cosignature/v1 key (create it with --witness)"
            )

    def _state_path(self, origin: str) -> Path:
        return self.state_dir / (hashlib.sha256(origin.encode()).hexdigest()[:32] + ".json")

    def last_seen(self, origin: str) -> tuple[int, bytes] | None:
        """``(size, root)`` last cosigned for ``origin``, or None."""
        p = self._state_path(origin)
        if not p.exists():
            return None
        try:
            doc = boundedjson.loads(p.read_text(encoding="utf-8"))
            return int(doc["size"]), base64.b64decode(doc["root"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StorageError(f"witness state {p} is unreadable: {exc}") from exc

    def add_checkpoint(self, body: str, timestamp: int | None = None) -> str:
        """Handle an add-checkpoint request; return the cosignature line.

        Raises:
            WitnessRefusal: why the checkpoint is refused, with its tlog-witness status
                (malformed, unknown log, bad signature, stale ``old`` size, split view,
                inconsistency).
        """
        old_size, proof, note = parse_add_checkpoint(body)
        first = note.split("\n", 1)[0]
        keys = self.logs.get(first)
        if not keys:
            raise WitnessRefusal(
                f"unknown log {first!r}: this witness does not follow it", status=404
            )
        try:
            text, _, _ = open_note(note, keys)
        except VerificationError as exc:
            raise WitnessRefusal(f"checkpoint signature: {exc}", status=403) from exc
        try:
            cp = Checkpoint.parse(text)
        except VerificationError as exc:
            raise WitnessRefusal(f"checkpoint: {exc}") from exc
        if old_size > cp.size:
            raise WitnessRefusal(
                f"old size {old_size} is larger than the checkpoint size {cp.size} "
                "(tlog-witness answers 400 Bad Request)"
            )
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            lock = open(self.state_dir / ".lock", "a+b")  # noqa: SIM115 - held below
        except OSError as exc:
            raise StorageError(f"witness state {self.state_dir}: {exc.strerror or exc}") from exc
        # Check-then-persist must be atomic across processes (tlog-witness §add-checkpoint).
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._add_locked(cp, text, old_size, proof, timestamp)

    def _add_locked(
        self, cp: Checkpoint, text: str, old_size: int, proof: list[bytes], timestamp: int | None
    ) -> str:
        last = self.last_seen(cp.origin)
        seen_size, seen_root = last if last is not None else (0, merkle.EMPTY_ROOT)
        if old_size != seen_size:
            raise WitnessRefusal(
                f"old size {old_size} does not match the size {seen_size} this witness last "
                "saw (tlog-witness answers 409 Conflict)",
                status=409,
                size=seen_size,
            )
        if cp.size == seen_size and cp.root != seen_root:
            raise WitnessRefusal(
                f"checkpoint at size {cp.size} has another root than the one this witness "
                "cosigned at that size: a split view (tlog-witness answers 409 Conflict)",
                status=409,
            )
        try:
            merkle.verify_consistency(seen_size, cp.size, seen_root, cp.root, proof)
        except VerificationError as exc:
            raise WitnessRefusal(f"consistency proof: {exc}", status=422) from exc
        # Durable before the cosignature leaves: file fsync, rename, then the folder's fsync
        # (without it a power loss can roll the rename back and the witness would forget).
        state = {
            "origin": cp.origin,
            "size": cp.size,
            "root": base64.b64encode(cp.root).decode("ascii"),
        }
        write_atomic(self._state_path(cp.origin), json.dumps(state).encode("utf-8"))
        return self.signer.signature(text, timestamp).line
