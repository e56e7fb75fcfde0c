"""The transparency log: append, prove, checkpoint, receipts and fsck over a storage backend.

One origin per log (C2SP tlog-checkpoint §Note text). The log signs a checkpoint only after
checking that it is consistent with the last one it signed (RFC 9162 §2.1.4), so it never
signs two inconsistent tree heads (tlog-checkpoint §Signatures). Key rotation: the log keeps
a list of active verifier keys and signs each checkpoint with every key it is given that is
active, so during a change both old and new keys sign.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from detente.errors import StorageError, VerificationError
from detente.ledger import merkle
from detente.ledger.canonical import canonicalize
from detente.ledger.commitment import verify_entry
from detente.ledger.note import Checkpoint, NoteSigner, open_note, parse_verifier_key, sign_note
from detente.ledger.postgres import PostgresStorage, is_postgres_url
from detente.ledger.receipt import format_receipt
from detente.ledger.storage import LogStorage, SQLiteStorage, StaleCheckpointError, new_nodes

__all__ = ["MAX_ENTRY_SIZE", "FsckReport", "Ledger"]

T = TypeVar("T")
_PLACEHOLDER = bytes(32)

MAX_ENTRY_SIZE = 65535
"""Largest entry in bytes: C2SP tlog-tiles entry bundles prefix each entry with a uint16."""


@dataclass
class FsckReport:
    """The result of :meth:`Ledger.fsck`.

    Attributes:
        ok: True when nothing is wrong.
        size: Entries checked.
        checkpoints: Checkpoints checked.
        first_bad_entry: Index of the first entry found bad, if any.
        problems: What is wrong, first problem first.
    """

    ok: bool
    size: int
    checkpoints: int
    first_bad_entry: int | None = None
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "ok": self.ok,
            "size": self.size,
            "checkpoints": self.checkpoints,
            "first_bad_entry": self.first_bad_entry,
            "problems": self.problems,
        }


class Ledger:
    """A Merkle log of signed entries over a :class:`LogStorage`.

    Args:
        storage: The backend.
        check_entries: Verify each entry (canonical JSON, schema, signatures) on append.
    """

    def __init__(self, storage: LogStorage, check_entries: bool = True) -> None:
        self.storage = storage
        self.check_entries = check_entries
        origin = storage.get_meta("origin")
        if origin is None:
            raise StorageError("ledger has no origin; create it with Ledger.create")
        self.origin = origin

    @classmethod
    def create(
        cls, path: str | Path, origin: str, log_keys: Sequence[str] = (), check_entries: bool = True
    ) -> Ledger:
        """Create (or reopen) a ledger with ``origin`` and its log verifier keys.

        ``path`` is a SQLite file, or a ``postgresql://`` URL of a database (one ledger per
        database; see :mod:`detente.ledger.postgres`).

        Raises:
            StorageError: if the file belongs to another origin.
            VerificationError: if a key is malformed or not named after the origin.
        """
        if not origin or "\n" in origin or "+" in origin or " " in origin:
            raise StorageError(
                f"origin {origin!r} must be non-empty, without spaces, '+' or newlines"
            )
        storage: LogStorage = (
            PostgresStorage(path, create=True) if is_postgres_url(path) else SQLiteStorage(path)
        )
        storage.put_meta("origin", origin)
        led = cls(storage, check_entries)
        for k in log_keys:
            led.add_log_key(k)
        return led

    @classmethod
    def open(cls, path: str | Path, check_entries: bool = True) -> Ledger:
        """Open an existing ledger: a SQLite file, or a ``postgresql://`` URL.

        Raises:
            StorageError: if it does not exist or has no origin.
        """
        if is_postgres_url(path):
            return cls(PostgresStorage(str(path)), check_entries)
        if not Path(path).exists():
            raise StorageError(f"no ledger at {path}; create one with `detente ledger init`")
        try:  # look before SQLiteStorage would add the schema to someone else's database
            probe = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
            try:
                has_meta = probe.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
                ).fetchone()
            finally:
                probe.close()
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{path} is not a ledger database: {exc}") from exc
        if not has_meta:
            raise StorageError(f"{path} is not a detente ledger (no meta table)")
        return cls(SQLiteStorage(path), check_entries)

    def close(self) -> None:
        """Close the storage."""
        self.storage.close()

    # -- keys ------------------------------------------------------------------------------
    def add_log_key(self, vkey: str) -> None:
        """Register a log verifier key (its name must be the origin)."""
        v = parse_verifier_key(vkey)
        if v.name != self.origin:
            raise VerificationError(
                f"log key is named {v.name!r}; a log's key name must be its origin {self.origin!r}"
            )
        if v.vkey not in self.storage.log_keys():
            self.storage.add_log_key(v.vkey, "add")

    def retire_log_key(self, vkey: str) -> None:
        """Stop trusting a log key for new checkpoints (old ones stay verifiable by fsck)."""
        if vkey not in self.storage.log_keys():
            raise VerificationError("that key is not an active key of this log")
        if len(self.storage.log_keys()) == 1:
            raise VerificationError("cannot retire the log's only key; add the new key first")
        self.storage.add_log_key(vkey, "retire")

    @property
    def log_keys(self) -> list[str]:
        """Active log verifier keys."""
        return self.storage.log_keys()

    def _all_log_keys(self) -> list[str]:
        """Active and retired log keys: retired keys still verify old checkpoints."""
        return self.storage.log_keys(include_retired=True)

    # -- entries ---------------------------------------------------------------------------
    def _check(self, data: bytes) -> None:
        if not isinstance(data, bytes | bytearray):
            raise StorageError(f"entries are bytes, got {type(data).__name__}")
        if not data:
            raise StorageError("refusing an empty entry")
        if len(data) > MAX_ENTRY_SIZE:
            raise StorageError(
                f"entry of {len(data)} bytes exceeds the limit of {MAX_ENTRY_SIZE} bytes "
                "(tlog-tiles entry bundles hold at most 65535 bytes per entry)"
            )
        if self.check_entries:
            verify_entry(bytes(data))

    def append(self, data: bytes) -> int:
        """Append one entry; durable when this returns. Returns its index."""
        return self.append_many([data])

    def append_many(self, entries: Sequence[bytes]) -> int:
        """Append a batch in one transaction; durable on return. Returns the first index."""
        if not entries:
            raise StorageError("nothing to append")
        for e in entries:
            self._check(e)
        return self.storage.append([bytes(e) for e in entries])

    @property
    def size(self) -> int:
        """Current number of entries."""
        return self.storage.size()

    def entry(self, index: int) -> bytes:
        """The data of entry ``index``."""
        return self.storage.entry(index)[0]

    def find_commitment(self, cid: str) -> int | None:
        """The index of the commitment entry whose id is ``cid`` (``sha256:...``), or None.

        Entries are scanned in order, but only parsed: the id of a commitment entry is the
        SHA-256 of its commitment's canonical JSON, which a canonical entry holds as is.
        Only the entry that matches is verified in full (schema and signatures), so the
        scan costs a JSON parse per entry instead of an Ed25519 verification.

        Raises:
            VerificationError: if the matching entry does not verify.
        """
        for index, data, _ in self.storage.iter_entries():
            try:
                doc = json.loads(data)
                body = doc["signed"]["commitment"] if doc.get("type") == "commitment" else None
            except (ValueError, TypeError, KeyError, AttributeError):
                continue  # not a commitment entry (fsck reports malformed entries)
            if body is None:
                continue
            if "sha256:" + hashlib.sha256(canonicalize(body)).hexdigest() == cid:
                verify_entry(data)  # the match must verify in full: schema and signatures
                return index
        return None

    def _prefetched(self, compute: Callable[[merkle.NodeSource], T]) -> T:
        """Run ``compute`` over stored nodes fetched in one round trip.

        A first pass over placeholder hashes records which nodes the computation reads (the
        set depends only on indexes and sizes), then they are fetched together.
        """
        needed: list[tuple[int, int]] = []

        def record(level: int, index: int) -> bytes:
            needed.append((level, index))
            return _PLACEHOLDER

        compute(record)
        got = self.storage.nodes(needed)

        def node(level: int, index: int) -> bytes:
            h = got.get((level, index))
            return h if h is not None else self.storage.node(level, index)

        return compute(node)

    def root(self, size: int | None = None) -> bytes:
        """Root hash at ``size`` (default: now)."""
        n = self.size if size is None else size
        self._check_size(n)
        return self._prefetched(lambda node: merkle.root_from(node, n))

    def _check_size(self, n: int) -> None:
        cur = self.size
        if not 0 <= n <= cur:
            raise VerificationError(f"tree size {n} is not within [0, {cur}]")

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 §2.1.3.1 inclusion proof for ``index`` at ``size`` (default: now)."""
        n = self.size if size is None else size
        self._check_size(n)
        if not 0 <= index < n:
            return merkle.inclusion_proof_from(self.storage.node, index, n)  # raises why
        return self._prefetched(lambda node: merkle.inclusion_proof_from(node, index, n))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 9162 §2.1.4.1 consistency proof from ``old_size`` to ``new_size``."""
        n = self.size if new_size is None else new_size
        self._check_size(n)
        if not 0 <= old_size <= n:
            return merkle.consistency_proof_from(self.storage.node, old_size, n)  # raises why
        return self._prefetched(lambda node: merkle.consistency_proof_from(node, old_size, n))

    # -- checkpoints -----------------------------------------------------------------------
    def checkpoint(self, signers: Sequence[NoteSigner], size: int | None = None) -> str:
        """Sign and store a checkpoint at ``size`` (default: now) with every given log key.

        With several processes appending, a default-size checkpoint that lost the race to a
        newer one is recomputed at the new size and signed again.

        Raises:
            VerificationError: if no signer is an active log key, or the new tree head is not
                consistent with the last signed one.
        """
        for _ in range(20):
            try:
                return self._checkpoint_once(signers, size)
            except StaleCheckpointError:
                if size is not None:
                    raise
        raise StorageError("could not store a checkpoint: other processes keep moving the log")

    def _checkpoint_once(self, signers: Sequence[NoteSigner], size: int | None) -> str:
        active = set(self.storage.log_keys())
        use = [s for s in signers if s.vkey in active]
        if not use:
            raise VerificationError(
                "none of the given keys is an active key of this log "
                f"(active: {', '.join(sorted(active)) or 'none'})"
            )
        n = self.size if size is None else size
        self._check_size(n)
        root = self.root(n)
        last = self.latest_checkpoint()
        if last is not None:
            _, old_size, old_root, old_note = last
            if n < old_size:
                if size is None:
                    raise StaleCheckpointError("a newer checkpoint exists")
                raise VerificationError(
                    f"refusing to sign size {n}: a checkpoint at size {old_size} is already signed"
                )
            merkle.verify_consistency(
                old_size, n, old_root, root, self.consistency_proof(old_size, n)
            )
            if n == old_size:
                # Same tree head: sign again only if a key has not signed it yet (rotation).
                signed = {v.vkey for v in open_note(old_note, self._all_log_keys())[1]}
                if all(s.vkey in signed for s in use):
                    return old_note
        note = sign_note(Checkpoint(self.origin, n, root).body(), use)
        self.storage.add_checkpoint(n, root, note)
        return note

    def latest_checkpoint(self) -> tuple[int, int, bytes, str] | None:
        """``(seq, size, root, note)`` of the last signed checkpoint, or None."""
        cps = self.storage.checkpoints()
        return cps[-1] if cps else None

    def cosigned_checkpoint(self, seq: int | None = None) -> str:
        """A stored checkpoint note with the witness cosignatures gathered for it."""
        cps = self.storage.checkpoints()
        if not cps:
            raise StorageError("the log has no checkpoint yet; run `detente ledger checkpoint`")
        chosen = cps[-1] if seq is None else next((c for c in cps if c[0] == seq), None)
        if chosen is None:
            raise StorageError(f"no checkpoint with sequence number {seq}")
        lines = [ln for ln in self.storage.cosignatures(chosen[0]) if ln not in chosen[3]]
        return chosen[3] + "".join(ln + "\n" for ln in lines)

    def add_cosignatures(self, cosigned_note: str, witness_keys: Sequence[str]) -> int:
        """Store the witness cosignatures in ``cosigned_note`` for the matching checkpoint.

        Returns:
            How many cosignature lines verified and were stored.

        Raises:
            VerificationError: if the note matches no stored checkpoint or none verifies.
        """
        text, verified, _ = open_note(cosigned_note, witness_keys)
        for seq, _size, _root, note in reversed(self.storage.checkpoints()):
            if note.split("\n\n", 1)[0] + "\n" == text:
                names = {(v.name, v.key_id) for v in verified}
                count = 0
                for line in cosigned_note[len(text) + 1 :].splitlines():
                    name = line[2:].split(" ", 1)[0]
                    if any(n == name for n, _ in names):
                        self.storage.add_cosignature(seq, line)
                        count += 1
                return count
        raise VerificationError("the cosigned checkpoint is not one this log signed")

    def receipt(self, index: int, seq: int | None = None) -> str:
        """A C2SP tlog-proof for entry ``index`` against a stored checkpoint (default: last).

        The entry itself travels in the proof's ``extra`` line so the receipt is
        self-contained; verifiers recompute its leaf hash, so it needs no trust.
        """
        note = self.cosigned_checkpoint(seq)
        cp = Checkpoint.parse(note.split("\n\n", 1)[0] + "\n")
        if index >= cp.size:
            raise VerificationError(
                f"entry {index} is not covered by the checkpoint (size {cp.size}); "
                "sign a newer checkpoint first"
            )
        proof = self.inclusion_proof(index, cp.size)
        return format_receipt(index, proof, note, extra=self.entry(index))

    # -- fsck ------------------------------------------------------------------------------
    def fsck(self, check_signatures: bool = True) -> FsckReport:
        """Recompute every leaf and interior hash, check each entry and checkpoint.

        Returns:
            A report naming the first bad entry, if any.
        """
        problems: list[str] = []
        first_bad: int | None = None
        known: dict[tuple[int, int], bytes] = {}
        size = self.size
        expected_index = 0
        for idx, data, stored in self.storage.iter_entries():
            if idx != expected_index:
                problems.append(f"entry {expected_index}: missing (next stored index is {idx})")
                first_bad = expected_index if first_bad is None else first_bad
                break
            expected_index += 1
            h = merkle.leaf_hash(data)
            bad: str | None = None
            if h != stored:
                bad = "stored leaf hash does not match the entry data"
            elif check_signatures:
                try:
                    verify_entry(data)
                except VerificationError as exc:
                    bad = f"entry does not verify: {exc}"
            for level, nidx, nh in new_nodes(idx, [h], known, None):
                try:
                    got = self.storage.node(level, nidx)
                except StorageError:
                    bad = bad or f"interior hash at level {level} index {nidx} is missing"
                    continue
                if got != nh:
                    bad = bad or (
                        f"interior hash at level {level} index {nidx} does not match "
                        "the recomputed one"
                    )
            # Keep memory bounded: only right-edge nodes are needed as left siblings.
            if len(known) > 4096:
                known = {k: v for k, v in known.items() if _on_right_edge(k, idx + 1)}
            if bad is not None:
                problems.append(f"entry {idx}: {bad}")
                if first_bad is None:
                    first_bad = idx
        expected_nodes = 2 * size - bin(size).count("1")
        if not problems and self.storage.node_count() != expected_nodes:
            problems.append(
                f"{self.storage.node_count()} interior hashes stored, expected {expected_nodes}"
            )
        cps = self.storage.checkpoints()
        keys = self._all_log_keys()
        prev: tuple[int, bytes] | None = None
        for seq, cp_size, cp_root, note in cps:
            where = f"checkpoint {seq} (size {cp_size})"
            try:
                text, _, _ = open_note(note, keys)
                cp = Checkpoint.parse(text)
                if cp.origin != self.origin or cp.size != cp_size or cp.root != cp_root:
                    raise VerificationError("note does not match the stored size and root")
                if cp_size > size:
                    raise VerificationError(f"size exceeds the {size} entries stored")
                if first_bad is None or cp_size <= first_bad:
                    recomputed = self.root(cp_size)
                    if recomputed != cp_root:
                        raise VerificationError("root differs from the recomputed tree")
                if prev is not None and (
                    cp_size < prev[0] or (cp_size == prev[0] and cp_root != prev[1])
                ):
                    raise VerificationError("inconsistent with the previous checkpoint")
            except (VerificationError, StorageError) as exc:
                problems.append(f"{where}: {exc}")
            prev = (cp_size, cp_root)
        return FsckReport(
            ok=not problems,
            size=expected_index,
            checkpoints=len(cps),
            first_bad_entry=first_bad,
            problems=problems,
        )


def _on_right_edge(key: tuple[int, int], size: int) -> bool:
    """Whether node ``key`` may still be needed as a left sibling after ``size`` leaves."""
    level, idx = key
    return (idx + 1) << level == (size >> level) << level and idx & 1 == 0
