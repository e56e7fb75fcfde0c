"""The equivocation guard's own files: made on first use, read without their access time."""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

from ledger_helpers import LOG_KEY, ORIGIN

from detente.ledger import guard
from detente.ledger.log import Ledger


def test_the_state_folder_is_made_on_first_use_and_the_state_is_read_back(tmp_path: Path) -> None:
    state = tmp_path / "deep" / "state"
    led = Ledger.create(tmp_path / "l.sqlite", ORIGIN, [LOG_KEY.vkey], check_entries=False,
                        state_dir=state)  # fmt: skip
    led.append_many([b"a", b"b"], checkpoint=[LOG_KEY])
    led.append_many([b"c"], checkpoint=[LOG_KEY])
    assert state.is_dir() and oct(state.stat().st_mode & 0o777) == "0o700"
    recorded = led.guard.read()
    assert recorded is not None and recorded.size == 3
    assert recorded.root == led.root(3)
    led.close()


def test_a_state_file_of_another_owner_is_read_without_o_noatime(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_bytes(b"x" * 70_000)  # more than one read's worth
    real = os.open
    flags: list[int] = []

    def refuse_noatime(p: object, f: int, *a: object) -> int:
        flags.append(f)
        if f & guard._NOATIME:
            raise PermissionError(1, "Operation not permitted")
        return real(p, f, *a)  # type: ignore[arg-type]

    with mock.patch.object(guard.os, "open", side_effect=refuse_noatime):
        assert guard._read_noatime(path) == b"x" * 70_000
    assert len(flags) == (2 if guard._NOATIME else 1)
