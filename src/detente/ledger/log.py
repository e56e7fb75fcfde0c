"""The transparency log: append, prove, checkpoint, receipts and fsck over a storage backend.

One origin per log (C2SP tlog-checkpoint §Note text). The log signs a checkpoint only after
checking that it is consistent with the last one it signed (RFC 9162 §2.1.4): the one in the
database and the one in its own state file outside the database
(:mod:`detente.ledger.guard`), so it never signs two inconsistent tree heads
(tlog-checkpoint §Signatures) even when the database was rewritten. Key rotation: the log
keeps a list of active verifier keys and signs each checkpoint with every key it is given
that is active, so during a change both old and new keys sign.

Every entry's signatures are checked against the keys registered for their actors at that
point of the log (:mod:`detente.ledger.keyreg`), in the append's own transaction, and a
duplicate entry (or a second entry for the same commitment) is refused.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from detente.errors import StorageError, VerificationError
from detente.ledger import merkle
from detente.ledger.entries import EntryInfo, verify_entries, verify_entry
from detente.ledger.guard import CheckpointGuard, EquivocationError, GuardState
from detente.ledger.keyreg import KEY_ENTRY_TYPE, BindingRow, KeyBindings
from detente.ledger.note import (
    ALG_ED25519,
    Checkpoint,
    NoteSigner,
    open_note,
    parse_note,
    parse_verifier_key,
    sign_note,
)
from detente.ledger.postgres import PostgresStorage, is_postgres_url
from detente.ledger.receipt import format_receipt
from detente.ledger.storage import (
    LogStorage,
    SQLiteStorage,
    StaleCheckpointError,
    interior,
    new_nodes,
)

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


def _location(storage: LogStorage) -> str:
    path = getattr(storage, "path", "")
    if isinstance(path, Path):
        return str(path.resolve())
    return str(path)


class Ledger:
    """A Merkle log of signed entries over a :class:`LogStorage`.

    Args:
        storage: The backend.
        check_entries: Verify each entry (canonical JSON, schema, signatures, key bindings,
            duplicates) on append. Off only for raw test and benchmark logs.
        state_dir: Where the equivocation guard keeps this log's last signed checkpoint
            (default: ``$DETENTE_LEDGER_STATE`` or ``~/.detente/state``).
    """

    def __init__(
        self, storage: LogStorage, check_entries: bool = True, state_dir: Path | None = None
    ) -> None:
        self.storage = storage
        self.check_entries = check_entries
        origin = storage.get_meta("origin")
        if origin is None:
            raise StorageError("ledger has no origin; create it with Ledger.create")
        self.origin = origin
        self.guard = CheckpointGuard(origin, _location(storage), state_dir)

    @classmethod
    def create(
        cls,
        path: str | Path,
        origin: str,
        log_keys: Sequence[str] = (),
        check_entries: bool = True,
        genesis: bytes | None = None,
        state_dir: Path | None = None,
    ) -> Ledger:
        """Create (or reopen) a ledger with ``origin`` and its log verifier keys.

        ``path`` is a SQLite file, or a ``postgresql://`` URL of a database (one ledger per
        database; see :mod:`detente.ledger.postgres`). ``genesis`` is the bootstrap key
        registration (a mediator registering its own key, :mod:`detente.ledger.keyreg`),
        appended as entry 0 of a new ledger.

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
        led = cls(storage, check_entries, state_dir)
        for k in log_keys:
            led.add_log_key(k)
        if genesis is not None and led.size == 0:
            led.append(genesis)
        return led

    @classmethod
    def open(
        cls,
        path: str | Path,
        check_entries: bool = True,
        readonly: bool = False,
        state_dir: Path | None = None,
    ) -> Ledger:
        """Open an existing ledger: a SQLite file, or a ``postgresql://`` URL.

        Args:
            path: The ledger.
            check_entries: As for :class:`Ledger`.
            readonly: Open a SQLite file without writing to it (fsck, a read-only copy).
            state_dir: As for :class:`Ledger`.

        Raises:
            StorageError: if it does not exist, has no origin, or is another
                application's database (nothing is added to it).
        """
        if is_postgres_url(path):
            return cls(PostgresStorage(str(path)), check_entries, state_dir)
        if not Path(path).exists():
            raise StorageError(f"no ledger at {path}; create one with `detente ledger init`")
        try:  # look before SQLiteStorage would add the schema to someone else's database
            probe = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
            try:
                names = {
                    str(r[0])
                    for r in probe.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                }
            finally:
                probe.close()
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{path} is not a ledger database: {exc}") from exc
        if "meta" not in names or not {"leaves", "nodes", "checkpoints"} <= names:
            raise StorageError(f"{path} is not a detente ledger (no ledger tables)")
        return cls(SQLiteStorage(path, readonly=readonly), check_entries, state_dir)

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
        if v.alg != ALG_ED25519:
            raise VerificationError(
                "a log key must be an Ed25519 signed-note key (type 0x01), not a witness key"
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
    @staticmethod
    def _check_bytes(data: bytes) -> None:
        """An entry is bytes, not empty, and no longer than a tile bundle holds."""
        if not isinstance(data, bytes | bytearray):
            raise StorageError(f"entries are bytes, got {type(data).__name__}")
        if not data:
            raise StorageError("refusing an empty entry")
        if len(data) > MAX_ENTRY_SIZE:
            raise StorageError(
                f"entry of {len(data)} bytes exceeds the limit of {MAX_ENTRY_SIZE} bytes "
                "(tlog-tiles entry bundles hold at most 65535 bytes per entry)"
            )

    @classmethod
    def _sizes_ok(cls, entries: Sequence[bytes]) -> bool:
        try:
            for e in entries:
                cls._check_bytes(e)
        except StorageError:
            return False
        return True

    def _check(self, data: bytes) -> EntryInfo | None:
        self._check_bytes(data)
        if self.check_entries:
            return verify_entry(bytes(data))
        return None

    def append(self, data: bytes) -> int:
        """Append one entry; durable when this returns. Returns its index."""
        return self.append_many([data])

    def append_many(
        self, entries: Sequence[bytes], checkpoint: Sequence[NoteSigner] | None = None
    ) -> int:
        """Append a batch in one transaction; durable on return. Returns the first index.

        Each entry is verified (schema and signatures) before the transaction; inside it,
        under the writers' lock, every signer is checked against the key registered for its
        actor at the entry's index, key registrations are applied in order, and duplicates
        are refused. With ``checkpoint`` (log keys), the batch's checkpoint is signed and
        stored in the same transaction, so batch and checkpoint cost one commit (one fsync)
        and an acknowledged batch is always covered by a signed checkpoint.

        Raises:
            VerificationError: a bad entry, an unbound signer, a duplicate (nothing written).
            EquivocationError: the checkpoint would contradict one already signed.
        """
        if not entries:
            raise StorageError("nothing to append")
        infos: list[EntryInfo | None]
        if self.check_entries and len(entries) > 1 and self._sizes_ok(entries):
            data = [bytes(e) for e in entries]
            # The batch's signatures checked together; the same first error, in order.
            infos = list(verify_entries(data))
        else:  # one entry at a time: the first problem, in order, is the one raised
            infos = [self._check(e) for e in entries]
            data = [bytes(e) for e in entries]

        signed: list[tuple[int, bytes, str]] = []

        def within(first: int, known: Mapping[tuple[int, int], bytes]) -> None:
            if checkpoint is not None:
                # The log keys are read here, under the writers' lock, in the transaction:
                # a key retired by another process a moment ago is not used.
                use = self._signers_or_refuse(checkpoint)
            if self.check_entries:
                self._bind(first, infos)
            if checkpoint is not None:
                signed.append(self._sign_at(use, first + len(data), explicit=False, known=known))

        if checkpoint is None:
            return self.storage.append(data, within)
        with self.guard.locked():
            first = self.storage.append(data, within)
            self.guard.advance(*signed[-1])
        return first

    def _bind(self, first: int, infos: Sequence[EntryInfo | None]) -> None:
        """Key bindings and unique keys for a batch, inside the append's transaction."""
        bindings = KeyBindings.from_rows(self.storage.binding_rows())
        rows: list[BindingRow] = []
        keys: list[tuple[str, int]] = []
        for k, info in enumerate(infos):
            if info is None:
                continue
            idx = first + k
            if info.type == KEY_ENTRY_TYPE:
                rows.append(bindings.apply(idx, info))
            else:
                bindings.check(idx, info.signers)
            if info.type == "commitment":
                keys.append((f"commitment:{info.id}", idx))
        if rows:
            self.storage.add_bindings(rows)
        if keys:
            self.storage.add_entry_keys(keys)

    @property
    def size(self) -> int:
        """Current number of entries."""
        return self.storage.size()

    def entry(self, index: int) -> bytes:
        """The data of entry ``index``."""
        return self.storage.entry(index)[0]

    def find_commitment(self, cid: str) -> int | None:
        """The index of the commitment entry whose id is ``cid`` (``sha256:...``), or None.

        One indexed read (the log records each commitment's id when it is appended); the
        entry found is verified in full before it is returned.

        Raises:
            VerificationError: if the matching entry does not verify.
        """
        idx = self.storage.entry_key(f"commitment:{cid}")
        if idx is None:
            return None
        info = verify_entry(self.entry(idx))
        if info.type != "commitment" or info.id != cid:
            raise VerificationError(f"entry {idx} is not commitment {cid}: the index is damaged")
        return idx

    def bindings(self) -> KeyBindings:
        """The key bindings in force now."""
        return KeyBindings.from_rows(self.storage.binding_rows())

    def _prefetched(
        self,
        compute: Callable[[merkle.NodeSource], T],
        known: Mapping[tuple[int, int], bytes] | None = None,
    ) -> T:
        """Run ``compute`` over stored nodes fetched in one round trip.

        A first pass over placeholder hashes records which nodes the computation reads (the
        set depends only on indexes and sizes), then they are fetched together. ``known``
        are hashes the caller holds for this very transaction (an append's right edge and
        the nodes it just wrote): those are not read back, and when every node is known
        no query is made.
        """
        needed: list[tuple[int, int]] = []

        def record(level: int, index: int) -> bytes:
            needed.append((level, index))
            return _PLACEHOLDER

        compute(record)
        if known:
            got = {k: known[k] for k in needed if k in known}
            missing = [k for k in needed if k not in got]
            if missing:
                got.update(self.storage.nodes(missing))
        else:
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

        The new tree must be consistent with the last checkpoint stored in the database and
        with the last one this machine signed for the log (the state file of
        :mod:`detente.ledger.guard`). With several processes appending, a default-size
        checkpoint that lost the race to a newer one is recomputed at the new size.

        Raises:
            VerificationError: if no signer is an active log key.
            EquivocationError: if the tree contradicts a checkpoint already signed.
        """
        use = self._signers_or_refuse(signers)
        with self.guard.locked():
            for _ in range(20):
                n = self.size if size is None else size
                self._check_size(n)
                try:
                    signed = self._sign_at(use, n, explicit=size is not None)
                except StaleCheckpointError:
                    if size is not None:
                        raise
                    continue
                self.guard.advance(*signed)
                return signed[2]
        raise StorageError("could not store a checkpoint: other processes keep moving the log")

    def _signers_or_refuse(self, signers: Sequence[NoteSigner]) -> list[NoteSigner]:
        active = set(self.storage.log_keys())
        use = [s for s in signers if s.vkey in active and s.alg == ALG_ED25519]
        if not use:
            raise VerificationError(
                "none of the given keys is an active key of this log "
                f"(active: {', '.join(sorted(active)) or 'none'})"
            )
        return use

    def _proof_nodes(
        self,
        compute: Callable[[merkle.NodeSource], T],
        known: Mapping[tuple[int, int], bytes] | None = None,
    ) -> T:
        """As :meth:`_prefetched`, for sizes already known to be valid (no size query)."""
        return self._prefetched(compute, known)

    def _sign_at(
        self,
        use: Sequence[NoteSigner],
        n: int,
        explicit: bool,
        known: Mapping[tuple[int, int], bytes] | None = None,
    ) -> tuple[int, bytes, str]:
        """Sign and store a checkpoint at ``n`` (a valid size); return ``(n, root, note)``.

        Checks the new tree against the guard's state and the database's last checkpoint;
        when both are the same tree head (the usual case) one consistency proof serves.
        ``known`` are the nodes an append in this transaction read and wrote (see
        :meth:`_prefetched`); every other node is read from the database, so the proofs
        against the old tree heads still check what is stored.
        """
        root = self._proof_nodes(lambda node: merkle.root_from(node, n), known)
        state = self._refuse_equivocation(n, root, known)
        last = self.storage.latest_checkpoint()
        if last is not None:
            _, old_size, old_root, old_note = last
            if n < old_size:
                if not explicit:
                    raise StaleCheckpointError("a newer checkpoint exists")
                raise VerificationError(
                    f"refusing to sign size {n}: a checkpoint at size {old_size} is already signed"
                )
            if state is None or (state.size, state.root) != (old_size, old_root):
                proof = self._proof_nodes(
                    lambda node: merkle.consistency_proof_from(node, old_size, n), known
                )
                merkle.verify_consistency(old_size, n, old_root, root, proof)
            if n == old_size:
                # Same tree head: sign again only if a key has not signed it yet (rotation).
                signed = {v.vkey for v in open_note(old_note, self._all_log_keys())[1]}
                if all(s.vkey in signed for s in use):
                    return n, root, old_note
        note = sign_note(Checkpoint(self.origin, n, root).body(), use)
        self.storage.add_checkpoint(n, root, note)
        return n, root, note

    def _refuse_equivocation(
        self, n: int, root: bytes, known: Mapping[tuple[int, int], bytes] | None = None
    ) -> GuardState | None:
        """Refuse, loudly, a tree that does not extend the last checkpoint signed here.

        Returns:
            The guard's state (None when this log never signed here).
        """
        state = self.guard.read()
        if state is None:
            return None
        why = None
        if n < state.size:
            why = f"it is smaller than size {state.size}, which this log already signed"
        else:
            try:
                old = state.size
                proof = self._proof_nodes(
                    lambda node: merkle.consistency_proof_from(node, old, n), known
                )
                merkle.verify_consistency(state.size, n, state.root, root, proof)
            except (VerificationError, StorageError) as exc:
                why = (
                    f"it is not consistent with the checkpoint signed at size {state.size} ({exc})"
                )
        if why is not None:
            raise EquivocationError(
                f"REFUSING TO SIGN a checkpoint of {self.origin} at size {n}: {why}. The "
                f"database no longer holds the tree this key signed (last signed root "
                f"{base64.b64encode(state.root).decode()} at size {state.size}, recorded in "
                f"{self.guard.path}); it was altered or rolled back. Signing now would "
                "equivocate: investigate, restore the database from a backup, and check it "
                "with `detente ledger fsck`."
            )
        return state

    def latest_checkpoint(self) -> tuple[int, int, bytes, str] | None:
        """``(seq, size, root, note)`` of the last signed checkpoint, or None (O(1))."""
        return self.storage.latest_checkpoint()

    def cosigned_checkpoint(self, seq: int | None = None) -> str:
        """A stored checkpoint note with the witness cosignatures gathered for it."""
        chosen = self.storage.latest_checkpoint() if seq is None else self.storage.checkpoint(seq)
        if chosen is None:
            if seq is None:
                raise StorageError("the log has no checkpoint yet; run `detente ledger checkpoint`")
            raise StorageError(f"no checkpoint with sequence number {seq}")
        lines = [ln for ln in self.storage.cosignatures(chosen[0]) if ln not in chosen[3]]
        return chosen[3] + "".join(ln + "\n" for ln in lines)

    def add_cosignatures(self, cosigned_note: str, witness_keys: Sequence[str]) -> int:
        """Store the witness cosignatures in ``cosigned_note`` for the matching checkpoint.

        Only the exact signature lines that verify against ``witness_keys`` are stored (a
        line that merely carries a trusted witness's name is dropped).

        Returns:
            How many cosignature lines verified and were stored.

        Raises:
            VerificationError: if the note matches no stored checkpoint or none verifies.
        """
        text, sigs = parse_note(cosigned_note)
        open_note(cosigned_note, witness_keys)  # at least one verifies, none is bad
        for seq, _size, _root, note in reversed(self.storage.checkpoints()):
            if note.split("\n\n", 1)[0] + "\n" == text:
                count = 0
                for sig in sigs:
                    try:
                        _, ok, _ = open_note(text + "\n" + sig.line + "\n", witness_keys)
                    except VerificationError:
                        continue
                    self.storage.add_witness_key(ok[0].vkey)
                    self.storage.add_cosignature(seq, sig.line)
                    count += 1
                return count
        raise VerificationError("the cosigned checkpoint is not one this log signed")

    def receipt(self, index: int, seq: int | None = None, bindings: bool = True) -> str:
        """A C2SP tlog-proof for entry ``index`` against a stored checkpoint (default: last).

        The entry itself travels in the proof's ``extra`` line so the receipt is
        self-contained; verifiers recompute its leaf hash, so it needs no trust. With
        ``bindings`` (the default on a checked log), the receipt is followed by one
        tlog-proof per key registration its signers rely on (their actors' registrations,
        rotations and revocations before ``index``, the mediators who witnessed them, and the
        genesis), all against the same checkpoint (see
        :func:`detente.ledger.receipt.verify_receipt`).
        """
        note = self.cosigned_checkpoint(seq)
        cp = Checkpoint.parse(note.split("\n\n", 1)[0] + "\n")
        if not 0 <= index < cp.size:
            raise VerificationError(
                f"entry {index} is not covered by the checkpoint (size {cp.size}); "
                "sign a newer checkpoint first"
            )
        data = self.entry(index)
        text = format_receipt(index, self.inclusion_proof(index, cp.size), note, extra=data)
        if not (bindings and self.check_entries):
            return text
        for k in self._binding_indexes(index, verify_entry(data)):
            proof = self.inclusion_proof(k, cp.size)
            text += format_receipt(k, proof, note, extra=self.entry(k))
        return text

    def _binding_indexes(self, index: int, info: EntryInfo) -> list[int]:
        """The key entries a verifier replays to bind the signers of entry ``index``."""
        rows = [r for r in self.storage.binding_rows() if r["idx"] < index]
        if not rows:
            return []
        chosen: set[int] = {0}
        todo = {s.actor for s in info.signers}
        if info.type == KEY_ENTRY_TYPE:
            todo.add(str(info.summary["actor"]))
        done: set[str] = set()
        while todo:
            actor = todo.pop()
            done.add(actor)
            for r in rows:
                if r["actor"] == actor and r["idx"] not in chosen:
                    chosen.add(r["idx"])
                    for s in verify_entry(self.entry(r["idx"])).signers:
                        if s.actor not in done:
                            todo.add(s.actor)
        return sorted(chosen)

    # -- fsck ------------------------------------------------------------------------------
    def fsck(self, check_signatures: bool = True) -> FsckReport:
        """Check everything the log promises (see :meth:`_fsck`); a read error is a problem.

        Returns:
            A report naming the first bad entry, if any.
        """
        try:
            return self._fsck(check_signatures)
        except StorageError as exc:  # a damaged file can fail any read: report, never "ok"
            return FsckReport(False, 0, 0, None, [f"the database cannot be read: {exc}"])

    def _fsck(self, check_signatures: bool) -> FsckReport:
        """Check everything the log promises, and name the first bad entry.

        * the database itself: SQLite's ``quick_check``; every append-only trigger present,
          unaltered and (PostgreSQL) enabled;
        * every entry from 0 to the size, none missing (the number of rows must equal the
          size), its leaf hash and every interior hash recomputed;
        * with ``check_signatures``: every entry's schema and signatures, and every signer
          against the key registered for its actor at that point (replaying the key
          registrations in log order);
        * the log-key table (well-formed type 0x01 keys named after the origin);
        * every checkpoint: the log's signature, its root recomputed, consistency with the
          one before; every stored cosignature line verifying as a cosignature of its
          checkpoint (its key comes from the line itself, so a bad line is a forged one).

        Returns:
            A report naming the first bad entry, if any.
        """
        problems: list[str] = list(self.storage.health())
        first_bad: int | None = None

        def bad(idx: int, why: str) -> None:
            nonlocal first_bad
            problems.append(f"entry {idx}: {why}")
            if first_bad is None or idx < first_bad:
                first_bad = idx

        known: dict[tuple[int, int], bytes] = {}
        size = self.size
        rows = self.storage.leaf_count()
        if rows != size:
            problems.append(
                f"{size - rows} of {size} entries are missing (the log's size is {size}, "
                f"{rows} rows are stored)"
            )
        bindings = KeyBindings()
        expected_index = 0
        for idx, data, stored in self.storage.iter_entries():
            if idx != expected_index:
                bad(expected_index, f"missing (entries {expected_index}..{idx - 1} are gone)")
                break
            expected_index += 1
            h = merkle.leaf_hash(data)
            why: str | None = None
            if h != stored:
                why = "stored leaf hash does not match the entry data"
            elif check_signatures and self.check_entries:
                try:
                    info = verify_entry(data)
                    if info.type == KEY_ENTRY_TYPE:
                        bindings.apply(idx, info)
                    else:
                        bindings.check(idx, info.signers)
                except VerificationError as exc:
                    why = f"entry does not verify: {exc}"
            # Level 0 is the leaf hash compared above; the levels over it are the nodes.
            for level, nidx, nh in interior(new_nodes(idx, [h], known, None)):
                try:
                    got = self.storage.node(level, nidx)
                except StorageError:
                    why = why or f"interior hash at level {level} index {nidx} is missing"
                    continue
                if got != nh:
                    why = why or (
                        f"interior hash at level {level} index {nidx} does not match "
                        "the recomputed one"
                    )
            # Keep memory bounded: only right-edge nodes are needed as left siblings.
            if len(known) > 4096:
                known = {k: v for k, v in known.items() if _on_right_edge(k, idx + 1)}
            if why is not None:
                bad(idx, why)
        if expected_index < size and (first_bad is None or first_bad >= expected_index):
            bad(expected_index, f"missing (entries {expected_index}..{size - 1} are gone)")
        expected_nodes = size - bin(size).count("1")  # the interior ones: level 0 is a leaf
        if first_bad is None and self.storage.node_count() != expected_nodes:
            problems.append(
                f"{self.storage.node_count()} interior hashes stored, expected {expected_nodes}"
            )
        problems += self._fsck_log_keys()
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
                for line in self.storage.cosignatures(seq):
                    problems += self._fsck_cosignature(where, text, line)
            except (VerificationError, StorageError) as exc:
                problems.append(f"{where}: {exc}")
            prev = (cp_size, cp_root)
        known_seqs = {c[0] for c in cps}
        for seq in self.storage.cosignature_seqs():
            if seq not in known_seqs:
                problems.append(f"cosignatures refer to checkpoint {seq}, which is not stored")
        try:
            state = self.guard.read()
        except StorageError as exc:
            problems.append(str(exc))
            state = None
        if state is not None and first_bad is None:
            try:
                self._refuse_equivocation(size, self.root(size))
            except (EquivocationError, StorageError) as exc:
                problems.append(f"checkpoint state: {exc}")
        return FsckReport(
            ok=not problems,
            size=expected_index,
            checkpoints=len(cps),
            first_bad_entry=first_bad,
            problems=problems,
        )

    def _fsck_log_keys(self) -> list[str]:
        out = []
        for vk in self._all_log_keys():
            try:
                v = parse_verifier_key(vk)
            except VerificationError as exc:
                out.append(f"log key table: {exc}")
                continue
            if v.name != self.origin or v.alg != ALG_ED25519:
                out.append(
                    f"log key table: key {v.name}+{v.key_id:08x} is not an Ed25519 key named "
                    f"after the origin {self.origin!r}"
                )
        if not self.storage.log_keys():
            out.append("log key table: no active log key")
        return out

    def _fsck_cosignature(self, where: str, text: str, line: str) -> list[str]:
        """A stored cosignature line must verify against a remembered witness key."""
        try:
            _, ok, _ = open_note(text + "\n" + line + "\n", self.storage.witness_keys())
        except VerificationError as exc:
            return [f"{where}: cosignature line {line[:40]!r} does not verify: {exc}"]
        if ok[0].timestamp is None:
            return [f"{where}: cosignature by {ok[0].name} is not a cosignature/v1 signature"]
        return []


def _on_right_edge(key: tuple[int, int], size: int) -> bool:
    """Whether node ``key`` may still be needed as a left sibling after ``size`` leaves."""
    level, idx = key
    return (idx + 1) << level == (size >> level) << level and idx & 1 == 0
