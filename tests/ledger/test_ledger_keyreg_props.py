"""Property: the log accepts exactly what a plain model of the key-binding rules accepts.

Random sequences of registrations, rotations, revocations and signed entries are appended
one by one to a checked ledger; a few lines of reference model say which must be accepted.
Then fsck replays the whole log, and every accepted signed entry's receipt verifies offline
without pinned keys (the bundle's registrations bind its signer).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_helpers import LOG_KEY, ORIGIN, seeded_signer
from test_ledger_bindings import _note

from detente.errors import VerificationError
from detente.ledger.keyreg import genesis_entry, registration_entry, revocation_entry
from detente.ledger.log import Ledger
from detente.ledger.receipt import Policy, verify_receipt

ACTORS = ("A", "B", "C")
KEYS = [seeded_signer(f"k{k}", 100 + k) for k in range(5)]
MEDIATOR = seeded_signer("M", 99)
T0 = dt.datetime(2025, 11, 7, tzinfo=dt.UTC)

op = st.one_of(
    st.tuples(st.just("register"), st.sampled_from(ACTORS), st.integers(0, 4)),
    st.tuples(st.just("rotate"), st.sampled_from(ACTORS), st.integers(0, 4)),
    st.tuples(st.just("revoke"), st.sampled_from(ACTORS), st.just(0)),
    st.tuples(st.just("sign"), st.sampled_from(ACTORS), st.integers(0, 4)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, min_size=1, max_size=14))
def test_the_log_follows_the_binding_rules(ops: list[tuple[str, str, int]]) -> None:
    with tempfile.TemporaryDirectory() as d:
        led = Ledger.create(
            Path(d) / "l.sqlite",
            ORIGIN,
            [LOG_KEY.vkey],
            genesis=genesis_entry("M", MEDIATOR, at=T0),
            state_dir=Path(d),
        )
        current: dict[str, int] = {}
        ever: set[int] = set()
        signed: list[int] = []
        for n, (kind, actor, k) in enumerate(ops):
            at = T0 + dt.timedelta(seconds=n + 1)
            if kind == "register":
                ok = actor not in current and k not in ever
                entry = registration_entry(actor, KEYS[k], "M", MEDIATOR, at=at)
            elif kind == "rotate":
                ok = actor in current and k not in ever
                entry = registration_entry(actor, KEYS[k], "M", MEDIATOR, "rotate", at=at)
            elif kind == "revoke":
                ok = actor in current
                key = KEYS[current.get(actor, 0)].vkey
                entry = revocation_entry(actor, key, "M", MEDIATOR, at=at)
            else:
                ok = current.get(actor) == k
                entry = _note(actor, KEYS[k], n)
            try:
                idx = led.append(entry)
            except VerificationError:
                assert not ok, f"op {n} {kind} {actor} k{k} was refused"
                continue
            assert ok, f"op {n} {kind} {actor} k{k} was accepted"
            if kind in ("register", "rotate"):
                current[actor] = k
                ever.add(k)
            elif kind == "revoke":
                del current[actor]
            else:
                signed.append(idx)
        assert led.fsck().ok
        if signed:
            led.checkpoint([LOG_KEY])
            policy = Policy(origin=ORIGIN, log_keys=[LOG_KEY.vkey])
            for idx in signed:
                v = verify_receipt(led.receipt(idx), policy)
                assert v.ok, v.reason
        led.close()
