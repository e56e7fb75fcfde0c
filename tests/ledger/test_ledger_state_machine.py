"""A Hypothesis state machine over a real SQLite ledger: append, checkpoint, prove, verify.

Every proof the log hands out must verify against its signed checkpoints, and flipping any
byte of the entry, the proof, the root or the signature must make verification fail.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from ledger_helpers import LOG_KEY, ORIGIN

from detente.errors import VerificationError
from detente.ledger import merkle
from detente.ledger.log import Ledger
from detente.ledger.note import Checkpoint, open_note


def _flip(b: bytes, pos: int, bit: int) -> bytes:
    out = bytearray(b)
    out[pos % len(out)] ^= 1 << (bit % 8)
    return bytes(out)


class LedgerMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.dir = tempfile.TemporaryDirectory()
        self.led = Ledger.create(
            Path(self.dir.name) / "sm.sqlite", ORIGIN, [LOG_KEY.vkey], check_entries=False
        )
        self.model: list[bytes] = []
        self.checkpoints: list[tuple[int, bytes, str]] = []

    def teardown(self) -> None:
        if hasattr(self, "led"):
            self.led.close()
            self.dir.cleanup()

    @rule(batch=st.lists(st.binary(min_size=1, max_size=12), min_size=1, max_size=9))
    def append(self, batch: list[bytes]) -> None:
        # The log refuses a duplicate entry: number each one so that none repeats.
        batch = [b"%d:" % (len(self.model) + k) + e for k, e in enumerate(batch)]
        first = self.led.append_many(batch)
        assert first == len(self.model)
        self.model.extend(batch)

    @precondition(lambda self: self.model)
    @rule()
    def checkpoint(self) -> None:
        note = self.led.checkpoint([LOG_KEY])
        text, signers, _ = open_note(note, [LOG_KEY.vkey])
        cp = Checkpoint.parse(text)
        assert cp.size == len(self.model)
        assert cp.root == merkle.root_hash(self.model)
        if self.checkpoints:
            old_size, old_root, _ = self.checkpoints[-1]
            merkle.verify_consistency(
                old_size, cp.size, old_root, cp.root, self.led.consistency_proof(old_size, cp.size)
            )
        self.checkpoints.append((cp.size, cp.root, note))

    @precondition(lambda self: self.checkpoints)
    @rule(data=st.data())
    def prove_and_tamper(self, data: st.DataObject) -> None:
        size, root, note = data.draw(st.sampled_from(self.checkpoints))
        i = data.draw(st.integers(0, size - 1))
        proof = self.led.inclusion_proof(i, size)
        entry = self.model[i]
        merkle.verify_inclusion(merkle.leaf_hash(entry), i, size, proof, root)
        pos, bit = data.draw(st.integers(0, 10_000)), data.draw(st.integers(0, 7))
        try:
            merkle.verify_inclusion(merkle.leaf_hash(_flip(entry, pos, bit)), i, size, proof, root)
            raise AssertionError("flipped entry verified")
        except VerificationError:
            pass
        if proof:
            k = pos % len(proof)
            bad = [*proof[:k], _flip(proof[k], pos, bit), *proof[k + 1 :]]
            try:
                merkle.verify_inclusion(merkle.leaf_hash(entry), i, size, bad, root)
                raise AssertionError("flipped proof verified")
            except VerificationError:
                pass
        try:
            merkle.verify_inclusion(merkle.leaf_hash(entry), i, size, proof, _flip(root, pos, bit))
            raise AssertionError("flipped root verified")
        except VerificationError:
            pass
        # Flip a byte of the signature (inside its base64) on the signed checkpoint.
        sig_line = note.rstrip("\n").split("\n")[-1]
        name, b64 = sig_line.rsplit(" ", 1)
        blob = _flip(base64.b64decode(b64), 4 + pos % 64, bit)  # past the key id
        forged = note.replace(sig_line, f"{name} {base64.b64encode(blob).decode()}")
        try:
            open_note(forged, [LOG_KEY.vkey])
            raise AssertionError("flipped signature verified")
        except VerificationError:
            pass

    @precondition(lambda self: len(self.checkpoints) >= 2)
    @rule(data=st.data())
    def consistency_between_checkpoints(self, data: st.DataObject) -> None:
        a, b = sorted(
            data.draw(st.lists(st.sampled_from(self.checkpoints), min_size=2, max_size=2)),
            key=lambda c: c[0],
        )
        proof = self.led.consistency_proof(a[0], b[0])
        merkle.verify_consistency(a[0], b[0], a[1], b[1], proof)
        if proof:
            try:
                merkle.verify_consistency(
                    a[0], b[0], a[1], b[1], [_flip(proof[0], 3, 1), *proof[1:]]
                )
                raise AssertionError("flipped consistency proof verified")
            except VerificationError:
                pass

    @invariant()
    def size_matches(self) -> None:
        if hasattr(self, "led"):
            assert self.led.size == len(self.model)


LedgerMachine.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedgerMachine = LedgerMachine.TestCase
