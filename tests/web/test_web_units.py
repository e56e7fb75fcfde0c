"""Properties of the pure parts: signed cookies, file names, the login limiter, diffs."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from detente.errors import CaseError
from detente.web import auth
from detente.web.pages import _diff
from detente.web.workspace import _safe_filename

SECRET = b"k" * 32


@given(
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=60)
)
def test_signed_cookie_round_trips_and_any_change_is_refused(value: str) -> None:
    signed = auth.sign_cookie(value, SECRET)
    assert auth.unsign_cookie(signed, SECRET) == value
    assert auth.unsign_cookie(signed, b"x" * 32) is None
    flipped = signed[:-1] + ("0" if signed[-1] != "0" else "1")
    assert auth.unsign_cookie(flipped, SECRET) is None


@given(st.text(max_size=40))
def test_file_names_with_folders_or_dotdot_are_refused(name: str) -> None:
    bad = not name or "/" in name or "\\" in name or ".." in name or name.startswith(".")
    if bad:
        with pytest.raises(CaseError):
            _safe_filename(name)
    else:
        try:
            assert _safe_filename(name) == name
        except CaseError as exc:  # control characters and overlong names are refused too
            assert exc.items[0].code == "bad-filename"


def test_login_limiter_counts_per_account_and_per_address() -> None:
    lim = auth.LoginLimiter(limit=2, window=60, client_limit=3)
    lim.failed("user:a", "client:1")
    assert lim.blocked("user:a", "client:1") == 0
    lim.failed("user:a", "client:1")
    assert lim.blocked("user:a", "client:1") > 0  # account a is locked
    assert lim.blocked("user:b", "client:1") == 0  # others on the same address are not
    lim.failed("user:b", "client:1")
    assert lim.blocked("user:c", "client:1") > 0  # ...until the address sprays names
    lim.succeeded("user:a", "client:1")
    assert lim.blocked("user:a", "client:2") == 0


@given(
    st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=30),
    st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=30),
)
def test_side_by_side_diff_keeps_every_line_of_both(a: list[str], b: list[str]) -> None:
    rows = _diff("\n".join(a), "\n".join(b))
    left = [r["left"] for r in rows if r["kind"] != "fold" and r["ln_left"] != ""]
    right = [r["right"] for r in rows if r["kind"] != "fold" and r["ln_right"] != ""]
    folded = sum(int(r["left"].split()[1]) for r in rows if r["kind"] == "fold")
    assert len(left) + folded == len(a) and len(right) + folded == len(b)
    assert all(r["left"] == r["right"] for r in rows if r["kind"] == "same")


def test_workspace_ledger_starts_with_the_registrar_genesis(tmp_path: Path) -> None:
    from detente.ledger.entries import verify_entry
    from detente.web.workspace import REGISTRAR, Workspace

    ws = Workspace(tmp_path / "ws")
    try:
        info = ws._led(lambda led: verify_entry(led.entry(0)))
        assert info.type == "key" and info.summary["actor"] == REGISTRAR
        assert info.summary["mediator"] and info.summary["key"] == ws.registrar.vkey
        assert ws.registrar.vkey != ws.log_signer.vkey  # two keys, two jobs
        # The equivocation guard keeps its state in the workspace folder.
        assert ws.ledger.guard.path.parent == tmp_path / "ws" / "ledger-state"
    finally:
        ws.close()
    # Reopening does not append a second genesis.
    ws = Workspace(tmp_path / "ws")
    try:
        assert ws._led(lambda led: led.size) == 1
    finally:
        ws.close()


def test_a_run_that_finishes_during_a_read_is_shown_with_its_result() -> None:
    """The run record is read, then the run finishes, then the live state is consulted.

    The view must not pair the live state's ``done`` with the stale row's missing result
    (a CI failure on PostgreSQL: ``status: done, result: None``).
    """
    import json as _json

    from detente.web.jobs import JobBoard, RunState

    def row(status: str, result: object) -> tuple[object, ...]:
        res = _json.dumps(result) if result is not None else None
        return ("r1", "c", 1, "forecast", "{}", status, 5, 10, res, None, "ana", 1.0, None)

    class FakeDb:
        def __init__(self) -> None:
            self.reads = 0
            self.board: JobBoard | None = None

        def execute(self, sql: str, args: object = ()) -> None:
            pass

        def one(self, sql: str, args: object = ()) -> tuple[object, ...]:
            self.reads += 1
            if self.reads == 1:
                assert self.board is not None
                self.board.states["r1"].status = "done"  # _finish ran just after this read
                return row("running", None)
            return row("done", {"answer": 42})

    class FakeWs:
        db = FakeDb()

        def can(self, p: object, action: str, case_id: str) -> bool:
            return True

    ws = FakeWs()
    board = JobBoard(ws, threads=1)  # type: ignore[arg-type]
    try:
        ws.db.board = board
        board.states["r1"] = RunState("r1", status="running", total=10)
        view = board.get(None, "r1")  # type: ignore[arg-type]
        assert view["status"] == "done" and view["result"] == {"answer": 42}
    finally:
        board.close()
